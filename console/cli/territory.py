"""``maillage territory import-network|show``: the road network (and layers) of the territory.

The console reads the user's OSM extract with ``drivers.osm`` (libosmium) and hands its ways
to ``domain.territory.service``, which builds the routable network, keeps it beside the store
and records the import with the file's name, date and SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.clock import PARIS
from domain.errors import InvalidInputError
from domain.territory import service
from domain.territory.network import WaysInput
from drivers.osm import OsmReadError, OsmWays, read_ways


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
    terr.command("show", cmd_show, "the network in force and its source", json=True)


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
        record = service.network_record(app)
    finally:
        app.close()
    if record is None:
        if args.json:
            print(json.dumps({"network": None}))
        else:
            print(
                "no road network: travel times are straight-line estimates "
                "(maillage territory import-network FILE.osm.pbf)"
            )
        return 0
    at = record["at"]
    shown = {**record, "at": at.isoformat()}
    if args.json:
        print(json.dumps({"network": shown}))
        return 0
    f = record["figures"]
    print(
        f"road network from {record['source_name']} ({record['source_date']}), imported "
        f"{at.astimezone(PARIS).strftime('%Y-%m-%d %H:%M')} (Europe/Paris) by {record['by']}: "
        f"{f['ways']} ways, {f['length_km']} km, SHA-256 {record['source_sha256'][:16]}…"
    )
    return 0
