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
from domain.errors import MaillageError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import Beneficiary
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
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_pattern(text: str) -> dict[int, int]:
    """``mon=1;wed=1;fri=2`` → {0: 1, 2: 1, 4: 2}."""
    pattern: dict[int, int] = {}
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        day, _, meals = part.partition("=")
        if day not in WEEKDAYS or not meals.strip().isdigit():
            raise ValueError(f"pattern part {part!r} is not like mon=1")
        pattern[WEEKDAYS[day]] = int(meals)
    return pattern


def import_beneficiaries(app: Maillage, municipality: Municipality, text: str) -> ImportReport:
    """Check every line of a CSV text, then record all its new beneficiaries in one transaction."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"missing columns: {', '.join(missing)}"))
        return report
    ready: list[Beneficiary] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        report.read += 1
        try:
            built = _beneficiary(municipality, row, line, seen)
        except (MaillageError, ValueError) as e:
            report.errors.append((line, str(e)))
            continue
        if built is None or _exists(app, built.id):
            report.already_registered += 1
        else:
            ready.append(built)
    if not report.errors and ready:
        app.save_batch(ready)
        report.recorded = len(ready)
    return report


def _exists(app: Maillage, aggregate_id: object) -> bool:
    return bool(app.recorder.select_events(aggregate_id, limit=1))  # type: ignore[arg-type]


def _number(row: dict[str, str], column: str) -> float:
    try:
        return float((row.get(column) or "").replace(",", "."))
    except ValueError:
        raise ValueError(f"column {column} is not a number") from None


def _beneficiary(
    municipality: Municipality, row: dict[str, str], line: int, seen: dict[str, int]
) -> Beneficiary:
    if None in row:
        raise ValueError("more cells than columns")
    empty = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if empty:
        raise ValueError(f"empty required columns: {', '.join(empty)}")
    file_number = row["file_number"].strip()
    if file_number in seen:
        raise ValueError(f"file number {file_number} already on line {seen[file_number]}")
    seen[file_number] = line
    municipality.contract.bracket(row["price_bracket"].strip())
    beneficiary = Beneficiary.register(
        municipality.insee_code,
        file_number,
        municipality.id,
        {
            k: (row.get(k) or "")
            for k in ("name", "address", "phone", "contact_person", "access_notes")
        },
        _number(row, "latitude"),
        _number(row, "longitude"),
        row["price_bracket"].strip(),
        window=(
            (row.get("window_start") or "08:30").strip(),
            (row.get("window_end") or "12:30").strip(),
        ),
        service_time_s=int(_number(row, "service_min") * 60)
        if (row.get("service_min") or "").strip()
        else 300,
    )
    beneficiary.prescribe_diet(
        row["regime"].strip(),
        row["texture"].strip(),
        (row.get("allergens") or "").split(";"),
        (row.get("avoid") or "").split(";"),
    )
    beneficiary.set_weekly_pattern(parse_pattern(row["pattern"]))
    start = (row.get("start_date") or "").strip()
    if start:
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise ValueError(f"start_date {start!r} is not a date like 2026-03-02") from None
        beneficiary.activate(first_day)
    assert beneficiary.id == beneficiary_id(municipality.insee_code, file_number)
    return beneficiary


def sample_rows() -> Sequence[str]:
    """The header line, for users who need a template."""
    return [",".join(COLUMNS)]
