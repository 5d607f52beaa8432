"""The national school directory's CSV export (annuaire de l'éducation) as establishments.

The export is ``;``-separated (``,`` is accepted too) with a header naming
columns such as ``identifiant_de_l_etablissement``, ``nom_etablissement``,
``type_etablissement``, ``adresse_1``, ``code_postal``, ``nom_commune``,
``latitude``, ``longitude``. A line whose UAI or position is wrong is set
aside with its line number; the others are registered, or updated when the
directory changed them, ``batch_size`` per transaction. Importing the same
export again records nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.application import Maillage
from domain.devices.establishment import Establishment
from domain.devices.loading import load_many
from domain.devices.manifest import BadLine
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, UserError
from domain.ids import establishment_id

COLUMNS = {
    "uai": "identifiant_de_l_etablissement",
    "name": "nom_etablissement",
    "kind": "type_etablissement",
    "address": "adresse_1",
    "postcode": "code_postal",
    "commune": "nom_commune",
    "latitude_deg": "latitude",
    "longitude_deg": "longitude",
}
"""Establishment field → the directory's column name."""
REQUIRED = ("uai", "name", "kind")


@dataclass
class DirectoryReport:
    """What a directory import did."""

    read: int = 0
    registered: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[BadLine] = field(default_factory=list)


@dataclass(frozen=True)
class DirectoryLayout:
    """The export's delimiter and where each field is."""

    delimiter: str
    positions: dict[str, int]


def directory_layout(header: str) -> DirectoryLayout:
    """Read the header line: which delimiter, which column holds which field."""
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    names = [
        n.strip().lower().lstrip("\ufeff") for n in next(csv.reader([header], delimiter=delimiter))
    ]
    positions = {key: names.index(column) for key, column in COLUMNS.items() if column in names}
    missing = [COLUMNS[k] for k in REQUIRED if k not in positions]
    if missing:
        raise InvalidInputError(f"the directory's header lacks the column(s) {', '.join(missing)}")
    return DirectoryLayout(delimiter, positions)


def _coordinate(text: str, low: float, high: float, what: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InvalidInputError(f"{what} {text!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidInputError(f"{what} {value} is out of range")
    return value


def parse_school(text: str, layout: DirectoryLayout) -> dict[str, object]:
    """One directory line as an establishment's fields (UAI checked with its letter)."""
    values = next(csv.reader([text], delimiter=layout.delimiter), [])

    def cell(key: str) -> str:
        i = layout.positions.get(key)
        return values[i].strip() if i is not None and i < len(values) else ""

    if len(values) <= max(layout.positions[k] for k in REQUIRED):
        raise InvalidInputError(f"{len(values)} columns: the line is cut short")
    if not cell("name"):
        raise InvalidInputError("the school has no name")
    return {
        "uai": normalise_uai(cell("uai")),
        "name": cell("name"),
        "kind": cell("kind"),
        "address": cell("address"),
        "postcode": cell("postcode"),
        "commune": cell("commune"),
        "latitude_deg": _coordinate(cell("latitude_deg"), -90, 90, "latitude"),
        "longitude_deg": _coordinate(cell("longitude_deg"), -180, 180, "longitude"),
    }


def import_directory(
    app: Maillage,
    lines: Iterable[tuple[int, bytes]],
    layout: DirectoryLayout,
    batch_size: int = 2000,
) -> DirectoryReport:
    """Register or update the schools of ``lines`` — (line number, bytes) after the header."""
    report = DirectoryReport()
    seen: dict[str, int] = {}
    batch: list[dict[str, object]] = []
    for number, raw in lines:
        if not raw.strip():
            continue
        report.read += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            shown = raw.decode("utf-8", "replace")[:200]
            report.bad.append(BadLine(number, "", f"not UTF-8 text (byte {e.start + 1})", shown))
            continue
        try:
            school = parse_school(text, layout)
        except UserError as e:
            report.bad.append(BadLine(number, "", str(e), text[:200]))
            continue
        uai = str(school["uai"])
        first = seen.setdefault(uai, number)
        if first != number:
            report.bad.append(
                BadLine(number, uai, f"UAI {uai} is already on line {first}", text[:200])
            )
            continue
        batch.append(school)
        if len(batch) >= batch_size:
            _record(app, batch, report)
            batch = []
    _record(app, batch, report)
    return report


def _record(app: Maillage, schools: list[dict[str, object]], report: DirectoryReport) -> None:
    """Register the new schools and update the changed ones, in one transaction."""
    if not schools:
        return
    known = load_many(app, [establishment_id(str(s["uai"])) for s in schools], Establishment)
    changed: list[Establishment] = []
    for s in schools:
        current = known.get(establishment_id(str(s["uai"])))
        if current is None:
            changed.append(Establishment.register(**s))  # type: ignore[arg-type]
            report.registered += 1
            continue
        before = current.version
        details = {k: v for k, v in s.items() if k != "uai"}
        current.update_details(**details)  # type: ignore[arg-type]
        if current.version != before:
            changed.append(current)
            report.updated += 1
        else:
            report.unchanged += 1
    app.save_batch(changed)
