"""The audit chain's links: one function computes them for the recorders and the verifier.

Every stored event gets a link in the chain table, keyed by its notification id::

    link(n) = SHA-256( link(p)                   32 bytes; p = the previous event's id
                     ‖ n                          8 bytes, big-endian (notification id)
                     ‖ originator version         8 bytes, big-endian, signed
                     ‖ len(id) ‖ len(topic)       4 + 4 bytes, big-endian (UTF-8 lengths)
                     ‖ originator id              canonical string (``canonical_id``), UTF-8
                     ‖ topic                      UTF-8
                     ‖ state )                    the stored bytes, to the end

with ``link(p)`` = ``GENESIS`` for the first event. Every field before the
state has a fixed size or a stated length, so the encoding is unambiguous. The
originator id is canonicalised because the same id reaches the recorders as a
``UUID`` (the library's save path, PostgreSQL reads) or as its 32-digit hex
string (the bulk path, SQLite reads). A chain row also keeps ``p`` (``prev_id``)
so that verification can tell deleted rows from PostgreSQL's legitimate gaps in
notification ids (a rolled-back insert consumes sequence numbers).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from typing import Final
from uuid import UUID, uuid5

from eventsourcing.domain import event
from eventsourcing.persistence import StoredEvent

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.bulk import creation_events
from domain.errors import MaillageError

CHAIN_TABLE: Final = "audit_chain"
"""One row per stored event: ``(notification_id, prev_id, link)``."""
INFO_TABLE: Final = "audit_chain_info"
"""Facts about the chain: ``store_id``, ``created_at``, ``backfilled_through``."""
GENESIS: Final = hashlib.sha256(b"maillage audit chain v1").digest()
"""The link before the first event (a fixed, versioned constant)."""

ChainInput = tuple[int, "UUID | str", int, str, bytes]
"""What a link covers: (notification id, originator id, originator version, topic, state)."""

_FIXED = struct.Struct(">QqII")  # notification id, version, id length, topic length


class AuditChainError(MaillageError):
    """The chain cannot be extended: the store was altered (rows removed under the chain)."""


def canonical_id(originator_id: UUID | str) -> str:
    """An originator id as 32 lower-case hex digits if it is a UUID, else as given.

    A 32-character lower-case string is already canonical (if it is not hex it
    is no UUID either), which keeps the SQLite read path free of UUID parsing.
    """
    if isinstance(originator_id, UUID):
        return originator_id.hex
    if len(originator_id) == 32 and originator_id.lower() == originator_id:
        return originator_id
    try:
        return UUID(originator_id).hex
    except ValueError:
        return originator_id


def chain_links(prev_link: bytes, events: Iterable[ChainInput]) -> list[bytes]:
    """The links of consecutive events, the first one chained on ``prev_link``.

    The one implementation of the formula (see the module): recorders call it
    on each written batch, the verifier on each batch it reads. Written for
    speed: hex ids as the SQLite store keeps them skip ``canonical_id``, and a
    batch's few topics are encoded once. About 1 µs per event here, of which
    0.45 µs is ``hashlib.sha256`` itself (mostly OpenSSL's per-digest set-up, the
    same with ``copy()`` of a primed hash) and the rest the message's parts.
    Building every message first with ``map``/``zip`` and hashing in a tight
    loop measured no faster. The SQLite recorder passes the very rows it
    inserted (id first), so nothing is rebuilt for the chain.
    """
    sha256, pack, join, uuid_type = hashlib.sha256, _FIXED.pack, b"".join, UUID
    topics: dict[str, bytes] = {}
    links: list[bytes] = []
    append = links.append
    for n, originator_id, version, topic, state in events:
        if type(originator_id) is str and len(originator_id) == 32 and originator_id.islower():
            oid = originator_id.encode()  # canonical already (see canonical_id)
        elif type(originator_id) is uuid_type:
            oid = originator_id.hex.encode()
        else:
            oid = canonical_id(originator_id).encode()
        top = topics.get(topic)
        if top is None:
            top = topics[topic] = topic.encode()
        prev_link = sha256(
            join((prev_link, pack(n, version, len(oid), len(top)), oid, top, state))
        ).digest()
        append(prev_link)
    return links


def chain_link(
    prev_link: bytes,
    notification_id: int,
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """The link of one event chained on ``prev_link`` (``chain_links`` of one event)."""
    (link,) = chain_links(
        prev_link, [(notification_id, originator_id, originator_version, topic, state)]
    )
    return link


def check_extends(prev_id: int, first_id: int) -> None:
    """Refuse to link new events at or before the chain's head.

    A chain row at or beyond a new event's id means events were deleted under
    the chain (SQLite then hands their ids out again): linking over it would
    erase the evidence, so the write is refused.
    """
    if first_id <= prev_id:
        raise AuditChainError(
            f"the audit chain already has a link at position {prev_id}, at or beyond the new "
            f"event {first_id}: events were removed from the store under the chain; "
            "writes are refused until it is examined (maillage audit verify)"
        )


def chain_rows(
    prev_id: int, prev_link: bytes, events: Sequence[ChainInput]
) -> list[tuple[int, int, bytes]]:
    """Chain-table rows ``(notification_id, prev_id, link)`` extending the chain over a batch.

    ``events`` are in ascending notification id, all beyond ``prev_id``.
    """
    if events:
        check_extends(prev_id, events[0][0])
    links = chain_links(prev_link, events)
    ids = [e[0] for e in events]
    return list(zip(ids, [prev_id, *ids[:-1]], links, strict=True))


class ChainStart(MaillageAggregate):
    """Where the store's audit chain starts, recorded in the log itself (one per store).

    Its event sits at the position where the recorder started to link events as they were
    written; the events before it (``backfilled_through``) were linked once, when the chain
    was added to a store that never had one. Its id is the same in every store, so the log's
    own key refuses a second one: back-filling happens once. A store whose log holds it and
    whose chain rows are missing is never linked again (``domain.persistence``).
    """

    @event("Started")
    def __init__(self, store_id: str, backfilled_through: int, recorded_after: bool) -> None:
        self.store_id = store_id
        self.backfilled_through = backfilled_through
        self.recorded_after = recorded_after


CHAIN_START_ID: Final = uuid5(UUID(int=0), "maillage audit chain start")
CHAIN_START_TOPIC: Final = "domain.audit.chain:ChainStart.Started"


def chain_start_event(
    store_id: str, backfilled_through: int, recorded_after: bool = False
) -> StoredEvent:
    """The stored ``ChainStart.Started`` event (``recorded_after``: a store chained by an
    older version, whose log did not say so until now)."""
    (stored,) = creation_events(
        ChainStart,
        ChainStart.Started,
        [
            (
                CHAIN_START_ID,
                {
                    "store_id": store_id,
                    "backfilled_through": backfilled_through,
                    "recorded_after": recorded_after,
                },
            )
        ],
        clock.now(),
    )
    return stored
