"""A region's purchase order of devices and the manufacturer's deliveries against it.

placed (order lines: model × quantity, kind) → delivery notes recorded one by
one → "X of Y received" per line. Over-reception is refused: a delivery note
that would bring a line above what was ordered is not recorded (the region
pays for what it ordered); the order must first be amended (``amend_line``,
with a reason), which is itself recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.devices.device import DEVICE_KINDS
from domain.devices.inputs import required, who
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import purchase_order_id


@dataclass(frozen=True)
class OrderLine:
    """One line of an order: how many devices of one model."""

    model: str
    kind: str
    quantity: int


@dataclass(frozen=True)
class LineReception:
    """How much of one order line has arrived."""

    model: str
    kind: str
    received: int
    ordered: int

    @property
    def label(self) -> str:
        return f"{self.received} of {self.ordered} received"

    @property
    def complete(self) -> bool:
        return self.received >= self.ordered


def _line(model: str, kind: str, quantity: int) -> dict[str, Any]:
    """A checked order line as events carry it."""
    name = required(model, "an order line's model")
    if kind not in DEVICE_KINDS:
        raise InvalidInputError(f"device kind {kind!r} is not one of {', '.join(DEVICE_KINDS)}")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInputError(
            f"the quantity of {name} must be a whole number ≥ 1, not {quantity}"
        )
    return {"model": name, "kind": kind, "quantity": quantity}


class PurchaseOrder(MaillageAggregate):
    """A purchase order, keyed by its reference, and what has been received against it."""

    @staticmethod
    def create_id(reference: str) -> UUID:
        return purchase_order_id(reference)

    @event("Placed")
    def __init__(
        self, reference: str, region: str, buyer: str, lines: list[dict[str, Any]], by: str
    ) -> None:
        self.reference = reference
        self.region = region
        self.buyer = buyer
        self.placed_by = by
        self.lines: dict[str, dict[str, Any]] = {
            line["model"]: {"kind": line["kind"], "ordered": line["quantity"], "received": 0}
            for line in lines
        }
        self.delivery_notes: dict[str, dict[str, int]] = {}
        self.status = "placed"

    @classmethod
    def place(
        cls, reference: str, region: str, buyer: str, lines: Sequence[OrderLine], by: str
    ) -> PurchaseOrder:
        """Record an order; one line per model, every quantity at least one."""
        if not lines:
            raise InvalidInputError("an order needs at least one line")
        rows = [_line(x.model, x.kind, x.quantity) for x in lines]
        models = [r["model"] for r in rows]
        twice = sorted({m for m in models if models.count(m) > 1})
        if twice:
            raise InvalidInputError(f"model {', '.join(twice)} is on more than one order line")
        return cls(
            reference=required(reference, "the order reference"),
            region=required(region, "the region"),
            buyer=required(buyer, "the buyer"),
            lines=rows,
            by=who(by, "recording an order"),
        )

    # ------------------------------------------------------------------ deliveries

    def record_delivery_note(
        self, note_reference: str, received: Mapping[str, int], by: str
    ) -> None:
        """A manufacturer's delivery note: how many devices of each model it brought.

        Refused whole if the note is already recorded, names a model not ordered,
        or would bring a line above its ordered quantity.
        """
        note = required(note_reference, "the delivery note reference")
        if note in self.delivery_notes:
            raise RuleViolationError(
                f"delivery note {note} is already recorded on order {self.reference}"
            )
        if not received:
            raise InvalidInputError(f"delivery note {note} brings no device")
        counts: dict[str, int] = {}
        for model, quantity in received.items():
            if model not in self.lines:
                raise RuleViolationError(
                    f"delivery note {note} brings {model}, which order {self.reference} "
                    f"does not include (ordered: {', '.join(self.lines)})"
                )
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise InvalidInputError(
                    f"delivery note {note}: the quantity of {model} must be ≥ 1, not {quantity}"
                )
            line = self.lines[model]
            if line["received"] + quantity > line["ordered"]:
                raise RuleViolationError(
                    f"delivery note {note} would bring {model} to "
                    f"{line['received'] + quantity} of {line['ordered']} ordered on order "
                    f"{self.reference}: over-reception is refused; amend the order line first"
                )
            counts[model] = quantity
        self._delivery_note_recorded(
            note_reference=note, received=counts, by=who(by, "recording a delivery note")
        )

    @event("DeliveryNoteRecorded")
    def _delivery_note_recorded(
        self, note_reference: str, received: dict[str, int], by: str
    ) -> None:
        self.delivery_notes[note_reference] = dict(received)
        for model, quantity in received.items():
            self.lines[model]["received"] += quantity
        self._update_status()

    def amend_line(self, model: str, kind: str, quantity: int, reason: str, by: str) -> None:
        """Change a line's ordered quantity or add a model (never below what was received)."""
        row = _line(model, kind, quantity)
        name = row["model"]
        current = self.lines.get(name)
        if current is not None:
            if current["kind"] != kind:
                raise InvalidInputError(
                    f"{name} is ordered as {current['kind']} on order {self.reference}, not {kind}"
                )
            if quantity < current["received"]:
                raise RuleViolationError(
                    f"order {self.reference}: {current['received']} {name} are already "
                    f"received; the line cannot drop to {quantity}"
                )
            if quantity == current["ordered"]:
                raise RuleViolationError(
                    f"order {self.reference} already has {quantity} {name}: nothing to amend"
                )
        self._line_amended(
            model=name,
            kind=kind,
            quantity=quantity,
            reason=required(reason, "the reason for the amendment"),
            by=who(by, "amending an order"),
        )

    @event("LineAmended")
    def _line_amended(self, model: str, kind: str, quantity: int, reason: str, by: str) -> None:
        line = self.lines.setdefault(model, {"kind": kind, "ordered": 0, "received": 0})
        line["ordered"] = quantity
        self._update_status()

    def _update_status(self) -> None:
        received = sum(x["received"] for x in self.lines.values())
        if received == 0:
            self.status = "placed"
        elif all(x["received"] >= x["ordered"] for x in self.lines.values()):
            self.status = "fully_received"
        else:
            self.status = "partially_received"

    # ------------------------------------------------------------------ queries

    def reception(self) -> list[LineReception]:
        """Per line, in order: received and ordered quantities ("X of Y received")."""
        return [
            LineReception(model, x["kind"], x["received"], x["ordered"])
            for model, x in self.lines.items()
        ]

    def ordered_quantity(self, model: str) -> int:
        """How many of ``model`` the order asks for (0 if it has no such line)."""
        line = self.lines.get(model)
        return 0 if line is None else int(line["ordered"])

    def ordered_kind(self, model: str) -> str | None:
        """The kind a model is ordered as, or ``None`` if the order has no such line."""
        line = self.lines.get(model)
        return None if line is None else str(line["kind"])
