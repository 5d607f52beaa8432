"""Kernels never crash the interpreter: hostile inputs give a result or one ValueError.

One hypothesis fuzz test per public kernel of ``ext`` (shapes, dtypes, lengths, NaN,
infinities, absurd sizes and parameters), then the regressions of issue #15, each against
NumPy where a NumPy counterpart exists. A segfault or an out-of-bounds read would kill or
fail the run; CI runs them all, and they were also run once against a build with Cython's
``boundscheck`` and ``wraparound`` on (docs/BENCHMARKS.md, "Kernels under bounds checks").
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ext import filters, frames, geodesy, journal_walk, mapmatch, potholes, roughness, segments

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on hostile floats

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1.0, 0.1, 10.0, float("nan"), float("inf")]),
)
small_ints = st.integers(-(2**31), 2**31 - 1)


@st.composite
def arrays(draw: st.DrawFn, max_len: int = 40) -> Any:
    """Array-likes a caller may pass: floats with NaN and infinities, other dtypes and
    shapes, empty, nested, text."""
    n = draw(st.integers(0, max_len))
    kind = draw(st.integers(0, 7))
    if kind <= 2:
        return np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=np.float64)
    if kind == 3:
        return np.sort(np.array(draw(st.lists(floats, min_size=n, max_size=n))))
    if kind == 4:
        return (np.arange(n) % 7).astype(
            draw(st.sampled_from([np.int8, np.int64, np.float32, bool]))
        )
    if kind == 5:
        return np.zeros((n, draw(st.integers(0, 3))))
    if kind == 6:
        return np.arange(2 * n, dtype=np.float64)[::2]  # not contiguous
    return draw(st.sampled_from([["a", "b"], None, [[1.0], [2.0, 3.0]], 3.0, []]))


def survives(call: Callable[[], Any]) -> Any:
    """The call returns, or raises ValueError with a message: nothing else."""
    try:
        return call()
    except ValueError as e:
        assert str(e)
        return None


# --- fuzz, one per kernel ------------------------------------------------------------------


@FUZZ
@given(arrays(), arrays(), arrays())
def test_fuzz_interp(x: Any, xp: Any, fp: Any) -> None:
    got = survives(lambda: segments.interp(x, xp, fp))
    if got is not None:
        np.testing.assert_array_equal(got, np.interp(x, xp, fp))


@FUZZ
@given(arrays(), arrays(), floats)
def test_fuzz_resample_to_grid(d: Any, v: Any, dx: float) -> None:
    survives(lambda: segments.resample_to_grid(d, v, dx))


@FUZZ
@given(arrays(), arrays(), floats,
       st.one_of(st.none(), st.integers(-5, 5000), st.integers(segments.MAX_GROUPS, 2**64)),
       st.one_of(st.integers(-5, 40), st.integers(2**20, 2**62)), st.booleans())  # fmt: skip
def test_fuzz_segment_stats(d: Any, v: Any, seg: float, n_seg: Any, n_sub: int, sub: bool) -> None:
    codes = np.arange(len(d) if isinstance(d, np.ndarray) and d.ndim else 0) % 3 if sub else None
    got = survives(lambda: segments.segment_stats(d, v, seg, n_seg, codes, n_sub))
    if got is not None:
        survives(lambda: got.rollup(max(1, n_sub % 1000)))


@FUZZ
@given(arrays(), floats, arrays())
def test_fuzz_segment_index_and_classify(d: Any, seg: float, bounds: Any) -> None:
    survives(lambda: segments.segment_index(d, seg))
    survives(lambda: segments.classify(d, bounds))


@FUZZ
@given(arrays(), arrays(), floats)
def test_fuzz_sosfilt(x: Any, sos: Any, scale: float) -> None:
    sos6 = np.resize(np.asarray(sos, dtype=object) if sos is not None else [0.0], 12)
    for coeffs in (sos, np.array([[1.0, -2.0, 1.0, 1.0, -1.9, 0.9]]) * [1, 1, 1, 1, 1, scale],
                   sos6):  # fmt: skip
        survives(lambda c=coeffs: filters.sosfilt(c, x))
        survives(lambda c=coeffs: filters.sosfilt_zi(c))
        survives(lambda c=coeffs: filters.sosfilt(c, x, np.zeros((1, 2))))


@FUZZ
@given(arrays(), arrays(), floats)
def test_fuzz_cumulative_distance(lat: Any, lon: Any, radius: float) -> None:
    survives(lambda: geodesy.cumulative_distance_m(lat, lon))
    survives(lambda: geodesy.cumulative_distance_m(lat, lat, radius))
    geodesy.haversine_m(radius, radius, 0.0, radius)  # scalars: NaN in, NaN out


@FUZZ
@given(arrays(), floats, floats, floats, floats)
def test_fuzz_iri(profile: Any, dx: float, speed: float, segment: float, first: float) -> None:
    survives(lambda: roughness.golden_car(dx, speed))
    survives(lambda: roughness.slope_steps(dx, segment))
    survives(lambda: roughness.profile_slopes(profile, dx))
    survives(lambda: roughness.iri_m_per_km(profile, dx, speed))
    survives(lambda: roughness.iri_segments_m_per_km(profile, dx, segment, first))
    survives(lambda: roughness.iri_segments_m_per_km(profile, 0.25, 10.0, first))
    survives(lambda: roughness.expm(profile))


@FUZZ
@given(arrays(), arrays(), arrays(), floats, floats, st.booleans())
def test_fuzz_accel_roughness(
    az: Any, d: Any, v: Any, seg: float, alpha: float, mask: bool
) -> None:
    sos = np.array([[1.0, -2.0, 1.0, 1.0, -1.9, 0.9]])
    m = np.ones(len(az), dtype=bool) if mask and isinstance(az, np.ndarray) and az.ndim else None
    survives(lambda: roughness.accel_roughness(az, d, v, sos, seg, None, alpha, 3.0, m))
    survives(lambda: roughness.fit_calibration(az, v))
    survives(lambda: roughness.calibrated_iri(az, alpha, seg))


@FUZZ
@given(arrays(), arrays(), arrays(), small_ints, floats, small_ints)
def test_fuzz_potholes(az: Any, v: Any, d: Any, window: int, merge: float, methods: int) -> None:
    survives(lambda: potholes.moving_std(az, window))
    flags = survives(lambda: potholes.pothole_flags(az, v, 0.4, 0.3, 0.1, window))
    survives(lambda: potholes.pothole_events(flags, az, d, merge, methods))
    survives(lambda: potholes.detect_potholes(az, v, d))
    survives(lambda: potholes.cluster_detections(az, v, merge))
    survives(lambda: potholes.cluster_detections(az, az, 5.0, v))


@FUZZ
@given(st.binary(max_size=4000), st.integers(-(2**40), 2**40), small_ints, arrays(), st.data())
def test_fuzz_frame_decoders(data: bytes, base: int, word: int, out: Any, draw: Any) -> None:
    survives(lambda: frames.decode_witmotion(data, base))
    survives(lambda: frames.decode_witmotion_vertical(data, base))
    survives(lambda: frames.decode_witmotion_vertical(data, base, out, out))
    survives(lambda: frames.decode_thermal(data, base, word))
    survives(lambda: frames.decode_thermal(data, base, 0, out))
    survives(lambda: frames.decode_nmea(data, base))
    survives(lambda: frames.decode_nmea(np.frombuffer(data, np.uint8)[::2], base))
    survives(lambda: frames.half_means(out, word))
    start = draw.draw(st.integers(-5, len(data) + 5))
    survives(lambda: frames.nmea_match(data, start))
    survives(lambda: frames.nmea_blank(data, start, len(data)))


@FUZZ
@given(st.binary(max_size=2000), st.integers(-5, 2100), st.integers(-5, 5), st.data())
def test_fuzz_journal_walk(data: bytes, start: int, first: int, draw: Any) -> None:
    assert journal_walk.crc32(data) == zlib.crc32(data)
    walk = survives(lambda: journal_walk.walk_journal(data, start))
    survives(lambda: journal_walk.populated_bytes(first))
    if walk is not None:
        for ch in walk.data.values():
            size = draw.draw(st.integers(0, 2 * journal_walk.MAX_RECORD_BYTES))
            out = np.empty(size, dtype=np.uint8)
            survives(lambda c=ch, o=out, s=size: journal_walk.gather_block(data, c, first, o, 0, s))
    with pytest.raises(TypeError):  # a typed argument: None is refused, never dereferenced
        journal_walk.gather_block(data, None, 0, np.empty(10, np.uint8), 0, 10)  # type: ignore[arg-type]


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """A small directed street graph, its segments, fixes near it, and the arrays
    ``mapmatch`` passes from one kernel to the next (as domain.territory.matching does)."""
    n_nodes = draw(st.integers(1, 6))
    xy = np.array(draw(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)),
                                min_size=n_nodes, max_size=n_nodes)), dtype=np.float64)  # fmt: skip
    pairs = draw(st.lists(st.tuples(st.integers(0, n_nodes - 1), st.integers(0, n_nodes - 1)),
                          max_size=10))  # fmt: skip
    pairs = sorted(pairs) or [(0, 0)]
    src = np.array([a for a, _ in pairs], dtype=np.int32)
    dst = np.array([b for _, b in pairs], dtype=np.int32)
    length = np.hypot(*(xy[dst] - xy[src]).T) + 1.0
    indptr = np.searchsorted(src, np.arange(n_nodes + 1)).astype(np.int64)
    n_fix = draw(st.integers(0, 8))
    near = st.one_of(floats, st.floats(-60, 60))  # most fixes near the streets
    fixes = np.array(draw(st.lists(st.tuples(near, near), min_size=n_fix, max_size=n_fix)))
    fixes = fixes.reshape(-1, 2)
    return {"xy": xy, "src": src, "dst": dst, "length": length, "indptr": indptr,
            "px": fixes[:, 0].copy(), "py": fixes[:, 1].copy()}  # fmt: skip


def match_pipeline(net: dict[str, Any], swap: dict[str, Any]) -> None:
    """build_grid, candidates, ubodt, match on ``net``, with arguments replaced by ``swap``."""
    ax, ay = net["xy"][net["src"]].T.copy()
    bx, by = net["xy"][net["dst"]].T.copy()
    args = {"ax": ax, "ay": ay, "bx": bx, "by": by, "cell": 10.0, "radius": 30.0,
            "max_segments": 4, "px": net["px"], "py": net["py"]}  # fmt: skip
    args.update(swap)
    grid = survives(lambda: mapmatch.build_grid(args["ax"], args["ay"], args["bx"], args["by"],
                                                args["cell"]))  # fmt: skip
    grid = swap.get("grid", grid)
    if grid is None:
        return
    got = survives(lambda: mapmatch.candidates(args["px"], args["py"], args["ax"], args["ay"],
                                               args["bx"], args["by"], grid, args["radius"],
                                               args["max_segments"]))  # fmt: skip
    if got is None:
        return
    cptr, cedge, frac, cdist = got
    coff = frac * net["length"][cedge]
    sources = np.unique(net["dst"][cedge]).astype(np.int32)
    table = survives(lambda: mapmatch.ubodt(swap.get("indptr", net["indptr"]),
                                            swap.get("dst", net["dst"]), net["length"],
                                            swap.get("sources", sources), 200.0))  # fmt: skip
    if table is None:
        return
    rptr, target, tdist, _ = table
    row_of = np.full(len(net["indptr"]) - 1, -1, dtype=np.int64)
    row_of[sources] = np.arange(len(sources))
    pieces = {"cptr": cptr, "cedge": cedge, "coff": coff, "cdist": cdist,
              "table": (row_of, rptr, target, tdist), "sigma": 4.0}  # fmt: skip
    pieces.update({k: v for k, v in swap.items() if k in pieces})
    edges = (net["src"], net["dst"], net["length"])
    survives(lambda: mapmatch.match(args["px"], args["py"], pieces["cptr"], pieces["cedge"],
                                    pieces["coff"], pieces["cdist"], *edges, pieces["table"],
                                    pieces["sigma"], 5.0))  # fmt: skip


@FUZZ
@given(networks(),
       st.sampled_from(["ax", "bx", "cell", "radius", "max_segments", "px", "grid", "indptr",
                        "dst", "sources", "cptr", "cedge", "coff", "table", "sigma", None]),
       arrays(), floats, small_ints)  # fmt: skip
def test_fuzz_mapmatch(net: dict[str, Any], name: str | None, junk: Any, number: float,
                       whole: int) -> None:  # fmt: skip
    value = {"cell": number, "radius": number, "sigma": number, "max_segments": whole,
             "grid": (0.0, 0.0, 10.0, 2, 2, junk, junk),
             "table": (junk, junk, junk, junk)}.get(name, junk)  # fmt: skip
    match_pipeline(net, {} if name is None else {name: value})


# --- the regressions of issue #15 ----------------------------------------------------------


def test_segment_stats_refuses_an_overflowing_size_instead_of_writing_past_its_arrays() -> None:
    with pytest.raises(ValueError, match="exceed"):
        segments.segment_stats([0.0], [1.0], 10.0, n_segments=2**61 + 1, n_sub=8)
    with pytest.raises(ValueError, match="exceed"):
        segments.segment_stats([0.0], [1.0], 10.0, n_segments=2**40)


@pytest.mark.parametrize("call", [
    lambda: segments.segment_stats([0.0, 1e15], [1.0, 2.0], 10.0),
    lambda: segments.resample_to_grid([0.0, 1e15], [1.0, 2.0], 0.01),
    lambda: roughness.iri_segments_m_per_km(np.zeros(100), 0.25, 10.0, first_m=1e13),
])  # fmt: skip
def test_absurd_distances_are_refused_before_allocating(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match=r"absurd|reasonable"):
        call()


def test_interp_refuses_a_nan_in_xp_and_otherwise_is_numpy() -> None:
    with pytest.raises(ValueError, match="xp must be finite"):
        segments.interp([0.5], [np.nan, 1.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        segments.interp([0.5], [1.0, 0.0], [10.0, 20.0])
    x, xp, fp = [np.nan, -1.0, 0.5, 1.5, 3.0], [0.0, 1.0, 2.0], [0.0, np.nan, 4.0]
    np.testing.assert_array_equal(segments.interp(x, xp, fp), np.interp(x, xp, fp))


def test_segment_stats_keeps_the_farthest_sample() -> None:
    got = segments.segment_stats([0.0, 990.0], [1.0, 2.0], 0.1)
    assert int(got.count.sum()) == 2 and got.count[-1] == 1 and got.max[-1] == 2.0


def test_classify_refuses_nan_bounds_and_golden_car_an_infinite_step() -> None:
    with pytest.raises(ValueError, match="finite"):
        segments.classify([1.0], [np.nan, 2.0])
    with pytest.raises(ValueError, match="finite"):
        roughness.golden_car(np.inf)
    with pytest.raises(ValueError, match="too long"):
        roughness.golden_car(1e290)


def test_one_nan_acceleration_spoils_only_its_segment() -> None:
    rng = np.random.default_rng(7)
    n = 4000  # 100 Hz at 10 m/s: 400 m, 40 segments
    az = 1.0 + rng.normal(0.0, 0.05, n)
    d = np.arange(n) * 0.1
    v = np.full(n, 10.0)
    sos = np.array([[0.96, -1.92, 0.96, 1.0, -1.918, 0.9216]])
    clean = roughness.accel_roughness(az, d, v, sos)
    az[1234] = np.nan  # in segment 12
    got = roughness.accel_roughness(az, d, v, sos)
    assert np.isfinite(got.index).all()  # no segment lost, before or after
    np.testing.assert_array_equal(got.index[:12], clean.index[:12])
    assert got.count[12] == clean.count[12] - 1
    # after the gap the high-pass restarts in steady state: within its settling, then equal
    np.testing.assert_allclose(got.index[14:], clean.index[14:], rtol=0.05)


def test_one_nan_fix_spoils_only_its_own_distance() -> None:
    lat = np.array([45.0, 45.001, np.nan, 45.003])
    lon = np.zeros(4)
    got = geodesy.cumulative_distance_m(lat, lon)
    assert np.isnan(got[2]) and got[3] == pytest.approx(geodesy.haversine_m(45, 0, 45.003, 0))
    with pytest.raises(ValueError, match="lat_deg value 1 is outside"):
        geodesy.cumulative_distance_m([0.0, 91.0], [0.0, 0.0])


def test_rollup_by_a_huge_factor_allocates_nothing_big() -> None:
    g = segments.segment_stats(np.arange(25.0), np.arange(25.0), 1.0)
    assert g.rollup(2**60).count.tolist() == [25]
    assert g.rollup(10).count.tolist() == [10, 10, 5]


def test_sosfilt_zi_refuses_a_pole_at_one() -> None:
    with pytest.raises(ValueError, match="pole at z = 1"):
        filters.sosfilt_zi([[1.0, 0.0, 0.0, 1.0, -1.0, 0.0]])


def test_resample_with_a_subnormal_step_is_refused_not_overflowed() -> None:
    """Found by the fuzz test: a grid step so small the point count is infinite."""
    with pytest.raises(ValueError, match="too small for this span"):
        segments.resample_to_grid(np.array([0, 1], dtype=np.int8), np.array([0.0, 2.0]), 2.2e-309)
