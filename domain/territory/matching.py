"""A session's GNSS fixes matched onto the road network (HMM, Newson & Krumm 2009).

The kernels are in ``ext.mapmatch`` (spatial grid, bounded shortest-path table à la FMM's
UBODT, Viterbi); this module prepares their arrays from a ``RoadNetwork`` and turns the
chosen candidates into what indicators need: per fix the edge, the way, the offset along the
way, the direction of travel, and the distance driven along the matched path (which replaces
the cumulative haversine of noisy fixes). Fixes with no street within ``radius_m`` (car
parks, private roads) are unmatched and reported as stretches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.territory.network import RoadNetwork
from ext import mapmatch

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MatchParameters:
    """The numbers a match depends on (recorded with each processing)."""

    radius_m: float = 30.0
    """Candidates: segments within this distance of a fix."""
    max_segments: int = 4
    """At most this many nearest segments per fix (each in its allowed directions)."""
    sigma_m: float = 4.07
    """GNSS error: Newson & Krumm's σ_z (emission ∝ exp(−½(d/σ)²))."""
    beta_m: float = 5.0
    """Transition ∝ exp(−|route − straight line| / β)."""
    delta_m: float = 300.0
    """Bound of the precomputed shortest paths: consecutive fixes further apart by road break."""
    reverse_tol_m: float = 15.0
    """Backward jitter along one edge (a stopped van's fixes, ≈ 3.5 σ) read as noise, not as a
    U-turn round the block."""
    grid_cell_m: float = 50.0


@dataclass
class MatchedTrack:
    """Per fix: the matched edge (-1: unmatched), where on it, and the distance driven."""

    edge: IntArray
    offset_m: FloatArray
    """Along the edge, from its start node."""
    way: IntArray
    """Way index in the network (-1: unmatched)."""
    way_offset_m: FloatArray
    """Offset along the way's node order (NaN: unmatched)."""
    forward: npt.NDArray[np.bool_]
    """True when driven along the way's node order."""
    distance_m: FloatArray
    """Distance driven from the first fix along the matched path (straight across breaks)."""
    error_m: FloatArray
    """Distance from the fix to its matched point (NaN: unmatched)."""
    chain_start: npt.NDArray[np.bool_]

    @property
    def matched(self) -> npt.NDArray[np.bool_]:
        return self.edge >= 0

    def unmatched_stretches(self, t_s: FloatArray) -> list[tuple[int, int]]:
        """(first, last) fix indices of each run of unmatched fixes."""
        bad = ~self.matched
        if not bad.any():
            return []
        edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
        return list(zip(np.flatnonzero(edges == 1).tolist(),
                        (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))  # fmt: skip


_prepared: dict[int, dict[str, Any]] = {}


def prepared(network: RoadNetwork, p: MatchParameters) -> dict[str, Any]:
    """The network's projected segments, grid and CSR pointer (computed once per network)."""
    key = id(network)
    got = _prepared.get(key)
    if got is not None and got["network"] is network and got["cell"] == p.grid_cell_m:
        return got
    x, y = network.node_xy()
    ax, ay = x[network.seg_a], y[network.seg_a]
    bx, by = x[network.seg_b], y[network.seg_b]
    got = {
        "network": network,
        "cell": p.grid_cell_m,
        "seg": (ax, ay, bx, by),
        "grid": mapmatch.build_grid(ax, ay, bx, by, p.grid_cell_m),
        "indptr": np.searchsorted(network.edge_src, np.arange(network.n_nodes + 1)).astype(
            np.int64
        ),
    }
    _prepared[key] = got
    return got


def edge_candidates(
    network: RoadNetwork, seg: npt.NDArray[np.int32], frac: FloatArray, ptr: IntArray
) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray, IntArray]:
    """Segment candidates → directed edge candidates: (ptr, edge, offset_m, source index)."""
    fwd, bwd = network.seg_fwd_edge[seg], network.seg_bwd_edge[seg]
    length = network.seg_length_m[seg]
    src = np.arange(len(seg))
    # per segment candidate: its forward edge first, then its backward one, where allowed
    edge = np.stack([fwd, bwd], axis=1).ravel()
    offset = np.stack([frac * length, (1.0 - frac) * length], axis=1).ravel()
    origin = np.repeat(src, 2)
    keep = edge >= 0
    fix_of = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    counts = np.bincount(np.repeat(fix_of, 2)[keep], minlength=len(ptr) - 1)
    new_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return new_ptr, edge[keep].astype(np.int32), offset[keep], origin[keep]


def match_track(
    network: RoadNetwork,
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    params: MatchParameters | None = None,
) -> MatchedTrack:
    """Match fixes (in driving order) onto the network."""
    p = params or MatchParameters()
    prep = prepared(network, p)
    px, py = network.project(lat_deg, lon_deg)
    ax, ay, bx, by = prep["seg"]
    sptr, sseg, sfrac, sdist = mapmatch.candidates(
        px, py, ax, ay, bx, by, prep["grid"], p.radius_m, p.max_segments
    )
    cptr, cedge, coff, origin = edge_candidates(network, sseg, sfrac, sptr)
    cdist = sdist[origin]
    sources = np.unique(network.edge_dst[cedge]).astype(np.int32)
    rptr, target, tdist, _ = mapmatch.ubodt(
        prep["indptr"], network.edge_dst, network.edge_length_m, sources, p.delta_m
    )
    row_of = np.full(network.n_nodes, -1, dtype=np.int64)
    row_of[sources] = np.arange(len(sources))
    chosen, route, start = mapmatch.match(
        px, py, cptr, cedge, coff, cdist, network.edge_src, network.edge_dst,
        network.edge_length_m, (row_of, rptr, target, tdist), p.sigma_m, p.beta_m,
        p.reverse_tol_m,
    )  # fmt: skip
    return assemble(network, px, py, chosen, route, start.astype(bool), cedge, coff, cdist)


def assemble(
    network: RoadNetwork,
    px: FloatArray,
    py: FloatArray,
    chosen: IntArray,
    route: FloatArray,
    start: npt.NDArray[np.bool_],
    cedge: npt.NDArray[np.int32],
    coff: FloatArray,
    cdist: FloatArray,
) -> MatchedTrack:
    """Per-fix values from the chosen candidates (distance straight across chain breaks)."""
    n = len(chosen)
    ok = chosen >= 0
    edge = np.full(n, -1, dtype=np.int64)
    edge[ok] = cedge[chosen[ok]]
    offset = np.full(n, np.nan)
    offset[ok] = coff[chosen[ok]]
    err = np.full(n, np.nan)
    err[ok] = cdist[chosen[ok]]
    seg = network.edge_seg[edge[ok]]
    forward = np.zeros(n, dtype=bool)
    forward[ok] = network.edge_forward[edge[ok]] == 1
    way = np.full(n, -1, dtype=np.int64)
    way[ok] = network.seg_way[seg]
    way_off = np.full(n, np.nan)
    along = np.where(forward[ok], offset[ok], network.seg_length_m[seg] - offset[ok])
    way_off[ok] = network.seg_from_m[seg] + along
    # distance: the route between consecutive matched fixes; straight across a break
    step = np.where(ok & ~start, route, 0.0)
    idx = np.flatnonzero(ok)
    if len(idx) > 1:
        breaks = idx[1:][start[idx[1:]]]
        before = idx[np.searchsorted(idx, breaks) - 1]
        step[breaks] = np.hypot(px[breaks] - px[before], py[breaks] - py[before])
    return MatchedTrack(
        edge=edge,
        offset_m=offset,
        way=way,
        way_offset_m=way_off,
        forward=forward,
        distance_m=np.cumsum(step),
        error_m=err,
        chain_start=start,
    )
