"""What an audit report is: a title, what it is of, where in the log it was made, tables.

A report is plain data so that one renderer (``render``) turns every report
into Markdown, HTML or CSV the same way. Cells keep their type (numbers stay
numbers, times stay aware datetimes, amounts stay cents) and the renderer
formats them for people or for spreadsheets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from domain.audit.chain import GENESIS
from domain.errors import InvalidInputError


@dataclass(frozen=True)
class Euros:
    """An amount in euro cents (shown ``12,50 €`` to people, ``12.50`` in CSV)."""

    cents: int


Cell = str | int | float | datetime | Euros | None
"""One value of a table: text, a number, an aware time, an amount, or nothing."""

NOT_SHOWN: Final = "(erased)"
"""What stands for the reference of a beneficiary whose personal data was erased."""


@dataclass(frozen=True)
class Stated:
    """Where in the log a report was made from, and when and by whom it was made."""

    position: int
    """The log position (notification id) the report reads up to, included."""
    head: str
    """The audit chain's link at ``position``, hex (the genesis link on an empty store)."""
    store_id: str | None
    """The chain's store id (``audit_chain_info``), so a checker knows it has the right store."""
    made_at: datetime
    """When the report was made (aware, UTC); open delays and days due are counted to it."""
    made_by: str
    role: str

    @property
    def empty_log(self) -> bool:
        return self.position == 0 and self.head == GENESIS.hex()

    def check_hint(self) -> str:
        """How anyone can check later that the store still holds what the report read."""
        return (
            f"To check this report: 'maillage audit verify' on the store must find the chain "
            f"intact through position {self.position}, and the link stored at position "
            f"{self.position} must be {self.head}."
        )


@dataclass(frozen=True)
class Section:
    """One table of a report: a title, column names (snake_case) and rows of cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(tuple(r) for r in self.rows))
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"section {self.title!r}: a row has {len(row)} cells")


@dataclass(frozen=True)
class Report:
    """A whole report: what it is of, where it was made from, its figures and its tables."""

    kind: str
    """The report's name on the command line, e.g. ``service-fait``."""
    title: str
    subject: tuple[tuple[str, str], ...]
    """What the report is of, e.g. ``(("municipality", "37261 Tours"), ("month", "2026-03"))``."""
    stated: Stated
    summary: tuple[tuple[str, Cell], ...]
    """Key figures, e.g. ``(("meals_delivered", 412),)`` (snake_case names)."""
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default=())

    def section(self, title: str) -> Section:
        """The section with this title (tests and callers read figures back)."""
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)

    def figure(self, name: str) -> Cell:
        """The summary figure with this name."""
        return dict(self.summary)[name]


def check_month(text: str) -> str:
    """A month ``YYYY-MM`` (2000–2100), or ``InvalidInputError`` naming the value."""
    value = text.strip()
    try:
        year, month = (int(x) for x in value.split("-"))
        if len(value) != 7 or not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise InvalidInputError(f"month {text!r} is not a month like 2026-03") from None
    return value
