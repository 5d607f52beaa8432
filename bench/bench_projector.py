"""View catch-up: the projector's batched transactions against one event per transaction."""

from __future__ import annotations

import gc
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench.bench_bulk import bulk_events, manifest
from bench.common import Figure, stopwatch
from domain.application import Maillage
from domain.store import StoreLocation
from domain.views.activity import ActivityView
from domain.views.projector import TRACKING_TABLE, Projector

SQLITE_EVENTS = 1_000_000
SQLITE_ANCHOR_EVENTS = 20_000
PG_URL = "postgresql://127.0.0.1:5432/test"
PG_EVENTS = 200_000
PG_ANCHOR_EVENTS = 5_000
BATCH = 1_000
FIRST_STAMP = datetime(2025, 1, 6, 6, 30, tzinfo=UTC)
STAMP_STEP = timedelta(hours=8)  # one import batch every 8 hours: ~330 days per million events

console = Console()


def fill(app: Maillage, events: int, label: str) -> None:
    """Record ``events`` Device.Announced events through the bulk path, with a progress bar."""
    columns = (
        TextColumn("  {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with stopwatch() as elapsed, Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"filling {label}", total=events)
        for i, start in enumerate(range(0, events, BATCH)):
            lines = list(manifest(min(BATCH, events - start), start))
            app.record_stored(bulk_events(lines, FIRST_STAMP + i * STAMP_STEP))
            progress.advance(task, len(lines))
    if app.last_position() != events:
        raise RuntimeError(f"{label}: filled {app.last_position()} events, expected {events}")
    console.print(f"  filled {label} with {events:,} events in {elapsed():.0f} s (not timed)")


def reset_views(app: Maillage) -> None:
    """Drop the activity view and every tracking position, so the next projector starts at 0."""
    with app.location.connect() as conn:
        ActivityView().drop(conn)
        conn.execute(f"DELETE FROM {TRACKING_TABLE}")


def timed_catch_up(app: Maillage, batch_size: int, upto: int) -> float:
    """Seconds for a fresh activity view to catch up to ``upto``; checks every event counted."""
    with Projector(app, [ActivityView()], batch_size=batch_size) as projector:
        gc.collect()
        with stopwatch() as elapsed:
            applied = projector.catch_up(upto=upto)
        seconds = elapsed()
        row = projector.conn.fetchone("SELECT SUM(events) FROM activity_view")
        projector.conn.commit()
    counted = int(row[0]) if row and row[0] is not None else 0
    if applied != upto or counted != upto:
        raise RuntimeError(f"catch-up applied {applied} and counted {counted}, expected {upto}")
    return seconds


def measure(app: Maillage, events: int, anchor_events: int, backend: str) -> Figure:
    """Batched catch-up over the whole store, then one event per transaction over its start."""
    console.print(f"  projector: {backend}, catch-up of {events:,} events, batch_size={BATCH:,}…")
    batched_s = timed_catch_up(app, BATCH, events)
    console.print(f"    {batched_s:.2f} s")
    reset_views(app)
    console.print(f"  projector: {backend}, first {anchor_events:,} events, batch_size=1…")
    single_s = timed_catch_up(app, 1, anchor_events)
    console.print(f"    {single_s:.2f} s")
    return Figure(
        name=f"view catch-up, {backend} ({events:,} events)",
        value=events / batched_s,
        anchor=anchor_events / single_s,
        unit="events/s",
        anchor_label=f"1 event per transaction (first {anchor_events:,})",
    )


def _sqlite_figure() -> Figure:
    """Activity view over a million events in a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        app = Maillage(StoreLocation.parse(str(Path(tmp) / "store.sqlite")))
        try:
            fill(app, SQLITE_EVENTS, "SQLite store")
            return measure(app, SQLITE_EVENTS, SQLITE_ANCHOR_EVENTS, "SQLite")
        finally:
            app.close()


def _postgres_figure() -> Figure | None:
    """Activity view over 200,000 events in a fresh schema, or None when no server answers."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        console.print("  projector: psycopg is not installed, PostgreSQL figure skipped")
        return None
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as e:
        reason = (str(e).strip().splitlines() or ["no answer"])[0]
        console.print(f"  projector: no PostgreSQL at {PG_URL} ({reason}), figure skipped")
        return None
    schema = f"bench_{secrets.token_hex(4)}"
    try:
        app = Maillage(StoreLocation.parse(f"{PG_URL}?schema={schema}"))
        try:
            fill(app, PG_EVENTS, f"PostgreSQL schema {schema}")
            return measure(app, PG_EVENTS, PG_ANCHOR_EVENTS, "PostgreSQL")
        finally:
            app.close()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def run() -> list[Figure]:
    """Catch-up rate of the activity view (reads every event) on SQLite and PostgreSQL."""
    figures = [_sqlite_figure()]
    postgres = _postgres_figure()
    if postgres is not None:
        figures.append(postgres)
    return figures
