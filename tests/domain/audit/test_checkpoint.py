"""Checkpoints catch what the chain alone cannot: a rewritten tail; their HMAC catches edits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.application import Maillage
from domain.audit.chain import CHAIN_TABLE
from domain.audit.checkpoint import Checkpoint, make_checkpoint
from domain.errors import InvalidInputError

KEY = b"k" * 32
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def checkpoint_of(app: Maillage, kit, key: bytes | None = KEY) -> Checkpoint:
    return make_checkpoint(kit.verify(app), app.location.label, NOW, key)


def rewrite_tail(app: Maillage, raw, kit, drop: int) -> None:
    """Delete the newest ``drop`` events with their links, then write others through the app."""
    last = app.last_position()
    raw.execute("DELETE FROM {events} WHERE {nid} > ?", (last - drop,))
    raw.execute(f"DELETE FROM {CHAIN_TABLE} WHERE notification_id > ?", (last - drop,))
    app.save(*[kit.Parcel(f"replacement-{i}", i) for i in range(drop)])


def test_a_rewritten_tail_verifies_alone_but_not_against_a_checkpoint(
    filled: Maillage, raw, kit
) -> None:
    checkpoint = checkpoint_of(filled, kit)
    assert (checkpoint.position, checkpoint.events) == (28, 28)

    rewrite_tail(filled, raw, kit, drop=3)

    if raw.location.kind == "sqlite":  # SQLite handed the deleted rows' ids out again
        assert raw.fetchone("SELECT MAX({nid}) FROM {events}")[0] == 28
    plain = kit.verify(filled)
    assert plain.intact, plain.finding  # the chain alone cannot see it
    assert plain.events == 28
    finding = kit.verify(filled, checkpoint=checkpoint, batch_size=4).finding
    assert (finding.position, finding.kind) == (28, "rewritten")


def test_deleted_newest_events_are_caught_against_a_checkpoint(filled: Maillage, raw, kit) -> None:
    checkpoint = checkpoint_of(filled, kit)
    raw.execute("DELETE FROM {events} WHERE {nid} > 25")
    raw.execute(f"DELETE FROM {CHAIN_TABLE} WHERE notification_id > 25")

    assert kit.verify(filled).intact
    finding = kit.verify(filled, checkpoint=checkpoint).finding
    expected = 26 if raw.location.kind == "sqlite" else 28
    assert (finding.position, finding.kind) == (expected, "deleted")


def test_an_intact_store_matches_its_checkpoint_after_more_writes(filled: Maillage, kit) -> None:
    checkpoint = checkpoint_of(filled, kit)
    kit.fill(filled, tag="later")

    report = kit.verify(filled, checkpoint=checkpoint, batch_size=4)

    assert report.intact, report.finding
    assert (report.events, report.checkpoint) == (56, checkpoint)


def test_a_checkpoint_of_another_store_is_refused(filled: Maillage, raw, kit, tmp_path) -> None:
    from domain.store import StoreLocation

    other = Maillage(StoreLocation.parse(str(tmp_path / "other.sqlite")))
    kit.fill(other)
    foreign = checkpoint_of(other, kit)
    other.close()

    finding = kit.verify(filled, checkpoint=foreign).finding

    assert (finding.position, finding.kind) == (28, "rewritten")
    assert foreign.store_id in finding.detail


def test_the_hmac_covers_every_field(filled: Maillage, kit) -> None:
    checkpoint = checkpoint_of(filled, kit)
    assert checkpoint.signature(KEY) == "valid"
    assert checkpoint.signature(b"x" * 32) == "invalid"
    assert checkpoint.signature(None) == "no key"
    assert replace(checkpoint, hmac=None).signature(KEY) == "unsigned"
    for field, value in [
        ("position", 27),
        ("head", "0" * 64),
        ("events", 1),
        ("created_at", "2027-01-01T00:00:00+00:00"),
        ("store_id", "f" * 32),
        ("store", "sqlite:/elsewhere"),
    ]:
        assert replace(checkpoint, **{field: value}).signature(KEY) == "invalid", field


def test_a_checkpoint_file_round_trips_and_bad_files_are_named(filled: Maillage, kit) -> None:
    checkpoint = checkpoint_of(filled, kit)
    text = checkpoint.to_json()
    data = json.loads(text)

    assert Checkpoint.from_json(text) == checkpoint
    assert data["created_at"] == "2026-03-02T08:00:00+00:00"
    assert data["format"] == "maillage-audit-checkpoint/1"
    for bad, message in [
        ("{", "not JSON"),
        ("[]", "format"),
        (json.dumps({**data, "position": "28"}), "'position'"),
        (json.dumps({**data, "head": "abc"}), "head is malformed"),
        (json.dumps({**data, "extra": 1}), "unknown fields: extra"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            Checkpoint.from_json(bad)


def test_short_keys_and_broken_chains_make_no_checkpoint(filled: Maillage, raw, kit) -> None:
    with pytest.raises(InvalidInputError, match="at least 16"):
        checkpoint_of(filled, kit, key=b"short")
    raw.execute("DELETE FROM {events} WHERE {nid} = 3")
    with pytest.raises(InvalidInputError, match="intact"):
        checkpoint_of(filled, kit)


def test_an_empty_store_verifies_and_its_checkpoint_holds_later(app: Maillage, kit) -> None:
    from domain.audit.chain import GENESIS

    report = kit.verify(app)
    assert report.intact and (report.events, report.last_position, report.head) == (0, 0, GENESIS)
    checkpoint = checkpoint_of(app, kit)
    assert (checkpoint.position, checkpoint.head) == (0, GENESIS.hex())

    kit.fill(app)

    assert kit.verify(app, checkpoint=checkpoint).intact
    forged = replace(checkpoint, head="0" * 64)
    finding = kit.verify(app, checkpoint=forged).finding
    assert (finding.position, finding.kind) == (0, "rewritten")
