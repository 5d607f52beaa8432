"""Reference sections of known IRI from a CSV file (``from_m,to_m,iri_m_per_km`` and, for a
session map-matched on a road network, ``osm_way``): what ``sessions calibrate`` fits on."""

from __future__ import annotations

import csv
from pathlib import Path

from domain.errors import InvalidInputError
from domain.sensing.calibration import Reference


def read_references(path: Path) -> list[Reference]:
    """Reference sections from CSV; a bad row is named by its line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror or e}") from None
    rows = csv.DictReader(text.splitlines())
    missing = {"from_m", "to_m", "iri_m_per_km"} - set(rows.fieldnames or ())
    if missing:
        raise InvalidInputError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            ref = Reference(
                float(row["from_m"]),
                float(row["to_m"]),
                float(row["iri_m_per_km"]),
                int(row["osm_way"]) if row.get("osm_way") else None,
            )
        except ValueError:
            raise InvalidInputError(f"{path.name} line {line}: not a number") from None
        if not ref.to_m > ref.from_m or ref.iri_m_per_km < 0:
            raise InvalidInputError(f"{path.name} line {line}: to_m ≤ from_m or negative IRI")
        out.append(ref)
    return out
