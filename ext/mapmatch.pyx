# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""HMM map-matching (Newson & Krumm 2009) on a directed street graph, in local metres.

Every public function checks its arrays at the boundary (lengths, index ranges, CSR offsets,
finite coordinates and lengths, sizes against ``MAX_CELLS``) and raises ``ValueError``: no
input reads or writes outside an array. A NaN fix has no candidate (it is unmatched).

Three kernels, all on plain arrays (the network's segments and edges, the fixes projected to
local east/north metres):

- ``build_grid``: a uniform grid over the segments (each listed in every cell its bounding
  box touches), the spatial index candidates come from;
- ``ubodt``: bounded shortest distances from chosen source nodes (Dijkstra by length up to
  ``delta_m``), with the first edge of each path — FMM's upper-bounded origin-destination
  table, rows sorted by target for a binary search;
- ``match``: candidates within ``radius_m`` of each fix (the ``max_segments`` nearest
  segments, each driven in its allowed directions), emission log-probability
  ``-½(d/σ)²`` for the GNSS error, transition ``-|route − straight| / β`` between consecutive
  fixes, Viterbi. A fix without candidate is unmatched; where no transition is possible
  the chain breaks and starts again (both reported).
"""

from libc.math cimport INFINITY, fabs, floor, sqrt
from libc.stdint cimport int8_t, int32_t, int64_t
from libc.stdlib cimport free, malloc

import numpy as np


MAX_CELLS = 1 << 22
"""Most grid cells (and, times 16, cell entries) an index may ask for: more means an absurd
extent for the cell size."""


def _f64(a, name, finite=False):
    try:
        arr = np.require(np.asarray(a, dtype=np.float64), requirements="C")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    return arr


def _index(a, name, upper=None, lowest=0):
    """Whole numbers in ``lowest .. upper - 1`` as a C-contiguous int32 array, else ValueError."""
    try:
        arr = np.asarray(a)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError
        arr = np.require(arr.astype(np.int64), requirements="C")
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an array of whole numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if arr.size and (arr.min() < lowest or (upper is not None and arr.max() >= upper)):
        raise ValueError(f"{name} holds an index outside {lowest}..{upper}")
    if arr.size and arr.max() >= 2**31:
        raise ValueError(f"{name} holds an index beyond int32")
    return arr.astype(np.int32)


def _offsets(a, name, total):
    """CSR offsets: int64, non-decreasing from 0 to ``total``, else ValueError."""
    try:
        arr = np.asarray(a)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError
        arr = np.require(arr.astype(np.int64), requirements="C")
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an array of whole numbers") from None
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional array")
    if arr[0] != 0 or arr[arr.shape[0] - 1] != total or (np.diff(arr) < 0).any():
        raise ValueError(f"{name} must rise from 0 to {total}")
    return arr


def _positive(double value, name):
    if not 0.0 < value < INFINITY:
        raise ValueError(f"{name} must be positive and finite, not {value}")


# ---------------------------------------------------------------------- spatial index


def build_grid(ax_m, ay_m, bx_m, by_m, double cell_m):
    """A grid index of segments: (x0, y0, cell_m, nx, ny, cell_ptr int64[nx*ny+1], items int32).

    Cell (i, j) covers x0 + [i, i+1)·cell_m, y0 + [j, j+1)·cell_m; its segments are
    ``items[cell_ptr[j*nx+i]:cell_ptr[j*nx+i+1]]``.
    """
    ax_a, ay_a = _f64(ax_m, "ax_m", True), _f64(ay_m, "ay_m", True)
    bx_a, by_a = _f64(bx_m, "bx_m", True), _f64(by_m, "by_m", True)
    if not ax_a.shape[0] == ay_a.shape[0] == bx_a.shape[0] == by_a.shape[0]:
        raise ValueError("ax_m, ay_m, bx_m and by_m must have one length")
    if ax_a.shape[0] == 0 or not 0.0 < cell_m < INFINITY:
        raise ValueError("a grid needs segments and a positive cell size")
    x0_, y0_ = min(ax_a.min(), bx_a.min()), min(ay_a.min(), by_a.min())
    cells_x = np.floor((np.maximum(ax_a, bx_a) - x0_) / cell_m) - np.floor(
        (np.minimum(ax_a, bx_a) - x0_) / cell_m) + 1
    cells_y = np.floor((np.maximum(ay_a, by_a) - y0_) / cell_m) - np.floor(
        (np.minimum(ay_a, by_a) - y0_) / cell_m) + 1
    span_x = (max(ax_a.max(), bx_a.max()) - x0_) / cell_m + 1
    span_y = (max(ay_a.max(), by_a.max()) - y0_) / cell_m + 1
    if not span_x * span_y <= MAX_CELLS or not float(np.sum(cells_x * cells_y)) <= 16 * MAX_CELLS:
        raise ValueError(f"a grid of {span_x:.3g} × {span_y:.3g} cells of {cell_m} m is absurd")
    cdef double[::1] ax = ax_a, ay = ay_a, bx = bx_a, by = by_a
    cdef Py_ssize_t n = ax.shape[0], s
    cdef double x0 = x0_, y0 = y0_
    cdef double x1 = max(np.max(ax), np.max(bx)), y1 = max(np.max(ay), np.max(by))
    cdef int64_t nx = <int64_t>floor((x1 - x0) / cell_m) + 1
    cdef int64_t ny = <int64_t>floor((y1 - y0) / cell_m) + 1
    ptr_arr = np.zeros(nx * ny + 1, dtype=np.int64)
    cdef int64_t[::1] ptr = ptr_arr
    cdef int64_t i, j, i0, i1, j0, j1, k
    with nogil:
        for s in range(n):
            i0 = <int64_t>floor((min(ax[s], bx[s]) - x0) / cell_m)
            i1 = <int64_t>floor((max(ax[s], bx[s]) - x0) / cell_m)
            j0 = <int64_t>floor((min(ay[s], by[s]) - y0) / cell_m)
            j1 = <int64_t>floor((max(ay[s], by[s]) - y0) / cell_m)
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    ptr[j * nx + i + 1] += 1
        for k in range(nx * ny):
            ptr[k + 1] += ptr[k]
    items_arr = np.empty(ptr[nx * ny], dtype=np.int32)
    cdef int32_t[::1] items = items_arr
    fill_arr = ptr_arr[: nx * ny].copy()
    cdef int64_t[::1] fill = fill_arr
    with nogil:
        for s in range(n):
            i0 = <int64_t>floor((min(ax[s], bx[s]) - x0) / cell_m)
            i1 = <int64_t>floor((max(ax[s], bx[s]) - x0) / cell_m)
            j0 = <int64_t>floor((min(ay[s], by[s]) - y0) / cell_m)
            j1 = <int64_t>floor((max(ay[s], by[s]) - y0) / cell_m)
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    items[fill[j * nx + i]] = <int32_t>s
                    fill[j * nx + i] += 1
    return x0, y0, cell_m, int(nx), int(ny), ptr_arr, items_arr


# ---------------------------------------------------------------------- bounded table


cdef inline void _push(double* hk, int32_t* hv, int64_t* size, double key, int32_t val) noexcept nogil:
    cdef int64_t i = size[0], parent
    size[0] += 1
    while i > 0:
        parent = (i - 1) >> 1
        if hk[parent] <= key:
            break
        hk[i] = hk[parent]
        hv[i] = hv[parent]
        i = parent
    hk[i] = key
    hv[i] = val


cdef inline void _pop(double* hk, int32_t* hv, int64_t* size) noexcept nogil:
    cdef int64_t n = size[0] - 1, i = 0, c
    cdef double key = hk[n]
    cdef int32_t val = hv[n]
    size[0] = n
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and hk[c + 1] < hk[c]:
            c += 1
        if hk[c] >= key:
            break
        hk[i] = hk[c]
        hv[i] = hv[c]
        i = c
    if n > 0:
        hk[i] = key
        hv[i] = val


def ubodt(indptr, edge_dst, edge_length_m, sources, double delta_m):
    """Shortest distances (by length) from each source to every node within ``delta_m``.

    ``indptr``: CSR of edges by source node (edges ``indptr[u]:indptr[u+1]`` leave ``u``).
    Returns (row_ptr int64[len(sources)+1], target int32, dist_m float64, first_edge int32),
    each row sorted by target; the source itself is in its row at 0 m (first_edge -1).
    """
    length_a = _f64(edge_length_m, "edge_length_m", True)
    if (length_a < 0).any():
        raise ValueError("edge_length_m must not be negative")
    ptr_a = _offsets(indptr, "indptr", length_a.shape[0])
    nodes = ptr_a.shape[0] - 1
    dst_a = _index(edge_dst, "edge_dst", nodes)
    if dst_a.shape[0] != length_a.shape[0]:
        raise ValueError("edge_dst and edge_length_m must have one length")
    if delta_m != delta_m:
        raise ValueError("delta_m must be a number")
    cdef int64_t[::1] ptr = ptr_a
    cdef int32_t[::1] dst = dst_a
    cdef double[::1] length = length_a
    cdef int32_t[::1] src = _index(sources, "sources", nodes)
    cdef Py_ssize_t n_nodes = ptr.shape[0] - 1, n_src = src.shape[0], n_edges = dst.shape[0]
    dist_arr = np.full(n_nodes, INFINITY)
    first_arr = np.full(n_nodes, -1, dtype=np.int32)
    done_arr = np.zeros(n_nodes, dtype=np.int8)
    cdef double[::1] dist = dist_arr
    cdef int32_t[::1] first = first_arr
    cdef int8_t[::1] done = done_arr
    cdef double* hk = <double*>malloc((n_edges + 2) * sizeof(double))
    cdef int32_t* hv = <int32_t*>malloc((n_edges + 2) * sizeof(int32_t))
    cdef int32_t* touched = <int32_t*>malloc((n_nodes + 1) * sizeof(int32_t))
    if hk == NULL or hv == NULL or touched == NULL:
        free(hk); free(hv); free(touched)
        raise MemoryError()
    rows_t, rows_d, rows_e = [], [], []
    row_ptr = np.zeros(n_src + 1, dtype=np.int64)
    cdef int64_t size, n_touched, k, e
    cdef int32_t u, v, s
    cdef double du, nd
    try:
        for k in range(n_src):
            s = src[k]
            with nogil:
                size = 0
                n_touched = 0
                dist[s] = 0.0
                first[s] = -1
                touched[n_touched] = s
                n_touched += 1
                _push(hk, hv, &size, 0.0, s)
                while size > 0:
                    du = hk[0]
                    u = hv[0]
                    _pop(hk, hv, &size)
                    if done[u] or du > dist[u]:
                        continue
                    done[u] = 1
                    for e in range(ptr[u], ptr[u + 1]):
                        v = dst[e]
                        nd = du + length[e]
                        if nd <= delta_m and nd < dist[v]:
                            if dist[v] == INFINITY:
                                touched[n_touched] = v
                                n_touched += 1
                            dist[v] = nd
                            first[v] = <int32_t>e if u == s else first[u]
                            if size < n_edges + 1:
                                _push(hk, hv, &size, nd, v)
            t = np.sort(np.asarray(<int32_t[:n_touched]>touched).copy())
            rows_t.append(t)
            rows_d.append(dist_arr[t])
            rows_e.append(first_arr[t])
            row_ptr[k + 1] = row_ptr[k] + n_touched
            dist_arr[t] = INFINITY
            first_arr[t] = -1
            done_arr[t] = 0
    finally:
        free(hk); free(hv); free(touched)
    if n_src == 0:
        return row_ptr, np.empty(0, np.int32), np.empty(0), np.empty(0, np.int32)
    return (row_ptr, np.concatenate(rows_t).astype(np.int32), np.concatenate(rows_d),
            np.concatenate(rows_e).astype(np.int32))


# ---------------------------------------------------------------------- matching


cdef inline double _lookup(const int64_t[::1] row_of, const int64_t[::1] rptr,
                           const int32_t[::1] target, const double[::1] dist,
                           int32_t source, int32_t node) noexcept nogil:
    """Distance from ``source`` to ``node`` in the table (INFINITY: beyond its bound)."""
    cdef int64_t r = row_of[source], lo, hi, mid
    if r < 0:
        return INFINITY
    lo = rptr[r]
    hi = rptr[r + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if target[mid] < node:
            lo = mid + 1
        else:
            hi = mid
    if lo < rptr[r + 1] and target[lo] == node:
        return dist[lo]
    return INFINITY


def candidates(px_m, py_m, ax_m, ay_m, bx_m, by_m, grid, double radius_m, int max_segments):
    """The nearest segments within ``radius_m`` of each fix, nearest first.

    Returns (ptr int64[n+1], seg int32, fraction float64 along the segment, dist_m float64).
    """
    cdef double[::1] px = _f64(px_m, "px_m"), py = _f64(py_m, "py_m")
    cdef double[::1] ax = _f64(ax_m, "ax_m", True), ay = _f64(ay_m, "ay_m", True)
    cdef double[::1] bx = _f64(bx_m, "bx_m", True), by = _f64(by_m, "by_m", True)
    if px.shape[0] != py.shape[0]:
        raise ValueError("px_m and py_m must have one length")
    if not ax.shape[0] == ay.shape[0] == bx.shape[0] == by.shape[0]:
        raise ValueError("ax_m, ay_m, bx_m and by_m must have one length")
    try:
        x0_, y0_, cell_m_, nx_, ny_, cell_ptr_, items_ = grid
        x0_, y0_, cell_m_, nx_, ny_ = float(x0_), float(y0_), float(cell_m_), int(nx_), int(ny_)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("grid must be what build_grid returned") from None
    if not (0 < nx_ and 0 < ny_ and nx_ * ny_ <= MAX_CELLS and 0.0 < cell_m_ < INFINITY
            and np.isfinite(x0_) and np.isfinite(y0_)):
        raise ValueError("grid must be what build_grid returned")
    items_a = _index(items_, "the grid's items", ax.shape[0])
    cdef double x0 = x0_, y0 = y0_, cell_m = cell_m_
    cdef int64_t nx = nx_, ny = ny_
    cdef int64_t[::1] cell_ptr = _offsets(cell_ptr_, "the grid's cell_ptr", items_a.shape[0])
    if cell_ptr.shape[0] != nx * ny + 1:
        raise ValueError("grid must be what build_grid returned")
    cdef int32_t[::1] items = items_a
    cdef Py_ssize_t n = px.shape[0], n_seg = ax.shape[0]
    if max_segments < 1 or max_segments > 4096:
        raise ValueError("max_segments must be in 1..4096")
    if not 0.0 <= radius_m < INFINITY:
        raise ValueError(f"radius_m must be finite and not negative, not {radius_m}")
    ptr_arr = np.zeros(n + 1, dtype=np.int64)
    seg_arr = np.empty(n * max_segments, dtype=np.int32)
    frac_arr = np.empty(n * max_segments)
    dist_arr = np.empty(n * max_segments)
    stamp_arr = np.full(n_seg, -1, dtype=np.int64)
    cdef int64_t[::1] ptr = ptr_arr, stamp = stamp_arr
    cdef int32_t[::1] oseg = seg_arr
    cdef double[::1] ofrac = frac_arr, odist = dist_arr
    cdef int64_t t, i, j, i0, i1, j0, j1, k, k2, m, out = 0, c
    cdef int32_t s
    cdef double dx, dy, l2, f, qx, qy, d, r2 = radius_m * radius_m
    with nogil:
        for t in range(n):
            m = 0
            if not (fabs(px[t] - x0) < 1e15 and fabs(py[t] - y0) < 1e15):  # NaN, or off the map
                ptr[t + 1] = out
                continue
            i0 = <int64_t>floor((px[t] - radius_m - x0) / cell_m)
            i1 = <int64_t>floor((px[t] + radius_m - x0) / cell_m)
            j0 = <int64_t>floor((py[t] - radius_m - y0) / cell_m)
            j1 = <int64_t>floor((py[t] + radius_m - y0) / cell_m)
            if i0 < 0:
                i0 = 0
            if j0 < 0:
                j0 = 0
            if i1 >= nx:
                i1 = nx - 1
            if j1 >= ny:
                j1 = ny - 1
            for j in range(j0, j1 + 1):
                for i in range(i0, i1 + 1):
                    c = j * nx + i
                    for k in range(cell_ptr[c], cell_ptr[c + 1]):
                        s = items[k]
                        if stamp[s] == t:
                            continue
                        stamp[s] = t
                        dx = bx[s] - ax[s]
                        dy = by[s] - ay[s]
                        l2 = dx * dx + dy * dy
                        f = 0.0
                        if l2 > 0.0:
                            f = ((px[t] - ax[s]) * dx + (py[t] - ay[s]) * dy) / l2
                            if f < 0.0:
                                f = 0.0
                            elif f > 1.0:
                                f = 1.0
                        qx = ax[s] + f * dx - px[t]
                        qy = ay[s] + f * dy - py[t]
                        d = qx * qx + qy * qy
                        if d > r2:
                            continue
                        # insertion into the sorted list of this fix (nearest first, then lower id)
                        if m == max_segments and (d > odist[out + m - 1] or
                                                  (d == odist[out + m - 1] and s > oseg[out + m - 1])):
                            continue
                        if m < max_segments:
                            m += 1
                        k2 = out + m - 1
                        while k2 > out and (odist[k2 - 1] > d or (odist[k2 - 1] == d and oseg[k2 - 1] > s)):
                            odist[k2] = odist[k2 - 1]
                            oseg[k2] = oseg[k2 - 1]
                            ofrac[k2] = ofrac[k2 - 1]
                            k2 -= 1
                        odist[k2] = d
                        oseg[k2] = s
                        ofrac[k2] = f
            for k in range(out, out + m):
                odist[k] = sqrt(odist[k])
            out += m
            ptr[t + 1] = out
    return ptr_arr, seg_arr[:out].copy(), frac_arr[:out].copy(), dist_arr[:out].copy()


def match(px_m, py_m, cand_ptr, cand_edge, cand_offset_m, cand_dist_m,
          edge_src, edge_dst, edge_length_m, table, double sigma_m, double beta_m,
          double reverse_tol_m=5.0):
    """Viterbi over the candidates (edges with an offset along them) of each fix.

    ``table`` = (row_of int64[n_nodes] → row or -1, row_ptr, target, dist_m) from ``ubodt``
    with a row for the end node of every candidate edge. Returns per fix: the chosen candidate
    index into ``cand_*`` (-1: unmatched), the distance (m) driven since the previous matched
    fix of the same chain (0 at a chain's start; signed along one edge, so a stopped van's
    jitter cancels out instead of adding up), and whether a chain starts there.
    """
    _positive(sigma_m, "sigma_m")
    _positive(beta_m, "beta_m")
    if reverse_tol_m != reverse_tol_m:
        raise ValueError("reverse_tol_m must be a number")
    cdef double[::1] px = _f64(px_m, "px_m"), py = _f64(py_m, "py_m")
    if px.shape[0] != py.shape[0]:
        raise ValueError("px_m and py_m must have one length")
    elen_a = _f64(edge_length_m, "edge_length_m")
    n_edges = elen_a.shape[0]
    try:
        row_of_, rptr_, target_, tdist_ = table
    except (TypeError, ValueError):
        raise ValueError("table must be (row_of, row_ptr, target, dist_m)") from None
    tdist_a = _f64(tdist_, "the table's dist_m")
    rptr_a = _offsets(rptr_, "the table's row_ptr", tdist_a.shape[0])
    row_of_a = _index(row_of_, "the table's row_of", rptr_a.shape[0] - 1, lowest=-1)
    n_nodes = row_of_a.shape[0]
    target_a = _index(target_, "the table's target", max(n_nodes, 1))
    if target_a.shape[0] != tdist_a.shape[0]:
        raise ValueError("the table's target and dist_m must have one length")
    esrc_a = _index(edge_src, "edge_src", n_nodes)
    edst_a = _index(edge_dst, "edge_dst", n_nodes)
    if not esrc_a.shape[0] == edst_a.shape[0] == n_edges:
        raise ValueError("edge_src, edge_dst and edge_length_m must have one length")
    coff_a = _f64(cand_offset_m, "cand_offset_m")
    cedge_a = _index(cand_edge, "cand_edge", n_edges)
    cdist_a = _f64(cand_dist_m, "cand_dist_m")
    if not cedge_a.shape[0] == coff_a.shape[0] == cdist_a.shape[0]:
        raise ValueError("cand_edge, cand_offset_m and cand_dist_m must have one length")
    cptr_a = _offsets(cand_ptr, "cand_ptr", coff_a.shape[0])
    if cptr_a.shape[0] != px.shape[0] + 1:
        raise ValueError("cand_ptr must have one offset per fix and one more")
    cdef int64_t[::1] cptr = cptr_a
    cdef int32_t[::1] cedge = cedge_a
    cdef double[::1] coff = coff_a
    cdef double[::1] cdist = cdist_a
    cdef int32_t[::1] esrc = esrc_a, edst = edst_a
    cdef double[::1] elen = elen_a
    cdef int64_t[::1] row_of = row_of_a.astype(np.int64)
    cdef int64_t[::1] rptr = rptr_a
    cdef int32_t[::1] target = target_a
    cdef double[::1] tdist = tdist_a
    cdef Py_ssize_t n = px.shape[0], total = coff.shape[0]
    score_arr = np.full(total, -INFINITY)
    back_arr = np.full(total, -1, dtype=np.int64)
    step_arr = np.zeros(total)
    chosen_arr = np.full(n, -1, dtype=np.int64)
    route_arr = np.zeros(n)
    start_arr = np.zeros(n, dtype=np.int8)
    cdef double[::1] score = score_arr, step = step_arr, route = route_arr
    cdef int64_t[::1] back = back_arr, chosen = chosen_arr
    cdef int8_t[::1] start = start_arr
    cdef int64_t t, prev = -1, i, j, best_i, k
    cdef double gc, r, rs, best, cand, em, inv2s2 = 0.5 / (sigma_m * sigma_m), dxy, dyy
    cdef int32_t ei, ej
    cdef bint any_ok
    with nogil:
        for t in range(n + 1):
            if t < n and cptr[t] == cptr[t + 1]:
                continue  # unmatched fix: the chain goes on from the previous one
            any_ok = False
            if t < n and prev >= 0:
                dxy = px[t] - px[prev]
                dyy = py[t] - py[prev]
                gc = sqrt(dxy * dxy + dyy * dyy)
                for j in range(cptr[t], cptr[t + 1]):
                    ej = cedge[j]
                    em = -cdist[j] * cdist[j] * inv2s2
                    best = -INFINITY
                    best_i = -1
                    for i in range(cptr[prev], cptr[prev + 1]):
                        if score[i] == -INFINITY:
                            continue
                        ei = cedge[i]
                        if ei == ej and coff[j] >= coff[i] - reverse_tol_m:
                            rs = coff[j] - coff[i]  # signed: jitter back and forth cancels out
                            r = rs if rs > 0.0 else 0.0
                        else:
                            r = (elen[ei] - coff[i]) + coff[j]
                            if edst[ei] != esrc[ej]:
                                r = r + _lookup(row_of, rptr, target, tdist, edst[ei], esrc[ej])
                            rs = r
                        if r == INFINITY:
                            continue
                        cand = score[i] - fabs(r - gc) / beta_m
                        if cand > best:
                            best = cand
                            best_i = i
                            step[j] = rs
                    if best_i >= 0:
                        score[j] = best + em
                        back[j] = best_i
                        any_ok = True
            if not any_ok:
                # the chain ends at prev (or t is the end): trace it back, then start anew at t
                if prev >= 0:
                    best = -INFINITY
                    best_i = -1
                    for i in range(cptr[prev], cptr[prev + 1]):
                        if score[i] > best:
                            best = score[i]
                            best_i = i
                    k = best_i
                    while k >= 0:
                        # find the fix of candidate k: search back from prev
                        while cptr[prev] > k:
                            prev -= 1
                        chosen[prev] = k
                        route[prev] = step[k] if back[k] >= 0 else 0.0
                        if back[k] < 0:
                            start[prev] = 1
                        k = back[k]
                if t == n:
                    break
                for j in range(cptr[t], cptr[t + 1]):
                    score[j] = -cdist[j] * cdist[j] * inv2s2
                    back[j] = -1
                    step[j] = 0.0
            prev = t
    return chosen_arr, route_arr, start_arr
