"""The simulator's town as an OpenStreetMap extract: the streets of central Tours the van drives.

``TOURS_STREETS`` follows the simulator's loop (``scenario.TOURS_LOOP``) street by street, with
the cross streets that meet it, their names, road classes, speed limits and one-ways.
``write_extract`` writes them as a real ``.osm.pbf`` with libosmium's writer, so the whole
import path (pyosmium reader → routable network) runs on the simulated town exactly as on a
downloaded extract. Node and way ids are the project's own (1…), not OpenStreetMap's.
The committed file is ``data/tours-centre.osm.pbf`` (``python -m drivers.simulator.town``).
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from ext.geodesy import haversine_m

EXTRACT = Path(__file__).with_name("data") / "tours-centre.osm.pbf"
EXTRACT_TIMESTAMP = "2026-11-01T00:00:00Z"
NODE_SPACING_M = 60.0
"""Longest distance between consecutive nodes of a way (straight streets get shape nodes)."""


@dataclass(frozen=True)
class Street:
    """One OSM way: its name, class, tags and points (for a one-way, in the allowed direction)."""

    name: str
    highway: str
    points: tuple[tuple[float, float], ...]
    oneway: str = ""
    maxspeed: str = ""


TOURS_STREETS: tuple[Street, ...] = (
    Street(
        "Rue Nationale",
        "primary",
        ((47.39640, 0.68815), (47.39330, 0.68870), (47.39060, 0.68900)),
        maxspeed="30",
    ),
    Street(
        "Boulevard Heurteloup",
        "primary",
        ((47.39060, 0.68900), (47.38985, 0.69180), (47.38950, 0.69520)),
    ),
    Street("Rue Édouard Vaillant", "secondary", ((47.38950, 0.69520), (47.38720, 0.69560))),
    Street(
        "Rue Blaise Pascal", "tertiary", ((47.38720, 0.69560), (47.38640, 0.69220)), maxspeed="30"
    ),
    Street(
        "Boulevard Béranger",
        "primary",
        ((47.38640, 0.69220), (47.38800, 0.68900), (47.38930, 0.68420), (47.39000, 0.67980)),
    ),
    Street("Rue Chanoineau", "residential", ((47.39000, 0.67980), (47.39270, 0.68000))),
    Street(
        "Rue de la Scellerie", "tertiary", ((47.39270, 0.68000), (47.39420, 0.68420)), oneway="yes"
    ),
    Street(
        "Rue Colbert",
        "tertiary",
        ((47.39420, 0.68420), (47.39530, 0.69050), (47.39640, 0.69400)),
        oneway="yes",
        maxspeed="FR:zone30",
    ),
    Street("Quai d'Orléans", "secondary", ((47.39640, 0.69400), (47.39640, 0.68815))),
    # cross streets that meet the loop
    Street("Avenue de Grammont", "primary", ((47.39060, 0.68900), (47.38800, 0.68900))),
    Street(
        "Rue des Halles",
        "residential",
        ((47.39330, 0.68870), (47.39300, 0.68300), (47.39270, 0.68000)),
    ),
    Street(
        "Rue de Bordeaux",
        "residential",
        ((47.38950, 0.69520), (47.38880, 0.69200), (47.38800, 0.68900)),
        oneway="yes",
    ),
    Street("Rue Marceau", "residential", ((47.39530, 0.69050), (47.39060, 0.68900))),
    Street("", "service", ((47.38985, 0.69180), (47.38900, 0.69150))),
)


def _densify(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    out = [points[0]]
    for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(points):
        n = max(1, math.ceil(haversine_m(a_lat, a_lon, b_lat, b_lon) / NODE_SPACING_M))
        for k in range(1, n + 1):
            out.append((a_lat + (b_lat - a_lat) * k / n, a_lon + (b_lon - a_lon) * k / n))
    return out


def write_extract(path: Path, streets: tuple[Street, ...] = TOURS_STREETS) -> None:
    """Write the streets as an OSM file (format by the name's extension), replacing it."""
    import osmium

    nodes: dict[tuple[float, float], int] = {}
    ways: list[tuple[int, list[int], Street]] = []
    for w, street in enumerate(streets, start=1):
        refs = []
        for lat, lon in _densify(street.points):
            key = (round(lat, 7), round(lon, 7))
            refs.append(nodes.setdefault(key, len(nodes) + 1))
        ways.append((w, refs, street))
    header = osmium.io.Header()
    header.set("generator", "maillage drivers.simulator.town")
    header.set("osmosis_replication_timestamp", EXTRACT_TIMESTAMP)
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path), header=header)
    try:
        for (lat, lon), nid in sorted(nodes.items(), key=lambda kv: kv[1]):
            writer.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=(lon, lat)))
        for wid, refs, street in ways:
            tags = {"highway": street.highway}
            for key, value in (
                ("name", street.name),
                ("oneway", street.oneway),
                ("maxspeed", street.maxspeed),
            ):
                if value:
                    tags[key] = value
            writer.add_way(osmium.osm.mutable.Way(id=wid, version=1, nodes=refs, tags=tags))
    finally:
        writer.close()


if __name__ == "__main__":
    write_extract(Path(sys.argv[1]) if len(sys.argv) > 1 else EXTRACT)
