"""Newson & Krumm's HMM map-matching written plainly in Python (lists, dicts, heapq).

The reference the compiled kernels of ``ext.mapmatch`` must equal (tests/ext/test_mapmatch.py)
and the anchor they are timed against (bench/bench_territory.py): every segment tried for
candidates, a bounded Dijkstra per transition, the kernel's break rules.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from domain.territory.matching import MatchParameters
from domain.territory.network import RoadNetwork


def ref_candidates(px, py, ax, ay, bx, by, radius, k):
    """Every segment tried, nearest first (ties: lower id), at most ``k`` within ``radius``."""
    out = []
    for x, y in zip(px.tolist(), py.tolist(), strict=True):
        found = []
        for s in range(len(ax)):
            dx, dy = bx[s] - ax[s], by[s] - ay[s]
            l2 = dx * dx + dy * dy
            f = 0.0 if l2 == 0 else min(1.0, max(0.0, ((x - ax[s]) * dx + (y - ay[s]) * dy) / l2))
            d2 = (ax[s] + f * dx - x) ** 2 + (ay[s] + f * dy - y) ** 2
            if d2 <= radius * radius:
                found.append((d2, s, f))
        found.sort()
        out.append([(s, f, math.sqrt(d2)) for d2, s, f in found[:k]])
    return out


def ref_viterbi(px, py, cptr, cedge, coff, cdist, net: RoadNetwork, p: MatchParameters):
    """Newson & Krumm's HMM written plainly (dicts, heapq), with the kernel's break rules."""
    adj: dict[int, list[tuple[int, float]]] = {}
    for e in range(net.n_edges):
        adj.setdefault(int(net.edge_src[e]), []).append(
            (int(net.edge_dst[e]), float(net.edge_length_m[e]))
        )

    def sp(a: int, b: int) -> float:
        best = {a: 0.0}
        heap = [(0.0, a)]
        while heap:
            c, u = heapq.heappop(heap)
            if u == b:
                return c
            if c > best[u]:
                continue
            for v, w in adj.get(u, []):
                if c + w <= p.delta_m and c + w < best.get(v, math.inf):
                    best[v] = c + w
                    heapq.heappush(heap, (c + w, v))
        return math.inf

    n = len(px)
    chosen = [-1] * n
    route = [0.0] * n
    start = [0] * n
    chain: list[
        tuple[int, dict[int, tuple[float, int, float]]]
    ] = []  # (fix, cand → (score, back, step))

    def close() -> None:
        if not chain:
            return
        t, layer = chain[-1]
        k = max(layer, key=lambda c: (layer[c][0], -c))
        for t, layer in reversed(chain):
            _, back, step = layer[k]
            chosen[t] = k
            route[t] = step if back >= 0 else 0.0
            start[t] = int(back < 0)
            k = back
        chain.clear()

    for t in range(n):
        cands = range(cptr[t], cptr[t + 1])
        if not cands:
            continue
        layer = {}
        if chain:
            tp, prev = chain[-1]
            gc = math.hypot(px[t] - px[tp], py[t] - py[tp])
            for j in cands:
                best = (-math.inf, -1, 0.0)
                for i in range(cptr[tp], cptr[tp + 1]):
                    if i not in prev:
                        continue
                    ei, ej = int(cedge[i]), int(cedge[j])
                    if ei == ej and coff[j] >= coff[i] - p.reverse_tol_m:
                        rs = coff[j] - coff[i]
                        r = max(rs, 0.0)
                    else:
                        r = net.edge_length_m[ei] - coff[i] + coff[j]
                        a, b = int(net.edge_dst[ei]), int(net.edge_src[ej])
                        if a != b:
                            r += sp(a, b)
                        rs = r
                    if r == math.inf:
                        continue
                    c = prev[i][0] - abs(r - gc) / p.beta_m
                    if c > best[0]:
                        best = (c, i, rs)
                if best[1] >= 0:
                    layer[j] = (best[0] - cdist[j] ** 2 / (2 * p.sigma_m**2), best[1], best[2])
        if not layer:
            close()
            layer = {j: (-(cdist[j] ** 2) / (2 * p.sigma_m**2), -1, 0.0) for j in cands}
        chain.append((t, layer))
    close()
    return np.array(chosen), np.array(route), np.array(start)


def plain_match(net: RoadNetwork, px: np.ndarray, py: np.ndarray, p: MatchParameters) -> list:
    """The whole match in plain Python: candidates, directed edges, Viterbi (chosen per fix)."""
    x, y = net.node_xy()
    ax, ay = x[net.seg_a].tolist(), y[net.seg_a].tolist()
    bx, by = x[net.seg_b].tolist(), y[net.seg_b].tolist()
    found = ref_candidates(px, py, ax, ay, bx, by, p.radius_m, p.max_segments)
    cptr, cedge, coff, cdist = [0], [], [], []
    for cands in found:
        for s, f, d in cands:
            for e, off in ((net.seg_fwd_edge[s], f), (net.seg_bwd_edge[s], 1.0 - f)):
                if e >= 0:
                    cedge.append(int(e))
                    coff.append(off * float(net.seg_length_m[s]))
                    cdist.append(d)
        cptr.append(len(cedge))
    chosen, _, _ = ref_viterbi(px, py, cptr, cedge, coff, cdist, net, p)
    return chosen.tolist()
