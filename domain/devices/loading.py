"""Rebuild many aggregates at once: one query per chunk of ids instead of one per aggregate.

Commands over thousands of serials (packing a pallet, a delivery note of 10,000
devices) would otherwise spend most of their time in round trips to the store.
The events are read from the store's own table, decoded by the application's
mapper (so transcodings and any cipher apply as usual) and projected as the
library's repository does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from domain.application import Maillage
from domain.errors import NotFoundError
from domain.store import ViewConnection

A = TypeVar("A", bound=Aggregate)

CHUNK = 500
"""Ids per query: well under SQLite's limit of bound parameters."""


def load_many(app: Maillage, ids: Sequence[UUID], kind: type[A]) -> dict[UUID, A]:
    """The aggregates with these ids that exist, by id; an id of another kind is refused."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    table = app.events_table
    events: dict[UUID, list[Any]] = {}
    conn = ViewConnection.open(app.location)
    try:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            if conn.kind == "sqlite":
                marks = ",".join("?" * len(chunk))
                rows = conn.fetchall(
                    f"SELECT originator_id, originator_version, topic, state FROM {table} "
                    f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version",
                    [i.hex for i in chunk],
                )
            else:
                rows = conn.fetchall(
                    f"SELECT originator_id, originator_version, topic, state FROM {table} "
                    "WHERE originator_id = ANY(?) ORDER BY originator_id, originator_version",
                    (chunk,),
                )
            for originator, version, topic, state in rows:
                aggregate_id = originator if isinstance(originator, UUID) else UUID(originator)
                stored = StoredEvent(aggregate_id, int(version), str(topic), bytes(state))
                events.setdefault(aggregate_id, []).append(app.mapper.to_domain_event(stored))
    finally:
        conn.close()
    found: dict[UUID, A] = {}
    for aggregate_id, history in events.items():
        aggregate: Any = None
        for domain_event in history:
            aggregate = domain_event.mutate(aggregate)
        if not isinstance(aggregate, kind):
            raise NotFoundError(
                f"{aggregate_id} is a {type(aggregate).__name__}, not a {kind.__name__}"
            )
        found[aggregate_id] = aggregate
    return found
