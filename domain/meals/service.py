"""The meal service: every command and query of meal rounds, behind both front ends.

The command line (``console/cli/meals/…``) and the console (``console/tui/screens/…``) call
these functions; neither writes SQL nor builds events. Commands find what they act on as
people name it (an INSEE code, a file number, a round's id or its first characters) and
errors name it the same way (``file 2026-002``, ``stop 3 (file 2026-002)``), never a UUID.
Queries read the meal views (``domain.meals.views``), brought up to date first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import beneficiary_id, municipality_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import Statement, monthly_statement
from domain.meals.imports import beneficiary_of_cells
from domain.meals.meal_round import MealRound
from domain.meals.municipality import (
    CcasMail,
    Contract,
    Municipality,
    PriceBracket,
    WelfareRules,
    normalise_insee,
)
from domain.meals.ordering import (
    Order,
    kitchen_counts,
    orders_close_at,
    orders_for,
    orders_open,
    round_manifest,
)
from domain.meals.planning import (
    HaversineTravel,
    Plan,
    Point,
    StopRequest,
    TravelModel,
    default_order,
    evaluate,
    optimise,
    plan_vans,
)
from domain.meals.views import alert_list, beneficiary_list, round_list
from domain.meals.welfare_alert import WelfareAlert
from domain.personal import ERASED, Erasure
from domain.views.projector import caught_up
from domain.views.view import find_by_prefix
from domain.wording import local_time, plural, zone_on


def erase_beneficiary(app: Maillage, beneficiary_id: UUID, by: str) -> Erasure:
    """Crypto-shred a beneficiary: record who ordered it, delete their key, purge the views
    and scrub the store's files of every copy (see ``SubjectKeys.scrub``).

    Counts, dates and amounts stay readable for billing and audit; every personal field
    reads as erased from then on, in events, views and exports, and nothing personal can be
    recorded about the person again. Refused before anything changes while the files could
    not be scrubbed (another SQLite console pins the write-ahead log); running it again after
    an interruption finishes the job.
    """
    beneficiary = app.get(beneficiary_id, Beneficiary)
    app.subject_keys.check_scrubbable()
    if not getattr(beneficiary, "erased_by", None):
        beneficiary.record_erasure(by)
        app.save(beneficiary)
    erasure = app.subject_keys.erasure(beneficiary_id) or app.erasure_in_log(beneficiary_id)
    assert erasure is not None  # recorded just above
    app.erase_subject(erasure)
    caught_up(app).close()  # the views purge the person's sealed values
    app.subject_keys.scrub(tables=PERSONAL_VIEW_TABLES)
    return erasure


PERSONAL_VIEW_TABLES = ("beneficiaries_view",)
"""View tables whose rows held a person's sealed values: rewritten after an erasure."""


MEALS_PER_BOX = 12
"""Meals one insulated box holds (a van's capacity is counted in boxes)."""
ROUND_START_S = 8 * 3600
"""Loading time assumed by the planner, seconds after local midnight."""
VAN_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
"""Letters naming a day's vans (round "2026-03-09 Tours A · L. Petit"); no I, O or Q."""


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


def local_clock(day: date, t_s: int) -> str:
    """Seconds after local midnight of ``day`` as people read them: ``09:40 CET``."""
    moment = datetime.combine(day, time(0), clock.PARIS) + timedelta(seconds=t_s)
    return f"{moment:%H:%M} {moment:%Z}"


def _key(b: Beneficiary) -> str:
    """A stop's key for the planner, as its sentences name it: ``file 2026-002``."""
    return f"file {b.file_number}"


def _requests(people: Sequence[Beneficiary], pins: dict[UUID, int]) -> list[StopRequest]:
    """What the planner needs of each stop: where, its window, its time at the door, its pin."""
    return [
        StopRequest(
            _key(b),
            Point(b.home.value["lat"], b.home.value["lon"]),
            _seconds(b.window_start),
            _seconds(b.window_end),
            b.service_time_s,
            pins.get(b.id),
        )
        for b in people
    ]


def _boxes(meals: Sequence[int]) -> list[str]:
    """The box of each stop, in delivery order: box-1 filled first (at most ``MEALS_PER_BOX``
    meals a box, a stop's meals never split), so the postman empties one box after the other."""
    boxes, box, used = [], 1, 0
    for m in meals:
        if used and used + m > MEALS_PER_BOX:
            box, used = box + 1, 0
        used += m
        boxes.append(f"box-{box}")
    return boxes


def _day_rounds(app: Maillage, town: Municipality, day: date) -> list[MealRound]:
    """The rounds of ``day`` with a stop in ``town`` (cancelled ones left out), by van."""
    conn = caught_up(app)
    try:
        rows = round_list(conn, day.isoformat(), town.insee_code)
    finally:
        conn.close()
    rounds = [app.get(UUID(r["id"]), MealRound) for r in rows if r["status"] != "cancelled"]
    return sorted(rounds, key=lambda r: (getattr(r, "van", ""), r.postman))


def round_ref(round_id: UUID) -> str:
    """How people type a round in a command: ``R-1A2B3C4D`` (its name says the rest)."""
    return f"R-{round_id.hex[:8].upper()}"


def round_label(app: Maillage, rnd: MealRound) -> str:
    """A round as messages name it: ``2026-03-09 Tours A · L. Petit (R-1A2B3C4D)``."""
    return f"{round_name(app, rnd)} ({round_ref(rnd.id)})"


def round_name(app: Maillage, rnd: MealRound) -> str:
    """A round as people name it: ``2026-03-09 Tours A · L. Petit``."""
    town = ""
    if rnd.stops:
        who = app.get(rnd.stops[0]["beneficiary"], Beneficiary)
        town = " " + app.get(who.municipality_id, Municipality).name
    van = f" {rnd.van}" if getattr(rnd, "van", "") else ""
    return f"{rnd.day}{town}{van} · {rnd.postman}"


def _limits_text(plan: Plan) -> str:
    return "; ".join(plan.violations)


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

    Orders already in a round of the day are not planned again. Stops come in the stable
    default order unless ``optimise_order`` asks the solver; either way the order is timed
    and a round that breaks a window or the cold-chain limit is refused (nothing recorded):
    a day too long for one van is planned over several (``plan_delivery_day``). Erased people
    have no address any more and cannot be visited.
    """
    orders = orders_for(people, day, town.delivery_weekdays)
    if not orders:
        raise InvalidInputError(f"no meals are ordered in {town.name} for {day}")
    planned = {s["beneficiary"] for r in _day_rounds(app, town, day) for s in r.stops}
    orders = [o for o in orders if o.beneficiary_id not in planned]
    if not orders:
        raise RuleViolationError(
            f"every order of {day} in {town.name} is already in a round: nothing to plan "
            "(re-plan the day over its vans to move them)"
        )
    by_id = {b.id: b for b in people}
    located = [by_id[o.beneficiary_id] for o in orders if by_id[o.beneficiary_id].home.opened]
    if not located:
        raise InvalidInputError(f"no beneficiary with an address has meals in {town.name} on {day}")
    depot = _depot(town, located)
    requests = _requests(located, {})
    route = dict(
        depot=depot, stops=requests, travel=travel or HaversineTravel(), start_s=ROUND_START_S,
        max_route_s=town.max_round_min * 60, zone=zone_on(day),
    )  # fmt: skip
    if optimise_order:
        plan = optimise(**route)  # type: ignore[arg-type]
    else:
        plan = evaluate(default_order(depot, requests), **route)  # type: ignore[arg-type]
    if not plan.feasible:
        raise RuleViolationError(
            f"the round of {day} in {town.name} breaks its limits, nothing recorded: "
            f"{_limits_text(plan)} — plan the day over several vans"
        )
    ids = {_key(b): b.id for b in located}
    meals = {o.beneficiary_id: o.meals for o in orders}
    order = [ids[k] for k in plan.order]
    boxes = _boxes([meals[b] for b in order])
    rnd = MealRound.plan(
        day,
        town.depot,
        postman,
        vehicle,
        list(zip(order, [meals[b] for b in order], boxes, strict=True)),
    )
    app.save(rnd)
    return rnd, plan if optimise_order else None


@dataclass(frozen=True)
class Unserved:
    """An order of the day that no van can serve, as people name it, and why."""

    file_number: str
    name: str
    why: str

    def __str__(self) -> str:
        return f"file {self.file_number} ({self.name}): {self.why}"


@dataclass(frozen=True)
class DayPlanned:
    """What ``plan_delivery_day`` did: the day's rounds (kept as loaded, re-planned or new),
    each with its timetable, and the orders left unserved (accepted with a reason)."""

    rounds: list[tuple[MealRound, Plan | None]]
    cancelled: list[MealRound]
    unserved: list[Unserved]
    travel: str


def plan_delivery_day(
    app: Maillage,
    insee: str,
    day: date,
    vans: int,
    boxes_per_van: int,
    by: str,
    crews: Sequence[tuple[str, str]] = (),
    accept_unserved: str | None = None,
    travel: TravelModel | None = None,
    travel_label: str = "straight-line estimates",
    time_limit_s: float = 5.0,
) -> DayPlanned:
    """Plan ``day`` of ``town`` over ``vans`` vans of ``boxes_per_van`` boxes: every order in
    exactly one round, each round within the windows and the cold-chain limit.

    Re-planning moves only what is not loaded yet: loaded and completed rounds keep their
    stops (and their van); the other orders are planned again over the remaining vans,
    re-using the day's planned rounds (``Replanned``) and cancelling those left without a
    stop. Orders no van can serve are named with why; unless ``accept_unserved`` gives the
    reason (recorded on the municipality with ``by``), nothing is recorded. ``crews`` are
    (postman, vehicle) of the vans, in van order; vans without one are "to assign".
    """
    town = find_municipality(app, insee)
    if not 1 <= vans <= len(VAN_LETTERS):
        raise InvalidInputError(f"a day has 1 to {len(VAN_LETTERS)} vans, not {vans}")
    if not 1 <= boxes_per_van <= 50:
        raise InvalidInputError(f"a van carries 1 to 50 boxes, not {boxes_per_van}")
    if len(crews) > vans:
        raise InvalidInputError(f"{len(crews)} crews for {vans} vans")
    if not by.strip():
        raise InvalidInputError("planning a day needs the name of who does it")
    people = beneficiaries(app, town.insee_code)
    orders = orders_for(people, day, town.delivery_weekdays)
    if not orders:
        raise InvalidInputError(f"no meals are ordered in {town.name} for {day}")
    existing = _day_rounds(app, town, day)
    kept = [r for r in existing if r.status != "planned"]
    movable = [r for r in existing if r.status == "planned"]
    fixed = {s["beneficiary"] for r in kept for s in r.stops}
    by_id = {b.id: b for b in people}
    meals = {o.beneficiary_id: o.meals for o in orders}
    to_plan = [by_id[o.beneficiary_id] for o in orders if o.beneficiary_id not in fixed]
    unserved = [
        Unserved(b.file_number, ERASED, "erased: no address to deliver to")
        for b in to_plan
        if b.home.erased
    ]
    located = [b for b in to_plan if not b.home.erased]
    free_vans = vans - len(kept)
    letters = [x for x in VAN_LETTERS if x not in {getattr(r, "van", "") for r in kept}]
    routes: list[Plan] = []
    travel = travel or HaversineTravel()
    if located and free_vans < 1:
        unserved += [
            Unserved(
                b.file_number,
                _name(b),
                "every van is already loaded" if vans > 1 else "the van is already loaded",
            )
            for b in located
        ]
    elif located:
        day_plan = plan_vans(
            _depot(town, located), _requests(located, {}), [meals[b.id] for b in located],
            free_vans, boxes_per_van * MEALS_PER_BOX, travel, ROUND_START_S,
            town.max_round_min * 60, time_limit_s=time_limit_s, zone=zone_on(day),
        )  # fmt: skip
        keys = {_key(b): b for b in located}
        unserved += [Unserved(keys[k].file_number, _name(keys[k]), why)
                     for k, why in day_plan.unserved.items()]  # fmt: skip
        broken = [v for r in day_plan.routes for v in r.violations]
        if broken:
            raise RuleViolationError(
                f"the plan of {day} in {town.name} breaks its limits, nothing recorded: "
                + "; ".join(broken)
            )
        routes = [r for r in day_plan.routes if r.order]
        ids = {k: b.id for k, b in keys.items()}
    if unserved and not (accept_unserved and accept_unserved.strip()):
        listed = "; ".join(str(u) for u in sorted(unserved, key=lambda u: u.file_number))
        raise RuleViolationError(
            f"{len(unserved)} of the {len(orders)} orders of {day} in {town.name} cannot be "
            f"served: {listed}. Nothing recorded: add vans or boxes, or accept with a reason"
        )
    planned: list[tuple[MealRound, Plan | None]] = [(r, None) for r in kept]
    changed: list[MealRound] = []
    for n, plan in enumerate(routes):
        order = [ids[k] for k in plan.order]
        stops = list(
            zip(order, [meals[b] for b in order], _boxes([meals[b] for b in order]), strict=True)
        )
        if n < len(movable):
            rnd = movable[n]
            if [(s["beneficiary"], s["meals"], s["box"]) for s in rnd.stops] != stops:
                rnd.replan(stops)
                changed.append(rnd)
        else:
            postman, vehicle = (
                crews[len(kept) + n] if len(kept) + n < len(crews) else ("to assign", "")
            )
            letter = letters[n]
            rnd = MealRound.plan(
                day, town.depot, postman, vehicle or f"van {letter}", stops, van=letter
            )
            changed.append(rnd)
        planned.append((rnd, plan))
    cancelled = movable[len(routes) :]
    for rnd in cancelled:
        rnd.cancel("the day was re-planned: its orders went to other vans", by)
    if unserved:
        town.accept_unserved(day, [u.file_number for u in unserved], accept_unserved or "", by)
        changed.append(town)  # type: ignore[arg-type]
    app.save(*changed, *cancelled)
    return DayPlanned(planned, cancelled, unserved, travel_label)


def _name(b: Beneficiary) -> str:
    """A beneficiary's name for the operator (the erased marker once erased)."""
    return ERASED if b.personal.erased else str(b.personal.value.get("name", ""))


def optimise_round(app: Maillage, round_id: UUID, travel: TravelModel | None = None) -> Plan:
    """Re-order a planned round with the solver, keeping its pinned stops where they are.

    The order only changes when the solver finds a better one (the planner
    never returns worse than the current default order).
    """
    rnd = app.get(round_id, MealRound)
    rnd.reorder([s["beneficiary"] for s in rnd.stops])  # guard: still planned
    people = [app.get(s["beneficiary"], Beneficiary) for s in rnd.stops]
    if any(not b.home.opened for b in people):
        raise RuleViolationError(
            f"the round of {rnd.day} visits an erased beneficiary: re-plan it instead"
        )
    town = app.get(people[0].municipality_id, Municipality)
    pins = {b.id: i for i, (s, b) in enumerate(zip(rnd.stops, people, strict=True)) if s["pinned"]}
    plan = optimise(
        _depot(town, people),
        _requests(people, pins),
        travel or HaversineTravel(),
        start_s=ROUND_START_S,
        max_route_s=town.max_round_min * 60,
        zone=zone_on(date.fromisoformat(rnd.day)),
    )
    ids = {_key(b): b.id for b in people}
    order = [ids[k] for k in plan.order]

    def reorder(r: MealRound) -> None:
        if order != [s["beneficiary"] for s in r.stops]:
            r.reorder(order)

    app.edit(round_id, MealRound, reorder)
    return plan


# ----------------------------------------------------------------------------- finding


def find_municipality(app: Maillage, insee: str) -> Municipality:
    """The municipality with this INSEE code, or a clear error naming the code."""
    code = normalise_insee(insee)
    try:
        return app.get(municipality_id(code), Municipality)
    except NotFoundError:
        raise NotFoundError(f"no municipality with INSEE code {code}: add it first") from None


def find_beneficiary(app: Maillage, insee: str, file_number: str) -> Beneficiary:
    """A beneficiary by municipality and file number, or an error naming the file."""
    town = find_municipality(app, insee)
    try:
        return app.get(beneficiary_id(town.insee_code, file_number), Beneficiary)
    except NotFoundError:
        raise NotFoundError(f"no beneficiary file {file_number} in {town.insee_code}") from None


def find_round(app: Maillage, text: str) -> UUID:
    """A meal round named by its id or its first 6+ characters (as the rounds list shows)."""
    try:
        return UUID(text.strip())
    except ValueError:
        pass
    prefix = text.strip()
    if prefix.upper().startswith("R-"):  # a reference: R- and the id's first hex digits
        prefix = prefix[2:].lower()
    conn = caught_up(app)
    try:
        return find_by_prefix(conn, "rounds_view", prefix, "round")
    finally:
        conn.close()


def find_alert(app: Maillage, text: str, scope: str | None = None) -> UUID:
    """A welfare alert by its id or first 6+ characters; a user scoped to one municipality
    finds only its alerts (another's is "not found", saying nothing of it)."""
    prefix = text.strip()
    if prefix.upper().startswith("W-"):  # a reference: W- and the id's first hex digits
        prefix = prefix[2:].lower()
    within = None if scope is None else ("municipality_id", str(municipality_id(scope)))
    conn = caught_up(app)
    try:
        return find_by_prefix(
            conn, "welfare_alerts_view", prefix, "welfare alert", within, text.strip()
        )
    finally:
        conn.close()


def stop_label(app: Maillage, rnd: MealRound, who: UUID) -> str:
    """A stop as people name it: ``stop 3 (file 2026-002)``."""
    number = next((n for n, s in enumerate(rnd.stops, 1) if s["beneficiary"] == who), None)
    file_number = app.get(who, Beneficiary).file_number
    return f"stop {number} (file {file_number})" if number else f"file {file_number}"


# ----------------------------------------------------------------------------- queries


def beneficiaries(
    app: Maillage, insee: str | None = None, active_only: bool = False
) -> list[Beneficiary]:
    """The beneficiaries of one municipality (or every one), by file number."""
    conn = caught_up(app)
    try:
        query, params = "SELECT id FROM beneficiaries_view WHERE 1 = 1", []
        if insee:
            query, params = query + " AND insee_code = ?", [normalise_insee(insee)]
        if active_only:
            query += " AND status = 'active'"
        ids = conn.fetchall(query + " ORDER BY insee_code, file_number", params)
    finally:
        conn.close()
    return [app.get(UUID(r[0]), Beneficiary) for r in ids]


LISTED_FIELDS = ("id", "insee_code", "file_number", "status", "name", "price_bracket", "regime",
                 "texture")  # fmt: skip
"""What ``maillage meals beneficiaries list`` shows of each file."""


def beneficiary_rows(app: Maillage, insee: str | None = None) -> list[dict[str, str]]:
    """Beneficiaries as the view holds them (names opened, erased ones marked)."""
    conn = caught_up(app)
    try:
        found = beneficiary_list(conn, app.subject_keys, normalise_insee(insee) if insee else None)
    finally:
        conn.close()
    return [{k: str(r[k]) for k in LISTED_FIELDS} for r in found]


def round_rows(app: Maillage, day: date | None = None) -> list[dict[str, Any]]:
    """Rounds and their progress (one day's, or every one), by day and postman."""
    conn = caught_up(app)
    try:
        rows = round_list(conn, day.isoformat() if day else None)
    finally:
        conn.close()
    return [
        {**r, "reference": round_ref(UUID(r["id"])),
         "name": round_name(app, app.get(UUID(r["id"]), MealRound))}
        for r in rows
    ]  # fmt: skip


def alert_rows(
    app: Maillage,
    insee: str | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
    with_names: bool = True,
) -> list[dict[str, Any]]:
    """The welfare inbox, oldest first, each alert marked overdue when it was not acknowledged
    within its municipality's delay; with its reference, the raising time in Paris time (zone
    shown) and whom it concerns (the name only ``with_names``: not for auditors)."""
    conn = caught_up(app)
    try:
        found = alert_list(conn, clock.now(), insee)
    finally:
        conn.close()
    return [
        {**a, **_alert_labels(app, a, with_names)}
        for a in found
        if (not open_only or a["status"] != "closed") and (not overdue_only or a["overdue"])
    ]


def _alert_labels(app: Maillage, row: dict[str, Any], with_names: bool) -> dict[str, str]:
    """What people read of an alert row: reference, local time, the person concerned."""
    alert = app.get(UUID(row["id"]), WelfareAlert)
    return {
        "reference": alert.reference,
        "raised": local_time(datetime.fromisoformat(row["raised_at"])),
        "concerns": concerns(app, alert.beneficiary_id, with_names),
    }


def concerns(app: Maillage, who: UUID, with_name: bool) -> str:
    """Whom an alert concerns: ``file 2026-002 Louis Girard`` (the file only without name)."""
    person = app.get(who, Beneficiary)
    return f"file {person.file_number}" + (f" {_name(person)}" if with_name else "")


def statement(app: Maillage, insee: str, month: str, today: date | None = None) -> Statement:
    """A municipality's statement of ``month`` (``YYYY-MM``), days after ``today`` (Paris,
    by default now) not yet due."""
    town = find_municipality(app, insee)
    conn = caught_up(app)
    try:
        round_ids = conn.fetchall("SELECT id FROM rounds_view WHERE day LIKE ?", (f"{month}-%",))
    finally:
        conn.close()
    people = beneficiaries(app, town.insee_code)
    rounds = [app.get(UUID(r[0]), MealRound) for r in round_ids]
    until = today or clock.now().astimezone(clock.PARIS).date()
    return monthly_statement(town, people, rounds, month, until=until)


def municipalities_served(app: Maillage, scope: str | None = None) -> list[str]:
    """INSEE codes of the municipalities that have beneficiaries (only ``scope`` if given)."""
    conn = caught_up(app)
    try:
        where, params = ("WHERE insee_code = ?", (scope,)) if scope else ("", ())
        rows = conn.fetchall(
            f"SELECT DISTINCT insee_code FROM beneficiaries_view {where} ORDER BY insee_code",
            params,
        )
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class DayOrders:
    """A delivery day's orders of one municipality and the kitchen's counts."""

    day: date
    orders_open: bool
    orders_close_at: datetime
    orders: list[tuple[str, Order]]
    """(file number, order) of every beneficiary served that day."""
    kitchen: dict[tuple[str, str], int]
    """(regime, texture) → meals."""

    @property
    def meals(self) -> int:
        return sum(o.meals for _, o in self.orders)

    def lines(self) -> list[str]:
        """The day in words: meals, beneficiaries, whether orders are open (closing when, local
        time with its zone), then the kitchen's count of each regime and texture."""
        state = "open" if self.orders_open else "closed"
        return [
            f"{self.day}: {plural(self.meals, 'meal')} for "
            f"{plural(len(self.orders), 'beneficiary', 'beneficiaries')} (orders {state}, "
            f"closing {local_time(self.orders_close_at)})",
            *(f"  kitchen: {r} / {t}: {n}" for (r, t), n in self.kitchen.items()),
        ]


def day_orders(app: Maillage, insee: str, day: date) -> DayOrders:
    """What a municipality's beneficiaries get delivered on ``day``."""
    town = find_municipality(app, insee)
    people = beneficiaries(app, town.insee_code)
    files = {b.id: b.file_number for b in people}
    days = town.delivery_weekdays
    return DayOrders(
        day,
        orders_open(day, clock.now()),
        orders_close_at(day),
        [(files[o.beneficiary_id], o) for o in orders_for(people, day, days)],
        kitchen_counts(people, day, days),
    )


def round_with_people(app: Maillage, round_id: UUID) -> tuple[MealRound, dict[UUID, Beneficiary]]:
    """A round and the beneficiary of each of its stops (the round dialog's reading)."""
    rnd = app.get(round_id, MealRound)
    return rnd, {s["beneficiary"]: app.get(s["beneficiary"], Beneficiary) for s in rnd.stops}


def alert_trail(app: Maillage, alert_id: UUID, with_notes: bool) -> tuple[str, dict[str, Any]]:
    """An alert's status and its trail (who did what when), with its reference and whom it
    concerns; the name, notes and follow-up texts only ``with_notes`` (health data read-only
    roles do not see)."""
    alert = app.get(alert_id, WelfareAlert)
    return alert.status, {
        "reference": alert.reference,
        "concerns": concerns(app, alert.beneficiary_id, with_notes),
        "mailed": local_time(alert.notified["at"]) if getattr(alert, "notified", None) else None,
        **alert.trail(with_notes=with_notes),
    }


def manifest(app: Maillage, round_id: UUID) -> tuple[MealRound, list[dict[str, Any]]]:
    """The postman's list of a round: only what is needed at each door."""
    rnd = app.get(round_id, MealRound)
    stops = [(app.get(s["beneficiary"], Beneficiary), s["meals"], s["box"]) for s in rnd.stops]
    return rnd, round_manifest(stops)


# ----------------------------------------------------------------------------- municipalities


def register_municipality(
    app: Maillage, insee: str, name: str, depot: str, ccas: str, brackets: Sequence[PriceBracket]
) -> Municipality:
    """A municipality and its contract; a second registration of the code is refused."""
    town = Municipality.register(insee, name, depot, ccas, Contract(tuple(brackets)))
    if app.recorder.select_events(town.id, limit=1):
        raise InvalidInputError(f"municipality {town.insee_code} is already registered")
    app.save(town)
    return town


def configure_municipality(
    app: Maillage,
    insee: str,
    by: str,
    acknowledge_within_min: int | None = None,
    max_round_min: int | None = None,
    depot_lat_lon: tuple[float, float] | None = None,
    delivery_days: str | None = None,
) -> Municipality:
    """Agreed service levels, the depot's position and delivery days; what is not given stays."""
    town = find_municipality(app, insee)

    def configure(t: Municipality) -> None:
        t.configure_service(
            acknowledge_within_min or t.acknowledge_within_min,
            max_round_min or t.max_round_min,
            depot_lat_lon or t.depot_lat_lon,
            by,
        )
        if delivery_days:
            t.set_delivery_days(delivery_days, by)

    return app.edit(town.id, Municipality, configure)


# ----------------------------------------------------------------------------- beneficiaries


def erase_file(app: Maillage, insee: str, file_number: str, by: str) -> None:
    """Erase a beneficiary named by municipality and file number (see ``erase_beneficiary``)."""
    who = find_beneficiary(app, insee, file_number)
    erase_beneficiary(app, who.id, by=by)


def suspend(
    app: Maillage, insee: str, file_number: str, start: date, resume: date, reason: str
) -> Beneficiary:
    """A temporary stop of deliveries; they resume by themselves on ``resume``."""
    who = find_beneficiary(app, insee, file_number)
    return app.edit(who.id, Beneficiary, lambda b: b.suspend(start, resume, reason))


def add_extra_meals(
    app: Maillage, insee: str, file_number: str, day: date, meals: int
) -> Beneficiary:
    """One-off extra meals on a delivery day, while its orders are open."""
    who = find_beneficiary(app, insee, file_number)
    if not orders_open(day, clock.now()):
        raise RuleViolationError(f"orders for {day} closed at {local_time(orders_close_at(day))}")
    return app.edit(who.id, Beneficiary, lambda b: b.add_extra_meals(day, meals))


# ----------------------------------------------------------------------------- rounds


def plan_day(
    app: Maillage,
    insee: str,
    day: date,
    postman: str,
    vehicle: str,
    optimise_order: bool = False,
    travel: TravelModel | None = None,
) -> tuple[MealRound, Plan | None]:
    """Plan a municipality's round of ``day`` from its active beneficiaries' orders."""
    town = find_municipality(app, insee)
    people = beneficiaries(app, town.insee_code, active_only=True)
    return plan_round(
        app, town, people, day, postman, vehicle, optimise_order=optimise_order, travel=travel
    )


def edit_round(app: Maillage, round_id: UUID, command: Callable[[MealRound], None]) -> MealRound:
    """Apply a command to a round (reloaded and applied once more after a concurrent edit)."""
    return app.edit(round_id, MealRound, command)


def _stop_of(app: Maillage, rnd: MealRound, insee: str, file_number: str) -> UUID:
    """The beneficiary id of a stop named by file number, or an error naming the file."""
    who = find_beneficiary(app, insee, file_number).id
    if all(s["beneficiary"] != who for s in rnd.stops):
        raise InvalidInputError(
            f"file {file_number} has no stop in the round of {rnd.day} ({rnd.postman})"
        )
    return who


def pin_stop(app: Maillage, round_id: UUID, beneficiary: UUID, pinned: bool) -> MealRound:
    """Keep a stop at its place when the round is optimised again (or let it move)."""
    return edit_round(app, round_id, lambda r: r.pin(beneficiary, pinned))


def pin_stop_of_file(
    app: Maillage, round_id: UUID, insee: str, file_number: str, pinned: bool
) -> MealRound:
    """``pin_stop`` for a stop named by municipality and file number."""
    who = _stop_of(app, app.get(round_id, MealRound), insee, file_number)
    return pin_stop(app, round_id, who, pinned)


def load_boxes(
    app: Maillage, round_id: UUID, boxes: dict[str, tuple[str, float]], at: datetime | None = None
) -> MealRound:
    """Boxes loaded with their probe and temperature (``at``: when, for a paper round); a box
    above +3 °C is blocked."""
    return edit_round(app, round_id, lambda r: r.load(boxes, at))


def record_probe(
    app: Maillage, round_id: UUID, box: str, temperature_c: float, at: datetime | None = None
) -> MealRound:
    """A probe reading of a loaded box (now, unless ``at`` says when)."""
    when = at or clock.now()
    return edit_round(app, round_id, lambda r: r.record_probe_reading(box, temperature_c, when))


def release_box(app: Maillage, round_id: UUID, box: str, by: str, reason: str) -> MealRound:
    """Someone accountable releases a blocked box's meals, saying why."""
    return edit_round(app, round_id, lambda r: r.release_box(box, by, reason))


def record_stop(
    app: Maillage,
    round_id: UUID,
    beneficiary: UUID,
    outcome: str,
    at: datetime | None = None,
    reason: str = "",
    handover_temperature_c: float | None = None,
    position: tuple[float, float] | None = None,
    contact: dict[str, str] | None = None,
    released_by: str = "",
    release_reason: str = "",
    signals: Sequence[str] = (),
    signals_note: str = "",
) -> StopRecorded:
    """What happened at a stop; a refusal names the stop (``stop 3 (file 2026-002)``). A
    hand-over above +3 °C needs ``released_by`` and ``release_reason`` to deliver;
    ``signals`` are what the postman noticed at the door. The welfare watch then raises
    what the municipality's rules ask for (``welfare_watch``)."""
    rnd = app.get(round_id, MealRound)
    if all(s["beneficiary"] != beneficiary for s in rnd.stops):
        file_number = app.get(beneficiary, Beneficiary).file_number
        raise InvalidInputError(f"file {file_number} has no stop in the round of {rnd.day}")
    when = at or clock.now()

    def record() -> list[Aggregate]:
        """The stop and the alerts the watch raises about it: saved in one transaction, so
        no state exists where the stop is recorded and its alert is missing."""
        fresh = app.get(round_id, MealRound)
        fresh.record_stop(
            beneficiary,
            outcome,
            when,
            reason=reason,
            handover_temperature_c=handover_temperature_c,
            position=position,
            contact=contact,
            released_by=released_by,
            release_reason=release_reason,
            signals=signals,
            signals_note=signals_note,
        )
        return [fresh, *welfare_watch(app, fresh, beneficiary)]

    try:
        done, *alerts = app.save_together(record, "this round")
    except (InvalidInputError, RuleViolationError) as refused:
        raise type(refused)(f"{stop_label(app, rnd, beneficiary)}: {refused}") from None
    return StopRecorded(cast(MealRound, done), cast(list[WelfareAlert], alerts))


@dataclass(frozen=True)
class StopRecorded:
    """A recorded stop: its round as it now stands, and the alerts the watch raised."""

    round: MealRound
    alerts: list[WelfareAlert]


def record_stop_of_file(
    app: Maillage, round_id: UUID, insee: str, file_number: str, outcome: str, **details: Any
) -> StopRecorded:
    """``record_stop`` for a stop named by municipality and file number."""
    who = _stop_of(app, app.get(round_id, MealRound), insee, file_number)
    return record_stop(app, round_id, who, outcome, **details)


def complete_round(app: Maillage, round_id: UUID, at: datetime | None = None) -> MealRound:
    """Close the round once every stop has its outcome (``at``: when, for a paper round)."""
    return edit_round(app, round_id, lambda r: r.complete(at))


def amend_stop(
    app: Maillage, round_id: UUID, beneficiary: UUID, outcome: str, reason: str, by: str
) -> MealRound:
    """Correct a recorded stop's outcome with who and why; the original stays in the log."""
    rnd = app.get(round_id, MealRound)
    try:
        return edit_round(app, round_id, lambda r: r.amend_stop(beneficiary, outcome, reason, by))
    except (InvalidInputError, RuleViolationError) as refused:
        raise type(refused)(f"{stop_label(app, rnd, beneficiary)}: {refused}") from None


def amend_stop_of_file(
    app: Maillage, round_id: UUID, insee: str, file_number: str, outcome: str, reason: str,
    by: str,
) -> MealRound:  # fmt: skip
    """``amend_stop`` for a stop named by municipality and file number."""
    who = _stop_of(app, app.get(round_id, MealRound), insee, file_number)
    return amend_stop(app, round_id, who, outcome, reason, by)


def correct_beneficiary(
    app: Maillage,
    insee: str,
    file_number: str,
    personal: dict[str, str] | None = None,
    position: tuple[float, float] | None = None,
    window: tuple[str, str] | None = None,
    diet: tuple[str, str] | None = None,
    pattern: dict[int, int] | None = None,
) -> list[str]:
    """Correct a beneficiary's file as events (address, phone, contact, access notes, position,
    window, diet, weekly pattern); the names of the fields that changed, never their values."""
    who = find_beneficiary(app, insee, file_number)
    changed: list[str] = []

    def correct(b: Beneficiary) -> None:
        changed[:] = b.correct(personal=personal, position=position, window=window)
        if diet is not None:
            now = b.diet.value if b.diet is not None and not b.diet.erased else {}
            if (now.get("regime"), now.get("texture")) != diet:
                b.prescribe_diet(*diet, now.get("allergens", []), now.get("avoid", []))
                changed.append("diet")
        if pattern is not None and {str(d): m for d, m in pattern.items() if m} != b.pattern:
            b.set_weekly_pattern(pattern)
            changed.append("pattern")

    app.edit(who.id, Beneficiary, correct)
    return changed


def add_beneficiary(app: Maillage, insee: str, cells: dict[str, str]) -> Beneficiary:
    """Open one beneficiary's file from the cells an imported line has (``imports.COLUMNS``),
    checked by the same rules; a file number already registered is refused."""
    town = find_municipality(app, insee)
    built = beneficiary_of_cells(town, cells)
    if app.recorder.select_events(built.id, limit=1):
        raise InvalidInputError(
            f"beneficiary file {built.file_number} of {town.insee_code} already exists: edit it"
        )
    app.save(built)
    return built


def end_service(
    app: Maillage, insee: str, file_number: str, last_day: date, reason: str
) -> Beneficiary:
    """The service ends after ``last_day`` for a reason (sealed: it is about the person)."""
    who = find_beneficiary(app, insee, file_number)
    if not reason.strip():
        raise InvalidInputError("ending a service needs a reason")
    return app.edit(who.id, Beneficiary, lambda b: b.stop(last_day, reason))


# ----------------------------------------------------------------------------- alerts


def raise_alert(
    app: Maillage, insee: str, file_number: str, category: str, severity: str, note: str, by: str
) -> WelfareAlert:
    """A postman's concern about a beneficiary, for the municipality's CCAS."""
    town = find_municipality(app, insee)
    who = find_beneficiary(app, town.insee_code, file_number)
    alert = WelfareAlert.raise_alert(who.id, town.id, category, severity, note, by)
    app.save(alert)
    return alert


def acknowledge_alert(app: Maillage, alert_id: UUID, by: str) -> WelfareAlert:
    """The CCAS takes the alert in hand."""
    return app.edit(alert_id, WelfareAlert, lambda a: a.acknowledge(by))


def follow_up_alert(app: Maillage, alert_id: UUID, by: str, action: str) -> WelfareAlert:
    """Something the CCAS did about it."""
    return app.edit(alert_id, WelfareAlert, lambda a: a.add_follow_up(by, action))


def close_alert(app: Maillage, alert_id: UUID, outcome: str, by: str) -> WelfareAlert:
    """The alert is settled with an outcome."""
    return app.edit(alert_id, WelfareAlert, lambda a: a.close(outcome, by))


# ----------------------------------------------------------------------------- welfare watch

WATCH = "welfare watch"
"""Who raises the alerts the watch raises by itself (recorded as ``raised_by``)."""


@dataclass(frozen=True)
class _Visit:
    """One of a beneficiary's recorded stops, as the watch reads it."""

    day: str
    label: str
    outcome: str
    signals: tuple[str, ...]


def _visits(app: Maillage, who: UUID, first: date, last: date, current: MealRound) -> list[_Visit]:
    """The beneficiary's recorded stops of rounds from ``first`` to ``last`` (days, included);
    ``current`` (not saved yet) is read as it stands in memory, not from the views."""
    conn = caught_up(app)
    try:
        rows = conn.fetchall(
            "SELECT r.id FROM rounds_view r JOIN round_stops_view s ON s.round_id = r.id "
            "WHERE s.beneficiary_id = ? AND r.day >= ? AND r.day <= ? AND s.outcome IS NOT NULL "
            "AND r.id != ? ORDER BY r.day",
            (str(who), first.isoformat(), last.isoformat(), str(current.id)),
        )
    finally:
        conn.close()
    rounds = [app.get(UUID(rid), MealRound) for (rid,) in rows]
    if first.isoformat() <= current.day <= last.isoformat():
        rounds.append(current)
    visits = []
    for rnd in sorted(rounds, key=lambda r: r.day):
        stop = next(s for s in rnd.stops if s["beneficiary"] == who)
        door = stop.get("door")
        signals = () if door is None or door.erased else tuple(door.value["signals"])
        label = f"{stop_label(app, rnd, who)} of {round_name(app, rnd)}"
        visits.append(_Visit(rnd.day, label, str(stop["outcome"]), signals))
    return visits


def _open_rules(app: Maillage, who: UUID) -> set[str]:
    """The watch's rules that already have an alert open about this beneficiary."""
    conn = caught_up(app)
    try:
        ids = conn.fetchall(
            "SELECT id FROM welfare_alerts_view WHERE beneficiary_id = ? AND status != 'closed'",
            (str(who),),
        )
    finally:
        conn.close()
    return {getattr(app.get(UUID(i), WelfareAlert), "rule", "") for (i,) in ids}


def welfare_watch(app: Maillage, rnd: MealRound, who: UUID) -> list[WelfareAlert]:
    """Alerts the watch raises by itself after a stop of ``who`` was recorded on ``rnd``
    (not saved here: ``record_stop`` saves them with the stop, in one transaction).

    An absence with nobody reached raises one at once; across days, the municipality's
    thresholds of uneaten meals and of absences raise one with the evidence (each stop, its
    day), unless one for the same rule is still open. Notes are sealed with the person's key.
    """
    person = app.get(who, Beneficiary)
    if person.personal.erased:
        return []
    town = app.get(person.municipality_id, Municipality)
    rules = town.welfare_rules
    stop = next(s for s in rnd.stops if s["beneficiary"] == who)
    label = f"{stop_label(app, rnd, who)} of {round_name(app, rnd)}"
    raised = []
    contact = stop.get("contact") or {}
    if stop["outcome"] == "absent" and contact.get("result") == "not_reached":
        at = local_time(stop["at"])
        note = f"absent at {label}, {at}; nobody reached (called: {contact.get('called') or '—'})"
        raised.append(WelfareAlert.raise_alert(
            who, town.id, rules.absent_category, rules.absent_severity, note, WATCH,
            round_id=rnd.id, rule="absent_unreached",
        ))  # fmt: skip
    day = date.fromisoformat(rnd.day)
    span_days = max(rules.uneaten_days, rules.absences_days)
    visits = _visits(app, who, day - timedelta(days=span_days - 1), day, rnd)
    open_rules = _open_rules(app, who)
    patterns = (
        ("uneaten_meals", "previous meal not eaten", rules.uneaten_count, rules.uneaten_days,
         lambda v: "previous_meal_not_eaten" in v.signals),
        ("absences", "absent", rules.absences_count, rules.absences_days,
         lambda v: v.outcome == "absent"),
    )  # fmt: skip
    for rule, what, count, days, seen in patterns:
        since = (day - timedelta(days=days - 1)).isoformat()
        evidence = [v for v in visits if v.day >= since and seen(v)]
        if len(evidence) >= count and rule not in open_rules:
            note = (f"{what} {plural(len(evidence), 'time')} within {plural(days, 'day')} "
                    f"(rule: {count}): "
                    + "; ".join(v.label for v in evidence))  # fmt: skip
            raised.append(WelfareAlert.raise_alert(
                who, town.id, rules.pattern_category, rules.pattern_severity, note, WATCH,
                round_id=rnd.id, rule=rule,
            ))  # fmt: skip
    return raised


def set_welfare_rules(app: Maillage, insee: str, rules: WelfareRules, by: str) -> Municipality:
    """The municipality's welfare-watch rules (recorded as configuration)."""
    town = find_municipality(app, insee)
    return app.edit(town.id, Municipality, lambda t: t.set_welfare_rules(rules, by))


def set_ccas_mail(app: Maillage, insee: str, mail: CcasMail, by: str) -> Municipality:
    """Where the municipality's CCAS gets alert mails (SMTP server, sender, recipient)."""
    town = find_municipality(app, insee)
    return app.edit(town.id, Municipality, lambda t: t.set_ccas_mail(mail, by))


@dataclass(frozen=True)
class MailDue:
    """An alert the CCAS has not been mailed about yet, and where the mail goes."""

    alert_id: UUID
    reference: str
    municipality: str
    severity: str
    raised_at: str
    mail: CcasMail


def mails_due(app: Maillage, insee: str | None = None) -> list[MailDue]:
    """Alerts not yet mailed to their CCAS, for municipalities with a mail configured: what
    the console's mailer needs and nothing more (no name, no category, no note)."""
    conn = caught_up(app)
    try:
        found = alert_list(conn, clock.now(), insee)
    finally:
        conn.close()
    due = []
    towns: dict[str, Municipality] = {}
    for row in found:
        if row["status"] == "closed" or not row["insee_code"]:
            continue
        town = towns.get(row["insee_code"]) or find_municipality(app, row["insee_code"])
        towns[row["insee_code"]] = town
        alert = app.get(UUID(row["id"]), WelfareAlert)
        if town.ccas_mail is None or getattr(alert, "notified", None):
            continue
        due.append(MailDue(alert.id, alert.reference, town.name, alert.severity,
                           local_time(alert.created_on), town.ccas_mail))  # fmt: skip
    return due


def record_mailed(app: Maillage, alert_id: UUID, recipient: str) -> WelfareAlert:
    """The CCAS was mailed about the alert (after the SMTP server accepted the mail)."""
    return app.edit(alert_id, WelfareAlert, lambda a: a.record_notified(recipient, clock.now()))
