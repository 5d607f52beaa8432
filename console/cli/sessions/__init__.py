"""``maillage sessions …``: recorded sensor sessions — list, show, export, import, close and
process, one module per group of commands (``sessions process`` is ``process.py``)."""

from __future__ import annotations

from console.cli.sessions import bundles, close, listing, process
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``sessions`` and its actions."""
    sessions = level.group(
        "sessions", "recorded sensor sessions: list, show, export, import, close, process"
    )
    for part in (process, listing, bundles, close):
        part.register(sessions)
