"""Replay: every view rebuilt from the log in a scratch store and compared with the live views.

The live views are brought to a log position P, the scratch views are built
from nothing up to the same P, and each view's rows are compared in a
canonical order. Equal views show that what the console displays follows from
the log alone — nothing was written to a view that the log does not say.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from domain.application import Maillage
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector


@dataclass(frozen=True)
class ViewDifference:
    """A table whose rows differ: how many rows only the live or only the replay has."""

    view: str
    table: str
    only_live: int
    only_replayed: int


@dataclass
class ReplayReport:
    """What the replay compared, up to which log position, how fast, and what differed."""

    position: int
    events_applied: int
    seconds: float
    views: list[str] = field(default_factory=list)
    differences: list[ViewDifference] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.differences

    @property
    def events_per_s(self) -> float:
        return self.events_applied / self.seconds if self.seconds else 0.0


def replay(
    app: Maillage,
    scratch: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReplayReport:
    """Rebuild every view into a scratch SQLite file (a temporary one by default) and compare."""
    with tempfile.TemporaryDirectory(prefix="maillage-replay-") as tmp:
        target = StoreLocation(kind="sqlite", path=scratch or Path(tmp) / "replay.sqlite")
        with Projector(app, all_views()) as live:
            position = app.last_position()
            live.catch_up(upto=position)
            # Another console may have moved a view beyond P meanwhile: compare at its place.
            position = max([position, *(p.position for p in live.positions())])
            live.catch_up(upto=position)
            with Projector(app, all_views(), target=target) as rebuilt:
                started = time.perf_counter()
                applied = rebuilt.catch_up(progress, upto=position)
                seconds = time.perf_counter() - started
                report = ReplayReport(position, applied, seconds)
                for live_view, new_view in zip(live.views, rebuilt.views, strict=True):
                    report.views.append(live_view.name)
                    ours, theirs = live_view.contents(live.conn), new_view.contents(rebuilt.conn)
                    for table in live_view.tables:
                        a, b = ours.get(table, []), theirs.get(table, [])
                        if a != b:
                            only_live = len(set(a) - set(b)) or abs(len(a) - len(b))
                            report.differences.append(
                                ViewDifference(
                                    live_view.name, table, only_live, len(set(b) - set(a))
                                )
                            )
                live.conn.commit()
                rebuilt.conn.commit()
        return report
