"""Keeps views up to date by reading the notification log in batches.

Views that stand at the same log position are caught up together: the
projector reads the next batch of notifications of their topics once, each
view applies the events of its own topics (an event's state is decoded once,
whatever the number of views that read it; a topic no view of the batch
handles is not decoded at all), and every view's tracking position moves in
the same transaction. A crash loses at most the batch in flight, which is
read again on restart: every event is applied exactly once. Several
projectors may run at once (two consoles, a rebuild beside the polling): each
batch transaction locks the tracking rows of its views (in the order of their
names, so two projectors never wait on each other in a circle) and checks they
still stand where the batch was read from, otherwise it drops the batch and
reads again. SQLite has no push subscription, so the console calls
``catch_up`` on a timer (polling).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.application import Maillage
from domain.errors import StoreUnavailableError
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
        self._sqlite_read = SQLiteLogReader.of(app.recorder)
        location = target or app.location
        self.read_only = location.read_only
        self.conn = ViewConnection.open(location)
        if self.read_only:  # read as it is: nothing created, nothing moved
            if self.views:
                self.conn.close()
                raise StoreUnavailableError(
                    f"the store {location.label} is read-only for this account: its views "
                    "cannot be brought up to date here (commands that list read them from "
                    "its log)"
                )
            return
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
        if self.read_only and not self.conn.table_exists(TRACKING_TABLE):
            return []
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
        """Bring every view up to the log's current end (or ``upto``); returns events applied.

        Views that stand at the same position read the log together: one read of
        the union of their topics per batch, each event's state decoded at most
        once (``event_state`` keeps it on the notification), and every view of the
        group applied and moved in the same transaction. A view behind the others
        (a new version being rebuilt) reads alone, only its topics, until it
        reaches them. The count is per view, as if each had read the log alone.
        """
        target = self.app.last_position() if upto is None else upto
        applied = 0
        positions = self._positions()
        while True:
            behind = [v for v in self.views if positions.get(v.name, 0) < target]
            if not behind:
                return applied
            start = min(positions.get(v.name, 0) for v in behind)
            group = [v for v in behind if positions.get(v.name, 0) == start]
            # Stop where the next views stand, so that they are joined there.
            stop = min([target, *(positions.get(v.name, 0) for v in behind if v not in group)])
            moved = self._apply_batch(group, start, stop, target, progress)
            if moved is None:  # another projector moved some of them meanwhile
                positions = self._positions()
                continue
            count, reached = moved
            applied += count
            positions.update((view.name, reached) for view in group)

    def _positions(self) -> dict[str, int]:
        rows = self.conn.fetchall(f"SELECT view, position FROM {TRACKING_TABLE}")
        self.conn.commit()
        return {str(name): int(position) for name, position in rows}

    def _apply_batch(
        self, group: list[View], start: int, stop: int, target: int, progress: Progress | None
    ) -> tuple[int, int] | None:
        """Read the next batch after ``start`` for ``group`` and apply it: (events applied,
        position reached), or None, nothing applied, if another projector moved one of these
        views meanwhile."""
        topics: tuple[str, ...] = ()
        if all(view.topics for view in group):
            topics = tuple(sorted({t for view in group for t in view.topics}))
        batch = self._read(start, stop, topics)
        # A short batch means nothing of these views' topics is left up to stop.
        reached = batch[-1].id if len(batch) == self.batch_size else stop
        names = sorted(view.name for view in group)
        self.conn.begin_write()
        locked = self._locked_positions(names)
        if any(locked.get(name, 0) != start for name in names):
            self.conn.rollback()
            return None
        applied = 0
        for view in group:
            mine = _of_topics(batch, view.topics)
            if mine:
                view.apply(self.conn, mine)
                applied += len(mine)
        self.conn.executemany(
            f"UPDATE {TRACKING_TABLE} SET position = ? WHERE view = ?",
            [(reached, name) for name in names],
        )
        self.conn.commit()
        if progress:
            for view in group:
                progress(view.name, reached, target)
        return applied, reached

    def _read(self, start: int, stop: int, topics: tuple[str, ...]) -> Sequence[Notification]:
        """The next ``batch_size`` notifications after ``start`` up to ``stop`` (of ``topics``)."""
        if self._sqlite_read is not None:
            return self._sqlite_read(start, stop, topics, self.batch_size)
        return self.app.recorder.select_notifications(
            start=start,
            limit=self.batch_size,
            stop=stop,
            topics=topics,
            inclusive_of_start=False,
        )

    def _locked_positions(self, names: Sequence[str]) -> dict[str, int]:
        """Positions of views ``names``, their tracking rows locked until commit.

        Rows are locked in the order of their names whatever the caller, so two
        projectors never wait on each other's rows in a circle (PostgreSQL).
        """
        if not names:
            return {}
        marks = ", ".join("?" for _ in names)
        rows = self.conn.fetchall(
            f"SELECT view, position FROM {TRACKING_TABLE} WHERE view IN ({marks}) "
            f"ORDER BY view{self.conn.lock_suffix}",
            tuple(names),
        )
        return {str(name): int(position) for name, position in rows}

    def rebuild(self, progress: Progress | None = None) -> int:
        """Build every view again from the whole log, then put it in place of the live one;
        returns events applied.

        The views are built into new tables beside the live ones (an SQLite file next to
        the store, a new PostgreSQL schema) and swapped in with their positions in one
        transaction at the end: a rebuild that fails leaves every view as it was.
        """
        upto = self.app.last_position()
        with _scratch(self.app.location) as scratch:
            with Projector(self.app, self.views, self.batch_size, target=scratch) as built:
                applied = built.catch_up(progress, upto=upto)
                positions = built._positions()
            self._swap_in(scratch, positions)
        return applied + self.catch_up(progress)

    def _swap_in(self, scratch: StoreLocation, positions: dict[str, int]) -> None:
        """Replace the live views by the ones built in ``scratch``, in one transaction."""
        conn, names = self.conn, sorted(view.name for view in self.views)
        if conn.kind == "sqlite":
            conn.rollback()  # ATTACH cannot run inside a transaction
            conn.execute("ATTACH DATABASE ? AS rebuilt", (str(scratch.path),))
        try:
            conn.begin_write()
            self._locked_positions(names)
            for view in self.views:
                view.drop(conn)
                if conn.kind == "sqlite":
                    view.create(conn)
                    for table in view.tables:
                        conn.execute(f"INSERT INTO main.{table} SELECT * FROM rebuilt.{table}")
                else:  # the tables move with their indexes
                    for table in view.tables:
                        conn.execute(f'ALTER TABLE "{scratch.schema}".{table} SET SCHEMA '
                                     f'"{self.app.location.schema}"')  # fmt: skip
            conn.executemany(
                f"UPDATE {TRACKING_TABLE} SET version = ?, position = ? WHERE view = ?",
                [(view.version, positions.get(view.name, 0), view.name) for view in self.views],
            )
            conn.commit()
        finally:
            conn.rollback()
            if conn.kind == "sqlite":
                conn.execute("DETACH DATABASE rebuilt")
                conn.commit()


@contextmanager
def _scratch(location: StoreLocation) -> Iterator[StoreLocation]:
    """An empty place beside the store to build views in, removed afterwards."""
    tag = uuid4().hex[:10]
    if location.kind == "sqlite":
        assert location.path is not None
        path = location.path.with_name(f"{location.path.name}.rebuild-{tag}")
        scratch = StoreLocation(kind="sqlite", path=path)
        try:
            scratch.prepare()
            yield scratch
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    scratch = replace(location, schema=f"{location.schema[:40]}_rebuild_{tag}")
    try:
        scratch.prepare()
        yield scratch
    finally:
        with location.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{scratch.schema}" CASCADE')


def _of_topics(batch: Sequence[Notification], topics: tuple[str, ...]) -> Sequence[Notification]:
    """The notifications of ``batch`` a view with ``topics`` reads (every one for no topics)."""
    if not topics:
        return batch
    wanted = frozenset(topics)
    return [n for n in batch if n.topic in wanted]


_HEX_ID = re.compile("[0-9a-f]{32}").fullmatch
_CANONICAL_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def canonical_id(text: str) -> str:
    """An aggregate id stored as text, spelt as ``str(UUID(text))`` (what views keep)."""
    if len(text) == 32 and _HEX_ID(text):  # how maillage's SQLite recorder stores ids
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    if len(text) == 36 and _CANONICAL_ID(text):
        return text
    return str(UUID(text))  # any other spelling UUID accepts, or its error


class SQLiteLogReader:
    """Reads a batch of notifications from an SQLite store, ids as canonical text.

    The library's ``select_notifications`` builds a ``UUID`` for every event's
    originator id (and reads rows by column name), which each view then turns back
    into text: about a tenth of the time of a replay. This reads the same rows
    through the recorder's own connection pool, and gives the id as the text
    ``str(UUID(...))`` would give (the mapper accepts either). Only for stores
    whose ids are UUIDs; anything else uses the library.
    """

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        self.table = recorder.events_table_name

    @classmethod
    def of(cls, recorder: object) -> SQLiteLogReader | None:
        if isinstance(recorder, SQLiteApplicationRecorder) and (
            recorder.datastore.originator_id_type == "uuid"
        ):
            return cls(recorder)
        return None

    def __call__(
        self, start: int, stop: int, topics: tuple[str, ...], limit: int
    ) -> list[Notification]:
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE rowid > ? AND rowid <= ? "
        )
        params: list[int | str] = [start, stop]
        if topics:
            statement += f"AND topic IN ({','.join('?' * len(topics))}) "
            params += topics
        statement += "ORDER BY rowid LIMIT ?"
        params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            rows = c.fetchall()
        return [
            Notification(
                id=row[0],
                originator_id=canonical_id(row[1]),
                originator_version=row[2],
                topic=row[3],
                state=row[4],
            )
            for row in rows
        ]


def caught_up(app: Maillage) -> ViewConnection:
    """A connection to every view brought up to the end of the log (the caller closes it)."""
    from domain.views.catalogue import all_views

    if app.location.read_only:
        # A store this process may not write: its views are built from its log in a scratch
        # store of this process, removed when the connection closes.
        scratch = tempfile.TemporaryDirectory(prefix="maillage-views-")
        target = StoreLocation.parse(str(Path(scratch.name) / "views.sqlite"))
        with Projector(app, all_views(), target=target) as projector:
            projector.catch_up()
        conn = ViewConnection.open(target)
        conn.scratch = scratch
        return conn
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    return ViewConnection.open(app.location)
