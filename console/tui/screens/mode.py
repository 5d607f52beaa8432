"""What every mode's screen shares: the header with store and role, the footer with bindings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class ModeScreen(Screen[None]):
    """A mode of the console; subclasses compose their body in ``compose_body``."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="✉")
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def console(self) -> MaillageApp:
        """The console app, typed (screens read the store and settings from it)."""
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app
