"""Potholes on a rough road (top of ISO 8608 class D): the threshold follows local roughness."""

from __future__ import annotations

import numpy as np

from domain.sensing.processing import Observations, Parameters, find_potholes
from drivers.simulator.scenario import Pothole, Scenario, build_field

HOLES_M = (400.0, 900.0, 1500.0, 2100.0, 2700.0, 3300.0, 3900.0)


def test_precision_and_recall_on_a_class_d_road() -> None:
    found_true = found = placed_found = 0
    for seed in (1, 2, 3):
        s = Scenario(seed=seed, roughness=((0.0, 2048e-6),), stops=(),
                     potholes=tuple(Pothole(x) for x in HOLES_M))  # fmt: skip
        f = build_field(s)
        obs = Observations(imu_t_s=f.time_s, imu_az_g=f.accel_g[:, 2])
        events = find_potholes(
            obs, Parameters(), f.distance_m, f.speed_mps, np.ones(len(f.time_s), bool)
        )
        at = events.position_m
        found += len(at)
        found_true += sum(any(abs(x - h) < 10 for h in HOLES_M) for x in at)
        placed_found += sum(any(abs(x - h) < 10 for x in at) for h in HOLES_M)
    precision, recall = found_true / max(found, 1), placed_found / (3 * len(HOLES_M))
    print(f"\nclass D: precision {precision:.2f}, recall {recall:.2f} ({found} found)")
    assert precision >= 0.6 and recall >= 0.6  # a fixed 1 g threshold: precision about 0.1
