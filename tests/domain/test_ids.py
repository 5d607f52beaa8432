"""The fast uuid5 gives exactly the standard library's ids: stored aggregates depend on it."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import ids

# Any text the standard uuid5 accepts: every code point but lone surrogates.
names = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=500)
@given(namespace=st.uuids(), name=names)
def test_uuid5_equals_the_standard_library(namespace: uuid.UUID, name: str) -> None:
    expected = uuid.uuid5(namespace, name)
    got = ids.uuid5(namespace, name)
    assert got == expected
    assert (got.version, got.variant) == (5, uuid.RFC_4122)
    assert ids.uuid5_hex(namespace, name) == expected.hex


@settings(max_examples=300)
@given(serial=names)
def test_device_ids_equal_the_standard_uuid5_of_the_normalised_serial(serial: str) -> None:
    expected = uuid.uuid5(ids.DEVICE_NS, serial.strip().upper())
    assert ids.device_id(serial) == expected
    assert ids.device_id_hex(serial) == expected.hex


def test_namespaces_and_known_ids_never_change() -> None:
    """Changing any of these would orphan every stored aggregate of that kind."""
    assert uuid.uuid5(ids.NAMESPACE, "device") == ids.DEVICE_NS
    assert uuid.uuid5(ids.NAMESPACE, "establishment") == ids.ESTABLISHMENT_NS
    assert uuid.uuid5(ids.NAMESPACE, "purchase-order") == ids.PURCHASE_ORDER_NS
    assert ids.device_id(" pf3k7q2x ") == uuid.uuid5(ids.DEVICE_NS, "PF3K7Q2X")
    assert ids.establishment_id("0750001a") == uuid.uuid5(ids.ESTABLISHMENT_NS, "0750001A")
    assert ids.purchase_order_id(" BC-1 ") == uuid.uuid5(ids.PURCHASE_ORDER_NS, "BC-1")
