"""A small modal asking before something that cannot be undone is recorded."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label

from console.tui.screens.dialog import DialogScreen


class ConfirmScreen(DialogScreen[bool]):
    """Says what will happen; `y` goes ahead, `n` or Escape keeps things as they are."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes, do it", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="reading-box confirm-box"):
            yield Label("[b]Are you sure?[/b]")
            yield Label(self.question, id="confirm-question", markup=False)
            yield Label(
                "This cannot be undone: y to go ahead, n to keep things as they are.",
                classes="form-hint",
            )
        yield Footer(compact=True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
