"""The audit chain: its cost on bulk writes, and how fast a million events verify (SQLite).

(a) Bulk import of device announcements through ``record_stored`` with the
chain, against the very same path with the chain switched off (a recorder
whose ``_extend_chain`` does nothing). Both run ``ROUNDS`` times, alternately,
into fresh files; the best of each is kept, so that a hiccup of the machine
does not decide the ratio. The process's CPU time is printed too: on a shared
machine it says more about the chain's own cost than wall time does (wall time
also waits for each commit's fsync, the same with or without the chain).

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
from typing import Any

from eventsourcing.sqlite import SQLiteCursor
from rich.console import Console

from bench.bench_bulk import BATCH, ManifestLine, batches, bulk_events, manifest
from bench.common import Figure, stopwatch
from domain.application import Maillage
from domain.audit.chain import CHAIN_TABLE
from domain.audit.verify import BATCH_SIZE, Verifier
from domain.clock import now
from domain.recorders import BulkSQLiteApplicationRecorder
from domain.store import StoreLocation, ViewConnection

WRITE_DEVICES = 100_000
VERIFY_EVENTS = 1_000_000
ROUNDS = 4

console = Console()


class UnchainedSQLiteRecorder(BulkSQLiteApplicationRecorder):
    """The bulk recorder with the chain switched off: the anchor of (a)."""

    def _extend_chain(
        self, c: SQLiteCursor, ids: Sequence[int], params: Sequence[tuple[Any, ...]]
    ) -> None:
        return None


UNCHAINED = {"APPLICATION_RECORDER_TOPIC": f"{__name__}:UnchainedSQLiteRecorder"}


def _import(
    path: Path, lines: Sequence[ManifestLine], env: dict[str, str] | None
) -> tuple[float, float]:
    """Wall and CPU seconds to record every line through ``record_stored`` in batches."""
    app = Maillage(StoreLocation.parse(str(path)), env=env)
    try:
        gc.collect()
        cpu = time.process_time()
        with stopwatch() as elapsed:
            for batch in batches(lines, BATCH):
                app.record_stored(bulk_events(batch, now()))
        seconds, cpu = elapsed(), time.process_time() - cpu
        if app.last_position() != len(lines):
            raise RuntimeError(f"recorded {app.last_position()} events, expected {len(lines)}")
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
        plain.append(_import(tmp / f"plain-{r}.sqlite", lines, UNCHAINED))
        chained.append(_import(tmp / f"chained-{r}.sqlite", lines, None))
        console.print(
            f"    without chain {plain[-1][0]:.2f} s (CPU {plain[-1][1]:.2f} s), "
            f"with chain {chained[-1][0]:.2f} s (CPU {chained[-1][1]:.2f} s)"
        )
    if _links(tmp / "chained-0.sqlite") != WRITE_DEVICES or _links(tmp / "plain-0.sqlite"):
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


def run() -> list[Figure]:
    """Both figures, on fresh SQLite files in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        return [_write_figure(Path(tmp)), _verify_figure(Path(tmp))]
