"""``maillage devices …``: device shipments — orders, the device lifecycle, shipments, kits,
counts, queries and imports, one module per group of commands.

Serials come as arguments or from ``--serials-file`` (one per line, blank lines and ``#``
comments ignored). Who did it is ``--by``, by default the user running the command.
Queries read the views (brought up to date first) and print JSON with ``--json``.
"""

from __future__ import annotations

from console.cli.devices import imports, kits, lifecycle, orders, queries, shipments
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``devices`` and its areas and actions."""
    devices = level.group(
        "devices", "device shipments: orders, devices, shipments, kits, counts", metavar="AREA"
    )
    for area in (orders, lifecycle, shipments, kits, queries, imports):
        area.register(devices)
