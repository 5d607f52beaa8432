"""Sessions map-matched on the Tours network: indicators per named street section and direction.

Two sessions drive the simulator's loop and one drives a loop computed on the network the
other way round (two-way streets in the other direction, one-ways avoided). Every section
driven appears once per direction in GeoJSON, CSV and HTML, with its street and OSM way.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.decoding.journal import write_field_journal
from console.decoding.process import process_session
from domain.application import Maillage
from domain.sensing import service
from domain.store import StoreLocation
from domain.territory.routes import loop_through
from drivers.simulator import streams
from drivers.simulator.scenario import TOURS_LOOP, Scenario, build_field
from drivers.simulator.town import EXTRACT
from tests.conftest import network_of
from tests.console.decoding.test_geo_pipeline import _stopped_session


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the Tours network and three processed sessions."""
    folder = tmp_path_factory.mktemp("streets")
    store = folder / "store.sqlite"
    assert main(["territory", "import-network", str(EXTRACT), "--store", str(store)]) == 0
    backwards = loop_through(network_of(EXTRACT), [TOURS_LOOP[0], TOURS_LOOP[8], TOURS_LOOP[4]])
    runs = [Scenario(), Scenario(seed=13), Scenario(seed=14, route=backwards, stops=())]
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        for k, scenario in enumerate(runs):
            path = folder / f"van-{k}.journal"
            start = streams.START_UTC + timedelta(days=k)
            chunks = write_field_journal(build_field(scenario), path, start=start)
            sid = service.find_session(app, _stopped_session(store, path, chunks))
            service.stop_session(app, sid, {"gps": {"frames": 1}})
            _, results, _, recorded = process_session(app, sid, path, "tech")
            assert recorded and "matching" in results
    finally:
        app.close()
    return store


def export(store: Path, tmp: Path, fmt: str, segment: int = 100) -> str:
    out = tmp / f"export.{fmt}"
    assert main(["geo", "export", "--format", fmt, "--output", str(out), "--segment",
                 str(segment), "--store", str(store)]) == 0  # fmt: skip
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("segment", [100, 10])
def test_every_section_once_per_direction_with_its_street(
    store: Path, tmp_path: Path, segment: int
) -> None:
    doc = json.loads(export(store, tmp_path, "geojson", segment))
    assert set(doc) == {"type", "features"}  # no non-standard top-level member
    props = [f["properties"] for f in doc["features"]]
    keys = Counter((p["osm_way"], p["direction"], p["from_m"]) for p in props)
    assert max(keys.values()) == 1  # one place per section and direction
    assert all(p["street"] for p in props)
    streets = {p["street"] for p in props}
    assert {"Rue Nationale", "Boulevard Heurteloup", "Rue Colbert", "Quai d'Orléans"} <= streets
    # a place is one street: no cross street merged into rue Nationale
    nationale = [p for p in props if p["street"] == "Rue Nationale"]
    directions = {p["direction"] for p in nationale}
    assert directions == {"along the way", "against the way"}
    along = [p for p in nationale if p["direction"] == "along the way"]
    assert all(p["passes"] >= 2 and p["sessions"] >= 2 for p in along)  # both loop sessions
    against = [p for p in nationale if p["direction"] == "against the way"]
    assert all(p["passes"] == 1 for p in against)  # only the third session drives it north
    assert all(p["passes"] == p["sessions"] for p in props)  # no session passed twice here
    # sections tile the stretch of each street driven: equal, adjacent offset ranges
    for (way, direction), n in Counter((p["osm_way"], p["direction"]) for p in props).items():
        spans = sorted((p["from_m"], p["to_m"]) for p in props
                       if (p["osm_way"], p["direction"]) == (way, direction))  # fmt: skip
        assert len(spans) == n
        assert all(abs(a[1] - b[0]) < 0.2 for a, b in itertools.pairwise(spans))
    # the one-way rue Colbert is driven along the way only
    assert {p["direction"] for p in props if p["street"] == "Rue Colbert"} == {"along the way"}

    rows = list(csv.DictReader(io.StringIO(export(store, tmp_path, "csv", segment))))
    assert len(rows) == len(props)
    assert (
        Counter((r["osm_way"], r["direction"], r["from_m"]) for r in rows).most_common(1)[0][1] == 1
    )
    assert {r["street"] for r in rows} == streets


def test_html_and_recommendations_name_the_street_over_a_street_base(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = export(store, tmp_path, "html")
    assert 'stroke="#cfcfcf"' in page  # the surrounding streets drawn as a base
    assert "Rue Nationale" in page and "Street sections" in page
    assert "Rue Marceau" not in page.split("Street sections")[1]  # never driven: not a section
    capsys.readouterr()
    assert main(["geo", "recommend", "--json", "--store", str(store)]) == 0
    recs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    roads = [r for r in recs if r["rule"] == "road_maintenance"]
    assert roads and all(r["street"] and "(OSM way " in r["street"] for r in roads)
    assert all(r["where"] == r["street"] and r["osm_way"] for r in roads)
