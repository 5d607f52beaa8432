"""Ordering rules: two-day cut-off, weekend meals on Friday, suspensions resume by themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Municipality
from domain.meals.ordering import (
    delivery_day,
    kitchen_counts,
    meal_days,
    orders_close_at,
    orders_for,
    orders_open,
    round_manifest,
)

MONDAY = date(2026, 3, 9)


def active(pattern: dict[int, int], file_number: str = "F1") -> Beneficiary:
    b = Beneficiary.register(
        "37261", file_number, Municipality.create_id("37261"), {"name": "X"}, 47.39, 0.69, "low"
    )
    b.prescribe_diet("normal", "normal", [], [])
    b.set_weekly_pattern(pattern)
    b.activate(MONDAY)
    return b


def test_weekend_meals_go_out_on_friday() -> None:
    friday, saturday, sunday = MONDAY + timedelta(4), MONDAY + timedelta(5), MONDAY + timedelta(6)
    assert [delivery_day(d) for d in (friday, saturday, sunday)] == [friday] * 3
    assert meal_days(friday) == [friday, saturday, sunday]
    assert meal_days(saturday) == [] and meal_days(MONDAY) == [MONDAY]


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_every_meal_day_is_delivered_exactly_once(day: date) -> None:
    delivered_on = delivery_day(day)
    assert delivered_on <= day and delivered_on.weekday() not in (5, 6)
    assert day in meal_days(delivered_on)


def test_orders_close_two_days_before_delivery_paris_time() -> None:
    thursday = MONDAY + timedelta(3)
    # Changes for Thursday are taken until Tuesday 23:59 in Paris (22:59 UTC in winter).
    assert orders_open(thursday, datetime(2026, 3, 10, 22, 59, tzinfo=UTC))
    assert not orders_open(thursday, datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    assert orders_close_at(thursday).isoformat() == "2026-03-11T00:00:00+01:00"


def test_friday_order_carries_the_weekend_and_suspensions_resume() -> None:
    jeanne = active({0: 1, 4: 1, 5: 1, 6: 2}, "F1")
    louis = active({4: 1}, "F2")
    louis.suspend(MONDAY + timedelta(4), MONDAY + timedelta(11), "holiday")
    friday = MONDAY + timedelta(4)

    orders = {o.beneficiary_id: o for o in orders_for([jeanne, louis], friday)}
    assert orders[jeanne.id].meals == 4
    assert [n for _, n in orders[jeanne.id].meals_by_day] == [1, 1, 2]
    assert louis.id not in orders  # suspended that Friday
    next_friday = friday + timedelta(7)
    assert [o.meals for o in orders_for([louis], next_friday)] == [1]  # back by itself


def test_kitchen_counts_by_regime_and_texture() -> None:
    a = active({0: 1, 4: 1, 5: 1, 6: 1}, "F1")
    b = active({4: 2}, "F2")
    b.prescribe_diet("no_salt", "minced", ["celery"], [])
    friday = MONDAY + timedelta(4)
    assert kitchen_counts([a, b], friday) == {("no_salt", "minced"): 2, ("normal", "normal"): 3}
    assert kitchen_counts([a, b], MONDAY) == {("normal", "normal"): 1}


def test_manifest_carries_only_what_the_postman_needs() -> None:
    b = Beneficiary.register(
        "37261",
        "F9",
        Municipality.create_id("37261"),
        {"name": "Jeanne", "address": "12 rue Colbert", "phone": "02", "access_notes": "code 1942"},
        47.39,
        0.69,
        "low",
    )
    b.prescribe_diet("no_sugar", "mixed", ["peanuts"], [])
    (line,) = round_manifest([(b, 2, "box-1")])
    assert line["name"] == "Jeanne" and line["access_notes"] == "code 1942"
    assert line["meals"] == 2 and line["box"] == "box-1" and line["stop"] == 1
    assert "peanuts" not in str(line) and "no_sugar" not in str(line) and "low" not in str(line)
