"""A day's orders over several vans: each order in exactly one round, every limit kept,
re-planning moves only what is not loaded, and an order no van can serve is named."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import RuleViolationError
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Municipality
from domain.meals.ordering import orders_for
from domain.store import StoreLocation

from .test_round_service import MONDAY, tours_with_people


def _far_person(app: Maillage, town: Municipality) -> Beneficiary:
    """Someone 40 km from the depot whose window closes at 08:30: no van can be there."""
    b = Beneficiary.register(
        "37261", "F99", town.id, {"name": "Jeanne Loin"}, 47.75, 0.689, "std",
        window=("08:00", "08:30"), service_time_s=120,
    )  # fmt: skip
    b.prescribe_diet("normal", "normal", [], [])
    b.set_weekly_pattern({0: 1})
    b.activate(date(2026, 3, 2))
    app.save(b)
    return b


def _stops_per_order(app: Maillage, town: Municipality, day: date) -> Counter[str]:
    rounds = meals._day_rounds(app, town, day)
    return Counter(str(s["beneficiary"]) for r in rounds for s in r.stops)


def test_sixty_orders_over_three_vans_each_once_within_limits(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, people = tours_with_people(app, 60)
    done = meals.plan_delivery_day(app, "37261", MONDAY, vans=3, boxes_per_van=2, by="op")

    assert not done.unserved
    assert len(done.rounds) == 3
    ordered = {str(o.beneficiary_id) for o in orders_for(people, MONDAY, town.delivery_weekdays)}
    count = _stops_per_order(app, town, MONDAY)
    assert set(count) == ordered and set(count.values()) == {1}
    for rnd, plan in done.rounds:
        assert plan is not None and plan.feasible
        assert plan.duration_s <= town.max_round_min * 60
        assert sum(s["meals"] for s in rnd.stops) <= 2 * meals.MEALS_PER_BOX
        assert {s["box"] for s in rnd.stops} <= {"box-1", "box-2"}
    names = sorted(meals.round_name(app, r) for r, _ in done.rounds)
    assert names == [f"2026-03-09 Tours {x} · to assign" for x in "ABC"]

    # Planning one more round for the day plans nothing again.
    with pytest.raises(RuleViolationError, match="already in a round"):
        meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12")


def test_replanning_moves_only_what_is_not_loaded(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, _ = tours_with_people(app, 30)
    first = meals.plan_delivery_day(app, "37261", MONDAY, vans=3, boxes_per_van=1, by="op")
    assert len(first.rounds) == 3  # 30 meals, 12 a van
    loaded, _ = first.rounds[0]
    loaded_stops = [s["beneficiary"] for s in loaded.stops]
    meals.load_boxes(app, loaded.id, {s["box"]: ("P-1", 2.0) for s in loaded.stops})

    again = meals.plan_delivery_day(app, "37261", MONDAY, vans=2, boxes_per_van=3, by="op")

    assert [s["beneficiary"] for s in app.get(loaded.id, MealRound).stops] == loaded_stops
    count = _stops_per_order(app, town, MONDAY)
    assert len(count) == 30 and set(count.values()) == {1}
    assert len(again.rounds) == 2 and len(again.cancelled) == 1
    assert app.get(again.cancelled[0].id, MealRound).status == "cancelled"
    # Every round of the day that is not cancelled is one of the two vans.
    assert {r.id for r, _ in again.rounds} == {r.id for r in meals._day_rounds(app, town, MONDAY)}


def test_an_order_no_van_can_serve_is_named_and_nothing_is_recorded(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, _ = tours_with_people(app, 6)
    _far_person(app, town)
    before = app.last_position()
    with pytest.raises(RuleViolationError) as refused:
        meals.plan_delivery_day(app, "37261", MONDAY, vans=2, boxes_per_van=2, by="op")
    message = str(refused.value)
    assert "file F99 (Jeanne Loin): the earliest arrival" in message
    assert "after its window 08:00–08:30 CET" in message  # times of day with their zone
    assert "after loading at 08:00 CET" in message
    assert "-" * 4 not in message.replace("2026-03-09", "")  # no UUID
    assert app.last_position() == before

    done = meals.plan_delivery_day(
        app, "37261", MONDAY, vans=2, boxes_per_van=2, by="op",
        accept_unserved="a taxi brings it at 08:15",
    )  # fmt: skip
    assert [u.file_number for u in done.unserved] == ["F99"]
    assert app.get(town.id, Municipality).unserved_accepted == {"2026-03-09": ["F99"]}
    assert len(_stops_per_order(app, town, MONDAY)) == 6


def test_a_single_round_over_the_cold_chain_limit_is_refused(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, _ = tours_with_people(app, 40)
    app.edit(town.id, Municipality, lambda t: t.configure_service(240, 60, t.depot_lat_lon, "x"))
    before = app.last_position()
    with pytest.raises(RuleViolationError, match="over the cold-chain limit of 1 h 00 min") as e:
        meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12", optimise_order=True)
    assert "from loading at 08:00 CET to the end of the last delivery" in str(e.value)
    assert app.last_position() == before
