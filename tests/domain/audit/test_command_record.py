"""Who did what: one command record per write transaction, before its events, under the chain.

Every test runs on SQLite and PostgreSQL (the ``location`` fixture).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import Maillage
from domain.audit.command_record import (
    RECORDED_TOPIC,
    Actor,
    CommandRecord,
    command_at,
    commands_at,
)
from domain.clock import FixedClock
from domain.views.catalogue import all_views
from domain.views.projector import Projector

OPERATOR = Actor("operator", "alice")


def topics(raw, last: int) -> list[str]:
    """The topic at each position 1..last (short names)."""
    return [raw.event(n)[2].rsplit(":", 1)[-1] for n in range(1, last + 1)]


def test_without_an_actor_nothing_is_added(app: Maillage, raw, kit) -> None:
    assert kit.fill(app) == 28
    assert app.last_position() == 28
    assert "CommandRecord.Recorded" not in topics(raw, 28)
    assert command_at(app, 1) is None and commands_at(app, range(1, 29)) == {}


def test_every_write_path_gets_one_record_right_before_its_events(
    app: Maillage, raw, kit, fixed_clock: FixedClock
) -> None:
    app.act_as(OPERATOR, "devices import manifest")
    parcel = kit.Parcel("saved", 100)
    (recording,) = app.save(parcel)
    assert recording.notification.id == 2  # the caller's event, the record is at 1
    batch = [kit.Parcel(f"batch-{i}", i) for i in range(3)]
    for p in batch:
        p.weigh(1000)
    assert app.save_batch(batch) == [4, 5, 6, 7, 8, 9]
    assert app.record_stored(kit.bulk_parcels(["a", "b", "c", "d"], hex_ids=True)) == [
        11,
        12,
        13,
        14,
    ]
    assert app.record_stored(kit.bulk_parcels(["e"], hex_ids=False)) == [16]

    kinds = topics(raw, 16)
    assert [n for n, k in enumerate(kinds, 1) if k == "CommandRecord.Recorded"] == [1, 3, 10, 15]
    oid = raw.event(3)[0]
    record = app.get(oid if isinstance(oid, UUID) else UUID(oid), CommandRecord)
    assert (record.role, record.user, record.command, record.scope) == (
        "operator",
        "alice",
        "devices import manifest",
        None,
    )
    assert record.events == 6 and record.at == fixed_clock.now()
    # The library's bookkeeping is untouched: the aggregates reload at their versions.
    assert app.get(parcel.id, kit.Parcel).version == 1
    assert all(app.get(p.id, kit.Parcel).weight_g == 1000 for p in batch)

    report = kit.verify(app)
    assert report.intact, report.finding
    assert report.events == 16


def test_the_covering_record_of_each_position(app: Maillage, kit, fixed_clock: FixedClock) -> None:
    app.save(kit.Parcel("before any actor", 1))  # position 1: no record covers it
    app.act_as(Actor("ccas", "Mme Roy", "37214"), "meals alerts ack")
    app.record_stored(kit.bulk_parcels(["a", "b", "c"], hex_ids=True))  # record 2, events 3-5
    fixed_clock.advance(timedelta(minutes=5))
    with app.command("tui:devices:pack"):
        app.save(kit.Parcel("packed", 2))  # record 6, event 7
    app.act_as(None)
    app.save(kit.Parcel("after", 3))  # position 8: none again

    found = commands_at(app, range(1, 9))
    assert sorted(found) == [2, 3, 4, 5, 6, 7]
    first, second = found[3], found[7]
    assert (first.position, first.events, first.last_covered) == (2, 3, 5)
    assert (first.role, first.user, first.scope, first.command) == (
        "ccas",
        "Mme Roy",
        "37214",
        "meals alerts ack",
    )
    assert found[2] is first and found[5] is first  # the record covers itself and its events
    assert (second.position, second.command, second.last_covered) == (6, "tui:devices:pack", 7)
    assert second.at - first.at == timedelta(minutes=5)
    assert command_at(app, 1) is None and command_at(app, 8) is None
    assert command_at(app, 4) == first and command_at(app, 7) == second


def test_two_threads_keep_their_own_command_names(app: Maillage, kit) -> None:
    app.act_as(OPERATOR)
    both_inside = threading.Barrier(2, timeout=30)
    saved: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.command(name):
                both_inside.wait()  # both names are set before either thread writes
                (recording,) = app.save(kit.Parcel(name, 1))
                saved[name] = recording.notification.id
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"binding-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(saved) == 2
    found = commands_at(app, saved.values())
    assert {name: found[position].command for name, position in saved.items()} == {
        "binding-0": "binding-0",
        "binding-1": "binding-1",
    }
    # Outside any block the default name applies again, in this thread too.
    (recording,) = app.save(kit.Parcel("later", 1))
    assert command_at(app, recording.notification.id).command == "console"


def test_a_refused_write_leaves_no_record(app: Maillage, raw, kit) -> None:
    app.act_as(OPERATOR, "devices import manifest")
    app.record_stored(kit.bulk_parcels(["a", "b"], hex_ids=True))
    with pytest.raises(IntegrityError):
        app.record_stored(kit.bulk_parcels(["c", "a"], hex_ids=True))  # "a" again: all or nothing
    assert app.last_position() == 3
    assert topics(raw, 3).count("CommandRecord.Recorded") == 1
    assert kit.verify(app).intact


def test_a_changed_record_breaks_the_chain_at_its_position(app: Maillage, raw, kit) -> None:
    app.act_as(OPERATOR, "devices orders add")
    app.save(kit.Parcel("one", 1))
    app.save(kit.Parcel("two", 2))
    raw.execute(
        "UPDATE {events} SET state = ? WHERE {nid} = 3",
        (raw.event(3)[3].replace(b'"alice"', b'"mallory"'),),
    )
    report = kit.verify(app)
    assert not report.intact
    assert (report.finding.position, report.finding.kind) == (3, "modified")


def test_views_skip_the_records_and_rebuild_equal(app: Maillage, kit) -> None:
    app.act_as(OPERATOR, "demo")
    kit.fill(app)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
        live = {v.name: v.contents(projector.conn) for v in projector.views}
        projector.rebuild()
        assert {v.name: v.contents(projector.conn) for v in projector.views} == live
        assert {p.position for p in projector.positions()} == {app.last_position()}
    assert RECORDED_TOPIC.endswith("CommandRecord.Recorded")


def test_an_actor_needs_a_role_and_a_user() -> None:
    from domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        Actor("operator", " ")
    with pytest.raises(InvalidInputError):
        Actor("", "alice")
