"""The haversine kernel against a NumPy reference, and proof the compiled module runs."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ext import geodesy

R = 6_371_008.8


def reference_cumulative_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Plain NumPy haversine along a track."""
    phi = np.radians(lat)
    lmb = np.radians(lon)
    h = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lmb) / 2) ** 2
    )
    steps = 2 * R * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return np.concatenate([[0.0], np.cumsum(steps)])


def test_the_compiled_extension_is_what_runs() -> None:
    path = Path(geodesy.__file__)
    assert path.suffix in importlib.machinery.EXTENSION_SUFFIXES or any(
        path.name.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES
    ), f"ext.geodesy was imported from {path}, not a compiled extension"
    assert not (path.parent / "geodesy.py").exists(), "a pure-Python fallback must not exist"


def test_known_distance_paris_to_lyon() -> None:
    # Notre-Dame de Paris to Lyon Place Bellecour: about 392 km on the sphere.
    d = geodesy.haversine_m(48.8530, 2.3499, 45.7578, 4.8320)
    assert 391_000 < d < 393_500


def test_one_degree_of_latitude_is_r_times_pi_over_180() -> None:
    assert geodesy.haversine_m(10.0, 3.0, 11.0, 3.0) == pytest.approx(R * np.pi / 180, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-180.0, 180.0)), min_size=1, max_size=300)
)
def test_cumulative_distance_matches_numpy(points: list[tuple[float, float]]) -> None:
    lat = np.array([p[0] for p in points], dtype=np.float64)
    lon = np.array([p[1] for p in points], dtype=np.float64)
    got = geodesy.cumulative_distance_m(lat, lon)
    np.testing.assert_allclose(got, reference_cumulative_m(lat, lon), rtol=1e-9, atol=1e-6)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="lat_deg has 3 values but lon_deg has 2"):
        geodesy.cumulative_distance_m(np.zeros(3), np.zeros(2))


def test_empty_track_gives_empty_distances() -> None:
    assert geodesy.cumulative_distance_m(np.zeros(0), np.zeros(0)).shape == (0,)
