"""Travel times for meal rounds on the imported road network (the planner's ``TravelModel``).

``NetworkTravel`` places each point of a round on its nearest street and drives the shortest
path between them (one-ways respected, free-flow speeds of the network), computing one
Dijkstra per point asked for and caching it. ``travel_model`` gives the planner the network
when one is in force, else the straight-line estimate, with a sentence saying which.
"""

from __future__ import annotations

import math
from typing import Any

from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.meals.planning import HaversineTravel, Point, TravelModel
from domain.territory import service
from domain.territory.network import RoadNetwork

MAX_OFF_NETWORK_M = 500.0
"""A point further than this from every street is outside the extract: refused."""


class NetworkTravel:
    """Driving time and distance on the road network between points (whole s and m)."""

    def __init__(self, network: RoadNetwork, source_name: str = "") -> None:
        self.network = network
        self.label = f"road times on the network from {source_name or 'the imported extract'}"
        self._placed: dict[Point, list[tuple[int, float]]] = {}
        self._rows: dict[tuple[str, int], Any] = {}

    def _place(self, p: Point) -> list[tuple[int, float]]:
        got = self._placed.get(p)
        if got is None:
            ways, off = self.network.placements([p.lat_deg], [p.lon_deg])
            if off[0] > MAX_OFF_NETWORK_M:
                raise InvalidInputError(
                    f"a stop of the round lies {off[0] / 1000:.1f} km from every street of the "
                    "road network: import an extract that covers the whole municipality"
                )
            got = self._placed[p] = ways[0]
        return got

    def _row(self, weight: str, node: int) -> Any:
        key = (weight, node)
        if key not in self._rows:
            costs, _ = self.network.shortest_from([node], weight)
            self._rows[key] = costs[0]
        return self._rows[key]

    def _leg(self, a: Point, b: Point, weight: str) -> int:
        if a == b:
            return 0
        edge_cost = self.network.edge_time_s if weight == "time" else self.network.edge_length_m
        cost = self.network.leg_cost(
            self._place(a), self._place(b), lambda node: self._row(weight, node), edge_cost
        )
        if not math.isfinite(cost):
            raise InvalidInputError(
                "two stops of the round have no drivable path between them on the road network "
                "(one-ways, or the extract cuts the way): import a larger extract"
            )
        return round(cost)

    def duration_s(self, a: Point, b: Point) -> int:
        return self._leg(a, b, "time")

    def distance_m(self, a: Point, b: Point) -> int:
        return self._leg(a, b, "length")


def straight_line_label(travel: HaversineTravel) -> str:
    return (
        f"straight-line estimates (no road network imported): great circle × "
        f"{travel.detour_factor:g} at {travel.speed_mps:g} m/s"
    )


def travel_model(app: Maillage) -> tuple[TravelModel, str]:
    """The planner's travel model and how people read it: road times or straight lines."""
    network = service.current_network(app)
    if network is None:
        straight = HaversineTravel()
        return straight, straight_line_label(straight)
    record = service.network_record(app)
    travel = NetworkTravel(network, record["source_name"] if record else "")
    return travel, travel.label
