"""The audit service: what the command line (``console/cli/audit/…``) and the Audit mode ask of
the log — verify the chain, export a checkpoint, replay the views, make a report as of one
position, and name who wrote each event. Everything here only reads the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from domain.application import Maillage
from domain.audit.checkpoint import Checkpoint, History, make_checkpoint
from domain.audit.command_record import CommandInfo, commands_at
from domain.audit.replay import ReplayReport, replay
from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.cold_chain import build_cold_chain
from domain.audit.reports.custody import build_device_custody, build_establishment_custody
from domain.audit.reports.model import Report
from domain.audit.reports.provenance import build_provenance
from domain.audit.reports.service_fait import build_service_fait
from domain.audit.reports.welfare import build_welfare
from domain.audit.time_travel import LogEntry
from domain.audit.verify import Report as ChainReport
from domain.audit.verify import Verifier
from domain.errors import InvalidInputError

__all__ = ["make_checkpoint", "replay_views"]

Progress = Callable[[int, int | None], None]
"""Called with (position reached, positions in all) while the chain is verified."""

AUTHOR_PAGE = 2_000
"""Log entries whose command records are looked up together (one query per page)."""


def verify_chain(
    app: Maillage,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
    history: History | None = None,
) -> ChainReport:
    """Recompute the chain over every stored event (and at ``checkpoint``'s position, with
    the links of its ``history`` when there is one)."""
    with Verifier.of(app, checkpoint=checkpoint, history=history) as verifier:
        for position, total in verifier.steps():
            if progress is not None:
                progress(position, total)
        assert verifier.report is not None
        return verifier.report


def replay_views(
    app: Maillage,
    scratch: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReplayReport:
    """Rebuild every view from the log in a scratch store and compare it with the live one."""
    return replay(app, scratch, progress)


REPORT_KINDS: tuple[str, ...] = ("service-fait", "cold-chain", "welfare", "custody", "provenance")


def make_report(
    app: Maillage,
    kind: str,
    made_by: str,
    role: str,
    show_texts: bool = True,
    withheld: str = "",
    **values: Any,
) -> Report:
    """An audit report of ``kind`` made from the log at the chain's head taken now (stated in
    the report). ``values``: municipality and month, round, serial or establishment, session."""
    log = LogAsOf.capture(app, made_by=made_by, role=role)
    if kind == "service-fait":
        return build_service_fait(log, values["municipality"], values["month"])
    if kind == "cold-chain":
        return build_cold_chain(log, values["round"])
    if kind == "welfare":
        return build_welfare(
            log, values["municipality"], values.get("month"), show_texts=show_texts,
            withheld=withheld,
        )  # fmt: skip
    if kind == "custody":
        if values.get("establishment") is not None:
            return build_establishment_custody(log, values["establishment"])
        return build_device_custody(log, values["serial"])
    if kind == "provenance":
        return build_provenance(log, values["session"])
    raise InvalidInputError(f"no audit report {kind!r}: one of {', '.join(REPORT_KINDS)}")


def with_authors(
    app: Maillage, entries: Iterable[LogEntry]
) -> Iterator[tuple[LogEntry, CommandInfo | None]]:
    """Each log entry with the command record that covers it (who, with which role and
    command), resolved a page at a time."""
    page: list[LogEntry] = []
    for entry in entries:
        page.append(entry)
        if len(page) == AUTHOR_PAGE:
            yield from _page_authors(app, page)
            page = []
    yield from _page_authors(app, page)


def _page_authors(
    app: Maillage, page: list[LogEntry]
) -> Iterator[tuple[LogEntry, CommandInfo | None]]:
    found = commands_at(app, [e.position for e in page])
    for entry in page:
        yield entry, found.get(entry.position)
