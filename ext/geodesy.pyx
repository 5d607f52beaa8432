# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Great-circle distances along a GNSS track (haversine on a sphere)."""

from libc.math cimport asin, cos, sin, sqrt

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius R1, metres
cdef double _DEG2RAD = 0.017453292519943295


cdef inline double _haversine_m(double lat1_deg, double lon1_deg,
                                double lat2_deg, double lon2_deg,
                                double radius_m) noexcept nogil:
    cdef double phi1 = lat1_deg * _DEG2RAD
    cdef double phi2 = lat2_deg * _DEG2RAD
    cdef double s_dphi = sin((phi2 - phi1) * 0.5)
    cdef double s_dlmb = sin((lon2_deg - lon1_deg) * _DEG2RAD * 0.5)
    cdef double h = s_dphi * s_dphi + cos(phi1) * cos(phi2) * s_dlmb * s_dlmb
    if h > 1.0:
        h = 1.0
    return 2.0 * radius_m * asin(sqrt(h))


def haversine_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg,
                double radius_m=EARTH_RADIUS_M):
    """Distance in metres between two points given in decimal degrees."""
    return _haversine_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg, radius_m)


def cumulative_distance_m(const double[::1] lat_deg, const double[::1] lon_deg,
                          double radius_m=EARTH_RADIUS_M):
    """Distance travelled from the first fix to each fix, in metres.

    Returns a float64 array of the track's length whose first value is 0.
    """
    cdef Py_ssize_t n = lat_deg.shape[0]
    if lon_deg.shape[0] != n:
        raise ValueError(f"lat_deg has {n} values but lon_deg has {lon_deg.shape[0]}")
    out = np.zeros(n, dtype=np.float64)
    cdef double[::1] acc = out
    cdef Py_ssize_t i
    cdef double total = 0.0
    with nogil:
        for i in range(1, n):
            total += _haversine_m(lat_deg[i - 1], lon_deg[i - 1], lat_deg[i], lon_deg[i], radius_m)
            acc[i] = total
    return out
