"""Combining sessions, recommendations from TOML rules, exports, field reports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.sensing.combine import SessionResults, combine
from domain.sensing.exports import csv_text, geojson, html_report
from domain.sensing.field_report import FieldReport, ReportPoint, iter_reports, record_report
from domain.sensing.recommendations import (
    Context,
    default_rules,
    parse_rules,
    recommend,
    reports_near,
)
from domain.store import StoreLocation

DAY = 86400.0
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def results(iri: list[float], rsrp: list[float], lat_shift: float = 0.0) -> dict[str, Any]:
    """A session's long segments going east along one street (100 m each)."""
    n = len(iri)
    lon = [0.68 + i * 0.00133 for i in range(n + 1)]
    long = {
        "from_m": [i * 100.0 for i in range(n)],
        "lat0": [47.39 + lat_shift] * n, "lat1": [47.39 + lat_shift] * n,
        "lon0": lon[:-1], "lon1": lon[1:],
        "iri_m_per_km": iri, "rsrp_dbm": rsrp, "potholes": [0] * n,
        "pm25_ugm3": [8.0] * n, "pm10_ugm3": [12.0] * n,
    }  # fmt: skip
    return {"segment_m": 10.0, "parameters": {"rollup": 10}, "segments_long": long}


def test_sessions_over_the_same_street_combine_into_latest_mean_and_trend() -> None:
    first = SessionResults("a", T0.timestamp(), results([2.0, 1.0], [-85.0, -85.0]))
    later = SessionResults(
        "b", T0.timestamp() + 365.25 * DAY, results([3.0, 1.0], [-95.0, None], 2e-5)
    )  # type: ignore[list-item]
    places = combine([later, first])
    assert len(places) == 2
    p = places[0]
    assert p["passes"] == 2 and p["sessions"] == ["a", "b"]
    assert p["iri_m_per_km"] == {"latest": 3.0, "mean": 2.5, "trend_per_year": 1.0, "passes": 2}
    assert p["iri_class"] == 2 and places[1]["iri_class"] == 0
    assert places[1]["rsrp_dbm"]["passes"] == 1 and places[1]["rsrp_dbm"]["trend_per_year"] is None


def _places() -> list[dict[str, Any]]:
    return combine(
        [
            SessionResults(
                "a", T0.timestamp(), results([3.5, 2.0, 3.5, 1.0], [-112.0, -108.0, -85.0, -84.0])
            )
        ]
    )


def test_roads_ranked_by_roughness_times_usage_with_budget() -> None:
    places = _places()
    busy = ReportPoint("pedestrian_count", 47.39, 0.6840, 500, T0)  # by the third segment only
    recs = recommend(places, Context([busy], schools=[(47.39, 0.6807)]), budget_eur=9000)
    roads = [r for r in recs if r.rule == "road_maintenance"]
    assert len(roads) == 3  # the good segment needs nothing
    assert roads[0].lon_deg == pytest.approx(0.683325, abs=1e-5)  # poor and busy first
    assert [r.score for r in roads] == sorted((r.score for r in roads), reverse=True)
    assert roads[0].cost_eur == 6000 and roads[0].within_budget
    assert not roads[1].within_budget  # 6000 + 6000 > 9000
    assert roads[2].within_budget  # the fair one (2500) still fits after the second is cut
    assert any("500 pedestrians" in reason for reason in roads[0].reasons)
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))


def test_poor_coverage_district_dumping_and_signage() -> None:
    places = _places()
    dumping = [ReportPoint("illegal_dumping", 47.39, 0.68 + k * 1e-4, 1, T0) for k in range(3)]
    crowd = ReportPoint("pedestrian_count", 47.39, 0.6801, 60, T0)
    sign = ReportPoint("failing_signage", 47.39, 0.6802, 1, T0)
    lone_sign = ReportPoint("failing_signage", 47.40, 0.70, 1, T0)
    recs = recommend(places, Context([*dumping, crowd, sign, lone_sign]))
    kinds = [r.rule for r in recs]
    assert kinds.count("poor_coverage") == 1
    assert kinds.count("illegal_dumping") == 1
    assert kinds.count("failing_signage") == 1  # the one where people walk
    # two dumping reports only: not repeated enough
    few = recommend(places, Context([*dumping[:2], crowd]))
    assert "illegal_dumping" not in [r.rule for r in few]


def test_rules_are_toml_with_named_thresholds() -> None:
    assert {r["kind"] for r in default_rules()} == {
        "road_maintenance", "poor_coverage", "illegal_dumping", "failing_signage",
    }  # fmt: skip
    strict = [dict(r) for r in default_rules()]
    for r in strict:
        if r["kind"] == "road_maintenance":
            r["min_iri_class"] = 2
    roads = [r for r in recommend(_places(), Context(), strict) if r.rule == "road_maintenance"]
    assert len(roads) == 2
    with pytest.raises(InvalidInputError, match="not one of"):
        parse_rules('[[rule]]\nkind = "paint_it_blue"\n')
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        parse_rules("[[rule]\n")


def test_exports_geojson_csv_and_html() -> None:
    places = _places()
    doc = json.loads(geojson(places))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 4
    f = doc["features"][0]
    assert f["geometry"]["type"] == "LineString"
    assert f["geometry"]["coordinates"][0] == [0.68, 47.39]  # longitude first (RFC 7946)
    assert (
        f["properties"]["iri_class"] == "poor" and f["properties"]["coverage_class"] == "very poor"
    )
    places[0]["place"] = "=HYPERLINK(1)"  # a formula never reaches a spreadsheet as one
    rows = list(csv.reader(io.StringIO(csv_text(places))))
    assert rows[1][0] == "'=HYPERLINK(1)" and len(rows) == 5
    recs = recommend(_places(), Context())
    recs[0].reasons.append("<script>alert(1)</script>")
    page = html_report(places, recs, "Tours <centre>", "2026-03-02")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "Tours &lt;centre&gt;" in page and page.count("<svg") >= 4 and "<polyline" in page


@pytest.fixture
def app(tmp_path: Any) -> Maillage:
    return Maillage(StoreLocation.parse(str(tmp_path / "r.sqlite")))


def test_field_reports_are_recorded_and_read_back(app: Maillage) -> None:
    app.save(FieldReport.report("pedestrian_count", 47.39, 0.68, "Ann", count=120))
    app.save(FieldReport.report("illegal_dumping", 47.391, 0.681, "Bob", note="mattress"))
    got = list(iter_reports(app))
    assert [(r.kind, r.count) for r in got] == [("pedestrian_count", 120), ("illegal_dumping", 1)]
    for bad in (
        dict(kind="graffiti"), dict(lat_deg=91.0), dict(kind="pedestrian_count", count=None),
        dict(count=-1), dict(note="two\nlines"), dict(by=" "), dict(count=2.5),
    ):  # fmt: skip
        args = {"kind": "failing_signage", "lat_deg": 47.0, "lon_deg": 0.6, "by": "Ann", "count": 1}
        with pytest.raises(InvalidInputError):
            FieldReport.report(**{**args, **bad})  # type: ignore[arg-type]


def test_record_report_checks_then_saves(app: Maillage) -> None:
    report = record_report(app, "pedestrian_count", 47.39, 0.68, "Ann", 35.0, "market")
    assert (report.count, type(report.count)) == (35, int)
    with pytest.raises(InvalidInputError, match="whole number"):
        record_report(app, "pedestrian_count", 47.39, 0.68, "Ann", 3.5)
    assert [(r.kind, r.count) for r in iter_reports(app)] == [("pedestrian_count", 35)]


def test_reports_near_a_municipalitys_segments() -> None:
    """Reports carry no municipality: those around its segments' bounding box count."""
    places = _places()  # 47.39 N, 0.680 to 0.6853 E
    at = datetime(2026, 3, 2, tzinfo=UTC)

    def point(lat: float, lon: float) -> ReportPoint:
        return ReportPoint("illegal_dumping", lat, lon, 1, at)

    inside, close = point(47.39, 0.682), point(47.394, 0.689)  # ~450 m north-east of the end
    far_north, far_east = point(47.40, 0.682), point(47.39, 0.70)  # 1.1 km, 1.1 km away
    assert reports_near([inside, close, far_north, far_east], places) == [inside, close]
    assert reports_near([inside], places, margin_m=0.0) == [inside]
    assert reports_near([close], places, margin_m=100.0) == []
    assert reports_near([inside], []) == []
