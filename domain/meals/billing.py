"""Monthly statements: the municipality pays for meals actually delivered ("service fait").

For each beneficiary and delivery day of the month: meals planned by the
schedule, meals delivered by the rounds, meals billed (= delivered), and a
reason code for every gap between planned and delivered. Amounts use the
contract in force on each delivery day and the beneficiary's income bracket.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.errors import InvalidInputError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import DELIVERED, MealRound
from domain.meals.municipality import Municipality
from domain.meals.ordering import meal_days

GAP_REASONS: dict[str | None, str] = {
    "absent": "ABSENT",
    "refused": "REFUSED",
    "hospitalised": "HOSPITALISED",
    "other": "OTHER",
    None: "NO_ROUND",  # planned, but on no completed round that day
}
"""Reason code for meals planned but not delivered, by stop outcome."""


@dataclass
class StatementLine:
    """One beneficiary's month (non-personal: file number, counts and amounts)."""

    beneficiary_id: UUID
    file_number: str
    price_bracket: str
    planned: int = 0
    delivered: int = 0
    deliveries: int = 0
    amount_cents: int = 0
    gaps: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def billed(self) -> int:
        return self.delivered


@dataclass(frozen=True)
class Statement:
    """A municipality's statement for one month."""

    municipality: str
    insee_code: str
    month: str
    lines: list[StatementLine]

    @property
    def planned(self) -> int:
        return sum(line.planned for line in self.lines)

    @property
    def delivered(self) -> int:
        return sum(line.delivered for line in self.lines)

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def gaps(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for line in self.lines:
            for code, meals in line.gaps.items():
                total[code] += meals
        return dict(sorted(total.items()))


def month_days(month: str) -> list[date]:
    """Every day of ``YYYY-MM``."""
    year, number = (int(x) for x in month.split("-"))
    first = date(year, number, 1)
    return [first + timedelta(days=i) for i in range(calendar.monthrange(year, number)[1])]


def monthly_statement(
    municipality: Municipality,
    beneficiaries: Iterable[Beneficiary],
    rounds: Iterable[MealRound],
    month: str,
    until: date | None = None,
) -> Statement:
    """The statement of ``month`` (``YYYY-MM``) from the schedules and the completed rounds.

    ``until`` (included) cuts a month in progress: later days are not yet due.
    """
    days = {d.isoformat() for d in month_days(month) if until is None or d <= until}
    people = {b.id: b for b in beneficiaries if b.municipality_id == municipality.id}
    stops: dict[tuple[UUID, str], dict[str, Any]] = {}
    for rnd in rounds:
        if rnd.status == "completed" and rnd.day in days:
            for stop in rnd.stops:
                if stop["beneficiary"] in people:
                    stops[(stop["beneficiary"], rnd.day)] = stop

    lines = []
    for b in sorted(people.values(), key=lambda p: p.file_number):
        line = StatementLine(b.id, b.file_number, b.price_bracket)
        for iso in sorted(days):
            day = date.fromisoformat(iso)
            planned = sum(b.meals_on(d) for d in meal_days(day, municipality.delivery_weekdays))
            stop = stops.get((b.id, iso))
            outcome = stop["outcome"] if stop else None
            delivered = int(stop["meals"]) if stop and outcome in DELIVERED else 0
            line.planned += planned
            line.delivered += delivered
            if delivered:
                prices = municipality.contract_on(day).bracket(b.price_bracket)
                line.deliveries += 1
                line.amount_cents += (
                    delivered * prices.meal_price_cents + prices.delivery_price_cents
                )
            if planned > delivered:
                line.gaps[GAP_REASONS.get(outcome, "OTHER")] += planned - delivered
        if line.planned or line.delivered:
            line.gaps = dict(line.gaps)
            lines.append(line)
    return Statement(municipality.name, municipality.insee_code, month, lines)


def euros(cents: int) -> str:
    """An amount for people: ``1 234,56 €`` (French formatting)."""
    whole, rest = divmod(abs(cents), 100)
    text = f"{whole:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"
    return f"-{text}" if cents < 0 else text


def statement_markdown(statement: Statement) -> str:
    """A printable statement (Markdown) without any personal data."""
    out = [
        f"# Meal service statement — {statement.municipality} ({statement.insee_code}), "
        f"{statement.month}",
        "",
        f"Meals planned: {statement.planned} · delivered and billed: {statement.delivered} · "
        f"amount due: {euros(statement.amount_cents)}",
        "",
        "| file | bracket | planned | delivered | billed | deliveries | amount | gaps |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for line in statement.lines:
        gaps = ", ".join(f"{code} {n}" for code, n in sorted(line.gaps.items())) or "—"
        out.append(
            f"| {line.file_number} | {line.price_bracket} | {line.planned} | {line.delivered} | "
            f"{line.billed} | {line.deliveries} | {euros(line.amount_cents)} | {gaps} |"
        )
    out += ["", "Gap codes: " + ", ".join(f"{c} {n}" for c, n in statement.gaps().items())]
    return "\n".join(out) + "\n"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def statement_rows(statement: Statement) -> list[list[str]]:
    """The statement as CSV rows (header first), every cell spreadsheet-safe."""
    rows = [
        [
            "month",
            "insee_code",
            "file_number",
            "price_bracket",
            "planned",
            "delivered",
            "billed",
            "deliveries",
            "amount_eur",
            "gaps",
        ]
    ]
    for line in statement.lines:
        rows.append(
            [
                spreadsheet_safe(v)
                for v in (
                    statement.month,
                    statement.insee_code,
                    line.file_number,
                    line.price_bracket,
                    line.planned,
                    line.delivered,
                    line.billed,
                    line.deliveries,
                    f"{line.amount_cents / 100:.2f}",
                    ";".join(f"{c}={n}" for c, n in sorted(line.gaps.items())),
                )
            ]
        )
    return rows


_HTML_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #d5dbe3;padding:.35rem .5rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.summary{margin:1rem 0;padding:.75rem;background:#f2f5f9;border-radius:.4rem}
footer{margin-top:1.5rem;color:#5b6775;font-size:.8rem}
@media print{body{margin:0}}
"""


def statement_html(statement: Statement) -> str:
    """A printable, self-contained HTML statement (no external resources, no personal data)."""
    from html import escape

    rows = []
    for line in statement.lines:
        gaps = ", ".join(f"{c} {n}" for c, n in sorted(line.gaps.items())) or "—"
        cells = [
            escape(line.file_number),
            escape(line.price_bracket),
            *(
                f'<td class="n">{v}</td>'
                for v in (line.planned, line.delivered, line.billed, line.deliveries)
            ),
            f'<td class="n">{escape(euros(line.amount_cents))}</td>',
            escape(gaps),
        ]
        rows.append(
            "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>"
        )
    gaps = ", ".join(f"{c} {n}" for c, n in statement.gaps().items()) or "none"
    title = (
        f"Meal service statement — {statement.municipality} ({statement.insee_code}), "
        f"{statement.month}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_HTML_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="summary">Meals planned: {statement.planned} · delivered and billed: '
        f"{statement.delivered} · amount due: <strong>{escape(euros(statement.amount_cents))}"
        '</strong></p><table><thead><tr><th>File</th><th>Bracket</th><th class="n">Planned</th>'
        '<th class="n">Delivered</th><th class="n">Billed</th><th class="n">Deliveries</th>'
        '<th class="n">Amount</th><th>Gaps</th></tr></thead><tbody>'
        + "".join(rows)
        + f"</tbody></table><footer>Gap codes: {escape(gaps)}. Billed = delivered "
        "(service fait).</footer></body></html>\n"
    )


STATEMENT_FORMATS: tuple[str, ...] = ("md", "html", "csv", "json")
"""The forms a statement is written in: Markdown, HTML, CSV (spreadsheet-safe) or JSON."""


def statement_json(statement: Statement) -> dict[str, Any]:
    """The statement as JSON values (counts and cents; no personal data)."""
    return {
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
    }  # fmt: skip


def render_statement(statement: Statement, fmt: str) -> str:
    """The statement written in one of ``STATEMENT_FORMATS``."""
    if fmt == "md":
        return statement_markdown(statement)
    if fmt == "html":
        return statement_html(statement)
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(statement_rows(statement))
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(statement_json(statement), indent=2)
    raise InvalidInputError(
        f"statement format {fmt!r} is not one of {', '.join(STATEMENT_FORMATS)}"
    )
