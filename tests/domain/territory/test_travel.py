"""Round travel times on the road network: one-ways, the same costs as the matrix, refusals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from domain.errors import InvalidInputError
from domain.meals.planning import Point, StopRequest, optimise
from domain.territory.network import RoadNetwork
from domain.territory.travel import NetworkTravel


def test_network_travel_respects_one_ways_and_equals_the_matrix(tours: RoadNetwork) -> None:
    west, east = Point(47.39440, 0.68530), Point(47.39510, 0.68940)  # rue Colbert, one-way east
    travel = NetworkTravel(tours, "tours-centre.osm.pbf")
    assert travel.duration_s(west, east) < travel.duration_s(east, west) / 3
    assert travel.distance_m(west, east) == pytest.approx(320, rel=0.1)
    pts = [west, east, Point(47.3890, 0.6930), Point(47.3960, 0.6919)]
    matrix = tours.travel_times_s([p.lat_deg for p in pts], [p.lon_deg for p in pts])
    got = np.array([[travel.duration_s(a, b) for b in pts] for a in pts])
    assert np.array_equal(got, np.rint(matrix))


def test_a_round_is_timed_on_the_network(tours: RoadNetwork) -> None:
    depot = Point(47.3906, 0.6890)
    stops = [
        StopRequest(str(k), Point(lat, lon), 8 * 3600, 12 * 3600, 120)
        for k, (lat, lon) in enumerate([(47.3953, 0.6905), (47.3937, 0.6843), (47.3880, 0.6920)])
    ]
    travel = NetworkTravel(tours)
    plan = optimise(depot, stops, travel, start_s=8 * 3600, max_route_s=4 * 3600)
    order = [depot, *(stops[int(k)].point for k in plan.order), depot]
    assert plan.distance_m == sum(travel.distance_m(a, b) for a, b in itertools.pairwise(order))


def test_a_stop_outside_the_extract_is_refused_without_its_position(tours: RoadNetwork) -> None:
    travel = NetworkTravel(tours)
    with pytest.raises(InvalidInputError, match=r"lies 2\.6 km from every street") as info:
        travel.duration_s(Point(47.3906, 0.6890), Point(47.4200, 0.6890))
    assert "47.42" not in str(info.value)  # a door's position is personal: never in the message
