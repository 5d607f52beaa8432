# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cascaded biquad (second-order sections) filtering, the same arithmetic as SciPy's.

Used to high-pass vertical acceleration before roughness and pothole indices (the 1 g of
gravity and slow pitch changes must go, the road's vibration must stay). Filters are
designed elsewhere (``scipy.signal.butter(..., output="sos")`` in the domain or the tests):
this module stays free of SciPy so that ``ext`` needs only NumPy at run time.

``sos`` rows are ``[b0, b1, b2, 1, a1, a2]``; each section is run in direct form II
transposed, sample by sample through the cascade, operation for operation as
``scipy.signal.sosfilt``, so the results agree to rounding. Units: whatever the signal's
(the filter is linear); the cut-off is in the units the filter was designed for.
"""

import numpy as np


cdef enum:
    _LOCAL_SECTIONS = 32  # cascades up to this long run with coefficients and state on the stack


cdef void _sosfilt(const double[:, ::1] sos, double[::1] y, double[:, ::1] zi) noexcept nogil:
    """Filter ``y`` in place through every section; ``zi`` holds the state and is updated.

    Coefficients and state are copied to local arrays first: the compiler then knows that
    writing ``y`` cannot change them and keeps them in registers instead of reloading them
    for every sample.
    """
    cdef Py_ssize_t n = y.shape[0], n_sec = sos.shape[0], i, s
    cdef double x_cur, x_new
    cdef double b0[_LOCAL_SECTIONS]
    cdef double b1[_LOCAL_SECTIONS]
    cdef double b2[_LOCAL_SECTIONS]
    cdef double a1[_LOCAL_SECTIONS]
    cdef double a2[_LOCAL_SECTIONS]
    cdef double z0[_LOCAL_SECTIONS]
    cdef double z1[_LOCAL_SECTIONS]
    if n_sec > _LOCAL_SECTIONS:  # long cascades: straight from the memoryviews
        for i in range(n):
            x_cur = y[i]
            for s in range(n_sec):
                x_new = sos[s, 0] * x_cur + zi[s, 0]
                zi[s, 0] = sos[s, 1] * x_cur - sos[s, 4] * x_new + zi[s, 1]
                zi[s, 1] = sos[s, 2] * x_cur - sos[s, 5] * x_new
                x_cur = x_new
            y[i] = x_cur
        return
    for s in range(n_sec):
        b0[s] = sos[s, 0]
        b1[s] = sos[s, 1]
        b2[s] = sos[s, 2]
        a1[s] = sos[s, 4]
        a2[s] = sos[s, 5]
        z0[s] = zi[s, 0]
        z1[s] = zi[s, 1]
    for i in range(n):
        x_cur = y[i]
        for s in range(n_sec):  # the operations and their order of scipy.signal.sosfilt
            x_new = b0[s] * x_cur + z0[s]
            z0[s] = b1[s] * x_cur - a1[s] * x_new + z1[s]
            z1[s] = b2[s] * x_cur - a2[s] * x_new
            x_cur = x_new
        y[i] = x_cur
    for s in range(n_sec):
        zi[s, 0] = z0[s]
        zi[s, 1] = z1[s]


def _checked_sos(sos):
    """``sos`` as a C-contiguous float64 (n_sections, 6) array with a0 = 1, or ValueError."""
    try:
        arr = np.require(np.asarray(sos, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError("sos must be an array of numbers") from None
    if arr.ndim != 2 or arr.shape[1] != 6 or arr.shape[0] == 0:
        raise ValueError(f"sos must have shape (n_sections, 6), not {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("sos must be finite")
    if not np.all(arr[:, 3] == 1.0):
        raise ValueError("sos[:, 3] (a0 of each section) must be 1")
    return arr


def sosfilt(sos, x, zi=None):
    """Filter the 1-D signal ``x`` through the second-order sections ``sos``.

    Without ``zi`` the filter starts at rest (zero state) and the filtered float64 array is
    returned. With ``zi`` (shape (n_sections, 2), e.g. ``sosfilt_zi(sos) * x[0]`` to start
    in steady state, or the ``zf`` of the previous chunk) returns ``(y, zf)``, the final
    state, so a long signal can be filtered chunk by chunk with the same result.
    NaN in ``x`` propagates to every later output (as in SciPy): split signals at gaps.
    """
    coeffs = _checked_sos(sos)
    try:
        y = np.array(x, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError):
        raise ValueError("x must be an array of numbers") from None
    if y.ndim != 1:
        raise ValueError(f"x must be one-dimensional, not of shape {y.shape}")
    want_state = zi is not None
    if want_state:
        try:
            state = np.array(zi, dtype=np.float64, copy=True, order="C")
        except (TypeError, ValueError):
            raise ValueError("zi must be an array of numbers") from None
        if state.shape != (coeffs.shape[0], 2):
            raise ValueError(f"zi must have shape {(coeffs.shape[0], 2)}, not {state.shape}")
    else:
        state = np.zeros((coeffs.shape[0], 2), dtype=np.float64)
    cdef const double[:, ::1] s = coeffs
    cdef double[::1] out = y
    cdef double[:, ::1] z = state
    with nogil:
        _sosfilt(s, out, z)
    if want_state:
        return y, state
    return y


def sosfilt_zi(sos):
    """Initial state for a unit step in steady state (as ``scipy.signal.sosfilt_zi``).

    Multiply by the first sample to start a high-pass without the step response of the
    signal's offset. Per section, the state is the solution of the 2×2 steady-state
    equations of direct form II transposed; the DC gain of the earlier sections scales it.
    """
    coeffs = _checked_sos(sos)
    zi = np.empty((coeffs.shape[0], 2), dtype=np.float64)
    scale = 1.0
    for k in range(coeffs.shape[0]):
        b0, b1, b2, _, a1, a2 = (float(v) for v in coeffs[k])
        if 1.0 + a1 + a2 == 0.0:
            raise ValueError(f"section {k} has a pole at z = 1: no steady state to start in")
        # state with input 1 and output equal to the DC gain g: z0 = g - b0, z1 = b2 - a2·g
        g = (b0 + b1 + b2) / (1.0 + a1 + a2)
        zi[k, 0] = scale * (g - b0)
        zi[k, 1] = scale * (b2 - a2 * g)
        scale *= g
    return zi
