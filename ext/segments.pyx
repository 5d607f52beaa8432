# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""From time to distance, and from samples to fixed-length road segments.

Sensors sample in time (IMU 100 Hz, particulates 1 Hz...), GNSS gives positions a few
times a second, and municipalities buy indicators per length of street. So:

1. ``interp`` places each sample along the track: the cumulative distance of the fixes
   (``ext.geodesy.cumulative_distance_m``) interpolated linearly at the sample's time
   (same rule as ``numpy.interp``);
2. ``resample_to_grid`` turns a signal known at increasing distances into one on a
   regular grid (for the IRI, which needs a profile every ``dx_m``);
3. ``segment_stats`` puts samples into segments of ``segment_m`` (10 m) by their distance
   and, in one pass, computes count, mean, RMS, min and max per segment — optionally per
   segment *and* sub-group (operator, road side) and only for valid samples;
   ``GroupStats.rollup`` adds 10 m segments up into 100 m ones.

Segment ``k`` covers distances ``[k·segment_m, (k+1)·segment_m)`` from the session's
first fix. A sample is left out (not counted anywhere) when its distance is NaN or
negative, its value is NaN, its sub-group is out of range, or its mask entry is false.

Boundary checks: every function checks shapes, lengths, parameters (finite and in range)
and the sizes it will allocate (at most ``MAX_GROUPS`` segments × sub-groups or grid points,
products overflow-checked) before touching memory, and raises ``ValueError`` naming the
argument. NaN semantics are stated per function (``interp``'s are NumPy's).
"""

from libc.math cimport INFINITY, NAN, floor, isnan, sqrt
from libc.stdint cimport int64_t, uint8_t

import math
import operator

import numpy as np


MAX_GROUPS = 1 << 22
"""Most segments × sub-groups (or grid points) a call may ask for: 4.2 M, i.e. 4,200 km of
1 m segments or 42,000 km of 10 m ones (a van covers a few hundred a day); more means an
absurd distance. The arrays of that many groups take about 300 MB."""


def _f64(a, name):
    try:
        arr = np.require(np.asarray(a, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not of shape {arr.shape}")
    return arr


def _positive(double value, name):
    """``value`` when finite and positive, else ValueError."""
    if not 0.0 < value < INFINITY:
        raise ValueError(f"{name} must be positive and finite, not {value}")
    return value


def _count(value, name, lowest=0):
    """A whole number of at least ``lowest`` (any integer type), else ValueError."""
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if n < lowest:
        raise ValueError(f"{name} must be at least {lowest}, not {n}")
    return n


def checked_groups(n_segments, n_sub=1):
    """``n_segments × n_sub`` when at most ``MAX_GROUPS`` (no overflow: Python integers)."""
    groups = n_segments * n_sub
    if groups > MAX_GROUPS:
        raise ValueError(
            f"{float(n_segments):.3g} segments × {n_sub} sub-groups exceed the {MAX_GROUPS} a call may "
            "allocate: a distance is absurd, or the segments too short"
        )
    return groups


def _mask_u8(mask, Py_ssize_t n):
    """A boolean mask as uint8 (all ones when None)."""
    if mask is None:
        return np.ones(n, dtype=np.uint8)
    arr = np.require(np.asarray(mask, dtype=np.bool_), requirements="C")
    if arr.shape != (n,):
        raise ValueError(f"mask must have shape {(n,)}, not {arr.shape}")
    return arr.view(np.uint8)


# ---------------------------------------------------------------- time → distance


cdef Py_ssize_t _bisect_right(const double[::1] xp, double x) noexcept nogil:
    """Number of ``xp`` values <= x (``xp`` sorted)."""
    cdef Py_ssize_t lo = 0, hi = xp.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def interp(x, xp, fp):
    """Piecewise-linear interpolation, the rule of ``numpy.interp`` (float64 arrays).

    ``xp`` must be increasing (fix times, s); ``fp`` the values there (cumulative distance,
    m); ``x`` the query points (sample times, s), in any order — sorted queries are found by
    walking forward, others by bisection. Before ``xp[0]`` the result is ``fp[0]``, after
    ``xp[-1]`` it is ``fp[-1]`` (a sample outside the fixes is pinned to the track's end:
    mask such samples if they matter).

    NaN, as NumPy: a NaN query gives NaN, a NaN in ``fp`` spreads to the queries between its
    neighbours. ``xp`` is checked (NumPy leaves it undefined): finite and non-decreasing,
    else ValueError.
    """
    xs = _f64(x, "x")
    xps = _f64(xp, "xp")
    fps = _f64(fp, "fp")
    if xps.shape[0] != fps.shape[0]:
        raise ValueError(f"xp has {xps.shape[0]} values but fp has {fps.shape[0]}")
    if xps.shape[0] == 0:
        raise ValueError("xp must not be empty")
    if not np.isfinite(xps).all():
        raise ValueError(f"xp must be finite: value {int(np.argmin(np.isfinite(xps)))} is not")
    if not (np.diff(xps) >= 0).all():
        raise ValueError("xp must be non-decreasing")
    if xps.shape[0] == 1:  # NumPy's rule for one point: fp[0] everywhere, NaN queries too
        return np.full(xs.shape[0], fps[0])
    out = np.empty(xs.shape[0], dtype=np.float64)
    cdef const double[::1] qx = xs, px = xps, pf = fps
    cdef double[::1] res = out
    cdef Py_ssize_t n = qx.shape[0], m = px.shape[0], i, j = 0, k
    cdef double v, slope
    with nogil:
        for i in range(n):
            v = qx[i]
            if isnan(v):
                res[i] = NAN
                continue
            if v >= px[m - 1]:
                res[i] = pf[m - 1]
                continue
            if v < px[0]:
                res[i] = pf[0]
                continue
            # j: last index with px[j] <= v. Sorted queries walk forward a few steps;
            # a query behind the last one or far ahead bisects.
            if px[j] > v:
                j = _bisect_right(px, v) - 1
            else:
                k = 0
                while px[j + 1] <= v:  # stops before m - 1 because v < px[m - 1]
                    j += 1
                    k += 1
                    if k == 8:
                        j = _bisect_right(px, v) - 1
                        break
            if px[j] == v:
                res[i] = pf[j]
                continue
            slope = (pf[j + 1] - pf[j]) / (px[j + 1] - px[j])
            res[i] = slope * (v - px[j]) + pf[j]
            if isnan(res[i]):  # as numpy: infinite slope, try from the right end
                res[i] = slope * (v - px[j + 1]) + pf[j + 1]
                if isnan(res[i]) and pf[j] == pf[j + 1]:
                    res[i] = pf[j]
    return out


def resample_to_grid(distance_m, values, double dx_m):
    """A signal known at non-decreasing distances, on the grid ``k·dx_m`` (metres).

    Returns ``(grid_m, resampled)`` for every multiple of ``dx_m`` between the first and
    last distance, inclusive. Each grid point is interpolated linearly between the last
    sample at or before it and the next one, so samples taken while stopped (same distance)
    do not make the division by zero ``numpy.interp`` would hit: the last of them is used.
    """
    d = _f64(distance_m, "distance_m")
    vals = _f64(values, "values")
    if d.shape[0] != vals.shape[0]:
        raise ValueError(f"distance_m has {d.shape[0]} values but values has {vals.shape[0]}")
    _positive(dx_m, "dx_m")
    if d.shape[0] == 0:
        return np.empty(0), np.empty(0)
    if not np.isfinite(d).all() or np.any(np.diff(d) < 0):
        raise ValueError("distance_m must be finite and non-decreasing")
    first_f = np.ceil(d[0] / dx_m)
    last_f = np.floor(d[d.shape[0] - 1] / dx_m)
    if not (np.isfinite(first_f) and np.isfinite(last_f)):  # a tiny step over a long span
        raise ValueError(f"the grid step dx_m={dx_m!r} is too small for this span of distances")
    first, last = int(first_f), int(last_f)
    checked_groups(max(0, last + 1 - first))
    grid = np.arange(first, last + 1, dtype=np.float64) * dx_m
    out = np.empty(grid.shape[0], dtype=np.float64)
    cdef const double[::1] px = d, pf = vals, g = grid
    cdef double[::1] res = out
    cdef Py_ssize_t m = px.shape[0], i, j = 0
    cdef double v
    with nogil:
        for i in range(g.shape[0]):
            v = g[i]
            while j + 1 < m and px[j + 1] <= v:
                j += 1
            if v < px[0]:  # k·dx_m rounded just below the first distance
                res[i] = pf[0]
            elif j + 1 >= m or px[j] == v:
                res[i] = pf[j]
            else:
                res[i] = pf[j] + (pf[j + 1] - pf[j]) * ((v - px[j]) / (px[j + 1] - px[j]))
    return grid, out


# ---------------------------------------------------------------- segments


cdef class GroupStats:
    """Statistics of samples per segment (and sub-group): arrays of shape ``(n_segments,)``
    or ``(n_segments, n_sub)``.

    ``count`` int64; ``total`` (sum), ``sum_sq`` (sum of squares), ``mean``, ``rms``
    (sqrt of the mean square), ``min``, ``max`` float64 in the values' unit. Empty groups
    have count 0, total and sum_sq 0, and NaN for mean, rms, min and max.
    """

    cdef readonly object count, total, sum_sq, mean, rms, min, max
    cdef readonly double segment_m
    cdef readonly Py_ssize_t n_sub
    cdef readonly bint by_sub

    def rollup(self, Py_ssize_t factor):
        """Statistics of segments ``factor`` times longer (10 m × 10 → 100 m).

        Counts, sums, minima and maxima add up exactly; a last incomplete group of short
        segments becomes a last, shorter long segment.
        """
        if factor < 1:
            raise ValueError(f"factor must be at least 1, not {factor}")
        n = self.count.shape[0]
        sub = self.n_sub
        starts = np.arange(0, n, factor, dtype=np.int64)  # no padding: any factor is cheap

        def grouped(a, ufunc):
            a2 = np.asarray(a).reshape(n, sub)
            if n == 0:
                return a2
            return ufunc.reduceat(a2, starts, axis=0)

        count = grouped(self.count, np.add)
        total = grouped(self.total, np.add)
        sum_sq = grouped(self.sum_sq, np.add)
        with np.errstate(all="ignore"):
            low = grouped(self.min, np.fmin)
            high = grouped(self.max, np.fmax)
        return _finish(count, total, sum_sq, low, high, self.segment_m * factor, sub,
                       self.by_sub)

    def __repr__(self):
        return (f"GroupStats({self.count.shape[0]} segments of {self.segment_m:g} m"
                + (f" × {self.n_sub} sub-groups" if self.by_sub else "")
                + f", {int(np.sum(self.count))} samples)")


def _finish(count, total, sum_sq, low, high, double segment_m, Py_ssize_t n_sub, bint by_sub):
    """Means and RMS from the sums; shapes ``(n,)`` or ``(n, n_sub)``."""
    out = GroupStats()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        rms = np.where(count > 0, np.sqrt(sum_sq / count), np.nan)
    shape = (-1,)
    if by_sub:
        shape = (-1, n_sub)
    out.count = np.asarray(count).reshape(shape)
    out.total = np.asarray(total).reshape(shape)
    out.sum_sq = np.asarray(sum_sq).reshape(shape)
    out.mean = mean.reshape(shape)
    out.rms = rms.reshape(shape)
    out.min = np.where(count > 0, low, np.nan).reshape(shape)
    out.max = np.where(count > 0, high, np.nan).reshape(shape)
    out.segment_m = segment_m
    out.n_sub = n_sub
    out.by_sub = by_sub
    return out


def segment_index(distance_m, double segment_m=10.0):
    """The segment of each distance: ``floor(distance_m / segment_m)``; -1 for NaN, negative
    or infinite distances."""
    d = _f64(distance_m, "distance_m")
    _positive(segment_m, "segment_m")
    out = np.empty(d.shape[0], dtype=np.int64)
    cdef const double[::1] dd = d
    cdef int64_t[::1] res = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(dd.shape[0]):
            if dd[i] >= 0 and dd[i] / segment_m < 9.2e18:
                res[i] = <int64_t>floor(dd[i] / segment_m)
            else:
                res[i] = -1
    return out


def segment_stats(distance_m, values, double segment_m=10.0, n_segments=None, sub=None,
                  Py_ssize_t n_sub=1, mask=None):
    """Count, mean, RMS, min and max of ``values`` per segment of ``segment_m`` metres.

    One pass over the samples. ``distance_m``: each sample's distance along the track (m,
    from ``interp``). ``n_segments``: how many segments (default: up to the farthest
    sample); samples beyond are left out. ``sub``: an optional integer code per sample
    (operator, road side 0/1...) in ``0 .. n_sub - 1``: statistics are then per segment
    and sub-group, arrays of shape ``(n_segments, n_sub)``. ``mask``: which samples are
    valid (boolean). The same kernel serves every channel: particulates, RSRP and RSRQ per
    operator, façade minus air temperature per side, acceleration for roughness.
    """
    d = _f64(distance_m, "distance_m")
    vals = _f64(values, "values")
    cdef Py_ssize_t n = d.shape[0]
    if vals.shape[0] != n:
        raise ValueError(f"distance_m has {n} values but values has {vals.shape[0]}")
    _positive(segment_m, "segment_m")
    if n_sub < 1:
        raise ValueError(f"n_sub must be at least 1, not {n_sub}")
    by_sub = sub is not None
    if by_sub:
        try:
            codes = np.require(np.asarray(sub, dtype=np.int64), requirements="C")
        except (TypeError, ValueError, OverflowError):
            raise ValueError("sub must be an array of whole numbers") from None
        if codes.shape != (n,):
            raise ValueError(f"sub must have shape {(n,)}, not {codes.shape}")
    else:
        codes = np.zeros(1, dtype=np.int64)  # not read: every sample is in sub-group 0
    ok = _mask_u8(mask, n) if mask is not None else np.ones(1, dtype=np.uint8)
    cdef bint has_sub = by_sub, has_mask = mask is not None
    if n_segments is None:
        with np.errstate(invalid="ignore"):
            far = float(np.max(d[np.isfinite(d)], initial=-1.0))  # NaN and infinity: out
        # the loop's own division, so that the farthest sample has its segment
        ratio = far / segment_m
        wanted = (math.floor(ratio) + 1 if ratio < 2.0**62 else 2**62) if far >= 0 else 0
    else:
        wanted = _count(n_segments, "n_segments")
    cdef Py_ssize_t n_groups = checked_groups(wanted, n_sub)
    cdef Py_ssize_t n_seg = wanted
    count = np.zeros(n_groups, dtype=np.int64)
    total = np.zeros(n_groups, dtype=np.float64)
    sum_sq = np.zeros(n_groups, dtype=np.float64)
    low = np.full(n_groups, np.inf, dtype=np.float64)
    high = np.full(n_groups, -np.inf, dtype=np.float64)
    cdef const double[::1] dd = d, vv = vals
    cdef const int64_t[::1] cc = codes
    cdef const uint8_t[::1] mm = ok
    cdef int64_t[::1] c_ = count
    cdef double[::1] t_ = total, q_ = sum_sq, lo_ = low, hi_ = high
    cdef Py_ssize_t i, seg, g
    cdef int64_t code = 0
    cdef double v, pos, q
    with nogil:
        for i in range(n):
            pos = dd[i]
            v = vv[i]
            if has_mask and not mm[i] or not pos >= 0 or isnan(v):
                continue
            if has_sub:
                code = cc[i]
                if code < 0 or code >= n_sub:
                    continue
            q = pos / segment_m
            if q >= n_seg:  # beyond the last segment, or infinite
                continue
            seg = <Py_ssize_t>q
            g = seg * n_sub + code
            c_[g] += 1
            t_[g] += v
            q_[g] += v * v
            if v < lo_[g]:
                lo_[g] = v
            if v > hi_[g]:
                hi_[g] = v
    return _finish(count, total, sum_sq, low, high, segment_m, n_sub, by_sub)


def classify(values, upper_bounds):
    """Class of each value: the first ``i`` with ``value <= upper_bounds[i]``,
    ``len(upper_bounds)`` above the last bound, -1 for NaN.

    ``upper_bounds`` increasing, in the values' unit: e.g. the ATMO PM2.5 bounds
    ``[10, 20, 25, 50, 75]`` µg/m³ give 0 (good) … 5 (extremely poor). For bands where
    higher is better (RSRP, dBm), classify the negated values with negated bounds.
    """
    try:
        vals = np.asarray(values, dtype=np.float64)
        bounds = np.asarray(upper_bounds, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("values and upper_bounds must be numbers") from None
    if bounds.ndim != 1 or not np.isfinite(bounds).all() or np.any(np.diff(bounds) <= 0):
        raise ValueError("upper_bounds must be a strictly increasing 1-D sequence of finite numbers")
    out = np.asarray(np.searchsorted(bounds, vals, side="left"), dtype=np.int64)
    return np.where(np.isnan(vals), np.int64(-1), out)
