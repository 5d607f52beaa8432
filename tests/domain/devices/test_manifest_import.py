"""A manufacturer's manifest imported in batches: good lines recorded, bad lines set aside with
their numbers, a second import changing nothing, on a real SQLite file and real PostgreSQL."""

from __future__ import annotations

import json

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.device import Device
from domain.devices.manifest import (
    ManifestHeaderError,
    csv_columns,
    import_manifest,
    parse_line,
)
from domain.devices.purchase_order import OrderLine
from domain.devices.service import record_purchase_order
from domain.ids import device_id
from domain.store import StoreLocation

HEADER = b"serial,model,kind,order_reference"


def order(app: Maillage) -> None:
    record_purchase_order(
        app,
        "CVL-2026-01",
        "Centre-Val de Loire",
        "DRANE",
        [OrderLine("Latitude 3140", "laptop", 1000), OrderLine("iPad 10.2", "tablet", 1000)],
        by="S. Blanc",
    )


def numbered(*lines: bytes, first: int = 2) -> list[tuple[int, bytes]]:
    return list(enumerate(lines, first))


def announced(app: Maillage) -> list[str]:
    """Serials announced in the store, in log order (one entry per Announced event)."""
    topic = "domain.devices.device:Device.Announced"
    return [
        json.loads(bytes(n.state))["serial"]
        for n in app.recorder.select_notifications(1, 10_000, topics=[topic])
    ]


def test_good_lines_go_in_bad_lines_are_set_aside_with_their_numbers(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    order(app)
    lines = numbered(
        b"pf3k7q2x,Latitude 3140,laptop,CVL-2026-01",  # 2: good (serial upper-cased)
        b",Latitude 3140,laptop,CVL-2026-01",  # 3: empty serial
        b"DMPX0001,iPad 10.2,tablet,CVL-2026-01",  # 4: good
        b"PF3K7Q2X,Latitude 3140,laptop,CVL-2026-01",  # 5: twice in the file
        b"DMPX0002,Surface Go,tablet,CVL-2026-01",  # 6: model not on the order
        b"DMPX0003,iPad 10.2,laptop,CVL-2026-01",  # 7: kind differs from the order
        b"DMPX0004,iPad 10.2,tablet,CVL-2099-99",  # 8: unknown order
        b"DMPX\xff0005,iPad 10.2,tablet,CVL-2026-01",  # 9: not UTF-8
        b"DMPX0006,iPad 10.2",  # 10: cut short
        b"",  # 11: blank, ignored
        b'"DMPX,0007",iPad 10.2,tablet,CVL-2026-01',  # 12: quoted comma, good
    )
    report = import_manifest(app, lines, "csv", csv_columns(HEADER), batch_size=3)

    assert (report.read, report.announced, report.already_announced) == (10, 3, 0)
    problems = {b.line: b.problem for b in report.bad}
    assert problems == {
        3: "the serial is empty",
        5: "serial PF3K7Q2X is already on line 2",
        6: "model 'Surface Go' is not on order CVL-2026-01 (Latitude 3140, iPad 10.2)",
        7: "kind 'laptop', but order CVL-2026-01 has 'iPad 10.2' as tablet",
        8: "order 'CVL-2099-99' is not recorded",
        9: "not UTF-8 text (byte 5)",
        10: "2 columns where the header has at least 4",
    }
    assert sorted(announced(app)) == ["DMPX,0007", "DMPX0001", "PF3K7Q2X"]
    device = app.get(device_id("pf3k7q2x"), Device)
    assert (device.model, device.kind, device.status) == ("Latitude 3140", "laptop", "announced")

    # The same file again: nothing new, the same lines set aside.
    position = app.last_position()
    again = import_manifest(app, lines, "csv", csv_columns(HEADER), batch_size=3)
    assert (again.announced, again.already_announced) == (0, 3)
    assert {b.line for b in again.bad} == set(problems)
    assert app.last_position() == position


def test_a_serial_already_announced_with_other_details_is_set_aside(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    order(app)
    import_manifest(app, numbered(b"A1,iPad 10.2,tablet,CVL-2026-01"), "csv", [0, 1, 2, 3])
    report = import_manifest(
        app, numbered(b"A1,Latitude 3140,laptop,CVL-2026-01", first=7), "csv", [0, 1, 2, 3]
    )
    assert report.announced == 0
    (bad,) = report.bad
    assert (bad.line, bad.problem) == (
        7,
        "serial A1 is already announced as 'iPad 10.2' on order CVL-2026-01",
    )
    assert announced(app) == ["A1"]


def test_json_lines(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    order(app)
    lines = numbered(
        b'{"serial": "J1", "model": "iPad 10.2", "kind": "tablet", '
        b'"order_reference": "CVL-2026-01"}',
        b'{"serial": "J2", "model": "iPad 10.2"}',
        b"[1, 2]",
        b'{"serial": "J3", "model": ',
        first=1,
    )
    report = import_manifest(app, lines, "jsonl")
    assert report.announced == 1
    assert {b.line: b.problem for b in report.bad} == {
        2: "no kind, order_reference",
        3: "not a JSON object",
        4: "not a JSON object (Expecting value at column 27)",
    }


def test_a_header_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(ManifestHeaderError, match=r"lacks the column\(s\) kind, order_reference"):
        csv_columns(b"serial,model,type,order")
    assert csv_columns(b"\xef\xbb\xbfOrder_Reference,Kind,Serial,Model") == [2, 3, 1, 0]


def test_parse_line_never_raises_on_garbage() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.binary(max_size=120), st.sampled_from(["csv", "jsonl"]))
    def check(raw: bytes, fmt: str) -> None:
        result = parse_line(raw, fmt, [0, 1, 2, 3])  # type: ignore[arg-type]
        assert isinstance(result, (str, dict))

    check()
