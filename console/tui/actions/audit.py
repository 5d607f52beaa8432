"""Audit reports from the palette: any kind, as of the chain head when it starts, written
to a file in md, html or csv — the console's path to ``maillage audit report …``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.checkpoints import take_quietly
from console.texts.alerts import WITHHELD
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask, export
from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.cold_chain import build_cold_chain
from domain.audit.reports.custody import build_device_custody, build_establishment_custody
from domain.audit.reports.model import Report
from domain.audit.reports.provenance import build_provenance
from domain.audit.reports.render import FORMATS, render
from domain.audit.reports.service_fait import build_service_fait
from domain.audit.reports.welfare import build_welfare
from domain.errors import InvalidInputError

if TYPE_CHECKING:
    from console.tui.app import MaillageApp

KINDS = ("service-fait", "cold-chain", "welfare", "custody", "establishment-custody", "provenance")
"""Report kinds, as ``maillage audit report`` names them."""
SUBJECT = (
    "Subject: municipality INSEE (service-fait, welfare), round, device serial, "
    "establishment UAI or session"
)


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The audit palette entries (reads: every role)."""
    return [
        PaletteCommand(
            "Audit: write a report",
            "service-fait, cold-chain, welfare, custody or provenance as of the chain head, "
            "md/html/csv to a file (maillage audit report)",
            lambda: write_report(app),
            writes=False,
        )
    ]


def build(log: LogAsOf, kind: str, subject: str, month: str | None, show_texts: bool) -> Report:
    """The report of ``kind`` about ``subject`` (and ``month`` where it applies)."""
    if kind == "service-fait":
        if not month:
            raise InvalidInputError("a service-fait report needs a month (YYYY-MM)")
        return build_service_fait(log, subject, month)
    if kind == "welfare":
        return build_welfare(log, subject, month, show_texts=show_texts, withheld=WITHHELD)
    if kind == "cold-chain":
        return build_cold_chain(log, subject)
    if kind == "custody":
        return build_device_custody(log, subject)
    if kind == "establishment-custody":
        return build_establishment_custody(log, subject)
    return build_provenance(log, subject)


def write_report(app: MaillageApp) -> None:
    fields: list[Choice | Field] = [
        Choice("kind", "Report", KINDS),
        Field("subject", SUBJECT, required=True, value=app.settings.scope or ""),
        Field("month", "Month (YYYY-MM; service-fait, optional for welfare)", kind="month"),
        Choice("format", "Format", FORMATS),
        Field("output", "Write to file", required=True, value="report.md"),
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            settings = app.settings
            log = LogAsOf.capture(app.store, made_by=settings.user, role=settings.role)
            report = build(log, v["kind"], v["subject"], v["month"], not settings.read_only)
            take_quietly(app.store)  # every report leaves a checkpoint of the chain it cites
            output = Path(v["output"]).expanduser()
            output.write_text(render(report, v["format"]), encoding="utf-8")
            return f"{v['kind']} report written to {output}"

        export(app, "audit report", write)

    ask(app, "Write an audit report", fields, then)
