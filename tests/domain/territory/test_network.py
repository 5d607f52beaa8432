"""The routable network: tags read as a router does, one-ways, shortest paths, the file's bytes."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from domain.errors import InvalidInputError
from domain.territory.network import RoadNetwork, maxspeed_kmh, oneway_of
from domain.territory.routes import loop_through, nearest_node
from drivers.simulator.scenario import TOURS_LOOP, Scenario, Track, drive
from drivers.simulator.town import TOURS_STREETS


def test_tags_read_as_a_router_reads_them() -> None:
    assert maxspeed_kmh("50") == 50.0
    assert maxspeed_kmh("30 mph") == pytest.approx(48.28032)
    assert maxspeed_kmh("FR:zone30") == 30.0
    assert maxspeed_kmh("50;30") == 30.0
    assert maxspeed_kmh("signals") is None and maxspeed_kmh("") is None
    assert oneway_of("residential", "yes", "") == 1
    assert oneway_of("residential", "-1", "") == -1
    assert oneway_of("residential", "", "roundabout") == 1
    assert oneway_of("motorway", "", "") == 1 and oneway_of("motorway", "no", "") == 0
    assert oneway_of("primary", "", "") == 0


def reference_dijkstra(net: RoadNetwork, source: int) -> dict[int, float]:
    """Plain Python Dijkstra over the edge list (the reference for csgraph)."""
    out: dict[int, list[tuple[int, float]]] = {}
    for s, d, t in zip(
        net.edge_src.tolist(), net.edge_dst.tolist(), net.edge_time_s.tolist(), strict=True
    ):
        out.setdefault(s, []).append((d, max(t, 1e-3)))
    best = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        c, u = heapq.heappop(heap)
        if c > best.get(u, math.inf):
            continue
        for v, w in out.get(u, []):
            if c + w < best.get(v, math.inf):
                best[v] = c + w
                heapq.heappush(heap, (c + w, v))
    return best


def test_shortest_times_equal_a_plain_dijkstra_on_helsinki(helsinki: RoadNetwork) -> None:
    rng = np.random.default_rng(5)
    sources = rng.integers(0, helsinki.n_nodes, 5)
    costs, _ = helsinki.shortest_from(sources)
    for k, s in enumerate(sources.tolist()):
        ref = reference_dijkstra(helsinki, s)
        reached = np.isfinite(costs[k])
        assert set(np.flatnonzero(reached).tolist()) == set(ref)
        for node, c in ref.items():
            assert costs[k, node] == pytest.approx(c, rel=1e-9, abs=1e-9)


def test_tours_streets_names_one_ways_and_lengths(tours: RoadNetwork) -> None:
    assert tours.way_name == [s.name for s in TOURS_STREETS]
    colbert = tours.way_name.index("Rue Colbert")
    assert tours.way_oneway[colbert] == 1
    segs = np.flatnonzero(tours.seg_way == colbert)
    assert np.all(tours.seg_bwd_edge[segs] == -1) and np.all(tours.seg_fwd_edge[segs] >= 0)
    assert tours.way_speed_kmh[colbert] == 30.0  # FR:zone30
    nationale = tours.way_name.index("Rue Nationale")
    segs = np.flatnonzero(tours.seg_way == nationale)
    assert np.all(tours.seg_bwd_edge[segs] >= 0)  # two-way
    # offsets along the way add up to its length
    assert tours.seg_from_m[segs][0] == 0.0
    assert tours.seg_from_m[segs][-1] + tours.seg_length_m[segs][-1] == pytest.approx(
        tours.way_length_m[nationale]
    )
    assert 560 < tours.way_length_m[nationale] < 680  # 47.3964 → 47.3906 N along the street


def test_travel_times_respect_one_ways(tours: RoadNetwork) -> None:
    west, east = (47.39440, 0.68530), (47.39510, 0.68940)  # both on rue Colbert (one-way east)
    t = tours.travel_times_s([west[0], east[0]], [west[1], east[1]])
    assert t[0, 0] == 0.0 and t[1, 1] == 0.0
    along = 320 / (30 / 3.6)  # ~320 m at 30 km/h
    assert t[0, 1] == pytest.approx(along, rel=0.1)
    assert t[1, 0] > 3 * t[0, 1]  # the way back goes round the block


def test_file_bytes_round_trip_and_are_stable(tours: RoadNetwork) -> None:
    data = tours.to_bytes()
    again = RoadNetwork.from_bytes(data)
    assert again.to_bytes() == data and again.sha256() == tours.sha256()
    assert again.way_name == tours.way_name
    assert np.array_equal(again.edge_time_s, tours.edge_time_s)


def test_no_drivable_street_is_refused() -> None:
    from domain.territory.network import WaysInput, build_network

    ways = WaysInput(
        way_id=np.array([1]),
        tags={
            k: [v]
            for k, v in {
                "highway": "footway",
                "name": "",
                "oneway": "",
                "junction": "",
                "maxspeed": "",
                "access": "",
                "service": "",
                "ref": "",
            }.items()
        },
        offsets=np.array([0, 2]),
        node_index=np.array([0, 1]),
        node_id=np.array([1, 2]),
        node_lat_deg=np.array([47.0, 47.001]),
        node_lon_deg=np.array([0.6, 0.6]),
    )
    with pytest.raises(InvalidInputError, match="no street a van may drive"):
        build_network(ways)


def test_the_simulator_drives_a_route_computed_on_the_network(tours: RoadNetwork) -> None:
    route = loop_through(tours, [TOURS_LOOP[0], TOURS_LOOP[4], TOURS_LOOP[8]])
    s = Scenario(route=route, stops=())
    track = Track.of(s.route, s.laps)
    _, d, _ = drive(s, track)
    lat, lon = track.position(d[::50])
    _, _, off = tours.nearest_segment(lat, lon)
    assert off.max() < 0.5  # every simulated position lies on a street of the extract
    assert nearest_node(tours, *route[0]) == nearest_node(tours, *TOURS_LOOP[0])
