# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Pothole detection from vertical acceleration, and clustering of detections across passes.

Three per-sample detectors from Mednis et al. (2011), on the vertical axis in g:

- Z-THRESH: ``|az − 1 g| > z_thresh_g`` (a hard hit away from gravity);
- Z-DIFF: ``|az[i] − az[i−1]| > z_diff_g`` (a sudden jump between consecutive samples);
- STDEV(Z): the standard deviation of the last ``window`` samples ``> stdev_g``.

As in Pothole Patrol (Eriksson et al. 2008), samples below ``min_speed_mps`` are ignored
(doors, kerbs and loading shake a stopped van), hits closer than ``merge_m`` along the
track merge into one event, and events of several sessions are clustered by position so a
pothole seen on many passes counts once, with how many times it was seen.
"""

from libc.math cimport INFINITY, NAN, asin, cos, fabs, isnan, sin, sqrt
from libc.stdint cimport int64_t, uint8_t

import numpy as np

cdef enum:
    _Z_THRESH = 1
    _Z_DIFF = 2
    _STDEV_Z = 4
    _RECOMPUTE_EVERY = 256  # samples between exact recomputations of the window statistics

Z_THRESH = _Z_THRESH
Z_DIFF = _Z_DIFF
STDEV_Z = _STDEV_Z
"""Bits of the per-sample detection flags (an event ORs those of its samples)."""

cdef double _EARTH_RADIUS_M = 6_371_008.8
EARTH_RADIUS_M = _EARTH_RADIUS_M  # metres, as ext.geodesy
cdef double _DEG2RAD = 0.017453292519943295


def _f64(a, name):
    try:
        arr = np.require(np.asarray(a, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not of shape {arr.shape}")
    return arr


cdef void _moving_std(const double[::1] x, Py_ssize_t w, double[::1] out) noexcept nogil:
    """Population standard deviation of ``x[i-w+1 .. i]`` into ``out[i]`` (NaN before).

    Sliding mean and sum of squared deviations (Welford's update for a sample entering and
    one leaving), recomputed by two passes every 256 samples so rounding cannot drift far,
    and while a NaN is in the window (which gives NaN). A window of one sample gives 0.
    """
    cdef Py_ssize_t n = x.shape[0], i, k, since = _RECOMPUTE_EVERY
    cdef double mean = 0.0, m2 = 0.0, d, x_new, x_old, new_mean
    for i in range(min(w - 1, n)):
        out[i] = NAN
    if w == 1:
        for i in range(n):
            out[i] = x[i] - x[i]  # 0, or NaN
        return
    for i in range(w - 1, n):
        if since >= _RECOMPUTE_EVERY:
            mean = 0.0
            for k in range(i - w + 1, i + 1):
                mean += x[k]
            mean /= w
            m2 = 0.0
            for k in range(i - w + 1, i + 1):
                d = x[k] - mean
                m2 += d * d
            since = 0
        else:
            x_new = x[i]
            x_old = x[i - w]
            new_mean = mean + (x_new - x_old) / w
            m2 += (x_new - x_old) * (x_new - new_mean + x_old - mean)
            if m2 < 0.0:
                m2 = 0.0
            mean = new_mean
            since += 1
        if isnan(m2):
            out[i] = NAN
            since = _RECOMPUTE_EVERY  # start afresh once the NaN has left the window
        else:
            out[i] = sqrt(m2 / w)


def moving_std(x, Py_ssize_t window):
    """Population standard deviation over the trailing ``window`` samples (same unit as x).

    ``out[i]`` covers ``x[i − window + 1 .. i]``; the first ``window − 1`` values are NaN.
    """
    xs = _f64(x, "x")
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    out = np.empty(xs.shape[0], dtype=np.float64)
    cdef const double[::1] xv = xs
    cdef double[::1] ov = out
    with nogil:
        _moving_std(xv, window, ov)
    return out


def pothole_flags(az_g, speed_mps, z_thresh_g=None, z_diff_g=None, stdev_g=None,
                  Py_ssize_t window=10, double min_speed_mps=3.0):
    """Per-sample detector flags (uint8 bits ``Z_THRESH | Z_DIFF | STDEV_Z``).

    ``az_g``: vertical acceleration in g (1 at rest); ``speed_mps``: each sample's speed.
    A threshold left at None disables its detector. Samples slower than ``min_speed_mps``
    or with NaN acceleration or speed get no flag. Z-DIFF needs the previous sample and
    STDEV(Z) a full window, so the first samples cannot raise them.
    """
    az = _f64(az_g, "az_g")
    v = _f64(speed_mps, "speed_mps")
    if v.shape[0] != az.shape[0]:
        raise ValueError(f"az_g has {az.shape[0]} values but speed_mps has {v.shape[0]}")
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    cdef double t_thr = INFINITY if z_thresh_g is None else z_thresh_g
    cdef double t_diff = INFINITY if z_diff_g is None else z_diff_g
    cdef double t_std = INFINITY if stdev_g is None else stdev_g
    cdef Py_ssize_t n = az.shape[0], i
    out = np.zeros(n, dtype=np.uint8)
    std = np.full(n, np.nan) if stdev_g is None else moving_std(az, window)
    cdef const double[::1] a = az, sp = v, sd = std
    cdef uint8_t[::1] f = out
    cdef uint8_t bits
    with nogil:
        for i in range(n):
            if not sp[i] >= min_speed_mps or isnan(a[i]):
                continue
            bits = 0
            if fabs(a[i] - 1.0) > t_thr:
                bits |= _Z_THRESH
            if i > 0 and fabs(a[i] - a[i - 1]) > t_diff:
                bits |= _Z_DIFF
            if sd[i] > t_std:
                bits |= _STDEV_Z
            f[i] = bits
    return out


cdef class PotholeEvents:
    """Merged detections along one session's track (arrays of shape ``(n_events,)``).

    ``first``, ``last``, ``peak``: sample indices (int64) of the event's first and last
    flagged samples and of its largest ``|az − 1|``; ``position_m``: distance along the
    track at the peak, m; ``peak_g``: that ``|az − 1|``, g; ``hits``: flagged samples;
    ``methods``: OR of their detector bits.
    """

    cdef readonly object first, last, peak, position_m, peak_g, hits, methods

    def __len__(self):
        return len(self.first)


def pothole_events(flags, az_g, distance_m, double merge_m=2.0, int methods=7):
    """Merge flagged samples into events: a flagged sample (any of the ``methods`` bits)
    within ``merge_m`` metres of the previous flagged one joins its event.

    ``distance_m`` must be non-decreasing (the track's cumulative distance at each sample).
    """
    try:
        fl = np.require(np.asarray(flags).astype(np.uint8, casting="unsafe"), requirements="C")
    except (TypeError, ValueError):
        raise ValueError("flags must be an array of detector bits") from None
    az = _f64(az_g, "az_g")
    d = _f64(distance_m, "distance_m")
    if fl.ndim != 1:
        raise ValueError(f"flags must be one-dimensional, not of shape {fl.shape}")
    cdef Py_ssize_t n = fl.shape[0]
    if az.shape[0] != n or d.shape[0] != n:
        raise ValueError("flags, az_g and distance_m must have one length")
    finite = d[~np.isnan(d)]
    if (np.diff(finite) < 0).any():
        raise ValueError("distance_m must be non-decreasing")
    cdef const uint8_t[::1] f = fl
    cdef const double[::1] a = az, dd = d
    cdef uint8_t sel = <uint8_t>(methods & 7)
    hit_idx = np.flatnonzero(fl & sel)
    cdef Py_ssize_t n_hit = hit_idx.shape[0]
    first = np.empty(n_hit, dtype=np.int64)
    last = np.empty(n_hit, dtype=np.int64)
    peak = np.empty(n_hit, dtype=np.int64)
    hits = np.empty(n_hit, dtype=np.int64)
    bits = np.empty(n_hit, dtype=np.uint8)
    cdef const int64_t[::1] h = hit_idx.astype(np.int64)
    cdef int64_t[::1] e_first = first, e_last = last, e_peak = peak, e_hits = hits
    cdef uint8_t[::1] e_bits = bits
    cdef Py_ssize_t j, i, ne = -1
    cdef double mag
    cdef double best = 0.0
    with nogil:
        for j in range(n_hit):
            i = h[j]
            mag = fabs(a[i] - 1.0)
            if ne >= 0 and dd[i] - dd[e_last[ne]] <= merge_m:
                e_last[ne] = i
                e_hits[ne] += 1
                e_bits[ne] |= f[i] & sel
                if mag > best:
                    best = mag
                    e_peak[ne] = i
            else:
                ne += 1
                e_first[ne] = i
                e_last[ne] = i
                e_peak[ne] = i
                e_hits[ne] = 1
                e_bits[ne] = f[i] & sel
                best = mag
    ne += 1
    out = PotholeEvents()
    out.first = first[:ne].copy()
    out.last = last[:ne].copy()
    out.peak = peak[:ne].copy()
    out.hits = hits[:ne].copy()
    out.methods = bits[:ne].copy()
    out.position_m = d[out.peak]
    out.peak_g = np.abs(az[out.peak] - 1.0)
    return out


def detect_potholes(az_g, speed_mps, distance_m, z_thresh_g=0.4, z_diff_g=None, stdev_g=None,
                    Py_ssize_t window=10, double min_speed_mps=3.0, double merge_m=2.0):
    """``pothole_flags`` then ``pothole_events``: the events of one session's samples.

    Defaults use Z-THRESH alone at 0.4 g (a starting point to tune on ground truth).
    """
    flags = pothole_flags(az_g, speed_mps, z_thresh_g, z_diff_g, stdev_g, window,
                          min_speed_mps)
    return pothole_events(flags, az_g, distance_m, merge_m)


# ---------------------------------------------------------------- clustering across sessions


cdef inline double _haversine_m(double lat1, double lon1, double lat2, double lon2,
                                double radius_m) noexcept nogil:
    cdef double s_dphi = sin((lat2 - lat1) * _DEG2RAD * 0.5)
    cdef double s_dlmb = sin((lon2 - lon1) * _DEG2RAD * 0.5)
    cdef double h = s_dphi * s_dphi + cos(lat1 * _DEG2RAD) * cos(lat2 * _DEG2RAD) * s_dlmb * s_dlmb
    if h > 1.0:
        h = 1.0
    return 2.0 * radius_m * asin(sqrt(h))


cdef class Clusters:
    """Detections grouped by position: ``label`` (per detection, int64), and per cluster
    ``lat_deg``, ``lon_deg`` (mean of its members), ``count`` (detections) and, when
    sessions were given, ``sessions`` (distinct sessions that saw it).
    """

    cdef readonly object label, lat_deg, lon_deg, count, sessions

    def __len__(self):
        return len(self.count)


def cluster_detections(lat_deg, lon_deg, double radius_m=5.0, session=None):
    """Group detections (from any number of sessions) within ``radius_m`` metres.

    Leader clustering in the given order: each detection joins the cluster whose centre
    (the running mean of its members' latitude and longitude) is nearest, if within
    ``radius_m`` (haversine, metres), else starts a new cluster. Deterministic for a given
    order (sort detections by time for reproducible results); unlike single linkage it does
    not chain a long damaged stretch into one cluster. ``session``: optional integer id per
    detection, to count how many distinct sessions saw each cluster.
    """
    lat = _f64(lat_deg, "lat_deg")
    lon = _f64(lon_deg, "lon_deg")
    cdef Py_ssize_t n = lat.shape[0]
    if lon.shape[0] != n:
        raise ValueError(f"lat_deg has {n} values but lon_deg has {lon.shape[0]}")
    if np.isnan(lat).any() or np.isnan(lon).any():
        raise ValueError("positions must not be NaN")
    labels = np.empty(n, dtype=np.int64)
    c_lat = np.empty(n, dtype=np.float64)
    c_lon = np.empty(n, dtype=np.float64)
    c_n = np.zeros(n, dtype=np.int64)
    cdef const double[::1] la = lat, lo = lon
    cdef int64_t[::1] lab = labels, cnt = c_n
    cdef double[::1] cla = c_lat, clo = c_lon
    cdef Py_ssize_t i, c, k = 0, best_c
    cdef double dist, best
    with nogil:
        for i in range(n):
            best = INFINITY
            best_c = -1
            for c in range(k):
                dist = _haversine_m(la[i], lo[i], cla[c], clo[c], _EARTH_RADIUS_M)
                if dist < best:
                    best = dist
                    best_c = c
            if best_c < 0 or best > radius_m:
                best_c = k
                k += 1
                cla[best_c] = la[i]
                clo[best_c] = lo[i]
                cnt[best_c] = 1
            else:
                cnt[best_c] += 1
                cla[best_c] += (la[i] - cla[best_c]) / cnt[best_c]
                clo[best_c] += (lo[i] - clo[best_c]) / cnt[best_c]
            lab[i] = best_c
    out = Clusters()
    out.label = labels
    out.lat_deg = c_lat[:k].copy()
    out.lon_deg = c_lon[:k].copy()
    out.count = c_n[:k].copy()
    if session is None:
        out.sessions = None
    else:
        ses = np.asarray(session, dtype=np.int64)
        if ses.shape != (n,):
            raise ValueError(f"session must have shape {(n,)}, not {ses.shape}")
        pairs = np.unique(np.stack([labels, ses]), axis=1) if n else np.empty((2, 0), np.int64)
        out.sessions = np.bincount(pairs[0], minlength=k).astype(np.int64)
    return out
