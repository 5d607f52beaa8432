"""IRI (ASTM E1926 Golden Car) and the accelerometer index (ext.roughness).

Validation: the World Bank Technical Paper 46 coefficients, zero for flat and constant-grade
profiles, the quarter car's analytic steady-state response to sinusoids, and a plain-Python
loop reference for the compiled loop.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from ext import roughness

V = 80 / 3.6

# World Bank Technical Paper 46 (Sayers, Gillespie, Queiroz 1986), as quoted in
# docs/THRESHOLDS.md.
TP46_ST_ROW1_025 = [0.9966071, 1.091514e-2, -2.083274e-3, 3.190145e-4]
TP46_PR_025 = [5.476107e-3, 1.388776, 0.2275968, 35.79262]
TP46_PR_005 = [4.858894e-5, 6.427258e-2, 1.067582e-2, 9.331372]


def within_tp46(got: np.ndarray, published: list[float]) -> np.ndarray:
    """|got − published| ≤ 1e-6 · max(1, |published|): 1e-6 absolute for coefficients below
    1 and 1e-6 relative above.

    Why mixed: TP46 prints 7 significant digits, so the large coefficients (PR[3] ≈ 35.8)
    are only known to a few 1e-7 relative; the small ones (PR[0] ≈ 5e-3 at 0.25 m, 5e-5 at
    0.05 m) differ from the exact exponential by up to 1e-7 absolute (1.8e-5 and 6e-4
    relative: the published program's own rounding), far below what matters for an IRI.
    """
    pub = np.asarray(published)
    return np.abs(got - pub) <= 1e-6 * np.maximum(1.0, np.abs(pub))


def test_tp46_coefficients_for_025_m() -> None:
    st_, pr = roughness.golden_car(0.25)
    assert within_tp46(st_[0], TP46_ST_ROW1_025).all(), st_[0]
    # ST row 1 also holds to 1e-6 relative component by component (worst is 3.8e-7)
    np.testing.assert_allclose(st_[0], TP46_ST_ROW1_025, rtol=1e-6)
    assert within_tp46(pr, TP46_PR_025).all(), pr


def test_tp46_coefficients_for_005_m() -> None:
    _, pr = roughness.golden_car(0.05)
    assert within_tp46(pr, TP46_PR_005).all(), pr


def scipy_step(dx: float) -> tuple[np.ndarray, np.ndarray]:
    a, b = roughness.golden_car_state_space()
    aug = np.zeros((5, 5))
    aug[:4, :4] = a
    aug[:4, 4] = b
    e = scipy.linalg.expm(aug * dx / V)
    return e[:4, :4], e[:4, 4]


@pytest.mark.parametrize("dx", [0.01, 0.05, 0.1, 0.25, 0.5, 1.0])
def test_golden_car_matches_scipy_expm(dx: float) -> None:
    st_, pr = roughness.golden_car(dx)
    st_ref, pr_ref = scipy_step(dx)
    np.testing.assert_allclose(st_, st_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pr, pr_ref, rtol=1e-12)
    # and the textbook form PR = A⁻¹(ST − I)B (cancellation in ST − I costs digits at small dx)
    a, b = roughness.golden_car_state_space()
    np.testing.assert_allclose(pr, np.linalg.solve(a, (st_ref - np.eye(4)) @ b), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.floats(0.01, 40.0), st.integers(0, 2**32 - 1))
def test_expm_matches_scipy_on_random_matrices(n: int, norm: float, seed: int) -> None:
    m = np.random.default_rng(seed).normal(0, 1, (n, n))
    m *= norm / np.max(np.sum(np.abs(m), axis=0))
    want = scipy.linalg.expm(m)
    np.testing.assert_allclose(
        roughness.expm(m), want, rtol=1e-10, atol=1e-12 * np.max(np.abs(want))
    )


# ---------------------------------------------------------------- the loop against Python


def reference_rectified(y: np.ndarray, dx: float) -> np.ndarray:
    """ASTM E1926 in plain Python: 250 mm slopes, 11 m start, ST·z + PR·slope, |z1 − z3|."""
    st_, pr = scipy_step(dx)
    k = max(1, round(0.25 / dx))
    j = min(max(1, round(11.0 / dx)), len(y) - 1)
    z = [(y[j] - y[0]) / (j * dx), 0.0, (y[j] - y[0]) / (j * dx), 0.0]
    s = st_.tolist()
    p = pr.tolist()
    out = []
    for i in range(len(y) - k):
        slope = (y[i + k] - y[i]) / (k * dx)
        z = [sum(s[r][c] * z[c] for c in range(4)) + p[r] * slope for r in range(4)]
        out.append(abs(z[0] - z[2]))
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 400),
    st.sampled_from([0.05, 0.1, 0.125, 0.25, 0.3, 0.5]),
    st.floats(1e-4, 0.05),
    st.integers(0, 2**32 - 1),
)
def test_compiled_loop_matches_python_reference(n: int, dx: float, rough: float, seed: int) -> None:
    y = np.cumsum(np.random.default_rng(seed).normal(0, rough, n))
    got = roughness.quarter_car_rectified(y, dx)
    if n <= roughness.slope_steps(dx):
        assert got.shape == (0,)
        return
    ref = reference_rectified(y, dx)
    # rounding scales with the profile's slopes (m/m), not with the rectified values: where
    # the reference gives exactly 0 the kernel may give a few ulps of the slope instead
    slope_scale = float(np.max(np.abs(np.diff(y)))) / dx if n > 1 else 0.0
    atol = 1e-9 * max(float(np.max(ref)), slope_scale, 1e-6)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=atol)


# ---------------------------------------------------------------- zero and sinusoids


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from([0.05, 0.1, 0.25, 0.5]),
    st.floats(-0.1, 0.1),
    st.floats(-10, 10),
    st.integers(50, 3000),
)
def test_flat_and_constant_grade_give_zero(dx: float, grade: float, height: float, n: int) -> None:
    y = height + grade * dx * np.arange(n)
    assert abs(roughness.iri_m_per_km(y, dx)) < 1e-9
    assert abs(roughness.iri_m_per_km(np.full(n, height), dx)) == 0.0


def analytic_iri(wavelength_m: float, amplitude_m: float, dx: float) -> float:
    """Steady-state IRI of a sinusoidal profile, from the continuous state-space model.

    The 250 mm base turns ``Y sin(2πx/λ)`` into a slope sinusoid of amplitude
    ``(2Y/b)|sin(πb/λ)|`` (b = k·dx the actual base); at 80 km/h its angular frequency is
    ``ω = 2πV/λ``; ``H(jω) = C (jωI − A)⁻¹ B`` with ``C = [1, 0, −1, 0]`` is the response of
    ``z1 − z3``; a rectified sine averages ``2/π`` of its amplitude.
    """
    a, b = roughness.golden_car_state_space()
    omega = 2 * math.pi * V / wavelength_m
    h = np.array([1.0, 0.0, -1.0, 0.0]) @ np.linalg.solve(1j * omega * np.eye(4) - a, b)
    base = roughness.slope_steps(dx) * dx
    slope_amplitude = 2 * amplitude_m / base * abs(math.sin(math.pi * base / wavelength_m))
    return 2 / math.pi * abs(h) * slope_amplitude * 1000.0


@pytest.mark.parametrize(
    ("wavelength_m", "dx"),
    [(1.0, 0.05), (2.0, 0.05), (5.0, 0.05), (10.0, 0.05), (20.0, 0.05), (50.0, 0.05),
     (5.0, 0.25), (10.0, 0.25), (20.0, 0.25)],
)  # fmt: skip
def test_sinusoid_matches_the_analytic_steady_state_response(
    wavelength_m: float, dx: float
) -> None:
    amplitude = 0.005
    x = np.arange(0.0, 400.0 + dx / 2, dx)
    rect = roughness.quarter_car_rectified(amplitude * np.sin(2 * np.pi * x / wavelength_m), dx)
    # after 150 m the transients of the start are gone; average whole half-wavelengths
    half = round(wavelength_m / 2 / dx)
    settled = rect[round(150 / dx) :]
    settled = settled[settled.size - settled.size // half * half :]
    simulated = float(np.mean(settled)) * 1000.0
    assert simulated == pytest.approx(analytic_iri(wavelength_m, amplitude, dx), rel=0.01)


def test_known_magnitude_of_a_rough_profile() -> None:
    """A 5 m sinusoid of 5 mm: about 4.65 m/km (poor), fed through the public function."""
    x = np.arange(0.0, 1000.0, 0.05)
    iri = roughness.iri_m_per_km(0.005 * np.sin(2 * np.pi * x / 5.0), 0.05)
    assert iri == pytest.approx(analytic_iri(5.0, 0.005, 0.05), rel=0.01)
    assert iri > 2.68


# ---------------------------------------------------------------- per segment


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 3000),
    st.sampled_from([(0.25, 10.0), (0.25, 100.0), (0.05, 10.0), (0.1, 2.5)]),
    st.integers(0, 40),
    st.integers(0, 2**32 - 1),
)
def test_iri_per_segment_groups_the_steps(
    n: int, spacing: tuple[float, float], first_steps: int, seed: int
) -> None:
    dx, seg_m = spacing
    y = np.cumsum(np.random.default_rng(seed).normal(0, 0.002, n))
    first_m = first_steps * dx
    iri, steps = roughness.iri_segments_m_per_km(y, dx, seg_m, first_m=first_m)
    rect = roughness.quarter_car_rectified(y, dx)
    if rect.size == 0:
        assert iri.shape == (0,) and steps.shape == (0,)
        return
    seg = (first_steps + np.arange(rect.size)) // round(seg_m / dx)
    ref_steps = np.bincount(seg)
    np.testing.assert_array_equal(steps, ref_steps)
    with np.errstate(invalid="ignore"):
        ref = np.bincount(seg, weights=rect) / ref_steps * 1000
    np.testing.assert_allclose(iri, ref, rtol=1e-12)
    overall = np.nansum(iri * steps) / steps.sum()
    assert overall == pytest.approx(roughness.iri_m_per_km(y, dx), rel=1e-12)


def test_iri_edge_cases() -> None:
    assert math.isnan(roughness.iri_m_per_km([], 0.25))
    assert math.isnan(roughness.iri_m_per_km([0.0], 0.25))
    assert roughness.quarter_car_rectified([0.0, 0.001], 0.25).shape == (1,)
    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(0.0, 0.001, 200))
    y[50] = np.nan  # documented: only the steps whose slope base holds it are NaN
    rect = roughness.quarter_car_rectified(y, 0.25)
    assert np.flatnonzero(np.isnan(rect)).tolist() == [49, 50]
    # each finite run is a profile of its own: the car restarts after the NaN
    np.testing.assert_array_equal(rect[:49], roughness.quarter_car_rectified(y[:50], 0.25))
    np.testing.assert_array_equal(rect[51:], roughness.quarter_car_rectified(y[51:], 0.25))
    with pytest.raises(ValueError, match="multiple of dx_m"):
        roughness.iri_segments_m_per_km(np.zeros(100), 0.3, 10.0)
    with pytest.raises(ValueError, match="positive"):
        roughness.golden_car(0.0)


# ---------------------------------------------------------------- accelerometer index


def reference_accel_index(
    az_g: np.ndarray, d: np.ndarray, v: np.ndarray, sos: np.ndarray, alpha: float, vmin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SciPy high-pass from steady state, then per-10 m RMS and mean speed with bincount."""
    a = az_g * 9.80665
    high, _ = signal.sosfilt(sos, a, zi=signal.sosfilt_zi(sos) * a[0])
    keep = v >= vmin
    seg = np.floor(d / 10.0).astype(np.int64)
    n = int(seg.max()) + 1
    count = np.bincount(seg[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(np.bincount(seg[keep], weights=high[keep] ** 2, minlength=n) / count)
        speed = np.bincount(seg[keep], weights=v[keep], minlength=n) / count
        return rms / speed**alpha, rms, speed, count


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 3000), st.floats(0.5, 2.0), st.integers(0, 2**32 - 1))
def test_accel_index_matches_scipy_and_bincount(n: int, alpha: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = np.clip(rng.normal(8, 4, n), 0, None)
    d = np.cumsum(v * 0.01)
    az = 1.0 + rng.normal(0, 0.05, n)
    sos = signal.butter(4, 0.5, btype="highpass", fs=100.0, output="sos")
    got = roughness.accel_roughness(az, d, v, sos, alpha=alpha, min_speed_mps=3.0)
    index, rms, speed, count = reference_accel_index(az, d, v, sos, alpha, 3.0)
    np.testing.assert_array_equal(got.count, count)
    # absolute part: 1e-9 of the input's scale (~10 m/s²), the rounding of a steady-state
    # start where the high-passed output is near zero
    np.testing.assert_allclose(got.rms_mps2, rms, rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(got.mean_speed_mps, speed, rtol=1e-12)
    np.testing.assert_allclose(got.index, index, rtol=1e-9, atol=1e-8)


def test_accel_index_grows_with_roughness_and_is_speed_normalised() -> None:
    """Same road, twice the speed and (to first order) twice the RMS: same index."""
    rng = np.random.default_rng(1)
    sos = signal.butter(4, 0.5, btype="highpass", fs=100.0, output="sos")
    n = 20_000
    base = rng.normal(0, 0.02, n)
    slow = roughness.accel_roughness(1 + base, np.arange(n) * 0.05, np.full(n, 5.0), sos)
    fast = roughness.accel_roughness(1 + 2 * base, np.arange(n) * 0.1, np.full(n, 10.0), sos)
    assert np.nanmedian(fast.index) == pytest.approx(np.nanmedian(slow.index), rel=0.1)
    rough = roughness.accel_roughness(1 + 3 * base, np.arange(n) * 0.05, np.full(n, 5.0), sos)
    assert np.nanmedian(rough.index) > 2.5 * np.nanmedian(slow.index)


def test_accel_index_leaves_out_slow_and_masked_samples() -> None:
    sos = signal.butter(2, 0.5, btype="highpass", fs=100.0, output="sos")
    d = np.arange(2000) * 0.01  # 20 m
    v = np.where(d < 10, 1.0, 6.0)
    got = roughness.accel_roughness(np.ones(2000), d, v, sos)
    assert got.count.tolist() == [0, 1000]
    assert np.isnan(got.index[0]) and got.index[1] == pytest.approx(0.0, abs=1e-12)
    masked = roughness.accel_roughness(np.ones(2000), d, v, sos, mask=d < 15)
    assert masked.count.tolist() == [0, 500]
    empty = roughness.accel_roughness([], [], [], sos)
    assert empty.index.shape == (0,)


def test_calibration_fit_recovers_a_line_and_ignores_nan() -> None:
    index = np.array([0.1, 0.2, 0.35, 0.5, np.nan])
    iri = 6.0 * index + 0.4
    iri[4] = 3.0
    a, b, r2 = roughness.fit_calibration(index, iri)
    assert (a, b, r2) == (pytest.approx(6.0), pytest.approx(0.4), pytest.approx(1.0))
    np.testing.assert_allclose(roughness.calibrated_iri([0.25], a, b), [1.9])
    noisy = iri[:4] + np.array([0.05, -0.05, 0.05, -0.05])
    a2, b2, r2b = roughness.fit_calibration(index[:4], noisy)
    ref = np.polyfit(index[:4], noisy, 1)
    assert (a2, b2) == (pytest.approx(ref[0]), pytest.approx(ref[1]))
    assert 0.9 < r2b < 1.0
    with pytest.raises(ValueError, match="two reference sections"):
        roughness.fit_calibration([0.1, 0.1], [1.0, 2.0])
