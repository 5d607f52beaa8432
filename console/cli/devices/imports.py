"""``maillage devices import manifest|schools``: big files in, bad lines reported, progress shown.

The files are read here (the domain receives lines, never paths). Lines set
aside are written to a report file — line number, serial, problem, the line —
while the good lines are recorded; the command then exits with status 2 and
says where the report is, so a script notices.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rich.progress import (
    Progress,
    TaskID,
)

from console.cli.output import (
    progress_bar,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.devices.directory import directory_layout, import_directory
from domain.devices.manifest import BadLine, ManifestFormat, csv_columns, import_manifest
from domain.errors import InvalidInputError, MaillageError
from domain.meals.billing import spreadsheet_safe


def register(level: Level) -> None:
    """Register ``devices import manifest`` and ``devices import schools``."""
    cmds = level.group("import", "manifests and the school directory", metavar="WHAT")
    manifest = cmds.command(
        "manifest",
        cmd_import_manifest,
        "a manufacturer's manifest (CSV or JSON lines): serial, model, kind, order_reference",
        json=True,
    )
    manifest.add_argument("file", type=Path)
    manifest.add_argument(
        "--format", choices=("csv", "jsonl"), help="default: from the file name (.jsonl → jsonl)"
    )
    manifest.add_argument(
        "--report", type=Path, help="where to list bad lines (FILE.bad-lines.csv)"
    )
    manifest.add_argument("--batch-size", type=int, default=5000, help="lines per transaction")
    schools = cmds.command(
        "schools", cmd_import_schools, "the national school directory's CSV export", json=True
    )
    schools.add_argument("file", type=Path)
    schools.add_argument("--report", type=Path, help="where to list bad lines (FILE.bad-lines.csv)")


@contextmanager
def _progress(total_bytes: int, what: str) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar in bytes read, kept on the terminal once done."""
    with progress_bar(in_bytes=True, transient=False) as progress:
        yield progress, progress.add_task(what, total=total_bytes)


class BadLinesError(MaillageError):
    """Some lines were set aside (the others are recorded): exit 2 so scripts notice."""

    exit_code = 2


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror}") from None


def _lines(
    f: IO[bytes], progress: Progress, task: TaskID, first: int
) -> Iterator[tuple[int, bytes]]:
    """Numbered lines without their line ending, advancing the bar every 20,000 lines."""
    pending = 0
    for number, raw in enumerate(f, first):
        pending += len(raw)
        if number % 20_000 == 0:
            progress.advance(task, pending)
            pending = 0
        yield number, raw.rstrip(b"\r\n")
    progress.advance(task, pending)


def _write_report(path: Path, bad: list[BadLine]) -> None:
    """Bad lines as CSV, safe to open in a spreadsheet."""
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


def _finish(
    args: argparse.Namespace, summary: dict[str, Any], bad: list[BadLine], text: str
) -> int:
    report = args.report or args.file.with_name(args.file.name + ".bad-lines.csv")
    if bad:
        _write_report(report, bad)
        summary["report"] = str(report)
    print(json.dumps(summary, indent=2) if args.json else text)
    if bad:
        shown = "; ".join(f"line {b.line}: {b.problem}" for b in bad[:3])
        raise BadLinesError(
            f"{len(bad)} bad lines in {args.file} set aside, listed in {report} ({shown}"
            + (", …)" if len(bad) > 3 else ")")
        )
    return 0


@mutating
def cmd_import_manifest(args: argparse.Namespace, settings: Settings) -> int:
    fmt: ManifestFormat = args.format or (
        "jsonl" if args.file.suffix in (".jsonl", ".ndjson") else "csv"
    )
    if args.batch_size < 1:
        raise InvalidInputError("--batch-size must be at least 1")
    app = open_store(settings)
    with _open(args.file) as f:
        total = args.file.stat().st_size
        columns = None
        first = 1
        if fmt == "csv":
            columns = csv_columns(f.readline())
            first = 2
        with _progress(total, f"manifest {args.file.name}") as (progress, task):
            report = import_manifest(
                app, _lines(f, progress, task, first), fmt, columns, batch_size=args.batch_size
            )
    summary = {
        "file": str(args.file),
        "read": report.read,
        "announced": report.announced,
        "already_announced": report.already_announced,
        "bad_lines": len(report.bad),
    }
    text = (
        f"{report.read:,} lines read: {report.announced:,} devices announced, "
        f"{report.already_announced:,} already announced, {len(report.bad):,} set aside"
    )
    return _finish(args, summary, report.bad, text)


@mutating
def cmd_import_schools(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    with _open(args.file) as f:
        try:
            header = f.readline().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{args.file}: the header is not UTF-8 text") from None
        layout = directory_layout(header)
        with _progress(args.file.stat().st_size, f"schools {args.file.name}") as (progress, task):
            report = import_directory(app, _lines(f, progress, task, 2), layout)
    summary = {
        "file": str(args.file),
        "read": report.read,
        "registered": report.registered,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "bad_lines": len(report.bad),
    }
    text = (
        f"{report.read:,} schools read: {report.registered:,} registered, {report.updated:,} "
        f"updated, {report.unchanged:,} unchanged, {len(report.bad):,} set aside"
    )
    return _finish(args, summary, report.bad, text)
