"""The welfare-alert trail of a municipality: every alert from raised to closed, with its delays.

For each alert: its steps (raised, acknowledged, follow-ups, closed) with who
and when, the delay to acknowledgement and to closing, and whether it was
overdue against the municipality's service level in force when the alert was
raised (``Municipality.configure_service``'s ``acknowledge_within_min``). An
alert still not acknowledged is overdue once the delay has passed at the time
the report is made. Alerts are named by their reference (the first 8 digits of
their id, which the console accepts) and the beneficiary by file number —
``(erased)`` once the person's data was erased — never by name. The note and
follow-up texts are health data: they are shown only when the caller may read
them; otherwise they read as the console's withheld marker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.audit.reports.asof import LogAsOf, Positioned
from domain.audit.reports.model import NOT_SHOWN, Cell, Report, Section, check_month
from domain.clock import PARIS
from domain.ids import municipality_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import DEFAULT_ACKNOWLEDGE_WITHIN_MIN, Municipality, normalise_insee
from domain.meals.welfare_alert import WelfareAlert
from domain.personal import Personal

KIND = "welfare"
OVERDUE = "OVERDUE"


def reference(alert_id: Any) -> str:
    """An alert's reference: the first 8 hex digits of its id (the console finds it by them)."""
    return str(alert_id).replace("-", "")[:8]


def build_welfare(
    log: LogAsOf,
    insee_code: str,
    month: str | None,
    show_texts: bool,
    withheld: str,
) -> Report:
    """The welfare trail of one municipality (alerts raised in ``month`` if given), as of the
    log's position; texts only ``show_texts``, else ``withheld`` stands for each."""
    month = check_month(month) if month else None
    code = normalise_insee(insee_code)
    town_id = municipality_id(code)
    town = log.get(town_id, Municipality, f"municipality with INSEE code {code}")
    levels = _service_levels(log.events([town_id])[town_id])

    def wanted(e: Any) -> bool:
        raised = e.timestamp.astimezone(PARIS).strftime("%Y-%m")
        return e.municipality_id == town.id and (month is None or raised == month)

    ids = log.created(WelfareAlert.Raised, wanted)
    histories = log.events(ids)
    alerts = log.aggregates(ids, WelfareAlert)
    people = {
        b.id: b
        for b in log.aggregates(dict.fromkeys(a.beneficiary_id for a in alerts), Beneficiary)
    }
    alert_rows: list[tuple[Cell, ...]] = []
    step_rows: list[tuple[Cell, ...]] = []
    counts = {"acknowledged": 0, "closed": 0, "overdue": 0, "late": 0}
    ack_delays: list[float] = []
    for alert in alerts:
        history = histories[alert.id]
        within = _level_at(levels, history[0][0])
        ref = reference(alert.id)
        person = people.get(alert.beneficiary_id)
        file_ref = _file_reference(person)
        closed_at = next((e.timestamp for _, e in history if type(e).__name__ == "Closed"), None)
        to_ack = _minutes(alert.created_on, alert.acknowledged_on)
        to_close = _minutes(alert.created_on, closed_at)
        waited = to_ack if to_ack is not None else _minutes(alert.created_on, log.made_at)
        overdue = waited is not None and waited > within
        counts["acknowledged"] += alert.acknowledged_on is not None
        counts["closed"] += alert.status == "closed"
        counts["overdue"] += overdue
        counts["late"] += overdue and to_ack is not None
        if to_ack is not None:
            ack_delays.append(to_ack)
        alert_rows.append(
            (
                ref,
                file_ref,
                alert.category,
                alert.severity,
                alert.status,
                alert.created_on,
                alert.raised_by,
                alert.acknowledged_on,
                alert.acknowledged_by,
                to_ack,
                None if to_ack is not None else waited,
                within,
                OVERDUE if overdue else "",
                closed_at,
                getattr(alert, "closed_by", None),
                alert.outcome,
                to_close,
            )
        )
        step_rows += _steps(ref, history, show_texts, withheld)
    summary: tuple[tuple[str, Cell], ...] = (
        ("alerts", len(alerts)),
        ("acknowledged", counts["acknowledged"]),
        ("closed", counts["closed"]),
        ("open", len(alerts) - counts["closed"]),
        ("overdue", counts["overdue"]),
        ("acknowledged_late", counts["late"]),
        ("not_acknowledged_overdue", counts["overdue"] - counts["late"]),
        ("acknowledge_within_min_now", town.acknowledge_within_min),
        (
            "mean_minutes_to_acknowledge",
            round(sum(ack_delays) / len(ack_delays), 1) if ack_delays else None,
        ),
        ("longest_minutes_to_acknowledge", max(ack_delays) if ack_delays else None),
        ("texts", "shown" if show_texts else "withheld from this role"),
    )
    subject = [("municipality", f"{town.insee_code} {town.name}")]
    if month:
        subject.append(("month", month))
    title = f"Welfare alerts — {town.name} ({town.insee_code})" + (f", {month}" if month else "")
    return Report(
        kind=KIND,
        title=title,
        subject=tuple(subject),
        stated=log.stated,
        summary=summary,
        sections=(
            Section(
                "Alerts",
                (
                    "alert",
                    "beneficiary_file",
                    "category",
                    "severity",
                    "status",
                    "raised_at",
                    "raised_by",
                    "acknowledged_at",
                    "acknowledged_by",
                    "minutes_to_acknowledge",
                    "minutes_waiting",
                    "acknowledge_within_min",
                    "overdue",
                    "closed_at",
                    "closed_by",
                    "outcome",
                    "minutes_to_close",
                ),
                alert_rows,
                note="" if alert_rows else "No welfare alert was raised.",
            ),
            Section(
                "Steps",
                ("alert", "time", "position", "step", "by", "text"),
                step_rows,
            ),
        ),
        notes=(
            "The delay to acknowledge is the municipality's service level in force when the "
            "alert was raised; an alert not acknowledged yet is overdue once that delay has "
            "passed when the report is made (minutes_waiting counts to then).",
            "Alerts are named by reference and beneficiaries by file number, never by name.",
        ),
    )


def _service_levels(town_events: list[Positioned]) -> list[tuple[int, int]]:
    """(position from which it applies, minutes to acknowledge) in log order."""
    levels = [(0, DEFAULT_ACKNOWLEDGE_WITHIN_MIN)]
    for position, e in town_events:
        if type(e).__name__ == "ServiceConfigured":
            levels.append((position, int(e.acknowledge_within_min)))
    return levels


def _level_at(levels: list[tuple[int, int]], position: int) -> int:
    """The minutes to acknowledge in force for an alert raised at ``position``."""
    return [minutes for since, minutes in levels if since < position][-1]


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 1)


def _file_reference(person: Beneficiary | None) -> str:
    """The beneficiary's file number, or ``(erased)`` once the person's data was erased."""
    if person is None:
        return NOT_SHOWN
    if person.erased:
        return NOT_SHOWN
    return str(person.file_number)


def _steps(
    ref: str, history: list[Positioned], show_texts: bool, withheld: str
) -> list[tuple[Cell, ...]]:
    """Each step of one alert with who and when; texts shown or withheld."""

    def text(value: object) -> str:
        if not show_texts:
            return withheld
        return value.text() if isinstance(value, Personal) else str(value)

    rows: list[tuple[Cell, ...]] = []
    for position, e in history:
        kind = type(e).__name__
        if kind == "Raised":
            detail = f"{e.category} · {e.severity} — note: {text(e.note)}"
            rows.append((ref, e.timestamp, position, "raised", e.raised_by, detail))
        elif kind == "Acknowledged":
            rows.append((ref, e.at, position, "acknowledged", e.coordinator, None))
        elif kind == "FollowedUp":
            rows.append((ref, e.timestamp, position, "follow-up", e.by, text(e.action)))
        elif kind == "Closed":
            rows.append((ref, e.timestamp, position, "closed", e.by, f"outcome: {e.outcome}"))
        else:
            rows.append((ref, e.timestamp, position, kind, getattr(e, "by", None), None))
    return rows
