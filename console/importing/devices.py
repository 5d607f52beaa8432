"""Manifests and the school directory read from their files: numbered lines to the device
domain, progress in bytes, lines set aside written to a bad-lines report beside the file."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from domain.application import Maillage
from domain.devices.directory import DirectoryReport, directory_layout, import_directory
from domain.devices.manifest import (
    BadLine,
    ManifestFormat,
    ManifestReport,
    csv_columns,
    import_manifest,
)
from domain.errors import InvalidInputError
from domain.meals.billing import spreadsheet_safe

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes in the file)."""

EVERY_LINES = 20_000
"""How many lines pass between two progress calls."""


def manifest_format(path: Path, given: str | None = None) -> ManifestFormat:
    """The manifest's format: as given, else from the file name (.jsonl/.ndjson → jsonl)."""
    if given:
        return "jsonl" if given == "jsonl" else "csv"
    return "jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv"


def import_manifest_file(
    app: Maillage,
    path: Path,
    fmt: ManifestFormat,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> ManifestReport:
    """Announce every device of a manifest file; bad lines are set aside, the others recorded."""
    if batch_size < 1:
        raise InvalidInputError("--batch-size must be at least 1")
    with _open(path) as f:
        columns, first = None, 1
        if fmt == "csv":
            columns, first = csv_columns(f.readline()), 2
        return import_manifest(
            app, _lines(f, path, first, progress), fmt, columns, batch_size=batch_size
        )


def import_schools_file(
    app: Maillage, path: Path, progress: Progress | None = None
) -> DirectoryReport:
    """Register or update the schools of a directory export (its header names the columns)."""
    with _open(path) as f:
        try:
            header = f.readline().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{path}: the header is not UTF-8 text") from None
        return import_directory(app, _lines(f, path, 2, progress), directory_layout(header))


def bad_lines_report(path: Path, given: Path | None = None) -> Path:
    """Where the lines set aside from ``path`` are listed (``FILE.bad-lines.csv``)."""
    return given or path.with_name(path.name + ".bad-lines.csv")


def write_bad_lines(path: Path, bad: list[BadLine]) -> None:
    """Bad lines as CSV — line, serial, problem, the line — safe to open in a spreadsheet."""
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(("line", "serial", "problem", "text"))
            for b in bad:
                writer.writerow(
                    (b.line, spreadsheet_safe(b.serial), spreadsheet_safe(b.problem),
                     spreadsheet_safe(b.text))
                )  # fmt: skip
    except OSError as e:
        raise InvalidInputError(f"cannot write the bad-lines report {path}: {e.strerror}") from None


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror}") from None


def _lines(
    f: IO[bytes], path: Path, first: int, progress: Progress | None
) -> Iterator[tuple[int, bytes]]:
    """Numbered lines without their line ending, reporting progress every ``EVERY_LINES``."""
    total = path.stat().st_size
    done = f.tell()
    for number, raw in enumerate(f, first):
        done += len(raw)
        if progress is not None and number % EVERY_LINES == 0:
            progress(done, total)
        yield number, raw.rstrip(b"\r\n")
    if progress is not None:
        progress(done, total)
