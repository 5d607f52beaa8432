"""A small modal form: a few choices and typed fields, checked before it returns its values.

Screens that record something ask for the details with it; the domain still
checks every rule when the command runs, so the form only catches what can
be seen from the values alone (empty, not a number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select


@dataclass(frozen=True)
class Choice:
    """Pick one of ``options`` (the first is preselected)."""

    name: str
    label: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """Type a value; ``number`` fields must parse as a decimal number."""

    name: str
    label: str
    required: bool = False
    number: bool = False
    value: str = ""


FormValues = dict[str, str | float | None]


class FormScreen(ModalScreen[FormValues | None]):
    """Asks for ``fields``; Enter in a field records, Escape cancels (returns None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Record", id="form.submit"),
    ]

    def __init__(self, title: str, fields: list[Choice | Field]) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="reading-box form-box"):
            yield Label(f"[b]{self.title_text}[/b]")
            for f in self.fields:
                yield Label(f.label, classes="form-label")
                if isinstance(f, Choice):
                    yield Select(
                        [(o.replace("_", " "), o) for o in f.options],
                        value=f.options[0],
                        allow_blank=False,
                        id=f"form-{f.name}",
                    )
                else:
                    yield Input(value=f.value, id=f"form-{f.name}")
            yield Label("Enter records · Escape cancels", id="form-error", classes="form-hint")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _entered(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        values: FormValues = {}
        for f in self.fields:
            if isinstance(f, Choice):
                values[f.name] = str(self.query_one(f"#form-{f.name}", Select).value)
                continue
            text = self.query_one(f"#form-{f.name}", Input).value.strip()
            if f.required and not text:
                return self._problem(f"{f.label} is needed")
            if f.number and text:
                try:
                    values[f.name] = float(text.replace(",", "."))
                except ValueError:
                    return self._problem(f"{f.label}: {text!r} is not a number")
            else:
                values[f.name] = text or None
        self.dismiss(values)

    def _problem(self, message: str) -> None:
        label = self.query_one("#form-error", Label)
        label.update(f"[b]{message}[/b]")
        label.add_class("form-problem")
