"""The event log as it stood at one position: what every report reads, so nothing shifts under it.

``LogAsOf.capture`` takes the chain's head (position P and its link) and the
time once, at the start; every read after that is limited to positions ≤ P:
aggregates are rebuilt from their events up to P, lists of aggregates come
from the notification log up to P. Events written meanwhile (another console,
a recorder still running) are simply not seen, so a report is one consistent
state of the log — the one its stated position and link name.

Both backends hand out positions in commit order (SQLite's single writer,
PostgreSQL's table lock on insert), so no event can later appear at or below
P once P was read as the head.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain import clock
from domain.application import Maillage
from domain.audit.chain import INFO_TABLE
from domain.audit.reports.model import Stated
from domain.audit.verify import chain_head
from domain.errors import InvalidInputError, NotFoundError
from domain.store import ViewConnection

A = TypeVar("A", bound=Aggregate)
Positioned = tuple[int, Any]
"""(log position, domain event)."""

_PAGE = 1000
_IDS_PER_QUERY = 500


@dataclass
class LogAsOf:
    """Reads of one store limited to positions up to ``stated.position`` (included)."""

    app: Maillage
    stated: Stated

    @classmethod
    def capture(cls, app: Maillage, made_by: str, role: str) -> LogAsOf:
        """Take the chain's head and the time now; every later read stops at that head."""
        position, link = chain_head(app)
        made_at = clock.now()
        return cls(app, Stated(position, link.hex(), _store_id(app), made_at, made_by, role))

    @property
    def position(self) -> int:
        return self.stated.position

    @property
    def made_at(self) -> datetime:
        return self.stated.made_at

    # ------------------------------------------------------------------ notification log

    def of_topic(self, event_class: type) -> list[Positioned]:
        """Every event of one type up to the position, decoded, in log order."""
        topic = get_topic(event_class)
        out: list[Positioned] = []
        start = 1
        while self.position and start <= self.position:
            batch = self.app.recorder.select_notifications(
                start, _PAGE, stop=self.position, topics=[topic]
            )
            out += [(n.id, self.app.mapper.to_domain_event(n)) for n in batch]
            if len(batch) < _PAGE:
                break
            start = batch[-1].id + 1
        return out

    def created(
        self, created_class: type, keep: Callable[[Any], bool] = lambda _: True
    ) -> list[UUID]:
        """Ids of the aggregates created (by ``created_class`` events) up to the position,
        whose creation event ``keep`` accepts, in log order."""
        return [e.originator_id for _, e in self.of_topic(created_class) if keep(e)]

    def find(self, created_class: type, text: str, what: str) -> UUID:
        """An aggregate named by its full id, a unique prefix of at least 6 characters, or its
        reference as lists show it (``R-1A2B3C4D`` for a round, ``W-…`` for an alert)."""
        wanted = strip_reference(text).lower().replace("-", "")
        if len(wanted) < 6:
            raise NotFoundError(f"no {what} with id {text.strip()!r} (give at least 6 characters)")
        found = [i for i in self.created(created_class) if i.hex.startswith(wanted)]
        if not found:
            raise NotFoundError(
                f"no {what} with id {text.strip()!r} in the log up to position {self.position}"
            )
        if len(found) > 1:
            raise InvalidInputError(
                f"{len(found)} {what}s start with {text.strip()!r}: give more characters"
            )
        return found[0]

    # ------------------------------------------------------------------ aggregates

    def events(self, ids: Sequence[UUID]) -> dict[UUID, list[Positioned]]:
        """The events of these aggregates up to the position, each list in log order."""
        out: dict[UUID, list[Positioned]] = {i: [] for i in ids}
        if not ids or not self.position:
            return out
        conn = ViewConnection.open(self.app.location)
        try:
            for start in range(0, len(ids), _IDS_PER_QUERY):
                for row in self._rows(conn, ids[start : start + _IDS_PER_QUERY]):
                    position, originator, version, topic, state = row
                    oid = originator if isinstance(originator, UUID) else UUID(originator)
                    stored = StoredEvent(oid, int(version), str(topic), bytes(state))
                    out[oid].append((int(position), self.app.mapper.to_domain_event(stored)))
        finally:
            conn.close()
        for events in out.values():
            events.sort(key=lambda pair: pair[0])
        return out

    def _rows(self, conn: ViewConnection, ids: Sequence[UUID]) -> list[tuple[Any, ...]]:
        table = self.app.events_table
        if conn.kind == "sqlite":
            marks = ",".join("?" * len(ids))
            return conn.fetchall(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                f"WHERE originator_id IN ({marks}) AND rowid <= ?",
                [*(i.hex for i in ids), self.position],
            )
        return conn.fetchall(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {table} WHERE originator_id = ANY(?) AND notification_id <= ?",
            (list(ids), self.position),
        )

    def aggregates(self, ids: Iterable[UUID], kind: type[A]) -> list[A]:
        """These aggregates as they were at the position (those not yet created are left out)."""
        wanted = list(dict.fromkeys(ids))
        events = self.events(wanted)
        out = []
        for aggregate_id in wanted:
            if events[aggregate_id]:
                aggregate = project_aggregate(None, [e for _, e in events[aggregate_id]])
                if isinstance(aggregate, kind):
                    out.append(aggregate)
        return out

    def get(self, aggregate_id: UUID, kind: type[A], name: str | None = None) -> A:
        """One aggregate as it was at the position, or ``NotFoundError`` naming it."""
        found = self.aggregates([aggregate_id], kind)
        if not found:
            label = name or f"{kind.__name__.lower()} {aggregate_id}"
            raise NotFoundError(f"no {label} in the log up to position {self.position}")
        return found[0]


def _store_id(app: Maillage) -> str | None:
    conn = ViewConnection.open(app.location)
    try:
        if not conn.table_exists(INFO_TABLE):
            return None
        row = conn.fetchone(f"SELECT value FROM {INFO_TABLE} WHERE key = ?", ("store_id",))
    finally:
        conn.close()
    return str(row[0]) if row else None


def strip_reference(text: str) -> str:
    """The hex digits of a reference as lists show it (``R-1A2B3C4D`` → ``1A2B3C4D``): a
    round's or an alert's letter and dash are not part of its id."""
    cleaned = text.strip()
    return cleaned[2:] if re.fullmatch(r"[RW]-[0-9A-Fa-f]{6,}", cleaned) else cleaned
