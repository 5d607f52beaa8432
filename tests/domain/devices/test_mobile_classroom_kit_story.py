"""A mobile classroom kit's week: reservations, an overlap refused, a tablet missing at check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import kit_id
from domain.store import StoreLocation

COLLEGE = "0450001G"
TABLETS = ["TAB-01", "TAB-02", "TAB-03", "TAB-04"]
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fixed clock says 08:00
HOUR = timedelta(hours=1)


def assembled() -> MobileClassroomKit:
    return MobileClassroomKit.assemble("cm-voltaire-1", COLLEGE, "CART-7", TABLETS, "M. Diallo")


def test_a_kit_goes_to_a_class_and_comes_back_one_tablet_short(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    kit = assembled()
    assert kit.id == kit_id("CM-VOLTAIRE-1")
    assert (kit.reference, kit.cart_id, kit.status) == ("CM-VOLTAIRE-1", "CART-7", "available")
    first = kit.reserve("6e B", MONDAY_9, MONDAY_9 + HOUR, "Mme Caron")
    second = kit.reserve("5e A", MONDAY_9 + HOUR, MONDAY_9 + 2 * HOUR, "M. Diallo")  # back to back
    assert (first, second) == ("CM-VOLTAIRE-1-R1", "CM-VOLTAIRE-1-R2")
    app.save(kit)

    kit = app.get(kit.id, MobileClassroomKit)
    with pytest.raises(
        RuleViolationError,
        match=r"CM-VOLTAIRE-1 is already reserved for 6e B from 2026-03-02 10:00 CET to "
        r"2026-03-02 11:00 CET \(reservation CM-VOLTAIRE-1-R1\)",
    ):
        kit.reserve("4e C", MONDAY_9 + timedelta(minutes=30), MONDAY_9 + HOUR, "M. Petit")
    with pytest.raises(RuleViolationError, match="starts at 2026-03-02 10:00 CET: check-out opens"):
        kit.check_out(first, "Mme Caron")  # 08:00: too early
    fixed_clock.advance(timedelta(minutes=35))
    kit.check_out(first.lower(), "Mme Caron")
    assert (kit.status, kit.checked_out_reservation) == ("checked_out", first)
    with pytest.raises(RuleViolationError, match="is checked out for reservation CM-VOLTAIRE-1-R1"):
        kit.check_out(second, "M. Diallo")
    with pytest.raises(RuleViolationError, match="is checked out: only a booked reservation"):
        kit.cancel(first, "class trip", "Mme Caron")
    app.save(kit)

    fixed_clock.advance(HOUR)
    kit = app.get(kit.id, MobileClassroomKit)
    with pytest.raises(InvalidInputError, match="does not include TAB-99: scan the kit's devices"):
        kit.check_in(["TAB-01", "TAB-99"], "Mme Caron")
    missing = kit.check_in(["tab-04", "TAB-01", "TAB-02"], "Mme Caron")
    assert missing == ["TAB-03"]
    assert (kit.status, kit.missing_serials) == ("incomplete", ["TAB-03"])
    with pytest.raises(RuleViolationError, match="is incomplete: only a checked-out kit"):
        kit.check_in(TABLETS, "Mme Caron")
    app.save(kit)

    back = Maillage(location).get(kit.id, MobileClassroomKit)
    check_in = list(app.repository.event_store.get(back.id))[-1]
    assert type(check_in).__name__ == "CheckedIn"
    assert check_in.missing == ["TAB-03"]  # type: ignore[attr-defined]
    assert check_in.scanned == ["TAB-04", "TAB-01", "TAB-02"]  # type: ignore[attr-defined]
    assert check_in.reservation_id == first  # type: ignore[attr-defined]
    assert back.reservations[first]["status"] == "returned"
    assert back.reservations[second]["start"] == MONDAY_9 + HOUR

    back.check_out(second, "M. Diallo")  # an incomplete kit can still go out
    assert back.check_in(TABLETS, "M. Diallo") == []  # TAB-03 turned up
    assert (back.status, back.missing_serials) == ("available", [])


@pytest.mark.parametrize(
    ("start_h", "end_h"),
    [(0, 1), (-0.5, 0.5), (0.5, 1.5), (0.25, 0.75), (-1, 2)],
    ids=["same", "over-start", "over-end", "inside", "around"],
)
def test_every_kind_of_overlap_is_refused(start_h: float, end_h: float) -> None:
    kit = assembled()
    kit.reserve("6e B", MONDAY_9, MONDAY_9 + HOUR, "Mme Caron")
    kit.collect_events()
    with pytest.raises(RuleViolationError, match="already reserved for 6e B"):
        kit.reserve("4e C", MONDAY_9 + start_h * HOUR, MONDAY_9 + end_h * HOUR, "M. Petit")
    assert kit.collect_events() == [] and len(kit.reservations) == 1


def test_a_cancelled_reservation_frees_its_slot_and_times_are_kept_in_utc() -> None:
    kit = assembled()
    paris = timezone(timedelta(hours=1))
    first = kit.reserve("6e B", MONDAY_9.astimezone(paris), MONDAY_9 + HOUR, "Mme Caron")
    kit.cancel(first, "teacher absent", "Mme Caron")
    with pytest.raises(RuleViolationError, match="is cancelled: only a booked reservation"):
        kit.check_out(first, "Mme Caron")
    again = kit.reserve("4e C", MONDAY_9, MONDAY_9 + HOUR, "M. Petit")
    assert again == "CM-VOLTAIRE-1-R2"
    assert kit.reservations[first]["start"].utcoffset() == timedelta(0)
    assert [rid for rid, _ in kit.calendar()] == [again]


def test_a_reservation_that_has_ended_cannot_be_checked_out(fixed_clock: FixedClock) -> None:
    kit = assembled()
    rid = kit.reserve("6e B", MONDAY_9, MONDAY_9 + HOUR, "Mme Caron")
    fixed_clock.set(MONDAY_9 + HOUR)
    with pytest.raises(RuleViolationError, match="ended at 2026-03-02 11:00 CET"):
        kit.check_out(rid, "Mme Caron")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (MONDAY_9, MONDAY_9, "must end after it starts"),
        (MONDAY_9 + HOUR, MONDAY_9, "must end after it starts"),
        (datetime(2026, 3, 2, 9), MONDAY_9 + HOUR, "has no time zone"),
    ],
)
def test_bad_slots_are_refused(start: datetime, end: datetime, message: str) -> None:
    kit = assembled()
    with pytest.raises(InvalidInputError, match=message):
        kit.reserve("6e B", start, end, "Mme Caron")


def test_kits_need_devices_once_each_and_known_reservations() -> None:
    with pytest.raises(InvalidInputError, match="serial given twice: TAB-01"):
        MobileClassroomKit.assemble("CM-2", COLLEGE, "CART-8", ["TAB-01", "tab-01"], "x")
    with pytest.raises(InvalidInputError, match="CM-2 needs at least one device"):
        MobileClassroomKit.assemble("CM-2", COLLEGE, "CART-8", [], "x")
    with pytest.raises(NotFoundError, match="has no reservation CM-VOLTAIRE-1-R7"):
        assembled().check_out("CM-VOLTAIRE-1-R7", "x")
