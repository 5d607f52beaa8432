"""``maillage meals beneficiaries import|list|erase``: beneficiaries' files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.cli.output import print_result
from console.cli.tree import Level
from console.importing.meals import import_beneficiaries_text, read_beneficiaries_file
from console.opening import open_store
from console.roles import for_ccas, mutating, scoped
from console.settings import Settings
from domain.meals import service as meals
from domain.meals.municipality import normalise_insee
from domain.views.projector import caught_up


def register(level: Level) -> None:
    """Register ``meals beneficiaries`` and its actions."""
    people = level.group("beneficiaries", "beneficiaries' files")
    imp = people.command(
        "import", cmd_beneficiaries_import,
        "import a CSV file: every line checked, then all or nothing", json=True,
    )  # fmt: skip
    imp.add_argument("file", type=Path)
    imp.add_argument("--municipality", required=True, metavar="INSEE")
    lst = people.command(
        "list", cmd_beneficiaries_list, "beneficiaries as the views hold them", json=True
    )
    lst.add_argument("--municipality", metavar="INSEE")
    erase = people.command(
        "erase", cmd_beneficiaries_erase, "erase a person's data for good (crypto-shredding)"
    )
    add_erase_arguments(erase)


def add_erase_arguments(parser: argparse.ArgumentParser) -> None:
    """Which file to erase and who ordered it (also ``maillage audit erase-beneficiary``)."""
    parser.add_argument("file_number")
    parser.add_argument("--municipality", required=True, metavar="INSEE")
    parser.add_argument("--by", required=True, help="who ordered the erasure")


@mutating
def cmd_beneficiaries_import(args: argparse.Namespace, settings: Settings) -> int:
    text = read_beneficiaries_file(args.file)
    report = import_beneficiaries_text(open_store(settings), args.municipality, text)
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
    records = meals.beneficiary_rows(open_store(settings), insee)
    text = "\n".join(
        f"{r['insee_code']}  {r['file_number']:<12} {r['status']:<9} {r['name']}" for r in records
    )
    print_result(args, records, text)
    return 0


@mutating
def cmd_beneficiaries_erase(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    meals.erase_file(app, args.municipality, args.file_number, by=args.by)
    caught_up(app).close()  # the views forget the person now
    code = normalise_insee(args.municipality)
    print(f"beneficiary file {args.file_number} of {code}: personal data erased")
    return 0
