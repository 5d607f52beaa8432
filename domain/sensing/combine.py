"""Indicators of several sessions over the same place combined: latest, mean and trend.

Two passes never cut the road at the same points, so segments are matched by place: the
midpoints of every session's segments are grouped within half a segment's length (leader
clustering, ``ext.potholes.cluster_detections``, sessions in time order), and each group is
one place with the values of every pass over it.
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
    lat, lon, owner, index = [], [], [], []
    for k, s in enumerate(ordered):
        cols = s.results[level]
        for i in range(len(cols["from_m"])):
            lat.append((cols["lat0"][i] + cols["lat1"][i]) / 2)
            lon.append((cols["lon0"][i] + cols["lon1"][i]) / 2)
            owner.append(k)
            index.append(i)
    if not lat:
        return []
    seg_m = segment_length_m(ordered[0].results, level)
    clusters = potholes.cluster_detections(
        np.array(lat), np.array(lon), radius_m=seg_m / 2, session=np.array(owner)
    )
    places: list[dict[str, Any]] = [{} for _ in range(len(clusters))]
    members: list[list[int]] = [[] for _ in range(len(clusters))]
    for j, label in enumerate(clusters.label.tolist()):
        members[label].append(j)
    for c, mem in enumerate(members):
        first = mem[0]
        cols0 = ordered[owner[first]].results[level]
        i0 = index[first]
        place: dict[str, Any] = {
            "place": c,
            "lat0": cols0["lat0"][i0],
            "lon0": cols0["lon0"][i0],
            "lat1": cols0["lat1"][i0],
            "lon1": cols0["lon1"][i0],
            "length_m": seg_m,
            "sessions": sorted({ordered[owner[j]].session for j in mem}),
            "passes": len(mem),
        }
        for name in INDICATORS:
            ts, vs = [], []
            for j in mem:
                s = ordered[owner[j]]
                col = s.results[level].get(name)
                if col is not None and col[index[j]] is not None:
                    ts.append(s.start_s)
                    vs.append(float(col[index[j]]))
            if vs:
                place[name] = {
                    "latest": vs[-1],
                    "mean": round(sum(vs) / len(vs), 4),
                    "trend_per_year": _trend_per_year(ts, vs),
                    "passes": len(vs),
                }
        places[c] = place
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


def _latest(place: dict[str, Any], name: str) -> float:
    v = place.get(name)
    return float("nan") if v is None else float(v["latest"])


def _cls(fn: Any, place: dict[str, Any], name: str) -> int:
    return int(fn([_latest(place, name)])[0])
