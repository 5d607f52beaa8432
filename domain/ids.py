"""Natural keys become stable ids (uuid5), so that imports are idempotent.

``uuid5`` here gives exactly ``uuid.uuid5``'s result (``tests/domain/test_ids.py``
checks it on random names) but costs about a quarter as much: the standard one
builds the UUID from 16 bytes through ``UUID.__init__``'s general checks, which
on imports of hundreds of thousands of devices took ~40% of building the events.
``uuid5_hex`` skips the ``UUID`` object altogether and gives the 32-digit hex
form the SQLite store keeps (``UUID.hex``): the bulk import path uses it.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

# RFC 4122 name-based SHA-1 UUID: the hash's first 16 bytes with the version
# nibble (bits 76-79) set to 5 and the variant bits (62-63) set to 0b10, as
# ``UUID(bytes=..., version=5)`` does.
_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_5_RFC_4122 = (5 << 76) | (0x8000 << 48)
_sha1 = hashlib.sha1


def _uuid5_int(namespace: bytes, name: str) -> int:
    digest = _sha1(namespace + name.encode("utf-8"), usedforsecurity=False).digest()
    return (int.from_bytes(digest[:16], "big") & _KEEP) | _VERSION_5_RFC_4122


def uuid5(namespace: UUID, name: str) -> UUID:
    """``uuid.uuid5(namespace, name)``, faster."""
    return UUID(int=_uuid5_int(namespace.bytes, name))


def uuid5_hex(namespace: UUID, name: str) -> str:
    """``uuid.uuid5(namespace, name).hex`` (32 lower-case hex digits), without the UUID."""
    return f"{_uuid5_int(namespace.bytes, name):032x}"


# Fixed namespaces: changing one would orphan every stored aggregate of that kind.
NAMESPACE = UUID("6d1b5c3e-3a57-4d4b-9a0e-2f1c7a9b8e10")
DEVICE_NS = uuid5(NAMESPACE, "device")
ESTABLISHMENT_NS = uuid5(NAMESPACE, "establishment")
PURCHASE_ORDER_NS = uuid5(NAMESPACE, "purchase-order")
MUNICIPALITY_NS = uuid5(NAMESPACE, "municipality")
BENEFICIARY_NS = uuid5(NAMESPACE, "beneficiary")
SHIPMENT_NS = uuid5(NAMESPACE, "shipment")
KIT_NS = uuid5(NAMESPACE, "mobile-classroom-kit")

_DEVICE_NS_BYTES = DEVICE_NS.bytes


def device_id(serial: str) -> UUID:
    """Id of the device with this manufacturer serial (case and spaces ignored)."""
    return UUID(int=_uuid5_int(_DEVICE_NS_BYTES, serial.strip().upper()))


def device_id_hex(serial: str) -> str:
    """``device_id(serial).hex``: the id as the bulk import path hands it to the store."""
    return f"{_uuid5_int(_DEVICE_NS_BYTES, serial.strip().upper()):032x}"


def establishment_id(uai: str) -> UUID:
    """Id of the school with this UAI."""
    return uuid5(ESTABLISHMENT_NS, uai.strip().upper())


def purchase_order_id(reference: str) -> UUID:
    """Id of the purchase order with this reference."""
    return uuid5(PURCHASE_ORDER_NS, reference.strip())


def shipment_id(reference: str) -> UUID:
    """Id of the device shipment with this reference (case and spaces ignored)."""
    return uuid5(SHIPMENT_NS, reference.strip().upper())


def kit_id(reference: str) -> UUID:
    """Id of the mobile classroom kit with this reference (case and spaces ignored)."""
    return uuid5(KIT_NS, reference.strip().upper())


def municipality_id(insee_code: str) -> UUID:
    """Id of the municipality with this INSEE code."""
    return uuid5(MUNICIPALITY_NS, insee_code.strip().upper())


def beneficiary_id(insee_code: str, file_number: str) -> UUID:
    """Id of a beneficiary: their file number is unique within the municipality."""
    return uuid5(BENEFICIARY_NS, f"{insee_code.strip().upper()}/{file_number.strip()}")


TERRITORY_ID = uuid5(NAMESPACE, "territory")
"""The one territory of a store: its road network and open-data layers."""
