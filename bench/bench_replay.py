"""Audit replay of the demo store: every view rebuilt from the log into a scratch store and
compared with the live views, against the issue's bound of 30,000 events/s on SQLite."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bench.common import Figure
from console.demo import build_demo
from domain.application import Maillage
from domain.audit.replay import replay
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector

BOUND = 30_000.0
console = Console()


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        app = Maillage(StoreLocation.parse(str(Path(tmp) / "demo.sqlite")))
        console.print("  replay: building the demo store…")
        build_demo(app, datetime(2026, 3, 20, 10, 0, tzinfo=UTC))
        with Projector(app, all_views()) as projector:
            projector.catch_up()
        console.print("  replay: replaying the log into a scratch store…")
        report = replay(app)
        app.close()
    if not report.equal:
        raise RuntimeError(f"the replay differs from the live views: {report.differences}")
    console.print(
        f"    {report.events_applied:,} view events up to position {report.position:,} "
        f"in {report.seconds:.1f} s: equal"
    )
    return [
        Figure(
            name=f"audit replay of the demo, SQLite ({len(report.views)} views, equal)",
            value=report.events_per_s,
            anchor=BOUND,
            unit="events/s",
            anchor_label="the issue's bound",
        )
    ]
