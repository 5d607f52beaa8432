"""Indicators of several sessions over the same place combined: latest, mean and trend.

Map-matched sessions name their rows by street section: OSM way, direction of travel and
offset range along the way. Rows with the same key are the passes over one place, grouped
in one linear pass through a dictionary; a street and its cross street, or the two
directions of one street, are never merged.

Sessions processed without a road network cut the track at arbitrary points: their rows are
matched by place as before, by grouping segment midpoints within half a segment's length
(leader clustering, ``ext.potholes.cluster_detections``, sessions in time order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.sensing import indicators as ind
from ext import potholes

INDICATORS = (
    "iri_m_per_km",
    "pm25_ugm3",
    "pm10_ugm3",
    "rsrp_dbm",
    "rsrq_db",
    "facade_left_delta_c",
    "facade_right_delta_c",
    "potholes",
)
COUNTED = ("potholes",)
"""Indicators that are counts: their latest value stays a whole number."""
SECONDS_PER_YEAR = 365.25 * 86400


@dataclass(frozen=True)
class SessionResults:
    """One processed session: its id, its start (s since the epoch) and its results."""

    session: str
    start_s: float
    results: dict[str, Any]


def _trend_per_year(t_s: list[float], values: list[float]) -> float | None:
    """Least-squares slope of the values over time, per year (None under two dates)."""
    if len(set(t_s)) < 2:
        return None
    t = (np.asarray(t_s) - t_s[0]) / SECONDS_PER_YEAR
    slope = np.polyfit(t, np.asarray(values), 1)[0]
    return round(float(slope), 4)


def segment_length_m(results: dict[str, Any], level: str) -> float:
    """The length of one segment of ``level`` in these results (10 m or 100 m by default)."""
    if level != "segments_long":
        return float(results["segment_m"])
    if "long_segment_m" in results:
        return float(results["long_segment_m"])
    return float(results["segment_m"] * results["parameters"]["rollup"])


def combine(sessions: list[SessionResults], level: str = "segments_long") -> list[dict[str, Any]]:
    """Places with, per indicator, ``latest``, ``mean``, ``trend_per_year`` and ``passes``.

    ``level``: ``segments_long`` (100 m) or ``segments`` (10 m).
    """
    ordered = sorted(sessions, key=lambda s: (s.start_s, s.session))
    groups: list[list[tuple[int, int]]] = []  # each place: (session, row) of every pass
    by_key: dict[tuple[int, int, float], int] = {}
    lat, lon, owner, index = [], [], [], []
    for k, s in enumerate(ordered):
        cols = s.results[level]
        ways = cols.get("way_id") or [None] * len(cols["from_m"])
        for i, way in enumerate(ways):
            if way is None:  # a track segment of a session processed without a network
                lat.append((cols["lat0"][i] + cols["lat1"][i]) / 2)
                lon.append((cols["lon0"][i] + cols["lon1"][i]) / 2)
                owner.append(k)
                index.append(i)
                continue
            key = (int(way), int(cols["direction"][i]), round(float(cols["from_m"][i]), 1))
            g = by_key.get(key)
            if g is None:
                g = by_key[key] = len(groups)
                groups.append([])
            groups[g].append((k, i))
    if lat:
        seg_m = segment_length_m(ordered[0].results, level)
        clusters = potholes.cluster_detections(
            np.array(lat), np.array(lon), radius_m=seg_m / 2, session=np.array(owner)
        )
        first = len(groups)
        groups.extend([] for _ in range(len(clusters)))
        for j, label in enumerate(clusters.label.tolist()):
            groups[first + label].append((owner[j], index[j]))
    places = [_place(c, ordered, mem, level) for c, mem in enumerate(groups)]
    for p in places:
        p["iri_class"] = _cls(ind.iri_class, p, "iri_m_per_km")
        p["iso8608_class"] = _cls(ind.iso8608_class, p, "iri_m_per_km")
        p["coverage_class"] = _cls(ind.coverage_class, p, "rsrp_dbm")
        if "pm25_ugm3" in p or "pm10_ugm3" in p:
            p["air_class"] = int(
                ind.air_class([_latest(p, "pm25_ugm3")], [_latest(p, "pm10_ugm3")])[0]
            )
        else:
            p["air_class"] = -1
    return places


STREET_KEYS = ("way_id", "street", "direction", "from_m", "to_m")


def _place(
    c: int, ordered: list[SessionResults], members: list[tuple[int, int]], level: str
) -> dict[str, Any]:
    """One place from the rows of its passes (the first pass gives its geometry)."""
    k0, i0 = members[0]
    cols0 = ordered[k0].results[level]
    place: dict[str, Any] = {
        "place": c,
        "lat0": cols0["lat0"][i0],
        "lon0": cols0["lon0"][i0],
        "lat1": cols0["lat1"][i0],
        "lon1": cols0["lon1"][i0],
        "length_m": segment_length_m(ordered[k0].results, level),
        "sessions": sorted({ordered[k].session for k, _ in members}),
        "passes": len(members),
    }
    if (cols0.get("way_id") or [None] * (i0 + 1))[i0] is not None:
        for key in STREET_KEYS:
            place[key] = cols0[key][i0]
    if (cols0.get("length_m") or [None] * (i0 + 1))[i0] is not None:
        place["length_m"] = cols0["length_m"][i0]  # a street section, or the track's last piece
    k_last, i_last = members[-1]
    unsurveyed = ordered[k_last].results[level].get("facade_unsurveyed")
    if unsurveyed is not None and unsurveyed[i_last] is not None:
        place["facade_unsurveyed"] = unsurveyed[i_last]  # the latest pass says why
    for name in INDICATORS:
        ts, vs = [], []
        for k, i in members:
            s = ordered[k]
            col = s.results[level].get(name)
            if col is not None and col[i] is not None:
                ts.append(s.start_s)
                vs.append(float(col[i]))
        if vs:
            place[name] = {
                "latest": int(vs[-1]) if name in COUNTED else vs[-1],
                "mean": round(sum(vs) / len(vs), 4),
                "trend_per_year": _trend_per_year(ts, vs),
                "passes": len(vs),
            }
            if name in COUNTED:  # Pothole Patrol: a detection repeated over passes is trusted
                place[name]["seen_passes"] = sum(1 for v in vs if v > 0)
    return place


def _latest(place: dict[str, Any], name: str) -> float:
    v = place.get(name)
    return float("nan") if v is None else float(v["latest"])


def _cls(fn: Any, place: dict[str, Any], name: str) -> int:
    return int(fn([_latest(place, name)])[0])
