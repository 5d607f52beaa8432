# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Road roughness: the International Roughness Index (ASTM E1926) and an accelerometer index.

**IRI.** The "Golden Car" quarter car (K1 = 653 s⁻², K2 = 63.3 s⁻², C = 6.0 s⁻¹, U = 0.15)
driven at 80 km/h over a longitudinal profile sampled every ``dx_m`` metres. With the
state ``z = [z1, z2, z3, z4]`` (sprung mass slope and rate, unsprung mass slope and rate)
the exact step over ``dx_m`` is ``z ← ST·z + PR·slope`` with ``ST = exp(A·dt)`` and
``PR = A⁻¹(ST − I)·B``, ``dt = dx_m / V``. The input is the profile's slope over a 250 mm
base; the state starts at the mean slope of the first 11 m; the IRI is the mean of
``|z1 − z3|`` (m/m), × 1000 to read m/km. ``golden_car`` computes ST and PR with NumPy (a
scaling-and-squaring series of the augmented matrix ``[[A, B], [0, 0]]``, which gives both
at once without inverting A); the loop over the profile is compiled.

**Accelerometer index.** A van has no profiler: ``accel_roughness`` gives the RMS of the
high-passed vertical acceleration per segment divided by ``speed ** alpha``, a
response-type index that ``fit_calibration`` maps to IRI from reference sections.

**NaN.** A NaN height or acceleration affects only the segments it falls in: the quarter
car and the high-pass restart (as at the start of a profile) on the finite run after it.
Parameters are checked finite and in range (``ValueError``), sizes before allocating.
"""

from libc.math cimport INFINITY, NAN, fabs

import numpy as np

from ext.filters import sosfilt, sosfilt_zi
from ext.segments import checked_groups, segment_stats


def _positive(double value, name):
    if not 0.0 < value < INFINITY:
        raise ValueError(f"{name} must be positive and finite, not {value}")
    return value


def _finite_runs(values):
    """``(start, stop)`` of each run of finite values."""
    finite = np.isfinite(values)
    edges = np.flatnonzero(np.diff(np.concatenate(([False], finite, [False])).astype(np.int8)))
    return edges.reshape(-1, 2)

GOLDEN_CAR_K1 = 653.0  # tyre spring / sprung mass, s⁻²
GOLDEN_CAR_K2 = 63.3  # suspension spring / sprung mass, s⁻²
GOLDEN_CAR_C = 6.0  # damper / sprung mass, s⁻¹
GOLDEN_CAR_U = 0.15  # unsprung mass / sprung mass
GOLDEN_CAR_SPEED_MPS = 80.0 / 3.6  # 80 km/h: the simulation speed of the IRI
SLOPE_BASE_M = 0.25  # moving-average base of the profile (ASTM E1926)
START_LENGTH_M = 11.0  # the state starts at the mean slope over this length
STANDARD_GRAVITY_MPS2 = 9.80665


def golden_car_state_space():
    """``(A, B)`` of the Golden Car: ``dz/dt = A·z + B·slope`` (z1..z4 as in the module doc)."""
    k1, k2, c, u = GOLDEN_CAR_K1, GOLDEN_CAR_K2, GOLDEN_CAR_C, GOLDEN_CAR_U
    a = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [-k2, -c, k2, c],
            [0.0, 0.0, 0.0, 1.0],
            [k2 / u, c / u, -(k1 + k2) / u, -c / u],
        ]
    )
    b = np.array([0.0, 0.0, 0.0, k1 / u])
    return a, b


def expm(m):
    """Matrix exponential by scaling and squaring of a Taylor series (NumPy, float64).

    The matrix is halved until its 1-norm is at most 1/2, the series summed to machine
    precision (at most 30 terms), then squared back. Accurate to a few ulps times the
    number of squarings for the small, well-scaled matrices used here.
    """
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"expm needs a square matrix, not one of shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError("expm needs a finite matrix")
    norm = float(np.max(np.sum(np.abs(m), axis=0))) if m.size else 0.0
    if norm > 2.0**60:
        raise ValueError(f"expm: the matrix's norm {norm:.3g} is too large for float64")
    squarings = max(0, int(np.ceil(np.log2(norm / 0.5)))) if norm > 0.5 else 0
    scaled = m / (2.0 ** squarings)
    result = np.eye(m.shape[0])
    term = np.eye(m.shape[0])
    for k in range(1, 31):
        term = term @ scaled / k
        result = result + term
        if np.max(np.abs(term)) <= 1e-17 * np.max(np.abs(result)):
            break
    for _ in range(squarings):
        result = result @ result
    return result


def golden_car(double dx_m, double speed_mps=GOLDEN_CAR_SPEED_MPS):
    """``(ST, PR)``: the exact step of the Golden Car over ``dx_m`` metres at ``speed_mps``.

    ``ST`` (4, 4) and ``PR`` (4,), float64; ``PR`` multiplies a slope in m/m. From
    ``exp([[A, B], [0, 0]]·dt) = [[ST, PR], [0, 1]]`` with ``dt = dx_m / speed_mps`` s.
    """
    _positive(dx_m, "dx_m")
    _positive(speed_mps, "speed_mps")
    a, b = golden_car_state_space()
    aug = np.zeros((5, 5))
    aug[:4, :4] = a
    aug[:4, 4] = b
    try:
        with np.errstate(all="ignore"):
            e = expm(aug * (dx_m / speed_mps))
    except ValueError:
        e = np.full((5, 5), np.nan)
    if not np.isfinite(e).all():
        raise ValueError(f"a step of {dx_m} m at {speed_mps} m/s is too long for the Golden Car")
    return np.ascontiguousarray(e[:4, :4]), np.ascontiguousarray(e[:4, 4])


def slope_steps(double dx_m, double base_m=SLOPE_BASE_M):
    """Profile points in the slope base: ``k = max(1, round(base_m / dx_m))``."""
    _positive(dx_m, "dx_m")
    _positive(base_m, "base_m")
    k = base_m / dx_m
    if k > 1e6:
        raise ValueError(f"a slope base of {base_m} m holds too many points of {dx_m} m")
    return max(1, int(round(k)))


def profile_slopes(profile_m, double dx_m, double base_m=SLOPE_BASE_M):
    """Slopes of the profile over the base (m/m): ``(y[i+k] − y[i]) / (k·dx_m)``.

    The 250 mm moving average of the profile's point-to-point slopes, ``n − k`` values.
    """
    y = _profile(profile_m)
    k = slope_steps(dx_m, base_m)
    if y.shape[0] <= k:
        return np.empty(0)
    return (y[k:] - y[: y.shape[0] - k]) / (k * dx_m)


def _profile(profile_m):
    try:
        y = np.require(np.asarray(profile_m, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError("profile_m must be an array of numbers") from None
    if y.ndim != 1:
        raise ValueError(f"profile_m must be one-dimensional, not of shape {y.shape}")
    return y


cdef void _run(const double[::1] slope, const double[:, ::1] st, const double[::1] pr,
               double[::1] z, double[::1] rect) noexcept nogil:
    """The quarter car over the slopes: ``z ← ST·z + PR·s``, ``rect[i] = |z1 − z3|``."""
    cdef double s00 = st[0, 0], s01 = st[0, 1], s02 = st[0, 2], s03 = st[0, 3]
    cdef double s10 = st[1, 0], s11 = st[1, 1], s12 = st[1, 2], s13 = st[1, 3]
    cdef double s20 = st[2, 0], s21 = st[2, 1], s22 = st[2, 2], s23 = st[2, 3]
    cdef double s30 = st[3, 0], s31 = st[3, 1], s32 = st[3, 2], s33 = st[3, 3]
    cdef double p0 = pr[0], p1 = pr[1], p2 = pr[2], p3 = pr[3]
    cdef double z1 = z[0], z2 = z[1], z3 = z[2], z4 = z[3], n1, n2, n3, n4, s
    cdef Py_ssize_t i
    for i in range(slope.shape[0]):
        s = slope[i]
        n1 = s00 * z1 + s01 * z2 + s02 * z3 + s03 * z4 + p0 * s
        n2 = s10 * z1 + s11 * z2 + s12 * z3 + s13 * z4 + p1 * s
        n3 = s20 * z1 + s21 * z2 + s22 * z3 + s23 * z4 + p2 * s
        n4 = s30 * z1 + s31 * z2 + s32 * z3 + s33 * z4 + p3 * s
        z1 = n1
        z2 = n2
        z3 = n3
        z4 = n4
        rect[i] = fabs(z1 - z3)
    z[0] = z1
    z[1] = z2
    z[2] = z3
    z[3] = z4


def quarter_car_rectified(profile_m, double dx_m, double speed_mps=GOLDEN_CAR_SPEED_MPS,
                          double base_m=SLOPE_BASE_M, double start_m=START_LENGTH_M):
    """``|z1 − z3|`` (m/m) after each step of the Golden Car over a profile (heights in m,
    one every ``dx_m`` m): the rectified slope whose mean is the IRI.

    Start (ASTM E1926): ``z1 = z3 = (y[j] − y[0]) / (j·dx_m)`` with ``j = round(start_m /
    dx_m)`` (the whole profile when shorter), ``z2 = z4 = 0``. Returns ``n − k`` values
    (k: points in the slope base); empty when the profile is not longer than the base.

    NaN heights: each run of finite heights is a profile of its own (the car restarts on
    it); the values whose slope base holds a NaN are NaN, and only those.
    """
    y = _profile(profile_m)
    k = slope_steps(dx_m, base_m)
    _positive(start_m, "start_m")
    n_out = max(0, y.shape[0] - k)
    out = np.full(n_out, np.nan, dtype=np.float64)
    if n_out == 0:
        return out
    st, pr = golden_car(dx_m, speed_mps)
    for first, stop in _finite_runs(y).tolist():
        if stop - first > k:
            out[first : stop - k] = _quarter_car(y[first:stop], dx_m, k, start_m, st, pr)
    return out


def _quarter_car(y, double dx_m, Py_ssize_t k, double start_m, st, pr):
    """``|z1 − z3|`` over one finite profile (longer than the slope base)."""
    slopes = (y[k:] - y[: y.shape[0] - k]) / (k * dx_m)
    out = np.empty(slopes.shape[0], dtype=np.float64)
    j = min(max(1, int(round(min(start_m / dx_m, 1e9)))), y.shape[0] - 1)
    start = (y[j] - y[0]) / (j * dx_m)
    z = np.array([start, 0.0, start, 0.0])
    cdef const double[::1] s_ = slopes
    cdef const double[:, ::1] st_ = st
    cdef const double[::1] pr_ = pr
    cdef double[::1] z_ = z, r_ = out
    with nogil:
        _run(s_, st_, pr_, z_, r_)
    return out


def iri_m_per_km(profile_m, double dx_m, double speed_mps=GOLDEN_CAR_SPEED_MPS,
                 double base_m=SLOPE_BASE_M, double start_m=START_LENGTH_M):
    """International Roughness Index of a profile, m/km (NaN when shorter than the base);
    steps over a NaN height are left out of the mean (NaN when every step is)."""
    rect = quarter_car_rectified(profile_m, dx_m, speed_mps, base_m, start_m)
    rect = rect[~np.isnan(rect)]
    if rect.shape[0] == 0:
        return NAN
    return float(np.mean(rect)) * 1000.0


def iri_segments_m_per_km(profile_m, double dx_m, double segment_m, double first_m=0.0,
                          double speed_mps=GOLDEN_CAR_SPEED_MPS, double base_m=SLOPE_BASE_M,
                          double start_m=START_LENGTH_M):
    """IRI per fixed-length segment, m/km, and the number of quarter-car steps in each.

    Step ``i`` of the quarter car is placed at ``first_m + i·dx_m`` along the track
    (``first_m``: distance of ``profile_m[0]``, a multiple of ``dx_m``, e.g. the first grid
    point of ``segments.resample_to_grid``) and belongs to segment ``floor(position /
    segment_m)``, the same segments as ``segments.segment_stats``. Returns ``(iri, steps)``
    indexed by segment from 0 to the last one reached; segments without a step have IRI NaN
    and 0 steps. ``segment_m`` and ``first_m`` must be whole multiples of ``dx_m``. Steps
    over a NaN height are not counted (a segment with none left has IRI NaN).
    """
    _positive(segment_m, "segment_m")
    _positive(dx_m, "dx_m")
    if not 0.0 <= first_m < INFINITY:
        raise ValueError(f"first_m must be finite and not negative, not {first_m}")
    if segment_m / dx_m > 1e12 or first_m / dx_m > 1e15:
        raise ValueError(f"segment_m and first_m must be reasonable multiples of dx_m")
    per = int(round(segment_m / dx_m))
    offset = int(round(first_m / dx_m))
    if per < 1 or abs(per * dx_m - segment_m) > 1e-9 * segment_m:
        raise ValueError(f"segment_m ({segment_m}) must be a multiple of dx_m ({dx_m})")
    if offset < 0 or abs(offset * dx_m - first_m) > 1e-9 * max(first_m, segment_m):
        raise ValueError(f"first_m ({first_m}) must be a non-negative multiple of dx_m")
    rect = quarter_car_rectified(profile_m, dx_m, speed_mps, base_m, start_m)
    if rect.shape[0] == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    n_seg = checked_groups((offset + rect.shape[0] - 1) // per + 1)
    seg = (offset + np.arange(rect.shape[0], dtype=np.int64)) // per
    finite = ~np.isnan(rect)
    steps = np.bincount(seg[finite], minlength=n_seg).astype(np.int64)
    sums = np.bincount(seg[finite], weights=rect[finite], minlength=n_seg)
    with np.errstate(invalid="ignore", divide="ignore"):
        iri = np.where(steps > 0, sums / steps * 1000.0, np.nan)
    return iri, steps


# ---------------------------------------------------------------- accelerometer index


cdef class RoughnessIndex:
    """Accelerometer roughness per segment (arrays of shape ``(n_segments,)``).

    ``index``: ``rms_mps2 / mean_speed_mps ** alpha`` (for alpha = 1: s⁻¹); ``rms_mps2``:
    RMS of the high-passed vertical acceleration, m/s²; ``mean_speed_mps``: mean speed of
    the samples used, m/s; ``count``: samples used (valid and at least the minimum speed).
    NaN where no sample was used.
    """

    cdef readonly object index, rms_mps2, mean_speed_mps, count
    cdef readonly double alpha, segment_m


def accel_roughness(az_g, distance_m, speed_mps, sos, double segment_m=10.0,
                    n_segments=None, double alpha=1.0, double min_speed_mps=3.0, mask=None,
                    high_mps2=None):
    """Speed-normalised RMS of high-passed vertical acceleration per segment.

    ``az_g``: vertical acceleration, g (gravity included; converted to m/s² with
    9.80665 m/s²/g); ``distance_m`` and ``speed_mps``: each sample's distance along the
    track and speed (interpolated from GNSS); ``sos``: the high-pass (e.g. Butterworth,
    order 4, 0.5–1 Hz), started in steady state on the first sample so the 1 g offset does
    not ring. Samples slower than ``min_speed_mps`` (the response of a stopped van says
    nothing of the road) or masked out are left out of both RMS and mean speed.

    Normalisation: the vertical response of a vehicle on a given road grows roughly in
    proportion to speed over the usual 20–70 km/h, so ``alpha = 1`` (default) makes the
    index comparable between passes at different speeds; ``alpha`` is a parameter so a
    calibration can choose another exponent.

    A NaN acceleration is left out, and the high-pass restarts in steady state on the next
    finite sample: only the segment it falls in loses it.

    ``high_mps2``: the high-passed acceleration already computed by ``highpass_mps2`` (the
    same ``az_g`` and ``sos``), to bin one signal at several segmentations without filtering
    it again.
    """
    try:
        az = np.require(np.asarray(az_g, dtype=np.float64), requirements="C")
        v = np.require(np.asarray(speed_mps, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError("az_g and speed_mps must be arrays of numbers") from None
    if az.ndim != 1 or v.shape != az.shape:
        raise ValueError(f"az_g and speed_mps must be 1-D of one length: {az.shape}, {v.shape}")
    if not -INFINITY < alpha < INFINITY or min_speed_mps != min_speed_mps:
        raise ValueError(f"alpha and min_speed_mps must be numbers, not {alpha}, {min_speed_mps}")
    if high_mps2 is None:
        high = highpass_mps2(az, sos)
    else:
        high = np.asarray(high_mps2, dtype=np.float64)
        if high.shape != az.shape:
            raise ValueError(f"high_mps2 must have the shape of az_g: {high.shape}, {az.shape}")
    valid = v >= min_speed_mps
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    acc_stats = segment_stats(distance_m, high, segment_m, n_segments, mask=valid)
    speed_stats = segment_stats(distance_m, v, segment_m, acc_stats.count.shape[0],
                                mask=valid & ~np.isnan(high))
    out = RoughnessIndex()
    out.rms_mps2 = acc_stats.rms
    out.mean_speed_mps = speed_stats.mean
    out.count = acc_stats.count
    with np.errstate(invalid="ignore", divide="ignore"):
        out.index = acc_stats.rms / speed_stats.mean ** alpha
    out.alpha = alpha
    out.segment_m = segment_m
    return out


def highpass_mps2(az_g, sos):
    """Vertical acceleration (g, gravity included) in m/s², high-passed by ``sos`` started in
    steady state on the first sample of each run of finite samples (so the 1 g offset does not
    ring); a NaN stays NaN and the filter restarts after it."""
    accel = np.ascontiguousarray(az_g, dtype=np.float64) * STANDARD_GRAVITY_MPS2
    high = np.full(accel.shape[0], np.nan)
    zi = sosfilt_zi(sos)
    for first, stop in _finite_runs(accel).tolist():
        high[first:stop] = sosfilt(sos, accel[first:stop], zi * accel[first])[0]
    return high


def fit_calibration(index, iri_m_per_km):
    """Least-squares line ``IRI = a·index + b`` from reference sections.

    Returns ``(a, b, r2)``; pairs with a NaN or an infinity are ignored; at least two distinct indices are
    needed. ``r2`` is the coefficient of determination of the fit.
    """
    try:
        x = np.asarray(index, dtype=np.float64).ravel()
        y = np.asarray(iri_m_per_km, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError("index and iri_m_per_km must be numbers") from None
    if x.shape != y.shape:
        raise ValueError(f"index has {x.shape[0]} values but iri_m_per_km has {y.shape[0]}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.shape[0] < 2 or np.ptp(x) == 0:
        raise ValueError("the calibration needs at least two reference sections of different index")
    design = np.column_stack([x, np.ones_like(x)])
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - (a * x + b)
    spread = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(residual**2)) / spread if spread > 0 else 1.0
    return float(a), float(b), r2


def calibrated_iri(index, double a, double b):
    """Estimated IRI, m/km, from the accelerometer index and a calibration ``(a, b)``."""
    return a * np.asarray(index, dtype=np.float64) + b
