"""Track length kernel: the compiled haversine loop against a vectorised NumPy reference."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from rich.console import Console

from bench.common import Figure, stopwatch
from ext.geodesy import EARTH_RADIUS_M, cumulative_distance_m

FloatArray = npt.NDArray[np.float64]

HZ = 10
HOURS = 8
FIXES = HZ * 3600 * HOURS  # 288,000
START = (47.39, 0.69)  # Tours
REPEATS = 15
RTOL = 1e-6
ATOL_M = 1e-6

console = Console()


def track(fixes: int = FIXES, seed: int = 20250106) -> tuple[FloatArray, FloatArray]:
    """A delivery round's 10 Hz GNSS track: speed around 18 km/h with stops, drifting fix error."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / HZ
    kicks = rng.normal(0.0, 1.0, (3, fixes))
    speed = np.empty(fixes)  # m/s: Ornstein-Uhlenbeck around 5 m/s, clipped at 0 (stops)
    north_err = np.empty(fixes)  # m: slowly drifting fix error (AR(1), about 1 m)
    east_err = np.empty(fixes)
    v = n_err = e_err = 0.0
    for i in range(fixes):
        v = min(max(v + 0.05 * (5.0 - v) * dt + 1.5 * math.sqrt(dt) * kicks[0, i], 0.0), 25.0)
        n_err = 0.999 * n_err + 0.045 * kicks[1, i]
        e_err = 0.999 * e_err + 0.045 * kicks[2, i]
        speed[i], north_err[i], east_err[i] = v, n_err, e_err
    heading = np.cumsum(rng.normal(0.0, 0.02, fixes))  # radians, gently winding roads
    north_m = np.cumsum(speed * dt * np.cos(heading)) + north_err
    east_m = np.cumsum(speed * dt * np.sin(heading)) + east_err
    lat = START[0] + np.degrees(north_m / EARTH_RADIUS_M)
    lon = START[1] + np.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(START[0]))))
    return np.ascontiguousarray(lat), np.ascontiguousarray(lon)


def numpy_cumulative_distance_m(lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
    """Reference: the same haversine, vectorised with NumPy (cosines computed once per fix)."""
    phi = np.radians(lat_deg)
    cos_phi = np.cos(phi)
    s_dphi = np.sin(np.diff(phi) * 0.5)
    s_dlmb = np.sin(np.radians(np.diff(lon_deg)) * 0.5)
    h = np.minimum(s_dphi * s_dphi + cos_phi[:-1] * cos_phi[1:] * s_dlmb * s_dlmb, 1.0)
    out = np.empty_like(lat_deg)
    out[0] = 0.0
    np.cumsum(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)), out=out[1:])
    return out


def best_seconds(
    kernel: Callable[[FloatArray, FloatArray], FloatArray], lat: FloatArray, lon: FloatArray
) -> float:
    """Fastest of ``REPEATS`` calls (after a warm-up call): the kernel's cost without noise."""
    kernel(lat, lon)
    gc.collect()
    best = math.inf
    for _ in range(REPEATS):
        with stopwatch() as elapsed:
            kernel(lat, lon)
        best = min(best, elapsed())
    return best


def run() -> list[Figure]:
    """Cumulative distance along an 8-hour 10 Hz track, both ways; checks that they agree."""
    lat, lon = track()
    compiled = cumulative_distance_m(lat, lon)
    reference = numpy_cumulative_distance_m(lat, lon)
    if not np.allclose(compiled, reference, rtol=RTOL, atol=ATOL_M):
        worst = float(np.max(np.abs(compiled - reference) / np.maximum(np.abs(reference), 1.0)))
        raise RuntimeError(
            f"cumulative_distance_m disagrees with NumPy (worst relative {worst:.3g})"
        )
    console.print(
        f"  kernels: {FIXES:,} fixes, {compiled[-1] / 1000:.1f} km, agree within "
        f"{float(np.max(np.abs(compiled - reference))):.2g} m; best of {REPEATS}…"
    )
    compiled_s = best_seconds(cumulative_distance_m, lat, lon)
    numpy_s = best_seconds(numpy_cumulative_distance_m, lat, lon)
    console.print(f"    Cython {compiled_s * 1e3:.2f} ms, NumPy {numpy_s * 1e3:.2f} ms")
    return [
        Figure(
            name=f"track length, haversine ({FIXES:,} fixes)",
            value=FIXES / compiled_s,
            anchor=FIXES / numpy_s,
            unit="fixes/s",
            anchor_label="NumPy vectorised haversine + cumsum",
        )
    ]
