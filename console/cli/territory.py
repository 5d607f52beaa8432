"""``maillage territory import-network|show``: the road network (and layers) of the territory.

The console reads the user's OSM extract with ``drivers.osm`` (libosmium) and hands its ways
to ``domain.territory.service``, which builds the routable network, keeps it beside the store
and records the import with the file's name, date and SHA-256.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.args import lat_lon
from console.cli.tree import Level
from console.importing.territory import (
    LAYER_FILE_KINDS,
    file_sha256,
    read_extract,
    read_layer,
    route_line,
    source_date,
    ways_input,
    write_route,
)
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.territory import service


def register(level: Level) -> None:
    """Register ``territory`` and its actions."""
    terr = level.group("territory", "road network and open-data layers of the territory")
    imp = terr.command(
        "import-network",
        cmd_import_network,
        "build the routable street network from an OpenStreetMap extract (.osm.pbf)",
        json=True,
    )
    imp.add_argument("file", type=Path, metavar="FILE.osm.pbf")
    terr.command("show", cmd_show, "the network and layers in force and their sources", json=True)
    route = terr.command(
        "route",
        cmd_route,
        "a simulator scenario whose van drives the quickest loop on the network's streets",
        description="Write a scenario JSON (for 'maillage simulate --scenario FILE') whose "
        "route is the quickest drive on the road network in force through the places given "
        "in order and back to the first: its ground truth lies on real streets.",
        json=True,
    )
    route.add_argument(
        "--via", action="append", type=lat_lon, required=True, metavar="LAT,LON",
        help="a place the van passes (at least two, in order)",
    )  # fmt: skip
    route.add_argument("--output", type=Path, required=True, metavar="FILE.json")
    lay = terr.command(
        "import-layer",
        cmd_import_layer,
        "import an open-data layer: INSEE 200 m population, Sitadel permits, any GeoJSON or "
        "GeoPackage point/polygon layer",
        json=True,
    )
    lay.add_argument("file", type=Path, metavar="FILE")
    lay.add_argument("--kind", required=True, choices=LAYER_FILE_KINDS)
    lay.add_argument("--name", required=True, help="the layer's name (a new import replaces it)")
    lay.add_argument("--value", metavar="PROPERTY", help="features: the property that weighs each")
    lay.add_argument(
        "--date", metavar="TEXT", help="the data's date as published (default: the file's)"
    )


@mutating
def cmd_import_layer(args: argparse.Namespace, settings: Settings) -> int:
    layer = read_layer(args.file, args.kind, args.value)  # before the store is opened
    sha = file_sha256(args.file)
    date = f"{args.date} (given)" if args.date else source_date(args.file, "")
    app = open_store(settings)
    try:
        done = service.import_layer(app, args.name, layer, args.file.name, sha, date, settings.user)
    finally:
        app.close()
    result = {"name": args.name, "kind": layer.kind, "source": args.file.name,
              "source_sha256": sha, "source_date": date, "recorded": done.recorded,
              **done.figures}  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return 0
    verb = "imported" if done.recorded else "already in force, nothing recorded"
    print(
        f"layer {args.name} {verb}: {layer.kind} from {args.file.name} ({date}), "
        f"{done.figures['features']} features, {done.figures['total']:g} {layer.unit}"
    )
    return 0


def cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        points, length_m = write_route(app, args.via, args.output)
    finally:
        app.close()
    result = {"output": str(args.output), "points": points, "length_m": round(length_m, 1)}
    print(json.dumps(result) if args.json else route_line(args.output, length_m))
    return 0


@mutating
def cmd_import_network(args: argparse.Namespace, settings: Settings) -> int:
    ways, sha = read_extract(args.file)  # before the store is opened: a bad file changes nothing
    date = source_date(args.file, ways.timestamp)
    app = open_store(settings)
    try:
        done = service.import_network(
            app, ways_input(ways), args.file.name, sha, date, settings.user
        )
    finally:
        app.close()
    result = {
        "source": args.file.name,
        "source_sha256": sha,
        "source_date": date,
        "network_sha256": done.network_sha256,
        "recorded": done.recorded,
        "missing_nodes": ways.missing_nodes,
        "network_file": str(done.path),
        **done.figures,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    f = done.figures
    verb = "imported" if done.recorded else "already in force, nothing recorded"
    print(
        f"road network {verb}: {args.file.name} ({date}), {f['ways']} ways "
        f"({f['named_ways']} named, {f['one_way_ways']} one-way), {f['length_km']} km, "
        f"{f['nodes']} nodes, {f['edges']} directed edges"
    )
    if ways.missing_nodes:
        print(f"{ways.missing_nodes} node references lie outside the extract: those ways are cut")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        if not args.json:
            print("\n".join(service.in_force_lines(app)))
            return 0
        record = service.network_record(app)
        terr = service.territory(app)
        layers = dict(terr.layers) if terr is not None else {}
    finally:
        app.close()
    shown = None if record is None else {**record, "at": record["at"].isoformat()}
    print(json.dumps({"network": shown, "layers": [
        {**v, "at": v["at"].isoformat()} for v in layers.values()]}))  # fmt: skip
    return 0
