"""Open-data layers of the territory, as the recommendation rules cross them.

A layer is a list of weighted places in WGS 84: INSEE's 200 m population cells (their centres,
inhabitants), Sitadel building permits (the site, dwellings created), or the features of any
GeoJSON/GeoPackage layer (points, or polygons with their centroid and outline). Coordinates
arrive in the file's reference system and are converted here with pyproj (EPSG:3035 for the
INSEE grid, Lambert-93 for Sitadel, whatever a GeoPackage declares). The bytes of a layer are
canonical JSON, kept beside the store by SHA-256 like the road network.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from domain.errors import InvalidInputError

FORMAT = "maillage-layer/1"
EARTH_RADIUS_M = 6_371_008.8
_CELL = re.compile(r"^CRS3035RES(\d+)mN(\d+)E(\d+)$")


def _to_wgs84(x: Sequence[float], y: Sequence[float], epsg: int) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes of coordinates in ``epsg`` (pyproj, x/y = east/north)."""
    if epsg == 4326:
        return list(x), list(y)
    from pyproj import Transformer
    from pyproj.exceptions import CRSError

    try:
        t = Transformer.from_crs(epsg, 4326, always_xy=True)
    except CRSError:
        raise InvalidInputError(f"coordinates in EPSG:{epsg}, which is not known") from None
    lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon).tolist(), np.asarray(lat).tolist()


@dataclass
class Layer:
    """Weighted places (lat, lon, value, label) and, for polygon layers, their outlines."""

    kind: str
    lat_deg: list[float] = field(default_factory=list)
    lon_deg: list[float] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    label: list[str] = field(default_factory=list)
    outlines: list[list[list[list[float]]]] = field(default_factory=list)
    """Per polygon feature: its rings as [lon, lat] lists (empty for point layers)."""
    unit: str = ""

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT, **self.__dict__}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Layer:
        doc = json.loads(data)
        if doc.pop("format", None) != FORMAT:
            raise InvalidInputError("not a maillage layer file")
        return cls(**doc)

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"features": len(self.value), "total": round(sum(self.value), 1)}
        if self.value:
            out["bbox"] = [
                round(min(self.lat_deg), 6), round(min(self.lon_deg), 6),
                round(max(self.lat_deg), 6), round(max(self.lon_deg), 6),
            ]  # fmt: skip
        out["unit"] = self.unit
        return out

    def near(self, lat_deg: float, lon_deg: float, radius_m: float) -> tuple[float, int]:
        """(sum of values, number of places) within ``radius_m`` of a point."""
        if not self.value:
            return 0.0, 0
        lat = np.radians(np.asarray(self.lat_deg))
        dlat = lat - math.radians(lat_deg)
        dlon = np.radians(np.asarray(self.lon_deg) - lon_deg)
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat) * math.cos(math.radians(lat_deg)) * np.sin(dlon / 2) ** 2
        )
        inside = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1))) <= radius_m
        return float(np.asarray(self.value)[inside].sum()), int(inside.sum())


def population_layer(codes: Sequence[str], inhabitants: Sequence[float]) -> Layer:
    """INSEE 200 m cells: each cell's centre (from its EPSG:3035 code) and inhabitants."""
    xs, ys, values, labels = [], [], [], []
    for k, (code, people) in enumerate(zip(codes, inhabitants, strict=True)):
        m = _CELL.match(code)
        if m is None:
            raise InvalidInputError(
                f"row {k + 1}: cell code {code[:40]!r} is not CRS3035RES<size>mN<north>E<east>"
            )
        size, north, east = (int(g) for g in m.groups())
        xs.append(east + size / 2)
        ys.append(north + size / 2)
        values.append(float(people))
        labels.append(code)
    lon, lat = _to_wgs84(xs, ys, 3035)
    return Layer("population", lat, lon, values, labels, unit="inhabitants")


def permits_layer(rows: Sequence[dict[str, Any]], epsg: int) -> Layer:
    """Sitadel permits at their sites: dwellings created, labelled by number, state and date."""
    lon, lat = _to_wgs84([r["x"] for r in rows], [r["y"] for r in rows], epsg)
    return Layer(
        "permits",
        lat,
        lon,
        [float(r["dwellings"]) for r in rows],
        [f"{r['number']} ({r['state'] or 'state unknown'}, {r['date']})" for r in rows],
        unit="dwellings",
    )


def features_layer(
    geometries: Sequence[dict[str, Any]],
    properties: Sequence[dict[str, Any]],
    epsg: int,
    value_key: str | None = None,
) -> Layer:
    """Any point or polygon layer: points as they are, polygons by their centroid and outline;
    each weighted by the property ``value_key`` (1 without one)."""
    from shapely.geometry import shape

    lat, lon, values, labels, outlines = [], [], [], [], []
    kinds = set()
    for k, (g, props) in enumerate(zip(geometries, properties, strict=True)):
        try:
            geom = shape(g)
        except (ValueError, TypeError, AttributeError):
            raise InvalidInputError(f"feature {k + 1}: not a geometry") from None
        if geom.is_empty:
            continue
        kind = geom.geom_type
        if kind in ("Point", "MultiPoint"):
            kinds.add("points")
            c = geom.centroid
        elif kind in ("Polygon", "MultiPolygon"):
            kinds.add("polygons")
            c = geom.representative_point()
            polys = list(geom.geoms) if kind == "MultiPolygon" else [geom]
            outlines.append([[list(xy) for xy in p.exterior.coords] for p in polys])
        else:
            raise InvalidInputError(f"feature {k + 1}: a {kind}, not a point or a polygon")
        lon.append(c.x)
        lat.append(c.y)
        raw = props.get(value_key, 1) if value_key else 1
        try:
            values.append(float(raw))
        except (TypeError, ValueError):
            raise InvalidInputError(f"feature {k + 1}: {value_key} is not a number") from None
        labels.append(str(props.get("name") or props.get("nom") or f"feature {k + 1}"))
    if len(kinds) > 1:
        raise InvalidInputError("the layer mixes points and polygons: import them separately")
    lon2, lat2 = _to_wgs84(lon, lat, epsg)
    if epsg != 4326:
        outlines = [
            [[list(p) for p in zip(*_to_wgs84([q[0] for q in ring], [q[1] for q in ring], epsg),
                                   strict=True)] for ring in poly]
            for poly in outlines
        ]  # fmt: skip
    return Layer(kinds.pop() if kinds else "points", lat2, lon2, values, labels, outlines,
                 unit=value_key or "features")  # fmt: skip
