"""A laptop or tablet followed from the manufacturer's manifest to its user.

The foundation records only the announcement from a manifest; the lifecycle
(reception, staging, shipment, hand-over…) grows here with the device work.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError
from domain.ids import device_id

DeviceKind = Literal["laptop", "tablet"]
DEVICE_KINDS: tuple[str, ...] = ("laptop", "tablet")


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
        self.status = "announced"

    @classmethod
    def announce(cls, serial: str, model: str, kind: str, order_reference: str) -> Device:
        """A manifest line announces a device; serial and kind are checked first."""
        return cls(**announcement(serial, model, kind, order_reference))


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
