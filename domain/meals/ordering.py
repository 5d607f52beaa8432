"""The field's ordering rules for chilled meals (docs/THRESHOLDS.md).

- Orders close two days before delivery.
- Meals for Friday, Saturday and Sunday are delivered on Friday: the common practice and the
  default. A municipality may agree other delivery days (every day, Monday to Saturday…):
  each delivery then brings the meals of the days until the next delivery day.
- Temporary stops pause and resume by themselves (``Beneficiary.meals_on``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.clock import PARIS
from domain.meals.beneficiary import Beneficiary

ORDER_CUTOFF_DAYS = 2
"""Orders for a delivery day close at the end of the day this many days before (Paris time)."""
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6
WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
"""The usual delivery days, Monday to Friday (``date.weekday()`` numbers)."""
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def delivery_day(meal_day: date, delivery_weekdays: Iterable[int] = WEEKDAYS) -> date:
    """The day a meal is delivered: the last delivery day on or before it."""
    days = set(delivery_weekdays)
    for back in range(7):
        candidate = meal_day - timedelta(days=back)
        if candidate.weekday() in days:
            return candidate
    raise ValueError("no delivery day in the week")


def meal_days(delivery: date, delivery_weekdays: Iterable[int] = WEEKDAYS) -> list[date]:
    """The meal days delivered on ``delivery``: it and the days up to the next delivery day
    (with the usual Monday-to-Friday deliveries, Friday brings Friday to Sunday)."""
    days = set(delivery_weekdays)
    if delivery.weekday() not in days:
        return []
    out = [delivery]
    while len(out) < 7 and (out[-1] + timedelta(days=1)).weekday() not in days:
        out.append(out[-1] + timedelta(days=1))
    return out


def orders_close_at(delivery: date) -> datetime:
    """When orders for ``delivery`` close: midnight starting the day before the day before."""
    day_after_cutoff = delivery - timedelta(days=ORDER_CUTOFF_DAYS - 1)
    return datetime.combine(day_after_cutoff, time(0, 0), tzinfo=PARIS)


def orders_open(delivery: date, now: datetime) -> bool:
    """Whether orders for ``delivery`` may still change at ``now`` (aware)."""
    return now < orders_close_at(delivery)


@dataclass(frozen=True)
class Order:
    """Meals one beneficiary receives on one delivery day, per meal day."""

    beneficiary_id: UUID
    delivery: date
    meals_by_day: tuple[tuple[date, int], ...]

    @property
    def meals(self) -> int:
        return sum(n for _, n in self.meals_by_day)


def orders_for(
    beneficiaries: Iterable[Beneficiary],
    delivery: date,
    delivery_weekdays: Iterable[int] = WEEKDAYS,
) -> list[Order]:
    """The orders of a delivery day, from each beneficiary's schedule (no empty orders)."""
    days = meal_days(delivery, delivery_weekdays)
    out = []
    for b in beneficiaries:
        by_day = tuple((d, b.meals_on(d)) for d in days if b.meals_on(d))
        if by_day:
            out.append(Order(b.id, delivery, by_day))
    return out


def kitchen_counts(
    beneficiaries: Iterable[Beneficiary],
    delivery: date,
    delivery_weekdays: Iterable[int] = WEEKDAYS,
) -> dict[tuple[str, str], int]:
    """Meals the kitchen prepares for a delivery day, by (regime, texture).

    Reads the sealed diets; a beneficiary whose data was erased counts under
    ("unknown", "unknown") so the totals still match the orders.
    """
    counts: dict[tuple[str, str], int] = {}
    for order_beneficiary in beneficiaries:
        meals = sum(order_beneficiary.meals_on(d) for d in meal_days(delivery, delivery_weekdays))
        if not meals:
            continue
        diet = order_beneficiary.diet
        if diet is None or not diet.opened:
            key = ("unknown", "unknown")
        else:
            key = (str(diet.value["regime"]), str(diet.value["texture"]))
        counts[key] = counts.get(key, 0) + meals
    return dict(sorted(counts.items()))


MANIFEST_FIELDS = ("name", "address", "access_notes", "phone", "contact_person")
"""The personal data a postman needs at the door, and nothing more (no diet, no income)."""


def round_manifest(
    stops: Iterable[tuple[Beneficiary, int, str]],
) -> list[dict[str, object]]:
    """The postman's list for a round: (beneficiary, meals, box) in delivery order."""
    out: list[dict[str, object]] = []
    for position, (b, meals, box) in enumerate(stops, start=1):
        out.append(
            {
                "stop": position,
                "file_number": b.file_number,
                **{k: b.personal.field(k) for k in MANIFEST_FIELDS},
                "window": f"{b.window_start}–{b.window_end}",
                "meals": meals,
                "box": box,
            }
        )
    return out
