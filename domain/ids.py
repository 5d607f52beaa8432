"""Natural keys become stable ids (uuid5), so that imports are idempotent."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed namespaces: changing one would orphan every stored aggregate of that kind.
NAMESPACE = UUID("6d1b5c3e-3a57-4d4b-9a0e-2f1c7a9b8e10")
DEVICE_NS = uuid5(NAMESPACE, "device")
ESTABLISHMENT_NS = uuid5(NAMESPACE, "establishment")
PURCHASE_ORDER_NS = uuid5(NAMESPACE, "purchase-order")


def device_id(serial: str) -> UUID:
    """Id of the device with this manufacturer serial (case and spaces ignored)."""
    return uuid5(DEVICE_NS, serial.strip().upper())


def establishment_id(uai: str) -> UUID:
    """Id of the school with this UAI."""
    return uuid5(ESTABLISHMENT_NS, uai.strip().upper())


def purchase_order_id(reference: str) -> UUID:
    """Id of the purchase order with this reference."""
    return uuid5(PURCHASE_ORDER_NS, reference.strip())
