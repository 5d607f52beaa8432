"""Creation events built straight from import rows, without aggregate objects.

Constructing an aggregate (event object, mutate, pending list) and running the
library's generic mapper costs more than the insert itself on imports of
hundreds of thousands of records. Here a creation event is encoded directly in
the library's stored format; ``tests/domain/test_bulk.py`` checks that the
bytes equal the mapper's for the same event and that the repository rebuilds
the same aggregate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def transcoded_timestamp(moment: datetime) -> dict[str, str]:
    """A timestamp in the library's JSON form (``datetime_iso`` transcoding)."""
    if moment.tzinfo is None:
        raise ValueError("event timestamps must be aware (UTC)")
    return {"_type_": "datetime_iso", "_data_": moment.isoformat()}


def creation_events(
    aggregate_cls: type[Aggregate],
    created_event_cls: type[Aggregate.Created],
    rows: Iterable[tuple[UUID, Mapping[str, Any]]],
    timestamp: datetime,
) -> list[StoredEvent]:
    """Stored creation events (version 1) for ``(aggregate id, init fields)`` rows.

    Fields must be JSON-native (str, int, float, bool, None, lists, dicts): the
    caller has already validated and normalised them with the aggregate's rules.
    """
    topic = get_topic(created_event_cls)
    header = {
        "timestamp": transcoded_timestamp(timestamp),
        "originator_topic": get_topic(aggregate_cls),
    }
    out = []
    for aggregate_id, fields in rows:
        state = dict(header)
        state.update(fields)
        out.append(StoredEvent(aggregate_id, 1, topic, _encode(state).encode("utf8")))
    return out
