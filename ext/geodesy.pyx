# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Great-circle distances along a GNSS track (haversine on a sphere).

NaN: a fix with a NaN coordinate has a NaN distance and is skipped (the next fix's step is
measured from the last finite one), so one bad fix does not spoil the rest of the track.
Coordinates out of range (|lat| > 90, |lon| > 180, infinite) are refused with ValueError.
"""

from libc.math cimport INFINITY, NAN, asin, cos, isnan, sin, sqrt

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius R1, metres
cdef double _DEG2RAD = 0.017453292519943295


cdef inline double _haversine_rad_m(double phi1, double cos_phi1,
                                    double phi2, double cos_phi2,
                                    double dlon_deg, double radius_m) noexcept nogil:
    """Haversine from latitudes already in radians with their cosines (a track's
    loop computes each fix's once and reuses it for the next step)."""
    cdef double s_dphi = sin((phi2 - phi1) * 0.5)
    cdef double s_dlmb = sin(dlon_deg * _DEG2RAD * 0.5)
    cdef double h = s_dphi * s_dphi + cos_phi1 * cos_phi2 * s_dlmb * s_dlmb
    if h > 1.0:
        h = 1.0
    return 2.0 * radius_m * asin(sqrt(h))


cdef inline double _haversine_m(double lat1_deg, double lon1_deg,
                                double lat2_deg, double lon2_deg,
                                double radius_m) noexcept nogil:
    cdef double phi1 = lat1_deg * _DEG2RAD
    cdef double phi2 = lat2_deg * _DEG2RAD
    return _haversine_rad_m(phi1, cos(phi1), phi2, cos(phi2), lon2_deg - lon1_deg, radius_m)


def haversine_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg,
                double radius_m=EARTH_RADIUS_M):
    """Distance in metres between two points given in decimal degrees."""
    return _haversine_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg, radius_m)


def _degrees(values, name, double limit):
    try:
        arr = np.require(np.asarray(values, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not of shape {arr.shape}")
    with np.errstate(invalid="ignore"):
        bad = np.abs(arr) > limit
    if bad.any():
        raise ValueError(f"{name} value {int(np.argmax(bad))} is outside ±{limit:g}°")
    return arr


def cumulative_distance_m(lat_deg, lon_deg, double radius_m=EARTH_RADIUS_M):
    """Distance travelled from the first fix to each fix, in metres.

    Returns a float64 array of the track's length whose first finite value is 0 (NaN at
    the fixes with a NaN coordinate, see the module's doc).
    """
    lat_arr = _degrees(lat_deg, "lat_deg", 90.0)
    lon_arr = _degrees(lon_deg, "lon_deg", 180.0)
    cdef Py_ssize_t n = lat_arr.shape[0]
    if lon_arr.shape[0] != n:
        raise ValueError(f"lat_deg has {n} values but lon_deg has {lon_arr.shape[0]}")
    if not 0.0 < radius_m < INFINITY:
        raise ValueError(f"radius_m must be positive and finite, not {radius_m}")
    out = np.zeros(n, dtype=np.float64)
    cdef double[::1] acc = out
    cdef const double[::1] la = lat_arr, lo = lon_arr
    cdef Py_ssize_t i
    cdef double total = 0.0
    # Latitude in radians and its cosine, of the previous finite fix then of this one:
    # each fix's cosine is computed once and serves the two steps it ends and starts.
    cdef double phi_prev = 0.0, cos_prev = 1.0, lon_prev = 0.0
    cdef double phi, cos_phi
    cdef bint started = False
    with nogil:
        for i in range(n):
            if isnan(la[i]) or isnan(lo[i]):
                acc[i] = NAN
                continue
            phi = la[i] * _DEG2RAD
            cos_phi = cos(phi)
            if started:
                total += _haversine_rad_m(phi_prev, cos_prev, phi, cos_phi, lo[i] - lon_prev,
                                          radius_m)
            started = True
            acc[i] = total
            phi_prev = phi
            cos_prev = cos_phi
            lon_prev = lo[i]
    return out
