"""The console's everyday actions, one module per area, each a palette command.

Every action asks what it needs in a form, runs the area's service in a thread worker
(``console.tui.writes``) and says what was recorded or why nothing was. Screens bind
keys to the same functions, so a key and a palette entry do one thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.tui.app import MaillageApp
    from console.tui.palette import PaletteCommand


def everyday_commands(app: MaillageApp) -> list[PaletteCommand]:
    """The actions that start from anywhere in the console, by area."""
    from console.tui.actions import (
        audit,
        devices,
        meals,
        meals_files,
        people,
        sessions,
        territory,
    )

    return [
        *meals.commands(app),
        *meals_files.commands(app),
        *devices.commands(app),
        *sessions.commands(app),
        *audit.commands(app),
        *territory.commands(app),
        *people.commands(app),
    ]
