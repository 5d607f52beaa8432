"""A town's street network as a routable graph in CSR arrays, built from an extract's ways.

The console reads the OSM file (``drivers.osm``) and hands its ways here as arrays; this
module decides what a van may drive (routable ``highway`` classes, no private access, no car
park aisles), in which direction (``oneway``, roundabouts, motorways) and how fast (``maxspeed``
when it is given, else a free-flow speed per road class). Every consecutive pair of nodes of a
way is one *segment* (straight, with its offset along the way); each segment gives one
directed *edge* per direction allowed. Shortest paths run on scipy.sparse.csgraph (chosen by
measurement, docs/TERRITORY.md). ``to_bytes``/``from_bytes`` give the exact file kept beside
the store, so the same extract always gives the same bytes and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError

FORMAT = "maillage-road-network/1"
EARTH_RADIUS_M = 6_371_008.8

DEFAULT_SPEED_KMH: Mapping[str, float] = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 20.0,
    "road": 30.0,
    "service": 15.0,
}
"""Free-flow speed of a road class when its ``maxspeed`` is not tagged (French urban practice:
50 km/h in town, 30 km/h zones in residential streets). The classes a van may drive."""
MAXSPEED_NAMED_KMH: Mapping[str, float] = {
    "fr:urban": 50.0,
    "fr:rural": 80.0,
    "fr:zone30": 30.0,
    "fr:zone20": 20.0,
    "fr:motorway": 130.0,
    "fr:trunk": 110.0,
    "walk": 6.0,
    "living_street": 20.0,
}
"""``maxspeed`` values given by name (OSM's implicit limits for France, and two common words)."""
NO_ACCESS = {"private", "no"}
"""``access`` values that close a road to the van (its stretches are then reported unmatched)."""
NO_SERVICE = {"parking_aisle", "drive-through"}
"""Service roads of car parks and drive-throughs are left out of the network."""
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?\s*$")


def maxspeed_kmh(text: str) -> float | None:
    """A ``maxspeed`` tag in km/h (numbers, ``mph``, French named limits), None if unusable."""
    values = []
    for part in text.split(";"):
        named = MAXSPEED_NAMED_KMH.get(part.strip().lower())
        if named is not None:
            values.append(named)
            continue
        m = _NUMBER.match(part)
        if m:
            value = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
            if value > 0:
                values.append(value)
    return min(values) if values else None


def oneway_of(highway: str, oneway: str, junction: str) -> int:
    """1: drivable only along the way's node order, -1: only against it, 0: both ways."""
    value = oneway.strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    if value in {"no", "false", "0", "reversible", "alternating"}:
        return 0
    if junction in {"roundabout", "circular"} or highway == "motorway":
        return 1
    return 0


@dataclass
class WaysInput:
    """An extract's highway ways handed over by the console (``drivers.osm.OsmWays`` fields)."""

    way_id: npt.NDArray[np.int64]
    tags: Mapping[str, Sequence[str]]
    offsets: npt.NDArray[np.int64]
    node_index: npt.NDArray[np.int64]
    node_id: npt.NDArray[np.int64]
    node_lat_deg: npt.NDArray[np.float64]
    node_lon_deg: npt.NDArray[np.float64]


def haversine_m(
    lat1: npt.NDArray[np.float64],
    lon1: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Great-circle distances (m), element by element, on the same sphere as ``ext.geodesy``."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


_ARRAYS: tuple[tuple[str, str], ...] = (
    ("node_id", "<i8"),
    ("node_lat_deg", "<f8"),
    ("node_lon_deg", "<f8"),
    ("way_id", "<i8"),
    ("way_oneway", "<i1"),
    ("way_speed_kmh", "<f8"),
    ("way_length_m", "<f8"),
    ("seg_way", "<i4"),
    ("seg_a", "<i4"),
    ("seg_b", "<i4"),
    ("seg_from_m", "<f8"),
    ("seg_length_m", "<f8"),
    ("seg_fwd_edge", "<i4"),
    ("seg_bwd_edge", "<i4"),
    ("edge_seg", "<i4"),
    ("edge_src", "<i4"),
    ("edge_dst", "<i4"),
    ("edge_forward", "<i1"),
    ("edge_length_m", "<f8"),
    ("edge_time_s", "<f8"),
)


@dataclass
class RoadNetwork:
    """Nodes, ways, straight segments and directed edges of a street network (all arrays).

    ``seg_fwd_edge[s]`` / ``seg_bwd_edge[s]``: the edge that drives segment ``s`` along / against
    its way's node order (-1 when a one-way forbids it). Edges are sorted by source node.
    """

    node_id: npt.NDArray[np.int64]
    node_lat_deg: npt.NDArray[np.float64]
    node_lon_deg: npt.NDArray[np.float64]
    way_id: npt.NDArray[np.int64]
    way_oneway: npt.NDArray[np.int8]
    way_speed_kmh: npt.NDArray[np.float64]
    way_length_m: npt.NDArray[np.float64]
    seg_way: npt.NDArray[np.int32]
    seg_a: npt.NDArray[np.int32]
    seg_b: npt.NDArray[np.int32]
    seg_from_m: npt.NDArray[np.float64]
    seg_length_m: npt.NDArray[np.float64]
    seg_fwd_edge: npt.NDArray[np.int32]
    seg_bwd_edge: npt.NDArray[np.int32]
    edge_seg: npt.NDArray[np.int32]
    edge_src: npt.NDArray[np.int32]
    edge_dst: npt.NDArray[np.int32]
    edge_forward: npt.NDArray[np.int8]
    edge_length_m: npt.NDArray[np.float64]
    edge_time_s: npt.NDArray[np.float64]
    way_name: list[str]
    way_class: list[str]

    # ------------------------------------------------------------------ figures

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)

    @property
    def n_edges(self) -> int:
        return len(self.edge_src)

    def figures(self) -> dict[str, Any]:
        """What an import reports: counts, length, one-ways, bounding box."""
        named = sum(1 for n in self.way_name if n)
        return {
            "ways": len(self.way_id),
            "named_ways": named,
            "one_way_ways": int(np.count_nonzero(self.way_oneway)),
            "nodes": self.n_nodes,
            "segments": len(self.seg_way),
            "edges": self.n_edges,
            "length_km": round(float(self.way_length_m.sum()) / 1000, 3),
            "bbox": [
                round(float(self.node_lat_deg.min()), 7),
                round(float(self.node_lon_deg.min()), 7),
                round(float(self.node_lat_deg.max()), 7),
                round(float(self.node_lon_deg.max()), 7),
            ],
        }

    def street(self, way: int) -> str:
        """How people name way index ``way``: its name, else its class and OSM id."""
        name = self.way_name[way]
        return name or f"unnamed {self.way_class[way]} (OSM way {int(self.way_id[way])})"

    def way_index(self, osm_way_id: int) -> int:
        """The index of the first piece of an OSM way (NotFound → InvalidInputError)."""
        hits = np.flatnonzero(self.way_id == osm_way_id)
        if not len(hits):
            raise InvalidInputError(f"OSM way {osm_way_id} is not in the road network")
        return int(hits[0])

    # ------------------------------------------------------------------ geometry

    def origin(self) -> tuple[float, float]:
        """The reference point of the local metric projection (the bounding box's centre)."""
        return (
            float(self.node_lat_deg.min() + self.node_lat_deg.max()) / 2,
            float(self.node_lon_deg.min() + self.node_lon_deg.max()) / 2,
        )

    def project(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Local east/north metres (equirectangular about ``origin``: < 0.5 % off within 50 km)."""
        lat0, lon0 = self.origin()
        k = math.pi / 180 * EARTH_RADIUS_M
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        return (lon - lon0) * k * math.cos(math.radians(lat0)), (lat - lat0) * k

    def unproject(
        self, x_m: npt.ArrayLike, y_m: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        lat0, lon0 = self.origin()
        k = math.pi / 180 * EARTH_RADIUS_M
        return (
            np.asarray(y_m, dtype=np.float64) / k + lat0,
            np.asarray(x_m, dtype=np.float64) / (k * math.cos(math.radians(lat0))) + lon0,
        )

    def node_xy(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return self.project(self.node_lat_deg, self.node_lon_deg)

    def nearest_segment(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """For each point: the nearest segment, the fraction along it, and the distance (m)."""
        px, py = self.project(lat_deg, lon_deg)
        x, y = self.node_xy()
        ax, ay = x[self.seg_a], y[self.seg_a]
        dx, dy = x[self.seg_b] - ax, y[self.seg_b] - ay
        len2 = np.maximum(dx * dx + dy * dy, 1e-12)
        out_s = np.empty(len(px), dtype=np.int64)
        out_f = np.empty(len(px))
        out_d = np.empty(len(px))
        for i in range(len(px)):  # a vectorised pass over every segment per point
            f = np.clip(((px[i] - ax) * dx + (py[i] - ay) * dy) / len2, 0.0, 1.0)
            d2 = (ax + f * dx - px[i]) ** 2 + (ay + f * dy - py[i]) ** 2
            s = int(np.argmin(d2))
            out_s[i], out_f[i], out_d[i] = s, f[s], math.sqrt(d2[s])
        return out_s, out_f, out_d

    def route_length_m(self, points: Sequence[tuple[float, float]]) -> float:
        """Length of a closed polyline through ``points`` (back to the first), great circle."""
        lat = np.array([p[0] for p in points] + [points[0][0]])
        lon = np.array([p[1] for p in points] + [points[0][1]])
        return float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())

    def segment_point(
        self, seg: npt.NDArray[np.int64], fraction: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Latitude and longitude at a fraction along segments (linear between its nodes)."""
        a, b = self.seg_a[seg], self.seg_b[seg]
        lat = self.node_lat_deg[a] + fraction * (self.node_lat_deg[b] - self.node_lat_deg[a])
        lon = self.node_lon_deg[a] + fraction * (self.node_lon_deg[b] - self.node_lon_deg[a])
        return lat, lon

    # ------------------------------------------------------------------ routing

    def csr(self, weight: str = "time") -> Any:
        """The directed graph as a scipy CSR matrix of edge times (s) or lengths (m).

        Parallel edges keep the cheapest; weights are at least 1 mm or 1 ms, since csgraph
        reads an explicit zero as no edge.
        """
        from scipy.sparse import csr_matrix

        w = self.edge_time_s if weight == "time" else self.edge_length_m
        order = np.lexsort((w, self.edge_dst, self.edge_src))
        src, dst, w = self.edge_src[order], self.edge_dst[order], w[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        n = self.n_nodes
        return csr_matrix((np.maximum(w[first], 1e-3), (src[first], dst[first])), shape=(n, n))

    def shortest_from(
        self, sources: npt.ArrayLike, weight: str = "time", limit: float = np.inf
    ) -> Any:
        """Shortest path costs and predecessors from each source node (Dijkstra, csgraph)."""
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(
            self.csr(weight),
            directed=True,
            indices=np.asarray(sources, dtype=np.int64),
            return_predecessors=True,
            limit=limit,
        )

    def node_path(self, source: int, target: int, weight: str = "time") -> list[int]:
        """The nodes of the shortest path from ``source`` to ``target`` (refused if none)."""
        _, pred = self.shortest_from([source], weight)
        path = [target]
        while path[-1] != source:
            p = int(pred[0, path[-1]])
            if p < 0:
                raise InvalidInputError(
                    f"no drivable path from node {int(self.node_id[source])} to node "
                    f"{int(self.node_id[target])} in the road network"
                )
            path.append(p)
        return path[::-1]

    def placements(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
    ) -> tuple[list[list[tuple[int, float]]], npt.NDArray[np.float64]]:
        """Each point on its nearest segment: the edges that drive it, each with the fraction
        along the edge where the point lies; and the point's distance to the segment (m)."""
        seg, frac, off = self.nearest_segment(lat_deg, lon_deg)
        out = []
        for s, f in zip(seg.tolist(), frac.tolist(), strict=True):
            out.append(
                [
                    (int(e), f if fwd else 1.0 - f)
                    for e, fwd in ((self.seg_fwd_edge[s], True), (self.seg_bwd_edge[s], False))
                    if e >= 0
                ]
            )
        return out, off

    def leg_cost(
        self,
        a: list[tuple[int, float]],
        b: list[tuple[int, float]],
        from_node: Any,
        edge_cost: npt.NDArray[np.float64],
    ) -> float:
        """Cheapest drive from placement ``a`` to placement ``b``: leave ``a``'s edge at its
        end, shortest path (``from_node(node)`` → costs to every node), enter ``b``'s edge."""
        best = math.inf
        for ea, fa in a:
            leave = (1.0 - fa) * edge_cost[ea]
            row = from_node(int(self.edge_dst[ea]))
            for eb, fb in b:
                cost = leave + row[self.edge_src[eb]] + fb * edge_cost[eb]
                if ea == eb and fb >= fa:
                    cost = min(cost, (fb - fa) * edge_cost[ea])
                best = min(best, float(cost))
        return best

    def travel_times_s(
        self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Driving time (s) between every ordered pair of points, one-ways respected.

        Each point is placed on its nearest segment; a trip leaves by either direction the
        segment may be driven in and arrives likewise (inf where no path exists).
        """
        ways, _ = self.placements(lat_deg, lon_deg)
        n = len(ways)
        exits = sorted({int(self.edge_dst[e]) for w in ways for e, _ in w})
        costs, _ = self.shortest_from(exits)
        row = {node: k for k, node in enumerate(exits)}
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if i != j:
                    out[i, j] = self.leg_cost(
                        ways[i], ways[j], lambda node: costs[row[node]], self.edge_time_s
                    )
        return out

    # ------------------------------------------------------------------ bytes

    def to_bytes(self) -> bytes:
        """The network file: a JSON header (format, names, classes, array layout) then arrays."""
        layout = []
        blobs = []
        for name, dtype in _ARRAYS:
            data = np.ascontiguousarray(getattr(self, name), dtype=dtype).tobytes()
            layout.append([name, dtype, len(getattr(self, name))])
            blobs.append(data)
        header = json.dumps(
            {
                "format": FORMAT,
                "arrays": layout,
                "way_name": self.way_name,
                "way_class": self.way_class,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return struct.pack("<Q", len(header)) + header + b"".join(blobs)

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadNetwork:
        (size,) = struct.unpack_from("<Q", data, 0)
        header = json.loads(data[8 : 8 + size])
        if header.get("format") != FORMAT:
            raise InvalidInputError(f"road network file of format {header.get('format')!r}")
        pos = 8 + size
        values: dict[str, Any] = {"way_name": header["way_name"], "way_class": header["way_class"]}
        for name, dtype, count in header["arrays"]:
            width = np.dtype(dtype).itemsize * count
            values[name] = np.frombuffer(data, dtype=dtype, count=count, offset=pos).astype(
                np.dtype(dtype).newbyteorder("=")
            )
            pos += width
        return cls(**values)

    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()


def build_network(ways: WaysInput) -> RoadNetwork:
    """The drivable network of an extract's highway ways (refused if nothing is drivable)."""
    tags = ways.tags
    n_ways = len(ways.way_id)
    keep = []
    oneway = []
    speed = []
    for i in range(n_ways):
        highway = tags["highway"][i]
        if highway not in DEFAULT_SPEED_KMH:
            continue
        if tags["access"][i].strip().lower() in NO_ACCESS:
            continue
        if highway == "service" and tags["service"][i] in NO_SERVICE:
            continue
        keep.append(i)
        oneway.append(oneway_of(highway, tags["oneway"][i], tags["junction"][i]))
        tagged = maxspeed_kmh(tags["maxspeed"][i])
        speed.append(tagged if tagged is not None else DEFAULT_SPEED_KMH[highway])
    if not keep:
        raise InvalidInputError("the extract holds no street a van may drive (no routable highway)")
    kept = np.array(keep, dtype=np.int64)
    starts, ends = ways.offsets[kept], ways.offsets[kept + 1]
    counts = ends - starts - 1  # segments per way
    seg_way = np.repeat(np.arange(len(kept), dtype=np.int32), counts)
    first = np.repeat(starts - np.cumsum(np.concatenate([[0], counts[:-1]])), counts)
    pos = np.arange(len(seg_way)) + first  # index into node_index of each segment's first node
    used_a, used_b = ways.node_index[pos], ways.node_index[pos + 1]
    used = np.unique(np.concatenate([used_a, used_b]))  # renumber: only the nodes of kept ways
    seg_a = np.searchsorted(used, used_a).astype(np.int32)
    seg_b = np.searchsorted(used, used_b).astype(np.int32)
    lat, lon = ways.node_lat_deg[used], ways.node_lon_deg[used]
    seg_len = haversine_m(lat[seg_a], lon[seg_a], lat[seg_b], lon[seg_b])
    cum = np.cumsum(seg_len)
    way_end = np.cumsum(counts)
    way_len = np.diff(np.concatenate([[0.0], cum[way_end - 1]])) if len(cum) else np.zeros(0)
    seg_from = cum - seg_len - np.repeat(np.concatenate([[0.0], cum[way_end[:-1] - 1]]), counts)
    ow = np.array(oneway, dtype=np.int8)
    sp = np.array(speed, dtype=np.float64)
    fwd_ok = ow[seg_way] >= 0
    bwd_ok = ow[seg_way] <= 0
    segs = np.arange(len(seg_way), dtype=np.int32)
    e_seg = np.concatenate([segs[fwd_ok], segs[bwd_ok]])
    e_fwd = np.concatenate([np.ones(fwd_ok.sum(), np.int8), np.zeros(bwd_ok.sum(), np.int8)])
    e_src = np.where(e_fwd == 1, seg_a[e_seg], seg_b[e_seg]).astype(np.int32)
    e_dst = np.where(e_fwd == 1, seg_b[e_seg], seg_a[e_seg]).astype(np.int32)
    order = np.lexsort((1 - e_fwd, e_seg, e_src))
    e_seg, e_fwd, e_src, e_dst = e_seg[order], e_fwd[order], e_src[order], e_dst[order]
    e_len = seg_len[e_seg]
    e_time = e_len / (sp[seg_way[e_seg]] / 3.6)
    seg_fwd = np.full(len(seg_way), -1, dtype=np.int32)
    seg_bwd = np.full(len(seg_way), -1, dtype=np.int32)
    idx = np.arange(len(e_seg), dtype=np.int32)
    seg_fwd[e_seg[e_fwd == 1]] = idx[e_fwd == 1]
    seg_bwd[e_seg[e_fwd == 0]] = idx[e_fwd == 0]
    return RoadNetwork(
        node_id=ways.node_id[used].astype(np.int64),
        node_lat_deg=lat.astype(np.float64),
        node_lon_deg=lon.astype(np.float64),
        way_id=ways.way_id[kept].astype(np.int64),
        way_oneway=ow,
        way_speed_kmh=sp,
        way_length_m=way_len,
        seg_way=seg_way,
        seg_a=seg_a,
        seg_b=seg_b,
        seg_from_m=seg_from,
        seg_length_m=seg_len,
        seg_fwd_edge=seg_fwd,
        seg_bwd_edge=seg_bwd,
        edge_seg=e_seg.astype(np.int32),
        edge_src=e_src,
        edge_dst=e_dst,
        edge_forward=e_fwd,
        edge_length_m=e_len,
        edge_time_s=e_time,
        way_name=[str(tags["name"][i]) for i in keep],
        way_class=[str(tags["highway"][i]) for i in keep],
    )
