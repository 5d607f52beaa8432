"""A laptop or tablet followed from the manufacturer's manifest to its user.

Lifecycle (``ALLOWED`` says which command is allowed in which status, ``COMMAND_EVENTS``
what event each records and the status it leaves; ``TRANSITIONS`` combines them): announced
by a manifest → received at a depot on a delivery note → staged (imaged, enrolled) →
allocated to a school → packed in a shipment → in transit → delivered (a named recipient signs) →
handed to a pupil or teacher, pending acceptance until the charter is signed →
returned, faulty (sent to repair, then staged again), lost, stolen (police
report required) or handed over for good. Lost and stolen devices that turn up
re-enter at a depot as received.

``location`` keeps where the device is for custody: ``(kind, reference)`` with
kind ``depot``, ``shipment``, ``establishment`` (UAI), ``holder`` (pseudonymous
reference) or ``repair`` (repairer), or ``None`` before reception and while
lost or stolen.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.devices.inputs import pseudonym, required, who
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import device_id

DEVICE_KINDS: tuple[str, ...] = ("laptop", "tablet")
HOLDER_ROLES: tuple[str, ...] = ("pupil", "teacher")
CHARTER_SIGNERS: tuple[str, ...] = ("self", "parent")

COMMAND_EVENTS: dict[str, tuple[str, str]] = {
    "receive": ("Received", "received"),
    "stage": ("Staged", "staged"),
    "allocate": ("Allocated", "allocated"),
    "pack": ("Packed", "packed"),
    "dispatch": ("Dispatched", "in_transit"),
    "deliver": ("Delivered", "delivered"),
    "hand_over": ("HandedOver", "pending_acceptance"),
    "sign_charter": ("CharterSigned", "handed_over"),
    "record_return": ("Returned", "returned"),
    "give_for_good": ("HandedOverForGood", "handed_over_for_good"),
    "report_faulty": ("FaultReported", "faulty"),
    "send_to_repair": ("SentToRepair", "in_repair"),
    "record_repair": ("Repaired", "staged"),
    "report_lost": ("ReportedLost", "lost"),
    "report_stolen": ("ReportedStolen", "stolen"),
    "recover": ("Recovered", "received"),
}
"""What each command (a ``Device`` method) records: its event, and the status that event
leaves the device in. The one place that says what an event does to a device's status: the
event bodies, the transition table, the devices view and the custody chain all read it."""

EVENT_STATUS: dict[str, str] = {event: status for event, status in COMMAND_EVENTS.values()}
"""Device event (class name) → the status it leaves the device in (from ``COMMAND_EVENTS``)."""

ANNOUNCED = "announced"
"""A device's status from its manifest line until it is received."""

_CUSTODY_LOSS = ("report_lost", "report_stolen")
_BREAKDOWN = ("report_faulty", *_CUSTODY_LOSS)

ALLOWED: dict[str, tuple[str, ...]] = {
    ANNOUNCED: ("receive",),
    "received": ("stage", *_BREAKDOWN),
    "staged": ("allocate", *_BREAKDOWN),
    "allocated": ("allocate", "pack", *_BREAKDOWN),
    "packed": ("dispatch", *_CUSTODY_LOSS),
    "in_transit": ("deliver", *_CUSTODY_LOSS),
    "delivered": ("hand_over", *_BREAKDOWN),
    "pending_acceptance": ("sign_charter", "record_return", *_BREAKDOWN),
    "handed_over": ("record_return", "give_for_good", *_BREAKDOWN),
    "returned": ("hand_over", *_BREAKDOWN),
    "faulty": ("send_to_repair", *_CUSTODY_LOSS),
    "in_repair": ("record_repair", *_CUSTODY_LOSS),
    "lost": ("recover",),
    "stolen": ("recover",),
    "handed_over_for_good": (),
}
"""status → the commands allowed in it; anything else is refused."""

TRANSITIONS: dict[str, dict[str, str]] = {
    status: {command: COMMAND_EVENTS[command][1] for command in commands}
    for status, commands in ALLOWED.items()
}
"""status → {command → status it leads to}: ``ALLOWED`` and ``COMMAND_EVENTS`` together."""

STATUSES: tuple[str, ...] = tuple(TRANSITIONS)
COMMANDS: tuple[str, ...] = tuple(dict.fromkeys(c for cs in TRANSITIONS.values() for c in cs))

_ACTIONS = {
    "receive": "be received at a depot",
    "stage": "be staged",
    "allocate": "be allocated to an establishment",
    "pack": "be packed",
    "dispatch": "be dispatched",
    "deliver": "be delivered",
    "hand_over": "be handed to a pupil or teacher",
    "sign_charter": "have its charter signed",
    "record_return": "be returned",
    "give_for_good": "be handed over for good",
    "report_faulty": "be reported faulty",
    "send_to_repair": "be sent to repair",
    "record_repair": "come back from repair",
    "report_lost": "be reported lost",
    "report_stolen": "be reported stolen",
    "recover": "be recovered",
}


def status_label(status: str) -> str:
    """A status as people say it (``in_transit`` → ``in transit``)."""
    return status.replace("_", " ")


def place_label(location: tuple[str, str] | None) -> str:
    """Where a device is, for messages and audits (``establishment 0450001A``)."""
    return "nowhere known" if location is None else f"{location[0]} {location[1]}"


class Device(MaillageAggregate):
    """One serial-numbered device and its chain of custody."""

    @staticmethod
    def create_id(serial: str) -> UUID:
        return device_id(serial)

    @event("Announced")
    def __init__(self, serial: str, model: str, kind: str, order_reference: str) -> None:
        self.serial = serial
        self.model = model
        self.kind = kind
        self.order_reference = order_reference
        self.status = ANNOUNCED
        self.location: tuple[str, str] | None = None
        self.last_location: tuple[str, str] | None = None
        self.depot: str | None = None
        self.delivery_note: str | None = None
        self.image_version: str | None = None
        self.enrolment_id: str | None = None
        self.establishment_uai: str | None = None
        self.shipment_reference: str | None = None
        self.holder: str | None = None
        self.holder_role: str | None = None
        self.holder_minor = False
        self.charter_signed_by: str | None = None
        self.fault: str | None = None
        self.repair_reference: str | None = None
        self.police_report_reference: str | None = None

    @classmethod
    def announce(cls, serial: str, model: str, kind: str, order_reference: str) -> Device:
        """A manifest line announces a device; serial and kind are checked first."""
        return cls(**announcement(serial, model, kind, order_reference))

    # ------------------------------------------------------------------ guards

    def allowed_commands(self) -> tuple[str, ...]:
        """The commands the transition table allows in the current status."""
        return tuple(TRANSITIONS[self.status])

    def _allow(self, command: str) -> None:
        """Refuse ``command`` unless the transition table allows it now, saying what is allowed."""
        allowed = TRANSITIONS[self.status]
        if command in allowed:
            return
        sources = " or ".join(status_label(s) for s, cs in TRANSITIONS.items() if command in cs)
        now = ", ".join(c.replace("_", " ") for c in allowed) or "nothing (end of its cycle)"
        raise RuleViolationError(
            f"device {self.serial} is {status_label(self.status)}; it cannot "
            f"{_ACTIONS[command]} (only when {sources}); allowed now: {now}"
        )

    def _in_shipment(self, shipment_reference: str) -> None:
        if shipment_reference != self.shipment_reference:
            raise RuleViolationError(
                f"device {self.serial} is in shipment {self.shipment_reference}, "
                f"not {shipment_reference}"
            )

    def _move(self, status: str, location: tuple[str, str] | None) -> None:
        self.status = status
        if self.location is not None:
            self.last_location = self.location
        self.location = location

    # ------------------------------------------------------------------ depot

    def receive(self, order_reference: str, delivery_note: str, depot: str, by: str) -> None:
        """The device arrives at a depot on a manufacturer's delivery note of its order."""
        self._allow("receive")
        if order_reference.strip() != self.order_reference:
            raise RuleViolationError(
                f"device {self.serial} was announced on order {self.order_reference}, "
                f"not {order_reference.strip()}"
            )
        self._received(
            order_reference=self.order_reference,
            delivery_note=required(delivery_note, "the delivery note reference"),
            depot=required(depot, "the depot"),
            by=who(by, "receiving a device"),
        )

    @event("Received")
    def _received(self, order_reference: str, delivery_note: str, depot: str, by: str) -> None:
        self._move(EVENT_STATUS["Received"], ("depot", depot))
        self.depot = depot
        self.delivery_note = delivery_note

    def stage(self, image_version: str, enrolment_id: str, by: str) -> None:
        """The device is imaged with a master version and enrolled in device management."""
        self._allow("stage")
        self._staged(
            image_version=required(image_version, "the image version"),
            enrolment_id=required(enrolment_id, f"the enrolment id of {self.serial}"),
            by=who(by, "staging a device"),
        )

    @event("Staged")
    def _staged(self, image_version: str, enrolment_id: str, by: str) -> None:
        self.status = EVENT_STATUS["Staged"]
        self.image_version = image_version
        self.enrolment_id = enrolment_id

    def allocate(self, uai: str, by: str) -> None:
        """The device is set aside for a school (again: a new allocation replaces the old)."""
        self._allow("allocate")
        self._allocated(uai=normalise_uai(uai), by=who(by, "allocating a device"))

    @event("Allocated")
    def _allocated(self, uai: str, by: str) -> None:
        self.status = EVENT_STATUS["Allocated"]
        self.establishment_uai = uai

    def pack(self, shipment_reference: str, uai: str, by: str) -> None:
        """The device goes into a shipment bound for the school it is allocated to."""
        self._allow("pack")
        destination = normalise_uai(uai)
        if destination != self.establishment_uai:
            raise RuleViolationError(
                f"device {self.serial} is allocated to {self.establishment_uai}; it cannot "
                f"be packed in shipment {shipment_reference} bound for {destination}"
            )
        self._packed(
            shipment_reference=required(shipment_reference, "the shipment reference"),
            by=who(by, "packing a device"),
        )

    @event("Packed")
    def _packed(self, shipment_reference: str, by: str) -> None:
        self._move(EVENT_STATUS["Packed"], ("shipment", shipment_reference))
        self.shipment_reference = shipment_reference

    def dispatch(self, shipment_reference: str, carrier: str, by: str) -> None:
        """The device leaves the depot in its sealed shipment."""
        self._allow("dispatch")
        self._in_shipment(shipment_reference)
        self._dispatched(
            shipment_reference=shipment_reference,
            carrier=required(carrier, "the carrier"),
            by=who(by, "dispatching a device"),
        )

    @event("Dispatched")
    def _dispatched(self, shipment_reference: str, carrier: str, by: str) -> None:
        self.status = EVENT_STATUS["Dispatched"]

    def deliver(self, shipment_reference: str, recipient: str, by: str) -> None:
        """The device arrives at its school; a named recipient signs the delivery note."""
        self._allow("deliver")
        self._in_shipment(shipment_reference)
        assert self.establishment_uai is not None  # allocated before packing
        self._delivered(
            shipment_reference=shipment_reference,
            uai=self.establishment_uai,
            recipient=required(recipient, "the recipient who signs the delivery note"),
            by=who(by, "delivering a device"),
        )

    @event("Delivered")
    def _delivered(self, shipment_reference: str, uai: str, recipient: str, by: str) -> None:
        self._move(EVENT_STATUS["Delivered"], ("establishment", uai))

    # ------------------------------------------------------------------ school

    def hand_over(
        self,
        holder: str,
        role: str,
        minor: bool,
        by: str,
        charter_signed_by: str | None = None,
    ) -> None:
        """The device is handed to a pupil or teacher (a pseudonymous reference, never a name).

        Without a signed charter the hand-over waits for acceptance; with
        ``charter_signed_by`` the signature is recorded at once as its own event.
        """
        self._allow("hand_over")
        reference = pseudonym(holder, "the holder reference")
        if role not in HOLDER_ROLES:
            raise InvalidInputError(f"holder role {role!r} is not one of {', '.join(HOLDER_ROLES)}")
        if minor and role != "pupil":
            raise InvalidInputError(f"holder {reference} is a {role}: only a pupil can be a minor")
        if charter_signed_by is not None:
            _check_signer(self.serial, reference, minor, charter_signed_by)
        name = who(by, "handing over a device")
        assert self.establishment_uai is not None  # delivered or returned there
        self._handed_over(
            uai=self.establishment_uai, holder=reference, role=role, minor=minor, by=name
        )
        if charter_signed_by is not None:
            self._charter_signed(holder=reference, signed_by=charter_signed_by, by=name)

    @event("HandedOver")
    def _handed_over(self, uai: str, holder: str, role: str, minor: bool, by: str) -> None:
        self._move(EVENT_STATUS["HandedOver"], ("holder", holder))
        self.holder = holder
        self.holder_role = role
        self.holder_minor = minor
        self.charter_signed_by = None

    def sign_charter(self, signed_by: str, by: str) -> None:
        """The holder (or a parent, for a minor) signs the charter: the hand-over is accepted."""
        self._allow("sign_charter")
        assert self.holder is not None
        _check_signer(self.serial, self.holder, self.holder_minor, signed_by)
        self._charter_signed(
            holder=self.holder, signed_by=signed_by, by=who(by, "recording a charter")
        )

    @event("CharterSigned")
    def _charter_signed(self, holder: str, signed_by: str, by: str) -> None:
        self.status = EVENT_STATUS["CharterSigned"]
        self.charter_signed_by = signed_by

    def record_return(self, reason: str, by: str) -> None:
        """The holder gives the device back to the school (it can be handed over again)."""
        self._allow("record_return")
        assert self.establishment_uai is not None
        self._returned(
            holder=self.holder or "",
            uai=self.establishment_uai,
            reason=required(reason, "the reason for the return"),
            by=who(by, "recording a return"),
        )

    @event("Returned")
    def _returned(self, holder: str, uai: str, reason: str, by: str) -> None:
        self._move(EVENT_STATUS["Returned"], ("establishment", uai))
        self.holder = None
        self.holder_role = None
        self.holder_minor = False
        self.charter_signed_by = None

    def give_for_good(self, by: str) -> None:
        """At the end of the cycle the holder keeps the device: custody ends here."""
        self._allow("give_for_good")
        self._handed_over_for_good(holder=self.holder or "", by=who(by, "handing over for good"))

    @event("HandedOverForGood")
    def _handed_over_for_good(self, holder: str, by: str) -> None:
        self.status = EVENT_STATUS["HandedOverForGood"]

    # ------------------------------------------------------------------ incidents

    def report_faulty(self, fault: str, by: str) -> None:
        """Someone reports a fault; the device stays where it is until sent to repair."""
        self._allow("report_faulty")
        self._fault_reported(
            fault=required(fault, "the fault description"), by=who(by, "reporting a fault")
        )

    @event("FaultReported")
    def _fault_reported(self, fault: str, by: str) -> None:
        self.status = EVENT_STATUS["FaultReported"]
        self.fault = fault

    def send_to_repair(self, repairer: str, repair_reference: str, by: str) -> None:
        """A faulty device goes to a repairer under a repair ticket."""
        self._allow("send_to_repair")
        self._sent_to_repair(
            repairer=required(repairer, "the repairer"),
            repair_reference=required(repair_reference, "the repair reference"),
            by=who(by, "sending a device to repair"),
        )

    @event("SentToRepair")
    def _sent_to_repair(self, repairer: str, repair_reference: str, by: str) -> None:
        self._move(EVENT_STATUS["SentToRepair"], ("repair", repairer))
        self.repair_reference = repair_reference
        self.holder = None
        self.holder_role = None
        self.holder_minor = False
        self.charter_signed_by = None

    def record_repair(
        self,
        depot: str,
        by: str,
        image_version: str | None = None,
        enrolment_id: str | None = None,
    ) -> None:
        """The repaired device is back at a depot, staged again (re-imaged if a version is given).

        It needs a new allocation before it can travel again.
        """
        self._allow("record_repair")
        self._repaired(
            repair_reference=self.repair_reference or "",
            depot=required(depot, "the depot"),
            image_version=image_version.strip() if image_version else None,
            enrolment_id=enrolment_id.strip() if enrolment_id else None,
            by=who(by, "recording a repair"),
        )

    @event("Repaired")
    def _repaired(
        self,
        repair_reference: str,
        depot: str,
        image_version: str | None,
        enrolment_id: str | None,
        by: str,
    ) -> None:
        self._move(EVENT_STATUS["Repaired"], ("depot", depot))
        self.depot = depot
        self.fault = None
        self.establishment_uai = None
        self.shipment_reference = None
        if image_version:
            self.image_version = image_version
        if enrolment_id:
            self.enrolment_id = enrolment_id

    def report_lost(self, circumstances: str, by: str) -> None:
        """The device cannot be found; custody is broken until it is recovered."""
        self._allow("report_lost")
        self._reported_lost(
            circumstances=required(circumstances, "the circumstances of the loss"),
            by=who(by, "reporting a loss"),
        )

    @event("ReportedLost")
    def _reported_lost(self, circumstances: str, by: str) -> None:
        self._move(EVENT_STATUS["ReportedLost"], None)

    def report_stolen(self, police_report_reference: str, circumstances: str, by: str) -> None:
        """The device was stolen: refused without the police report's reference."""
        self._allow("report_stolen")
        if not police_report_reference.strip():
            raise InvalidInputError(
                f"device {self.serial}: reporting a theft needs the police report reference"
            )
        self._reported_stolen(
            police_report_reference=police_report_reference.strip(),
            circumstances=required(circumstances, "the circumstances of the theft"),
            by=who(by, "reporting a theft"),
        )

    @event("ReportedStolen")
    def _reported_stolen(self, police_report_reference: str, circumstances: str, by: str) -> None:
        self._move(EVENT_STATUS["ReportedStolen"], None)
        self.police_report_reference = police_report_reference

    def recover(self, depot: str, by: str) -> None:
        """A lost or stolen device turned up and is brought to a depot: it re-enters as received."""
        self._allow("recover")
        self._recovered(depot=required(depot, "the depot"), by=who(by, "recovering a device"))

    @event("Recovered")
    def _recovered(self, depot: str, by: str) -> None:
        self._move(EVENT_STATUS["Recovered"], ("depot", depot))
        self.depot = depot
        self.establishment_uai = None
        self.shipment_reference = None
        self.holder = None
        self.holder_role = None
        self.holder_minor = False
        self.charter_signed_by = None


def _check_signer(serial: str, holder: str, minor: bool, signed_by: str) -> None:
    """A minor's charter is signed by a parent; anyone else signs their own."""
    if signed_by not in CHARTER_SIGNERS:
        raise InvalidInputError(
            f"charter signer {signed_by!r} is not one of {', '.join(CHARTER_SIGNERS)}"
        )
    expected = "parent" if minor else "self"
    if signed_by != expected:
        whose = "a minor: a parent signs" if minor else "not a minor: they sign themselves"
        raise RuleViolationError(
            f"device {serial}: holder {holder} is {whose} the charter, not {signed_by}"
        )


def announcement(serial: str, model: str, kind: str, order_reference: str) -> dict[str, str]:
    """The checked, normalised fields of a device announcement (shared by the bulk import)."""
    serial = serial.strip().upper()
    if not serial:
        raise InvalidInputError("a device serial is empty")
    if kind not in DEVICE_KINDS:
        raise InvalidInputError(f"device kind {kind!r} is not one of {', '.join(DEVICE_KINDS)}")
    return {
        "serial": serial,
        "model": model.strip(),
        "kind": kind,
        "order_reference": order_reference.strip(),
    }
