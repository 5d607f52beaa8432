"""``maillage people …``: who may work on the store — grant and revoke roles (an administrator),
list the people and what they hold; set the web password a person signs in to ``maillage
serve`` with."""

from __future__ import annotations

from console.cli.people import grants, listing, password
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``people`` and its actions."""
    people = level.group(
        "people", "who may work on the store: grant, revoke, list roles; web passwords"
    )
    for part in (grants, listing, password):
        part.register(people)
