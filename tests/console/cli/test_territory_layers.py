"""``maillage territory import-layer``: INSEE 200 m population, Sitadel permits, GeoJSON and
GeoPackage layers in their published layouts; recommendations that cross them."""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path

import pyproj
import pytest
import shapely
from shapely.geometry import Polygon

from console.cli import main
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.sensing.combine import SessionResults, combine
from domain.sensing.field_report import FieldReport, iter_reports
from domain.sensing.recommendations import Context, recommend
from domain.store import StoreLocation
from domain.territory import service
from domain.territory.layers import population_layer
from ext.geodesy import haversine_m

DATA = Path(__file__).parent / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def write_geopackage(path: Path) -> None:
    """A GeoPackage (OGC 12-128) with one polygon table in Lambert-93: a construction zone."""
    to93 = pyproj.Transformer.from_crs(4326, 2154, always_xy=True)
    corners = [(0.6790, 47.3895), (0.6815, 47.3895), (0.6815, 47.3915), (0.6790, 47.3915)]
    ring = [to93.transform(lon, lat) for lon, lat in corners]
    wkb = shapely.to_wkb(Polygon(ring), byte_order=1)
    blob = b"GP" + bytes([0, 0b0000_0001]) + struct.pack("<i", 2154) + wkb
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, "
        "identifier TEXT, srs_id INTEGER);"
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, "
        "geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT);"
        "CREATE TABLE zac (fid INTEGER PRIMARY KEY, geom BLOB, nom TEXT, logements INTEGER);"
        "INSERT INTO gpkg_contents VALUES ('zac', 'features', 'zac', 2154);"
        "INSERT INTO gpkg_geometry_columns VALUES ('zac', 'geom', 'POLYGON', 2154, 0, 0);"
    )
    conn.execute("INSERT INTO zac VALUES (1, ?, 'ZAC des Casernes', 350)", (blob,))
    conn.commit()
    conn.close()


def test_population_cells_are_placed_from_their_epsg3035_codes() -> None:
    layer = population_layer(["CRS3035RES200mN2741600E3618800"], [412.0])
    to3035 = pyproj.Transformer.from_crs(4326, 3035, always_xy=True)
    e, n = to3035.transform(layer.lon_deg[0], layer.lat_deg[0])
    assert (e, n) == pytest.approx((3618900.0, 2741700.0), abs=0.01)  # the cell's centre
    assert haversine_m(layer.lat_deg[0], layer.lon_deg[0], 47.39000, 0.67980) < 150
    with pytest.raises(InvalidInputError, match="is not CRS3035RES"):
        population_layer(["N2741600E3618800"], [1.0])


def test_import_layers_with_source_and_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store.sqlite")
    gpkg = tmp_path / "zac_tours.gpkg"
    write_geopackage(gpkg)
    code, out, _ = run(capsys, "territory", "import-layer", str(DATA / "filosofi_200m_tours.csv"),
                       "--kind", "population", "--name", "population", "--date", "Filosofi 2019",
                       "--store", store, "--json")  # fmt: skip
    assert code == 0
    pop = json.loads(out)
    assert pop["recorded"] and pop["features"] == 5 and pop["total"] == 3495.0
    sitadel = str(DATA / "sitadel_permis_tours.csv")
    code, out, _ = run(capsys, "territory", "import-layer", sitadel, "--kind", "permits",
                       "--name", "permis", "--store", store, "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["total"] == 126.0  # dwellings created
    code, out, _ = run(capsys, "territory", "import-layer", str(DATA / "ecoles_tours.geojson"),
                       "--kind", "features", "--name", "ecoles", "--value", "pupils",
                       "--store", store)  # fmt: skip
    assert code == 0 and "points from ecoles_tours.geojson" in out and "750 pupils" in out
    code, out, _ = run(capsys, "territory", "import-layer", str(gpkg), "--kind", "features",
                       "--name", "zac", "--value", "logements", "--store", store)  # fmt: skip
    assert code == 0 and "polygons from zac_tours.gpkg" in out
    code, out, _ = run(capsys, "territory", "show", "--store", store)
    assert (
        "layer population: population from filosofi_200m_tours.csv (Filosofi 2019 (given))" in out
    )
    assert "layer permis: permits from sitadel_permis_tours.csv" in out
    app = Maillage(StoreLocation.parse(store))
    try:
        layers = {x.name: x for x in service.current_layers(app)}
    finally:
        app.close()
    zac = layers["zac"].layer
    assert zac.kind == "polygons" and zac.value == [350.0]
    assert zac.outlines[0][0][0] == pytest.approx([0.6790, 47.3895], abs=1e-7)  # back in WGS 84
    permits = layers["permis"].layer
    assert permits.label[0] == "PC03726125R0041 (5, 2025-03-14)"
    assert haversine_m(permits.lat_deg[0], permits.lon_deg[0], 47.3912, 0.6801) < 0.01
    # again: nothing recorded; a broken file: one line, nothing changed
    sitadel = str(DATA / "sitadel_permis_tours.csv")
    code, out, _ = run(capsys, "territory", "import-layer", sitadel, "--kind", "permits",
                       "--name", "permis", "--store", store, "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["recorded"] is False
    bad = tmp_path / "carreaux.csv"
    bad.write_text("Idcar_200m,Ind\nCRS3035RES200mN1E1,beaucoup\n")
    code, _, err = run(capsys, "territory", "import-layer", str(bad), "--kind", "population",
                       "--name", "population", "--store", store)  # fmt: skip
    assert code == 2 and err.strip() == "maillage: error: carreaux.csv line 2: Ind is not a number"


def test_recommendations_cross_population_and_permits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from console.decoding.journal import decode_journal, write_field_journal
    from domain.sensing.processing import process
    from drivers.simulator.scenario import Scenario, build_field
    from drivers.simulator.town import EXTRACT
    from tests.conftest import network_of

    store = str(tmp_path / "store.sqlite")
    for path, kind, name in ((DATA / "filosofi_200m_tours.csv", "population", "population"),
                             (DATA / "sitadel_permis_tours.csv", "permits", "permis")):  # fmt: skip
        assert main(["territory", "import-layer", str(path), "--kind", kind, "--name", name,
                     "--store", store]) == 0  # fmt: skip
    journal = tmp_path / "van.journal"
    write_field_journal(build_field(Scenario()), journal)
    obs, _ = decode_journal(journal)
    results = process(obs, network=network_of(EXTRACT), network_sha256="0" * 64)
    places = combine([SessionResults("s", 0.0, results)])
    app = Maillage(StoreLocation.parse(store))
    try:
        for k in range(3):  # dumping reported three times by rue Nationale
            app.save(FieldReport.report("illegal_dumping", 47.3934 + k * 1e-4, 0.6886, "Ann"))
        context = Context(list(iter_reports(app)), layers=service.current_layers(app))
    finally:
        app.close()
    recs = recommend(places, context)
    coverage = [r for r in recs if r.rule == "poor_coverage"]
    assert coverage and any("120 dwellings authorised within 300 m in 2 permits" in x
                            for x in coverage[0].reasons)  # fmt: skip
    assert "permis: sitadel_permis_tours.csv" in " ".join(coverage[0].reasons)
    dumping = [r for r in recs if r.rule == "illegal_dumping"]
    assert dumping and "densely populated: 2190 inhabitants within 300 m" in dumping[0].reasons[1]
    roads = [r for r in recs if r.rule == "road_maintenance"]
    assert any("inhabitants within 200 m (population: filosofi" in x for r in roads
               for x in r.reasons)  # fmt: skip
    capsys.readouterr()
