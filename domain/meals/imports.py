"""Beneficiaries from a CSV file: every line checked first, then all recorded or none.

Error messages name the line and the column, never a personal value, so the
report can be shown and kept without exposing anyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.application import Maillage
from domain.errors import InvalidInputError, MaillageError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import (
    MAX_MEALS_PER_DAY,
    PERSONAL_FIELDS,
    REGIMES,
    TEXTURES,
    Beneficiary,
)
from domain.meals.municipality import Municipality

COLUMNS = (
    "file_number", "name", "address", "phone", "contact_person", "access_notes",
    "latitude", "longitude", "price_bracket", "regime", "texture", "allergens", "avoid",
    "pattern", "window_start", "window_end", "service_min", "start_date",
)  # fmt: skip
REQUIRED = ("file_number", "name", "latitude", "longitude", "price_bracket", "regime", "texture",
            "pattern")  # fmt: skip
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass
class ImportReport:
    """What an import did or would do; ``errors`` are ``(line, message)``."""

    read: int = 0
    recorded: int = 0
    already_registered: int = 0
    changes: list[tuple[str, list[str]]] = field(default_factory=list)
    """(file number, names of the fields that differ) of registered files the file changes."""
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_pattern(text: str) -> dict[int, int]:
    """``mon=1;wed=1;fri=2`` → {0: 1, 2: 1, 4: 2}."""
    pattern: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        day, _, meals = part.partition("=")
        if day not in WEEKDAYS or not meals.strip().isdigit():
            raise ValueError("a part of the pattern is not like mon=1")
        pattern[WEEKDAYS[day]] = int(meals)
    return pattern


def import_beneficiaries(
    app: Maillage, municipality: Municipality, text: str, dry_run: bool = False
) -> ImportReport:
    """Check every line of a CSV text, then record all its new beneficiaries and the changes to
    registered ones (as corrections: the earlier values stay in the log) in one transaction;
    ``dry_run`` lists what would change and records nothing."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as e:
        report.errors.append((1, f"the header cannot be read as CSV ({e})"))
        return report
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, f"missing columns: {', '.join(missing)}"))
        return report
    ready: list[Beneficiary] = []
    seen: dict[str, int] = {}
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:  # its message names the rule (NUL byte, field too long)
            report.errors.append((reader.line_num, f"the line cannot be read as CSV ({e})"))
            break
        line = reader.line_num
        report.read += 1
        try:
            built = _beneficiary(municipality, row, line, seen)
        except (MaillageError, ValueError) as e:
            report.errors.append((line, str(e)))
            continue
        if built is None:
            report.already_registered += 1
        elif _exists(app, built.id):
            report.already_registered += 1
            current = app.get(built.id, Beneficiary)
            changed = _corrections(current, built)
            if changed:
                report.changes.append((current.file_number, changed))
                ready.append(current)
        else:
            ready.append(built)
    if not report.errors and ready and not dry_run:
        app.save_batch(ready)
        report.recorded = len(ready) - len(report.changes)
    return report


def beneficiary_of_cells(municipality: Municipality, cells: dict[str, str]) -> Beneficiary:
    """One new beneficiary from the cells of an imported line (``COLUMNS``), checked by the same
    rules; an error names the column and the rule, never the value."""
    try:
        return _beneficiary(municipality, {c: cells.get(c) or "" for c in COLUMNS}, 1, {})
    except ValueError as e:  # a cell breaking a rule, empty required columns
        raise InvalidInputError(f"file {cells.get('file_number', '')}: {e}") from None


def _corrections(current: Beneficiary, built: Beneficiary) -> list[str]:
    """Apply to ``current`` what the file says differently (``built``); the changed fields."""
    if current.status not in ("pending", "active", "stopped") or current.personal.erased:
        return []
    changed = current.correct(
        personal=dict(built.personal.value),
        position=(built.home.value["lat"], built.home.value["lon"]),
        window=(built.window_start, built.window_end),
        service_time_s=built.service_time_s,
    )
    diet = built.diet.value if built.diet is not None else None
    if diet is not None and current.status != "stopped":
        now = current.diet.value if current.diet is not None and not current.diet.erased else None
        if now != diet:
            current.prescribe_diet(
                diet["regime"], diet["texture"], diet["allergens"], diet["avoid"]
            )
            changed.append("diet")
    if built.pattern and built.pattern != current.pattern and current.status != "stopped":
        current.set_weekly_pattern({int(d): m for d, m in built.pattern.items()})
        changed.append("pattern")
    return changed


def _exists(app: Maillage, aggregate_id: object) -> bool:
    return bool(app.recorder.select_events(aggregate_id, limit=1))  # type: ignore[arg-type]


class CellError(ValueError):
    """A cell breaks a rule: the message names the column and the rule, never the value."""


def _cell(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _number(row: dict[str, str], column: str, low: float, high: float) -> float:
    try:
        value = float(_cell(row, column).replace(",", "."))
    except ValueError:
        raise CellError(f"column {column} is not a number") from None
    if not low <= value <= high:
        raise CellError(f"column {column} is not between {low:g} and {high:g}")
    return value


def _one_of(row: dict[str, str], column: str, allowed: Sequence[str]) -> str:
    value = _cell(row, column)
    if value not in allowed:
        raise CellError(f"column {column} is not one of {', '.join(allowed)}")
    return value


def _hhmm(row: dict[str, str], column: str, default: str) -> str:
    value = _cell(row, column) or default
    if not (len(value) == 5 and value[2] == ":" and value[:2].isdigit() and value[3:].isdigit()
            and int(value[:2]) < 24 and int(value[3:]) < 60):  # fmt: skip
        raise CellError(f"column {column} is not a time like 09:30")
    return value


def _beneficiary(
    municipality: Municipality, row: dict[str, str], line: int, seen: dict[str, int]
) -> Beneficiary:
    """The line's beneficiary; every cell is checked here first, so that an error names
    the column and the rule it breaks, never what the cell holds (personal data)."""
    if None in row:
        raise ValueError("more cells than columns")
    empty = [c for c in REQUIRED if not _cell(row, c)]
    if empty:
        raise ValueError(f"empty required columns: {', '.join(empty)}")
    file_number = row["file_number"].strip()
    if file_number in seen:
        raise ValueError(f"file number {file_number} already on line {seen[file_number]}")
    seen[file_number] = line
    brackets = [b.name for b in municipality.contract.brackets]
    bracket = _one_of(row, "price_bracket", brackets)
    latitude = _number(row, "latitude", -90, 90)
    longitude = _number(row, "longitude", -180, 180)
    regime, texture = _one_of(row, "regime", REGIMES), _one_of(row, "texture", TEXTURES)
    window = (_hhmm(row, "window_start", "08:30"), _hhmm(row, "window_end", "12:30"))
    if window[0] >= window[1]:
        raise CellError("column window_start is not before window_end")
    service_s = int(_number(row, "service_min", 1, 60) * 60) if _cell(row, "service_min") else 300
    try:
        pattern = parse_pattern(row["pattern"])
        if not pattern or any(m not in range(MAX_MEALS_PER_DAY + 1) for m in pattern.values()):
            raise ValueError
    except ValueError:
        raise CellError(
            f"column pattern is not like mon=1;wed=1;fri=2 (days mon to sun, "
            f"0 to {MAX_MEALS_PER_DAY} meals)"
        ) from None
    first_day = None
    if _cell(row, "start_date"):
        try:
            first_day = date.fromisoformat(_cell(row, "start_date"))
        except ValueError:
            raise CellError("column start_date is not a date like 2026-03-02") from None
    beneficiary = Beneficiary.register(
        municipality.insee_code,
        file_number,
        municipality.id,
        {k: (row.get(k) or "") for k in PERSONAL_FIELDS},
        latitude,
        longitude,
        bracket,
        window=window,
        service_time_s=service_s,
    )
    beneficiary.prescribe_diet(
        regime,
        texture,
        (row.get("allergens") or "").split(";"),
        (row.get("avoid") or "").split(";"),
    )
    beneficiary.set_weekly_pattern(pattern)
    if first_day is not None:
        beneficiary.activate(first_day)
    assert beneficiary.id == beneficiary_id(municipality.insee_code, file_number)
    return beneficiary
