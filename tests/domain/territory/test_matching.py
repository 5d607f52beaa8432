"""Sessions matched onto the Tours network: the streets driven, the distance, what is off-road."""

from __future__ import annotations

import itertools

import numpy as np

from domain.territory.matching import match_track
from domain.territory.network import RoadNetwork
from drivers.simulator.scenario import Scenario, Track, drive

LOOP_STREETS = [
    "Rue Nationale", "Boulevard Heurteloup", "Rue Édouard Vaillant", "Rue Blaise Pascal",
    "Boulevard Béranger", "Rue Chanoineau", "Rue de la Scellerie", "Rue Colbert",
    "Quai d'Orléans",
]  # fmt: skip


def simulated_fixes(noise_m: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray, float]:
    s = Scenario()
    track = Track.of(s.route, s.laps)
    _, d, _ = drive(s, track)
    d = d[::10]  # 10 Hz
    lat, lon = track.position(d)
    rng = np.random.default_rng(seed)
    lat = lat + rng.normal(0, noise_m / 111_195, len(lat))
    lon = lon + rng.normal(0, noise_m / (111_195 * np.cos(np.radians(47.39))), len(lon))
    return lat, lon, float(d[-1])


def test_the_loop_is_matched_street_by_street_with_its_true_length(tours: RoadNetwork) -> None:
    for noise in (0.0, 0.3, 3.0):
        lat, lon, truth_m = simulated_fixes(noise)
        m = match_track(tours, lat, lon)
        assert m.matched.all() and m.chain_start.sum() == 1
        streets = [k for k, _ in itertools.groupby(tours.way_name[w] for w in m.way)]
        # back at the start node the last fixes may belong to either street that meets there
        assert streets[:9] == LOOP_STREETS and streets[9:] in ([], ["Rue Nationale"])
        # distance from the matched path: within 0.3 % of the truth even with 3 m white noise
        assert abs(m.distance_m[-1] - truth_m) / truth_m < 0.003
        # the one-way streets are driven forward
        for name in ("Rue de la Scellerie", "Rue Colbert"):
            on = m.way == tours.way_name.index(name)
            assert m.forward[on].all()


def test_off_network_stretches_are_unmatched_and_reported(tours: RoadNetwork) -> None:
    lat, lon, _ = simulated_fixes(1.0)
    lat = lat.copy()
    lat[2000:2100] += 300 / 111_195  # 300 m north of every street: a private yard
    m = match_track(tours, lat, lon)
    assert m.unmatched_stretches(np.arange(len(lat)) / 10) == [(2000, 2099)]
    assert np.isnan(m.way_offset_m[2000:2100]).all() and (m.way[2000:2100] == -1).all()
