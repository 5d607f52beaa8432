"""Pothole detectors, event merging and clustering (ext.potholes) against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from ext import geodesy, potholes


def reference_moving_std(x: np.ndarray, w: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    if x.size >= w:
        out[w - 1 :] = sliding_window_view(x, w).std(axis=1)
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 12_000), st.integers(1, 60), st.floats(0, 2), st.integers(0, 2**32 - 1))
def test_moving_std_matches_sliding_window(n: int, w: int, sigma: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.normal(0, sigma, n)
    if n > 10 and seed % 3 == 0:
        x[rng.integers(0, n, 3)] = np.nan
    np.testing.assert_allclose(potholes.moving_std(x, w), reference_moving_std(x, w), atol=1e-9)


def test_moving_std_of_a_constant_stays_at_rounding_level() -> None:
    got = potholes.moving_std(np.full(10_000, 1.37), 25)
    assert np.all(np.isnan(got[:24])) and np.all(got[24:] < 1e-12)
    ones = potholes.moving_std([1.0, 2.0, np.nan], 1)
    assert ones[:2].tolist() == [0.0, 0.0] and np.isnan(ones[2])


def reference_flags(
    az: np.ndarray, v: np.ndarray, thr: float, diff: float, sd: float, w: int, vmin: float
) -> tuple[np.ndarray, np.ndarray]:
    """(flags, margin): NumPy detectors; margin = distance of each test to its threshold."""
    ok = (v >= vmin) & ~np.isnan(az)
    dev = np.abs(az - 1.0)
    jump = np.full(az.size, np.nan)
    jump[1:] = np.abs(np.diff(az))
    std = reference_moving_std(az, w)
    with np.errstate(invalid="ignore"):
        flags = (
            (dev > thr) * potholes.Z_THRESH
            + (jump > diff) * potholes.Z_DIFF
            + (std > sd) * potholes.STDEV_Z
        ) * ok
        margin = np.fmin.reduce([np.abs(dev - thr), np.abs(jump - diff), np.abs(std - sd)])
    return flags.astype(np.uint8), margin


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 3000),
    st.floats(0.05, 1.0),
    st.floats(0.05, 1.0),
    st.floats(0.01, 0.5),
    st.integers(2, 30),
    st.integers(0, 2**32 - 1),
)
def test_flags_match_numpy(n: int, thr: float, diff: float, sd: float, w: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    az = 1.0 + rng.normal(0, 0.2, n)
    v = rng.uniform(0, 15, n)
    if n > 5:
        az[rng.integers(0, n)] = np.nan
        v[rng.integers(0, n)] = np.nan
    got = potholes.pothole_flags(az, v, thr, diff, sd, w, min_speed_mps=3.0)
    ref, margin = reference_flags(az, v, thr, diff, sd, w, 3.0)
    clear = ~(margin < 1e-9)  # a value within rounding of its threshold may go either way
    np.testing.assert_array_equal(got[clear], ref[clear])


def test_each_detector_alone_and_the_speed_filter() -> None:
    az = np.ones(40)
    az[10] = 1.6  # a hit: Z-THRESH and the jump into and out of it
    az[25:31] = [1.0, 1.2, 0.8, 1.2, 0.8, 1.0]  # shaking: STDEV(Z)
    v = np.full(40, 8.0)
    only_thresh = potholes.pothole_flags(az, v, z_thresh_g=0.5)
    assert np.flatnonzero(only_thresh).tolist() == [10]
    assert only_thresh[10] == potholes.Z_THRESH
    only_diff = potholes.pothole_flags(az, v, z_diff_g=0.5)
    assert np.flatnonzero(only_diff).tolist() == [10, 11]
    calm_then_shaking = np.where(np.arange(40) == 10, 1.0, az)
    only_std = potholes.pothole_flags(calm_then_shaking, v, stdev_g=0.16, window=5)
    assert np.flatnonzero(only_std).tolist() == [29, 30]  # the windows of 0.179 g
    v[:20] = 2.0  # too slow: the hit is ignored
    assert not potholes.pothole_flags(az, v, z_thresh_g=0.5, min_speed_mps=3.0).any()


def reference_events(
    flags: np.ndarray, az: np.ndarray, d: np.ndarray, merge_m: float
) -> list[tuple[int, int, int, int, int]]:
    """(first, last, peak, hits, methods) by a plain loop over the flagged samples."""
    events: list[list[int]] = []
    for i in np.flatnonzero(flags):
        if events and d[i] - d[events[-1][1]] <= merge_m:
            e = events[-1]
            e[1] = i
            e[3] += 1
            e[4] |= int(flags[i])
            if abs(az[i] - 1) > abs(az[e[2]] - 1):
                e[2] = i
        else:
            events.append([i, i, i, 1, int(flags[i])])
    return [tuple(e) for e in events]  # type: ignore[misc]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2000), st.floats(0, 5), st.integers(0, 2**32 - 1))
def test_events_match_plain_loop(n: int, merge_m: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    az = 1.0 + rng.normal(0, 0.2, n)
    flags = (rng.uniform(0, 1, n) < 0.05) * rng.integers(1, 8, n)
    d = np.cumsum(rng.uniform(0, 0.3, n))
    got = potholes.pothole_events(flags.astype(np.uint8), az, d, merge_m)
    ref = reference_events(flags, az, d, merge_m)
    assert len(got) == len(ref)
    assert got.first.tolist() == [e[0] for e in ref]
    assert got.last.tolist() == [e[1] for e in ref]
    assert got.peak.tolist() == [e[2] for e in ref]
    assert got.hits.tolist() == [e[3] for e in ref]
    assert got.methods.tolist() == [e[4] for e in ref]
    np.testing.assert_array_equal(got.position_m, d[[e[2] for e in ref]])
    np.testing.assert_array_equal(got.peak_g, np.abs(az[[e[2] for e in ref]] - 1))


def test_detect_potholes_finds_the_placed_ones() -> None:
    """A 100 Hz drive at 8 m/s with three potholes at 120 m, 305 m and 530 m."""
    rng = np.random.default_rng(5)
    n = 100 * 90
    v = np.full(n, 8.0)
    d = np.arange(n) * 0.08
    az = 1.0 + rng.normal(0, 0.05, n)
    for where in (120.0, 305.0, 530.0):
        i = int(where / 0.08)
        az[i : i + 4] += [0.9, -0.7, 0.5, -0.3]
    events = potholes.detect_potholes(az, v, d, z_thresh_g=0.4, merge_m=2.0)
    np.testing.assert_allclose(events.position_m, [120.0, 305.0, 530.0], atol=0.5)
    assert np.all(events.peak_g > 0.8)


def test_events_of_nothing() -> None:
    got = potholes.pothole_events(np.zeros(5, np.uint8), np.ones(5), np.arange(5.0))
    assert len(got) == 0 and got.position_m.shape == (0,)
    empty = potholes.detect_potholes([], [], [])
    assert len(empty) == 0


# ---------------------------------------------------------------- clustering


def reference_clusters(
    lat: np.ndarray, lon: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Leader clustering with NumPy distances to the running-mean centres."""
    labels = np.empty(lat.size, dtype=np.int64)
    c_lat: list[float] = []
    c_lon: list[float] = []
    counts: list[int] = []
    r = potholes.EARTH_RADIUS_M
    for i in range(lat.size):
        if c_lat:
            cl = np.radians(np.array(c_lat))
            h = (
                np.sin((cl - np.radians(lat[i])) / 2) ** 2
                + np.cos(np.radians(lat[i]))
                * np.cos(cl)
                * np.sin(np.radians(np.array(c_lon) - lon[i]) / 2) ** 2
            )
            dist = 2 * r * np.arcsin(np.sqrt(np.minimum(h, 1)))
            best = int(np.argmin(dist))
        if not c_lat or dist[best] > radius_m:
            c_lat.append(lat[i])
            c_lon.append(lon[i])
            counts.append(1)
            labels[i] = len(c_lat) - 1
        else:
            counts[best] += 1
            c_lat[best] += (lat[i] - c_lat[best]) / counts[best]
            c_lon[best] += (lon[i] - c_lon[best]) / counts[best]
            labels[i] = best
    return labels, np.array(c_lat), np.array(c_lon), np.array(counts)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.floats(1, 20), st.integers(0, 2**32 - 1))
def test_clusters_match_numpy_reference(n: int, radius: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, 0.002, (8, 2)) + np.array([47.39, 0.69])  # within ~200 m
    pick = rng.integers(0, 8, n)
    jitter = rng.normal(0, 2e-5, (n, 2))  # ~2 m of GNSS error per pass
    lat = sites[pick, 0] + jitter[:, 0]
    lon = sites[pick, 1] + jitter[:, 1]
    got = potholes.cluster_detections(lat, lon, radius)
    labels, c_lat, c_lon, counts = reference_clusters(lat, lon, radius)
    np.testing.assert_array_equal(got.label, labels)
    np.testing.assert_array_equal(got.count, counts)
    np.testing.assert_allclose(got.lat_deg, c_lat, rtol=1e-13)
    np.testing.assert_allclose(got.lon_deg, c_lon, rtol=1e-13)


def test_repeated_passes_make_one_cluster_each_with_sessions_counted() -> None:
    rng = np.random.default_rng(11)
    sites = np.array([[47.3900, 0.6900], [47.3910, 0.6900], [47.3900, 0.6920]])
    lat, lon, session = [], [], []
    for s in range(6):  # six sessions, each passing every pothole (twice on session 0)
        for k, (la, lo) in enumerate(sites):
            for _ in range(2 if s == 0 and k == 0 else 1):
                lat.append(la + rng.normal(0, 1.5e-5))
                lon.append(lo + rng.normal(0, 1.5e-5))
                session.append(s)
    got = potholes.cluster_detections(lat, lon, 8.0, session=session)
    assert len(got) == 3
    assert sorted(got.count.tolist()) == [6, 6, 7]
    assert got.sessions.tolist() == [6, 6, 6]
    for la, lo in sites:
        nearest = min(
            geodesy.haversine_m(la, lo, a, b) for a, b in zip(got.lat_deg, got.lon_deg, strict=True)
        )
        assert nearest < 3.0


def test_clusters_edge_cases() -> None:
    empty = potholes.cluster_detections([], [], 5.0, session=[])
    assert len(empty) == 0 and empty.sessions.shape == (0,)
    one = potholes.cluster_detections([47.0], [1.0], 5.0)
    assert one.label.tolist() == [0] and one.count.tolist() == [1] and one.sessions is None
    with pytest.raises(ValueError, match="NaN"):
        potholes.cluster_detections([np.nan], [1.0], 5.0)
