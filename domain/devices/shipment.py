"""A shipment of devices from a depot to one school, tracked serial by serial.

packing (serials added, each once) → sealed (nothing can be added) → in transit
→ delivered, partially delivered (the serials that did not arrive are recorded)
or lost. The devices inside follow the same steps (see ``domain.devices.service``,
which changes a shipment and its devices in one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.devices.inputs import listing, required, unique_serials, who
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import shipment_id

SHIPMENT_STATUSES: tuple[str, ...] = (
    "packing",
    "sealed",
    "in_transit",
    "delivered",
    "partially_delivered",
    "lost",
)


class Shipment(MaillageAggregate):
    """One parcel or pallet of devices bound for one establishment."""

    @staticmethod
    def create_id(reference: str) -> UUID:
        return shipment_id(reference)

    @event("Prepared")
    def __init__(self, reference: str, uai: str, depot: str, by: str) -> None:
        self.reference = reference
        self.uai = uai
        self.depot = depot
        self.prepared_by = by
        self.status = "packing"
        self.serials: list[str] = []
        self._inside: set[str] = set()
        self.seal_number: str | None = None
        self.carrier: str | None = None
        self.recipient: str | None = None
        self.delivered_serials: list[str] = []
        self.missing_serials: list[str] = []

    @classmethod
    def prepare(cls, reference: str, uai: str, depot: str, by: str) -> Shipment:
        """Open a shipment for packing at a depot, bound for the school with this UAI."""
        return cls(
            reference=required(reference, "the shipment reference").upper(),
            uai=normalise_uai(uai),
            depot=required(depot, "the depot"),
            by=who(by, "preparing a shipment"),
        )

    def _require(self, action: str, *statuses: str) -> None:
        if self.status not in statuses:
            needed = " or ".join(s.replace("_", " ") for s in statuses)
            raise RuleViolationError(
                f"shipment {self.reference} is {self.status.replace('_', ' ')}: "
                f"{action} needs it {needed}"
            )

    def contains(self, serial: str) -> bool:
        return serial in self._inside

    # ------------------------------------------------------------------ depot

    def pack(self, serials: Iterable[str], by: str) -> list[str]:
        """Add serials to the shipment; a serial given twice or already inside is refused.

        Returns the normalised serials added, in order.
        """
        self._require("adding devices", "packing")
        added = unique_serials(serials, f"packing shipment {self.reference}")
        if not added:
            raise InvalidInputError(f"packing shipment {self.reference}: no serial given")
        already = [s for s in added if s in self._inside]
        if already:
            raise RuleViolationError(
                f"shipment {self.reference} already contains {listing(already)}"
            )
        self._packed(serials=added, by=who(by, "packing a shipment"))
        return added

    @event("Packed")
    def _packed(self, serials: list[str], by: str) -> None:
        self.serials.extend(serials)
        self._inside.update(serials)

    def seal(self, seal_number: str, by: str) -> None:
        """Close the shipment with a numbered tamper seal; nothing can be added afterwards."""
        self._require("sealing", "packing")
        if not self.serials:
            raise RuleViolationError(f"shipment {self.reference} is empty: nothing to seal")
        self._sealed(
            seal_number=required(seal_number, "the seal number"), by=who(by, "sealing a shipment")
        )

    @event("Sealed")
    def _sealed(self, seal_number: str, by: str) -> None:
        self.status = "sealed"
        self.seal_number = seal_number

    def dispatch(self, carrier: str, by: str) -> None:
        """The sealed shipment leaves the depot with a carrier."""
        self._require("dispatching", "sealed")
        self._dispatched(
            carrier=required(carrier, "the carrier"), by=who(by, "dispatching a shipment")
        )

    @event("Dispatched")
    def _dispatched(self, carrier: str, by: str) -> None:
        self.status = "in_transit"
        self.carrier = carrier

    # ------------------------------------------------------------------ arrival

    def deliver(
        self, recipient: str, by: str, delivered_serials: Iterable[str] | None = None
    ) -> list[str]:
        """The shipment arrives and a named recipient signs for it.

        ``delivered_serials`` are the serials checked on arrival (default: all of
        them); if some are absent the delivery is partial and records them as
        missing. Returns the serials delivered.
        """
        self._require("delivery", "in_transit")
        name = required(recipient, "the recipient who signs the delivery note")
        agent = who(by, "delivering a shipment")
        if delivered_serials is None:
            self._delivered(recipient=name, by=agent)
            return list(self.serials)
        arrived = unique_serials(delivered_serials, f"delivery of shipment {self.reference}")
        strangers = [s for s in arrived if s not in self._inside]
        if strangers:
            raise InvalidInputError(
                f"shipment {self.reference} does not contain {listing(strangers)}"
            )
        if not arrived:
            raise InvalidInputError(
                f"shipment {self.reference}: no serial arrived; report the shipment lost instead"
            )
        arrived_set = set(arrived)
        missing = [s for s in self.serials if s not in arrived_set]
        if not missing:
            self._delivered(recipient=name, by=agent)
        else:
            delivered = [s for s in self.serials if s in arrived_set]
            self._partially_delivered(
                recipient=name, delivered=delivered, missing=missing, by=agent
            )
        return [s for s in self.serials if s in arrived_set]

    @event("Delivered")
    def _delivered(self, recipient: str, by: str) -> None:
        self.status = "delivered"
        self.recipient = recipient
        self.delivered_serials = list(self.serials)

    @event("PartiallyDelivered")
    def _partially_delivered(
        self, recipient: str, delivered: list[str], missing: list[str], by: str
    ) -> None:
        self.status = "partially_delivered"
        self.recipient = recipient
        self.delivered_serials = list(delivered)
        self.missing_serials = list(missing)

    def report_lost(self, circumstances: str, by: str) -> None:
        """The whole shipment went missing on the way."""
        self._require("reporting it lost", "in_transit")
        self._lost(
            circumstances=required(circumstances, "the circumstances of the loss"),
            by=who(by, "reporting a lost shipment"),
        )

    @event("Lost")
    def _lost(self, circumstances: str, by: str) -> None:
        self.status = "lost"
