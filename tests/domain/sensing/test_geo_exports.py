"""Exports and combination on hand-made sessions: lengths, counts, CSV cells."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from domain.sensing.combine import SessionResults, combine
from domain.sensing.exports import csv_text, geojson
from domain.sensing.processing import Observations, process
from domain.sensing.recommendations import recommend


def straight_session(length_m: float = 250.0) -> Observations:
    """A van driving west at 5 m/s along a parallel west of Greenwich, a modem on board."""
    n = int(length_m / 0.5) + 1
    t = np.arange(n) * 0.1
    lon = -1.0 - np.arange(n) * 0.5 / (111_195 * np.cos(np.radians(47.0)))
    modem_t = t[::10]
    return Observations(
        start_utc_ns=0,
        gps_t_s=t,
        gps_lat_deg=np.full(n, 47.0),
        gps_lon_deg=lon,
        gps_speed_mps=np.full(n, 5.0),
        modem_t_s=modem_t,
        rsrp_dbm=np.full(len(modem_t), -82.0),
        rsrq_db=np.full(len(modem_t), -9.0),
        operator=["208-01"] * len(modem_t),
    )


def test_the_last_partial_segment_has_its_own_length_and_cost() -> None:
    results = process(straight_session(250.0))
    assert results["segments_long"]["length_m"] == [100.0, 100.0, 50.0]
    places = combine([SessionResults("s", 0.0, results)])
    assert [p["length_m"] for p in places] == [100.0, 100.0, 50.0]
    # roughness made poor on every place: the road rule costs 50 m, not 100 m, for the last
    for p in places:
        p["iri_class"] = 2
        p["iri_m_per_km"] = {"latest": 4.0, "mean": 4.0, "trend_per_year": None, "passes": 1}
    recs = [r for r in recommend(places, _context()) if r.rule == "road_maintenance"]
    costs = sorted(r.cost_eur for r in recs)
    assert costs == [50 * 60.0, 100 * 60.0, 100 * 60.0]


def _context():
    from domain.sensing.recommendations import Context

    return Context()


def test_csv_numbers_stay_numbers_and_text_is_neutralised() -> None:
    results = process(straight_session(120.0))
    places = combine([SessionResults("s", 0.0, results)])
    places[0]["street"] = "=HYPERLINK(1)"
    places[0].update(way_id=5, direction=1, from_m=0.0, to_m=100.0)
    rows = list(csv.DictReader(io.StringIO(csv_text(places))))
    assert rows[0]["rsrp_dbm"] == "-82.0" and float(rows[0]["lon0"]) < 0  # numbers, not '-82.0
    assert rows[0]["street"] == "'=HYPERLINK(1)"  # a text cell starting a formula is neutralised


def test_pothole_counts_are_whole_numbers() -> None:
    results = process(straight_session(120.0))
    results["segments_long"]["potholes"] = [2, 0]
    places = combine([SessionResults("s", 0.0, results)])
    feature = json.loads(geojson(places))["features"][0]["properties"]
    assert feature["potholes"] == 2 and isinstance(feature["potholes"], int)
    rows = list(csv.DictReader(io.StringIO(csv_text(places))))
    assert rows[0]["potholes"] == "2"


def test_facades_not_surveyed_are_reported_per_segment_with_why() -> None:
    from pathlib import Path
    from tempfile import TemporaryDirectory

    from console.decoding.journal import decode_journal, write_field_journal
    from domain.sensing.processing import summary
    from drivers.simulator.scenario import Scenario, build_field

    fast = Scenario(cruise_mps=12.0, stops=())  # above the 10 m/s façade limit
    with TemporaryDirectory() as folder:
        path = Path(folder) / "fast.journal"
        write_field_journal(build_field(fast), path)
        obs, _ = decode_journal(path)
    results = process(obs)
    segs = results["segments"]
    why = segs["facade_unsurveyed"]
    cruising = [i for i, x in enumerate(segs["speed_mps"]) if x is not None and x > 11]
    assert cruising and all(segs["facade_left_delta_c"][i] is None for i in cruising)
    assert all(why[i] and "faster than 10 m/s" in why[i] for i in cruising)
    assert summary(results)["facade_unsurveyed_segments"] >= len(cruising)
    places = combine([SessionResults("s", 0.0, results)], "segments")
    rows = list(csv.DictReader(io.StringIO(csv_text(places))))
    flagged = sum(1 for r in rows if r["facade_unsurveyed"].startswith("not surveyed"))
    assert flagged >= len(cruising) - 2  # the loop closes on itself: its ends may merge


def test_potholes_repeated_over_passes_are_counted_as_such() -> None:
    first = process(straight_session(120.0))
    second = process(straight_session(120.0))
    third = process(straight_session(120.0))
    first["segments_long"]["potholes"] = [1, 0]
    second["segments_long"]["potholes"] = [0, 0]
    third["segments_long"]["potholes"] = [2, 1]
    sessions = [SessionResults(str(k), float(k), r) for k, r in enumerate((first, second, third))]
    places = combine(sessions)
    assert [p["potholes"]["seen_passes"] for p in places] == [2, 1]
    rows = list(csv.DictReader(io.StringIO(csv_text(places))))
    assert [r["potholes_seen_passes"] for r in rows] == ["2", "1"]
    for p in places:
        p["iri_class"] = 2
        p["iri_m_per_km"] = {"latest": 4.0, "mean": 4.0, "trend_per_year": None, "passes": 3}
    reasons = [r.reasons for r in recommend(places, _context()) if r.rule == "road_maintenance"]
    assert any("2 potholes detected, seen on 2 of 3 passes" in x for rs in reasons for x in rs)
