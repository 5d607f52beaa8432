"""Exports of combined segments: GeoJSON (RFC 7946), CSV and a self-contained HTML report.

Pure functions from values to text: the console writes the files. The HTML map is inline
SVG drawn from the segments projected on a local plane (no online tiles); every text is
escaped.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from domain.meals.billing import spreadsheet_safe
from domain.sensing import indicators as ind
from domain.sensing.combine import INDICATORS
from domain.sensing.recommendations import Recommendation, section_name

CLASS_NAMES = {
    "iri_class": ind.IRI_CLASSES,
    "iso8608_class": ind.ISO8608_CLASSES,
    "air_class": ind.AIR_CLASSES,
    "coverage_class": ind.COVERAGE_CLASSES,
}
COLUMNS = (
    "place", "street", "osm_way", "direction", "from_m", "to_m",
    "lat0", "lon0", "lat1", "lon1", "length_m", "passes", "sessions",
    *(f"{name}{suffix}" for name in INDICATORS for suffix in ("", "_mean", "_trend_per_year")),
    "potholes_seen_passes",
    "iri_class", "iso8608_class", "air_class", "coverage_class", "facade_unsurveyed",
)  # fmt: skip


def flat(place: dict[str, Any]) -> dict[str, Any]:
    """One place as flat properties: latest value, mean, trend; classes by name."""
    out: dict[str, Any] = {"place": place["place"]}
    out["street"] = place.get("street")
    out["osm_way"] = place.get("way_id")
    out["direction"] = _direction(place.get("direction"))
    out["from_m"] = place.get("from_m")
    out["to_m"] = place.get("to_m")
    out.update({k: place[k] for k in ("lat0", "lon0", "lat1", "lon1", "length_m", "passes")})
    out["sessions"] = len(place["sessions"])
    for name in INDICATORS:
        v = place.get(name)
        out[name] = v["latest"] if v else None
        out[f"{name}_mean"] = v["mean"] if v else None
        out[f"{name}_trend_per_year"] = v["trend_per_year"] if v else None
    for key, names in CLASS_NAMES.items():
        out[key] = ind.class_name(names, place.get(key, -1)) or None
    out["facade_unsurveyed"] = place.get("facade_unsurveyed")
    holes = place.get("potholes")
    out["potholes_seen_passes"] = holes.get("seen_passes") if holes else None
    return out


def _direction(direction: int | None) -> str | None:
    """How people read a direction of travel on a way."""
    if direction is None:
        return None
    return "along the way" if direction > 0 else "against the way"


def place_name(place: dict[str, Any]) -> str:
    """A place as people name it: street, OSM way and offsets, else its number."""
    return section_name(place) or f"place {place['place']}"


def geojson(places: Sequence[dict[str, Any]]) -> str:
    """A FeatureCollection of LineStrings ([lon, lat] order, WGS 84) with indicators and classes."""
    features = []
    for p in places:
        props = {k: v for k, v in flat(p).items() if k not in ("lat0", "lon0", "lat1", "lon1")}
        if props["pm25_ugm3"] is not None or props["pm10_ugm3"] is not None:
            props["air_quality_note"] = ind.AIR_ESTIMATE_NOTE
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[p["lon0"], p["lat0"]], [p["lon1"], p["lat1"]]],
                },
                "properties": props,
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=1) + "\n"


def _cell(value: Any) -> str:
    """A CSV cell: numbers as numbers (a negative RSRP or a western longitude stays a number);
    text neutralised so a spreadsheet never runs it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return spreadsheet_safe(value)


def csv_text(places: Sequence[dict[str, Any]]) -> str:
    """One row per place, header first; every cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in places:
        row = flat(p)
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


# ---------------------------------------------------------------------- HTML + SVG

PALETTE = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
COVERAGE_PALETTE = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
NO_DATA = "#9e9e9e"


def _colour(place: dict[str, Any], key: str) -> str:
    cls = place.get(key, -1)
    palette = COVERAGE_PALETTE if key == "coverage_class" else PALETTE
    if key == "iri_class" and cls >= 0:
        return (PALETTE[0], PALETTE[2], PALETTE[4])[cls]
    return palette[cls] if 0 <= cls < len(palette) else NO_DATA


Line = tuple[float, float, float, float]
"""(lat0, lon0, lat1, lon1) of a street segment of the base map."""


def svg_map(
    places: Sequence[dict[str, Any]],
    key: str = "iri_class",
    width: int = 640,
    base: Sequence[Line] = (),
) -> str:
    """The segments as an inline SVG, projected on a local plane, coloured by a class, over
    the surrounding streets of the road network (``base``, in grey) when there is one."""
    if not places:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    lats = [p[k] for p in places for k in ("lat0", "lat1")]
    lons = [p[k] for p in places for k in ("lon0", "lon1")]
    k_lon = math.cos(math.radians(sum(lats) / len(lats)))
    x0, x1 = min(lons) * k_lon, max(lons) * k_lon
    y0, y1 = min(lats), max(lats)
    span = max(x1 - x0, y1 - y0, 1e-9)
    margin = 10
    scale = (width - 2 * margin) / span
    height = int((y1 - y0) * scale + 2 * margin)

    def pt(lat: float, lon: float) -> str:
        return f"{margin + (lon * k_lon - x0) * scale:.1f},{margin + (y1 - lat) * scale:.1f}"

    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="map by {html.escape(key)}">',
        f'<rect width="{width}" height="{height}" fill="#f7f7f7"/>',
    ]
    if base:
        lines.append('<g stroke="#cfcfcf" stroke-width="2" fill="none">')
        lines.extend(f'<polyline points="{pt(a, b)} {pt(c, d)}"/>' for a, b, c, d in base)
        lines.append("</g>")
    for p in places:
        title = html.escape(
            f"{place_name(p)}: "
            + ", ".join(f"{n} {v}" for n, v in flat(p).items() if v is not None and n in INDICATORS)
        )
        lines.append(
            f'<polyline points="{pt(p["lat0"], p["lon0"])} {pt(p["lat1"], p["lon1"])}" '
            f'stroke="{_colour(p, key)}" stroke-width="4" stroke-linecap="round" fill="none">'
            f"<title>{title}</title></polyline>"
        )
    lines.append("</svg>")
    return "\n".join(lines)


def _legend(key: str) -> str:
    names = CLASS_NAMES[key]
    items = []
    for i, name in enumerate(names):
        colour = _colour({key: i}, key)
        items.append(
            f'<li><span class="swatch" style="background:{colour}"></span>{html.escape(name)}</li>'
        )
    items.append(f'<li><span class="swatch" style="background:{NO_DATA}"></span>no data</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


def svg_bar_chart(counts: dict[str, int], width: int = 420) -> str:
    """Horizontal bars, one per label (e.g. length per roughness class)."""
    top = max(counts.values(), default=0) or 1
    row = 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row * len(counts) + 4}">'
    ]
    for i, (label, value) in enumerate(counts.items()):
        w = (width - 160) * value / top
        parts.append(
            f'<text x="0" y="{i * row + 15}" font-size="12">{html.escape(label)}</text>'
            f'<rect x="110" y="{i * row + 3}" width="{w:.1f}" height="16" fill="#4575b4"/>'
            f'<text x="{115 + w:.1f}" y="{i * row + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _sections_table(places: Sequence[dict[str, Any]]) -> str:
    """The street sections with their street, OSM way, direction and main indicators."""
    named = [p for p in places if p.get("street") is not None]
    if not named:
        return ""
    e = html.escape
    rows = []
    for p in named:
        f = flat(p)
        iri = "" if f["iri_m_per_km"] is None else f"{f['iri_m_per_km']:.2f}"
        rows.append(
            f"<tr><td>{e(str(f['street']))}</td><td>{f['osm_way']}</td>"
            f"<td>{e(str(f['direction']))}</td><td>{f['from_m']:.0f}–{f['to_m']:.0f}</td>"
            f"<td>{iri}</td><td>{e(f['iri_class'] or '')}</td>"
            f"<td>{'' if f['potholes'] is None else int(f['potholes'])}</td>"
            f"<td>{f['passes']}</td></tr>"
        )
    return (
        "<section><h2>Street sections</h2><table><thead><tr><th>street</th><th>OSM way</th>"
        "<th>direction</th><th>m along the way</th><th>IRI m/km</th><th>class</th>"
        "<th>potholes</th><th>passes</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def html_report(
    places: Sequence[dict[str, Any]],
    recommendations: Sequence[Recommendation],
    title: str,
    generated: str,
    base: Sequence[Line] = (),
) -> str:
    """A self-contained page: maps by roughness, air and coverage, a chart, the ranked list."""
    e = html.escape
    iri_counts = {
        name: sum(1 for p in places if p.get("iri_class") == i)
        for i, name in enumerate(ind.IRI_CLASSES)
    }
    iri_counts["no data"] = sum(1 for p in places if p.get("iri_class", -1) < 0)
    rows = []
    for r in recommendations:
        cost = "" if r.cost_eur is None else f"{r.cost_eur:,.0f}"
        budget = "" if r.within_budget is None else ("yes" if r.within_budget else "no")
        rows.append(
            f"<tr><td>{r.rank}</td><td>{e(r.title)}</td><td>{e(r.where)}</td>"
            f"<td>{r.score:.2f}</td><td>{e(cost)}</td><td>{e(budget)}</td>"
            f"<td>{'<br>'.join(e(x) for x in r.reasons)}</td></tr>"
        )
    maps = "".join(
        f"<section><h2>{e(label)}</h2>{svg_map(places, key, base=base)}{_legend(key)}</section>"
        for key, label in (
            ("iri_class", "Road roughness (estimated IRI)"),
            ("air_class", "Particulates (ATMO / EAQI class, estimate)"),
            ("coverage_class", "LTE coverage (RSRP)"),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 6px; }}
.legend {{ list-style: none; padding: 0; display: flex; gap: 1em; flex-wrap: wrap; }}
.swatch {{ display: inline-block; width: 1em; height: 1em; margin-right: .3em; }}
</style></head><body>
<h1>{e(title)}</h1>
<p>Generated {e(generated)} from {len(places)} road sections. {e(ind.AIR_ESTIMATE_NOTE)}.</p>
{maps}
<section><h2>Road sections by roughness class</h2>{svg_bar_chart(iri_counts)}</section>
{_sections_table(places)}
<section><h2>Recommendations</h2>
<table><thead><tr><th>#</th><th>action</th><th>where</th><th>score</th><th>cost EUR</th>
<th>within budget</th><th>reasons</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></section>
</body></html>
"""
