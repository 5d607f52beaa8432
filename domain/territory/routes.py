"""Routes on the road network: the streets a van drives between places, as a polyline.

The simulator takes a route as a list of (lat, lon) points; ``loop_through`` gives one that
follows real streets, so a simulated session's ground truth lies on the imported network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from domain.errors import InvalidInputError
from domain.territory.network import RoadNetwork


def nearest_node(network: RoadNetwork, lat_deg: float, lon_deg: float) -> int:
    """The network node closest to a point (local metres)."""
    x, y = network.node_xy()
    px, py = network.project(lat_deg, lon_deg)
    return int(np.argmin((x - px) ** 2 + (y - py) ** 2))


def loop_through(
    network: RoadNetwork, places: Sequence[tuple[float, float]]
) -> tuple[tuple[float, float], ...]:
    """The quickest drive through ``places`` in order and back to the first, as node points.

    The points end one before the start again (the simulator closes the loop itself).
    """
    if len(places) < 2:
        raise InvalidInputError("a route passes through at least two places")
    stops = [nearest_node(network, lat, lon) for lat, lon in places]
    nodes: list[int] = [stops[0]]
    for a, b in zip(stops, stops[1:] + stops[:1], strict=True):
        if a != b:
            nodes.extend(network.node_path(a, b)[1:])
    nodes.pop()  # back at the start
    return tuple((float(network.node_lat_deg[n]), float(network.node_lon_deg[n])) for n in nodes)
