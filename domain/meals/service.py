"""Commands of the meal service that span more than one aggregate or the key store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain.application import Maillage
from domain.errors import InvalidInputError, RuleViolationError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Municipality
from domain.meals.ordering import orders_for
from domain.meals.planning import (
    HaversineTravel,
    Plan,
    Point,
    StopRequest,
    TravelModel,
    default_order,
    optimise,
)


def erase_beneficiary(app: Maillage, beneficiary_id: UUID, by: str) -> None:
    """Crypto-shred a beneficiary: record who ordered it, then delete their key.

    Counts, dates and amounts stay readable for billing and audit; every
    personal field reads as erased from then on, in events, views and exports.
    Running it again after an interruption finishes the job.
    """
    beneficiary = app.get(beneficiary_id, Beneficiary)
    if not getattr(beneficiary, "erased_by", None):
        beneficiary.record_erasure(by)
        app.save(beneficiary)
    app.erase_subject(beneficiary_id)


STOPS_PER_BOX = 8
"""Stops whose meals share one insulated box (a box holds about a dozen meals)."""
ROUND_START_S = 8 * 3600
"""Loading time assumed by the planner, seconds after local midnight."""


def _seconds(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60


def _depot(town: Municipality, located: Sequence[Beneficiary]) -> Point:
    """The municipality's depot position, or the centre of the stops when it has none."""
    if town.depot_lat_lon:
        return Point(*town.depot_lat_lon)
    return Point(
        sum(b.home.value["lat"] for b in located) / len(located),
        sum(b.home.value["lon"] for b in located) / len(located),
    )


def _requests(people: Sequence[Beneficiary], pins: dict[UUID, int]) -> list[StopRequest]:
    """What the planner needs of each stop: where, its window, its time at the door, its pin."""
    return [
        StopRequest(
            str(b.id),
            Point(b.home.value["lat"], b.home.value["lon"]),
            _seconds(b.window_start),
            _seconds(b.window_end),
            b.service_time_s,
            pins.get(b.id),
        )
        for b in people
    ]


def plan_round(
    app: Maillage,
    town: Municipality,
    people: Sequence[Beneficiary],
    day: date,
    postman: str,
    vehicle: str,
    *,
    optimise_order: bool = False,
    travel: TravelModel | None = None,
) -> tuple[MealRound, Plan | None]:
    """Plan and record ``day``'s round of ``town`` from the orders of ``people``.

    Stops come in the stable default order unless ``optimise_order`` asks the
    solver, within the municipality's longest-round limit. Erased people have
    no address any more and cannot be visited.
    """
    orders = orders_for(people, day, town.delivery_weekdays)
    if not orders:
        raise InvalidInputError(f"no meals are ordered in {town.name} for {day}")
    by_id = {b.id: b for b in people}
    located = [by_id[o.beneficiary_id] for o in orders if not by_id[o.beneficiary_id].home.erased]
    if not located:
        raise InvalidInputError(f"no beneficiary with an address has meals in {town.name} on {day}")
    depot = _depot(town, located)
    requests = _requests(located, {})
    plan = None
    order = default_order(depot, requests)
    if optimise_order:
        plan = optimise(
            depot,
            requests,
            travel or HaversineTravel(),
            start_s=ROUND_START_S,
            max_route_s=town.max_round_min * 60,
        )
        order = plan.order
    meals = {str(o.beneficiary_id): o.meals for o in orders}
    stops = [(UUID(k), meals[k], f"box-{1 + i // STOPS_PER_BOX}") for i, k in enumerate(order)]
    rnd = MealRound.plan(day, town.depot, postman, vehicle, stops)
    app.save(rnd)
    return rnd, plan


def optimise_round(app: Maillage, round_id: UUID, travel: TravelModel | None = None) -> Plan:
    """Re-order a planned round with the solver, keeping its pinned stops where they are.

    The order only changes when the solver finds a better one (the planner
    never returns worse than the current default order).
    """
    rnd = app.get(round_id, MealRound)
    rnd.reorder([s["beneficiary"] for s in rnd.stops])  # guard: still planned
    people = [app.get(s["beneficiary"], Beneficiary) for s in rnd.stops]
    if any(b.home.erased for b in people):
        raise RuleViolationError(
            f"the round of {rnd.day} visits an erased beneficiary: re-plan it instead"
        )
    town = app.get(people[0].municipality_id, Municipality)
    pins = {s["beneficiary"]: i for i, s in enumerate(rnd.stops) if s["pinned"]}
    plan = optimise(
        _depot(town, people),
        _requests(people, pins),
        travel or HaversineTravel(),
        start_s=ROUND_START_S,
        max_route_s=town.max_round_min * 60,
    )
    order = [UUID(k) for k in plan.order]

    def reorder(r: MealRound) -> None:
        if order != [s["beneficiary"] for s in r.stops]:
            r.reorder(order)

    app.edit(round_id, MealRound, reorder)
    return plan
