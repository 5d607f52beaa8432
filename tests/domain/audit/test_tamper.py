"""The tamper suite: raw SQL changes to a real store, each caught at its position and kind.

The store holds 28 events (see ``fill``): positions 1–10 saved one at a time
(registered, weighed), 11–18 recorded in bulk with hex ids, 19–22 in bulk with
UUIDs, 23–28 saved as one batch. Every test runs on SQLite and PostgreSQL and
with pages of 4 rows (verification crosses page boundaries) and of 10,000.
"""

from __future__ import annotations

import uuid

import pytest

from domain.application import Maillage
from domain.audit.chain import CHAIN_TABLE, GENESIS, chain_links
from domain.audit.verify import Verifier, chain_head

pytestmark = pytest.mark.parametrize("batch_size", [4, 10_000])


def test_a_clean_store_verifies(filled: Maillage, raw, kit, batch_size: int) -> None:
    report = kit.verify(filled, batch_size=batch_size)

    assert report.intact, report.finding
    assert (report.events, report.last_position, report.total) == (28, 28, 28)
    events = [(n, *raw.event(n)) for n in range(1, 29)]
    assert report.head == chain_links(GENESIS, events)[-1]
    assert raw.count(CHAIN_TABLE) == 28
    assert chain_head(filled) == (28, report.head)


def test_progress_goes_up_to_the_last_position(filled: Maillage, kit, batch_size: int) -> None:
    with Verifier.of(filled, batch_size=batch_size) as verifier:
        steps = list(verifier.steps())
    positions = [p for p, _ in steps]
    assert positions == sorted(positions)
    assert steps[-1] == (28, 28)
    assert len(steps) >= (7 if batch_size == 4 else 1)


def test_one_changed_state_byte_is_modified_at_its_position(
    filled: Maillage, raw, kit, batch_size: int
) -> None:
    _, _, _, state = raw.event(13)
    forged = state[:20] + bytes([state[20] ^ 0x01]) + state[21:]
    raw.execute("UPDATE {events} SET state = ? WHERE {nid} = ?", (forged, 13))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (13, "modified")


def test_a_changed_topic_is_modified(filled: Maillage, raw, kit, batch_size: int) -> None:
    _, _, registered, _ = raw.event(5)
    _, _, weighed, _ = raw.event(6)
    assert registered != weighed
    raw.execute("UPDATE {events} SET topic = ? WHERE {nid} = ?", (registered, 6))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (6, "modified")


def test_a_changed_version_is_modified(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute("UPDATE {events} SET originator_version = 7 WHERE {nid} = ?", (24,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (24, "modified")


def test_a_deleted_middle_row_is_deleted(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute("DELETE FROM {events} WHERE {nid} = ?", (9,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (9, "deleted")


def test_a_middle_row_deleted_with_its_link_is_deleted(
    filled: Maillage, raw, kit, batch_size: int
) -> None:
    raw.execute("DELETE FROM {events} WHERE {nid} = ?", (9,))
    raw.execute(f"DELETE FROM {CHAIN_TABLE} WHERE notification_id = ?", (9,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (9, "deleted")


def test_a_deleted_last_row_is_deleted(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute("DELETE FROM {events} WHERE {nid} = ?", (28,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (28, "deleted")


def test_an_inserted_row_is_inserted(filled: Maillage, raw, kit, batch_size: int) -> None:
    _, _, topic, state = raw.event(11)
    forged_id = uuid.uuid4()
    raw.execute(
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        (forged_id.hex if raw.location.kind == "sqlite" else forged_id, 1, topic, state),
    )
    assert raw.count(raw.events) == 29

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (29, "inserted")


def test_swapped_states_are_reordered(filled: Maillage, raw, kit, batch_size: int) -> None:
    _, _, _, state_12 = raw.event(12)
    _, _, _, state_20 = raw.event(20)
    assert state_12 != state_20
    raw.execute("UPDATE {events} SET state = ? WHERE {nid} = ?", (state_20, 12))
    raw.execute("UPDATE {events} SET state = ? WHERE {nid} = ?", (state_12, 20))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (12, "reordered")
    assert "12 and 20" in finding.detail


def test_swapped_whole_rows_are_reordered(filled: Maillage, raw, kit, batch_size: int) -> None:
    a, b = raw.event(15), raw.event(16)
    placeholder = uuid.uuid4()
    ph = placeholder.hex if raw.location.kind == "sqlite" else placeholder
    update = (
        "UPDATE {events} SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
        "WHERE {nid} = ?"
    )
    raw.execute(update, (ph, 99, a[2], a[3], 15))  # free row 15's key first
    raw.execute(update, (*a, 16))
    raw.execute(update, (*b, 15))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (15, "reordered")
    assert "15 and 16" in finding.detail


def test_an_emptied_chain_table_is_deleted_from_the_first_position(
    filled: Maillage, raw, kit, batch_size: int
) -> None:
    raw.execute(f"DELETE FROM {CHAIN_TABLE}")

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (1, "deleted")


def test_a_deleted_link_is_deleted(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute(f"DELETE FROM {CHAIN_TABLE} WHERE notification_id = ?", (17,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (17, "deleted")


def test_a_forged_link_is_modified(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute(f"UPDATE {CHAIN_TABLE} SET link = ? WHERE notification_id = ?", (bytes(32), 21))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (21, "modified")


def test_the_first_of_two_changes_is_named(filled: Maillage, raw, kit, batch_size: int) -> None:
    raw.execute("DELETE FROM {events} WHERE {nid} = ?", (26,))
    raw.execute("UPDATE {events} SET topic = 'x' WHERE {nid} = ?", (8,))

    finding = kit.verify(filled, batch_size=batch_size).finding

    assert (finding.position, finding.kind) == (8, "modified")


def test_values_of_the_wrong_type_are_modified(filled: Maillage, raw, kit, batch_size: int) -> None:
    if raw.location.kind != "sqlite":
        pytest.skip("only SQLite lets a column hold a value of another type")
    raw.execute("UPDATE {events} SET originator_version = 'one' WHERE {nid} = 4")
    raw.execute(f"UPDATE {CHAIN_TABLE} SET prev_id = 'x' WHERE notification_id = 2")

    finding = kit.verify(filled, batch_size=batch_size).finding
    assert (finding.position, finding.kind) == (2, "modified")

    raw.execute(f"UPDATE {CHAIN_TABLE} SET prev_id = 1 WHERE notification_id = 2")
    finding = kit.verify(filled, batch_size=batch_size).finding
    assert (finding.position, finding.kind) == (4, "modified")
