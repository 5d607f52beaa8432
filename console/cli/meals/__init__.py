"""``maillage meals …``: meal rounds — municipalities, beneficiaries, rounds, orders, alerts and
the monthly statement, one module per group of commands."""

from __future__ import annotations

from console.cli.meals import alerts, beneficiaries, day, municipality, orders, rounds, statement
from console.cli.tree import Level


def register(level: Level) -> None:
    """Register ``meals`` and its areas."""
    meals = level.group("meals", "meal rounds: municipalities, beneficiaries", metavar="AREA")
    for area in (municipality, beneficiaries, rounds, day, orders, alerts, statement):
        area.register(meals)
