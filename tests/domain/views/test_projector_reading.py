"""How the projector reads the log: once per batch for all the views at one position, each
state decoded at most once, events no view handles never decoded, SQLite ids as canonical text."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import Notification, StoredEvent

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.establishment import Establishment
from domain.devices.service import ManifestLine, SchoolRecord, announce_devices, register_schools
from domain.devices.views import DevicesView, EstablishmentsView
from domain.store import StoreLocation
from domain.views.activity import ActivityView
from domain.views.catalogue import all_views
from domain.views.projector import Projector, SQLiteLogReader, canonical_id
from domain.views.view import event_state, event_time


def fill(app: Maillage, clock: FixedClock, devices: int) -> None:
    register_schools(
        app,
        [SchoolRecord("0371100V", "Lycée Descartes", "LYC", "10 rue", "37000", "Tours", 47.4, 0.7)],
    )
    clock.advance(timedelta(days=1))
    announce_devices(
        app, [ManifestLine(f"R{i:05d}", "iPad", "tablet", "PO-1") for i in range(devices)]
    )


@pytest.mark.parametrize(
    "text",
    [
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
        "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
        "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    ],
)
def test_an_id_is_spelt_as_str_of_its_uuid(text: str) -> None:
    assert canonical_id(text) == str(uuid.UUID(text))


def test_an_id_that_is_no_uuid_is_refused() -> None:
    with pytest.raises(ValueError):
        canonical_id("0f1e2d3c4b5a69788796a5b4c3d2e1fz")


def test_the_sqlite_reader_reads_what_the_library_reads(
    sqlite_location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(sqlite_location)
    fill(app, fixed_clock, devices=40)  # bulk (hex ids) and saved (UUIDs) events
    school = app.get(Establishment.create_id("0371100V"), Establishment)
    school.update_details("Lycée René Descartes", "LYC", "10 rue", "37000", "Tours", 47.4, 0.7)
    app.save(school)
    last = app.last_position()
    reader = SQLiteLogReader.of(app.recorder)
    assert reader is not None

    for start, stop, topics, limit in [
        (0, last, (), 1000),
        (3, last - 2, (), 7),
        (0, last, EstablishmentsView.topics, 1000),
        (0, last, DevicesView.topics, 5),
    ]:
        ours = reader(start, stop, topics, limit)
        theirs = app.recorder.select_notifications(
            start, limit, stop, topics, inclusive_of_start=False
        )
        assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in ours] == [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in theirs
        ]
        assert ours, (start, stop, topics)
    app.close()


def test_a_state_is_decoded_once_and_as_json_would() -> None:
    state = '{"timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-02T08:30:00+00:00"}}'
    n = Notification(uuid.uuid4(), 1, "tests:Thing.Happened", state.encode(), id=1)
    first = event_state(n)
    assert first == json.loads(state)
    assert event_state(n) is first  # kept with the notification
    assert n == Notification(n.originator_id, 1, n.topic, n.state, id=1)  # the memo is no field

    spaced = Notification(uuid.uuid4(), 1, "t", f" {state}\n".encode(), id=2)
    assert event_state(spaced) == json.loads(state)
    with pytest.raises(json.JSONDecodeError):
        event_state(Notification(uuid.uuid4(), 1, "t", b'{"a": 1} x', id=3))


def test_the_time_is_read_first_or_anywhere() -> None:
    stamp = "2026-03-02T23:30:00+00:00"
    first = json.dumps({"timestamp": {"_type_": "datetime_iso", "_data_": stamp}, "a": 1})
    later = json.dumps({"a": {"timestamp": 5}, "timestamp": {"_data_": stamp}})
    for state in (first, later):
        n = Notification(uuid.uuid4(), 1, "t", state.encode(), id=1)
        assert event_time(n) == stamp


def test_an_event_no_view_handles_is_not_decoded(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    fill(app, fixed_clock, devices=5)
    # Its time comes first, as the library writes it; the rest is no JSON at all.
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-03T08:30:00+00:00"},"x": ?'
    app.record_stored([StoredEvent(uuid.uuid4(), 1, "tests.elsewhere:Thing.Happened", state)])
    fill_more = [ManifestLine(f"S{i:05d}", "iPad", "tablet", "PO-1") for i in range(3)]
    announce_devices(app, fill_more)

    with Projector(app, all_views(), batch_size=4) as projector:
        applied = projector.catch_up()
        kinds = dict(
            projector.conn.fetchall(
                "SELECT event_type, CAST(SUM(events) AS BIGINT) FROM activity_view "
                "GROUP BY event_type"
            )
        )
        devices = projector.conn.fetchone("SELECT COUNT(*) FROM devices_view")

    assert kinds["Thing.Happened"] == 1
    assert devices == (8,)
    assert applied == app.last_position() + 8 + 1  # activity all, devices 8, the school 1
    app.close()


def test_a_view_behind_the_others_catches_up_alone_then_with_them(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    fill(app, fixed_clock, devices=50)
    with Projector(app, all_views(), batch_size=16) as live:
        live.catch_up()
        before = {v.name: v.contents(live.conn) for v in live.views}

    class DevicesV9(DevicesView):
        version = 9  # new rules: rebuilt from the log, while the other views stay put

    views = [ActivityView(), DevicesV9(), EstablishmentsView()]
    seen: list[tuple[str, int, int]] = []
    with Projector(app, views, batch_size=16) as projector:
        assert projector.position(views[1]) == 0
        applied = projector.catch_up(lambda v, p, t: seen.append((v, p, t)))
        assert applied == 50  # only the devices view read anything
        assert {v for v, _, _ in seen} == {"devices"}
        assert views[1].contents(projector.conn) == before["devices"]

        announce_devices(app, [ManifestLine("LATE1", "iPad", "tablet", "PO-1")])
        seen.clear()
        assert projector.catch_up(lambda v, p, t: seen.append((v, p, t))) == 2
        last = app.last_position()
        assert sorted(seen) == [(v, last, last) for v in ("activity", "devices", "establishments")]
        assert {p.name: p.position for p in projector.positions()}["devices"] == last
    app.close()
