"""A small modal form: a few choices and typed fields, checked before it returns its values.

Screens that record something ask for the details with it; the domain still
checks every rule when the command runs, so the form only catches what can
be seen from the values alone (empty, not a number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Label, Select

from console.tui.screens.dialog import DialogScreen
from domain.clock import PARIS


@dataclass(frozen=True)
class Choice:
    """Pick one of ``options``: ``value`` is preselected when it is one, else the first."""

    name: str
    label: str
    options: tuple[str, ...]
    value: str = ""

    @property
    def preselected(self) -> str:
        return self.value if self.value in self.options else self.options[0]


@dataclass(frozen=True)
class Field:
    """Type a value; ``number`` fields must parse as a decimal number, ``day`` fields as
    ``YYYY-MM-DD`` (a date), ``month`` fields as ``YYYY-MM``, ``moment`` fields as an ISO
    time (Paris time unless a zone is given); ``password`` fields show dots, kept as typed."""

    name: str
    label: str
    required: bool = False
    number: bool = False
    value: str = ""
    kind: str = "text"


FormValues = dict[str, Any]


def parsed(f: Field, text: str) -> object:
    """The typed value of a field's text; ValueError says what is wrong with it."""
    if f.number or f.kind == "number":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"{f.label}: {text!r} is not a number") from None
    if f.kind == "day":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{f.label}: {text!r} is not a date like 2026-03-02") from None
    if f.kind == "moment":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{f.label}: {text!r} is not a time like 2026-03-23 09:00") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)
    if f.kind == "month":
        year, _, number = text.partition("-")
        if not (len(text) == 7 and year.isdigit() and number.isdigit() and 1 <= int(number) <= 12):
            raise ValueError(f"{f.label}: {text!r} is not a month like 2026-03")
    return text


class FormScreen(DialogScreen[FormValues | None]):
    """Asks for ``fields``; Enter in a field (or ctrl+s) records, Escape cancels (returns None).

    The form scrolls when it is taller than the screen; its keys show in the footer.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Record", id="form.submit"),
    ]

    def __init__(self, title: str, fields: list[Choice | Field]) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="reading-box form-box"):
            yield Label(f"[b]{escape(self.title_text)}[/b]")
            for f in self.fields:
                yield Label(f.label, classes="form-label", markup=False)
                if isinstance(f, Choice):
                    yield Select(
                        [(Text(o.replace("_", " ")), o) for o in f.options],
                        value=f.preselected,
                        allow_blank=False,
                        id=f"form-{f.name}",
                    )
                else:
                    yield Input(value=f.value, id=f"form-{f.name}", password=f.kind == "password")
            yield Label(
                "Enter records · Escape cancels · F1 keys", id="form-error", classes="form-hint"
            )
        yield Footer(compact=True)

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
            typed = self.query_one(f"#form-{f.name}", Input).value
            text = typed if f.kind == "password" else typed.strip()  # a password is as typed
            if f.required and not text:
                return self._problem(f"{f.label} is needed")
            try:
                values[f.name] = parsed(f, text) if text else None
            except ValueError as e:
                return self._problem(str(e))
        self.dismiss(values)

    def _problem(self, message: str) -> None:
        label = self.query_one("#form-error", Label)
        label.update(f"[b]{escape(message)}[/b]")
        label.add_class("form-problem")
