"""A modal that reads a text from the store in a thread and shows it; Escape closes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Label, Static

from console.tui.screens.dialog import DialogScreen
from domain.errors import MaillageError

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class ReadingScreen(DialogScreen[None]):
    """Subclasses give a ``heading`` and ``read()``, which runs off the screen's thread."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="reading.close"),
    ]
    heading = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="reading-box"):
            yield Label(f"[b]{escape(self.heading)}[/b]")
            yield Static("reading…", classes="reading-body", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrows and page keys scroll a long text
        self._load()

    def reload(self) -> None:
        """Read the text again (after something was recorded on what it shows)."""
        self._load()

    @property
    def console(self) -> MaillageApp:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app

    def may_record(self) -> bool | None:
        """Whether the role may record from here: shown but disabled (None) if not."""
        settings = self.console.settings
        return None if settings.read_only or settings.role == "ccas" else True

    @property
    def body_text(self) -> str:
        """What the screen shows (for people and tests)."""
        return str(self.query_one(".reading-body", Static).render())

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        try:
            text = self.read(self.app)
        except MaillageError as e:
            text = str(e)
        self.app.call_from_thread(self.query_one(".reading-body", Static).update, text)

    def read(self, app: MaillageApp) -> str:
        """Compose the text to show (runs in a worker thread)."""
        raise NotImplementedError
