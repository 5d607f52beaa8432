"""``maillage meals statement``: a municipality's monthly statement (service fait)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.cli.args import (
    month,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import for_ccas, scoped
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.meals import service as meals
from domain.meals.billing import (
    STATEMENT_FORMATS,
    render_statement,
)


def register(level: Level) -> None:
    """Register ``meals statement``."""
    statement = level.command(
        "statement", cmd_statement, "a municipality's monthly statement (service fait)"
    )
    statement.add_argument(
        "--municipality", metavar="INSEE", help="required unless the user has a --scope"
    )
    statement.add_argument("--month", required=True, type=month, metavar="YYYY-MM")
    statement.add_argument("--format", choices=STATEMENT_FORMATS, default="md")
    statement.add_argument("--output", type=Path, help="write to this file instead of the screen")


@for_ccas
def cmd_statement(args: argparse.Namespace, settings: Settings) -> int:
    insee = scoped(settings, args.municipality)
    if insee is None:
        raise InvalidInputError("which municipality's statement? give --municipality INSEE")
    statement = meals.statement(open_store(settings), insee, args.month)
    text = render_statement(statement, args.format)
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise InvalidInputError(f"cannot write {args.output}: {e.strerror}") from None
        print(f"statement of {statement.municipality} for {args.month} written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0
