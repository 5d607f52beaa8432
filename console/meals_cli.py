"""``maillage meals …``: municipalities and beneficiaries from the command line."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from console.arguments import lat_lon, minutes, weekdays
from console.opening import municipality, open_store
from console.roles import for_ccas, mutating, scoped
from console.rounds_cli import add_round_commands
from console.settings import Settings
from domain import clock
from domain.clock import PARIS
from domain.errors import InvalidInputError, NotFoundError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import (
    monthly_statement,
    statement_html,
    statement_markdown,
    statement_rows,
)
from domain.meals.imports import import_beneficiaries
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket, normalise_insee
from domain.meals.ordering import DAY_NAMES
from domain.meals.service import erase_beneficiary
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def add_meals_commands(commands: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register the ``meals`` command and its actions."""
    meals = commands.add_parser(
        "meals", parents=[common], help="meal rounds: municipalities, beneficiaries"
    )
    areas = meals.add_subparsers(
        dest="meals_area", metavar="AREA", required=True, parser_class=parser_class
    )

    town = areas.add_parser("municipality", parents=[common], help="municipalities and contracts")
    town_cmds = town.add_subparsers(
        dest="town_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    add = town_cmds.add_parser(
        "add", parents=[common], help="register a municipality and its contract"
    )
    add.add_argument("--insee", required=True, help="INSEE commune code, e.g. 37261")
    add.add_argument("--name", required=True)
    add.add_argument("--depot", required=True, help="the postal depot that serves it")
    add.add_argument("--ccas", required=True, help="the social centre's contact (address or phone)")
    add.add_argument(
        "--bracket",
        action="append",
        required=True,
        type=_bracket,
        metavar="NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS",
        help="an income bracket (repeat; leave MAX_INCOME_EUR empty on the last)",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_municipality_add)
    configure = town_cmds.add_parser(
        "configure", parents=[common], help="agreed service levels and the depot's position"
    )
    configure.add_argument("insee", metavar="INSEE")
    configure.add_argument(
        "--acknowledge-within",
        type=minutes,
        metavar="DURATION",
        help="delay for the CCAS to acknowledge a welfare alert, e.g. 4h or 90m",
    )
    configure.add_argument(
        "--max-round",
        type=minutes,
        metavar="DURATION",
        help="longest time from loading to the last delivery (cold chain), e.g. 3h30m",
    )
    configure.add_argument("--depot-position", type=lat_lon, metavar="LAT,LON")
    configure.add_argument(
        "--delivery-days",
        type=weekdays,
        metavar="DAYS",
        help="days meals are delivered, each bringing the meals until the next one: "
        "mon-fri (default: Friday brings the weekend), mon-sat, every-day, or mon,wed,fri",
    )
    configure.add_argument("--json", action="store_true")
    configure.set_defaults(handler=cmd_municipality_configure)

    people = areas.add_parser("beneficiaries", parents=[common], help="beneficiaries' files")
    people_cmds = people.add_subparsers(
        dest="people_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    imp = people_cmds.add_parser(
        "import",
        parents=[common],
        help="import a CSV file: every line checked, then all or nothing",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--municipality", required=True, metavar="INSEE")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=cmd_beneficiaries_import)

    lst = people_cmds.add_parser(
        "list", parents=[common], help="beneficiaries as the views hold them"
    )
    lst.add_argument("--municipality", metavar="INSEE")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_beneficiaries_list)

    add_round_commands(areas, common, parser_class)

    statement = areas.add_parser(
        "statement", parents=[common], help="a municipality's monthly statement (service fait)"
    )
    statement.add_argument(
        "--municipality", metavar="INSEE", help="required unless the user has a --scope"
    )
    statement.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    statement.add_argument("--format", choices=("md", "html", "csv", "json"), default="md")
    statement.add_argument("--output", type=Path, help="write to this file instead of the screen")
    statement.set_defaults(handler=cmd_statement)

    erase = people_cmds.add_parser(
        "erase", parents=[common], help="erase a person's data for good (crypto-shredding)"
    )
    erase.add_argument("file_number")
    erase.add_argument("--municipality", required=True, metavar="INSEE")
    erase.add_argument("--by", required=True, help="who ordered the erasure")
    erase.set_defaults(handler=cmd_beneficiaries_erase)


def _bracket(text: str) -> PriceBracket:
    parts = text.split(":")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS"
        )
    name, max_income, meal, delivery = parts
    try:
        return PriceBracket(name, int(max_income) if max_income else None, int(meal), int(delivery))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: income and prices are whole numbers") from None


def _month(text: str) -> str:
    try:
        year, month = (int(x) for x in text.split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12) or len(text) != 7:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-03") from None
    return text


@mutating
def cmd_municipality_add(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = Municipality.register(
        args.insee, args.name, args.depot, args.ccas, Contract(tuple(args.bracket))
    )
    if app.recorder.select_events(town.id, limit=1):
        raise InvalidInputError(f"municipality {town.insee_code} is already registered")
    app.save(town)
    result = {"id": str(town.id), "insee_code": town.insee_code, "name": town.name}
    print(
        json.dumps(result)
        if args.json
        else f"municipality {town.name} ({town.insee_code}) registered"
    )
    return 0


@mutating
def cmd_municipality_configure(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = municipality(app, args.insee)

    def configure(t: Municipality) -> None:
        t.configure_service(
            args.acknowledge_within or t.acknowledge_within_min,
            args.max_round or t.max_round_min,
            args.depot_position or t.depot_lat_lon,
            settings.user,
        )
        if args.delivery_days:
            t.set_delivery_days(args.delivery_days, settings.user)

    town = app.edit(town.id, Municipality, configure)
    result = {
        "insee_code": town.insee_code,
        "acknowledge_within_min": town.acknowledge_within_min,
        "max_round_min": town.max_round_min,
        "depot_position": town.depot_lat_lon,
        "delivery_days": [DAY_NAMES[d] for d in town.delivery_weekdays],
    }
    depot = "{:.5f},{:.5f}".format(*town.depot_lat_lon) if town.depot_lat_lon else "not set"
    text = (
        f"{town.name}: alerts acknowledged within {town.acknowledge_within_min} min, "
        f"rounds at most {town.max_round_min} min, depot at {depot}, "
        f"deliveries on {','.join(result['delivery_days'])}"
    )
    print(json.dumps(result) if args.json else text)
    return 0


@mutating
def cmd_beneficiaries_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"{args.file} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise InvalidInputError(f"cannot read {args.file}: {e.strerror}") from None
    app = open_store(settings)
    report = import_beneficiaries(app, municipality(app, args.municipality), text)
    summary = {
        "file": str(args.file),
        "read": report.read,
        "recorded": report.recorded,
        "already_registered": report.already_registered,
        "errors": [{"line": n, "message": m} for n, m in report.errors],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for line, message in report.errors:
            print(f"{args.file}:{line}: {message}", file=sys.stderr)
        print(
            f"{report.read} lines read, {report.recorded} beneficiaries recorded, "
            f"{report.already_registered} already registered"
        )
    if report.errors:
        print(
            f"maillage: error: {len(report.errors)} bad lines in {args.file}: nothing was recorded",
            file=sys.stderr,
        )
        return 2
    return 0


@for_ccas
def cmd_beneficiaries_list(args: argparse.Namespace, settings: Settings) -> int:
    insee = scoped(settings, args.municipality)
    app = open_store(settings)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
        query = "SELECT id, insee_code, file_number, status, name, price_bracket, regime, texture "
        query += "FROM beneficiaries_view"
        params: tuple[str, ...] = ()
        if insee:
            query += " WHERE insee_code = ?"
            params = (insee,)
        rows = projector.conn.fetchall(query + " ORDER BY insee_code, file_number", params)
    keys = (
        "id",
        "insee_code",
        "file_number",
        "status",
        "name",
        "price_bracket",
        "regime",
        "texture",
    )
    records = [dict(zip(keys, map(str, r), strict=True)) for r in rows]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for r in records:
            print(f"{r['insee_code']}  {r['file_number']:<12} {r['status']:<9} {r['name']}")
    return 0


@mutating
def cmd_beneficiaries_erase(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    code = normalise_insee(args.municipality)
    try:
        erase_beneficiary(app, beneficiary_id(code, args.file_number), by=args.by)
    except NotFoundError:
        raise NotFoundError(f"no beneficiary file {args.file_number} in {code}") from None
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    print(f"beneficiary file {args.file_number} of {code}: personal data erased")
    return 0


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
