"""The audit chain: its cost on bulk writes, and how fast a million events verify (SQLite).

(a) Bulk import of device announcements through ``record_stored`` with the
chain, against the very same path with the chain switched off (a recorder
whose ``_extend_chain`` does nothing). Both record who did what, as the
console does: one ``CommandRecord`` per batch transaction (``Maillage.act_as``).
Both run ``ROUNDS`` times, alternately and each first every other round, into
fresh files; the best of each is kept, so that a hiccup of the machine does not
decide the ratio. The process's
CPU time is printed too: on a shared machine it says more about the chain's own
cost than wall time does (wall time also waits for each commit's fsync, the
same with or without the chain).

(b) ``Verifier`` over 1,000,000 events, against a plain scan that reads the
same two tables in the same pages and hashes nothing: how close verification
comes to the cost of reading.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from eventsourcing.sqlite import SQLiteCursor
from rich.console import Console

from bench.bench_bulk import BATCH, ManifestLine, batches, bulk_events, manifest
from bench.common import Figure, stopwatch
from domain.application import Maillage
from domain.audit.chain import CHAIN_TABLE, ChainInput
from domain.audit.command_record import Actor
from domain.audit.verify import BATCH_SIZE, Verifier
from domain.clock import now
from domain.persistence.sqlite import BulkSQLiteApplicationRecorder
from domain.store import StoreLocation, ViewConnection

BENCH_ACTOR = Actor("operator", "bench")
WRITE_DEVICES = 100_000
VERIFY_EVENTS = 1_000_000
ROUNDS = 6

console = Console()


class UnchainedSQLiteRecorder(BulkSQLiteApplicationRecorder):
    """The bulk recorder with the chain switched off: the anchor of (a)."""

    def _extend_chain(self, c: SQLiteCursor, rows: Sequence[ChainInput]) -> None:
        return None


UNCHAINED = {"APPLICATION_RECORDER_TOPIC": f"{__name__}:UnchainedSQLiteRecorder"}


def _import(
    path: Path, lines: Sequence[ManifestLine], env: dict[str, str] | None
) -> tuple[float, float]:
    """Wall and CPU seconds to record every line through ``record_stored`` in batches."""
    app = Maillage(StoreLocation.parse(str(path)), env=env)
    app.act_as(BENCH_ACTOR, "devices import manifest")
    try:
        gc.collect()
        cpu = time.process_time()
        with stopwatch() as elapsed:
            for batch in batches(lines, BATCH):
                app.record_stored(bulk_events(batch, now()))
        seconds, cpu = elapsed(), time.process_time() - cpu
        expected = len(lines) + -(-len(lines) // BATCH)  # and one command record per batch
        if app.last_position() != expected:
            raise RuntimeError(f"recorded {app.last_position()} events, expected {expected}")
        return seconds, cpu
    finally:
        app.close()


def _links(path: Path) -> int:
    conn = ViewConnection.open(StoreLocation.parse(str(path)))
    try:
        row = conn.fetchone(f"SELECT COUNT(*) FROM {CHAIN_TABLE}")
        return int(row[0]) if row else 0
    finally:
        conn.close()


def _write_figure(tmp: Path) -> Figure:
    lines = list(manifest(WRITE_DEVICES))
    chained: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    for r in range(ROUNDS):
        console.print(f"  audit: bulk import of {WRITE_DEVICES:,} devices, round {r + 1}…")
        # Each goes first every other round: the second of a pair may find the disk still
        # writing the first's pages. Files past round 1 are removed (their pages with them).
        runs = [(plain, "plain", UNCHAINED), (chained, "chained", None)]
        for results, name, env in runs if r % 2 == 0 else runs[::-1]:
            path = tmp / f"{name}-{r}.sqlite"
            results.append(_import(path, lines, env))
            if r > 0:
                for suffix in ("", "-wal", "-shm"):
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
        console.print(
            f"    without chain {plain[-1][0]:.2f} s (CPU {plain[-1][1]:.2f} s), "
            f"with chain {chained[-1][0]:.2f} s (CPU {chained[-1][1]:.2f} s)"
        )
    links = WRITE_DEVICES + -(-WRITE_DEVICES // BATCH)
    if _links(tmp / "chained-0.sqlite") != links or _links(tmp / "plain-0.sqlite"):
        raise RuntimeError("the chained store must have a link per event, the other none")
    best_chained, best_plain = min(w for w, _ in chained), min(w for w, _ in plain)
    cpu_chained, cpu_plain = min(c for _, c in chained), min(c for _, c in plain)
    console.print(
        f"    overhead of the chain (best of {ROUNDS}): wall {best_chained / best_plain - 1:+.1%}, "
        f"CPU {cpu_chained / cpu_plain - 1:+.1%}"
    )
    return Figure(
        name=f"bulk import with chain, SQLite ({WRITE_DEVICES:,} devices)",
        value=WRITE_DEVICES / best_chained,
        anchor=WRITE_DEVICES / best_plain,
        unit="events/s",
        anchor_label="same bulk path, chain off",
    )


def _scan(path: Path) -> float:
    """Seconds to read both tables in the verifier's pages, without hashing."""
    conn = ViewConnection.open(StoreLocation.parse(str(path)))
    try:
        with stopwatch() as elapsed:
            for statement in (
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                f"SELECT notification_id, prev_id, link FROM {CHAIN_TABLE} "
                "WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
            ):
                after = 0
                while rows := conn.fetchall(statement, (after, BATCH_SIZE)):
                    after = rows[-1][0]
        return elapsed()
    finally:
        conn.close()


def _verify_figure(tmp: Path) -> Figure:
    path = tmp / "verify.sqlite"
    app = Maillage(StoreLocation.parse(str(path)))
    console.print(f"  audit: writing {VERIFY_EVENTS:,} events to verify…")
    with stopwatch() as elapsed:
        for start in range(0, VERIFY_EVENTS, 10 * BATCH):
            lines = list(manifest(10 * BATCH, start))
            for batch in batches(lines, BATCH):
                app.record_stored(bulk_events(batch, now()))
    console.print(f"    {elapsed():.1f} s")
    try:
        gc.collect()
        console.print("  audit: verifying…")
        with Verifier.of(app) as verifier, stopwatch() as elapsed:
            report = verifier.run()
        seconds = elapsed()
        if not report.intact or report.events != VERIFY_EVENTS:
            raise RuntimeError(f"verification failed: {report.finding}, {report.events} events")
        console.print(f"    {seconds:.2f} s ({VERIFY_EVENTS / seconds:,.0f} events/s)")
        scan_s = _scan(path)
        console.print(f"    plain scan of both tables {scan_s:.2f} s")
    finally:
        app.close()
    return Figure(
        name=f"audit verify, SQLite ({VERIFY_EVENTS:,} events)",
        value=VERIFY_EVENTS / seconds,
        anchor=VERIFY_EVENTS / scan_s,
        unit="events/s",
        anchor_label="reading both tables, no hashing",
    )


PG_URL = "postgresql://127.0.0.1:5432/test"
PG_VERIFY_EVENTS = 200_000


def _pg_verify_figures() -> list[Figure]:
    """``Verifier`` over 200,000 events in a fresh PostgreSQL schema, against a plain psycopg
    read of both tables (keyset pages, binary, no hashing); none when no server answers."""
    import secrets

    import psycopg
    from psycopg import sql

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as e:
        console.print(f"  audit: no PostgreSQL at {PG_URL} ({str(e).strip()[:80]}), skipped")
        return []
    schema = f"bench_{secrets.token_hex(4)}"
    location = StoreLocation.parse(f"{PG_URL}?schema={schema}")
    try:
        app = Maillage(location)
        try:
            console.print(f"  audit: writing {PG_VERIFY_EVENTS:,} events to PostgreSQL…")
            for start in range(0, PG_VERIFY_EVENTS, BATCH):
                lines = list(manifest(min(BATCH, PG_VERIFY_EVENTS - start), start))
                app.record_stored(bulk_events(lines, now()))
            events = app.last_position()
            gc.collect()
            console.print("  audit: verifying on PostgreSQL…")
            with Verifier.of(app) as verifier, stopwatch() as elapsed:
                report = verifier.run()
            seconds = elapsed()
            if not report.intact or report.events != events:
                raise RuntimeError(f"verification failed: {report.finding}, {report.events}")
            console.print(f"    {seconds:.2f} s ({events / seconds:,.0f} events/s)")
            conn = ViewConnection.open(location)
            try:
                with stopwatch() as scanned:
                    for statement in (
                        f"SELECT notification_id, originator_id, originator_version, topic, "
                        f"state FROM {app.events_table} WHERE notification_id > %s "
                        "ORDER BY notification_id LIMIT %s",
                        f"SELECT notification_id, prev_id, link FROM {CHAIN_TABLE} "
                        "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                    ):
                        after = 0
                        with conn.raw.cursor(binary=True) as cur:
                            while rows := cur.execute(statement, (after, BATCH_SIZE)).fetchall():
                                after = rows[-1][0]
                scan_s = scanned()
            finally:
                conn.close()
            console.print(f"    plain psycopg read of both tables {scan_s:.2f} s")
        finally:
            app.close()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    return [
        Figure(
            name=f"audit verify, PostgreSQL ({events:,} events)",
            value=events / seconds,
            anchor=events / scan_s,
            unit="events/s",
            anchor_label="psycopg reading both tables row by row, no hashing",
        )
    ]


def run() -> list[Figure]:
    """Both figures, on fresh SQLite files in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        return [_write_figure(Path(tmp)), _verify_figure(Path(tmp)), *_pg_verify_figures()]
