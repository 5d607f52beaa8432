"""The bulk creation path writes exactly what the library would, gapless and in order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import clock
from domain.application import Maillage
from domain.bulk import creation_events
from domain.clock import FixedClock
from domain.devices.device import Device, announcement
from domain.devices.service import ManifestLine, announce_devices
from domain.errors import InvalidInputError
from domain.ids import device_id, device_id_hex
from domain.store import StoreLocation

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
field_names = st.text().filter(lambda k: k not in ("timestamp", "originator_topic"))


def test_bulk_bytes_equal_the_library_mapper(
    sqlite_location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(sqlite_location)
    device = Device.announce(" pf3k7q2x ", "Lenovo 300w Gen 4", "laptop", "CVL-1")
    (reference,) = [app.mapper.to_stored_event(e) for e in device.collect_events()]
    fields = announcement(" pf3k7q2x ", "Lenovo 300w Gen 4", "laptop", "CVL-1")

    (bulk,) = creation_events(
        Device, Device.Announced, [(device_id(fields["serial"]), fields)], clock.now()
    )

    assert bulk.originator_id == reference.originator_id
    assert bulk.originator_version == reference.originator_version
    assert bulk.topic == reference.topic
    assert bulk.state == reference.state


def test_hex_ids_give_the_same_stored_event(fixed_clock: FixedClock) -> None:
    fields = announcement("pf3k7q2x", "Lenovo 300w Gen 4", "laptop", "CVL-1")
    (by_uuid,) = creation_events(
        Device, Device.Announced, [(device_id("pf3k7q2x"), fields)], clock.now()
    )
    (by_hex,) = creation_events(
        Device, Device.Announced, [(device_id_hex("pf3k7q2x"), fields)], clock.now()
    )
    assert by_hex.originator_id == device_id("pf3k7q2x").hex
    assert by_hex.state == by_uuid.state


@settings(max_examples=300)
@given(fields=st.dictionaries(field_names, json_values, max_size=6))
def test_bulk_state_equals_the_library_transcoder_for_any_json_fields(
    fields: dict[str, Any],
) -> None:
    """The pre-encoded header joined to the fields is what the library's encoder writes."""
    moment = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
    transcoder = JSONTranscoder()
    transcoder.register(DatetimeAsISO())
    expected = transcoder.encode(
        {"timestamp": moment, "originator_topic": get_topic(Device), **fields}
    )
    (stored,) = creation_events(Device, Device.Announced, [(device_id("x"), fields)], moment)
    assert stored.state == expected


def test_bulk_fields_may_not_shadow_the_header_or_be_objects(fixed_clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        creation_events(Device, Device.Announced, [(device_id("x"), {"timestamp": 1})], clock.now())
    with pytest.raises(ValueError, match="32 digits"):
        creation_events(Device, Device.Announced, [(str(device_id("x")), {})], clock.now())
    with pytest.raises(TypeError, match="JSON-native"):
        creation_events(Device, Device.Announced, [(device_id("x"), {"at": {1, 2}})], clock.now())


def test_bulk_created_aggregates_load_like_saved_ones(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    lines = [ManifestLine(f"SN{i:05d}", "iPad", "tablet", "CVL-1") for i in range(2500)]

    assert announce_devices(app, lines, batch_size=1000) == 2500

    loaded = app.get(device_id("sn01234"), Device)
    assert (loaded.serial, loaded.model, loaded.kind, loaded.status) == (
        "SN01234",
        "iPad",
        "tablet",
        "announced",
    )
    assert loaded.created_on == fixed_clock.now()
    assert app.last_position() == 2500


def test_bad_line_stops_the_import_before_its_batch_is_written(
    sqlite_location: StoreLocation,
) -> None:
    app = Maillage(sqlite_location)
    lines = [ManifestLine(f"SN{i:05d}", "iPad", "tablet", "CVL-1") for i in range(1500)]
    lines[1200] = ManifestLine("SN-BAD", "iPad", "phone", "CVL-1")
    with pytest.raises(InvalidInputError, match="device kind 'phone'"):
        announce_devices(app, lines, batch_size=1000)
    assert app.last_position() == 1000  # first batch whole, second not started


def test_concurrent_bulk_writers_get_gapless_ordered_ids(location: StoreLocation) -> None:
    """Four writers insert batches at once: ids are 1..N, each batch contiguous, rows match."""
    writers, batches, size = 4, 6, 250
    results: dict[tuple[int, int], list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(writers, timeout=60)
    Maillage(location)  # the store exists before the writers race

    def write(w: int) -> None:
        try:
            app = Maillage(location)
            start.wait()
            for b in range(batches):
                rows = []
                for i in range(size):
                    f = announcement(f"W{w}B{b}I{i}", "M", "laptop", "PO")
                    rows.append((device_id(f["serial"]), f))
                results[(w, b)] = app.record_stored(
                    creation_events(Device, Device.Announced, rows, clock.now())
                )
        except BaseException as e:  # reported below
            errors.append(e)
            start.abort()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    all_ids = sorted(i for ids in results.values() for i in ids)
    assert all_ids == list(range(1, writers * batches * size + 1))
    for ids in results.values():
        assert ids == list(range(ids[0], ids[0] + size))
    app = Maillage(location)
    for (w, b), ids in results.items():
        (first,) = app.recorder.select_notifications(start=ids[0], limit=1)
        assert first.originator_id == device_id(f"W{w}B{b}I0")
        (last,) = app.recorder.select_notifications(start=ids[-1], limit=1)
        assert last.originator_id == device_id(f"W{w}B{b}I{size - 1}")


def test_stock_application_reads_what_maillage_wrote(sqlite_location: StoreLocation) -> None:
    """The bulk recorder's rows are ordinary library rows: a stock application reads them."""
    app = Maillage(sqlite_location)
    announce_devices(app, [ManifestLine("ABC123", "iPad", "tablet", "PO")])
    stock = Application(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(sqlite_location.path),
        }
    )
    assert stock.repository.get(device_id("ABC123")).serial == "ABC123"
