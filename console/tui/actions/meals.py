"""Meals actions from anywhere: plan a round, raise a welfare alert, a month's statement to a
file, import beneficiaries — each the console's path to ``maillage meals …``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.importing.meals import import_beneficiaries_text, read_beneficiaries_file
from console.mailing.ccas import announce_raised, mail_due_alerts
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import (
    Progress,
    ask,
    export_file,
    record,
    record_with_progress,
)
from domain import clock
from domain.clock import PARIS
from domain.errors import InvalidInputError, MaillageError, RuleViolationError
from domain.meals import service as meals
from domain.meals.billing import render_statement
from domain.meals.welfare_alert import CATEGORIES, SEVERITIES
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp

EXPORT_FORMATS = ("md", "html", "csv")
"""Statement formats the console writes to a file."""


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The meals palette entries."""
    return [
        PaletteCommand(
            "Meals: plan a round",
            "A day's round from the orders (maillage meals rounds plan)",
            lambda: plan_round(app),
        ),
        PaletteCommand(
            "Meals: raise a welfare alert",
            "A concern about a beneficiary, for the CCAS (maillage meals alerts raise)",
            lambda: raise_alert(app),
        ),
        PaletteCommand(
            "Meals: open a welfare alert",
            "An alert by its reference (W-…) or first characters (maillage meals alerts show)",
            lambda: open_alert(app),
            writes=False,
            for_ccas=True,
        ),
        PaletteCommand(
            "Meals: a day's orders",
            "A delivery day's orders and kitchen counts (maillage meals orders)",
            lambda: show_orders(app),
            writes=False,
        ),
        PaletteCommand(
            "Meals: send the CCAS mails due",
            "Mail each CCAS the welfare alerts not yet mailed (maillage meals alerts notify)",
            lambda: notify_ccas(app),
        ),
        PaletteCommand(
            "Meals: export a statement",
            "A month's statement of a municipality to a md/html/csv file (maillage meals "
            "statement)",
            lambda: export_statement(app),
            writes=False,
            for_ccas=True,
        ),
        PaletteCommand(
            "Meals: import beneficiaries",
            "A CSV file, every line checked, then all or nothing "
            "(maillage meals beneficiaries import)",
            lambda: import_file(app),
        ),
    ]


def _today() -> str:
    return clock.now().astimezone(PARIS).date().isoformat()


def _municipality(app: MaillageApp, insee: str = "") -> Field:
    return Field(
        "municipality",
        "Municipality (INSEE code)",
        required=True,
        value=insee or app.settings.scope or "",
    )


def plan_round(app: MaillageApp) -> None:
    """Ask for the municipality, day, postman and van; plan the round in a worker."""
    fields: list[Choice | Field] = [
        _municipality(app),
        Field("day", "Day (YYYY-MM-DD)", required=True, value=_today(), kind="day"),
        Field("postman", "Postman", required=True),
        Field("vehicle", "Van", required=True),
        Choice("optimise", "Order of the stops", ("default", "optimised")),
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            rnd, plan = meals.plan_day(
                app.store,
                v["municipality"],
                v["day"],
                v["postman"],
                v["vehicle"],
                optimise_order=v["optimise"] == "optimised",
            )
            km = f", {plan.distance_m / 1000:.1f} km" if plan is not None else ""
            meals_count = sum(s["meals"] for s in rnd.stops)
            return (
                f"round of {rnd.day} ({rnd.postman}) planned: {plural(len(rnd.stops), 'stop')}, "
                + (f"{plural(meals_count, 'meal')}{km}")
            )

        record(app, "plan round", write)

    ask(app, "Plan a round", fields, then)


def raise_alert(app: MaillageApp, file_number: str = "", insee: str = "") -> None:
    """Ask for the file, the concern and who raises it; record the alert in a worker."""
    fields: list[Choice | Field] = [
        _municipality(app, insee),
        Field("file", "Beneficiary file number", required=True, value=file_number),
        Choice("category", "Category", CATEGORIES),
        Choice("severity", "Severity", SEVERITIES),
        Field("note", "What was seen (sealed: only the CCAS reads it)", required=True),
        Field("by", "Raised by", required=True, value=app.settings.user),
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            alert = meals.raise_alert(
                app.store,
                v["municipality"],
                v["file"],
                v["category"],
                v["severity"],
                v["note"],
                v["by"],
            )
            return "\n".join(announce_raised(app.store, [alert], by_watch=False))

        record(app, "raise alert", write)

    ask(app, "Raise a welfare alert", fields, then)


def open_alert(app: MaillageApp) -> None:
    """Ask for an alert's reference; open it. A scoped user finds its municipality's only: an
    alert of another gets the answer of one that does not exist."""
    fields: list[Choice | Field] = [Field("alert", "Alert (W-… or its first characters)", True)]

    def then(v: FormValues) -> None:
        from console.tui.screens.alert import AlertScreen
        from console.tui.writes import refuse

        try:
            alert_id = meals.find_alert(app.store, str(v["alert"]), app.settings.scope)
        except MaillageError as e:
            refuse(app, str(e), "Not found")
            return
        app.push_screen(AlertScreen(alert_id))

    ask(app, "Open a welfare alert", fields, then)


def export_statement(app: MaillageApp, month: str | None = None) -> None:
    """Ask for the municipality, month, format and file; write the statement in a worker."""
    month = month or _today()[:7]
    fields: list[Choice | Field] = [
        _municipality(app),
        Field("month", "Month (YYYY-MM)", required=True, value=month, kind="month"),
        Choice("format", "Format", EXPORT_FORMATS),
        Field("output", "Write to file", required=True, value=f"statement-{month}.md"),
    ]

    def then(v: FormValues) -> None:
        def render() -> tuple[str, str]:
            insee = v["municipality"]
            if app.settings.scope and meals.normalise_insee(insee) != app.settings.scope:
                raise InvalidInputError(
                    f"the {app.settings.role} role works for municipality {app.settings.scope}"
                )
            statement = meals.statement(app.store, insee, v["month"])
            what = f"statement of {statement.municipality} for {v['month']}"
            return what, render_statement(statement, v["format"])

        export_file(app, "export statement", Path(v["output"]).expanduser(), render)

    ask(app, "Export a statement", fields, then)


def import_file(app: MaillageApp) -> None:
    """Ask for the CSV file and the municipality; import it under a progress bar."""
    fields: list[Choice | Field] = [
        Field("file", "Beneficiaries CSV file", required=True),
        _municipality(app),
    ]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            path = Path(v["file"]).expanduser()
            progress(f"reading {path.name}", 0, 1)
            text = read_beneficiaries_file(path)
            progress(f"checking and recording {path.name}", 0, 1)
            report = import_beneficiaries_text(app.store, v["municipality"], text)
            progress(f"recorded {path.name}", 1, 1)
            if report.errors:
                first = "; ".join(f"line {n}: {m}" for n, m in report.errors[:3])
                raise InvalidInputError(
                    f"{len(report.errors)} bad lines in {path.name}, nothing recorded ({first})"
                )
            return (
                f"{report.read} lines read, "
                f"{plural(report.recorded, 'beneficiary', 'beneficiaries')} recorded, "
                f"{report.already_registered} already registered"
            )

        record_with_progress(app, "import beneficiaries", "Importing beneficiaries", write)

    ask(app, "Import beneficiaries", fields, then)


def show_orders(app: MaillageApp) -> None:
    """Ask for the municipality and the day; show its orders and kitchen counts."""
    fields: list[Choice | Field] = [
        _municipality(app),
        Field("day", "Day (YYYY-MM-DD)", required=True, value=_today(), kind="day"),
    ]

    def then(v: FormValues) -> None:
        from console.tui.screens.text import TextScreen

        def read(app: MaillageApp) -> str:
            return "\n".join(meals.day_orders(app.store, v["municipality"], v["day"]).lines())

        app.push_screen(TextScreen(f"Orders of {v['day']}", read))

    ask(app, "A day's orders", fields, then)


def notify_ccas(app: MaillageApp) -> None:
    """Ask for the municipality (all when empty); send the mails due in a worker, saying what
    became of each (one the SMTP server refused stays due, and is said so)."""
    fields: list[Choice | Field] = [
        Field(
            "municipality", "Municipality (INSEE code, empty: all)", value=app.settings.scope or ""
        )
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            lines = mail_due_alerts(app.store, v["municipality"] or None)
            if lines and all(line.startswith("warning:") for line in lines):
                raise RuleViolationError("\n".join(lines))  # nothing sent: all stay due
            return "\n".join(lines) or "no alert mail due"

        record(app, "mail the CCAS", write)

    ask(app, "Send the CCAS mails due", fields, then)
