"""Replay: every view rebuilt from the log in a scratch store and compared with the live views.

The live views are brought to a log position P, the scratch views are built
from nothing up to the same P, and every row of every table is compared, as
multisets (equal counts of equal rows, no order needed). Equal views show that
what the console displays follows from the log alone — nothing was written to
a view that the log does not say.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from domain.application import Maillage
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector


@dataclass(frozen=True)
class ViewDifference:
    """A table whose rows differ: how many rows only the live or only the replay has
    (rows compared as multisets: a row twice in one and once in the other counts once)."""

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

    def lines(self) -> list[str]:
        """The outcome in words: equal or not, up to where, how fast, then each difference."""
        state = "equal to" if self.equal else "DIFFERENT from"
        return [
            f"{len(self.views)} views replayed up to position {self.position:,}: "
            f"{state} the live views ({self.events_applied:,} events, "
            f"{self.events_per_s:,.0f} events/s)",
            *(
                f"  {d.view}/{d.table}: {d.only_live} rows only live, "
                f"{d.only_replayed} only replayed"
                for d in self.differences
            ),
        ]


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
                if scratch is None:
                    _throwaway(rebuilt.conn)
                started = time.perf_counter()
                applied = rebuilt.catch_up(progress, upto=position)
                seconds = time.perf_counter() - started
                report = ReplayReport(position, applied, seconds)
                for live_view, new_view in zip(live.views, rebuilt.views, strict=True):
                    report.views.append(live_view.name)
                    ours, theirs = live_view.rows(live.conn), new_view.rows(rebuilt.conn)
                    for table in live_view.tables:
                        a, b = ours.get(table, Counter()), theirs.get(table, Counter())
                        if a != b:
                            report.differences.append(
                                ViewDifference(
                                    live_view.name, table, (a - b).total(), (b - a).total()
                                )
                            )
                live.conn.commit()
                rebuilt.conn.commit()
        return report


def _throwaway(conn: ViewConnection) -> None:
    """Let a temporary scratch store skip syncing its writes to disk.

    It is deleted once compared, so a crash may lose it whole without harm; without
    the fsyncs of its WAL checkpoints the rebuild runs a tenth faster, more on a busy
    disk. A scratch file the user keeps (``--scratch``) is written as any store is.
    """
    conn.rollback()  # the setting cannot change inside a transaction
    conn.raw.execute("PRAGMA synchronous = OFF")
    conn.commit()
