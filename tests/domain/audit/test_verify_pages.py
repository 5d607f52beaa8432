"""How the verifier reads PostgreSQL: a page of rows as one framed value, unpacked here.

The tamper suite checks every finding on both backends through this path; these
tests pin what it alone does: NULL fields (raw SQL), pages joined out of order,
and the framing itself.
"""

from __future__ import annotations

import struct
import uuid

import pytest

from domain.application import Maillage
from domain.audit.verify import _unpack_events, _unpack_links


@pytest.mark.parametrize("batch_size", [4, 10_000])
@pytest.mark.parametrize("column", ["topic", "state"])
def test_a_nulled_field_is_modified_at_its_position(
    filled: Maillage, raw, kit, batch_size: int, column: str
) -> None:
    raw.execute(f"UPDATE {{events}} SET {column} = NULL WHERE {{nid}} = ?", (17,))

    report = kit.verify(filled, batch_size=batch_size)

    assert report.finding is not None
    assert (report.finding.position, report.finding.kind) == (17, "modified")
    assert report.last_position == 16


def event_row(n: int, oid: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """An event row framed as the server frames it (see ``_Tables``)."""
    t = topic.encode()
    return struct.pack(">qB16sqii", n, 1, oid.bytes, version, len(t), len(state)) + t + state


def test_events_unpack_from_their_framing() -> None:
    oid = uuid.uuid4()
    state = b'{"label":"p"}'
    page = (
        event_row(7, oid, 3, "tests:Parcel.Registered é", state)
        + struct.pack(">qB", 9, 0)  # a row with a NULL field
        + event_row(10, oid, 4, "", b"")
    )

    assert _unpack_events(page) == [
        (7, oid.hex, 3, "tests:Parcel.Registered é", state),
        (9, None, None, None, None),
        (10, oid.hex, 4, "", b""),
    ]
    assert _unpack_events(b"") == []


def test_links_unpack_from_their_framing() -> None:
    link = bytes(range(32))
    page = (
        struct.pack(">qBqi", 5, 1, 3, 32)
        + link
        + struct.pack(">qB", 6, 0)
        + struct.pack(">qBqi", 8, 1, 5, 2)
        + b"ab"
    )

    assert _unpack_links(page) == [(5, 3, link), (6, None, None), (8, 5, b"ab")]


def test_a_page_joined_out_of_order_is_put_back_in_order() -> None:
    oid = uuid.uuid4()
    rows = [event_row(n, oid, n, "t", b"{}") for n in (5, 1, 2)]
    assert [r[0] for r in _unpack_events(b"".join(rows))] == [1, 2, 5]
    links = b"".join(struct.pack(">qBqi", n, 1, n - 1, 1) + b"x" for n in (4, 3, 9))
    assert [r[0] for r in _unpack_links(links)] == [3, 4, 9]
