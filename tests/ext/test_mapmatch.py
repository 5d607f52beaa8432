"""The map-matching kernels against plain Python: candidates, bounded table, Viterbi."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from bench.plain_hmm import ref_candidates, ref_viterbi
from domain.territory.matching import MatchParameters, edge_candidates, prepared
from domain.territory.network import RoadNetwork
from ext import mapmatch


def noisy_walk(net: RoadNetwork, seed: int, steps: int = 400):
    """Fixes every ~1.5 m along a random drive on the network, with 3 m GNSS noise."""
    rng = np.random.default_rng(seed)
    node = int(rng.integers(0, net.n_nodes))
    pts = []
    x, y = net.node_xy()
    while len(pts) < steps:
        out = np.flatnonzero(net.edge_src == node)
        if not len(out):
            break
        e = int(rng.choice(out))
        a, b = int(net.edge_src[e]), int(net.edge_dst[e])
        k = max(1, int(net.edge_length_m[e] / 1.5))
        for f in np.arange(k) / k:
            pts.append((x[a] + f * (x[b] - x[a]), y[a] + f * (y[b] - y[a])))
        node = b
    p = np.array(pts[:steps]) + rng.normal(0, 3.0, (min(steps, len(pts)), 2))
    # a stretch far from any street: the van in a car park 200 m off
    p[150:170] += 200.0
    return p[:, 0].copy(), p[:, 1].copy()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kernels_equal_the_plain_python_hmm(helsinki: RoadNetwork, seed: int) -> None:
    p = MatchParameters()
    prep = prepared(helsinki, p)
    ax, ay, bx, by = prep["seg"]
    px, py = noisy_walk(helsinki, seed)
    sptr, sseg, sfrac, sdist = mapmatch.candidates(px, py, ax, ay, bx, by, prep["grid"],
                                                   p.radius_m, p.max_segments)  # fmt: skip
    ref = ref_candidates(px, py, ax, ay, bx, by, p.radius_m, p.max_segments)
    for t, cands in enumerate(ref):
        got = list(range(sptr[t], sptr[t + 1]))
        assert [sseg[k] for k in got] == [s for s, _, _ in cands]
        assert np.allclose([sfrac[k] for k in got], [f for _, f, _ in cands], atol=1e-12)
        assert np.allclose([sdist[k] for k in got], [d for _, _, d in cands], atol=1e-9)
    assert sptr[151] == sptr[170]  # the car park: no candidate

    cptr, cedge, coff, origin = edge_candidates(helsinki, sseg, sfrac, sptr)
    cdist = sdist[origin]
    sources = np.unique(helsinki.edge_dst[cedge]).astype(np.int32)
    rptr, target, tdist, first = mapmatch.ubodt(
        prep["indptr"], helsinki.edge_dst, helsinki.edge_length_m, sources, p.delta_m
    )
    ref_d = dijkstra(helsinki.csr("length"), indices=sources, limit=p.delta_m)
    for k in range(len(sources)):
        row = slice(rptr[k], rptr[k + 1])
        assert target[row].tolist() == np.flatnonzero(np.isfinite(ref_d[k])).tolist()
        assert np.allclose(tdist[row], ref_d[k][target[row]], rtol=1e-12)
        for node, e in zip(target[row].tolist(), first[row].tolist(), strict=True):
            if node != sources[k]:  # the first edge leaves the source on a shortest path
                assert helsinki.edge_src[e] == sources[k]
                rest = ref_d[k][node] - helsinki.edge_length_m[e]
                via = dijkstra(helsinki.csr("length"), indices=[helsinki.edge_dst[e]])[0][node]
                assert via == pytest.approx(rest, abs=1e-6)
            break  # one path checked per row keeps this test quick
    row_of = np.full(helsinki.n_nodes, -1, dtype=np.int64)
    row_of[sources] = np.arange(len(sources))
    chosen, route, start = mapmatch.match(
        px, py, cptr, cedge, coff, cdist, helsinki.edge_src, helsinki.edge_dst,
        helsinki.edge_length_m, (row_of, rptr, target, tdist), p.sigma_m, p.beta_m,
        p.reverse_tol_m,
    )  # fmt: skip
    r_chosen, r_route, r_start = ref_viterbi(px, py, cptr, cedge, coff, cdist, helsinki, p)
    assert chosen.tolist() == r_chosen.tolist()
    assert np.allclose(route, r_route, atol=1e-9)
    assert start.tolist() == r_start.tolist()
    assert (chosen[150:170] == -1).all() and (chosen[:150] >= 0).all()
