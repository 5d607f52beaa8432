"""The chain cannot be linked again silently: missing rows stay missing, edited facts and
prev_ids are named where they are, and a checkpoint's history names the event that changed."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.application import Maillage
from domain.audit.chain import CHAIN_TABLE, GENESIS, INFO_TABLE, AuditChainError, chain_rows
from domain.audit.checkpoint import History, history_records, make_checkpoint
from domain.audit.verify import Verifier


def with_history(app: Maillage) -> tuple:
    """A checkpoint of the intact store with its history of links (as the console keeps it)."""
    with Verifier.of(app, collect=True) as verifier:
        report = verifier.run()
        links = verifier.collected
    assert report.intact
    data = history_records(links)
    checkpoint = make_checkpoint(report, "test", datetime(2026, 3, 2, tzinfo=UTC), None)
    checkpoint = replace(
        checkpoint, history_bytes=len(data), history_sha256=hashlib.sha256(data).hexdigest()
    )
    return checkpoint, History.parse(data, checkpoint)


def change_event(raw, position: int) -> None:
    raw.execute(
        "UPDATE {events} SET state = ? WHERE {nid} = ?",
        (raw.event(position)[3].replace(b'"weight_g":', b'"weight_g":1'), position),
    )


def test_deleted_chain_rows_are_never_linked_again_and_writes_are_refused(
    filled: Maillage, raw, kit
) -> None:
    change_event(raw, 13)
    raw.execute(f"DELETE FROM {CHAIN_TABLE}")
    raw.execute(f"DELETE FROM {INFO_TABLE}")

    reopened = Maillage(raw.location)
    assert raw.count(CHAIN_TABLE) == 0  # not linked again
    with pytest.raises(AuditChainError, match="its rows were removed"):
        reopened.save(kit.Parcel("after", 1))
    finding = kit.verify(reopened).finding
    assert (finding.position, finding.kind) == (1, "deleted")  # the first position not covered
    reopened.close()


def test_with_a_checkpoints_history_the_changed_event_is_named(filled: Maillage, raw, kit) -> None:
    checkpoint, history = with_history(filled)
    change_event(raw, 13)
    raw.execute(f"DELETE FROM {CHAIN_TABLE}")
    raw.execute(f"DELETE FROM {INFO_TABLE}")

    reopened = Maillage(raw.location)
    finding = kit.verify(reopened, checkpoint=checkpoint, history=history).finding
    assert (finding.position, finding.kind) == (13, "modified")
    assert "history of the checkpoint" in finding.detail
    reopened.close()


def test_a_whole_chain_linked_again_by_hand_is_named_at_the_changed_event(
    filled: Maillage, raw, kit
) -> None:
    """A forger who recomputes every link: only the history says which event changed (the
    checkpoint alone names its own position)."""
    checkpoint, history = with_history(filled)
    change_event(raw, 13)
    events = [(n, *raw.event(n)) for n in range(1, 29)]
    rows = chain_rows(0, GENESIS, events)
    raw.execute(f"DELETE FROM {CHAIN_TABLE}")
    with raw.location.connect() as conn:
        conn.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?)", rows)

    alone = kit.verify(filled, checkpoint=checkpoint).finding
    assert (alone.position, alone.kind) == (28, "rewritten")
    named = kit.verify(filled, checkpoint=checkpoint, history=history).finding
    assert (named.position, named.kind) == (13, "modified")


def test_backfilled_through_set_to_the_end_is_no_cover_story(filled: Maillage, raw, kit) -> None:
    raw.execute(f"UPDATE {INFO_TABLE} SET value = '28' WHERE key = 'backfilled_through'")
    finding = kit.verify(filled).finding
    assert (finding.position, finding.kind) == (1, "modified")
    assert "back-filled through position 28" in finding.detail


def test_a_changed_prev_id_is_named_at_its_own_position(filled: Maillage, raw, kit) -> None:
    raw.execute(f"UPDATE {CHAIN_TABLE} SET prev_id = prev_id - 1 WHERE notification_id = 17")
    finding = kit.verify(filled).finding
    assert (finding.position, finding.kind) == (17, "modified")
    assert "prev_id was changed" in finding.detail
