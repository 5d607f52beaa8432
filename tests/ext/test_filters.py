"""The biquad cascade (ext.filters) against scipy.signal.sosfilt."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from ext import filters


def butter_highpass(order: int, cutoff_hz: float, rate_hz: float) -> np.ndarray:
    """A Butterworth high-pass as second-order sections (SciPy designs, the kernel runs)."""
    return signal.butter(order, cutoff_hz, btype="highpass", fs=rate_hz, output="sos")


def assert_close(got: np.ndarray, want: np.ndarray, scale: float | None = None) -> None:
    """1e-9 relative, and 1e-9 of ``scale`` (default: the largest |want|) absolute, since an
    output near zero (a high-pass in steady state) carries rounding of the input's size."""
    if scale is None:
        scale = float(np.max(np.abs(want))) if np.size(want) else 0.0
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * max(scale, 1e-300))


designs = st.one_of(
    st.tuples(st.just("highpass"), st.integers(1, 8), st.floats(0.01, 0.45)),
    st.tuples(st.just("lowpass"), st.integers(1, 8), st.floats(0.01, 0.45)),
    st.tuples(st.just("bandpass"), st.integers(1, 4), st.floats(0.02, 0.2)),
)


def design(kind: str, order: int, w: float) -> np.ndarray:
    if kind == "bandpass":
        return signal.butter(order, [w, 2 * w], btype="bandpass", output="sos")
    return signal.butter(order, w, btype=kind, output="sos")


@settings(max_examples=150, deadline=None)
@given(designs, st.integers(1, 3000), st.integers(0, 2**32 - 1))
def test_sosfilt_matches_scipy_on_random_signals(
    spec: tuple[str, int, float], n: int, seed: int
) -> None:
    sos = design(*spec)
    x = np.random.default_rng(seed).normal(1.0, 0.3, n)
    assert_close(filters.sosfilt(sos, x), signal.sosfilt(sos, x))


@settings(max_examples=100, deadline=None)
@given(designs, st.integers(1, 2000), st.integers(0, 2**32 - 1), st.data())
def test_sosfilt_with_state_matches_scipy_and_chains_chunks(
    spec: tuple[str, int, float], n: int, seed: int, data: st.DataObject
) -> None:
    sos = design(*spec)
    x = np.random.default_rng(seed).normal(1.0, 0.3, n)
    zi = filters.sosfilt_zi(sos) * x[0]
    y, zf = filters.sosfilt(sos, x, zi)
    y_ref, zf_ref = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])
    scale = float(np.max(np.abs(x)))
    assert_close(y, y_ref, scale)
    assert_close(zf, zf_ref, scale)
    cut = data.draw(st.integers(0, n))
    y1, z1 = filters.sosfilt(sos, x[:cut], zi)
    y2, z2 = filters.sosfilt(sos, x[cut:], z1)
    np.testing.assert_array_equal(np.concatenate([y1, y2]), y)
    np.testing.assert_array_equal(z2, zf)


@settings(max_examples=100, deadline=None)
@given(designs)
def test_sosfilt_zi_matches_scipy(spec: tuple[str, int, float]) -> None:
    sos = design(*spec)
    np.testing.assert_allclose(
        filters.sosfilt_zi(sos), signal.sosfilt_zi(sos), rtol=1e-9, atol=1e-12
    )


def test_fixed_case_vertical_acceleration_highpass() -> None:
    """100 Hz IMU, 4th-order 0.5 Hz high-pass, 1 g plus a 3 Hz bump: the kernel's use."""
    sos = butter_highpass(4, 0.5, 100.0)
    t = np.arange(6000) / 100.0
    az = 1.0 + 0.05 * np.sin(2 * np.pi * 3.0 * t)
    got = filters.sosfilt(sos, az)
    assert_close(got, signal.sosfilt(sos, az))
    started, _ = filters.sosfilt(sos, az, filters.sosfilt_zi(sos) * az[0])
    # started in steady state on 1 g, no offset ringing: only the 3 Hz part is left
    assert np.max(np.abs(started[3000:])) == pytest.approx(0.05, rel=0.02)
    assert np.max(np.abs(started)) < 0.06


def test_identity_section_and_a_pure_delay() -> None:
    x = np.arange(5.0)
    np.testing.assert_array_equal(filters.sosfilt([[1, 0, 0, 1, 0, 0]], x), x)
    np.testing.assert_array_equal(filters.sosfilt([[0, 0, 1, 1, 0, 0]], x), [0, 0, 0, 1, 2])


def test_empty_and_single_sample() -> None:
    sos = butter_highpass(2, 1.0, 100.0)
    assert filters.sosfilt(sos, np.empty(0)).shape == (0,)
    y, zf = filters.sosfilt(sos, np.empty(0), np.zeros((1, 2)))
    assert y.shape == (0,) and np.array_equal(zf, np.zeros((1, 2)))
    assert_close(filters.sosfilt(sos, [2.0]), signal.sosfilt(sos, [2.0]))


def test_nan_propagates_forward_only() -> None:
    sos = butter_highpass(2, 1.0, 100.0)
    x = np.ones(50)
    x[20] = np.nan
    y = filters.sosfilt(sos, x)
    assert np.all(np.isfinite(y[:20])) and np.all(np.isnan(y[20:]))


def test_input_is_not_modified_and_lists_are_accepted() -> None:
    sos = butter_highpass(2, 1.0, 100.0)
    x = np.linspace(0, 1, 30)
    before = x.copy()
    filters.sosfilt(sos, x)
    np.testing.assert_array_equal(x, before)
    assert_close(filters.sosfilt(sos.tolist(), list(x)), signal.sosfilt(sos, x))


def test_bad_coefficients_are_refused() -> None:
    with pytest.raises(ValueError, match="a0"):
        filters.sosfilt([[1, 0, 0, 2, 0, 0]], np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        filters.sosfilt([[1, 0, 0, 1, 0]], np.ones(3))
    with pytest.raises(ValueError, match="zi must have shape"):
        filters.sosfilt([[1, 0, 0, 1, 0, 0]], np.ones(3), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one-dimensional"):
        filters.sosfilt([[1, 0, 0, 1, 0, 0]], np.ones((3, 2)))
