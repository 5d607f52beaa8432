"""Time → distance and per-segment statistics (ext.segments) against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ext import geodesy, segments

finite = st.floats(-1e6, 1e6, allow_nan=False)


def increasing(values: list[float]) -> np.ndarray:
    """Strictly increasing positions from positive steps."""
    return np.cumsum(np.abs(np.array(values)) + 1e-3)


# ---------------------------------------------------------------- interp


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=60),
    st.lists(finite, min_size=60, max_size=60),
    st.lists(st.floats(-10, 3000), max_size=200),
    st.booleans(),
)
def test_interp_matches_numpy(
    steps: list[float], fp_all: list[float], queries: list[float], sort: bool
) -> None:
    xp = increasing(steps)
    fp = np.array(fp_all[: len(xp)])
    x = np.array(queries)
    if sort:
        x.sort()
    np.testing.assert_allclose(segments.interp(x, xp, fp), np.interp(x, xp, fp), rtol=1e-12)


def test_interp_edges_and_nan() -> None:
    xp = np.array([0.0, 1.0, 2.0])
    fp = np.array([10.0, 20.0, 40.0])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, np.nan])
    np.testing.assert_array_equal(segments.interp(x, xp, fp), np.interp(x, xp, fp))
    assert segments.interp(np.empty(0), xp, fp).shape == (0,)
    np.testing.assert_array_equal(segments.interp([5.0, -5.0], [1.0], [7.0]), [7.0, 7.0])
    with pytest.raises(ValueError, match="xp has 3 values but fp has 2"):
        segments.interp(x, xp, fp[:2])
    with pytest.raises(ValueError, match="empty"):
        segments.interp(x, [], [])


def test_samples_placed_along_a_gnss_track() -> None:
    """100 Hz samples between 10 Hz fixes get the track's cumulative distance, interpolated."""
    rng = np.random.default_rng(7)
    fix_t = np.arange(0, 60, 0.1)
    lat = 47.39 + np.cumsum(rng.normal(4e-5, 1e-5, fix_t.size))
    lon = 0.69 + np.cumsum(rng.normal(2e-5, 1e-5, fix_t.size))
    dist = geodesy.cumulative_distance_m(lat, lon)
    sample_t = np.arange(0, 60, 0.01) + 0.003
    got = segments.interp(sample_t, fix_t, dist)
    np.testing.assert_allclose(got, np.interp(sample_t, fix_t, dist), rtol=1e-12)
    assert np.all(np.diff(got) >= 0)


# ---------------------------------------------------------------- resample_to_grid


def reference_grid(d: np.ndarray, v: np.ndarray, dx: float) -> tuple[np.ndarray, np.ndarray]:
    """Last sample at or before each grid point, linear to the next (NumPy)."""
    grid = np.arange(np.ceil(d[0] / dx), np.floor(d[-1] / dx) + 1) * dx
    j = np.clip(np.searchsorted(d, grid, side="right") - 1, 0, d.size - 1)
    nxt = np.minimum(j + 1, d.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (grid - d[j]) / (d[nxt] - d[j])
    out = np.where((nxt == j) | (d[j] == grid), v[j], v[j] + (v[nxt] - v[j]) * frac)
    out = np.where(grid < d[0], v[0], out)
    return grid, out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0, 3), min_size=1, max_size=200),
    st.floats(0, 50),
    st.sampled_from([0.05, 0.1, 0.25, 1.0, 10.0]),
    st.integers(0, 2**32 - 1),
)
def test_resample_to_grid_matches_reference(
    steps: list[float], start: float, dx: float, seed: int
) -> None:
    d = start + np.cumsum(steps)  # non-decreasing: zero steps are stops
    v = np.random.default_rng(seed).normal(0, 1, d.size)
    grid, got = segments.resample_to_grid(d, v, dx)
    ref_grid, ref = reference_grid(d, v, dx)
    np.testing.assert_array_equal(grid, ref_grid)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.01, 3), min_size=2, max_size=200), st.integers(0, 2**32 - 1))
def test_resample_to_grid_is_numpy_interp_when_distances_increase(
    steps: list[float], seed: int
) -> None:
    d = np.cumsum(steps)
    v = np.random.default_rng(seed).normal(0, 1, d.size)
    grid, got = segments.resample_to_grid(d, v, 0.25)
    np.testing.assert_allclose(got, np.interp(grid, d, v), rtol=1e-12, atol=1e-12)


def test_resample_edge_cases() -> None:
    g, v = segments.resample_to_grid([], [], 0.25)
    assert g.shape == v.shape == (0,)
    g, v = segments.resample_to_grid([0.5], [3.0], 0.25)
    np.testing.assert_array_equal(g, [0.5])
    np.testing.assert_array_equal(v, [3.0])
    g, v = segments.resample_to_grid([0.6], [3.0], 0.25)  # no grid point
    assert g.shape == (0,)
    with pytest.raises(ValueError, match="non-decreasing"):
        segments.resample_to_grid([1.0, 0.5], [1.0, 2.0], 0.25)
    with pytest.raises(ValueError, match="positive"):
        segments.resample_to_grid([1.0], [1.0], 0.0)


# ---------------------------------------------------------------- segment statistics


def reference_stats(
    d: np.ndarray,
    v: np.ndarray,
    seg_m: float,
    n_seg: int,
    sub: np.ndarray | None = None,
    n_sub: int = 1,
    mask: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """np.bincount per (segment, sub-group) over the samples kept."""
    codes = np.zeros(d.size, dtype=np.int64) if sub is None else sub
    keep = (
        (np.ones(d.size, bool) if mask is None else mask)
        & (d >= 0)
        & ~np.isnan(v)
        & (codes >= 0)
        & (codes < n_sub)
    )
    with np.errstate(invalid="ignore"):
        seg = np.floor(np.where(keep, d, 0) / seg_m).astype(np.int64)
    keep &= seg < n_seg
    key = seg[keep] * n_sub + codes[keep]
    vals = v[keep]
    size = n_seg * n_sub
    count = np.bincount(key, minlength=size)
    total = np.bincount(key, weights=vals, minlength=size)
    sum_sq = np.bincount(key, weights=vals * vals, minlength=size)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    np.minimum.at(low, key, vals)
    np.maximum.at(high, key, vals)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "count": count,
            "total": total,
            "sum_sq": sum_sq,
            "mean": np.where(count > 0, total / count, np.nan),
            "rms": np.where(count > 0, np.sqrt(sum_sq / count), np.nan),
            "min": np.where(count > 0, low, np.nan),
            "max": np.where(count > 0, high, np.nan),
        }
    shape = (-1, n_sub) if sub is not None else (-1,)
    return {k: a.reshape(shape) for k, a in out.items()}


def assert_stats(got: segments.GroupStats, ref: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(got.count, ref["count"])
    for name in ("total", "sum_sq", "mean", "rms", "min", "max"):
        np.testing.assert_allclose(getattr(got, name), ref[name], rtol=1e-12, atol=1e-12)


samples = st.lists(
    st.tuples(
        st.one_of(st.floats(-5, 300), st.just(float("nan"))),
        st.one_of(st.floats(-1e3, 1e3), st.just(float("nan"))),
        st.integers(-1, 3),
        st.booleans(),
    ),
    max_size=300,
)


@settings(max_examples=120, deadline=None)
@given(samples, st.sampled_from([1.0, 2.5, 10.0]), st.booleans(), st.booleans())
def test_segment_stats_match_bincount(
    rows: list[tuple[float, float, int, bool]], seg_m: float, by_sub: bool, masked: bool
) -> None:
    d = np.array([r[0] for r in rows], dtype=np.float64)
    v = np.array([r[1] for r in rows], dtype=np.float64)
    sub = np.array([r[2] for r in rows], dtype=np.int64) if by_sub else None
    mask = np.array([r[3] for r in rows], dtype=bool) if masked else None
    n_sub = 3 if by_sub else 1
    got = segments.segment_stats(d, v, seg_m, sub=sub, n_sub=n_sub, mask=mask)
    far = np.nanmax(d, initial=-1.0)
    n_seg = int(far // seg_m) + 1 if far >= 0 else 0
    assert got.count.shape[0] == n_seg
    assert_stats(got, reference_stats(d, v, seg_m, n_seg, sub, n_sub, mask))


@settings(max_examples=100, deadline=None)
@given(samples, st.integers(0, 40), st.integers(1, 12))
def test_rollup_of_10_m_segments_matches_direct_grouping(
    rows: list[tuple[float, float, int, bool]], n_seg: int, factor: int
) -> None:
    d = np.array([r[0] for r in rows], dtype=np.float64)
    v = np.array([r[1] for r in rows], dtype=np.float64)
    sub = np.array([r[2] for r in rows], dtype=np.int64)
    fine = segments.segment_stats(d, v, 10.0, n_seg, sub=sub, n_sub=3)
    got = fine.rollup(factor)
    # reference: the samples of the 10 m segments kept, grouped by floor(d / 10) // factor
    n_long = -(-n_seg // factor)
    with np.errstate(invalid="ignore"):
        seg10 = np.floor(d / 10.0)
        kept = (d >= 0) & (seg10 < n_seg)  # a negative distance (even -5e-324) is left out
    long_d = np.where(kept, (seg10 // factor + 0.5) * 10.0 * factor, -1.0)
    ref = reference_stats(long_d, v, 10.0 * factor, n_long, sub, 3)
    assert got.segment_m == 10.0 * factor
    assert_stats(got, ref)


def test_100_m_segments_directly_equal_the_rollup() -> None:
    rng = np.random.default_rng(3)
    d = np.sort(rng.uniform(0, 2000, 50_000))
    v = rng.normal(20, 5, d.size)
    direct = segments.segment_stats(d, v, 100.0)
    rolled = segments.segment_stats(d, v, 10.0).rollup(10)
    np.testing.assert_array_equal(direct.count, rolled.count)
    np.testing.assert_array_equal(direct.min, rolled.min)
    np.testing.assert_array_equal(direct.max, rolled.max)
    np.testing.assert_allclose(direct.mean, rolled.mean, rtol=1e-12)
    np.testing.assert_allclose(direct.rms, rolled.rms, rtol=1e-12)


def test_channels_share_the_kernel_pm_rsrp_per_operator_facade_per_side() -> None:
    d = np.array([1.0, 2.0, 12.0, 13.0, 14.0, 25.0])
    pm25 = np.array([5.0, 7.0, 30.0, np.nan, 40.0, 12.0])
    pm = segments.segment_stats(d, pm25, 10.0)
    np.testing.assert_array_equal(pm.mean, [6.0, 35.0, 12.0])
    np.testing.assert_array_equal(pm.count, [2, 2, 1])
    rsrp = np.array([-80.0, -100.0, -90.0, -95.0, -110.0, -85.0])
    operator = np.array([0, 1, 0, 1, 1, 0])
    per_op = segments.segment_stats(d, rsrp, 10.0, sub=operator, n_sub=2)
    assert per_op.mean.shape == (3, 2)
    np.testing.assert_array_equal(per_op.mean[1], [-90.0, -102.5])
    assert np.isnan(per_op.mean[2, 1]) and per_op.count[2, 1] == 0
    delta_k = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    side = np.array([0, 1, 0, 0, 1, 1])
    valid = np.array([True, True, False, True, True, True])
    facade = segments.segment_stats(d, delta_k, 10.0, sub=side, n_sub=2, mask=valid)
    np.testing.assert_array_equal(facade.mean[1], [1.0, 5.0])
    np.testing.assert_array_equal(facade.count.sum(), 5)


def test_segment_stats_edge_cases() -> None:
    empty = segments.segment_stats([], [], 10.0)
    assert empty.count.shape == (0,) and empty.rollup(10).count.shape == (0,)
    one = segments.segment_stats([25.0], [4.0], 10.0)
    np.testing.assert_array_equal(one.count, [0, 0, 1])
    np.testing.assert_array_equal(one.rms, [np.nan, np.nan, 4.0])
    fixed = segments.segment_stats([25.0, 95.0, np.inf], [4.0, 1.0, 2.0], 10.0, n_segments=5)
    np.testing.assert_array_equal(fixed.count, [0, 0, 1, 0, 0])  # beyond and infinite: out
    assert "5 segments of 10 m" in repr(fixed)
    open_ended = segments.segment_stats([25.0, np.inf, np.nan], [4.0, 1.0, 2.0], 10.0)
    np.testing.assert_array_equal(open_ended.count, [0, 0, 1])
    with pytest.raises(ValueError, match="values has 1"):
        segments.segment_stats([1.0, 2.0], [1.0], 10.0)
    with pytest.raises(ValueError, match="mask must have shape"):
        segments.segment_stats([1.0], [1.0], 10.0, mask=[True, False])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(-100, 1e6), st.just(float("nan"))), max_size=100))
def test_segment_index_is_floor(d: list[float]) -> None:
    arr = np.array(d, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ref = np.where(arr >= 0, np.floor(arr / 10.0), -1).astype(np.int64)
    np.testing.assert_array_equal(segments.segment_index(arr, 10.0), ref)


def test_classify_atmo_pm25_and_rsrp_bands() -> None:
    atmo_pm25 = [10, 20, 25, 50, 75]
    got = segments.classify([0, 10, 10.1, 24, 50, 80, np.nan], atmo_pm25)
    np.testing.assert_array_equal(got, [0, 0, 1, 2, 3, 5, -1])
    # RSRP, higher is better: negate values and bounds (≥ −80 excellent ... < −110 very poor)
    rsrp = np.array([-70.0, -85.0, -95.0, -105.0, -115.0])
    got = segments.classify(-rsrp, [80, 90, 100, 110])
    np.testing.assert_array_equal(got, [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="increasing"):
        segments.classify([1.0], [2, 1])
