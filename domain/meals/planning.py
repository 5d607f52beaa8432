"""Round planning: the order of a meal round's stops, its timetable and what it breaks.

Three ways to get an order, one way to judge it:

- ``default_order``: a stable, deterministic sort the round keeps until the
  operator asks to optimise.
- ``optimise``: the shortest order found that keeps each beneficiary's window
  and service time, a maximum time from loading to the end of the last
  delivery (the cold chain), and pinned stops at their index: the compiled
  iterated local search of ``ext.tsptw`` for a round without pins, PyVRP (a VRP
  solver with time windows, pins as loads) for a round with some.
- ``evaluate``: the timetable of ANY order, with every broken constraint named
  in a sentence. Both orders above are reported through it, so nothing is ever
  broken silently.

Units: times are integer seconds since local midnight (``*_s``), durations
integer seconds, distances integer metres (``*_m``), positions in decimal
degrees (``*_deg``). Stop positions in an order are 0-based indices; sentences
count stops from 1, as people do.

Timetable rules (``evaluate`` applies them; the solver model encodes the same
ones, lateness aside: PyVRP counts it as "time warp", only to steer its search):

- the van leaves the depot at ``start_s`` (loading);
- at a stop, the delivery starts on arrival, or at the window start if the
  postman arrives early (he waits); a delivery starting after the window end
  is a violation (the window bounds the start of the delivery);
- the cold-chain limit ``max_route_s`` runs from loading to the end of the
  last delivery, when the last meals are in a fridge (the chilled chain runs
  "from the kitchen to the beneficiary's fridge", see ``cold_chain``); the
  drive back to the depot does not count;
- ``distance_m`` is the whole tour, back to the depot included: that is what
  the van drives, and what the solver minimises.

The travel model is an interface (``TravelModel``): ``HaversineTravel`` is the
straight line times a detour factor; a road network can replace it later.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import pyvrp
from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
from pyvrp.search import NeighbourhoodParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from domain.errors import InvalidInputError
from domain.wording import plural
from ext import tsptw
from ext.geodesy import EARTH_RADIUS_M, haversine_m

DEFAULT_MAX_ITERATIONS: Final = 1_000
"""Search iterations by default (so that a round plans the same on any machine): about 0.7 s
of ``ext.tsptw`` on 80 stops, as good as 2 s of PyVRP on rounds of 10–30 stops with pins."""

SEARCH: Final = pyvrp.SolveParams(
    ils=IteratedLocalSearchParams(history_length=50),
    neighbourhood=NeighbourhoodParams(num_neighbours=20),
)
"""PyVRP's search for one van with pinned stops: 20 granular neighbours instead of 50 and a
late-acceptance history of 50 solutions instead of 300. On the bench's 80 stops
(bench/bench_planning.py, docs/BENCHMARKS.md) the shorter history gave the lowest mean gap to
the best known tour in each of four runs of 5–8 seeds on a loaded machine (3.0–3.7 % against
4.1–5.6 % with 300); 10 neighbours, shorter or longer perturbations, restarts and 2–3 shorter
runs were worse."""
SOLVE_MARGIN_S: Final = 0.03
"""Seconds kept from the time limit for what follows the solver (the timetable of the result),
so that the whole call, matrices included, ends within the limit."""
REPAIR_MAX_PASSES: Final = 50
"""Bound on the pin-respecting local search's improving passes (keeps its cost predictable)."""


@dataclass(frozen=True)
class Point:
    """A position on the ground, decimal degrees (WGS 84)."""

    lat_deg: float
    lon_deg: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat_deg <= 90.0 and -180.0 <= self.lon_deg <= 180.0):
            raise InvalidInputError(f"position {self.lat_deg}, {self.lon_deg} is not on Earth")


class TravelModel(Protocol):
    """How far and how long from one point to another: a road network can replace haversine."""

    def duration_s(self, a: Point, b: Point) -> int:
        """Driving time from ``a`` to ``b``, whole seconds."""
        ...

    def distance_m(self, a: Point, b: Point) -> int:
        """Driving distance from ``a`` to ``b``, whole metres."""
        ...


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance × a detour factor, driven at a constant speed (no road data needed).

    ``detour_factor`` (dimensionless, ≥ 1) turns the straight line into a road
    distance; ``speed_mps`` is the mean speed door to door, metres per second
    (8 m/s ≈ 29 km/h, urban with stops). Both results are rounded to integers.
    """

    detour_factor: float = 1.3
    speed_mps: float = 8.0

    def __post_init__(self) -> None:
        if not self.detour_factor >= 1.0:
            raise InvalidInputError(f"detour factor {self.detour_factor} is below 1")
        if not self.speed_mps > 0.0:
            raise InvalidInputError(f"speed {self.speed_mps} m/s is not positive")

    def _road_m(self, a: Point, b: Point) -> float:
        """Unrounded road distance, metres."""
        return haversine_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg) * self.detour_factor

    def distance_m(self, a: Point, b: Point) -> int:
        """Road distance, whole metres."""
        return round(self._road_m(a, b))

    def duration_s(self, a: Point, b: Point) -> int:
        """Driving time, whole seconds (from the unrounded distance)."""
        return round(self._road_m(a, b) / self.speed_mps)


@dataclass(frozen=True)
class StopRequest:
    """One delivery to plan: where, when it may start, how long it takes, and any pin.

    ``key`` is the beneficiary id as a string; ``window_start_s`` and
    ``window_end_s`` bound the start of the delivery (seconds since local
    midnight); ``service_s`` is the time spent at the stop; ``pinned_position``
    is None for a free stop, or the 0-based index the stop must keep.
    """

    key: str
    point: Point
    window_start_s: int
    window_end_s: int
    service_s: int
    pinned_position: int | None = None


@dataclass(frozen=True)
class Plan:
    """An order with its timetable, tour length and the constraints it breaks (if any).

    ``arrivals_s`` maps each key to the time its delivery starts (after waiting
    if early); ``duration_s`` runs from loading to the end of the last delivery;
    ``distance_m`` is the whole tour, back to the depot included.
    """

    order: list[str]
    distance_m: int
    duration_s: int
    arrivals_s: dict[str, int]
    feasible: bool
    violations: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- the instance


@dataclass(frozen=True)
class _Instance:
    """Stops as parallel lists and the travel matrices (index 0 = depot, stop i = i + 1)."""

    keys: list[str]
    points: list[Point]
    early_s: list[int]
    late_s: list[int]
    service_s: list[int]
    pins: list[int | None]
    dist_m: list[list[int]]
    dur_s: list[list[int]]
    start_s: int
    max_route_s: int
    zone: str = ""


def _check_stops(stops: Sequence[StopRequest]) -> None:
    """Refuse stops no order could make sense of (these are input errors, not violations)."""
    seen: set[str] = set()
    pinned: dict[int, str] = {}
    for stop in stops:
        if stop.key in seen:
            raise InvalidInputError(f"stop {stop.key} is twice in the round")
        seen.add(stop.key)
        if stop.window_end_s < stop.window_start_s:
            raise InvalidInputError(
                f"stop {stop.key}: its window {_clock(stop.window_start_s)}–"
                f"{_clock(stop.window_end_s)} ends before it starts"
            )
        if stop.service_s < 0:
            raise InvalidInputError(f"stop {stop.key}: service time {stop.service_s} s < 0")
        p = stop.pinned_position
        if p is not None:
            if not 0 <= p < len(stops):
                raise InvalidInputError(
                    f"stop {stop.key} is pinned at position {p + 1}, "
                    f"but the round has {plural(len(stops), 'stop')}"
                )
            if p in pinned:
                raise InvalidInputError(
                    f"stops {pinned[p]} and {stop.key} are both pinned at position {p + 1}"
                )
            pinned[p] = stop.key


def _instance(
    depot: Point,
    stops: Sequence[StopRequest],
    travel: TravelModel,
    start_s: int,
    max_route_s: int,
    zone: str = "",
) -> _Instance:
    """Check the stops and compute every travel leg once."""
    _check_stops(stops)
    if max_route_s <= 0:
        raise InvalidInputError(f"the maximum round time must be positive, not {max_route_s} s")
    points = [depot, *(s.point for s in stops)]
    return _Instance(
        keys=[s.key for s in stops],
        points=[s.point for s in stops],
        early_s=[s.window_start_s for s in stops],
        late_s=[s.window_end_s for s in stops],
        service_s=[s.service_s for s in stops],
        pins=[s.pinned_position for s in stops],
        dist_m=[[0 if a is b else travel.distance_m(a, b) for b in points] for a in points],
        dur_s=[[0 if a is b else travel.duration_s(a, b) for b in points] for a in points],
        start_s=start_s,
        max_route_s=max_route_s,
        zone=zone,
    )


# ---------------------------------------------------------------------- timetable


def _timeline(inst: _Instance, seq: Sequence[int]) -> tuple[list[int], int, int]:
    """Delivery start of each stop of ``seq``, tour metres, and end of the last delivery."""
    t = inst.start_s
    prev = 0
    distance = 0
    starts = []
    for i in seq:
        t = max(t + inst.dur_s[prev][i + 1], inst.early_s[i])
        distance += inst.dist_m[prev][i + 1]
        starts.append(t)
        t += inst.service_s[i]
        prev = i + 1
    distance += inst.dist_m[prev][0]
    return starts, distance, t


def _score(inst: _Instance, seq: Sequence[int]) -> tuple[int, int]:
    """(seconds of constraint excess, metres): lower is better, feasibility first."""
    starts, distance, end_s = _timeline(inst, seq)
    late = sum(max(0, t - inst.late_s[i]) for i, t in zip(seq, starts, strict=True))
    over = max(0, end_s - inst.start_s - inst.max_route_s)
    return late + over, distance


def _plan(inst: _Instance, seq: Sequence[int]) -> Plan:
    """The plan of an order, with one sentence per broken constraint."""
    starts, distance, end_s = _timeline(inst, seq)
    violations = []
    for position, (i, t) in enumerate(zip(seq, starts, strict=True)):
        pin = inst.pins[i]
        if pin is not None and pin != position:
            violations.append(
                f"stop {inst.keys[i]} is pinned at position {pin + 1} "
                f"but comes at position {position + 1}"
            )
        if t > inst.late_s[i]:
            violations.append(
                f"stop {inst.keys[i]} arrives at {_clock(t, inst.zone)}, after its window "
                f"{_clock(inst.early_s[i])}–{_clock(inst.late_s[i], inst.zone)} "
                f"({_span(t - inst.late_s[i])} late)"
            )
    duration_s = end_s - inst.start_s
    if duration_s > inst.max_route_s:
        violations.append(
            f"the round takes {_span(duration_s)} from loading at "
            f"{_clock(inst.start_s, inst.zone)} to the end of the last delivery "
            f"(stop {inst.keys[seq[-1]]}, {_clock(end_s, inst.zone)}), over the "
            f"cold-chain limit of {_span(inst.max_route_s)}"
        )
    return Plan(
        order=[inst.keys[i] for i in seq],
        distance_m=distance,
        duration_s=duration_s,
        arrivals_s={inst.keys[i]: t for i, t in zip(seq, starts, strict=True)},
        feasible=not violations,
        violations=violations,
    )


def _clock(t_s: int, zone: str = "") -> str:
    """Seconds since midnight as HH:MM (HH:MM:SS when the seconds matter), then the zone's
    name when given (``10:05 CET``)."""
    h, rest = divmod(t_s, 3600)
    m, s = divmod(rest, 60)
    clock = f"{h:02d}:{m:02d}:{s:02d}" if s else f"{h:02d}:{m:02d}"
    return f"{clock} {zone}" if zone else clock


def _span(d_s: int) -> str:
    """A duration for people: '2 h 05 min', '7 min 30 s'."""
    h, rest = divmod(d_s, 3600)
    m, s = divmod(rest, 60)
    parts = ([f"{h} h", f"{m:02d} min"] if h else [f"{m} min"]) + ([f"{s:02d} s"] if s else [])
    return " ".join(parts)


def span(d_s: int) -> str:
    """A duration for people: '2 h 05 min', '7 min 30 s'."""
    return _span(d_s)


def evaluate(
    order: Sequence[str],
    depot: Point,
    stops: Sequence[StopRequest],
    travel: TravelModel,
    start_s: int,
    max_route_s: int,
    zone: str = "",
) -> Plan:
    """Timetable, tour length and broken constraints of any order of the stops (nothing hidden);
    ``zone`` names the zone of the times of day in the sentences (``CET``)."""
    inst = _instance(depot, stops, travel, start_s, max_route_s, zone)
    index = {k: i for i, k in enumerate(inst.keys)}
    if len(order) != len(index) or set(order) != set(index):
        raise InvalidInputError("the order must name every stop of the round exactly once")
    return _plan(inst, [index[k] for k in order])


# ---------------------------------------------------------------------- default order


def _bearing_rad(depot: Point, p: Point) -> float:
    """Direction of ``p`` seen from the depot, clockwise from north, in [0, 2π)."""
    north = p.lat_deg - depot.lat_deg
    east = (p.lon_deg - depot.lon_deg) * math.cos(math.radians(depot.lat_deg))
    return math.atan2(east, north) % math.tau


def _with_pins(pins: Sequence[int | None], free: Sequence[int]) -> list[int]:
    """Pinned stops at their index, the free ones filling the other places in their given order."""
    pinned_at = {p: i for i, p in enumerate(pins) if p is not None}
    rest = iter(free)
    return [pinned_at[k] if k in pinned_at else next(rest) for k in range(len(pins))]


def _default_seq(depot: Point, stops: Sequence[StopRequest]) -> list[int]:
    """Stop indices in the default order (see ``default_order``)."""
    free = sorted(
        (i for i, s in enumerate(stops) if s.pinned_position is None),
        key=lambda i: (stops[i].window_start_s, _bearing_rad(depot, stops[i].point), stops[i].key),
    )
    return _with_pins([s.pinned_position for s in stops], free)


def default_order(depot: Point, stops: Sequence[StopRequest]) -> list[str]:
    """The stable order a round keeps until someone optimises it: a plain, predictable sort.

    Pinned stops take their index; the free ones fill the other places sorted by
    window start, then by direction from the depot (clockwise from north, a
    sweep), then by key. It depends only on each stop's own data, so calling it
    again gives the same order, and adding or removing a free stop never swaps
    two others (without pins, their relative order is fixed).
    """
    _check_stops(stops)
    return [stops[i].key for i in _default_seq(depot, stops)]


# ---------------------------------------------------------------------- optimisation


def _pin_loads(inst: _Instance) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Deliveries, pickups (per stop, per load dimension) and capacities that make pins exact.

    PyVRP has no positional constraint, but its loads (counters here, not
    meals) can count stops. For a stop P pinned at index k of n stops, two
    load dimensions, with d = stops done before P:

    - "at most k before P": every other stop picks up 1, P delivers n,
      capacity n + k. Just before P the load is n + d: within capacity iff d ≤ k.
    - "at least k before P": every other stop delivers 1, P picks up n,
      capacity 2n − 1 − k. Just after P the load is (n − 1 − d) + n: within
      capacity iff d ≥ k.

    Elsewhere on the route both loads are lower, so an order within capacity
    has exactly k stops before P; excess load is penalised like lateness.
    """
    n = len(inst.keys)
    deliveries: list[list[int]] = [[] for _ in range(n)]
    pickups: list[list[int]] = [[] for _ in range(n)]
    capacities: list[int] = []
    for pinned, k in enumerate(inst.pins):
        if k is None:
            continue
        for i in range(n):
            deliveries[i] += [n if i == pinned else 0, 0 if i == pinned else 1]
            pickups[i] += [0 if i == pinned else 1, n if i == pinned else 0]
        capacities += [n + k, 2 * n - 1 - k]
    return deliveries, pickups, capacities


def _locations(
    model: pyvrp.Model, inst: _Instance, depot: Point, stops: Sequence[int]
) -> list[Any]:
    """The depot then ``stops`` as PyVRP locations. Planar coordinates (metres,
    equirectangular around the depot) are only for display: the edges are what it optimises."""
    cos_lat = math.cos(math.radians(depot.lat_deg))
    locations = [model.add_location(x=0.0, y=0.0, name="depot")]
    for i in stops:
        point = inst.points[i]
        x_m = math.radians(point.lon_deg - depot.lon_deg) * cos_lat * EARTH_RADIUS_M
        y_m = math.radians(point.lat_deg - depot.lat_deg) * EARTH_RADIUS_M
        locations.append(model.add_location(x=x_m, y=y_m, name=inst.keys[i]))
    return locations


def _edges(
    model: pyvrp.Model, inst: _Instance, locations: Sequence[Any], stops: Sequence[int]
) -> None:
    """Every leg between the locations: real distance; duration zero back to the depot (the
    cold chain ends with the last delivery)."""
    index = [0, *(i + 1 for i in stops)]
    for a, frm in enumerate(locations):
        for b, to in enumerate(locations):
            if a != b:
                duration_s = 0 if b == 0 else inst.dur_s[index[a]][index[b]]
                model.add_edge(
                    frm, to, distance=inst.dist_m[index[a]][index[b]], duration=duration_s
                )


def _solve(
    inst: _Instance,
    depot: Point,
    warm_start: Sequence[int],
    stop: StoppingCriterion,
    seed: int,
) -> pyvrp.Result:
    """PyVRP on all the stops: one vehicle, windows, cold-chain limit, pins as loads.

    The model: one vehicle leaving at ``start_s`` exactly (``tw_early`` =
    ``start_late`` = ``start_s``, so it cannot start later to avoid waiting),
    route duration capped at ``max_route_s`` (``shift_duration``, no overtime),
    cost = metres driven. Edges back to the depot carry their real distance but
    zero duration, so the route's duration ends with the last delivery: the
    return leg counts for the tour length and not for the cold chain. Pins are
    load dimensions (see ``_pin_loads``).
    """
    deliveries, pickups, capacities = _pin_loads(inst)
    model = pyvrp.Model()
    locations = _locations(model, inst, depot, range(len(inst.keys)))
    model.add_depot(locations[0], tw_early=inst.start_s)
    model.add_vehicle_type(
        num_available=1,
        capacity=capacities,
        tw_early=inst.start_s,
        start_late=inst.start_s,
        shift_duration=inst.max_route_s,
    )
    for i in range(len(inst.keys)):
        model.add_client(
            locations[i + 1],
            delivery=deliveries[i],
            pickup=pickups[i],
            service_duration=inst.service_s[i],
            tw_early=inst.early_s[i],
            tw_late=inst.late_s[i],
            name=inst.keys[i],
        )
    _edges(model, inst, locations, range(len(inst.keys)))
    data = model.data()
    initial = pyvrp.Solution(data, [list(warm_start)])
    return pyvrp.solve(
        data, stop, seed=seed, collect_stats=False, display=False, initial_solution=initial,
        params=SEARCH,
    )  # fmt: skip


def _search_free(
    inst: _Instance, start: Sequence[int], seed: int, time_limit_s: float,
    max_iterations: int | None,
) -> list[int]:  # fmt: skip
    """``ext.tsptw`` on a round without pins, from ``start``: its best order (stop indices).

    Chosen over PyVRP for one van (bench/bench_planning.py, docs/BENCHMARKS.md): on 80 stops
    in 1 s it ends within 1 % of the best known tour where PyVRP, lacking a reversal move,
    stays 1–6 % above it."""
    order, _, _, _ = tsptw.solve(
        inst.dist_m, inst.dur_s, inst.early_s, inst.late_s, inst.service_s, inst.start_s,
        inst.start_s + inst.max_route_s, [i + 1 for i in start], time_limit_s, seed,
        -1 if max_iterations is None else max_iterations,
    )  # fmt: skip
    return [int(i) - 1 for i in order]


def _visits(result: pyvrp.Result) -> list[int]:
    """Stop indices of the solver's best route, in order."""
    (route,) = result.best.routes()
    return [activity.idx for activity in route if activity.is_client()]


def _repair(inst: _Instance, seq: list[int]) -> list[int]:
    """Deterministic local search on the free stops only (pins never move).

    Moves: reverse a run of free stops (2-opt) and move one free stop elsewhere
    (relocate), first improvement, on the score (seconds of excess, metres):
    it first removes lateness and cold-chain excess, then shortens the tour.
    Used when the solver found no feasible order (its best is then its
    starting point or an order that breaks a pin).
    """
    free = [i for i in seq if inst.pins[i] is None]
    best = _score(inst, seq)
    for _ in range(REPAIR_MAX_PASSES):
        improved = False
        n = len(free)
        for a in range(n - 1):
            for b in range(a + 1, n):
                for candidate in (
                    [*free[:a], *free[a : b + 1][::-1], *free[b + 1 :]],
                    [*free[:a], *free[a + 1 : b + 1], free[a], *free[b + 1 :]],
                    [*free[:a], free[b], *free[a:b], *free[b + 1 :]],
                ):
                    score = _score(inst, _with_pins(inst.pins, candidate))
                    if score < best:
                        best, free, improved = score, candidate, True
        if not improved:
            break
    return _with_pins(inst.pins, free)


def _left_s(time_limit_s: float, started_s: float) -> float:
    """The solver's share of a call's time limit: what the matrices and the model left of it
    (``time.perf_counter`` seconds since ``started_s``), less ``SOLVE_MARGIN_S``."""
    return max(0.01, time_limit_s - (time.perf_counter() - started_s) - SOLVE_MARGIN_S)


def optimise(
    depot: Point,
    stops: Sequence[StopRequest],
    travel: TravelModel,
    start_s: int,
    max_route_s: int,
    seed: int = 1,
    time_limit_s: float = 2.0,
    max_iterations: int | None = DEFAULT_MAX_ITERATIONS,
    zone: str = "",
) -> Plan:
    """The shortest order found that respects windows, the cold-chain limit and pins.

    Without pins, ``ext.tsptw``'s search starts from the default order and minimises time
    warp (lateness and cold-chain excess), then length. With pins, PyVRP orders the stops
    from the default order, the pins expressed as loads (exact: see ``_pin_loads``); when it
    finds no feasible order, the pinned stops are put back at their index (the free ones
    keeping the solver's relative order) and a local search that never moves a pin reduces
    lateness and cold-chain excess, then length. The result is never worse than the default
    order (least constraint excess first, then shortest): on a tie the default order is kept,
    so the round only changes when that gains something. Anything still broken is listed in
    ``Plan.violations``.

    Determinism: the search stops after ``max_iterations`` iterations (None: no count), or
    when the call has run ``time_limit_s`` seconds (the matrices and the model count),
    whichever comes first. The same inputs, seed and ``max_iterations`` give the same order
    whenever the count ends the search (1,000 iterations take about 0.6 s for 80 stops
    without pins, 0.05–0.5 s for 10–30 stops with pins, on the 2-core reference machine); a
    search ended by the clock depends on the machine's speed.
    """
    started_s = time.perf_counter()
    inst = _instance(depot, stops, travel, start_s, max_route_s, zone)
    default_seq = _default_seq(depot, stops)
    free_count = sum(p is None for p in inst.pins)
    if free_count <= 1:
        return _plan(inst, default_seq)
    if free_count == len(stops):
        seq = _search_free(
            inst, default_seq, seed, _left_s(time_limit_s, started_s), max_iterations
        )
    else:
        criteria: list[StoppingCriterion] = [MaxRuntime(_left_s(time_limit_s, started_s))]
        if max_iterations is not None:
            criteria.append(MaxIterations(max_iterations))
        result = _solve(inst, depot, default_seq, MultipleCriteria(criteria), seed)
        # Feasible for PyVRP means every pin holds; otherwise put the pins back first.
        seq = _with_pins(inst.pins, [i for i in _visits(result) if inst.pins[i] is None])
        if not result.best.is_feasible() or _score(inst, seq)[0] > 0:
            seq = _repair(inst, seq)
    best = seq if _score(inst, seq) < _score(inst, default_seq) else default_seq
    return _plan(inst, best)


# ---------------------------------------------------------------------- a day over several vans


UNSERVED_PRIZE: Final = 10_000_000
"""What serving an order is worth to the solver, in metres: far more than any detour, so an
order is left out only when no van can take it within the limits."""


@dataclass(frozen=True)
class DayPlan:
    """A day's orders over several vans: one route per van used, and what no van can serve.

    ``routes`` holds one ``Plan`` per van, in van order (a van with nothing to do has an empty
    order); ``unserved`` maps each key no van can serve to the reason, in words.
    """

    routes: list[Plan]
    unserved: dict[str, str]

    @property
    def feasible(self) -> bool:
        return all(r.feasible for r in self.routes)


def _alone(inst: _Instance, i: int, demand: int, capacity: int) -> str | None:
    """Why stop ``i`` cannot be served even by a van that visits only it (None: it can)."""
    if demand > capacity:
        return f"{plural(demand, 'meal')}, more than a van carries ({capacity})"
    arrival_s = max(inst.start_s + inst.dur_s[0][i + 1], inst.early_s[i])
    if arrival_s > inst.late_s[i]:
        return (
            f"the earliest arrival, {_clock(arrival_s, inst.zone)} after loading at "
            f"{_clock(inst.start_s, inst.zone)}, is after its window "
            f"{_clock(inst.early_s[i])}–{_clock(inst.late_s[i], inst.zone)}"
        )
    end_s = arrival_s + inst.service_s[i]
    if end_s - inst.start_s > inst.max_route_s:
        return (
            f"even alone it ends {_span(end_s - inst.start_s)} after loading, over the "
            f"cold-chain limit of {_span(inst.max_route_s)}"
        )
    return None


def _day_model(
    inst: _Instance, depot: Point, served: Sequence[int], demands: Sequence[int],
    vans: int, capacity: int,
) -> pyvrp.ProblemData:  # fmt: skip
    """PyVRP's multi-vehicle model of the stops ``served``: ``vans`` identical vans carrying
    ``capacity`` meals, each leaving at ``start_s``, its duration capped by the cold chain
    (the return leg does not count, as in ``_solve``); every order optional with a prize far
    above any detour, so only an order no van can fit is left out."""
    model = pyvrp.Model()
    locations = _locations(model, inst, depot, served)
    model.add_depot(locations[0], tw_early=inst.start_s)
    model.add_vehicle_type(
        num_available=vans,
        capacity=[capacity],
        tw_early=inst.start_s,
        start_late=inst.start_s,
        shift_duration=inst.max_route_s,
    )
    for loc, i in zip(locations[1:], served, strict=True):
        model.add_client(
            loc,
            delivery=[demands[i]],
            service_duration=inst.service_s[i],
            tw_early=inst.early_s[i],
            tw_late=inst.late_s[i],
            prize=UNSERVED_PRIZE,
            required=False,
            name=inst.keys[i],
        )
    _edges(model, inst, locations, served)
    return model.data()


def plan_vans(
    depot: Point,
    stops: Sequence[StopRequest],
    meals: Sequence[int],
    vans: int,
    capacity_meals: int,
    travel: TravelModel,
    start_s: int,
    max_route_s: int,
    seed: int = 1,
    time_limit_s: float = 5.0,
    max_iterations: int | None = DEFAULT_MAX_ITERATIONS,
    zone: str = "",
) -> DayPlan:
    """Assign every stop to at most one of ``vans`` vans and order each van's stops.

    Each van carries at most ``capacity_meals`` meals (``meals[i]`` for stop i), leaves at
    ``start_s`` and must end its last delivery within ``max_route_s`` (the cold chain); every
    delivery starts within its window. Stops no van can serve within those limits are left out
    and named with the reason: first those that no van could serve even alone, then those the
    solver could not fit. Each route is reported by ``evaluate``'s rules (nothing hidden).
    """
    if vans < 1:
        raise InvalidInputError(f"a day needs at least one van, not {vans}")
    if capacity_meals < 1:
        raise InvalidInputError(f"a van carries at least one meal, not {capacity_meals}")
    if len(meals) != len(stops):
        raise InvalidInputError("every stop needs its number of meals")
    if any(s.pinned_position is not None for s in stops):
        raise InvalidInputError("a day over several vans has no pinned stops: pin within a round")
    started_s = time.perf_counter()
    inst = _instance(depot, stops, travel, start_s, max_route_s, zone)
    unserved: dict[str, str] = {}
    served = []
    for i in range(len(stops)):
        why = _alone(inst, i, meals[i], capacity_meals)
        if why is None:
            served.append(i)
        else:
            unserved[inst.keys[i]] = why
    routes: list[list[int]] = [[] for _ in range(vans)]
    if served:
        data = _day_model(inst, depot, served, meals, vans, capacity_meals)
        criteria: list[StoppingCriterion] = [MaxRuntime(_left_s(time_limit_s, started_s))]
        if max_iterations is not None:
            criteria.append(MaxIterations(max_iterations))
        result = pyvrp.solve(
            data, MultipleCriteria(criteria), seed=seed, collect_stats=False, display=False
        )
        visited: set[int] = set()
        if result.best.is_feasible():
            solved = [
                [served[a.idx] for a in route if a.is_client()] for route in result.best.routes()
            ]
            solved.sort(key=lambda seq: (_timeline(inst, seq)[0][:1], seq))
            for van, seq in enumerate(solved):
                routes[van] = seq
                visited.update(seq)
        for i in served:
            if i not in visited:
                unserved[inst.keys[i]] = (
                    f"no van has room for it within the windows, the cold-chain limit of "
                    f"{_span(max_route_s)} and {plural(capacity_meals, 'meal')} a van "
                    f"({plural(vans, 'van')})"
                )
    return DayPlan([_plan(inst, seq) for seq in routes], unserved)
