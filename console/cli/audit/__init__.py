"""``maillage audit …``: the tamper-evident chain, checkpoints, replay, erasure, reports and time
travel on the log, one module per group of commands."""

from __future__ import annotations

from console.cli.audit import chain, erase, replay, report, time_travel
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``audit`` and its actions."""
    audit = level.group("audit", "the tamper-evident audit chain of the event log")
    for part in (chain, replay, erase, report, time_travel):
        part.register(audit)
