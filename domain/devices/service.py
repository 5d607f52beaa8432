"""Commands of the device service: get → command → save, bulk paths for imports.

A command that changes several aggregates (a shipment and the devices packed
in it, an order and the devices of a delivery note) loads them all, applies
every guard-then-trigger method, and saves them in one transaction: if any
guard refuses, nothing is recorded. Devices are loaded in chunks
(``domain.devices.loading``) so that batches of 10,000 serials stay quick.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import clock
from domain.application import Maillage
from domain.bulk import creation_events
from domain.devices.device import Device, announcement, place_label, status_label
from domain.devices.establishment import Establishment
from domain.devices.inputs import listing, serial, unique_serials
from domain.devices.inventory_count import InventoryCount, counted_location
from domain.devices.loading import load_many
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.devices.purchase_order import OrderLine, PurchaseOrder
from domain.devices.shipment import Shipment
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import (
    device_id,
    device_id_hex,
    establishment_id,
    kit_id,
    purchase_order_id,
    shipment_id,
)


@dataclass(frozen=True)
class SchoolRecord:
    """One school as the national directory describes it."""

    uai: str
    name: str
    kind: str
    address: str
    postcode: str
    commune: str
    latitude_deg: float | None
    longitude_deg: float | None


@dataclass(frozen=True)
class ManifestLine:
    """One line of a manufacturer's manifest."""

    serial: str
    model: str
    kind: str
    order_reference: str


def register_schools(app: Maillage, schools: Iterable[SchoolRecord]) -> int:
    """Register schools (UAI checked first) in one transaction; returns how many."""
    aggregates = [
        Establishment.register(
            s.uai, s.name, s.kind, s.address, s.postcode, s.commune, s.latitude_deg, s.longitude_deg
        )
        for s in schools
    ]
    app.save_batch(aggregates)
    return len(aggregates)


def announce_devices(
    app: Maillage,
    lines: Sequence[ManifestLine],
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Announce devices from manifest lines, ``batch_size`` per transaction.

    Every line is checked before its batch is written, so a bad line stops the
    import without leaving a half-written batch.
    """
    done = 0
    for start in range(0, len(lines), batch_size):
        fields = [
            announcement(x.serial, x.model, x.kind, x.order_reference)
            for x in lines[start : start + batch_size]
        ]
        rows = [(device_id_hex(f["serial"]), f) for f in fields]
        app.record_stored(creation_events(Device, Device.Announced, rows, clock.now()))
        done += len(rows)
        if progress:
            progress(done)
    return done


# ---------------------------------------------------------------------------- shared steps


def save_together(app: Maillage, command: Callable[[], Sequence[Aggregate]]) -> list[Aggregate]:
    """Run a command over several aggregates and record all their events in one transaction
    (``Maillage.save_together``: retried once on fresh state after a concurrent edit)."""
    return app.save_together(command)


def load_devices(app: Maillage, serials: Sequence[str]) -> list[Device]:
    """The devices with these (normalised) serials, in order; unknown serials are named."""
    found = load_many(app, [device_id(s) for s in serials], Device)
    unknown = [s for s in serials if device_id(s) not in found]
    if unknown:
        raise NotFoundError(f"no device with serial {listing(unknown)} was announced")
    return [found[device_id(s)] for s in serials]


def _serials(serials: Iterable[str], what: str) -> list[str]:
    items = unique_serials(serials, what)
    if not items:
        raise InvalidInputError(f"{what}: no serial given")
    return items


def find_school(app: Maillage, uai: str) -> Establishment:
    """A school by its UAI, or an error naming the UAI."""
    code = normalise_uai(uai)
    try:
        return app.get(establishment_id(code), Establishment)
    except NotFoundError:
        raise NotFoundError(f"no establishment with UAI {code} is registered") from None


def find_order(app: Maillage, reference: str) -> PurchaseOrder:
    """A purchase order by its reference, or an error naming it."""
    try:
        return app.get(purchase_order_id(reference), PurchaseOrder)
    except NotFoundError:
        raise NotFoundError(f"no order {reference.strip()} is recorded") from None


def find_shipment(app: Maillage, reference: str) -> Shipment:
    """A shipment by its reference ("no shipment EXP-0042 was prepared" otherwise)."""
    ref = reference.strip().upper()
    try:
        return app.get(shipment_id(ref), Shipment)
    except NotFoundError:
        raise NotFoundError(f"no shipment {ref} was prepared") from None


def find_kit(app: Maillage, reference: str) -> MobileClassroomKit:
    """A mobile classroom kit by its reference, or an error naming it."""
    ref = reference.strip().upper()
    try:
        return app.get(kit_id(ref), MobileClassroomKit)
    except NotFoundError:
        raise NotFoundError(f"no kit {ref} was assembled") from None


def _absent(app: Maillage, aggregate_id: UUID, what: str) -> None:
    if aggregate_id in app.repository:
        raise RuleViolationError(f"{what} is already recorded")


def _edit_device(app: Maillage, serial_number: str, command: Callable[[Device], None]) -> Device:
    try:
        return app.edit(device_id(serial_number), Device, command)
    except NotFoundError:
        raise NotFoundError(
            f"no device with serial {serial_number.strip().upper()} was announced"
        ) from None


def _each(
    app: Maillage, serials: Iterable[str], what: str, command: Callable[[Device], None]
) -> int:
    """Apply one device command to many serials, all or nothing; returns how many."""
    items = _serials(serials, what)

    def run() -> list[Device]:
        devices = load_devices(app, items)
        for device in devices:
            command(device)
        return devices

    return len(save_together(app, run))


# ---------------------------------------------------------------------------- orders


def record_purchase_order(
    app: Maillage, reference: str, region: str, buyer: str, lines: Sequence[OrderLine], by: str
) -> PurchaseOrder:
    """Record a region's purchase order (a reference can be recorded once)."""
    order = PurchaseOrder.place(reference, region, buyer, lines, by)
    _absent(app, order.id, f"order {order.reference}")
    app.save(order)
    return order


def amend_order_line(
    app: Maillage, reference: str, model: str, kind: str, quantity: int, reason: str, by: str
) -> PurchaseOrder:
    """Change what an order line asks for (e.g. before accepting a larger delivery)."""
    return app.edit(
        purchase_order_id(reference),
        PurchaseOrder,
        lambda o: o.amend_line(model, kind, quantity, reason, by),
    )


def receive_delivery_note(
    app: Maillage,
    order_reference: str,
    note_reference: str,
    serials: Iterable[str],
    depot: str,
    by: str,
) -> PurchaseOrder:
    """A manufacturer's delivery note arrives at a depot with these serials.

    Every device is marked received and the order counts the note's devices per
    model, in one transaction: a serial of another order, never announced, or
    beyond the ordered quantity refuses the whole note.
    """
    items = _serials(serials, f"delivery note {note_reference.strip()}")

    def run() -> list[Aggregate]:
        order = app.get(purchase_order_id(order_reference), PurchaseOrder)
        devices = load_devices(app, items)
        for device in devices:
            device.receive(order.reference, note_reference, depot, by)
            ordered_as = order.ordered_kind(device.model)
            if ordered_as is not None and ordered_as != device.kind:
                raise RuleViolationError(
                    f"device {device.serial} is a {device.kind} but order {order.reference} "
                    f"has {device.model} as {ordered_as}"
                )
        order.record_delivery_note(note_reference, Counter(d.model for d in devices), by)
        return [order, *devices]

    return cast(PurchaseOrder, save_together(app, run)[0])


# ---------------------------------------------------------------------------- depot


def stage(app: Maillage, enrolments: Mapping[str, str], image_version: str, by: str) -> int:
    """Image devices with ``image_version`` and record their enrolment ids (serial → id)."""
    by_serial = {serial(s): e for s, e in enrolments.items()}
    if len(by_serial) != len(enrolments):
        raise InvalidInputError("staging: a serial is given twice")
    return _each(
        app,
        by_serial,
        "staging",
        lambda d: d.stage(image_version, by_serial[d.serial], by),
    )


def allocate(app: Maillage, serials: Iterable[str], uai: str, by: str) -> int:
    """Set staged devices aside for a registered school."""
    school = find_school(app, uai)
    return _each(app, serials, f"allocation to {school.uai}", lambda d: d.allocate(school.uai, by))


def prepare_shipment(app: Maillage, reference: str, uai: str, depot: str, by: str) -> Shipment:
    """Open a shipment for a registered school."""
    school = find_school(app, uai)
    shipment = Shipment.prepare(reference, school.uai, depot, by)
    _absent(app, shipment.id, f"shipment {shipment.reference}")
    app.save(shipment)
    return shipment


def pack(app: Maillage, shipment_reference: str, serials: Iterable[str], by: str) -> Shipment:
    """Scan devices into a shipment: the shipment's contents and each device change together."""
    items = list(serials)

    def run() -> list[Aggregate]:
        shipment = app.get(shipment_id(shipment_reference), Shipment)
        added = shipment.pack(items, by)
        devices = load_devices(app, added)
        for device in devices:
            device.pack(shipment.reference, shipment.uai, by)
        return [shipment, *devices]

    return cast(Shipment, save_together(app, run)[0])


def seal(app: Maillage, shipment_reference: str, seal_number: str, by: str) -> Shipment:
    """Close a shipment with a numbered seal: nothing can be added afterwards."""
    return app.edit(shipment_id(shipment_reference), Shipment, lambda s: s.seal(seal_number, by))


def dispatch(app: Maillage, shipment_reference: str, carrier: str, by: str) -> Shipment:
    """The sealed shipment and every device in it leave the depot."""

    def run() -> list[Aggregate]:
        shipment = app.get(shipment_id(shipment_reference), Shipment)
        shipment.dispatch(carrier, by)
        devices = load_devices(app, shipment.serials)
        for device in devices:
            device.dispatch(shipment.reference, carrier, by)
        return [shipment, *devices]

    return cast(Shipment, save_together(app, run)[0])


def deliver(
    app: Maillage,
    shipment_reference: str,
    recipient: str,
    by: str,
    delivered_serials: Iterable[str] | None = None,
) -> Shipment:
    """The shipment arrives; ``delivered_serials`` (default: all) are delivered to the school.

    Serials of the shipment that did not arrive are recorded as missing on the
    shipment and stay in transit until reported lost (or recovered at a depot).
    """
    arrived = None if delivered_serials is None else list(delivered_serials)

    def run() -> list[Aggregate]:
        shipment = app.get(shipment_id(shipment_reference), Shipment)
        delivered = shipment.deliver(recipient, by, arrived)
        devices = load_devices(app, delivered)
        for device in devices:
            device.deliver(shipment.reference, recipient, by)
        return [shipment, *devices]

    return cast(Shipment, save_together(app, run)[0])


def report_shipment_lost(
    app: Maillage, shipment_reference: str, circumstances: str, by: str
) -> Shipment:
    """The whole shipment went missing on the way: it and every device in it are lost."""

    def run() -> list[Aggregate]:
        shipment = app.get(shipment_id(shipment_reference), Shipment)
        shipment.report_lost(circumstances, by)
        devices = load_devices(app, shipment.serials)
        why = f"shipment {shipment.reference} lost in transit: {circumstances.strip()}"
        for device in devices:
            device.report_lost(why, by)
        return [shipment, *devices]

    return cast(Shipment, save_together(app, run)[0])


# ---------------------------------------------------------------------------- school


def hand_over(
    app: Maillage,
    serial_number: str,
    holder: str,
    role: str,
    minor: bool,
    by: str,
    charter_signed_by: str | None = None,
) -> Device:
    """Hand a delivered device to a pupil or teacher; unsigned, it waits for acceptance."""
    return _edit_device(
        app, serial_number, lambda d: d.hand_over(holder, role, minor, by, charter_signed_by)
    )


def sign_charter(app: Maillage, serial_number: str, signed_by: str, by: str) -> Device:
    """Record the charter signature (``self``, or ``parent`` for a minor)."""
    return _edit_device(app, serial_number, lambda d: d.sign_charter(signed_by, by))


def report_returned(app: Maillage, serial_number: str, reason: str, by: str) -> Device:
    """The holder gives the device back to the school."""
    return _edit_device(app, serial_number, lambda d: d.record_return(reason, by))


def give_for_good(app: Maillage, serials: Iterable[str], by: str) -> int:
    """End of cycle: the holders keep these devices (all or nothing)."""
    return _each(app, serials, "handing over for good", lambda d: d.give_for_good(by))


# ---------------------------------------------------------------------------- incidents


def report_faulty(app: Maillage, serial_number: str, fault: str, by: str) -> Device:
    """Record a fault on a device."""
    return _edit_device(app, serial_number, lambda d: d.report_faulty(fault, by))


def send_to_repair(
    app: Maillage, serials: Iterable[str], repairer: str, repair_reference: str, by: str
) -> int:
    """Faulty devices leave for a repairer under one repair ticket (all or nothing)."""
    return _each(
        app,
        serials,
        f"repair {repair_reference.strip()}",
        lambda d: d.send_to_repair(repairer, repair_reference, by),
    )


def report_repaired(
    app: Maillage,
    serial_number: str,
    depot: str,
    by: str,
    image_version: str | None = None,
    enrolment_id: str | None = None,
) -> Device:
    """A repaired device is back at a depot, staged again."""
    return _edit_device(
        app, serial_number, lambda d: d.record_repair(depot, by, image_version, enrolment_id)
    )


def report_lost(app: Maillage, serials: Iterable[str], circumstances: str, by: str) -> int:
    """Devices that cannot be found (all or nothing)."""
    return _each(app, serials, "loss report", lambda d: d.report_lost(circumstances, by))


def report_stolen(
    app: Maillage, serial_number: str, police_report_reference: str, circumstances: str, by: str
) -> Device:
    """A stolen device; the police report's reference is required."""
    return _edit_device(
        app,
        serial_number,
        lambda d: d.report_stolen(police_report_reference, circumstances, by),
    )


def recover(app: Maillage, serial_number: str, depot: str, by: str) -> Device:
    """A lost or stolen device turned up and is brought to a depot."""
    return _edit_device(app, serial_number, lambda d: d.recover(depot, by))


# ---------------------------------------------------------------------------- kits


def kit_assemble(
    app: Maillage, reference: str, uai: str, cart_id: str, serials: Iterable[str], by: str
) -> MobileClassroomKit:
    """Make a kit of devices the log places at the school (delivered or returned there)."""
    school = find_school(app, uai)
    kit = MobileClassroomKit.assemble(reference, school.uai, cart_id, serials, by)
    _absent(app, kit.id, f"kit {kit.reference}")
    here = ("establishment", school.uai)
    elsewhere = [
        f"{d.serial} ({status_label(d.status)}, {place_label(d.location)})"
        for d in load_devices(app, kit.serials)
        if d.location != here or d.status not in ("delivered", "returned")
    ]
    if elsewhere:
        raise RuleViolationError(
            f"kit {kit.reference}: only devices delivered to {school.uai} and not handed over "
            f"can join it; not so: {listing(elsewhere)}"
        )
    app.save(kit)
    return kit


def kit_reserve(
    app: Maillage, reference: str, class_name: str, start: datetime, end: datetime, by: str
) -> str:
    """Book a kit for a class; returns the reservation id."""
    made: list[str] = []
    app.edit(
        kit_id(reference),
        MobileClassroomKit,
        lambda k: made.append(k.reserve(class_name, start, end, by)),
    )
    return made[-1]


def kit_cancel(
    app: Maillage, reference: str, reservation_id: str, reason: str, by: str
) -> MobileClassroomKit:
    """Cancel a booked reservation."""
    return app.edit(
        kit_id(reference), MobileClassroomKit, lambda k: k.cancel(reservation_id, reason, by)
    )


def kit_check_out(
    app: Maillage, reference: str, reservation_id: str, by: str
) -> MobileClassroomKit:
    """The class takes the kit for its reservation."""
    return app.edit(
        kit_id(reference), MobileClassroomKit, lambda k: k.check_out(reservation_id, by)
    )


def kit_check_in(
    app: Maillage, reference: str, scanned_serials: Iterable[str], by: str
) -> list[str]:
    """The kit comes back; returns the serials missing (recorded in the check-in)."""
    scanned = list(scanned_serials)
    missing: list[list[str]] = []
    app.edit(
        kit_id(reference),
        MobileClassroomKit,
        lambda k: missing.append(k.check_in(scanned, by)),
    )
    return missing[-1]


# ---------------------------------------------------------------------------- audits


def _whereabouts(device: Device) -> str:
    """Where the log places a device, or what became of it when it is nowhere."""
    if device.location is not None:
        return place_label(device.location)
    seen = f", last seen at {place_label(device.last_location)}" if device.last_location else ""
    return f"{status_label(device.status)}{seen}"


def count_inventory(
    app: Maillage,
    location_kind: str,
    location_ref: str,
    scanned_serials: Iterable[str],
    by: str,
    candidate_serials: Iterable[str] = (),
) -> InventoryCount:
    """Record a count of the serials scanned at a depot or school against the log.

    The expected serials are those the log places there among ``candidate_serials``
    (e.g. every serial allocated to the school, from a view) and the scanned
    ones; scanned serials the log places elsewhere are misplaced, with where.
    """
    kind, ref = counted_location(location_kind, location_ref)
    place = (kind, ref)
    scanned = unique_serials(scanned_serials, f"count at {kind} {ref}")
    candidates = list(dict.fromkeys(serial(s) for s in candidate_serials))
    everyone = list(dict.fromkeys([*candidates, *scanned]))
    known = load_many(app, [device_id(s) for s in everyone], Device)
    devices = {d.serial: d for d in known.values()}
    expected = [s for s in everyone if s in devices and devices[s].location == place]
    elsewhere = {
        s: _whereabouts(devices[s])
        for s in scanned
        if s in devices and devices[s].location != place
    }
    count = InventoryCount.count(kind, ref, expected, scanned, elsewhere, by)
    app.save(count)
    return count
