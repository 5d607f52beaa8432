# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""One van's round as a travelling salesman problem with time windows: iterated local search.

Node 0 is the depot, nodes 1..n the stops. The van leaves the depot at ``start_s`` exactly;
each delivery starts within its window (it waits when early); the last delivery must end by
``end_by_s`` (the cold chain: the drive back does not count); the tour's length counts the
drive back. Times are integer seconds, lengths integer metres.

The search (for the planner's "80 stops in 1 s"):

- every move is judged in O(1) by concatenating segment summaries (Vidal et al. 2013,
  "A hybrid genetic algorithm with adaptive diversity management for a large class of vehicle
  routing problems with time-windows", section 4: duration, time warp, earliest and latest
  start of a segment); lateness is "time warp", penalised per second, the penalty adapted so
  that about half of the local optima are feasible;
- local search, first improvement: 2-opt (reverse a run of stops) and or-opt (move a run of
  1–3 stops elsewhere, either way round), a move skipped when its length alone cannot gain;
- perturbation: a local double bridge (two neighbouring runs of 1–``MAX_RUN`` stops swapped)
  and a few random relocations; late acceptance (``HISTORY`` local optima) decides whether
  the search moves on from the new local optimum.

The best feasible tour found is returned, else the one with the least time warp.
"""

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

import numpy as np

DEF MAX_OR_RUN = 3
DEF UPDATE_EVERY = 50
cdef int64_t NO_LIMIT = 1 << 60
cdef int64_t MAX_PENALTY = 1_000_000
"""Metres per second of time warp at most: a round with no feasible order raises the penalty
at every update, and metres + penalty × seconds must stay far inside 64 bits."""

HISTORY = 400
"""Local optima the late acceptance compares with. Measured on the bench's 80 stops (12–16
seeds, ``python -m bench.bench_planning tune``): 400 gave the lowest mean gap in 1 s and in
0.4 s (a loaded machine's second), against 60, 100, 120 and 200."""
MAX_RUN = 8
"""Longest run of stops the double bridge moves (4 and 15 measured: no better)."""
RELOCATIONS = 1
"""Random single-stop relocations added to each perturbation (0 measured: 4 seeds of 16 over
1 %; 2 and 3: fewer iterations, no better)."""
MAX_STOPS = 5000
"""Most stops a call may ask for (the matrices are (n + 2)² integers)."""


cdef struct Seg:
    int64_t dur     # from the start of the first delivery to the end of the last, waiting in
    int64_t warp    # seconds of time warp (lateness) inside
    int64_t early   # earliest start of the first delivery that adds no waiting
    int64_t late    # latest start of the first delivery that adds no time warp
    int64_t dist    # metres driven inside
    int32_t first
    int32_t last


cdef struct Problem:
    int32_t size          # n + 2: depot, stops, the end of the round
    const int64_t* dur    # size × size, seconds (to the end node: 0)
    const int64_t* dist   # size × size, metres (to the end node: back to the depot)
    const int64_t* early
    const int64_t* late
    const int64_t* service


cdef inline Seg _node(const Problem* p, int32_t v) noexcept nogil:
    cdef Seg s
    s.dur = p.service[v]
    s.warp = 0
    s.early = p.early[v]
    s.late = p.late[v]
    s.dist = 0
    s.first = v
    s.last = v
    return s


cdef inline Seg _cat(const Problem* p, Seg a, Seg b) noexcept nogil:
    """``a`` then ``b`` (Vidal et al. 2013, eq. 9–13)."""
    cdef int64_t leg = p.dur[a.last * p.size + b.first]
    cdef int64_t delta = a.dur - a.warp + leg
    cdef int64_t wait = b.early - delta - a.late
    cdef int64_t warp = a.early + delta - b.late
    cdef Seg s
    if wait < 0:
        wait = 0
    if warp < 0:
        warp = 0
    s.dur = a.dur + b.dur + leg + wait
    s.warp = a.warp + b.warp + warp
    s.early = (b.early - delta if b.early - delta > a.early else a.early) - wait
    s.late = (b.late - delta if b.late - delta < a.late else a.late) + warp
    s.dist = a.dist + b.dist + p.dist[a.last * p.size + b.first]
    s.first = a.first
    s.last = b.last
    return s


cdef inline int64_t _cost(Seg s, int64_t penalty) noexcept nogil:
    return s.dist + penalty * s.warp


cdef inline uint64_t _next(uint64_t* state) noexcept nogil:
    """xorshift64*: a small, fast, seedable generator (Vigna 2016)."""
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>2685821657736338717


cdef inline int32_t _below(uint64_t* state, int32_t n) noexcept nogil:
    return <int32_t>((_next(state) >> 33) % <uint64_t>n)


cdef inline double _now_s() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef struct Tour:
    int32_t* at    # at[k]: node at position k (0: depot, size - 1: end)
    Seg* fwd       # fwd[k]: positions 0..k
    Seg* bwd       # bwd[k]: positions k..size - 1


cdef void _summarise(const Problem* p, Tour* t) noexcept nogil:
    cdef int32_t k, last = p.size - 1
    t.fwd[0] = _node(p, t.at[0])
    for k in range(1, p.size):
        t.fwd[k] = _cat(p, t.fwd[k - 1], _node(p, t.at[k]))
    t.bwd[last] = _node(p, t.at[last])
    for k in range(last - 1, -1, -1):
        t.bwd[k] = _cat(p, _node(p, t.at[k]), t.bwd[k + 1])


cdef void _reverse(int32_t* at, int32_t i, int32_t j) noexcept nogil:
    cdef int32_t x
    while i < j:
        x = at[i]
        at[i] = at[j]
        at[j] = x
        i += 1
        j -= 1


cdef void _move_run(int32_t* at, int32_t* tmp, int32_t i, int32_t k, int32_t p,
                    bint flip) noexcept nogil:
    """Move positions i..i+k-1 to sit just after position p (p outside the run), flipped or not."""
    cdef int32_t a
    for a in range(k):
        tmp[a] = at[i + k - 1 - a] if flip else at[i + a]
    if p >= i + k:  # later: shift i+k..p back by k
        for a in range(i + k, p + 1):
            at[a - k] = at[a]
        for a in range(k):
            at[p - k + 1 + a] = tmp[a]
    else:  # earlier: shift p+1..i-1 forward by k
        a = i - 1
        while a > p:
            at[a + k] = at[a]
            a -= 1
        for a in range(k):
            at[p + 1 + a] = tmp[a]


cdef bint _two_opt(const Problem* p, Tour* t, int32_t i, int64_t penalty) noexcept nogil:
    """First improving reversal of positions i..j (j > i), applied; False when none improves."""
    cdef int32_t n = p.size - 2, size = p.size, j
    cdef Seg rev, total
    cdef int64_t current = _cost(t.fwd[size - 1], penalty), d_cut
    cdef const int64_t* dist = p.dist
    rev = _node(p, t.at[i])
    for j in range(i + 1, n + 1):
        rev = _cat(p, _node(p, t.at[j]), rev)
        # length alone: new edges (i-1 → j) and (i → j+1), the run's length reversed
        d_cut = (t.fwd[i - 1].dist + rev.dist + t.bwd[j + 1].dist
                 + dist[t.at[i - 1] * size + t.at[j]] + dist[t.at[i] * size + t.at[j + 1]])
        if d_cut >= current:
            continue
        total = _cat(p, _cat(p, t.fwd[i - 1], rev), t.bwd[j + 1])
        if _cost(total, penalty) < current:
            _reverse(t.at, i, j)
            _summarise(p, t)
            return True
    return False


cdef bint _or_opt(const Problem* p, Tour* t, int32_t* tmp, int32_t i, int32_t k,
                  int64_t penalty) noexcept nogil:
    """First improving move of the run i..i+k-1 elsewhere (either way round), applied."""
    cdef int32_t n = p.size - 2, size = p.size, q, flip
    cdef Seg run, runr, mid, total, r
    cdef int64_t current = _cost(t.fwd[size - 1], penalty), base
    cdef const int64_t* dist = p.dist
    if i + k - 1 > n:
        return False
    run = _node(p, t.at[i])
    runr = run
    for q in range(i + 1, i + k):
        run = _cat(p, run, _node(p, t.at[q]))
        runr = _cat(p, _node(p, t.at[q]), runr)
    # later: ... i-1 | i+k .. q | run | q+1 ...
    for q in range(i + k, n + 1):
        if q == i + k:
            mid = _node(p, t.at[q])
        else:
            mid = _cat(p, mid, _node(p, t.at[q]))
        base = t.fwd[i - 1].dist + mid.dist + run.dist + t.bwd[q + 1].dist \
            + dist[t.at[i - 1] * size + t.at[i + k]]
        for flip in range(2 if k > 1 else 1):
            r = runr if flip else run
            if base + dist[t.at[q] * size + r.first] + dist[r.last * size + t.at[q + 1]] \
                    >= current:
                continue
            total = _cat(p, _cat(p, _cat(p, t.fwd[i - 1], mid), r), t.bwd[q + 1])
            if _cost(total, penalty) < current:
                _move_run(t.at, tmp, i, k, q, flip)
                _summarise(p, t)
                return True
    # earlier: ... q-1 | run | q .. i-1 | i+k ...
    q = i - 1
    while q >= 1:
        if q == i - 1:
            mid = _node(p, t.at[q])
        else:
            mid = _cat(p, _node(p, t.at[q]), mid)
        base = t.fwd[q - 1].dist + run.dist + mid.dist + t.bwd[i + k].dist \
            + dist[t.at[i - 1] * size + t.at[i + k]]
        for flip in range(2 if k > 1 else 1):
            r = runr if flip else run
            if base + dist[t.at[q - 1] * size + r.first] + dist[r.last * size + t.at[q]] \
                    >= current:
                continue
            total = _cat(p, _cat(p, _cat(p, t.fwd[q - 1], r), mid), t.bwd[i + k])
            if _cost(total, penalty) < current:
                _move_run(t.at, tmp, i, k, q - 1, flip)
                _summarise(p, t)
                return True
        q -= 1
    return False


cdef void _descend(const Problem* p, Tour* t, int32_t* tmp, int64_t penalty) noexcept nogil:
    """Local search to a local optimum: the move groups (per position: reversals from it, runs
    of 1–3 stops from it) taken in turn, a group tried again while it improves, until a whole
    round of groups gains nothing."""
    cdef int32_t n = p.size - 2, groups = (1 + MAX_OR_RUN) * n, g = 0, quiet = 0, i, kind
    cdef bint gained
    while quiet < groups:
        i = 1 + g // (1 + MAX_OR_RUN)
        kind = g % (1 + MAX_OR_RUN)
        if kind == 0:
            gained = i < n and _two_opt(p, t, i, penalty)
        else:
            gained = _or_opt(p, t, tmp, i, kind, penalty)
        if gained:
            quiet = 0
        else:
            quiet += 1
            g = (g + 1) % groups


cdef void _perturb(const Problem* p, Tour* t, int32_t* tmp, uint64_t* rng,
                   int32_t max_run, int32_t moves) noexcept nogil:
    """A local double bridge (two adjacent runs swapped) and one random relocation."""
    cdef int32_t n = p.size - 2, a, b, i, q
    if n >= 4:
        a = 1 + _below(rng, max_run if max_run < n // 2 else n // 2)
        b = 1 + _below(rng, max_run if max_run < n // 2 else n // 2)
        i = 1 + _below(rng, n - a - b + 1)
        # runs i..i+a-1 and i+a..i+a+b-1: move the first after the second
        _move_run(t.at, tmp, i, a, i + a + b - 1, False)
    while n >= 3 and moves > 0:
        i = 1 + _below(rng, n)
        q = _below(rng, n + 1)
        if q != i and q != i - 1:
            _move_run(t.at, tmp, i, 1, q, False)
        moves -= 1
    _summarise(p, t)


def _whole(a, name):
    """``a`` as a C-contiguous int64 array, or ValueError naming it (no silent rounding)."""
    try:
        arr = np.asarray(a)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError
        return np.require(arr.astype(np.int64), requirements="C")
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must hold whole numbers") from None


def solve(dist_m, dur_s, early_s, late_s, service_s, long start_s, long end_by_s,
          initial, double time_limit_s, long seed, long max_iterations=-1,
          int history_length=HISTORY, int max_run=MAX_RUN, int relocations=RELOCATIONS):
    """The shortest tour found in ``time_limit_s`` (or ``max_iterations``, if ≥ 0, whichever
    ends first) from ``initial`` (the stops 1..n in some order).

    ``dist_m``/``dur_s``: (n + 1) × (n + 1) integer matrices, row and column 0 the depot;
    ``early_s``/``late_s``/``service_s``: n integers per stop (stop i at index i - 1).
    Returns (order of the stops 1..n, metres, seconds of time warp, iterations). Raises
    ValueError for arrays of the wrong shape or an order that is not a permutation.
    """
    D = _whole(dist_m, "dist_m")
    T = _whole(dur_s, "dur_s")
    if D.ndim != 2 or D.shape[0] != D.shape[1] or T.shape != D.shape:
        raise ValueError("dist_m and dur_s must be square matrices of the same size")
    cdef Py_ssize_t n = D.shape[0] - 1
    if n < 1 or n > MAX_STOPS:
        raise ValueError(f"between 1 and {MAX_STOPS} stops, not {n}")
    order = _whole(initial, "initial")
    if order.shape != (n,) or sorted(order.tolist()) != list(range(1, n + 1)):
        raise ValueError("initial must be the stops 1..n, each once")
    windows = []
    for name, values in (("early_s", early_s), ("late_s", late_s), ("service_s", service_s)):
        arr = _whole(values, name)
        if arr.shape != (n,):
            raise ValueError(f"{name} must hold one value per stop")
        windows.append(arr)
    if (D < 0).any() or (T < 0).any() or (windows[2] < 0).any():
        raise ValueError("lengths, durations and service times must not be negative")

    cdef Py_ssize_t size = n + 2, a, b
    # the matrices with an end node (index n + 1): back to the depot, at no time
    dist = np.empty((size, size), dtype=np.int64)
    dur = np.empty((size, size), dtype=np.int64)
    dist[: n + 1, : n + 1] = D
    dur[: n + 1, : n + 1] = T
    dist[:, n + 1] = np.append(D[:, 0], 0)
    dist[n + 1, :] = 0
    dur[:, n + 1] = 0
    dur[n + 1, :] = 0
    early = np.concatenate(([start_s], windows[0], [-NO_LIMIT]))
    late = np.concatenate(([start_s], windows[1], [end_by_s]))
    service = np.concatenate(([0], windows[2], [0]))
    cdef const int64_t[:, ::1] dist_v = dist
    cdef const int64_t[:, ::1] dur_v = dur
    cdef const int64_t[::1] early_v = early, late_v = late, service_v = service
    cdef Problem prob
    prob.size = <int32_t>size
    prob.dist = &dist_v[0, 0]
    prob.dur = &dur_v[0, 0]
    prob.early = &early_v[0]
    prob.late = &late_v[0]
    prob.service = &service_v[0]

    cdef int64_t* history = <int64_t*>malloc(history_length * sizeof(int64_t))
    cdef int32_t* work = <int32_t*>malloc(4 * size * sizeof(int32_t))
    cdef Seg* segs = <Seg*>malloc(4 * size * sizeof(Seg))
    if work == NULL or segs == NULL or history == NULL:
        free(history)
        free(history)
        free(work)
        free(segs)
        raise MemoryError()
    cdef Tour cur, trial
    cur.at, trial.at = work, work + size
    cdef int32_t* best_at = work + 2 * size
    cdef int32_t* tmp = work + 3 * size
    cur.fwd, cur.bwd, trial.fwd, trial.bwd = segs, segs + size, segs + 2 * size, segs + 3 * size

    if history_length < 1 or max_run < 1 or relocations < 0:
        raise ValueError("history_length and max_run must be at least 1, relocations at least 0")
    cdef int64_t penalty = 10, best_dist = NO_LIMIT, best_warp = NO_LIMIT, cand
    cdef long iterations = 0, feasible_seen = 0
    cdef uint64_t rng = (<uint64_t>seed * <uint64_t>0x9E3779B97F4A7C15
                         + <uint64_t>0x2545F4914F6CDD1D) | 1
    cdef double deadline_s = _now_s() + time_limit_s
    cdef Seg whole
    try:
        with nogil:
            cur.at[0] = 0
            cur.at[size - 1] = <int32_t>(size - 1)
        for a in range(n):
            cur.at[a + 1] = <int32_t>order[a]
        with nogil:
            _summarise(&prob, &cur)
            whole = cur.fwd[size - 1]
            best_dist, best_warp = whole.dist, whole.warp
            for a in range(size):
                best_at[a] = cur.at[a]
            _descend(&prob, &cur, tmp, penalty)
            whole = cur.fwd[size - 1]
            if whole.warp < best_warp or (whole.warp == best_warp and whole.dist < best_dist):
                best_dist, best_warp = whole.dist, whole.warp
                for a in range(size):
                    best_at[a] = cur.at[a]
            for a in range(history_length):
                history[a] = _cost(whole, penalty)
            while (max_iterations < 0 or iterations < max_iterations) and _now_s() < deadline_s:
                for a in range(size):
                    trial.at[a] = cur.at[a]
                _perturb(&prob, &trial, tmp, &rng, max_run, relocations)
                _descend(&prob, &trial, tmp, penalty)
                whole = trial.fwd[size - 1]
                if whole.warp == 0:
                    feasible_seen += 1
                if whole.warp < best_warp or (whole.warp == best_warp and whole.dist < best_dist):
                    best_warp, best_dist = whole.warp, whole.dist
                    for a in range(size):
                        best_at[a] = trial.at[a]
                cand = _cost(whole, penalty)
                b = iterations % history_length
                if cand < history[b] or cand <= _cost(cur.fwd[size - 1], penalty):
                    for a in range(size):
                        cur.at[a] = trial.at[a]
                    _summarise(&prob, &cur)
                if _cost(cur.fwd[size - 1], penalty) < history[b]:
                    history[b] = _cost(cur.fwd[size - 1], penalty)
                iterations += 1
                if iterations % UPDATE_EVERY == 0:
                    # about half the local optima feasible: more penalty when fewer are
                    if feasible_seen * 2 < UPDATE_EVERY:
                        penalty = min(penalty * 13 // 10 + 1, MAX_PENALTY)
                    elif feasible_seen * 10 > UPDATE_EVERY * 7 and penalty > 1:
                        penalty = penalty * 85 // 100
                    feasible_seen = 0
        result = np.array([best_at[a] for a in range(1, n + 1)], dtype=np.int64)
        return result, int(best_dist), int(best_warp), int(iterations)
    finally:
        free(history)
        free(work)
        free(segs)
