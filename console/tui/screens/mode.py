"""What every mode's screen shares: the header with store and role, the footer with bindings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent

from console.tui.widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class ModeScreen(Screen[None]):
    """A mode of the console; subclasses compose their body in ``compose_body``."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="✉")
        yield from self.compose_body()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    @on(events.ScreenResume)
    @on(TabbedContent.TabActivated)
    def focus_main(self) -> None:
        """The keys go to the main table of what is on show (the active tab's), so `/`, `s`
        and Enter work at once, without a Tab first."""
        tabs = self.query(TabbedContent)
        where = tabs.first().active_pane if tabs else self
        tables = where.query(VirtualTable) if where is not None else None
        if tables:
            tables.first().focus()

    @property
    def console(self) -> MaillageApp:
        """The console app, typed (screens read the store and settings from it)."""
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app
