"""What every dialog shares: the app's help and command palette keys, which a modal
screen would otherwise stop (Textual ends the key chain at the last modal)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

Result = TypeVar("Result")


class DialogScreen(ModalScreen[Result]):
    """A modal screen where `?` (or F1) shows its keys and ctrl+p opens the palette."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "app.toggle_help", "Help", id="dialog.help"),
        Binding("ctrl+p", "app.command_palette", "Commands", show=False, id="dialog.commands"),
    ]
