"""The device service on both stores: multi-aggregate commands are all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices import service
from domain.devices.device import Device
from domain.devices.establishment import Establishment
from domain.devices.loading import load_many
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.devices.purchase_order import OrderLine, PurchaseOrder
from domain.devices.service import ManifestLine
from domain.devices.shipment import Shipment
from domain.errors import ConcurrentEditError, InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import device_id, establishment_id, purchase_order_id, shipment_id
from domain.store import StoreLocation

from ...stores import COLLEGE, DEPOT, LAPTOPS, LYCEE, OP, ORDER, TABLETS


@pytest.fixture
def app(device_app: Maillage) -> Maillage:
    """The shared device store (``tests/stores.py``)."""
    return device_app


def device(app: Maillage, serial: str) -> Device:
    return app.get(device_id(serial), Device)


def statuses(app: Maillage, serials: list[str]) -> list[str]:
    return [device(app, s).status for s in serials]


def staged_and_allocated(app: Maillage, serials: list[str], uai: str) -> None:
    service.receive_delivery_note(app, ORDER, f"DN-{serials[0]}", serials, DEPOT, OP)
    service.stage(app, {s: f"MDM-{s}" for s in serials}, "cvl-2026.03", OP)
    service.allocate(app, serials, uai, "S. Blanc (région)")


def delivered(app: Maillage, serials: list[str], uai: str, reference: str) -> None:
    staged_and_allocated(app, serials, uai)
    service.prepare_shipment(app, reference, uai, DEPOT, OP)
    service.pack(app, reference, serials, OP)
    service.seal(app, reference, f"SEAL-{reference}", OP)
    service.dispatch(app, reference, "La Poste", OP)
    service.deliver(app, reference, "Mme Leroy (intendante)", "facteur L. Petit")


def test_devices_travel_from_the_manufacturer_to_the_pupils(app: Maillage) -> None:
    order = service.receive_delivery_note(app, ORDER, "DN-1", LAPTOPS[:5], DEPOT, OP)
    assert [r.label for r in order.reception()] == ["5 of 8 received", "0 of 4 received"]
    order = service.receive_delivery_note(app, ORDER, "DN-2", LAPTOPS[5:] + TABLETS, DEPOT, OP)
    assert app.get(purchase_order_id(ORDER), PurchaseOrder).status == "fully_received"
    assert device(app, "LP006").location == ("depot", DEPOT)
    assert device(app, "LP006").delivery_note == "DN-2"

    assert service.stage(app, {s: f"MDM-{s}" for s in LAPTOPS}, "cvl-2026.03", OP) == 8
    assert service.allocate(app, LAPTOPS, LYCEE, "S. Blanc (région)") == 8
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    service.pack(app, "SH-1", LAPTOPS[:4], OP)
    shipment = service.pack(app, "sh-1", [s.lower() for s in LAPTOPS[4:]], OP)
    assert shipment.serials == LAPTOPS
    assert set(statuses(app, LAPTOPS)) == {"packed"}
    service.seal(app, "SH-1", "SEAL-0042", OP)
    service.dispatch(app, "SH-1", "La Poste", OP)
    assert device(app, "LP000").location == ("shipment", "SH-1")

    shipment = service.deliver(
        app, "SH-1", "Mme Leroy (intendante)", "facteur L. Petit", LAPTOPS[:7]
    )
    assert (shipment.status, shipment.missing_serials) == ("partially_delivered", ["LP007"])
    assert set(statuses(app, LAPTOPS[:7])) == {"delivered"}
    assert device(app, "LP007").status == "in_transit"  # until someone reports it lost
    assert device(app, "LP000").location == ("establishment", LYCEE)
    assert service.report_lost(app, ["LP007"], "not in the delivered parcel", OP) == 1

    pending = service.hand_over(app, "LP000", "P-2026-0042", "pupil", True, "CPE B. Roux")
    assert pending.status == "pending_acceptance"
    service.sign_charter(app, "LP000", "parent", "CPE B. Roux")
    service.hand_over(app, "LP001", "T-0913", "teacher", False, "CPE B. Roux", "self")
    assert statuses(app, ["LP000", "LP001"]) == ["handed_over", "handed_over"]
    service.report_returned(app, "LP001", "changed school", "CPE B. Roux")
    assert device(app, "LP001").location == ("establishment", LYCEE)

    service.report_faulty(app, "LP002", "battery swollen", "CPE B. Roux")
    service.send_to_repair(app, ["LP002"], "Atelier Centre", "RMA-7", OP)
    repaired = service.report_repaired(app, "LP002", DEPOT, OP, image_version="cvl-2026.04")
    assert (repaired.status, repaired.location) == ("staged", ("depot", DEPOT))
    service.report_stolen(app, "LP003", "PV-2026-118", "bag snatched", "CPE B. Roux")
    assert device(app, "LP003").police_report_reference == "PV-2026-118"
    assert service.recover(app, "LP003", DEPOT, OP).status == "received"
    assert service.give_for_good(app, ["LP000"], "CPE B. Roux") == 1
    assert device(app, "LP000").status == "handed_over_for_good"


def test_a_pack_with_one_illegal_serial_records_nothing(app: Maillage) -> None:
    staged_and_allocated(app, LAPTOPS[:2], LYCEE)
    staged_and_allocated(app, LAPTOPS[2:3], COLLEGE)
    service.receive_delivery_note(app, ORDER, "DN-T", TABLETS[:1], DEPOT, OP)  # not staged
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    before = app.count_events()

    with pytest.raises(RuleViolationError, match="LP002 is allocated to 0451442Y; it cannot"):
        service.pack(app, "SH-1", ["LP000", "LP001", "LP002"], OP)
    with pytest.raises(RuleViolationError, match="device TB000 is received; it cannot be packed"):
        service.pack(app, "SH-1", ["LP000", "LP001", "TB000"], OP)
    with pytest.raises(NotFoundError, match="no device with serial ZZ999 was announced"):
        service.pack(app, "SH-1", ["LP000", "LP001", "ZZ999"], OP)

    assert app.count_events() == before
    assert app.get(shipment_id("SH-1"), Shipment).serials == []
    assert statuses(app, ["LP000", "LP001", "LP002"]) == ["allocated"] * 3


def test_a_delivery_note_is_refused_whole(app: Maillage) -> None:
    service.record_purchase_order(
        app, "CVL-2026-02", "CVL", "DE", [OrderLine("Lenovo 300w", "laptop", 2)], "S. Blanc"
    )
    service.announce_devices(
        app, [ManifestLine(s, "Lenovo 300w", "laptop", "CVL-2026-02") for s in ("X1", "X2", "X3")]
    )
    before = app.count_events()
    with pytest.raises(RuleViolationError, match="to 3 of 2 ordered on order CVL-2026-02"):
        service.receive_delivery_note(app, "CVL-2026-02", "DN-9", ["X1", "X2", "X3"], DEPOT, OP)
    with pytest.raises(RuleViolationError, match="LP000 was announced on order CVL-2026-01, not"):
        service.receive_delivery_note(app, "CVL-2026-02", "DN-9", ["X1", "LP000"], DEPOT, OP)
    with pytest.raises(InvalidInputError, match="serial given twice: X1"):
        service.receive_delivery_note(app, "CVL-2026-02", "DN-9", ["X1", "x1"], DEPOT, OP)
    with pytest.raises(NotFoundError, match="no purchaseorder with id"):
        service.receive_delivery_note(app, "CVL-2099", "DN-9", ["X1"], DEPOT, OP)
    assert app.count_events() == before
    assert statuses(app, ["X1", "X2", "X3"]) == ["announced"] * 3

    service.receive_delivery_note(app, "CVL-2026-02", "DN-9", ["X1", "X2"], DEPOT, OP)
    with pytest.raises(RuleViolationError, match="device X1 is received; it cannot be received"):
        service.receive_delivery_note(app, "CVL-2026-02", "DN-10", ["X1"], DEPOT, OP)


def test_a_lost_shipment_takes_its_devices_with_it(app: Maillage) -> None:
    staged_and_allocated(app, LAPTOPS[:3], COLLEGE)
    service.prepare_shipment(app, "SH-2", COLLEGE, DEPOT, OP)
    service.pack(app, "SH-2", LAPTOPS[:3], OP)
    with pytest.raises(RuleViolationError, match="SH-2 is packing: dispatching needs it sealed"):
        service.dispatch(app, "SH-2", "La Poste", OP)
    service.seal(app, "SH-2", "SEAL-7", OP)
    service.dispatch(app, "SH-2", "La Poste", OP)
    lost = service.report_shipment_lost(app, "SH-2", "van broken into at Saran", OP)
    assert lost.status == "lost"
    assert statuses(app, LAPTOPS[:3]) == ["lost"] * 3
    assert device(app, "LP000").last_location == ("shipment", "SH-2")


def test_records_are_made_once_and_only_for_known_schools(app: Maillage) -> None:
    with pytest.raises(RuleViolationError, match="order CVL-2026-01 is already recorded"):
        service.record_purchase_order(
            app, ORDER, "CVL", "DE", [OrderLine("X", "laptop", 1)], "S. Blanc"
        )
    service.prepare_shipment(app, "SH-1", LYCEE, DEPOT, OP)
    with pytest.raises(RuleViolationError, match="shipment SH-1 is already recorded"):
        service.prepare_shipment(app, "sh-1", LYCEE, DEPOT, OP)
    with pytest.raises(NotFoundError, match="no establishment with UAI 0370035M is registered"):
        service.prepare_shipment(app, "SH-3", "0370035M", DEPOT, OP)
    with pytest.raises(NotFoundError, match="no device with serial NOPE1 was announced"):
        service.report_faulty(app, "nope1", "dead", OP)


def test_a_kit_of_delivered_tablets_is_reserved_and_comes_back_short(
    app: Maillage, fixed_clock: FixedClock
) -> None:
    delivered(app, TABLETS, COLLEGE, "SH-T")
    service.hand_over(app, "TB003", "T-0913", "teacher", False, "M. Diallo", "self")
    with pytest.raises(RuleViolationError, match=r"not so: TB003 \(handed over, holder T-0913\)"):
        service.kit_assemble(app, "CM-1", COLLEGE, "CART-7", TABLETS, "M. Diallo")
    kit = service.kit_assemble(app, "CM-1", COLLEGE, "CART-7", TABLETS[:3], "M. Diallo")
    start = fixed_clock.now() + timedelta(minutes=10)
    rid = service.kit_reserve(app, "CM-1", "6e B", start, start + timedelta(hours=1), "Mme Caron")
    with pytest.raises(RuleViolationError, match=f"reserved for 6e B .*reservation {rid}"):
        service.kit_reserve(app, "CM-1", "5e A", start, start + timedelta(hours=2), "M. Petit")
    service.kit_check_out(app, "CM-1", rid, "Mme Caron")
    assert service.kit_check_in(app, "CM-1", ["TB000", "TB002"], "Mme Caron") == ["TB001"]
    back = app.get(kit.id, MobileClassroomKit)
    assert (back.status, back.missing_serials) == ("incomplete", ["TB001"])


def test_a_count_finds_missing_unexpected_and_misplaced_devices(app: Maillage) -> None:
    delivered(app, LAPTOPS[:4], LYCEE, "SH-L")
    delivered(app, TABLETS[:1], COLLEGE, "SH-C")
    service.hand_over(app, "LP003", "P-7", "pupil", False, "CPE B. Roux", "self")
    service.report_lost(app, ["LP002"], "not seen since the trip", "CPE B. Roux")

    count = service.count_inventory(
        app,
        "establishment",
        LYCEE,
        ["LP000", "TB000", "LP002", "SN-UNKNOWN"],
        "Mme Girard (Région)",
        candidate_serials=LAPTOPS,
    )
    assert count.expected == ["LP000", "LP001"]  # LP003 is with its pupil, LP002 lost
    assert count.missing == ["LP001"]
    assert count.unexpected == ["TB000", "LP002", "SN-UNKNOWN"]
    assert count.misplaced == {
        "TB000": f"establishment {COLLEGE}",
        "LP002": f"lost, last seen at establishment {LYCEE}",
    }
    assert count.unknown == ["SN-UNKNOWN"]

    # A scanned device the log places here counts as expected even if not a candidate.
    again = service.count_inventory(app, "establishment", LYCEE, ["LP000", "LP001"], "x")
    assert again.is_clean and again.expected == ["LP000", "LP001"]


def test_loading_many_devices_rebuilds_them_as_the_repository_does(app: Maillage) -> None:
    delivered(app, LAPTOPS[:3], LYCEE, "SH-1")
    ids = [device_id(s) for s in [*LAPTOPS, "NEVER"]]
    found = load_many(app, ids, Device)
    assert set(found) == {device_id(s) for s in LAPTOPS}
    for serial in LAPTOPS:
        one = device(app, serial)
        many = found[device_id(serial)]
        assert (many.version, many.status, many.location) == (one.version, one.status, one.location)
        assert many.__dict__ == one.__dict__
    with pytest.raises(NotFoundError, match="is a Establishment, not a Device"):
        load_many(app, [establishment_id(LYCEE)], Device)
    assert isinstance(
        load_many(app, [establishment_id(LYCEE)], Establishment)[establishment_id(LYCEE)],
        Establishment,
    )


def test_a_concurrent_change_is_reapplied_once_then_reported(
    app: Maillage, location: StoreLocation
) -> None:
    staged_and_allocated(app, LAPTOPS[:2], LYCEE)
    other = Maillage(location)
    runs: list[int] = []

    def allocate_meanwhile(times: int) -> list[Device]:
        devices = service.load_devices(app, ["LP000", "LP001"])
        for d in devices:
            d.allocate(COLLEGE, OP)
        if len(runs) < times:  # someone else re-allocates LP001 between our read and save
            other.edit(device_id("LP001"), Device, lambda d: d.allocate(LYCEE, "S. Blanc"))
        runs.append(1)
        return devices

    service.save_together(app, lambda: allocate_meanwhile(1))
    assert len(runs) == 2
    assert [device(app, s).establishment_uai for s in ("LP000", "LP001")] == [COLLEGE, COLLEGE]

    runs.clear()
    before = app.count_events()
    with pytest.raises(ConcurrentEditError, match="changed by someone else twice"):
        service.save_together(app, lambda: allocate_meanwhile(2))
    # Only the other user's two edits were recorded (counted: PostgreSQL ids have gaps).
    assert app.count_events() == before + 2
    other.close()
