"""``maillage sessions …``: recorded sensor sessions — list, show, export, import, close,
process and calibrate, one module per group of commands (``sessions process`` is ``process.py``)."""

from __future__ import annotations

from console.cli.sessions import bundles, calibrate, close, keys, listing, process
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``sessions`` and its actions."""
    sessions = level.group(
        "sessions",
        "recorded sensor sessions: list, show, export, import, close, process, calibrate",
    )
    for part in (process, calibrate, listing, bundles, close, keys):
        part.register(sessions)
