"""Service fait: a municipality's meals of one month — planned, delivered, not delivered, billed.

The figures are the monthly statement's (``domain.meals.billing.monthly_statement``,
the same computation the invoice uses) over the municipality, its beneficiaries
and the month's rounds as they stood at the report's log position, summed per
price bracket: counts and amounts only, no beneficiary is named or numbered.
Days after the day the report is made (Europe/Paris) are not yet due and not counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.cold_chain import ENTERED_LATER_S
from domain.audit.reports.model import Cell, Euros, Report, Section, check_month
from domain.clock import PARIS
from domain.ids import municipality_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import Statement, month_days, monthly_statement
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Municipality, normalise_insee
from domain.wording import local_time

KIND = "service-fait"
REASONS: dict[str, str] = {
    "ABSENT": "nobody answered (contact procedure recorded)",
    "REFUSED": "the beneficiary refused the meals",
    "HOSPITALISED": "the beneficiary was in hospital",
    "OTHER": "another reason recorded at the stop",
    "NO_ROUND": "planned, but on no completed round that day",
}
"""What each reason code of the statement means (``billing.GAP_REASONS``)."""


def build_service_fait(log: LogAsOf, insee_code: str, month: str) -> Report:
    """The service-fait report of one municipality for one month, as of the log's position."""
    month = check_month(month)
    code = normalise_insee(insee_code)
    town = log.get(municipality_id(code), Municipality, f"municipality with INSEE code {code}")
    people = log.aggregates(
        log.created(Beneficiary.Registered, lambda e: e.municipality_id == town.id), Beneficiary
    )
    rounds = log.aggregates(
        log.created(MealRound.Planned, lambda e: str(e.day).startswith(month + "-")), MealRound
    )
    today = log.made_at.astimezone(PARIS).date()
    statement = monthly_statement(town, people, rounds, month, until=today)
    days = [d for d in month_days(month) if d <= today]
    counted = f"{days[0]} to {days[-1]}" if days else "none yet (the month has not begun)"
    not_delivered = sum(statement.gaps().values())
    summary: tuple[tuple[str, Cell], ...] = (
        ("days_counted", counted),
        ("beneficiaries_served", len(statement.lines)),
        ("meals_planned", statement.planned),
        ("meals_delivered", statement.delivered),
        ("meals_not_delivered", not_delivered),
        ("meals_billed", statement.delivered),
        ("deliveries", sum(line.deliveries for line in statement.lines)),
        ("amount_due", Euros(statement.amount_cents)),
    )
    files = {b.id: b.file_number for b in people if not b.erased}  # an erased file: no row
    return Report(
        kind=KIND,
        title=f"Service fait — {town.name} ({town.insee_code}), {month}",
        subject=(("municipality", f"{town.insee_code} {town.name}"), ("month", month)),
        stated=log.stated,
        summary=summary,
        sections=(
            _by_bracket(statement),
            _reasons(statement),
            _amendments(rounds, files),
            _entered_later(log, rounds, files),
            _prices(town, days),
        ),
        notes=(
            "Billed = delivered (service fait): a meal is billed when its stop was recorded "
            "as put in the fridge or handed over on a completed round.",
            "Amount = meals delivered × the meal price + one delivery price per delivery, "
            "at the prices in force on the delivery day.",
        ),
    )


def _by_bracket(statement: Statement) -> Section:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in statement.lines:
        t = totals[line.price_bracket]
        t["beneficiaries"] += 1
        t["planned"] += line.planned
        t["delivered"] += line.delivered
        t["not_delivered"] += sum(line.gaps.values())
        t["deliveries"] += line.deliveries
        t["amount_cents"] += line.amount_cents
    rows: list[tuple[Cell, ...]] = []
    for bracket in sorted(totals):
        t = totals[bracket]
        rows.append(
            (
                bracket,
                t["beneficiaries"],
                t["planned"],
                t["delivered"],
                t["not_delivered"],
                t["deliveries"],
                t["delivered"],
                Euros(t["amount_cents"]),
            )
        )
    rows.append(
        (
            "all brackets",
            len(statement.lines),
            statement.planned,
            statement.delivered,
            sum(statement.gaps().values()),
            sum(line.deliveries for line in statement.lines),
            statement.delivered,
            Euros(statement.amount_cents),
        )
    )
    return Section(
        "Billed by price bracket",
        (
            "bracket",
            "beneficiaries",
            "meals_planned",
            "meals_delivered",
            "meals_not_delivered",
            "deliveries",
            "meals_billed",
            "amount",
        ),
        rows,
    )


def _reasons(statement: Statement) -> Section:
    rows = [(code, REASONS.get(code, ""), meals) for code, meals in statement.gaps().items()]
    return Section(
        "Not delivered, by reason",
        ("reason", "meaning", "meals_not_delivered"),
        rows,
        note="" if rows else "Every planned meal was delivered.",
    )


def _amendments(rounds: list[MealRound], files: dict[Any, str]) -> Section:
    """Stop outcomes corrected after they were recorded: the original, the one billed, who
    decided (the reason is sealed with the person's key and stays in the log)."""
    rows: list[tuple[Cell, ...]] = []
    for rnd in sorted(rounds, key=lambda r: (r.day, r.postman)):
        for n, stop in enumerate(rnd.stops, 1):
            if stop["beneficiary"] not in files:
                continue
            for a in stop.get("amendments", []):
                rows.append((rnd.day, f"{rnd.vehicle} · {rnd.postman}", n,
                             files[stop["beneficiary"]], a["from"], a["to"], a["by"]))  # fmt: skip
    return Section(
        "Amended outcomes",
        ("day", "round", "stop", "file", "recorded_as", "amended_to", "amended_by"),
        rows,
        note="" if rows else "No stop outcome was amended.",
    )


def _entered_later(log: LogAsOf, rounds: list[MealRound], files: dict[Any, str]) -> Section:
    """Stops and completions entered after they happened (paper rounds): the time each
    happened (``at``, what billing counts) beside the time the log recorded it."""
    rows: list[tuple[Cell, ...]] = []
    by_id = {r.id: r for r in rounds}
    for rid, events in sorted(log.events(list(by_id)).items(), key=lambda kv: by_id[kv[0]].day):
        rnd = by_id[rid]
        number = {s["beneficiary"]: n for n, s in enumerate(rnd.stops, 1)}
        for _, e in events:
            at = getattr(e, "at", None)
            if not isinstance(at, datetime) or (e.timestamp - at).total_seconds() < ENTERED_LATER_S:
                continue
            who = getattr(e, "beneficiary", None)
            if who is not None and who not in files:
                continue
            what = type(e).__name__
            stop: Cell = number.get(who, "") if who is not None else ""
            rows.append((rnd.day, f"{rnd.vehicle} · {rnd.postman}", what, stop,
                         files.get(who, "") if who is not None else "", local_time(at),
                         local_time(e.timestamp)))  # fmt: skip
    return Section(
        "Entered after it happened",
        ("day", "round", "event", "stop", "file", "happened", "recorded"),
        rows,
        note="" if rows else "Every stop and round was recorded as it happened.",
    )


def _prices(town: Municipality, days: list[date]) -> Section:
    """The contract's prices in force over the days counted, one row per bracket and period."""
    periods: list[tuple[date, date, Any]] = []
    for day in days:
        contract = town.contract_on(day)
        if periods and periods[-1][2] == contract:
            periods[-1] = (periods[-1][0], day, contract)
        else:
            periods.append((day, day, contract))
    rows = [
        (
            start.isoformat(),
            end.isoformat(),
            b.name,
            b.max_income_eur,
            Euros(b.meal_price_cents),
            Euros(b.delivery_price_cents),
        )
        for start, end, contract in periods
        for b in contract.brackets
    ]
    return Section(
        "Prices in force",
        ("from", "to", "bracket", "max_income_eur", "meal_price", "delivery_price"),
        rows,
    )
