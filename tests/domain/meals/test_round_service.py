"""Planning a round from the orders and optimising it later: pins hold, limits come from the
municipality, and a loaded round is no longer re-ordered."""

from __future__ import annotations

import math
from datetime import date

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, RuleViolationError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.service import optimise_round, plan_round
from domain.store import StoreLocation

MONDAY = date(2026, 3, 9)


def tours_with_people(app: Maillage, count: int) -> tuple[Municipality, list[Beneficiary]]:
    """A municipality and ``count`` active beneficiaries on a circle around its depot; the
    default order (by window start, then direction) crosses the circle twice."""
    town = Municipality.register(
        "37261", "Tours", "PPDC Tours Nord", "c", Contract((PriceBracket("std", None, 500, 100),))
    )
    town.configure_service(240, 240, (47.3900, 0.6890), by="depot manager")
    people = []
    for i in range(count):
        angle = 2 * math.pi * i / count
        b = Beneficiary.register(
            "37261",
            f"F{i:02d}",
            town.id,
            {"name": f"Person {i}"},
            47.3900 + 0.01 * math.sin(angle),
            0.6890 + 0.015 * math.cos(angle),
            "std",
            window=("08:00" if i % 2 else "08:05", "12:30"),  # a zig-zag default order
            service_time_s=120,
        )
        b.prescribe_diet("normal", "normal", [], [])
        b.set_weekly_pattern({0: 1})
        b.activate(date(2026, 3, 2))
        people.append(b)
    app.save(town, *people)
    return town, people


def test_optimising_keeps_pinned_stops_in_place(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, people = tours_with_people(app, 9)
    rnd, plan = plan_round(app, town, people, MONDAY, "L. Petit", "VAN-12")
    assert plan is None  # not optimised: the stable default order
    pinned = [rnd.stops[0]["beneficiary"], rnd.stops[5]["beneficiary"]]
    for who in pinned:
        app.edit(rnd.id, MealRound, lambda r, who=who: r.pin(who))

    default = [s["beneficiary"] for s in rnd.stops]
    result = optimise_round(app, rnd.id)

    after = app.get(rnd.id, MealRound)
    files = {b.id: f"file {b.file_number}" for b in people}
    assert [files[s["beneficiary"]] for s in after.stops] == result.order
    assert after.stops[0]["beneficiary"] == pinned[0]
    assert after.stops[5]["beneficiary"] == pinned[1]
    assert result.feasible
    assert [s["beneficiary"] for s in after.stops] != default  # the free stops did move


def test_a_loaded_round_is_not_reordered(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    town, people = tours_with_people(app, 4)
    rnd, _ = plan_round(app, town, people, MONDAY, "L. Petit", "VAN-12")
    boxes = {s["box"]: ("P-1", 2.5) for s in rnd.stops}
    app.edit(rnd.id, MealRound, lambda r: r.load(boxes))
    version = app.get(rnd.id, MealRound).version
    with pytest.raises(RuleViolationError, match="is loaded: this needs it planned"):
        optimise_round(app, rnd.id)
    assert app.get(rnd.id, MealRound).version == version


def test_no_orders_no_round(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    town, people = tours_with_people(app, 3)
    sunday = date(2026, 3, 8)
    before = app.last_position()
    with pytest.raises(InvalidInputError, match="no meals are ordered in Tours for 2026-03-08"):
        plan_round(app, town, people, sunday, "L. Petit", "VAN-12")
    assert app.last_position() == before


@pytest.mark.parametrize(
    ("ack_min", "round_min", "depot", "message"),
    [
        (10, 240, None, "15 min to 7 days, not 10 min"),
        (240, 20, None, "30 min to 12 h, not 20 min"),
        (240, 240, (95.0, 0.7), "is not LAT,LON in degrees"),
    ],
)
def test_service_levels_are_checked_before_anything_changes(
    ack_min: int, round_min: int, depot: tuple[float, float] | None, message: str
) -> None:
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("std", None, 500, 100),))
    )
    with pytest.raises(InvalidInputError, match=message):
        town.configure_service(ack_min, round_min, depot, by="x")
    assert (town.version, town.acknowledge_within_min, town.max_round_min) == (1, 240, 240)
