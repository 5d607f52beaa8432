"""Monthly statements bill delivered meals only, explain every gap, keep prices of their time."""

from __future__ import annotations

from datetime import date, timedelta

from domain.clock import FixedClock
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import (
    monthly_statement,
    spreadsheet_safe,
    statement_markdown,
    statement_rows,
)
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket

MONDAY = date(2026, 3, 2)
OLD = Contract((PriceBracket("low", 12_000, 450, 150), PriceBracket("high", None, 790, 210)))
NEW = Contract((PriceBracket("low", 12_000, 500, 150), PriceBracket("high", None, 800, 210)))


def person(
    town: Municipality, file_number: str, bracket: str, pattern: dict[int, int]
) -> Beneficiary:
    b = Beneficiary.register(
        "37261", file_number, town.id, {"name": f"Person {file_number}"}, 47.39, 0.69, bracket
    )
    b.prescribe_diet("normal", "normal", [], [])
    b.set_weekly_pattern(pattern)
    b.activate(MONDAY)
    return b


def delivered_round(day: date, outcomes: list[tuple[Beneficiary, int, str]]) -> MealRound:
    rnd = MealRound.plan(day, "D", "P", "V", [(b.id, meals, "box") for b, meals, _ in outcomes])
    rnd.load({"box": ("probe", 2.0)})
    for b, _, outcome in outcomes:
        contact = {"called": "ccas", "result": "reached"} if outcome == "absent" else None
        rnd.record_stop(b.id, outcome, rnd.loaded_at, contact=contact)
    rnd.complete()
    return rnd


def test_statement_bills_delivered_meals_with_reason_codes_and_dated_prices(
    fixed_clock: FixedClock,
) -> None:
    town = Municipality.register("37261", "Tours", "D", "ccas@tours.fr", OLD)
    town.renew_contract(NEW, effective_from=MONDAY + timedelta(days=2))  # from Wednesday
    jeanne = person(town, "F1", "low", {0: 1, 2: 1})  # Monday and Wednesday
    louis = person(town, "F2", "high", {0: 2, 4: 1, 5: 1, 6: 1})  # Monday 2; Friday brings 3
    rounds = [
        delivered_round(MONDAY, [(jeanne, 1, "put_in_fridge"), (louis, 2, "absent")]),
        delivered_round(MONDAY + timedelta(days=2), [(jeanne, 1, "handed_over")]),
        # Friday's round never happened for Louis: NO_ROUND for 3 meals.
    ]

    statement = monthly_statement(town, [jeanne, louis], rounds, "2026-03")
    lines = {line.file_number: line for line in statement.lines}

    # Jeanne: every Monday and Wednesday of March is planned (10 days), 2 delivered.
    assert lines["F1"].delivered == lines["F1"].billed == 2
    assert lines["F1"].amount_cents == (450 + 150) + (500 + 150)  # old price Monday, new Wednesday
    assert lines["F1"].planned == 9  # Mondays 2,9,16,23,30 and Wednesdays 4,11,18,25
    assert lines["F1"].gaps == {"NO_ROUND": 7}
    assert lines["F2"].delivered == 0 and lines["F2"].amount_cents == 0
    assert lines["F2"].gaps["ABSENT"] == 2
    assert statement.delivered == 2 and statement.amount_cents == 1250

    text = statement_markdown(statement)
    assert "Person" not in text  # no personal data on a statement
    assert "| F1 | low | 9 | 2 | 2 | 2 | 12,50\u00a0€ | NO_ROUND 7 |" in text


def test_csv_cells_cannot_become_formulas() -> None:
    assert spreadsheet_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for risky in ("+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(risky).startswith("'")
    assert spreadsheet_safe("F-12") == "F-12" and spreadsheet_safe(12) == "12"


def test_csv_rows_escape_every_cell(fixed_clock: FixedClock) -> None:
    town = Municipality.register("37261", "Tours", "D", "c", OLD)
    evil = person(town, "=cmd|' /C calc'!A0", "low", {0: 1})
    rows = statement_rows(monthly_statement(town, [evil], [], "2026-03"))
    assert rows[0][0] == "month"
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_a_month_in_progress_counts_only_days_so_far(fixed_clock: FixedClock) -> None:
    town = Municipality.register("37261", "Tours", "D", "c", OLD)
    jeanne = person(town, "F1", "low", {0: 1})
    rounds = [delivered_round(MONDAY, [(jeanne, 1, "handed_over")])]
    whole = monthly_statement(town, [jeanne], rounds, "2026-03")
    so_far = monthly_statement(town, [jeanne], rounds, "2026-03", until=MONDAY + timedelta(days=6))
    assert (whole.planned, so_far.planned) == (5, 1)
    assert so_far.lines[0].gaps == {} and so_far.delivered == 1


def test_html_statement_is_self_contained_and_escaped(fixed_clock: FixedClock) -> None:
    from domain.meals.billing import statement_html

    town = Municipality.register("37261", "Tours <b>", "D", "c", OLD)
    evil = person(town, "<script>alert(1)</script>", "low", {0: 1})
    page = statement_html(monthly_statement(town, [evil], [], "2026-03"))
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http" not in page and "src=" not in page  # nothing fetched from outside
    assert "Person" not in page
