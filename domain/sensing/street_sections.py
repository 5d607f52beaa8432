"""A session's indicators per street section, on the road network it was map-matched onto.

With a network in force, processing (``processing.process``) comes here: the GNSS fixes are
matched (``domain.territory.matching``), each way is cut into equal sections of at most
``segment_m`` (10 m level) and ``segment_m × rollup`` (100 m level), and every *pass* of the
van over a section in one direction becomes one row: OSM way id, street name, direction,
offset range along the way, the section's ends on the map, its true length and the
indicators of the samples taken during that pass. Distance comes from the matched path.
Fixes matched to no street are reported as unmatched stretches, their samples left out.
Rows of the same section and direction from many passes are combined in linear time by
``combine.combine`` (key: way, direction, offset range).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError
from domain.territory.matching import MatchedTrack, MatchParameters, match_track
from domain.territory.network import RoadNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Passes:
    """The passes of one level: per fix its pass (-1: unmatched), and per pass its section."""

    fix_pass: IntArray
    way: IntArray
    forward: npt.NDArray[np.bool_]
    from_m: FloatArray
    to_m: FloatArray

    def __len__(self) -> int:
        return len(self.way)


def section_passes(
    network: RoadNetwork, m: MatchedTrack, section_m: float, min_driven_m: float = 1.0
) -> Passes:
    """Consecutive matched fixes on one section in one direction form one pass.

    Within a stretch on one way in one direction, progress along the driving direction
    only moves forward (its running maximum), so GNSS jitter at a section's boundary never
    splits a pass in two. Fixes of a pass along which the van moved less than
    ``min_driven_m`` (waiting at a junction) belong to no pass.
    """
    n = len(m.edge)
    ok = m.matched
    way = m.way
    length = network.way_length_m[np.maximum(way, 0)]
    n_sec = np.maximum(1, np.ceil(length / section_m - 1e-9)).astype(np.int64)
    sec_len = length / n_sec
    progress = np.where(m.forward, m.way_offset_m, length - m.way_offset_m)
    # stretches: consecutive matched fixes on the same way and direction, no chain break
    same = np.zeros(n, dtype=bool)
    same[1:] = ok[1:] & ok[:-1] & (way[1:] == way[:-1]) & (m.forward[1:] == m.forward[:-1])
    same &= ~m.chain_start
    stretch = np.cumsum(~same)
    progress = np.where(ok, progress, -np.inf)
    # running maximum within each stretch: offset each stretch far above the previous one
    lifted = progress + stretch * 1e7
    mono = np.maximum.accumulate(np.where(ok, lifted, -np.inf)) - stretch * 1e7
    mono = np.where(ok, np.maximum(mono, progress), np.nan)
    k_drive = np.minimum(np.floor(mono / sec_len), n_sec - 1).astype(np.int64, copy=False)
    k = np.where(m.forward, k_drive, n_sec - 1 - k_drive)
    k = np.where(ok, k, -1)
    new = np.ones(n, dtype=bool)
    new[1:] = ~(same[1:] & (k[1:] == k[:-1]))
    new &= ok
    pass_id = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    # a pass where the van did not move along the street (stopped at a junction) is no pass
    n_pass = len(first)
    lo = np.full(n_pass, np.inf)
    hi = np.full(n_pass, -np.inf)
    np.minimum.at(lo, pass_id[ok], mono[ok])
    np.maximum.at(hi, pass_id[ok], mono[ok])
    driven = hi - lo >= min_driven_m
    renumber = np.where(driven, np.cumsum(driven) - 1, -1)
    fix_pass = np.where(ok, renumber[np.maximum(pass_id, 0)], -1)
    first = first[driven]
    kk = k[first]
    return Passes(
        fix_pass=fix_pass.astype(np.int64),
        way=way[first].astype(np.int64),
        forward=m.forward[first],
        from_m=kk * sec_len[first],
        to_m=(kk + 1) * sec_len[first],
    )


def way_points(
    network: RoadNetwork, way: IntArray, offset_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude at offsets along ways (on the way's own geometry)."""
    seg_start = np.cumsum(network.seg_length_m) - network.seg_length_m
    first_seg = np.searchsorted(network.seg_way, np.arange(len(network.way_id)))
    pos = seg_start[first_seg[way]] + np.clip(offset_m, 0.0, network.way_length_m[way])
    seg = np.clip(np.searchsorted(seg_start, pos, side="right") - 1, first_seg[way], None)
    last = np.searchsorted(network.seg_way, way, side="right") - 1
    seg = np.minimum(seg, last)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((pos - seg_start[seg]) / network.seg_length_m[seg], 0.0, 1.0)
    frac = np.nan_to_num(frac)
    return network.segment_point(seg, frac)


def geometry_columns(network: RoadNetwork, p: Passes, col: Any) -> dict[str, Any]:
    """The street columns of a level: way, name, direction, offsets, ends, length."""
    start = np.where(p.forward, p.from_m, p.to_m)
    end = np.where(p.forward, p.to_m, p.from_m)
    lat0, lon0 = way_points(network, p.way, start)
    lat1, lon1 = way_points(network, p.way, end)
    return {
        "way_id": [int(network.way_id[w]) for w in p.way.tolist()],
        "street": [network.street(w) for w in p.way.tolist()],
        "direction": [1 if f else -1 for f in p.forward.tolist()],
        "from_m": col(p.from_m, 1),
        "to_m": col(p.to_m, 1),
        "length_m": col(p.to_m - p.from_m, 1),
        "lat0": col(lat0, 7),
        "lon0": col(lon0, 7),
        "lat1": col(lat1, 7),
        "lon1": col(lon1, 7),
    }


def fix_index(t_fix_s: FloatArray, t_s: FloatArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """For each sample: the latest fix at or before it, and whether it lies within the fixes."""
    idx = np.searchsorted(t_fix_s, t_s, side="right") - 1
    inside = (idx >= 0) & (t_s <= t_fix_s[-1])
    return np.clip(idx, 0, len(t_fix_s) - 1), inside


def sample_pass(fix_pass: IntArray, idx: IntArray, inside: npt.NDArray[np.bool_]) -> IntArray:
    """The pass of each sample: that of its fix (``fix_index``), -1 outside the fixes."""
    return np.where(inside, fix_pass[idx], -1).astype(np.int64)


def pseudo_distance(pass_of: IntArray) -> FloatArray:
    """A distance that puts each sample in the 1 m bin of its pass (for the binning kernels)."""
    return np.where(pass_of >= 0, pass_of + 0.5, -1.0).astype(np.float64)


def unmatched_report(
    network: RoadNetwork, m: MatchedTrack, t_s: FloatArray, lat: FloatArray, lon: FloatArray
) -> list[dict[str, Any]]:
    """Each stretch of fixes matched to no street: when, where, how far from the nearest."""
    out = []
    for a, b in m.unmatched_stretches(t_s):
        out.append(
            {
                "from_s": round(float(t_s[a]), 3),
                "to_s": round(float(t_s[b]), 3),
                "fixes": b - a + 1,
                "lat": round(float(lat[(a + b) // 2]), 7),
                "lon": round(float(lon[(a + b) // 2]), 7),
                "why": "no street of the road network within "
                f"{MatchParameters().radius_m:.0f} m (car park, private road, or off the extract)",
            }
        )
    return out


def match_session(
    network: RoadNetwork,
    gps_t_s: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    mp: MatchParameters,
) -> MatchedTrack:
    """The session's fixes matched, or one line when none lies on the network."""
    m = match_track(network, lat, lon, mp)
    if not m.matched.any():
        raise InvalidInputError(
            f"no GNSS fix of the session lies within {mp.radius_m:.0f} m of a street of the road "
            "network: is it the network of the town the van drove in?"
        )
    return m


def matching_summary(
    m: MatchedTrack, network_sha256: str, mp: MatchParameters, unmatched: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "network_sha256": network_sha256,
        "parameters": asdict(mp),
        "matched_fixes": int(m.matched.sum()),
        "fixes": len(m.edge),
        "median_error_m": round(float(np.nanmedian(m.error_m)), 2),
        "unmatched": unmatched,
    }
