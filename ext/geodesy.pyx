# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Great-circle distances along a GNSS track (haversine on a sphere)."""

from libc.math cimport asin, cos, sin, sqrt

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
    if n == 0:
        return out
    cdef Py_ssize_t i
    cdef double total = 0.0
    # Latitude in radians and its cosine, of the previous fix then of this one:
    # each fix's cosine is computed once and serves the two steps it ends and starts.
    cdef double phi_prev = lat_deg[0] * _DEG2RAD
    cdef double cos_prev = cos(phi_prev)
    cdef double phi, cos_phi
    with nogil:
        for i in range(1, n):
            phi = lat_deg[i] * _DEG2RAD
            cos_phi = cos(phi)
            total += _haversine_rad_m(phi_prev, cos_prev, phi, cos_phi,
                                      lon_deg[i] - lon_deg[i - 1], radius_m)
            acc[i] = total
            phi_prev = phi
            cos_prev = cos_phi
    return out
