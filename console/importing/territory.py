"""Reading the territory's files a user hands in — an OSM extract, an open-data layer — into
the values ``domain.territory`` takes, with their SHA-256 and date; one line on a bad file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.territory import service
from domain.territory.layers import Layer, features_layer, permits_layer, population_layer
from domain.territory.network import WaysInput
from domain.territory.routes import loop_through
from drivers.layers import (
    LayerReadError,
    read_geojson,
    read_geopackage,
    read_permits,
    read_population_grid,
)
from drivers.osm import OsmReadError, OsmWays, read_ways


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ways_input(ways: OsmWays) -> WaysInput:
    """The reader's arrays as the domain's input (the same fields)."""
    return WaysInput(**{f.name: getattr(ways, f.name) for f in fields(WaysInput)})


def source_date(path: Path, timestamp: str) -> str:
    """The extract's date: its header's replication timestamp, else the file's modification time."""
    if timestamp:
        return f"{timestamp} (extract header)"
    moment = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} (file modified)"


def read_extract(path: Path) -> tuple[OsmWays, str]:
    """The extract's highway ways and its SHA-256, or one line saying what is wrong."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    try:
        sha = file_sha256(path)
        return read_ways(path), sha
    except OsmReadError as e:
        raise InvalidInputError(str(e)) from None
    except OSError as e:
        raise InvalidInputError(f"{path}: {e.strerror or e}") from None


LAYER_FILE_KINDS = ("population", "permits", "features")
"""INSEE 200 m gridded population (CSV), Sitadel permits list (CSV), a GeoJSON or GeoPackage."""


def read_layer(path: Path, kind: str, value: str | None) -> Layer:
    """The layer in a user's file, or one line naming the file and what is wrong."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    try:
        if kind == "population":
            return population_layer(*read_population_grid(path))
        if kind == "permits":
            return permits_layer(*read_permits(path))
        raw = read_geopackage(path) if path.suffix.lower() == ".gpkg" else read_geojson(path)
        return features_layer(raw.geometries, raw.properties, raw.crs_epsg, value)
    except LayerReadError as e:
        raise InvalidInputError(str(e)) from None
    except InvalidInputError as e:
        raise InvalidInputError(f"{path.name}: {e}") from None


def write_route(
    app: Maillage, via: Sequence[tuple[float, float]], output: Path
) -> tuple[int, float]:
    """Write a simulator scenario whose van drives the quickest loop on the network in force
    through ``via`` (in order, back to the first); its points and length in metres."""
    network = service.current_network(app)
    if network is None:
        raise InvalidInputError(
            "no road network: import one first (maillage territory import-network FILE.osm.pbf)"
        )
    points = loop_through(network, list(via))
    length_m = float(network.route_length_m(points))
    try:
        output.write_text(
            json.dumps({"route": [list(p) for p in points], "stops": []}, indent=1) + "\n",
            encoding="utf-8",
        )
    except OSError as e:
        raise InvalidInputError(f"cannot write {output}: {e.strerror or e}") from None
    return len(points), length_m


def route_line(output: Path, length_m: float) -> str:
    """What was written, and how the simulator takes it."""
    return (
        f"route of {length_m / 1000:.2f} km on the network's streets written to "
        f"{output} (maillage simulate --scenario {output})"
    )
