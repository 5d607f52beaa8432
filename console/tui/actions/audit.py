"""Audit reports from the palette: any kind, as of the chain head when it starts, written
to a file in md, html or csv — the console's path to ``maillage audit report …``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.checkpoints import audit_key, checkpoint_line, export_checkpoint, take_quietly
from console.texts.alerts import WITHHELD
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import Progress, ask, export_file, record_with_progress
from domain.audit import service as audit
from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.cold_chain import build_cold_chain
from domain.audit.reports.custody import build_device_custody, build_establishment_custody
from domain.audit.reports.model import Report
from domain.audit.reports.provenance import build_provenance
from domain.audit.reports.render import FORMATS, render
from domain.audit.reports.service_fait import build_service_fait
from domain.audit.reports.welfare import build_welfare
from domain.errors import InvalidInputError, RuleViolationError

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
        ),
        PaletteCommand(
            "Audit: write a checkpoint",
            "Verify the chain, then write its head to a dated file, signed with the audit key "
            "when one is set (maillage audit checkpoint)",
            lambda: write_checkpoint(app),
            writes=False,
        ),
        PaletteCommand(
            "Audit: replay every view",
            "Rebuild every view from the log in a scratch store and compare it with the live "
            "one (maillage audit replay)",
            lambda: replay_views(app),
            writes=False,
        ),
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
        def rendered() -> tuple[str, str]:
            settings = app.settings
            log = LogAsOf.capture(app.store, made_by=settings.user, role=settings.role)
            report = build(log, v["kind"], v["subject"], v["month"], not settings.read_only)
            take_quietly(app.store)  # every report leaves a checkpoint of the chain it cites
            return f"{v['kind']} report", render(report, v["format"])

        export_file(app, "audit report", Path(v["output"]).expanduser(), rendered)

    ask(app, "Write an audit report", fields, then)


def write_checkpoint(app: MaillageApp) -> None:
    """Ask for the file; verify the chain under a progress bar, then write the checkpoint
    (none, and the break said, when the chain is broken)."""
    fields: list[Choice | Field] = [
        Field("output", "Write to file", required=True, value="checkpoint.json")
    ]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            key, source = audit_key(None)
            output = Path(v["output"]).expanduser()

            def step(position: int, total: int | None) -> None:
                progress("verifying the audit chain", position, total or position)

            report, checkpoint = export_checkpoint(app.store, output, key, step)
            if checkpoint is None:
                assert report.finding is not None
                raise RuleViolationError(f"no checkpoint written: {report.finding.line()}")
            return checkpoint_line(output, checkpoint, source)

        record_with_progress(app, "audit checkpoint", "Audit checkpoint", write, records=False)

    ask(app, "Write an audit checkpoint", fields, then)


def replay_views(app: MaillageApp) -> None:
    """Rebuild every view from the log under a progress bar; say whether they are equal (and
    each table that differs)."""

    def write(progress: Progress) -> str:
        def step(view: str, position: int, target: int) -> None:
            progress(f"replaying {view}", position, target)

        return "\n".join(audit.replay_views(app.store, None, step).lines())

    record_with_progress(app, "audit replay", "Replaying the log", write, records=False)
