"""``maillage meals statement``: a municipality's monthly statement (service fait)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from uuid import UUID

from console.cli.args import (
    month,
)
from console.cli.tree import Level
from console.opening import municipality, open_store
from console.roles import for_ccas, scoped
from console.settings import Settings
from domain import clock
from domain.clock import PARIS
from domain.errors import InvalidInputError
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import (
    monthly_statement,
    statement_html,
    statement_markdown,
    statement_rows,
)
from domain.meals.meal_round import MealRound
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def register(level: Level) -> None:
    """Register ``meals statement``."""
    statement = level.command(
        "statement", cmd_statement, "a municipality's monthly statement (service fait)"
    )
    statement.add_argument(
        "--municipality", metavar="INSEE", help="required unless the user has a --scope"
    )
    statement.add_argument("--month", required=True, type=month, metavar="YYYY-MM")
    statement.add_argument("--format", choices=("md", "html", "csv", "json"), default="md")
    statement.add_argument("--output", type=Path, help="write to this file instead of the screen")


@for_ccas
def cmd_statement(args: argparse.Namespace, settings: Settings) -> int:
    insee = scoped(settings, args.municipality)
    if insee is None:
        raise InvalidInputError("which municipality's statement? give --municipality INSEE")
    app = open_store(settings)
    town = municipality(app, insee)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
        people_ids = projector.conn.fetchall(
            "SELECT id FROM beneficiaries_view WHERE insee_code = ?", (town.insee_code,)
        )
        round_ids = projector.conn.fetchall(
            "SELECT id FROM rounds_view WHERE day LIKE ?", (f"{args.month}-%",)
        )
    people = [app.get(UUID(r[0]), Beneficiary) for r in people_ids]
    rounds = [app.get(UUID(r[0]), MealRound) for r in round_ids]
    today = clock.now().astimezone(PARIS).date()
    statement = monthly_statement(town, people, rounds, args.month, until=today)
    if args.format == "md":
        text = statement_markdown(statement)
    elif args.format == "html":
        text = statement_html(statement)
    elif args.format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(statement_rows(statement))
        text = buffer.getvalue()
    else:
        text = json.dumps(
            {
                "municipality": statement.municipality, "insee_code": statement.insee_code,
                "month": statement.month, "planned": statement.planned,
                "delivered": statement.delivered, "billed": statement.delivered,
                "amount_cents": statement.amount_cents, "gaps": statement.gaps(),
                "lines": [
                    {"file_number": x.file_number, "price_bracket": x.price_bracket,
                     "planned": x.planned, "delivered": x.delivered, "billed": x.billed,
                     "deliveries": x.deliveries, "amount_cents": x.amount_cents, "gaps": x.gaps}
                    for x in statement.lines
                ],
            },
            indent=2,
        )  # fmt: skip
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise InvalidInputError(f"cannot write {args.output}: {e.strerror}") from None
        print(f"statement of {town.name} for {args.month} written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0
