"""``maillage territory import-network`` on real extracts, into a real store."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from console.cli import main
from console.identity import assumed
from domain.application import Maillage
from domain.store import StoreLocation
from domain.territory import service
from drivers.simulator.town import EXTRACT
from tests.conftest import helsinki_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_network_records_the_source_and_keeps_the_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store.sqlite")
    pbf = helsinki_path()
    with assumed("ana"):
        code, out, _ = run(capsys, "territory", "import-network", str(pbf), "--store", store,
                           "--json")  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["recorded"] is True
    assert result["source_sha256"] == hashlib.sha256(pbf.read_bytes()).hexdigest()
    assert result["ways"] > 900 and result["one_way_ways"] > 100
    kept = Path(result["network_file"])
    assert kept.parent == tmp_path / "territory"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == result["network_sha256"]
    app = Maillage(StoreLocation.parse(store))
    try:
        record = service.network_record(app)
        assert record is not None
        assert record["source_name"] == "Helsinki.osm.pbf" and record["by"] == "ana"
        assert record["source_sha256"] == result["source_sha256"]
        net = service.current_network(app)
        assert net is not None and "Mannerheimintie" in net.way_name
        events = app.count_events()
    finally:
        app.close()
    # the same extract again: nothing recorded (ana made the store: she is its administrator)
    with assumed("ana"):
        code, out, _ = run(capsys, "territory", "import-network", str(pbf), "--store", store,
                           "--json")  # fmt: skip
        assert code == 0 and json.loads(out)["recorded"] is False
        # another extract replaces it
        code, out, _ = run(capsys, "territory", "import-network", str(EXTRACT), "--store", store)
        assert code == 0 and "tours-centre.osm.pbf (2026-11-01T00:00:00Z (extract header))" in out
        code, out, _ = run(capsys, "territory", "show", "--store", store)
    assert "road network from tours-centre.osm.pbf" in out
    assert re.search(r"imported \d{4}-\d\d-\d\d \d\d:\d\d CES?T by ", out), out
    app = Maillage(StoreLocation.parse(store))
    try:
        assert app.count_events() > events
        net = service.current_network(app)
        assert net is not None and "Rue Nationale" in net.way_name
    finally:
        app.close()


def test_a_bad_extract_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.sqlite"
    bad = tmp_path / "mairie.osm.pbf"
    bad.write_bytes(b"<html>not found</html>")
    code, out, err = run(capsys, "territory", "import-network", str(bad), "--store", str(store))
    assert code == 2 and out == ""
    assert err.startswith("maillage: error: mairie.osm.pbf: not a readable OSM extract")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not store.exists() and not (tmp_path / "territory").exists()
    code, _, err = run(capsys, "territory", "import-network", str(tmp_path / "none.osm.pbf"),
                       "--store", str(store))  # fmt: skip
    assert code == 2 and "none.osm.pbf: no such file" in err


def test_a_modified_network_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store.sqlite")
    _code, out, _ = run(capsys, "territory", "import-network", str(EXTRACT), "--store", store,
                       "--json")  # fmt: skip
    kept = Path(json.loads(out)["network_file"])
    kept.write_bytes(kept.read_bytes()[:-8] + b"\x00" * 8)
    service._cache.clear()
    app = Maillage(StoreLocation.parse(store))
    try:
        with pytest.raises(Exception, match=r"was modified since tours-centre\.osm\.pbf"):
            service.current_network(app)
    finally:
        app.close()


def test_a_round_planned_with_a_network_reports_road_times(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = ["meals", "rounds", "plan", "--municipality", "37261", "--postman", "L. Petit",
            "--vehicle", "VAN-12", "--optimise", "--json", "--store", store]  # fmt: skip
    assert main([*plan, "--day", "2026-03-09"]) == 0
    straight = json.loads(capsys.readouterr().out.split("\n  warning")[0])
    assert straight["travel_times"].startswith("straight-line estimates (no road network")
    assert main(["territory", "import-network", str(EXTRACT), "--store", store]) == 0
    capsys.readouterr()
    assert main([*plan, "--day", "2026-03-11"]) == 0
    road = json.loads(capsys.readouterr().out.split("\n  warning")[0])
    assert road["travel_times"] == "road times on the network from tours-centre.osm.pbf"
    assert road["distance_km"] != straight["distance_km"]
    text = [*plan[:-3], "--day", "2026-03-13", "--store", store]
    assert main(text) == 0
    assert "km (road times on the network from tours-centre.osm.pbf)" in capsys.readouterr().out


def test_a_route_on_the_network_is_a_scenario_the_simulator_drives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from drivers.simulator.scenario import Scenario, Track, drive
    from tests.conftest import network_of

    store = str(tmp_path / "store.sqlite")
    out = tmp_path / "scenario.json"
    via = ["--via", "47.3964,0.68815", "--via", "47.3895,0.6952", "--via", "47.3900,0.6798"]
    assert main(["store", "init", "--store", store]) == 0
    code, _, err = run(capsys, "territory", "route", *via, "--output", str(out), "--store", store)
    assert code == 2 and "no road network: import one first" in err
    assert main(["territory", "import-network", str(EXTRACT), "--store", store]) == 0
    capsys.readouterr()
    code, text, _ = run(capsys, "territory", "route", *via, "--output", str(out),
                        "--store", store, "--json")  # fmt: skip
    assert code == 0 and json.loads(text)["length_m"] > 2000
    scenario = Scenario.load(out)
    track = Track.of(scenario.route, scenario.laps)
    _, d, _ = drive(scenario, track)
    lat, lon = track.position(d[::100])
    _, _, off = network_of(EXTRACT).nearest_segment(lat, lon)
    assert float(np.max(off)) < 0.5  # the van's ground truth lies on the extract's streets
