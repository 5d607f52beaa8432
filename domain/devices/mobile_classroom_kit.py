"""A mobile classroom kit: specific tablets or laptops on a cart, shared between classes.

Classes reserve the kit for a time slot (overlapping reservations are refused,
naming the one in the way); a reservation is checked out, and at check-in the
serials scanned back are compared with the kit's: what is missing is recorded
in the check-in event and the kit shows as incomplete until a later check-in
scans it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.devices.inputs import listing, required, unique_serials, who
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import kit_id
from domain.wording import local_time

CHECK_OUT_EARLY = timedelta(minutes=30)
"""How long before its start a reservation may be checked out."""

KIT_STATUSES: tuple[str, ...] = ("available", "checked_out", "incomplete")
_BLOCKING = ("booked", "checked_out")  # reservation statuses that hold their slot


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInputError(f"{what} {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


def _when(moment: datetime) -> str:
    """A reservation's time as people read it: Paris, zone shown."""
    return local_time(moment)


class MobileClassroomKit(MaillageAggregate):
    """One kit (its cart and its serials) at one establishment, and its reservations."""

    @staticmethod
    def create_id(reference: str) -> UUID:
        return kit_id(reference)

    @event("Assembled")
    def __init__(self, reference: str, uai: str, cart_id: str, serials: list[str], by: str) -> None:
        self.reference = reference
        self.uai = uai
        self.cart_id = cart_id
        self.serials = list(serials)
        self.assembled_by = by
        self.status = "available"
        self.reservations: dict[str, dict[str, Any]] = {}
        self.checked_out_reservation: str | None = None
        self.missing_serials: list[str] = []

    @classmethod
    def assemble(
        cls, reference: str, uai: str, cart_id: str, serials: Iterable[str], by: str
    ) -> MobileClassroomKit:
        """Put specific devices on a cart as one kit of a school."""
        ref = required(reference, "the kit reference").upper()
        items = unique_serials(serials, f"kit {ref}")
        if not items:
            raise InvalidInputError(f"kit {ref} needs at least one device")
        return cls(
            reference=ref,
            uai=normalise_uai(uai),
            cart_id=required(cart_id, "the cart id"),
            serials=items,
            by=who(by, "assembling a kit"),
        )

    def _reservation(self, reservation_id: str) -> dict[str, Any]:
        found = self.reservations.get(reservation_id.strip().upper())
        if found is None:
            raise NotFoundError(f"kit {self.reference} has no reservation {reservation_id}")
        return found

    def _require_booked(self, rid: str, booking: dict[str, Any], action: str) -> None:
        if booking["status"] != "booked":
            raise RuleViolationError(
                f"reservation {rid} of kit {self.reference} is "
                f"{booking['status'].replace('_', ' ')}: only a booked reservation can be {action}"
            )

    # ------------------------------------------------------------------ calendar

    def reserve(self, class_name: str, start: datetime, end: datetime, by: str) -> str:
        """Book the kit for a class from ``start`` to ``end``; returns the reservation id.

        Slots are half-open, so one class may start when the previous one ends.
        """
        name = required(class_name, "the class name")
        start_utc, end_utc = _utc(start, "the start"), _utc(end, "the end")
        if end_utc <= start_utc:
            raise InvalidInputError(
                f"a reservation of kit {self.reference} must end after it starts "
                f"({_when(start_utc)} → {_when(end_utc)})"
            )
        for rid, other in self.reservations.items():
            if (
                other["status"] in _BLOCKING
                and other["start"] < end_utc
                and start_utc < other["end"]
            ):
                raise RuleViolationError(
                    f"kit {self.reference} is already reserved for {other['class_name']} from "
                    f"{_when(other['start'])} to {_when(other['end'])} (reservation {rid})"
                )
        reservation_id = f"{self.reference}-R{len(self.reservations) + 1}"
        self._reserved(
            reservation_id=reservation_id,
            class_name=name,
            start=start_utc,
            end=end_utc,
            by=who(by, "reserving a kit"),
        )
        return reservation_id

    @event("Reserved")
    def _reserved(
        self, reservation_id: str, class_name: str, start: datetime, end: datetime, by: str
    ) -> None:
        self.reservations[reservation_id] = {
            "class_name": class_name,
            "start": start,
            "end": end,
            "by": by,
            "status": "booked",
        }

    def cancel(self, reservation_id: str, reason: str, by: str) -> None:
        """Cancel a booked reservation (not one already checked out or returned)."""
        booking = self._reservation(reservation_id)
        rid = reservation_id.strip().upper()
        self._require_booked(rid, booking, "cancelled")
        self._cancelled(
            reservation_id=rid,
            reason=required(reason, "the reason for cancelling"),
            by=who(by, "cancelling a reservation"),
        )

    @event("ReservationCancelled")
    def _cancelled(self, reservation_id: str, reason: str, by: str) -> None:
        self.reservations[reservation_id]["status"] = "cancelled"

    # ------------------------------------------------------------------ use

    def check_out(self, reservation_id: str, by: str) -> None:
        """The class takes the kit for its reservation (from 30 min before its start)."""
        booking = self._reservation(reservation_id)
        rid = reservation_id.strip().upper()
        if self.status == "checked_out":
            raise RuleViolationError(
                f"kit {self.reference} is checked out for reservation "
                f"{self.checked_out_reservation}: check it in first"
            )
        self._require_booked(rid, booking, "checked out")
        now = clock.now()
        if now >= booking["end"]:
            raise RuleViolationError(
                f"reservation {rid} of kit {self.reference} ended at {_when(booking['end'])}"
            )
        if now < booking["start"] - CHECK_OUT_EARLY:
            raise RuleViolationError(
                f"reservation {rid} of kit {self.reference} starts at {_when(booking['start'])}: "
                f"check-out opens {int(CHECK_OUT_EARLY.total_seconds() // 60)} min before"
            )
        self._checked_out(reservation_id=rid, by=who(by, "checking out a kit"))

    @event("CheckedOut")
    def _checked_out(self, reservation_id: str, by: str) -> None:
        self.status = "checked_out"
        self.checked_out_reservation = reservation_id
        self.reservations[reservation_id]["status"] = "checked_out"

    def check_in(self, scanned_serials: Iterable[str], by: str) -> list[str]:
        """The kit comes back: the serials scanned are compared with the kit's.

        Returns (and records in the event) the serials missing; a serial that is
        not part of the kit is refused as a scanning mistake.
        """
        if self.status != "checked_out" or self.checked_out_reservation is None:
            raise RuleViolationError(
                f"kit {self.reference} is {self.status.replace('_', ' ')}: "
                "only a checked-out kit can be checked in"
            )
        scanned = unique_serials(scanned_serials, f"check-in of kit {self.reference}")
        members = set(self.serials)
        strangers = [s for s in scanned if s not in members]
        if strangers:
            raise InvalidInputError(
                f"kit {self.reference} does not include {listing(strangers)}: scan the kit's "
                "devices only"
            )
        present = set(scanned)
        missing = [s for s in self.serials if s not in present]
        self._checked_in(
            reservation_id=self.checked_out_reservation,
            scanned=scanned,
            missing=missing,
            by=who(by, "checking in a kit"),
        )
        return missing

    @event("CheckedIn")
    def _checked_in(
        self, reservation_id: str, scanned: list[str], missing: list[str], by: str
    ) -> None:
        self.reservations[reservation_id]["status"] = "returned"
        self.checked_out_reservation = None
        self.missing_serials = list(missing)
        self.status = "incomplete" if missing else "available"

    # ------------------------------------------------------------------ queries

    def calendar(self) -> list[tuple[str, dict[str, Any]]]:
        """Reservations that still hold their slot, earliest first."""
        return sorted(
            ((rid, r) for rid, r in self.reservations.items() if r["status"] in _BLOCKING),
            key=lambda item: item[1]["start"],
        )
