"""Device read models follow the log: statuses, places, progress, orders, shipments, kits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices import service
from domain.devices.custody import custody_chain
from domain.devices.device import COMMAND_EVENTS, COMMANDS, EVENT_STATUS, TRANSITIONS, Device
from domain.devices.purchase_order import OrderLine
from domain.devices.views import (
    DELIVERED_OR_BEYOND,
    DevicesView,
    device_by_serial,
    devices_of_holder,
    establishments_progress,
    find_devices,
    kits,
    last_counted,
    orders_progress,
    reservations,
    serials_at,
    shipments,
)
from domain.errors import NotFoundError
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector

from ...stores import COLLEGE, DEPOT, LAPTOPS, LYCEE, OP, ORDER, TABLETS

CPE = "CPE B. Roux"


@pytest.fixture
def app(device_app: Maillage) -> Maillage:
    """The shared device store (``tests/stores.py``)."""
    return device_app


@pytest.fixture
def views(app: Maillage) -> Iterator[Projector]:
    """A projector over every view, caught up by ``row`` and the query helpers below."""
    with Projector(app, all_views(), batch_size=50) as projector:
        yield projector


def conn_of(views: Projector) -> ViewConnection:
    views.catch_up()
    return views.conn


def row(views: Projector, serial: str) -> dict[str, Any]:
    found = device_by_serial(conn_of(views), serial)
    assert found is not None, serial
    return found.as_json()


def where(views: Projector, serial: str) -> tuple[Any, ...]:
    r = row(views, serial)
    return (r["status"], r["location_kind"], r["location_ref"])


def delivered(app: Maillage, serials: list[str], uai: str, reference: str) -> None:
    """Receive, stage, allocate, pack, seal, dispatch and deliver these devices to ``uai``."""
    service.receive_delivery_note(app, ORDER, f"DN-{reference}", serials, DEPOT, OP)
    service.stage(app, {s: f"MDM-{s}" for s in serials}, "cvl-2026.03", OP)
    service.allocate(app, serials, uai, "S. Blanc")
    service.prepare_shipment(app, reference, uai, DEPOT, OP)
    service.pack(app, reference, serials, OP)
    service.seal(app, reference, f"SEAL-{reference}", OP)
    service.dispatch(app, reference, "La Poste", OP)
    service.deliver(app, reference, "Mme Leroy", "facteur L. Petit")


# ---------------------------------------------------------------------------- statuses

_ARGS: dict[str, Callable[[Device], tuple[Any, ...]]] = {
    "receive": lambda d: (d.order_reference, "DN-1", DEPOT, OP),
    "stage": lambda d: ("img-1", "MDM-1", OP),
    "allocate": lambda d: (LYCEE, OP),
    "pack": lambda d: ("SH-1", LYCEE, OP),
    "dispatch": lambda d: ("SH-1", "La Poste", OP),
    "deliver": lambda d: ("SH-1", "Mme Leroy", OP),
    "hand_over": lambda d: ("P-1", "pupil", False, OP),
    "sign_charter": lambda d: ("self", OP),
    "record_return": lambda d: ("left school", OP),
    "give_for_good": lambda d: (OP,),
    "report_faulty": lambda d: ("screen", OP),
    "send_to_repair": lambda d: ("Atelier", "RMA-1", OP),
    "record_repair": lambda d: (DEPOT, OP),
    "report_lost": lambda d: ("gone", OP),
    "report_stolen": lambda d: ("PV-1", "bag", OP),
    "recover": lambda d: (DEPOT, OP),
}


def test_the_status_of_every_device_event_follows_the_transition_table() -> None:
    assert set(_ARGS) == set(COMMANDS)
    seen: set[str] = set()
    for status, moves in TRANSITIONS.items():
        for command, target in moves.items():
            device = Device.announce("SN1", "Lenovo 300w", "laptop", ORDER)
            device.status = status  # where the table says the command is allowed
            device.establishment_uai, device.shipment_reference = LYCEE, "SH-1"
            device.holder, device.holder_role = "P-1", "pupil"
            device.collect_events()
            getattr(device, command)(*_ARGS[command](device))
            (recorded,) = device.collect_events()
            kind = type(recorded).__name__
            assert COMMAND_EVENTS[command] == (kind, target), (status, command)
            assert (status, command, EVENT_STATUS[kind]) == (status, command, target)
            assert device.status == target
            seen.add(kind)
    # Every device event but the announcement is mapped, and nothing else is.
    events = {
        n for n, v in vars(Device).items() if isinstance(v, type) and issubclass(v, DomainEvent)
    }
    assert seen == set(EVENT_STATUS) == events - {"Event", "Created", "Announced"}
    assert set(DevicesView.topics) == {get_topic(getattr(Device, n)) for n in seen | {"Announced"}}
    assert set(DELIVERED_OR_BEYOND) <= set(TRANSITIONS)


# ---------------------------------------------------------------------------- devices


def test_a_device_row_follows_its_whole_lifecycle(app: Maillage, views: Projector) -> None:
    first = row(views, "LP000")
    assert (first["status"], first["model"], first["order_reference"]) == (
        "announced",
        "Lenovo 300w",
        ORDER,
    )
    assert first["location_kind"] is None and first["updated_at"].startswith("2026-03-02T08:00")

    service.receive_delivery_note(app, ORDER, "DN-1", LAPTOPS[:2], DEPOT, OP)
    assert where(views, "LP000") == ("received", "depot", DEPOT)
    assert row(views, "LP000")["delivery_note"] == "DN-1"
    service.stage(app, {"LP000": "MDM-0", "LP001": "MDM-1"}, "cvl-2026.03", OP)
    assert where(views, "LP000") == ("staged", "depot", DEPOT)
    service.allocate(app, LAPTOPS[:2], COLLEGE, OP)
    service.allocate(app, LAPTOPS[:2], LYCEE, OP)  # re-allocated: the last one counts
    r = row(views, "LP000")
    assert (r["status"], r["establishment_uai"], r["allocated_uai"]) == ("allocated", LYCEE, LYCEE)
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    service.pack(app, "SH-1", LAPTOPS[:2], OP)
    assert where(views, "LP000") == ("packed", "shipment", "SH-1")
    assert row(views, "LP000")["shipment_reference"] == "SH-1"
    service.seal(app, "SH-1", "SEAL-1", OP)
    service.dispatch(app, "SH-1", "La Poste", OP)
    assert where(views, "LP000") == ("in_transit", "shipment", "SH-1")
    service.deliver(app, "SH-1", "Mme Leroy", "facteur L. Petit")
    assert where(views, "LP000") == ("delivered", "establishment", LYCEE)

    service.hand_over(app, "LP000", "P-42", "pupil", True, CPE)
    r = row(views, "LP000")
    assert (r["status"], r["holder"], r["holder_role"]) == ("pending_acceptance", "P-42", "pupil")
    assert (r["location_kind"], r["location_ref"]) == ("holder", "P-42")
    service.sign_charter(app, "LP000", "parent", CPE)
    assert where(views, "LP000") == ("handed_over", "holder", "P-42")
    service.report_returned(app, "LP000", "changed school", CPE)
    r = row(views, "LP000")
    assert (r["status"], r["holder"], r["location_ref"]) == ("returned", None, LYCEE)
    service.report_faulty(app, "LP000", "hinge", CPE)
    assert where(views, "LP000") == ("faulty", "establishment", LYCEE)
    service.send_to_repair(app, ["LP000"], "Atelier Centre", "RMA-7", OP)
    assert where(views, "LP000") == ("in_repair", "repair", "Atelier Centre")
    service.report_repaired(app, "LP000", DEPOT, OP)
    r = row(views, "LP000")
    assert (r["status"], r["location_kind"], r["establishment_uai"]) == ("staged", "depot", None)
    assert (r["allocated_uai"], r["shipment_reference"]) == (LYCEE, None)
    service.report_stolen(app, "LP000", "PV-2026-118", "depot break-in", OP)
    assert where(views, "LP000") == ("stolen", None, None)
    service.recover(app, "LP000", DEPOT, OP)
    assert where(views, "LP000") == ("received", "depot", DEPOT)

    service.hand_over(app, "LP001", "T-9", "teacher", False, CPE, "self")
    service.give_for_good(app, ["LP001"], CPE)
    r = row(views, "LP001")
    assert (r["status"], r["holder"], r["location_kind"]) == (
        "handed_over_for_good",
        "T-9",
        "holder",
    )
    service.receive_delivery_note(app, ORDER, "DN-2", ["LP002"], DEPOT, OP)
    service.report_lost(app, ["LP002"], "never arrived", OP)
    assert where(views, "LP002") == ("lost", None, None)


def test_progress_per_school_counts_the_last_allocation(app: Maillage, views: Projector) -> None:
    delivered(app, LAPTOPS[:3], LYCEE, "SH-L")
    service.receive_delivery_note(app, ORDER, "DN-X", LAPTOPS[3:6], DEPOT, OP)
    service.stage(app, {s: f"MDM-{s}" for s in LAPTOPS[3:6]}, "v", OP)
    service.allocate(app, LAPTOPS[3:6], LYCEE, OP)
    service.allocate(app, ["LP005"], COLLEGE, OP)  # moved to the other school
    service.hand_over(app, "LP000", "P-1", "pupil", False, CPE, "self")
    service.report_faulty(app, "LP001", "dead", CPE)
    service.send_to_repair(app, ["LP001"], "Atelier", "RMA-1", OP)
    service.report_repaired(app, "LP001", DEPOT, OP)  # back at the depot: still owed to LYCEE

    lycee, college = establishments_progress(conn_of(views))
    assert (lycee.uai, lycee.name) == (LYCEE, "Lycée Voltaire")
    assert lycee.by_status == {"allocated": 2, "delivered": 1, "handed_over": 1, "staged": 1}
    assert (lycee.delivered, lycee.allocated, lycee.label) == (2, 5, "delivered 2 of 5")
    assert (college.uai, college.by_status, college.label) == (
        COLLEGE,
        {"allocated": 1},
        "delivered 0 of 1",
    )
    (only,) = establishments_progress(conn_of(views), COLLEGE)
    assert only == college
    assert establishments_progress(conn_of(views), "0370035M") == []  # not registered


def test_orders_count_ordered_received_and_delivered_per_line(
    app: Maillage, views: Projector
) -> None:
    (placed,) = orders_progress(conn_of(views))
    assert (placed.status, placed.ordered, placed.received, placed.delivered) == (
        "placed",
        12,
        0,
        0,
    )
    delivered(app, LAPTOPS[:3], LYCEE, "SH-1")
    service.receive_delivery_note(app, ORDER, "DN-T", TABLETS, DEPOT, OP)
    service.report_lost(app, ["LP002"], "stolen from the school corridor", CPE)
    service.amend_order_line(app, ORDER, "iPad 10.2", "tablet", 6, "two more for the CDI", OP)

    (order,) = orders_progress(conn_of(views), ORDER)
    lines = {x.model: (x.ordered, x.received, x.delivered) for x in order.lines}
    assert lines == {"Lenovo 300w": (8, 3, 2), "iPad 10.2": (6, 4, 0)}
    assert (order.status, order.ordered, order.received, order.delivered) == (
        "partially_received",
        14,
        7,
        2,
    )
    assert [(n["note"], n["model"], n["quantity"]) for n in order.notes] == [
        ("DN-SH-1", "Lenovo 300w", 3),
        ("DN-T", "iPad 10.2", 4),
    ]
    assert orders_progress(conn_of(views), "NOPE") == []


def test_devices_per_holder(app: Maillage, views: Projector) -> None:
    delivered(app, LAPTOPS[:3], LYCEE, "SH-1")
    service.hand_over(app, "LP000", "P-7", "pupil", False, CPE, "self")
    service.hand_over(app, "LP001", "P-7", "pupil", False, CPE)
    service.hand_over(app, "LP002", "T-1", "teacher", False, CPE, "self")
    held = devices_of_holder(conn_of(views), "P-7")
    assert [(d.serial, d.status) for d in held] == [
        ("LP000", "handed_over"),
        ("LP001", "pending_acceptance"),
    ]
    service.report_returned(app, "LP001", "moved away", CPE)
    assert [d.serial for d in devices_of_holder(conn_of(views), "P-7")] == ["LP000"]
    assert [d.serial for d in find_devices(conn_of(views), status="returned", uai=LYCEE)] == [
        "LP001"
    ]
    assert [d.serial for d in find_devices(conn_of(views), order=ORDER, limit=2)] == [
        "LP000",
        "LP001",
    ]


def test_the_progress_queries_use_the_partial_indexes(
    sqlite_location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(sqlite_location)
    service.record_purchase_order(app, ORDER, "R", "B", [OrderLine("M", "laptop", 1)], OP)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
        conn = projector.conn
        statements: list[str] = []
        conn.raw.set_trace_callback(statements.append)  # the SQL the helpers really run
        establishments_progress(conn, LYCEE)
        establishments_progress(conn)
        devices_of_holder(conn, "P-1")
        orders_progress(conn, ORDER)
        orders_progress(conn)
        serials_at(conn, "depot", DEPOT)
        conn.raw.set_trace_callback(None)
        plans = [
            " ".join(str(r[-1]) for r in conn.fetchall(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in statements
            if "FROM devices_view" in sql
        ]
    app.close()
    expected = ["school", "school", "holder", "delivered", "delivered", "place"]
    assert len(plans) == len(expected), plans
    for name, plan in zip(expected, plans, strict=True):
        assert f"devices_view_{name}" in plan, (name, plan)


# ---------------------------------------------------------------------------- shipments, kits


def test_shipments_view_follows_packing_delivery_and_loss(app: Maillage, views: Projector) -> None:
    service.receive_delivery_note(app, ORDER, "DN-1", LAPTOPS[:6], DEPOT, OP)
    service.stage(app, {s: f"MDM-{s}" for s in LAPTOPS[:6]}, "v", OP)
    service.allocate(app, LAPTOPS[:3], LYCEE, OP)
    service.allocate(app, LAPTOPS[3:6], COLLEGE, OP)
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    service.pack(app, "SH-1", LAPTOPS[:2], OP)
    service.pack(app, "SH-1", LAPTOPS[2:3], OP)
    (packing,) = shipments(conn_of(views), reference="SH-1")
    assert (packing["status"], packing["devices"], packing["seal_number"]) == ("packing", 3, None)
    assert [x["serial"] for x in packing["items"]] == LAPTOPS[:3]

    service.seal(app, "SH-1", "SEAL-9", OP)
    service.dispatch(app, "SH-1", "La Poste", OP)
    service.deliver(app, "SH-1", "Mme Leroy", OP, ["LP000", "LP002"])
    (partial,) = shipments(conn_of(views), reference="SH-1")
    assert (partial["status"], partial["seal_number"], partial["carrier"]) == (
        "partially_delivered",
        "SEAL-9",
        "La Poste",
    )
    assert (partial["delivered"], partial["missing"], partial["recipient"]) == (2, 1, "Mme Leroy")
    assert [(x["serial"], x["state"]) for x in partial["items"]] == [
        ("LP000", "delivered"),
        ("LP001", "missing"),
        ("LP002", "delivered"),
    ]

    service.prepare_shipment(app, "SH-2", COLLEGE, DEPOT, OP)
    service.pack(app, "SH-2", LAPTOPS[3:6], OP)
    service.seal(app, "SH-2", "SEAL-10", OP)
    service.dispatch(app, "SH-2", "La Poste", OP)
    service.report_shipment_lost(app, "SH-2", "van broken into", OP)
    (lost,) = shipments(conn_of(views), uai=COLLEGE)
    assert (lost["reference"], lost["status"], lost["missing"]) == ("SH-2", "lost", 3)
    assert [s["reference"] for s in shipments(conn_of(views))] == ["SH-1", "SH-2"]
    assert [s["reference"] for s in shipments(conn_of(views), status="lost")] == ["SH-2"]


def test_kits_view_holds_the_reservation_calendar_and_missing_items(
    app: Maillage, views: Projector, fixed_clock: FixedClock
) -> None:
    delivered(app, TABLETS, COLLEGE, "SH-T")
    service.kit_assemble(app, "CM-1", COLLEGE, "CART-7", TABLETS, "M. Diallo")
    start = fixed_clock.now() + timedelta(minutes=10)
    hour = timedelta(hours=1)
    first = service.kit_reserve(app, "CM-1", "6e B", start, start + hour, "Mme Caron")
    second = service.kit_reserve(app, "CM-1", "5e A", start + hour, start + 2 * hour, "M. Petit")
    third = service.kit_reserve(app, "CM-1", "4e C", start + 3 * hour, start + 4 * hour, "M. Petit")
    service.kit_cancel(app, "CM-1", third, "trip", "M. Petit")
    service.kit_check_out(app, "CM-1", first, "Mme Caron")

    calendar = reservations(conn_of(views), kit="CM-1")
    assert [(r["reservation_id"], r["class_name"], r["status"]) for r in calendar] == [
        (first, "6e B", "checked_out"),
        (second, "5e A", "booked"),
    ]
    assert calendar[0]["start_at"] == start.isoformat() and calendar[0]["uai"] == COLLEGE
    assert len(reservations(conn_of(views), uai=COLLEGE, include_closed=True)) == 3
    later = (start + hour).isoformat()
    assert [r["reservation_id"] for r in reservations(conn_of(views), start=later)] == [second]
    (kit,) = kits(conn_of(views))
    assert (kit["status"], kit["checked_out_reservation"], kit["devices"]) == (
        "checked_out",
        first,
        4,
    )

    service.kit_check_in(app, "CM-1", ["TB000", "TB002"], "Mme Caron")
    (kit,) = kits(conn_of(views), uai=COLLEGE)
    assert (kit["status"], kit["missing"], kit["missing_serials"]) == (
        "incomplete",
        2,
        ["TB001", "TB003"],
    )
    assert kit["serials"] == TABLETS
    assert reservations(conn_of(views), kit="CM-1")[0]["reservation_id"] == second


def test_places_to_count_and_when_they_were_last_counted(
    app: Maillage, views: Projector, fixed_clock: FixedClock
) -> None:
    delivered(app, LAPTOPS[:2], LYCEE, "SH-1")
    service.receive_delivery_note(app, ORDER, "DN-2", LAPTOPS[2:3], DEPOT, OP)
    assert last_counted(conn_of(views)) == {f"establishment:{LYCEE}": None, f"depot:{DEPOT}": None}
    fixed_clock.advance(timedelta(days=3))
    service.count_inventory(app, "establishment", LYCEE, LAPTOPS[:2], "Mme Girard")
    assert last_counted(conn_of(views)) == {
        f"establishment:{LYCEE}": fixed_clock.now().isoformat(),
        f"depot:{DEPOT}": None,
    }


# ---------------------------------------------------------------------------- rebuild


def test_rebuilt_device_views_equal_the_live_ones(
    app: Maillage, fixed_clock: FixedClock, location: StoreLocation
) -> None:
    # Live: one event per batch, caught up after every step; the rebuild reads
    # the whole log in big batches, so a device's events are folded together.
    with Projector(app, all_views(), batch_size=1) as live:

        def step(action: Callable[[], object]) -> None:
            fixed_clock.advance(timedelta(minutes=7))
            action()
            live.catch_up()

        step(lambda: delivered(app, LAPTOPS[:4], LYCEE, "SH-1"))
        step(lambda: service.hand_over(app, "LP000", "P-1", "pupil", True, CPE, "parent"))
        step(lambda: service.report_faulty(app, "LP001", "screen", CPE))
        step(lambda: service.send_to_repair(app, ["LP001"], "Atelier", "RMA-1", OP))
        step(lambda: service.report_repaired(app, "LP001", DEPOT, OP, "v2", "MDM-9"))
        step(lambda: service.allocate(app, ["LP001"], COLLEGE, OP))
        step(lambda: service.report_stolen(app, "LP002", "PV-1", "bag", CPE))
        step(lambda: service.recover(app, "LP002", DEPOT, OP))
        step(lambda: delivered(app, TABLETS, COLLEGE, "SH-T"))
        step(lambda: service.kit_assemble(app, "CM-1", COLLEGE, "CART-1", TABLETS, OP))
        start = fixed_clock.now() + timedelta(minutes=20)
        step(
            lambda: service.kit_reserve(app, "CM-1", "6e B", start, start + timedelta(hours=1), OP)
        )
        step(lambda: service.kit_check_out(app, "CM-1", "CM-1-R1", OP))
        step(lambda: service.kit_check_in(app, "CM-1", TABLETS[:3], OP))
        step(lambda: service.amend_order_line(app, ORDER, "iPad 10.2", "tablet", 5, "spare", OP))
        step(lambda: service.count_inventory(app, "depot", DEPOT, ["LP001", "LP009"], OP))
        before = {v.name: v.contents(live.conn) for v in live.views}

    with Projector(app, all_views(), batch_size=1000) as again:
        again.rebuild()
        after = {v.name: v.contents(again.conn) for v in again.views}

    assert after == before
    devices = {r[1]: r for r in before["devices"]["devices_view"]}
    assert devices["LP001"][5:8] == ("allocated", COLLEGE, COLLEGE)
    assert len(before["kits"]["kit_reservations_view"]) == 1
    assert len(before["inventory"]["inventory_counts_view"]) == 1
    assert len(before["shipments"]["shipment_items_view"]) == 8


# ---------------------------------------------------------------------------- custody


def test_the_custody_chain_names_who_when_where_and_the_documents(
    app: Maillage, fixed_clock: FixedClock
) -> None:
    service.receive_delivery_note(app, ORDER, "DN-7", ["LP000", "LP001"], DEPOT, OP)
    service.stage(app, {"LP000": "MDM-0", "LP001": "MDM-1"}, "cvl-2026.03", OP)
    service.allocate(app, ["LP000", "LP001"], LYCEE, "S. Blanc")
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    service.pack(app, "SH-1", ["LP000", "LP001"], OP)
    service.seal(app, "SH-1", "SEAL-42", "M. Chef")
    fixed_clock.advance(timedelta(hours=2))
    service.dispatch(app, "SH-1", "La Poste", OP)
    service.deliver(app, "SH-1", "Mme Leroy", "facteur L. Petit", ["LP001"])
    service.report_stolen(app, "LP000", "PV-2026-118", "van broken into", "facteur L. Petit")
    fixed_clock.advance(timedelta(days=9))
    service.recover(app, "lp000", DEPOT, "Gendarmerie")

    steps = custody_chain(app, " lp000 ")
    assert [s.event for s in steps] == [
        "Device.Announced", "Device.Received", "Device.Staged", "Device.Allocated",
        "Device.Packed", "Shipment.Sealed", "Device.Dispatched",
        "Shipment.PartiallyDelivered", "Device.ReportedStolen", "Device.Recovered",
    ]  # fmt: skip
    assert [s.position for s in steps] == sorted(s.position for s in steps)
    table = {s.event: s for s in steps}
    announced = table["Device.Announced"]
    assert (announced.by, announced.where, announced.references) == (
        "manifest",
        "not yet received",
        {"order": ORDER},
    )
    received = table["Device.Received"]
    assert (received.by, received.where, received.status) == (OP, f"depot {DEPOT}", "received")
    assert received.references == {"order": ORDER, "delivery_note": "DN-7"}
    assert table["Device.Allocated"].what == f"allocated to {LYCEE} Lycée Voltaire"
    sealed = table["Shipment.Sealed"]
    assert (sealed.by, sealed.references) == ("M. Chef", {"shipment": "SH-1", "seal": "SEAL-42"})
    assert sealed.where == f"shipment SH-1 bound for {LYCEE} Lycée Voltaire"
    missing = table["Shipment.PartiallyDelivered"]
    assert (
        missing.what == "missing on delivery of shipment SH-1 (delivery note signed by Mme Leroy)"
    )
    assert (missing.status, missing.by) == ("in transit", "facteur L. Petit")
    assert missing.when == fixed_clock.now() - timedelta(days=9)
    stolen = table["Device.ReportedStolen"]
    assert stolen.references == {"police_report": "PV-2026-118"}
    assert stolen.where == "unknown (last seen: shipment SH-1)"
    back = table["Device.Recovered"]
    assert (back.by, back.where, back.when) == ("Gendarmerie", f"depot {DEPOT}", fixed_clock.now())
    assert back.as_json()["when"] == "2026-03-11T10:00:00+00:00"

    # The other device of the shipment was delivered: no "missing" step for it.
    other = [s.event for s in custody_chain(app, "LP001")]
    assert "Shipment.PartiallyDelivered" not in other and "Device.Delivered" in other
    with pytest.raises(NotFoundError, match="no device with serial NOPE was announced"):
        custody_chain(app, "nope")
