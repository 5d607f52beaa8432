"""The command palette's own provider: every everyday action, for the screen on show.

Each screen may offer actions of what it shows (``palette_commands``: a round's load,
probe, outcome…); the app adds the actions that start from anywhere (plan a round,
import a file, a statement…). What a role may not do is not offered: the auditor sees
only reading commands, a ccas user only the commands marked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from console.roles import may_run

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


@dataclass(frozen=True)
class PaletteCommand:
    """One entry of the palette: its name, what it does (the CLI command it matches), and
    whether it records events (refused to read-only roles), is for the ccas role too, or for
    an administrator only."""

    name: str
    help: str
    run: Callable[[], object]
    writes: bool = True
    for_ccas: bool = False
    for_admin: bool = False


class OffersCommands(Protocol):
    """A screen whose palette offers actions on what it shows."""

    def palette_commands(self) -> Iterable[PaletteCommand]: ...


def area_commands(
    app: MaillageApp, area: str, entries: Iterable[tuple[str, str, Callable[[MaillageApp], object]]]
) -> list[PaletteCommand]:
    """An area's palette entries ("Devices: seal a shipment"), each (name, help, action)."""
    return [
        PaletteCommand(f"{area}: {name}", text, partial(run, app)) for name, text, run in entries
    ]


def offered(app: MaillageApp, commands: Iterable[PaletteCommand]) -> list[PaletteCommand]:
    """The commands the signed-in role may run."""
    return [c for c in commands if may_run(app.settings, c.writes, c.for_ccas, c.for_admin)]


class ConsoleCommands(Provider):
    """Actions of the screen on show first, then the console's everyday actions."""

    def _commands(self) -> list[PaletteCommand]:
        from console.tui.actions import everyday_commands
        from console.tui.app import MaillageApp

        app = self.app
        assert isinstance(app, MaillageApp)
        here = getattr(self.screen, "palette_commands", None)
        screen_commands = list(here()) if here is not None else []
        return offered(app, [*screen_commands, *everyday_commands(app)])

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)


def binding_commands(
    screen: Screen[object],
    helps: dict[str, str | tuple[str, str]],
    prefix: str,
    for_ccas: bool = False,
) -> Iterable[PaletteCommand]:
    """A screen's key actions as palette entries ("Round: load boxes"), those it allows now;
    ``helps`` says what each does, with a longer name than its key's when it has one."""
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding) or binding.action not in helps:
            continue
        if screen.check_action(binding.action, ()):
            said = helps[binding.action]
            name, text = said if isinstance(said, tuple) else (binding.description.lower(), said)
            yield PaletteCommand(
                f"{prefix}: {name}",
                f"{text} (key {binding.key_display or binding.key})",
                partial(screen.run_action, binding.action),
                for_ccas=for_ccas,
            )
