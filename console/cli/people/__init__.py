"""``maillage people …``: who may work on the store — grant and revoke roles (an administrator),
list the people and what they hold."""

from __future__ import annotations

from console.cli.people import grants, listing
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``people`` and its actions."""
    people = level.group("people", "who may work on the store: grant, revoke, list roles")
    for part in (grants, listing):
        part.register(people)
