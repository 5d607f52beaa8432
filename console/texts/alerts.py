"""A welfare alert's trail in lines of text, for the command line and the alert screen alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.clock import PARIS

WITHHELD = "(not shown to this role)"


def _paris(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%Y-%m-%d %H:%M %Z")


def trail_lines(trail: dict[str, Any]) -> list[str]:
    """What happened to the alert, in order, with Paris times; withheld texts say so."""
    shown = trail["notes_shown"]
    lines = [
        f"welfare alert {trail['reference']} · {trail['concerns']}",
        f"{trail['category']} · {trail['severity']} · {trail['status']}",
        f"raised {_paris(trail['raised_at'])} by {trail['raised_by']}",
        f"note: {trail['note'] if shown else WITHHELD}",
    ]
    if trail["acknowledged_by"]:
        lines.append(
            f"acknowledged {_paris(trail['acknowledged_at'])} by {trail['acknowledged_by']}"
        )
    lines += [
        f"follow-up by {f['by']}: {f['action'] if shown else WITHHELD}" for f in trail["follow_ups"]
    ]
    if trail.get("mailed"):
        lines.append(f"CCAS mailed {trail['mailed']}")
    if trail["outcome"]:
        lines.append(f"closed by {trail['closed_by']}: {trail['outcome']}")
    return lines
