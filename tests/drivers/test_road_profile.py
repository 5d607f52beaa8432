"""The simulator's road: its profile has the ISO 8608 PSD it states, and the IRI ↔ class
constant is the Golden Car's on it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import welch

from domain.sensing import indicators as ind
from drivers.simulator.scenario import PROFILE_DX_M, Scenario, road_profile
from ext.roughness import iri_m_per_km


@pytest.mark.parametrize("gd_m3", [16e-6, 64e-6, 256e-6])
def test_profile_psd_is_the_stated_iso8608_level(gd_m3: float) -> None:
    s = Scenario(seed=3, roughness=((0.0, gd_m3),), potholes=())
    profile = road_profile(s, 4000.0)
    f, pxx = welch(profile, fs=1 / PROFILE_DX_M, nperseg=8192)  # one-sided, m³
    band = (f > 0.05) & (f < 1.0)
    gd_n0 = np.median(pxx[band] * (f[band] / 0.1) ** 2)  # waviness 2: Gd(n)·(n/n0)² = Gd(n0)
    assert gd_n0 == pytest.approx(gd_m3, rel=0.1)


def test_iri_per_sqrt_gd_is_the_golden_cars_on_the_profile() -> None:
    ratios = []
    for seed in range(3):
        for gd in (16e-6, 256e-6):
            s = Scenario(seed=seed, roughness=((0.0, gd),), potholes=())
            iri = iri_m_per_km(road_profile(s, 3000.0), PROFILE_DX_M)
            ratios.append(iri / math.sqrt(gd / 1e-6))
    assert float(np.mean(ratios)) == pytest.approx(ind.ISO8608_IRI_PER_SQRT_GD, rel=0.05)


def test_iri_bands_close_fair_at_both_ends() -> None:
    assert ind.iri_class([1.4999, 1.50, 2.68, 2.6801, float("nan")]).tolist() == [0, 1, 1, 2, -1]
