"""The territory's application service: import a road network or a layer, and read them back.

Commands receive values the console read from the user's files (the extract's ways as arrays,
a layer's rows) with the file's name, date and SHA-256; they build what the domain keeps,
write it beside the store by content (``<store folder>/territory/<sha256>.<kind>``) and record
the import on the ``Territory`` aggregate. Queries load the network or a layer in force,
checked against the SHA-256 its event recorded.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError
from domain.ids import TERRITORY_ID
from domain.sensing.results_store import keep_bytes, store_folder
from domain.store import StoreLocation
from domain.territory.layers import Layer
from domain.territory.network import RoadNetwork, WaysInput, build_network
from domain.territory.territory import Territory
from domain.wording import local_time

TERRITORY_DIRNAME = "territory"
_cache: dict[tuple[str, str], RoadNetwork] = {}


def territory_dir(location: StoreLocation) -> Path:
    """Where a store keeps its network and layer files (the folder may not exist yet)."""
    return store_folder(location, TERRITORY_DIRNAME)


def network_file(location: StoreLocation, sha256: str) -> Path:
    return territory_dir(location) / f"{sha256}.network"


def territory(app: Maillage) -> Territory | None:
    """The store's territory record, or None before any import."""
    try:
        return app.get(TERRITORY_ID, Territory)
    except NotFoundError:
        return None


def _territory_for_change(app: Maillage) -> Territory:
    return territory(app) or Territory()


@dataclass(frozen=True)
class NetworkImport:
    """What ``import_network`` did: the network's figures, its file, whether it was recorded."""

    figures: dict[str, Any]
    network_sha256: str
    path: Path
    recorded: bool


def import_network(
    app: Maillage,
    ways: WaysInput,
    source_name: str,
    source_sha256: str,
    source_date: str,
    by: str,
) -> NetworkImport:
    """Build the drivable network of an extract, keep it beside the store, put it in force.

    The same extract imported again records nothing (the network's bytes have one SHA-256).
    """
    network = build_network(ways)
    data = network.to_bytes()
    sha = hashlib.sha256(data).hexdigest()
    figures = network.figures()
    terr = _territory_for_change(app)
    if terr.network is not None and terr.network["network_sha256"] == sha:
        return NetworkImport(figures, sha, network_file(app.location, sha), False)
    path = keep_bytes(network_file(app.location, sha), sha, data)  # file first, then the event
    terr.import_network(source_name, source_sha256, source_date, sha, figures, by)
    app.save(terr)
    _cache[(str(app.location.label), sha)] = network
    return NetworkImport(figures, sha, path, True)


def network_record(app: Maillage) -> dict[str, Any] | None:
    """The import record of the network in force (source, date, SHA-256, figures), or None."""
    terr = territory(app)
    return None if terr is None else terr.network


def in_force_lines(app: Maillage) -> list[str]:
    """The network and layers in force in words: each source, its date, when (local time with
    its zone) and by whom it was imported, and its figures (``maillage territory show``)."""
    record = network_record(app)
    terr = territory(app)
    layers = dict(terr.layers) if terr is not None else {}
    if record is None:
        lines = [
            "no road network: travel times are straight-line estimates "
            "(maillage territory import-network FILE.osm.pbf)"
        ]
    else:
        f = record["figures"]
        lines = [
            f"road network from {record['source_name']} ({record['source_date']}), imported "
            f"{local_time(record['at'])} by {record['by']}: {f['ways']} ways, "
            f"{f['length_km']} km, SHA-256 {record['source_sha256'][:16]}…"
        ]
    lines += [
        f"layer {name}: {v['kind']} from {v['source_name']} ({v['source_date']}), imported "
        f"{local_time(v['at'])} by {v['by']}: {v['figures']['features']} features"
        for name, v in sorted(layers.items())
    ]
    return lines


def current_network(app: Maillage) -> RoadNetwork | None:
    """The network in force, read from its file and checked by SHA-256 (None: none imported)."""
    record = network_record(app)
    if record is None:
        return None
    sha = record["network_sha256"]
    key = (str(app.location.label), sha)
    if key in _cache:
        return _cache[key]
    path = network_file(app.location, sha)
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFoundError(
            f"the road network imported from {record['source_name']} is missing its file "
            f"{path}: import the extract again"
        ) from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise InvalidInputError(
            f"the road network file {path} was modified since {record['source_name']} was "
            "imported: import the extract again"
        )
    network = RoadNetwork.from_bytes(data)
    _cache[key] = network
    return network


BASE_MARGIN_M = 150.0


def base_lines(
    network: RoadNetwork, places: list[dict[str, Any]], margin_m: float = BASE_MARGIN_M
) -> list[tuple[float, float, float, float]]:
    """The network's street segments within ``margin_m`` of the places' bounding box, as
    (lat0, lon0, lat1, lon1): the base a map draws the indicators on."""
    if not places:
        return []
    lats = [p[k] for p in places for k in ("lat0", "lat1")]
    lons = [p[k] for p in places for k in ("lon0", "lon1")]
    dlat = margin_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))), 1e-6)
    lat, lon = network.node_lat_deg, network.node_lon_deg
    a, b = network.seg_a, network.seg_b
    inside = (
        (np.minimum(lat[a], lat[b]) <= max(lats) + dlat)
        & (np.maximum(lat[a], lat[b]) >= min(lats) - dlat)
        & (np.minimum(lon[a], lon[b]) <= max(lons) + dlon)
        & (np.maximum(lon[a], lon[b]) >= min(lons) - dlon)
    )
    return [
        (float(lat[i]), float(lon[i]), float(lat[j]), float(lon[j]))
        for i, j in zip(a[inside].tolist(), b[inside].tolist(), strict=True)
    ]


# ---------------------------------------------------------------------- layers


def layer_file(location: StoreLocation, sha256: str) -> Path:
    return territory_dir(location) / f"{sha256}.layer.json"


@dataclass(frozen=True)
class LayerImport:
    """What ``import_layer`` did: the layer's figures, its digest, whether it was recorded."""

    figures: dict[str, Any]
    layer_sha256: str
    recorded: bool


def import_layer(
    app: Maillage,
    name: str,
    layer: Layer,
    source_name: str,
    source_sha256: str,
    source_date: str,
    by: str,
) -> LayerImport:
    """Keep a layer beside the store and put it in force under ``name`` (with its source)."""
    if not layer.value:
        raise InvalidInputError(f"{source_name}: the layer has no feature to cross")
    data = layer.to_bytes()
    sha = hashlib.sha256(data).hexdigest()
    terr = _territory_for_change(app)
    figures = layer.figures()
    current = terr.layers.get(name.strip())
    if current is not None and current["layer_sha256"] == sha:
        return LayerImport(figures, sha, False)
    keep_bytes(layer_file(app.location, sha), sha, data)
    terr.import_layer(name, layer.kind, source_name, source_sha256, source_date, sha, figures, by)
    app.save(terr)
    return LayerImport(figures, sha, True)


@dataclass(frozen=True)
class LoadedLayer:
    """A layer in force with its import record (source, date) — what a rule cites."""

    name: str
    record: dict[str, Any]
    layer: Layer

    @property
    def source(self) -> str:
        return f"{self.record['source_name']}, {self.record['source_date']}"


def current_layers(app: Maillage) -> list[LoadedLayer]:
    """Every layer in force, read back and checked by SHA-256 (a missing file is named)."""
    terr = territory(app)
    if terr is None:
        return []
    out = []
    for name in sorted(terr.layers):
        record = terr.layers[name]
        path = layer_file(app.location, record["layer_sha256"])
        try:
            data = path.read_bytes()
        except OSError:
            raise NotFoundError(
                f"layer {name} (from {record['source_name']}) is missing its file {path}: "
                "import it again"
            ) from None
        if hashlib.sha256(data).hexdigest() != record["layer_sha256"]:
            raise InvalidInputError(f"layer {name}: its file {path} was modified; import it again")
        out.append(LoadedLayer(name, record, Layer.from_bytes(data)))
    return out
