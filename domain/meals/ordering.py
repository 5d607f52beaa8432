"""The field's ordering rules for chilled meals (../shared/reference/THRESHOLDS.md).

- Orders close two days before delivery.
- Meals for Friday, Saturday and Sunday are delivered on Friday.
- Temporary stops pause and resume by themselves (``Beneficiary.meals_on``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.meals.beneficiary import Beneficiary

PARIS = ZoneInfo("Europe/Paris")
ORDER_CUTOFF_DAYS = 2
"""Orders for a delivery day close at the end of the day this many days before (Paris time)."""
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6


def delivery_day(meal_day: date) -> date:
    """The day a meal is delivered: weekend meals go out on the Friday before."""
    if meal_day.weekday() in (SATURDAY, SUNDAY):
        return meal_day - timedelta(days=meal_day.weekday() - FRIDAY)
    return meal_day


def meal_days(delivery: date) -> list[date]:
    """The meal days delivered on ``delivery`` (Friday brings Friday to Sunday)."""
    if delivery.weekday() == FRIDAY:
        return [delivery + timedelta(days=i) for i in range(3)]
    if delivery.weekday() in (SATURDAY, SUNDAY):
        return []
    return [delivery]


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


def orders_for(beneficiaries: Iterable[Beneficiary], delivery: date) -> list[Order]:
    """The orders of a delivery day, from each beneficiary's schedule (no empty orders)."""
    days = meal_days(delivery)
    out = []
    for b in beneficiaries:
        by_day = tuple((d, b.meals_on(d)) for d in days if b.meals_on(d))
        if by_day:
            out.append(Order(b.id, delivery, by_day))
    return out
