"""Keeps views up to date by reading the notification log in batches.

For each view the projector reads the next batch of notifications of the
view's topics, applies it and moves the view's tracking position in the same
transaction. A crash loses at most the batch in flight, which is read again on
restart: every event is applied exactly once. Several projectors may run at
once (two consoles, a rebuild beside the polling): each batch transaction
locks the view's tracking row and checks the position is still the one the
batch was read from, otherwise it drops the batch and reads again. SQLite has
no push subscription, so the console calls ``catch_up`` on a timer (polling).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.application import Maillage
from domain.store import StoreLocation, ViewConnection
from domain.views.view import View

TRACKING_TABLE = "view_positions"

Progress = Callable[[str, int, int], None]
"""Called with (view name, position reached, position to reach)."""


@dataclass(frozen=True)
class ViewPosition:
    """Where a view stands in the log."""

    name: str
    version: int
    position: int


class Projector:
    """Applies the log to a set of views, batch by batch, exactly once."""

    def __init__(
        self,
        app: Maillage,
        views: Sequence[View],
        batch_size: int = 1000,
        target: StoreLocation | None = None,
    ) -> None:
        """Views of ``app``'s log, kept in ``app``'s store or in ``target`` (a scratch store
        where an audit replays the log)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.app = app
        self.views = list(views)
        for view in self.views:
            view.attach(app)
        self.batch_size = batch_size
        location = target or app.location
        self.conn = ViewConnection.open(location)
        with location.setup_lock():
            self._ensure()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Projector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure(self) -> None:
        """Create the tracking table and every view; rebuild views whose version changed."""
        conn = self.conn
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} ("
            "view TEXT PRIMARY KEY, version INTEGER NOT NULL, position BIGINT NOT NULL)"
        )
        for view in self.views:
            row = conn.fetchone(
                f"SELECT version FROM {TRACKING_TABLE} WHERE view = ?", (view.name,)
            )
            if row is not None and row[0] != view.version:
                self._reset(view)
            elif row is None:
                view.create(conn)
                conn.execute(
                    f"INSERT INTO {TRACKING_TABLE} (view, version, position) VALUES (?, ?, 0)",
                    (view.name, view.version),
                )
        conn.commit()

    def _reset(self, view: View) -> None:
        """Empty the view and move it back to the start of the log.

        The tracking row is updated in place, never deleted: a projector waiting
        on its lock must then see position 0, not a vanished row.
        """
        view.drop(self.conn)
        view.create(self.conn)
        self.conn.execute(
            f"UPDATE {TRACKING_TABLE} SET version = ?, position = 0 WHERE view = ?",
            (view.version, view.name),
        )

    def positions(self) -> list[ViewPosition]:
        """Every tracked view and its position (including views not loaded here)."""
        rows = self.conn.fetchall(
            f"SELECT view, version, position FROM {TRACKING_TABLE} ORDER BY view"
        )
        self.conn.commit()
        return [ViewPosition(str(n), int(v), int(p)) for n, v, p in rows]

    def position(self, view: View) -> int:
        row = self.conn.fetchone(
            f"SELECT position FROM {TRACKING_TABLE} WHERE view = ?", (view.name,)
        )
        self.conn.commit()
        return int(row[0]) if row else 0

    def catch_up(self, progress: Progress | None = None, upto: int | None = None) -> int:
        """Bring every view up to the log's current end (or ``upto``); returns events applied."""
        target = self.app.last_position() if upto is None else upto
        applied = 0
        for view in self.views:
            applied += self._catch_up_view(view, target, progress)
        return applied

    def _catch_up_view(self, view: View, target: int, progress: Progress | None) -> int:
        position = self.position(view)
        applied = 0
        recorder = self.app.recorder
        while position < target:
            batch = recorder.select_notifications(
                start=position,
                limit=self.batch_size,
                stop=target,
                topics=view.topics,
                inclusive_of_start=False,
            )
            # A short batch means nothing of this view's topics is left up to target.
            reached = batch[-1].id if len(batch) == self.batch_size else target
            self.conn.begin_write()
            now_at = self._locked_position(view)
            if now_at != position:  # another projector moved this view meanwhile
                self.conn.rollback()
                position = now_at
                continue
            if batch:
                view.apply(self.conn, batch)
            self.conn.execute(
                f"UPDATE {TRACKING_TABLE} SET position = ? WHERE view = ?", (reached, view.name)
            )
            self.conn.commit()
            applied += len(batch)
            position = reached
            if progress:
                progress(view.name, position, target)
        return applied

    def _locked_position(self, view: View) -> int:
        row = self.conn.fetchone(
            f"SELECT position FROM {TRACKING_TABLE} WHERE view = ?{self.conn.lock_suffix}",
            (view.name,),
        )
        return int(row[0]) if row else 0

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every view and build it again from the whole log; returns events applied."""
        self.conn.begin_write()
        for view in self.views:
            self._locked_position(view)
            self._reset(view)
        self.conn.commit()
        return self.catch_up(progress)
