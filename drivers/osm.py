"""Reading an OpenStreetMap extract (``.osm.pbf``) with libosmium (pyosmium): the streets as arrays.

The reader does file I/O only: every way with a ``highway`` tag comes out with its id, its raw
tags that routing needs (name, highway, oneway, junction, maxspeed, access, service) and its
node references as indices into one table of node locations. What is routable, how fast and
in which direction is decided by ``domain.territory.network`` from these values.
A malformed file raises ``OsmReadError`` with one line naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

TAGS = ("name", "highway", "oneway", "junction", "maxspeed", "access", "service", "ref")
"""The way tags the network is built from (other tags are not kept)."""


class OsmReadError(Exception):
    """The file is not a readable OSM extract (its name and the reason, one line)."""


@dataclass
class OsmWays:
    """Ways with a ``highway`` tag: tags per way, node references in CSR form, node locations."""

    way_id: npt.NDArray[np.int64]
    tags: dict[str, list[str]]
    """Each of ``TAGS`` → one string per way ('' when the way has no such tag)."""
    offsets: npt.NDArray[np.int64]
    """Way i's nodes are ``node_index[offsets[i]:offsets[i + 1]]``."""
    node_index: npt.NDArray[np.int64]
    node_id: npt.NDArray[np.int64]
    node_lat_deg: npt.NDArray[np.float64]
    node_lon_deg: npt.NDArray[np.float64]
    timestamp: str
    """The extract's replication timestamp from its header ('' when the header has none)."""
    missing_nodes: int = 0
    """Node references the file holds no location for (cut by the extract's boundary): a way
    is kept as its pieces of located nodes, each piece under the way's id."""


def read_ways(path: Path) -> OsmWays:
    """Every highway way of an OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``) with locations."""
    import osmium  # imported here: only network imports need libosmium

    if not path.is_file():
        raise OsmReadError(f"{path.name}: no such file")
    way_ids: list[int] = []
    tags: dict[str, list[str]] = {k: [] for k in TAGS}
    offsets = [0]
    refs: list[int] = []
    index: dict[int, int] = {}
    lat: list[float] = []
    lon: list[float] = []
    node_ids: list[int] = []
    missing = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if not way.is_way():
                continue
            way_tags = way.tags
            nodes = way.nodes
            run: list[int] = []
            for node in nodes:
                ref = node.ref
                k = index.get(ref)
                if k is None:
                    loc = node.location
                    if not loc.valid():  # cut off by the extract's boundary
                        missing += 1
                        _close_run(run, refs, offsets, way_ids, way.id, tags, way_tags)
                        run = []
                        continue
                    k = index[ref] = len(node_ids)
                    node_ids.append(ref)
                    lat.append(loc.lat)
                    lon.append(loc.lon)
                run.append(k)
            _close_run(run, refs, offsets, way_ids, way.id, tags, way_tags)
        timestamp = processor.header.get("osmosis_replication_timestamp", "") or ""
    except OsmReadError:
        raise
    except (RuntimeError, OSError, ValueError) as e:  # libosmium reports format errors so
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise OsmReadError(f"{path.name}: not a readable OSM extract ({first[:160]})") from None
    return OsmWays(
        way_id=np.array(way_ids, dtype=np.int64),
        tags=tags,
        offsets=np.array(offsets, dtype=np.int64),
        node_index=np.array(refs, dtype=np.int64),
        node_id=np.array(node_ids, dtype=np.int64),
        node_lat_deg=np.array(lat, dtype=np.float64),
        node_lon_deg=np.array(lon, dtype=np.float64),
        timestamp=timestamp,
        missing_nodes=missing,
    )


def _close_run(
    run: list[int],
    refs: list[int],
    offsets: list[int],
    way_ids: list[int],
    way_id: int,
    tags: dict[str, list[str]],
    way_tags: object,
) -> int:
    """Keep a run of two or more located nodes of a way as one piece (1 if kept, else 0)."""
    if len(run) < 2:
        return 0
    refs.extend(run)
    offsets.append(len(refs))
    way_ids.append(way_id)
    for key in TAGS:
        tags[key].append(way_tags.get(key, ""))  # type: ignore[attr-defined]
    return 1
