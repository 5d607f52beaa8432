"""A regional order: placed, delivered note by note, "X of Y received", over-deliveries refused."""

from __future__ import annotations

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.purchase_order import OrderLine, PurchaseOrder
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import purchase_order_id
from domain.store import StoreLocation

LINES = [OrderLine("Lenovo 300w Gen 4", "laptop", 1200), OrderLine("iPad 10.2", "tablet", 300)]


def placed() -> PurchaseOrder:
    return PurchaseOrder.place(
        "CVL-2026-01", "Centre-Val de Loire", "Direction de l'éducation", LINES, "S. Blanc"
    )


def test_an_order_is_received_note_by_note(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    order = placed()
    assert order.id == purchase_order_id("CVL-2026-01")
    assert [r.label for r in order.reception()] == ["0 of 1200 received", "0 of 300 received"]
    assert order.status == "placed"
    app.save(order)

    app.edit(
        order.id,
        PurchaseOrder,
        lambda o: o.record_delivery_note("DN-1", {"Lenovo 300w Gen 4": 1000}, "A. Morel"),
    )
    order = app.get(order.id, PurchaseOrder)
    with pytest.raises(RuleViolationError, match="delivery note DN-1 is already recorded"):
        order.record_delivery_note("DN-1", {"iPad 10.2": 10}, "A. Morel")
    with pytest.raises(
        RuleViolationError,
        match=r"DN-2 would bring Lenovo 300w Gen 4 to 1201 of 1200 ordered on order "
        r"CVL-2026-01: over-reception is refused",
    ):
        order.record_delivery_note("DN-2", {"iPad 10.2": 300, "Lenovo 300w Gen 4": 201}, "A. Morel")
    with pytest.raises(RuleViolationError, match="brings Surface Go, which order CVL-2026-01"):
        order.record_delivery_note("DN-2", {"Surface Go": 3}, "A. Morel")
    assert order.collect_events() == []  # nothing of the refused notes was recorded

    order.record_delivery_note("DN-2", {"iPad 10.2": 300, "Lenovo 300w Gen 4": 150}, "A. Morel")
    assert order.status == "partially_received"
    order.amend_line(
        "Lenovo 300w Gen 4", "laptop", 1250, "avenant n°1: 50 more for the new annex", "S. Blanc"
    )
    order.record_delivery_note("DN-3", {"Lenovo 300w Gen 4": 100}, "A. Morel")
    app.save(order)

    done = Maillage(location).get(order.id, PurchaseOrder)
    assert [(r.model, r.label, r.complete) for r in done.reception()] == [
        ("Lenovo 300w Gen 4", "1250 of 1250 received", True),
        ("iPad 10.2", "300 of 300 received", True),
    ]
    assert done.status == "fully_received"
    assert done.delivery_notes["DN-2"] == {"iPad 10.2": 300, "Lenovo 300w Gen 4": 150}
    with pytest.raises(RuleViolationError, match="1250 Lenovo 300w Gen 4 are already received"):
        done.amend_line("Lenovo 300w Gen 4", "laptop", 1000, "cut", "S. Blanc")
    events = list(app.repository.event_store.get(done.id))
    assert [type(e).__name__ for e in events] == [
        "Placed",
        "DeliveryNoteRecorded",
        "DeliveryNoteRecorded",
        "LineAmended",
        "DeliveryNoteRecorded",
    ]
    assert all(e.by for e in events)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([OrderLine("X", "laptop", 0)], "quantity of X must be a whole number ≥ 1, not 0"),
        ([OrderLine("X", "phone", 3)], "kind 'phone'"),
        ([OrderLine(" ", "laptop", 3)], "model is empty"),
        ([OrderLine("X", "laptop", 1), OrderLine("X", "laptop", 2)], "more than one order line"),
    ],
)
def test_bad_orders_are_refused(lines: list[OrderLine], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        PurchaseOrder.place("CVL-2026-09", "CVL", "DE", lines, "S. Blanc")


@pytest.mark.parametrize(
    ("received", "error", "message"),
    [
        ({}, InvalidInputError, "DN-9 brings no device"),
        ({"iPad 10.2": 0}, InvalidInputError, "quantity of iPad 10.2 must be ≥ 1, not 0"),
        ({"iPad 10.2": 301}, RuleViolationError, "to 301 of 300 ordered"),
    ],
)
def test_bad_delivery_notes_record_nothing(
    received: dict[str, int], error: type[Exception], message: str
) -> None:
    order = placed()
    order.collect_events()
    with pytest.raises(error, match=message):
        order.record_delivery_note("DN-9", received, "A. Morel")
    assert order.collect_events() == [] and order.status == "placed"


def test_amendments_name_a_reason_and_change_something() -> None:
    order = placed()
    with pytest.raises(RuleViolationError, match=r"already has 300 iPad 10\.2: nothing to amend"):
        order.amend_line("iPad 10.2", "tablet", 300, "no-op", "S. Blanc")
    with pytest.raises(InvalidInputError, match="ordered as tablet on order CVL-2026-01"):
        order.amend_line("iPad 10.2", "laptop", 310, "typo", "S. Blanc")
    with pytest.raises(InvalidInputError, match="reason for the amendment is empty"):
        order.amend_line("iPad 10.2", "tablet", 310, " ", "S. Blanc")
    order.amend_line("Surface Go 4", "tablet", 40, "avenant n°2", "S. Blanc")
    assert order.reception()[-1].label == "0 of 40 received"
