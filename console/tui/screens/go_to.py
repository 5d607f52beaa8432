"""The audit's "go to" dialog: a log position or a date (Paris time unless an offset is given)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.tui.screens.dialog import DialogScreen


class GoToScreen(DialogScreen[str | None]):
    """Asks for a log position or a date; Enter goes there, Escape stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="audit.go_to.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="reading-box audit-go-to"):
            yield Label("[b]Go to[/b]")
            yield Static(
                "A log position (12345), or a date in Paris time:\n"
                "YYYY-MM-DD (the end of that day) or YYYY-MM-DD HH:MM.\n"
                "Enter goes there, Escape stays.",
                classes="form-hint",
                markup=False,
            )
            yield Input(placeholder="position or date", id="go-to-input", compact=True)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
