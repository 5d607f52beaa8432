"""Recommendations that cross indicators and field reports, from declarative TOML rules.

Each rule of ``rules.toml`` (or a file the console reads and passes in) names its kind and
its thresholds; the kinds below evaluate them. Homes of beneficiaries arrive here only as
positions to count near a place: no recommendation carries anything about a person.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError
from domain.sensing import indicators as ind
from domain.sensing.field_report import ReportPoint
from domain.territory.service import LoadedLayer
from domain.wording import plural
from ext.geodesy import EARTH_RADIUS_M

KINDS = ("road_maintenance", "poor_coverage", "illegal_dumping", "failing_signage")


def default_rules() -> list[dict[str, Any]]:
    """The rules shipped with maillage (``domain/sensing/rules.toml``)."""
    text = resources.files("domain.sensing").joinpath("rules.toml").read_text(encoding="utf-8")
    return parse_rules(text)


def parse_rules(text: str) -> list[dict[str, Any]]:
    """Rules from TOML text; an unknown kind or a malformed file is refused in one line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidInputError(f"the rules are not valid TOML: {e}") from None
    rules = data.get("rule", [])
    for r in rules:
        if r.get("kind") not in KINDS:
            raise InvalidInputError(f"rule kind {r.get('kind')!r} is not one of {', '.join(KINDS)}")
    return rules


@dataclass
class Recommendation:
    """One ranked action: what, where, why, its score and (roads) its estimated cost."""

    rule: str
    title: str
    lat_deg: float
    lon_deg: float
    score: float
    reasons: list[str]
    cost_eur: float | None = None
    within_budget: bool | None = None
    rank: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    street: str | None = None
    """The street section it is about (street, OSM way, offsets, direction), if on a street."""
    osm_way: int | None = None

    @property
    def where(self) -> str:
        """Where, as people read it: the street section, else the coordinates."""
        return self.street or f"{self.lat_deg:.5f}, {self.lon_deg:.5f}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "where": self.where}


def ranked_lines(recommendations: Sequence[Recommendation]) -> list[str]:
    """The ranked recommendations in words: rank, what, where, score, cost and budget, then
    each reason (``maillage geo recommend``)."""
    lines = []
    for r in recommendations:
        cost = f" · {r.cost_eur:,.0f} EUR" if r.cost_eur is not None else ""
        budget = (
            ""
            if r.within_budget is None
            else (" · in budget" if r.within_budget else " · beyond budget")
        )
        lines.append(f"{r.rank:3d}. {r.title} at {r.where} (score {r.score:.2f}{cost}{budget})")
        lines += [f"       - {reason}" for reason in r.reasons]
    return lines


@dataclass(frozen=True)
class Context:
    """What the rules cross with the indicators: reports, schools, homes (positions only)."""

    reports: Sequence[ReportPoint] = ()
    schools: Sequence[tuple[float, float]] = ()
    homes: Sequence[tuple[float, float]] = ()
    layers: Sequence[LoadedLayer] = ()
    """Open-data layers of the territory (population, permits, …), with their sources."""

    def layer_near(
        self, kind: str, lat: float, lon: float, radius_m: float
    ) -> tuple[float, int, list[str]] | None:
        """(sum of values, places, "name: source" of each layer) of the layers of ``kind``
        within ``radius_m``; None when no layer of that kind is imported."""
        found = [x for x in self.layers if x.layer.kind == kind]
        if not found:
            return None
        total, count = 0.0, 0
        for x in found:
            value, n = x.layer.near(lat, lon, radius_m)
            total += value
            count += n
        return total, count, [f"{x.name}: {x.source}" for x in found]


REPORTS_MARGIN_M = 500.0
"""Reports carry a position, not a municipality: for one municipality's recommendations,
those within this distance of its segments' bounding box count."""


def reports_near(
    reports: Sequence[ReportPoint],
    places: Sequence[dict[str, Any]],
    margin_m: float = REPORTS_MARGIN_M,
) -> list[ReportPoint]:
    """The reports within ``margin_m`` of the places' bounding box (none without places)."""
    if not places:
        return []
    lats = [p[k] for p in places for k in ("lat0", "lat1")]
    lons = [p[k] for p in places for k in ("lon0", "lon1")]
    dlat = math.degrees(margin_m / EARTH_RADIUS_M)
    widest = max(abs(min(lats)), abs(max(lats))) + dlat
    dlon = dlat / max(math.cos(math.radians(min(widest, 89.9))), 1e-6)
    return [
        r
        for r in reports
        if min(lats) - dlat <= r.lat_deg <= max(lats) + dlat
        and min(lons) - dlon <= r.lon_deg <= max(lons) + dlon
    ]


def _xy(lat: npt.ArrayLike, lon: npt.ArrayLike, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Local east/north metres (equirectangular: metre-accurate over a town)."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return EARTH_RADIUS_M * lo * math.cos(math.radians(lat0)), EARTH_RADIUS_M * la


class _Points:
    """Positions with weights, to sum the weights within a radius of a point."""

    def __init__(
        self, points: Sequence[tuple[float, float]], weights: Sequence[float], lat0: float
    ):
        self.lat0 = lat0
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        self.x, self.y = _xy(pts[:, 0], pts[:, 1], lat0)
        self.w = np.asarray(weights, dtype=float)

    def near(self, lat: float, lon: float, radius_m: float) -> float:
        if not len(self.w):
            return 0.0
        x, y = _xy([lat], [lon], self.lat0)
        inside = (self.x - x[0]) ** 2 + (self.y - y[0]) ** 2 <= radius_m * radius_m
        return float(self.w[inside].sum())


def recommend(
    places: Sequence[dict[str, Any]],
    context: Context,
    rules: Sequence[dict[str, Any]] | None = None,
    budget_eur: float | None = None,
) -> list[Recommendation]:
    """Every rule evaluated, then one ranked list (road sections first by priority).

    ``places``: combined segments (``combine.combine``). ``budget_eur`` overrides the road
    rule's yearly budget.
    """
    rules = default_rules() if rules is None else list(rules)
    lats = [p["lat0"] for p in places] + [r.lat_deg for r in context.reports]
    lat0 = float(np.mean(lats)) if lats else 0.0
    peds = _Points(
        [(r.lat_deg, r.lon_deg) for r in context.reports if r.kind == "pedestrian_count"],
        [r.count for r in context.reports if r.kind == "pedestrian_count"],
        lat0,
    )
    schools = _Points(context.schools, [1.0] * len(context.schools), lat0)
    homes = _Points(context.homes, [1.0] * len(context.homes), lat0)
    out: list[Recommendation] = []
    for rule in rules:
        kind = rule["kind"]
        if kind == "road_maintenance":
            out += _roads(places, rule, peds, schools, homes, budget_eur, context)
        elif kind == "poor_coverage":
            out += _coverage(places, rule, lat0, context)
        elif kind == "illegal_dumping":
            out += _dumping(context.reports, rule, peds, schools, homes, lat0, context)
        elif kind == "failing_signage":
            out += _signage(context.reports, rule, peds)
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda r: (order[r.rule], -r.score, r.lat_deg, r.lon_deg))
    for i, r in enumerate(out, 1):
        r.rank = i
    return out


def section_name(place: dict[str, Any]) -> str | None:
    """A street section as people read it (None for a place off the road network)."""
    if place.get("street") is None:
        return None
    way = "along" if place["direction"] > 0 else "against"
    return (
        f"{place['street']} (OSM way {place['way_id']}), {place['from_m']:.0f}–"
        f"{place['to_m']:.0f} m {way} the way"
    )


def _mid(p: dict[str, Any]) -> tuple[float, float]:
    return (p["lat0"] + p["lat1"]) / 2, (p["lon0"] + p["lon1"]) / 2


def _roads(places, rule, peds, schools, homes, budget_eur, context) -> list[Recommendation]:  # type: ignore[no-untyped-def]
    severity = rule["severity_by_iri_class"]
    cost_per_m = rule["cost_eur_per_m_by_iri_class"]
    budget = rule["yearly_budget_eur"] if budget_eur is None else budget_eur
    found = []
    for p in places:
        cls = p.get("iri_class", -1)
        if cls < rule["min_iri_class"]:
            continue
        lat, lon = _mid(p)
        n_peds = peds.near(lat, lon, rule["pedestrian_radius_m"])
        n_schools = schools.near(lat, lon, rule["school_radius_m"])
        n_homes = homes.near(lat, lon, rule["home_radius_m"])
        traffic = len(p["sessions"])
        usage = (
            rule["usage_base"]
            + rule["pedestrians_weight"] * n_peds
            + rule["traffic_weight"] * traffic
            + rule["schools_weight"] * n_schools
            + rule["homes_weight"] * n_homes
        )
        people = context.layer_near("population", lat, lon, rule.get("population_radius_m", 200.0))
        if people is not None:
            usage += rule.get("population_weight", 0.0) * people[0]
        holes = int(p.get("potholes", {}).get("latest", 0) or 0)
        cost = cost_per_m[cls] * p["length_m"] + rule["pothole_repair_eur"] * holes
        iri = p["iri_m_per_km"]
        reasons = [
            f"IRI {iri['latest']:.2f} m/km ({ind.IRI_CLASSES[cls]})"
            + (
                f", trend {iri['trend_per_year']:+.2f} m/km per year"
                if iri["trend_per_year"]
                else ""
            ),
            f"usage {usage:.2f}: {plural(round(n_peds), 'pedestrian')} counted, "
            f"{plural(traffic, 'session')} passed, {plural(round(n_schools), 'school')} and "
            f"{plural(round(n_homes), 'beneficiary’s home', 'beneficiaries’ homes')} nearby",
        ]
        if people is not None:
            reasons.append(
                f"{people[0]:.0f} inhabitants within {rule.get('population_radius_m', 200.0):.0f}"
                f" m ({'; '.join(people[2])})"
            )
        if holes:
            seen = p["potholes"].get("seen_passes", 1)
            reasons.append(
                f"{plural(holes, 'pothole')} detected"
                + (f", seen on {seen} of {p['potholes']['passes']} passes" if seen > 1 else "")
            )
        found.append(
            Recommendation(
                "road_maintenance", rule["title"], round(lat, 7), round(lon, 7),
                round(severity[cls] * usage, 4), reasons, round(cost, 2),
                street=section_name(p), osm_way=p.get("way_id"),
            )
        )  # fmt: skip
    found.sort(key=lambda r: (-r.score, r.lat_deg, r.lon_deg))
    spent = 0.0
    for r in found:
        r.within_budget = spent + (r.cost_eur or 0.0) <= budget
        if r.within_budget:
            spent += r.cost_eur or 0.0
        r.reasons.append(
            f"estimated {r.cost_eur:,.0f} EUR; "
            + ("within" if r.within_budget else "beyond")
            + f" the yearly budget of {budget:,.0f} EUR"
        )
    return found


def _coverage(places, rule, lat0, context) -> list[Recommendation]:  # type: ignore[no-untyped-def]
    """Districts where a share of the measured places has poor coverage.

    On a road network a district is a street (its sections, both directions) and the share
    is of its measured length: a weak zone that covers a fifth of a 500 m square may be a
    third of the one street that crosses it. Off the network, a square of the local grid
    and a share of its measured segments.
    """
    cell = rule["district_cell_m"]
    districts: dict[tuple[Any, ...], list[tuple[float, float, int, float]]] = {}
    for p in places:
        if p.get("coverage_class", -1) < 0:
            continue
        lat, lon = _mid(p)
        if p.get("street") is not None:
            key: tuple[Any, ...] = ("street", p["street"])
        else:
            x, y = _xy([lat], [lon], lat0)
            key = ("grid", int(x[0] // cell), int(y[0] // cell))
        districts.setdefault(key, []).append((lat, lon, p["coverage_class"], p["length_m"]))
    out = []
    for key in sorted(districts, key=str):
        segs = districts[key]
        poor = [s for s in segs if s[2] <= rule["max_coverage_class"]]
        if not poor:
            continue
        on_street = key[0] == "street"
        if on_street:
            poor_m = sum(s[3] for s in poor)
            share = poor_m / sum(s[3] for s in segs)
            enough = poor_m >= rule.get("min_poor_street_m", 50.0)
            reason = (f"{poor_m:.0f} m of the {sum(s[3] for s in segs):.0f} m measured on the "
                      "street have poor or no LTE coverage")  # fmt: skip
        else:
            share = len(poor) / len(segs)
            enough = len(poor) >= rule["min_segments"]
            reason = (f"{len(poor)} of {len(segs)} measured segments of the district have poor "
                      "or no LTE coverage")  # fmt: skip
        if enough and share >= rule["min_share"]:
            lat = sum(s[0] for s in poor) / len(poor)
            lon = sum(s[1] for s in poor) / len(poor)
            reasons = [f"{reason} (RSRP below {ind.RSRP_BOUNDS_DBM[1]:.0f} dBm)"]
            score = share
            radius = rule.get("construction_radius_m", 300.0)
            built = context.layer_near("permits", lat, lon, radius)
            if built is not None and built[0] > 0:
                score *= 1 + rule.get("dwellings_weight", 0.0) * built[0]
                reasons.append(
                    f"under construction: {built[0]:.0f} dwellings authorised within "
                    f"{radius:.0f} m in {built[1]} permits ({'; '.join(built[2])})"
                )
            out.append(
                Recommendation(
                    "poor_coverage", rule["title"], round(lat, 7), round(lon, 7), round(score, 4),
                    reasons, street=key[1] if on_street else None,
                )
            )  # fmt: skip
    return out


def _clusters(points: list[ReportPoint], radius_m: float, lat0: float) -> list[list[ReportPoint]]:
    """Reports grouped greedily around the first unassigned one (in log order)."""
    left = list(points)
    groups = []
    while left:
        seed = left[0]
        x0, y0 = _xy([seed.lat_deg], [seed.lon_deg], lat0)
        group, rest = [], []
        for r in left:
            x, y = _xy([r.lat_deg], [r.lon_deg], lat0)
            (
                (
                    group if (x[0] - x0[0]) ** 2 + (y[0] - y0[0]) ** 2 <= radius_m**2 else rest
                ).append(r)
            )
        groups.append(group)
        left = rest
    return groups


def _dumping(reports, rule, peds, schools, homes, lat0, context) -> list[Recommendation]:  # type: ignore[no-untyped-def]
    dumps = [r for r in reports if r.kind == "illegal_dumping"]
    out = []
    for group in _clusters(dumps, rule["cluster_radius_m"], lat0):
        if len(group) < rule["min_reports"]:
            continue
        lat = sum(r.lat_deg for r in group) / len(group)
        lon = sum(r.lon_deg for r in group) / len(group)
        radius = rule["dense_radius_m"]
        people = context.layer_near("population", lat, lon, radius)
        if people is not None:  # the population layer is the density, not a proxy of it
            if people[0] < rule.get("min_inhabitants", 300):
                continue
            dense = (f"densely populated: {people[0]:.0f} inhabitants within {radius:.0f} m "
                     f"({'; '.join(people[2])})")  # fmt: skip
            score = len(group) * (1 + people[0] / 1000)
        else:
            density = (
                peds.near(lat, lon, radius)
                + homes.near(lat, lon, radius)
                + 10 * schools.near(lat, lon, radius)
            )
            if density < rule["min_density"]:
                continue
            dense = f"dense area: density score {density:.0f} within {radius:.0f} m"
            score = float(len(group))
        out.append(
            Recommendation(
                "illegal_dumping", rule["title"], round(lat, 7), round(lon, 7), round(score, 4),
                [f"{len(group)} illegal-dumping reports within {rule['cluster_radius_m']:.0f} m",
                 dense],
            )
        )  # fmt: skip
    return out


def _signage(reports, rule, peds) -> list[Recommendation]:  # type: ignore[no-untyped-def]
    out = []
    for r in reports:
        if r.kind != "failing_signage":
            continue
        flow = peds.near(r.lat_deg, r.lon_deg, rule["pedestrian_radius_m"])
        if flow < rule["min_pedestrians"]:
            continue
        out.append(
            Recommendation(
                "failing_signage", rule["title"], round(r.lat_deg, 7), round(r.lon_deg, 7), flow,
                [f"failing signage reported {r.at:%Y-%m-%d}",
                 f"{plural(round(flow), 'pedestrian')} counted within "
                 f"{rule['pedestrian_radius_m']:.0f} m"],
            )
        )  # fmt: skip
    return out
