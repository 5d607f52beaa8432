"""Delivery days agreed per municipality: each delivery brings the meals until the next one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import InvalidInputError
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.ordering import WEEKDAYS, delivery_day, meal_days

FRIDAY = date(2026, 12, 4)
CONTRACT = Contract((PriceBracket("all", None, 790, 210),))


def _reference_meal_days(delivery: date, days: set[int]) -> list[date]:
    """Every meal day whose last delivery day on or before it is ``delivery``."""
    if delivery.weekday() not in days:
        return []
    week = [delivery + timedelta(days=i) for i in range(7)]
    return [d for d in week if delivery_day(d, days) == delivery]


@pytest.mark.parametrize(
    "days", [set(WEEKDAYS), set(range(7)), {0, 1, 2, 3, 4, 5}, {0, 2, 4}, {3}, {6}]
)
def test_each_meal_day_is_delivered_exactly_once(days: set[int]) -> None:
    covered: list[date] = []
    for k in range(28):
        delivery = FRIDAY + timedelta(days=k)
        got = meal_days(delivery, days)
        assert got == _reference_meal_days(delivery, days)
        covered += got
    assert len(covered) == len(set(covered))
    inner = [FRIDAY + timedelta(days=k) for k in range(7, 21)]
    assert set(inner) <= set(covered)


def test_the_usual_practice_is_the_default() -> None:
    assert meal_days(FRIDAY) == [FRIDAY, FRIDAY + timedelta(1), FRIDAY + timedelta(2)]
    assert meal_days(FRIDAY + timedelta(days=1)) == []
    assert meal_days(FRIDAY + timedelta(days=3)) == [FRIDAY + timedelta(days=3)]


def test_a_municipality_agrees_its_delivery_days() -> None:
    town = Municipality.register("37261", "Tours", "PPDC", "CCAS", CONTRACT)
    assert town.delivery_weekdays == WEEKDAYS
    town.set_delivery_days([6, 0, 1, 2, 3, 4, 5, 5], "Mme Durand")
    assert town.delivery_weekdays == tuple(range(7))
    events = len(town.collect_events())
    town.set_delivery_days(range(7), "Mme Durand")  # nothing new
    assert town.collect_events() == []
    assert events == 2
    for bad in ([], [7], [-1]):
        with pytest.raises(InvalidInputError, match="one to seven days"):
            town.set_delivery_days(bad, "Mme Durand")
    with pytest.raises(InvalidInputError, match="who does it"):
        town.set_delivery_days([0], " ")
