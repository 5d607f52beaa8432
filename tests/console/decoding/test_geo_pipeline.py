"""Journal → indicators on the simulator's ground truth; determinism; the command line."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from console.cli import main
from console.decoding.journal import decode_journal, write_field_journal
from console.decoding.process import process_session
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.sensing import service
from domain.sensing.processing import Parameters, butter_highpass_sos, process, results_sha256
from domain.store import StoreLocation
from drivers.journal import ChunkInfo
from drivers.simulator.scenario import Field, Scenario, build_field

MATCH_M = 10.0
"""A detection within this distance of a placed pothole finds it."""


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(Scenario())


@pytest.fixture(scope="module")
def journal(field: Field, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ChunkInfo]]:
    path = tmp_path_factory.mktemp("geo") / "van-1.journal"
    return path, write_field_journal(field, path)


@pytest.fixture(scope="module")
def results(journal: tuple[Path, list[ChunkInfo]]) -> dict[str, Any]:
    obs, _ = decode_journal(journal[0])
    return process(obs)


def _values(col: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in col], dtype=float)


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians(lat1))
    return 6_371_008.8 * math.radians(math.hypot(lat2 - lat1, (lon2 - lon1) * k))


def test_potholes_are_found_where_placed(results: dict[str, Any], field: Field) -> None:
    truth = field.truth["potholes"]
    found = results["potholes"]

    def near(f: dict[str, Any], t: dict[str, Any]) -> bool:  # on the map, not along the track
        return _dist_m(f["lat"], f["lon"], t["lat_deg"], t["lon_deg"]) <= MATCH_M

    hits = [any(near(f, t) for f in found) for t in truth]
    true_pos = [any(near(f, t) for t in truth) for f in found]
    recall = sum(hits) / len(truth)
    precision = sum(true_pos) / len(found) if found else 0.0
    print(f"\npotholes: {len(found)} found, {len(truth)} placed: "
          f"precision {precision:.2f}, recall {recall:.2f}")  # fmt: skip
    assert precision >= 0.66 and recall >= 0.66


def test_rough_section_is_classified_worse_than_smooth(
    results: dict[str, Any], field: Field
) -> None:
    long = results["segments_long"]
    start = _values(long["from_m"])
    iri = _values(long["iri_m_per_km"])
    sections = field.truth["roughness_sections"]
    smooth = next(s for s in sections if s["psd_gd_n0_m3"] == 16e-6)  # ISO 8608 class A
    rough = next(s for s in sections if s["psd_gd_n0_m3"] == 256e-6)  # class C

    def inside(s: dict[str, float]) -> np.ndarray:
        return (start >= s["from_m"]) & (start + 100 <= s["to_m"])

    smooth_iri, rough_iri = np.nanmedian(iri[inside(smooth)]), np.nanmedian(iri[inside(rough)])
    iso = np.array(long["iso8608_class"])
    fhwa = np.array(long["iri_class"])
    a_classes, c_classes = iso[inside(smooth)].tolist(), iso[inside(rough)].tolist()
    print(f"\nIRI median: class A {smooth_iri:.2f}, class C {rough_iri:.2f} m/km; "
          f"ISO classes {a_classes} vs {c_classes}")  # fmt: skip
    assert rough_iri > 2 * smooth_iri
    assert np.median(iso[inside(smooth)]) == 0 and np.median(iso[inside(rough)]) == 2  # A vs C
    assert np.all(iso[inside(rough)] > np.median(iso[inside(smooth)]))
    assert np.all(fhwa[inside(rough)] == 2)  # poor (> 2.68 m/km) all along the class C section


def test_pm_hotspot_and_weak_coverage_are_where_placed(
    results: dict[str, Any], field: Field
) -> None:
    segs = results["segments"]
    mid_lat = (_values(segs["lat0"]) + _values(segs["lat1"])) / 2
    mid_lon = (_values(segs["lon0"]) + _values(segs["lon1"])) / 2
    hot, weak = field.truth["hotspot"], field.truth["weak_coverage"]
    top = int(np.nanargmax(_values(segs["pm25_ugm3"])))
    low = int(np.nanargmin(_values(segs["rsrp_dbm"])))
    assert _dist_m(mid_lat[top], mid_lon[top], hot["lat_deg"], hot["lon_deg"]) < hot["radius_m"] / 2
    assert (
        _dist_m(mid_lat[low], mid_lon[low], weak["lat_deg"], weak["lon_deg"]) < weak["radius_m"] / 2
    )
    assert segs["coverage_class"][low] <= 1  # poor or very poor there
    assert segs["air_class"][top] >= 3  # poor air at the hotspot


def test_warm_facade_is_flagged_on_its_side(results: dict[str, Any], field: Field) -> None:
    wf = field.truth["warm_facade"]
    side = ("left", "right")[wf["side"]]
    other = ("left", "right")[1 - wf["side"]]
    segs = results["segments"]
    start = _values(segs["from_m"])
    warm = np.array(segs[f"facade_{side}_warm"])
    expected = (start >= wf["from_m"]) & (start + 10 <= wf["to_m"])
    assert warm[expected].mean() >= 0.8
    assert not warm[(start + 10 < wf["from_m"] - 10) | (start > wf["to_m"] + 10)].any()
    assert not any(segs[f"facade_{other}_warm"])


def test_facade_readings_need_cold_air(journal: tuple[Path, list[ChunkInfo]]) -> None:
    obs, _ = decode_journal(journal[0])
    warm_day = process(obs, Parameters(facade_max_ambient_c=5.0))  # the air is 6 °C
    assert not any(warm_day["segments"]["facade_right_warm"])
    assert sum(warm_day["segments"]["facade_readings"]) == 0


def test_processing_twice_gives_identical_results(journal: tuple[Path, list[ChunkInfo]]) -> None:
    first, _ = decode_journal(journal[0])
    second, _ = decode_journal(journal[0])
    a, b = process(first), process(second)
    assert results_sha256(a) == results_sha256(b)
    other = process(second, Parameters(pothole_z_thresh_g=0.5))
    assert results_sha256(other) != results_sha256(a)


def test_highpass_matches_scipy_butterworth() -> None:
    signal = pytest.importorskip("scipy.signal")
    x = np.random.default_rng(3).normal(size=2000)
    ours = signal.sosfilt(butter_highpass_sos(4, 0.5, 100.0), x)
    ref = signal.sosfilt(signal.butter(4, 0.5, "highpass", fs=100.0, output="sos"), x)
    np.testing.assert_allclose(ours, ref, atol=1e-9)


# ---------------------------------------------------------------------- the command line


def _stopped_session(store: Path, journal: Path, chunks: list[ChunkInfo]) -> str:
    app = Maillage(StoreLocation.parse(str(store)))
    channels = {n: (n, f"/dev/sim/{n}") for n in ("gps", "imu", "pm", "modem", "thermal")}
    s = service.start_session(app, "van-1", channels, journal.name, by="tech")
    for c in chunks:
        first = datetime.fromtimestamp(c.first_utc_ns / 1e9, UTC)
        last = datetime.fromtimestamp(c.last_utc_ns / 1e9, UTC)
        service.record_chunk(app, s.id, c.seq, c.sha256, c.records, c.start, c.end, first, last)
    return str(s.id)


def test_process_export_recommend_from_the_command_line(
    journal: tuple[Path, list[ChunkInfo]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.sqlite"
    path, chunks = journal
    sid = _stopped_session(store, path, chunks)
    base = ["--store", str(store)]
    app = Maillage(StoreLocation.parse(str(store)))
    with pytest.raises(InvalidInputError, match="stop it before processing"):
        process_session(app, service.find_session(app, sid), path, "tech")
    service.stop_session(app, service.find_session(app, sid), {"gps": {"frames": 1}})
    session, _, target, recorded = process_session(
        app, service.find_session(app, sid), path, "tech"
    )
    assert recorded and target.exists()
    assert (
        target == tmp_path / "results" / f"{hashlib.sha256(target.read_bytes()).hexdigest()}.json"
    )
    done = session.latest_processing
    assert done is not None
    assert done["results_sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert [c["sha256"] for c in done["journal_chunks"]] == [c.sha256 for c in chunks]
    again = process_session(app, session.id, path, "tech")
    assert again[3] is False  # same journal, version and parameters: nothing new recorded
    events = app.recorder.select_events(session.id)
    assert sum(e.topic.endswith("SessionProcessed") for e in events) == 1

    # a field report: bad input refused in one line, nothing recorded
    with pytest.raises(SystemExit) as usage:
        main(["reports", "add", "--kind", "graffiti", "--at", "47.39,0.69", "--by", "Ann", *base])
    assert usage.value.code == 2
    assert main(["reports", "add", "--kind", "pedestrian_count", "--at", "47.39,0.69",
                 "--by", "Ann", *base]) == 2  # fmt: skip
    assert "needs the number counted (--count)" in capsys.readouterr().err
    assert main(["reports", "add", "--kind", "pedestrian_count", "--at", "47.3895,0.6952",
                 "--count", "400", "--by", "Ann", "--json", *base]) == 0  # fmt: skip
    capsys.readouterr()

    # the segments come from the segments view: no journal folder is needed any more
    geo = tmp_path / "segments.geojson"
    assert main(["geo", "export", "--format", "geojson", "--output", str(geo), *base]) == 0
    doc = json.loads(geo.read_text())
    assert doc["type"] == "FeatureCollection"
    assert 40 <= len(doc["features"]) <= 46  # 46 segments of 100 m; the loop closes on itself
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0]
    assert 0.6 < lon < 0.7 and 47.3 < lat < 47.4  # RFC 7946: longitude first
    out = tmp_path / "report.html"
    assert main(["geo", "export", "--format", "html", "--output", str(out), *base]) == 0
    page = out.read_text()
    assert (
        "<svg" in page
        and "Resurface road section" in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    capsys.readouterr()
    assert main(["geo", "recommend", "--json", "--budget", "20000", *base]) == 0
    recs = json.loads(capsys.readouterr().out)
    roads = [r for r in recs if r["rule"] == "road_maintenance"]
    assert roads and all(r["reasons"] for r in roads)
    assert [r["score"] for r in roads] == sorted((r["score"] for r in roads), reverse=True)
    spent = sum(r["cost_eur"] for r in roads if r["within_budget"])
    assert 0 < spent <= 20000 and not all(r["within_budget"] for r in roads)
    # the road by the station, where 400 pedestrians were counted, comes first
    assert _dist_m(roads[0]["lat_deg"], roads[0]["lon_deg"], 47.3895, 0.6952) < 200


def test_a_refused_field_report_leaves_no_store_behind(
    tmp_path: Path,
    capsys: pytest.CaptureFixture,  # type: ignore[type-arg]
) -> None:
    store = tmp_path / "never.sqlite"
    assert main(["reports", "add", "--kind", "pedestrian_count", "--at", "47.39,0.69",
                 "--by", "Ann", "--store", str(store)]) == 2  # fmt: skip
    assert "needs the number counted (--count)" in capsys.readouterr().err
    assert not store.exists()
