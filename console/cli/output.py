"""How every command prints: its result as text or as JSON (``--json``), warnings on one line,
and progress bars on stderr only when it is a terminal (nothing in scripts and CI logs)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

stdout = Console()
stderr = Console(stderr=True)


def print_result(args: argparse.Namespace, data: Any, text: str) -> None:
    """The command's result: ``data`` as JSON with ``--json``, else ``text`` for people."""
    if getattr(args, "json", False):
        print(as_json(data))
    else:
        print(text)


def as_json(data: Any) -> str:
    """JSON for scripts: indented, UTF-8 left readable, dates and ids as strings."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def warn(text: str) -> None:
    """A warning line on stderr: the command goes on."""
    print(f"maillage: warning: {text}", file=sys.stderr)


def error_line(text: str) -> None:
    """An error line on stderr (the caller returns the exit status)."""
    print(f"maillage: error: {text}", file=sys.stderr)


def progress_bar(*, in_bytes: bool = False, transient: bool = True) -> Progress:
    """A progress bar on stderr, counting items (or bytes with ``in_bytes``), drawn only on a
    terminal; each task's description says what is being done."""
    # The description names a file or a thing people typed: plain text, never markup.
    description = TextColumn("{task.description}", style="bold", markup=False)
    columns: list[str | ProgressColumn] = [description, BarColumn()]
    if in_bytes:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    else:
        columns.append(MofNCompleteColumn())
    columns.append(TimeRemainingColumn())
    return Progress(*columns, console=stderr, transient=transient, disable=not stderr.is_terminal)
