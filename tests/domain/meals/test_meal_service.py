"""The meal service both front ends call: commands find what they act on as people name it,
and a refusal names it the same way — a file number, a stop number, an alert's category and
time — never a UUID."""

from __future__ import annotations

import re
from datetime import date

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import STATEMENT_FORMATS, render_statement
from domain.store import StoreLocation

from .test_round_service import MONDAY, tours_with_people

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")


def no_uuid(error: pytest.ExceptionInfo[Exception]) -> str:
    text = str(error.value)
    assert not UUID_TEXT.search(text), text
    return text


@pytest.fixture
def app(sqlite_location: StoreLocation, fixed_clock: FixedClock) -> Maillage:
    store = Maillage(sqlite_location)
    tours_with_people(store, 3)
    return store


def test_a_round_through_the_service_and_refusals_that_name_stops(app: Maillage) -> None:
    rnd, _ = meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12")
    assert meals.find_round(app, str(rnd.id)[:8]) == rnd.id
    assert [r["id"] for r in meals.round_rows(app, MONDAY)] == [str(rnd.id)]
    boxes = {s["box"]: ("P1", 2.5) for s in rnd.stops}
    meals.load_boxes(app, rnd.id, boxes)
    second = rnd.stops[1]
    file_number = app.get(second["beneficiary"], Beneficiary).file_number
    done = meals.record_stop_of_file(app, rnd.id, "37261", file_number, "put_in_fridge")
    assert [s["outcome"] for s in done.round.stops][1] == "put_in_fridge"

    with pytest.raises(RuleViolationError) as twice:
        meals.record_stop(app, rnd.id, second["beneficiary"], "put_in_fridge")
    assert no_uuid(twice) == f"stop 2 (file {file_number}): its outcome is already recorded"

    with pytest.raises(NotFoundError) as unknown:
        meals.record_stop_of_file(app, rnd.id, "37261", "F99", "put_in_fridge")
    assert no_uuid(unknown) == "no beneficiary file F99 in 37261"

    with pytest.raises(NotFoundError) as no_round:
        meals.find_round(app, "ffffff")
    assert "no round with id 'ffffff'" in no_uuid(no_round)


def test_a_file_outside_the_round_is_named(app: Maillage) -> None:
    town = meals.find_municipality(app, "37261")
    tuesday_only = Beneficiary.register(
        "37261", "T01", town.id, {"name": "Tuesday"}, 47.39, 0.69, "std", service_time_s=120
    )
    tuesday_only.prescribe_diet("normal", "normal", [], [])
    tuesday_only.set_weekly_pattern({1: 1})
    tuesday_only.activate(date(2026, 3, 2))
    app.save(tuesday_only)
    rnd, _ = meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12")
    assert [b.file_number for b in meals.beneficiaries(app, "37261")] == [
        "F00", "F01", "F02", "T01"
    ]  # fmt: skip
    with pytest.raises(InvalidInputError) as error:
        meals.pin_stop_of_file(app, rnd.id, "37261", "T01", True)
    assert no_uuid(error) == "file T01 has no stop in the round of 2026-03-09 (L. Petit)"
    pinned = meals.pin_stop_of_file(app, rnd.id, "37261", "F00", True)
    assert [s["pinned"] for s in pinned.stops if s["beneficiary"] == tuesday_only.id] == []
    assert any(s["pinned"] for s in pinned.stops)


def test_alerts_are_refused_by_their_category_and_time(app: Maillage) -> None:
    alert = meals.raise_alert(app, "37261", "F01", "health", "high", "fell", "L. Petit")
    meals.acknowledge_alert(app, alert.id, "Mme Roy")
    meals.close_alert(app, alert.id, "resolved", "Mme Roy")
    with pytest.raises(RuleViolationError) as error:
        meals.acknowledge_alert(app, alert.id, "Mme Roy")
    assert no_uuid(error) == "the health alert raised 2026-03-02 09:00 CET is already closed"
    status, trail = meals.alert_trail(app, alert.id, with_notes=False)
    assert status == "closed" and trail["outcome"] == "resolved"
    assert [a["status"] for a in meals.alert_rows(app, "37261")] == ["closed"]
    assert meals.alert_rows(app, "37261", open_only=True) == []


def test_one_statement_for_every_format(app: Maillage) -> None:
    statement = meals.statement(app, "37261", "2026-03", today=date(2026, 3, 31))
    assert statement.insee_code == "37261"
    texts = {fmt: render_statement(statement, fmt) for fmt in STATEMENT_FORMATS}
    assert texts["md"].startswith("#") and "<" in texts["html"] and '"insee_code"' in texts["json"]
    with pytest.raises(InvalidInputError, match="statement format 'pdf'"):
        render_statement(statement, "pdf")
