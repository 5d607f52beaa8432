"""``maillage audit report KIND …``: audit reports (Markdown, HTML, CSV) as of one log position.

Each report reads the log up to the chain's head taken when it starts, and
states that position, the head's link and who made it when, so that anyone can
check it later (``maillage audit verify``). Reports only read the store: the
auditor may make them; the welfare texts are withheld from read-only roles
exactly as ``maillage meals alerts show`` withholds them.

    maillage audit report service-fait --municipality 37261 --month 2026-03
    maillage audit report cold-chain ROUND
    maillage audit report welfare --municipality 37261 [--month 2026-03]
    maillage audit report custody SERIAL | --establishment UAI
    maillage audit report provenance SESSION
    … --format md|html|csv  --output FILE
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.checkpoints import take_quietly
from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from console.texts.alerts import WITHHELD
from domain.audit import service as audit
from domain.audit.reports.render import FORMATS, render
from domain.errors import InvalidInputError
from domain.store import one_line


def register(level: Level) -> None:
    """Register ``audit report`` and its kinds."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=FORMATS, default="md", help="md (default), html or csv")
    output.add_argument(
        "--output", type=Path, metavar="FILE", help="write to FILE instead of the screen"
    )
    kinds = level.group(
        "report",
        "audit reports made from the log at one position, stating it and the chain head",
        metavar="KIND",
    )

    def kind(name: str, text: str) -> argparse.ArgumentParser:
        parser = kinds.command(name, cmd_report, text, parents=(output,))
        parser.set_defaults(kind=name)
        return parser

    fait = kind(
        "service-fait",
        "a municipality's meals of a month: planned, delivered, not delivered, billed",
    )
    fait.add_argument("--municipality", required=True, metavar="INSEE")
    fait.add_argument("--month", required=True, metavar="YYYY-MM")
    cold = kind(
        "cold-chain",
        "a round's readings, excursions (duration, peak) and decisions, in time order",
    )
    cold.add_argument("round", metavar="ROUND", help="the round's id or its first 6+ characters")
    welfare = kind(
        "welfare",
        "a municipality's welfare alerts from raised to closed, with delays and overdue ones",
    )
    welfare.add_argument("--municipality", required=True, metavar="INSEE")
    welfare.add_argument("--month", metavar="YYYY-MM", help="only alerts raised in this month")
    custody = kind(
        "custody", "the custody chain of a device, or of every device of an establishment"
    )
    custody.add_argument("serial", nargs="?", metavar="SERIAL", help="a device's serial")
    custody.add_argument("--establishment", metavar="UAI", help="every device allocated to it")
    prov = kind(
        "provenance",
        "a sensor session's channels, journal chunk hashes, gaps, counters and processings",
    )
    prov.add_argument("session", metavar="SESSION", help="the id or its first 6+ characters")


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse what argparse cannot express, before the store is opened (one line, exit 2)."""
    if args.kind == "custody" and (args.serial is None) == (args.establishment is None):
        raise InvalidInputError(
            "audit report custody: give a SERIAL or --establishment UAI (one of the two)"
        )
    output: Path | None = args.output
    if output is not None and not output.parent.is_dir():
        raise InvalidInputError(f"cannot write {output}: {output.parent} is not a folder")
    if output is not None and output.is_dir():
        raise InvalidInputError(f"cannot write {output}: it is a folder")


REPORT_VALUES = ("municipality", "month", "round", "serial", "establishment", "session")
"""What the report kinds' arguments may give."""


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    _check_arguments(args)
    app = open_store(settings, checkpoint=False)
    try:
        values = {k: getattr(args, k, None) for k in REPORT_VALUES}
        report = audit.make_report(
            app, args.kind, settings.user, settings.role, show_texts=not settings.read_only,
            withheld=WITHHELD, **values,
        )  # fmt: skip
        take_quietly(app)  # every report leaves a checkpoint of the chain it cites
    finally:
        app.close()
    text = render(report, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    partial = args.output.with_name(args.output.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(args.output)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {args.output}: {one_line(e)}") from e
    stated = report.stated
    print(
        f"{report.kind} report written to {args.output} ({args.format}): "
        f"log position {stated.position}, chain head {stated.head}"
    )
    return 0
