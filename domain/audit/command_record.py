"""Who did what: a record of the role, user and command behind every write transaction.

When the console has told the application who is working (``Maillage.act_as``),
each write transaction — ``save``, ``save_batch`` and the bulk ``record_stored``
alike — starts with one ``CommandRecord.Recorded`` event, inserted by the
recorder in the same statement as the events it covers, so that it sits in the
log right before them and the audit chain covers it like any other event::

    position p      CommandRecord.Recorded  role, user, command, scope, at, events=k
    p+1 … p+k       the k events the command wrote in that transaction

A bulk import that writes in batches leaves one record per batch transaction.
Without an actor (library use, domain tests) nothing is added.

The command's name is per thread and per asyncio task (a ``ContextVar``): the
command line names the whole invocation ("devices import manifest"), a TUI
screen may wrap what a binding does in ``app.command(binding_id)`` inside its
worker (a thread starts with no name set: the block goes inside the worker's
function, not around ``run_worker``); writes outside any ``command()`` block
take the name given to ``act_as`` ("console" in the TUI). Who works (role,
user, scope) is per application.

Reading it back: ``command_at(app, position)`` finds the record covering one
log position, ``commands_at(app, positions)`` a whole page of them (the event
browser, time travel, audit reports). Views skip the record's topic (they read
their own topics only; the activity view counts it as an event like any other).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError
from domain.store import ViewConnection

if TYPE_CHECKING:
    from domain.application import Maillage


class CommandRecord(MaillageAggregate):
    """One write transaction's who and what: created once, never changed (its own id, uuid4)."""

    @event("Recorded")
    def __init__(
        self,
        role: str,
        user: str,
        command: str,
        scope: str | None,
        at: datetime,
        events: int,
    ) -> None:
        self.role = role
        self.user = user
        self.command = command
        self.scope = scope
        self.at = at
        self.events = events


RECORDED_TOPIC = get_topic(CommandRecord.Recorded)
"""The record's topic in the log (views ignore it: it is in none of their topics)."""


@dataclass(frozen=True)
class Actor:
    """Who is working: a role, a user name and, for a ccas user, its municipality (INSEE)."""

    role: str
    user: str
    scope: str | None = None

    def __post_init__(self) -> None:
        if not self.role.strip() or not self.user.strip():
            raise InvalidInputError("the actor recorded with every command needs a role and a user")


_command: ContextVar[str | None] = ContextVar("maillage_command", default=None)


@contextmanager
def naming(command: str) -> Iterator[None]:
    """Name the command of every write in this block, in this thread or task only."""
    if not command.strip():
        raise InvalidInputError("a recorded command needs a name")
    token = _command.set(command)
    try:
        yield
    finally:
        _command.reset(token)


def current_command() -> str | None:
    """The command named by the innermost ``naming`` block of this thread or task (or None)."""
    return _command.get()


def stored_record(mapper: Mapper[Any], actor: Actor, command: str, events: int) -> StoredEvent:
    """The stored ``Recorded`` event of a transaction writing ``events`` events, stamped now."""
    record = CommandRecord(actor.role, actor.user, command, actor.scope, clock.now(), events)
    (created,) = record.collect_events()
    return mapper.to_stored_event(created)


@dataclass(frozen=True)
class CommandInfo:
    """A command record read back from the log, and the positions it covers."""

    position: int
    """Where the record itself is in the log."""
    role: str
    user: str
    command: str
    scope: str | None
    at: datetime
    events: int
    """How many events the transaction wrote after the record."""
    last_covered: int
    """The last of those events' positions (the record's own when ``events`` is 0)."""

    def covers(self, position: int) -> bool:
        """Whether ``position`` is the record or one of the events it covers."""
        return self.position <= position <= self.last_covered


def command_at(
    app: Maillage, position: int, conn: ViewConnection | None = None
) -> CommandInfo | None:
    """The command record covering a log position, or None (written without an actor).

    The covering record is the nearest one at or before ``position`` whose
    events reach it; a record covers its own position too. ``conn`` lets a
    caller reuse its connection to the store (one is opened otherwise).
    """
    return commands_at(app, [position], conn).get(position)


def commands_at(
    app: Maillage, positions: Iterable[int], conn: ViewConnection | None = None
) -> dict[int, CommandInfo]:
    """The covering command record of each position that has one (a page of the event browser).

    Reads the records from the nearest one at or before the smallest position up
    to the largest, and for each of them the last position it covers (one query
    each). Finding the nearest record walks the log backwards from the smallest
    position: instant where commands are recorded, a scan down to the first
    record (or the start) for positions written without an actor.
    """
    wanted = sorted({int(p) for p in positions})
    if not wanted:
        return {}
    own = conn is None
    c = ViewConnection.open(app.location) if conn is None else conn
    try:
        records = _records_between(app, c, wanted[0], wanted[-1])
    finally:
        if own:
            c.close()
    starts = [r.position for r in records]
    found: dict[int, CommandInfo] = {}
    for p in wanted:
        i = bisect_right(starts, p) - 1
        if i >= 0 and records[i].covers(p):
            found[p] = records[i]
    return found


def _records_between(app: Maillage, c: ViewConnection, first: int, last: int) -> list[CommandInfo]:
    """Records from the nearest at or before ``first`` up to ``last``, with what they cover."""
    nid = "rowid" if c.kind == "sqlite" else "notification_id"
    events = app.events_table
    select = f"SELECT {nid}, originator_id, originator_version, topic, state FROM {events}"
    rows = c.fetchall(
        f"{select} WHERE topic = ? AND {nid} <= ? ORDER BY {nid} DESC LIMIT 1",
        (RECORDED_TOPIC, first),
    )
    rows += c.fetchall(
        f"{select} WHERE topic = ? AND {nid} > ? AND {nid} <= ? ORDER BY {nid}",
        (RECORDED_TOPIC, first, last),
    )
    # The events a record covers are the next ``events`` rows of the log: one
    # transaction under the store's write lock inserted them with the record.
    last_of_run = (
        f"SELECT MAX(n) FROM (SELECT {nid} AS n FROM {events} WHERE {nid} > ? "
        f"ORDER BY {nid} LIMIT ?) AS run"
    )
    out = []
    for n, originator_id, version, topic, state in rows:
        aggregate_id = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        record = app.mapper.to_domain_event(
            StoredEvent(aggregate_id, int(version), str(topic), bytes(state))
        )
        assert isinstance(record, CommandRecord.Recorded)
        covered = c.fetchone(last_of_run, (n, record.events)) if record.events > 0 else None
        out.append(
            CommandInfo(
                position=int(n),
                role=record.role,
                user=record.user,
                command=record.command,
                scope=record.scope,
                at=record.at,
                events=record.events,
                last_covered=int(covered[0]) if covered and covered[0] is not None else int(n),
            )
        )
    return out
