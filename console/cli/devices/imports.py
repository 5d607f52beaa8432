"""``maillage devices import manifest|schools``: big files in, bad lines reported, progress shown.

The files are read here (the domain receives lines, never paths). Lines set
aside are written to a report file — line number, serial, problem, the line —
while the good lines are recorded; the command then exits with status 2 and
says where the report is, so a script notices.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from console.cli.output import (
    progress_bar,
)
from console.cli.tree import Level
from console.importing.devices import (
    Progress,
    bad_lines_report,
    import_manifest_file,
    import_schools_file,
    manifest_format,
    write_bad_lines,
)
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.devices.manifest import BadLine
from domain.errors import MaillageError


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
def _progress(path: Path, what: str) -> Iterator[Progress]:
    """A progress bar in bytes read, kept on the terminal once done."""
    with progress_bar(in_bytes=True, transient=False) as bar:
        task = bar.add_task(f"{what} {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


class BadLinesError(MaillageError):
    """Some lines were set aside (the others are recorded): exit 2 so scripts notice."""

    exit_code = 2


def _finish(
    args: argparse.Namespace, summary: dict[str, Any], bad: list[BadLine], text: str
) -> int:
    report = bad_lines_report(args.file, args.report)
    if bad:
        write_bad_lines(report, bad)
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
    fmt = manifest_format(args.file, args.format)
    app = open_store(settings)
    with _progress(args.file, "manifest") as progress:
        report = import_manifest_file(app, args.file, fmt, args.batch_size, progress)
    summary = {
        "file": str(args.file),
        "read": report.read,
        "announced": report.announced,
        "already_announced": report.already_announced,
        "over_order": report.over_order,
        "bad_lines": len(report.bad),
    }
    return _finish(args, summary, report.bad, report.summary)


@mutating
def cmd_import_schools(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    with _progress(args.file, "schools") as progress:
        report = import_schools_file(app, args.file, progress)
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
