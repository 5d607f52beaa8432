"""The store's backend, location, size and the views' positions (``maillage store info``)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from domain.summary import summarise


class StoreInfoScreen(ModalScreen[None]):
    """A summary of the event store; Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="store_info.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="store-info-box"):
            yield Label("[b]Event store[/b]")
            yield Static("reading…", id="store-info-body")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        from console.app import MaillageApp

        app = self.app
        assert isinstance(app, MaillageApp)
        rows = summarise(app.store).rows()
        width = max(len(label) for label, _ in rows) + 2
        text = "\n".join(f"{label:<{width}}{value}" for label, value in rows)
        self.app.call_from_thread(self.query_one("#store-info-body", Static).update, text)
