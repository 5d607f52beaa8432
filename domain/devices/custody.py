"""The chain of custody of one device: every recorded step with when, who, where and references.

The device's own events are replayed in log order (so each step also shows
the status and place the device was left in), and the events of the shipments
it travelled in that concern it without being device events are merged in:
the seal put on the shipment and, on a partial delivery, the device recorded
missing. Steps are ordered by their position in the log, which is the order
they were recorded in even when timestamps are equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.application import Maillage
from domain.devices.device import Device, place_label, status_label
from domain.devices.establishment import Establishment
from domain.devices.inputs import serial as normalise_serial
from domain.errors import NotFoundError
from domain.ids import device_id, establishment_id, shipment_id
from domain.store import ViewConnection


@dataclass(frozen=True)
class CustodyStep:
    """One step of a device's custody, as recorded."""

    position: int
    """The event's position in the log (notification id)."""
    when: datetime
    """When it was recorded (UTC)."""
    event: str
    """The event's type, e.g. ``Device.Delivered`` or ``Shipment.Sealed``."""
    what: str
    """What happened, in words."""
    by: str
    """Who did it or recorded it (``manifest`` for an announcement)."""
    where: str
    """Where the device was after this step."""
    status: str
    """The device's status after this step."""
    references: dict[str, str] = field(default_factory=dict)
    """Documents and identifiers: order, delivery note, shipment, seal, police report…"""

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "when": self.when.astimezone(UTC).isoformat(),
            "event": self.event,
            "what": self.what,
            "by": self.by,
            "where": self.where,
            "status": self.status,
            "references": dict(self.references),
        }


def _positioned_events(app: Maillage, ids: Sequence[UUID]) -> list[tuple[int, Any]]:
    """(log position, domain event) of every event of these aggregates, in log order."""
    if not ids:
        return []
    conn = ViewConnection.open(app.location)
    try:
        if conn.kind == "sqlite":
            marks = ",".join("?" * len(ids))
            rows = conn.fetchall(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {app.events_table} WHERE originator_id IN ({marks})",
                [i.hex for i in ids],
            )
        else:
            rows = conn.fetchall(
                f"SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {app.events_table} WHERE originator_id = ANY(?)",
                (list(ids),),
            )
    finally:
        conn.close()
    out = []
    for position, originator, version, topic, state in rows:
        aggregate_id = originator if isinstance(originator, UUID) else UUID(originator)
        stored = StoredEvent(aggregate_id, int(version), str(topic), bytes(state))
        out.append((int(position), app.mapper.to_domain_event(stored)))
    return sorted(out, key=lambda pair: pair[0])


class _Places:
    """Names places for people: a school by UAI and name when it is registered."""

    def __init__(self, app: Maillage) -> None:
        self.app = app
        self.schools: dict[str, str] = {}

    def school(self, uai: str) -> str:
        if uai not in self.schools:
            try:
                name = self.app.get(establishment_id(uai), Establishment).name
                self.schools[uai] = f"{uai} {name}"
            except NotFoundError:
                self.schools[uai] = uai
        return self.schools[uai]

    def of(self, device: Device) -> str:
        """Where the device is, with the school named (or where it was last seen)."""
        location = device.location
        if location is None:
            if device.status == "announced":
                return "not yet received"
            seen = device.last_location
            return f"unknown (last seen: {self._place(seen)})" if seen else "unknown"
        if location[0] == "shipment" and device.establishment_uai:
            return f"shipment {location[1]} bound for {self.school(device.establishment_uai)}"
        return self._place(location)

    def _place(self, location: tuple[str, str] | None) -> str:
        if location is None:
            return "unknown"
        kind, ref = location
        if kind == "establishment":
            return f"establishment {self.school(ref)}"
        if kind == "holder":
            return f"holder {ref}"
        if kind == "repair":
            return f"repairer {ref}"
        return place_label(location)


def _device_step(e: Any, places: _Places) -> tuple[str, dict[str, str]]:
    """What a device event says, in words, and the references it carries."""
    kind = type(e).__name__
    if kind == "Announced":
        return (
            f"announced on the manufacturer's manifest ({e.model}, {e.kind})",
            {"order": e.order_reference},
        )
    if kind == "Received":
        return (
            f"received at depot {e.depot} on delivery note {e.delivery_note}",
            {"order": e.order_reference, "delivery_note": e.delivery_note},
        )
    if kind == "Staged":
        return (
            f"staged: image {e.image_version}, enrolment {e.enrolment_id}",
            {"image_version": e.image_version, "enrolment_id": e.enrolment_id},
        )
    if kind == "Allocated":
        return f"allocated to {places.school(e.uai)}", {"uai": e.uai}
    if kind == "Packed":
        return f"packed in shipment {e.shipment_reference}", {"shipment": e.shipment_reference}
    if kind == "Dispatched":
        return (
            f"dispatched in shipment {e.shipment_reference} with {e.carrier}",
            {"shipment": e.shipment_reference, "carrier": e.carrier},
        )
    if kind == "Delivered":
        return (
            f"delivered to {places.school(e.uai)}; delivery note signed by {e.recipient}",
            {"shipment": e.shipment_reference, "recipient": e.recipient, "uai": e.uai},
        )
    if kind == "HandedOver":
        minor = " (a minor)" if e.minor else ""
        return (
            f"handed to {e.role} {e.holder}{minor}; waiting for the signed charter",
            {"holder": e.holder, "uai": e.uai},
        )
    if kind == "CharterSigned":
        signer = "a parent" if e.signed_by == "parent" else "the holder"
        return f"charter signed by {signer}: hand-over accepted", {"holder": e.holder}
    if kind == "Returned":
        return (
            f"returned by {e.holder or 'its holder'} to {places.school(e.uai)}: {e.reason}",
            {"holder": e.holder, "uai": e.uai},
        )
    if kind == "HandedOverForGood":
        return f"handed over for good to {e.holder}: custody ends", {"holder": e.holder}
    if kind == "FaultReported":
        return f"reported faulty: {e.fault}", {}
    if kind == "SentToRepair":
        return (
            f"sent to repairer {e.repairer} under {e.repair_reference}",
            {"repair": e.repair_reference},
        )
    if kind == "Repaired":
        image = f", re-imaged {e.image_version}" if e.image_version else ""
        return (
            f"back from repair {e.repair_reference} at depot {e.depot}, staged again{image}",
            {"repair": e.repair_reference},
        )
    if kind == "ReportedLost":
        return f"reported lost: {e.circumstances}", {}
    if kind == "ReportedStolen":
        return (
            f"reported stolen: {e.circumstances}",
            {"police_report": e.police_report_reference},
        )
    if kind == "Recovered":
        return f"recovered and brought to depot {e.depot}", {}
    return kind, {}  # an event type added later: still listed


def custody_chain(app: Maillage, serial: str) -> list[CustodyStep]:
    """Every step of one device's custody, oldest first; an unknown serial is named."""
    number = normalise_serial(serial)
    own = _positioned_events(app, [device_id(number)])
    if not own:
        raise NotFoundError(f"no device with serial {number} was announced")
    shipments = list(
        dict.fromkeys(e.shipment_reference for _, e in own if type(e).__name__ == "Packed")
    )
    others = [
        (p, e)
        for p, e in _positioned_events(app, [shipment_id(s) for s in shipments])
        if type(e).__name__ == "Sealed"
        or (type(e).__name__ == "PartiallyDelivered" and number in e.missing)
    ]
    references_of = {shipment_id(s): s for s in shipments}
    places = _Places(app)
    device: Any = None
    steps: list[CustodyStep] = []
    own_id = device_id(number)
    for position, e in sorted([*own, *others], key=lambda pair: pair[0]):
        if e.originator_id == own_id:
            device = e.mutate(device)
            what, refs = _device_step(e, places)
            by = getattr(e, "by", "manifest")
            event = f"Device.{type(e).__name__}"
        else:
            reference = references_of[e.originator_id]
            if type(e).__name__ == "Sealed":
                what = f"shipment {reference} sealed with seal {e.seal_number}"
                refs = {"shipment": reference, "seal": e.seal_number}
            else:
                what = (
                    f"missing on delivery of shipment {reference} "
                    f"(delivery note signed by {e.recipient})"
                )
                refs = {"shipment": reference, "recipient": e.recipient}
            by = e.by
            event = f"Shipment.{type(e).__name__}"
        steps.append(
            CustodyStep(
                position=position,
                when=e.timestamp.astimezone(UTC),
                event=event,
                what=what,
                by=by,
                where=places.of(device),
                status=status_label(device.status),
                references={k: v for k, v in refs.items() if v},
            )
        )
    return steps
