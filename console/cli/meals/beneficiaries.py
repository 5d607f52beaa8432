"""``maillage meals beneficiaries import|add|edit|end|list|erase``: beneficiaries' files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.cli.args import day, lat_lon
from console.cli.output import print_result
from console.cli.tree import Level
from console.importing.meals import import_beneficiaries_text, read_beneficiaries_file
from console.opening import open_store
from console.roles import for_ccas, mutating, scoped
from console.settings import Settings
from domain.meals import service as meals
from domain.meals.imports import parse_pattern
from domain.meals.municipality import normalise_insee
from domain.views.projector import caught_up
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``meals beneficiaries`` and its actions."""
    people = level.group("beneficiaries", "beneficiaries' files")
    imp = people.command(
        "import", cmd_beneficiaries_import,
        "import a CSV file: every line checked, then all or nothing", json=True,
    )  # fmt: skip
    imp.add_argument("file", type=Path)
    imp.add_argument("--municipality", required=True, metavar="INSEE")
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be recorded or changed; record nothing",
    )
    add = people.command(
        "add", cmd_beneficiaries_add, "open one file, checked as an imported line is"
    )
    add.add_argument("file_number")
    add.add_argument("--municipality", required=True, metavar="INSEE")
    add.add_argument("--name", required=True, metavar="TEXT")
    for name in ("address", "phone", "contact-person", "access-notes"):
        add.add_argument(f"--{name}", metavar="TEXT")
    add.add_argument("--position", required=True, type=lat_lon, metavar="LAT,LON")
    add.add_argument("--bracket", required=True, metavar="NAME", help="its price bracket")
    add.add_argument("--diet", required=True, type=_diet, metavar="REGIME/TEXTURE")
    add.add_argument("--pattern", required=True, metavar="mon=1;wed=1;fri=2")
    add.add_argument("--window", type=_window, metavar="HH:MM-HH:MM")
    add.add_argument("--start", type=day, metavar="YYYY-MM-DD", help="first day of service")
    edit = people.command("edit", cmd_beneficiaries_edit, "correct a file (kept in the log)")
    edit.add_argument("file_number")
    edit.add_argument("--municipality", required=True, metavar="INSEE")
    for name in ("name", "address", "phone", "contact-person", "access-notes"):
        edit.add_argument(f"--{name}", metavar="TEXT")
    edit.add_argument("--position", type=lat_lon, metavar="LAT,LON")
    edit.add_argument("--window", type=_window, metavar="HH:MM-HH:MM")
    edit.add_argument("--diet", type=_diet, metavar="REGIME/TEXTURE")
    edit.add_argument("--pattern", type=_pattern, metavar="mon=1;wed=1;fri=2")
    end = people.command("end", cmd_beneficiaries_end, "end a file's service, with a reason")
    end.add_argument("file_number")
    end.add_argument("--municipality", required=True, metavar="INSEE")
    end.add_argument("--last-day", required=True, type=day, metavar="YYYY-MM-DD")
    end.add_argument("--reason", required=True, help="sealed: it is about the person")
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
    report = import_beneficiaries_text(open_store(settings), args.municipality, text, args.dry_run)
    summary = {
        "file": str(args.file),
        "read": report.read,
        "recorded": report.recorded,
        "already_registered": report.already_registered,
        "changed": [{"file_number": f, "fields": c} for f, c in report.changes],
        "dry_run": args.dry_run,
        "errors": [{"line": n, "message": m} for n, m in report.errors],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for line, message in report.errors:
            print(f"{args.file}:{line}: {message}", file=sys.stderr)
        for file_number, fields in report.changes:
            verb = "would change" if args.dry_run else "changed"
            print(f"file {file_number}: {', '.join(fields)} {verb}")
        if args.dry_run:
            new = report.read - report.already_registered
            print(f"{report.read} lines read (dry run, nothing recorded): {new} new, "
                  f"{len(report.changes)} to change")  # fmt: skip
        else:
            print(
                f"{report.read} lines read, "
                f"{plural(report.recorded, 'beneficiary', 'beneficiaries')} recorded, "
                f"{report.already_registered} already registered, {len(report.changes)} changed"
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


def _window(text: str) -> tuple[str, str]:
    start, _, end = text.partition("-")
    if not end:
        raise argparse.ArgumentTypeError(f"{text!r} is not HH:MM-HH:MM")
    return start.strip(), end.strip()


def _diet(text: str) -> tuple[str, str]:
    regime, _, texture = text.partition("/")
    if not texture:
        raise argparse.ArgumentTypeError(f"{text!r} is not REGIME/TEXTURE, e.g. no_salt/minced")
    return regime.strip(), texture.strip()


def _pattern(text: str) -> dict[int, int]:
    try:
        return parse_pattern(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not like mon=1;wed=1;fri=2") from None


@mutating
def cmd_beneficiaries_add(args: argparse.Namespace, settings: Settings) -> int:
    window = args.window or ("", "")
    cells = {
        "file_number": args.file_number, "name": args.name, "address": args.address,
        "phone": args.phone, "contact_person": args.contact_person,
        "access_notes": args.access_notes, "latitude": str(args.position[0]),
        "longitude": str(args.position[1]), "price_bracket": args.bracket,
        "regime": args.diet[0], "texture": args.diet[1], "pattern": args.pattern,
        "window_start": window[0], "window_end": window[1],
        "start_date": args.start.isoformat() if args.start else "",
    }  # fmt: skip
    b = meals.add_beneficiary(open_store(settings), args.municipality, cells)
    print(f"file {b.file_number} of {b.insee_code} opened ({b.status})")
    return 0


@mutating
def cmd_beneficiaries_edit(args: argparse.Namespace, settings: Settings) -> int:
    personal = {
        key: value
        for key in ("name", "address", "phone", "contact_person", "access_notes")
        if (value := getattr(args, key)) is not None
    }
    changed = meals.correct_beneficiary(
        open_store(settings), args.municipality, args.file_number, personal=personal or None,
        position=args.position, window=args.window, diet=args.diet, pattern=args.pattern,
    )  # fmt: skip
    print(f"file {args.file_number}: " + (f"{', '.join(changed)} corrected" if changed
                                          else "nothing to change"))  # fmt: skip
    return 0


@mutating
def cmd_beneficiaries_end(args: argparse.Namespace, settings: Settings) -> int:
    meals.end_service(
        open_store(settings), args.municipality, args.file_number, args.last_day, args.reason
    )
    print(f"file {args.file_number}: service ends after {args.last_day}")
    return 0
