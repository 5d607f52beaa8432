"""The welfare watch acts by itself: an absence with nobody reached raises an alert at once,
and patterns across days (uneaten meals, absences) raise one with the evidence, per the
municipality's rules; door signals are sealed with the person's key."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket, WelfareRules
from domain.meals.welfare_alert import WelfareAlert
from domain.store import StoreLocation

MONDAY = date(2026, 3, 9)


def _town_and_person(app: Maillage) -> tuple[Municipality, Beneficiary]:
    town = Municipality.register(
        "37261", "Tours", "PPDC Tours Nord", "c", Contract((PriceBracket("std", None, 500, 100),))
    )
    town.configure_service(240, 240, (47.39, 0.689), by="depot manager")
    b = Beneficiary.register(
        "37261", "2026-007", town.id, {"name": "Odette Roy"}, 47.395, 0.69, "std",
        window=("08:30", "12:00"), service_time_s=300,
    )  # fmt: skip
    b.prescribe_diet("normal", "normal", [], [])
    b.set_weekly_pattern({d: 1 for d in range(5)})
    b.activate(date(2026, 3, 2))
    app.save(town, b)
    return town, b


def _day(app: Maillage, day: date, outcome: str, **details: object) -> meals.StopRecorded:
    rnd, _ = meals.plan_day(app, "37261", day, "L. Petit", "VAN-12")
    meals.load_boxes(app, rnd.id, {"box-1": ("P-1", 2.0)})
    return meals.record_stop_of_file(app, rnd.id, "37261", "2026-007", outcome, **details)


def test_absent_and_nobody_reached_raises_an_alert_by_itself(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    _, person = _town_and_person(app)
    reached = {"called": "contact_person", "result": "reached"}
    assert _day(app, MONDAY, "absent", contact=reached).alerts == []

    done = _day(app, MONDAY + timedelta(days=1), "absent",
                contact={"called": "both", "result": "not_reached"})  # fmt: skip
    (alert,) = done.alerts
    again = app.get(alert.id, WelfareAlert)
    assert (again.category, again.severity, again.rule) == ("self_care_safety", "high",
                                                            "absent_unreached")  # fmt: skip
    assert again.beneficiary_id == person.id and again.raised_by == meals.WATCH
    assert again.note.value.startswith("absent at stop 1 (file 2026-007) of 2026-03-10 Tours")
    assert "nobody reached (called: both)" in again.note.value
    assert "CET" in again.note.value


def test_patterns_across_days_raise_an_alert_with_the_evidence(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town, _ = _town_and_person(app)
    rules = WelfareRules(uneaten_count=2, uneaten_days=7, pattern_severity="high")
    meals.set_welfare_rules(app, "37261", rules, "CCAS director")
    uneaten = {"signals": ["previous_meal_not_eaten", "fridge_not_used"],
               "signals_note": "yesterday's tray untouched"}  # fmt: skip
    assert _day(app, MONDAY, "put_in_fridge", **uneaten).alerts == []
    assert _day(app, MONDAY + timedelta(days=1), "put_in_fridge").alerts == []
    (alert,) = _day(app, MONDAY + timedelta(days=3), "put_in_fridge", **uneaten).alerts
    assert (alert.rule, alert.category, alert.severity) == ("uneaten_meals", "health", "high")
    assert alert.note.value == (
        "previous meal not eaten 2 times within 7 days (rule: 2): "
        "stop 1 (file 2026-007) of 2026-03-09 Tours · L. Petit; "
        "stop 1 (file 2026-007) of 2026-03-12 Tours · L. Petit"
    )
    # While that alert is open, a third uneaten meal raises no second one.
    assert _day(app, MONDAY + timedelta(days=4), "put_in_fridge", **uneaten).alerts == []
    assert app.get(town.id, Municipality).welfare_rules == rules


def test_three_absences_in_a_month(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    _town_and_person(app)
    reached = {"contact": {"called": "contact_person", "result": "reached"}}
    raised = [_day(app, MONDAY + timedelta(days=7 * w), "absent", **reached).alerts
              for w in range(3)]  # fmt: skip
    assert raised[0] == [] and raised[1] == []
    (alert,) = raised[2]
    assert alert.rule == "absences" and alert.note.value.startswith("absent 3 times within 30")


def test_door_signals_are_checked_and_sealed(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    _, person = _town_and_person(app)
    rnd, _ = meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12")
    meals.load_boxes(app, rnd.id, {"box-1": ("P-1", 2.0)})
    with pytest.raises(InvalidInputError, match="signal 'dog_barking' is not one of"):
        meals.record_stop_of_file(app, rnd.id, "37261", "2026-007", "put_in_fridge",
                                  signals=["dog_barking"])  # fmt: skip
    meals.record_stop_of_file(app, rnd.id, "37261", "2026-007", "put_in_fridge",
                              signals=["mail_piling_up"], signals_note="seemed lost")  # fmt: skip
    stored = b"".join(bytes(e.state) for e in app.recorder.select_events(rnd.id))
    assert b"mail_piling_up" not in stored and b"seemed lost" not in stored
    stop = app.get(rnd.id, type(rnd)).stops[0]
    assert stop["door"].value == {"signals": ["mail_piling_up"], "note": "seemed lost"}
    assert stop["door"].subject == person.id


def test_welfare_rules_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="uneaten meals: 0 within 7 days"):
        WelfareRules(uneaten_count=0)
    with pytest.raises(InvalidInputError, match="severity 'huge' is not one of"):
        WelfareRules(absent_severity="huge")


def test_the_stop_and_its_alert_are_recorded_together_or_not_at_all(
    location: StoreLocation, fixed_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the alert cannot be written, the stop is not written either: no state exists
    where an absent-unreached stop is recorded and its alert is missing."""
    app = Maillage(location)
    _town_and_person(app)
    rnd, _ = meals.plan_day(app, "37261", MONDAY, "L. Petit", "VAN-12")
    meals.load_boxes(app, rnd.id, {"box-1": ("P-1", 2.0)})
    before = app.last_position()
    insert = app.recorder.insert_events

    def refuse_alerts(stored: list, **kwargs: object) -> object:
        if any("WelfareAlert" in e.topic for e in stored):
            raise OSError("disk full while writing the alert")
        return insert(stored, **kwargs)

    monkeypatch.setattr(app.recorder, "insert_events", refuse_alerts)
    with pytest.raises(OSError, match="disk full"):
        meals.record_stop_of_file(app, rnd.id, "37261", "2026-007", "absent",
                                  contact={"called": "both", "result": "not_reached"})  # fmt: skip
    assert app.last_position() == before
    assert app.get(rnd.id, type(rnd)).stops[0]["outcome"] is None
