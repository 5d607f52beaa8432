"""A meal round's day: planned, loaded, an excursion, a release, stops, completed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import beneficiary_id
from domain.meals.meal_round import MealRound
from domain.store import StoreLocation

A, B, C = (beneficiary_id("37261", f"F{i}") for i in range(3))


def planned() -> MealRound:
    return MealRound.plan(
        date(2026, 3, 2),
        "PPDC Tours Nord",
        "L. Petit",
        "VAN-12",
        [(A, 1, "box-1"), (B, 3, "box-1"), (C, 1, "box-2")],
    )


def test_a_round_with_an_excursion_released_by_a_named_person(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    rnd = planned()
    rnd.reorder([C, A, B])
    rnd.pin(C)
    rnd.load({"box-1": ("probe-7", 2.1), "box-2": ("probe-9", 1.8)})
    app.save(rnd)
    with pytest.raises(RuleViolationError, match="is loaded: this needs it planned"):
        rnd.reorder([A, B, C])

    t0 = fixed_clock.now()
    fixed_clock.set(t0 + timedelta(hours=2))  # entered at the end of the round, once done
    app.edit(
        rnd.id,
        MealRound,
        lambda r: r.record_probe_reading("box-1", 2.6, t0 + timedelta(minutes=20)),
    )
    app.edit(
        rnd.id,
        MealRound,
        lambda r: r.record_probe_reading("box-1", 4.2, t0 + timedelta(minutes=40)),
    )
    app.edit(
        rnd.id,
        MealRound,
        lambda r: r.record_probe_reading("box-1", 4.8, t0 + timedelta(minutes=50)),
    )

    rnd = app.get(rnd.id, MealRound)
    assert [s["beneficiary"] for s in rnd.stops] == [C, A, B] and rnd.stops[0]["pinned"]
    assert len(rnd.excursions) == 1  # one excursion, not one per high reading
    assert rnd.excursions[0]["temperature_c"] == 4.2
    with pytest.raises(
        RuleViolationError, match="box 'box-1' is blocked by a cold-chain excursion"
    ):
        rnd.record_stop(A, "put_in_fridge", t0 + timedelta(hours=1))

    rnd.record_stop(
        C,
        "handed_over",
        t0 + timedelta(minutes=55),
        handover_temperature_c=2.0,
        position=(47.3961, 0.6919),
    )
    rnd.release_box(
        "box-1", "M. Martin (chef de cuisine)", "reading 4.8 °C for under 30 min, core 3.1 °C"
    )
    rnd.record_stop(A, "put_in_fridge", t0 + timedelta(hours=1))
    with pytest.raises(InvalidInputError, match="needs the contact procedure"):
        rnd.record_stop(B, "absent", t0 + timedelta(hours=1, minutes=10))
    rnd.record_stop(
        B,
        "absent",
        t0 + timedelta(hours=1, minutes=10),
        contact={"called": "contact_person", "result": "reached"},
    )
    with pytest.raises(RuleViolationError, match="already recorded"):
        rnd.record_stop(B, "handed_over", t0 + timedelta(hours=2))
    rnd.complete(at=t0 + timedelta(hours=1, minutes=30))
    app.save(rnd)

    done = Maillage(location).get(rnd.id, MealRound)
    assert done.status == "completed"
    assert done.meals_delivered() == 2  # C's 1 and A's 1; B was absent
    assert done.excursions[0]["decision"] == {
        "by": "M. Martin (chef de cuisine)",
        "reason": "reading 4.8 °C for under 30 min, core 3.1 °C",
    }
    assert [t for _, t in done.box_curve("box-1")] == [2.1, 2.6, 4.2, 4.8]
    with pytest.raises(RuleViolationError, match="is completed"):
        done.record_probe_reading("box-1", 2.0, t0)


def test_a_warm_box_at_loading_opens_an_excursion_at_once(fixed_clock: FixedClock) -> None:
    rnd = planned()
    rnd.load({"box-1": ("probe-7", 3.4), "box-2": ("probe-9", 1.8)})
    assert rnd.boxes["box-1"]["blocked"] and not rnd.boxes["box-2"]["blocked"]
    assert rnd.excursions[0]["at"] == fixed_clock.now()


def test_a_round_cannot_complete_with_open_stops() -> None:
    rnd = planned()
    rnd.load({"box-1": ("p", 2.0), "box-2": ("q", 2.0)})
    with pytest.raises(RuleViolationError, match="3 stops have no outcome yet"):
        rnd.complete()


@pytest.mark.parametrize(
    ("stops", "message"),
    [
        ([], "at least one stop"),
        ([(A, 1, "b"), (A, 1, "b")], "twice in the round"),
        ([(A, 0, "b")], "at least one meal"),
        ([(A, 1, " ")], "needs the box"),
    ],
)
def test_bad_plans_are_refused(stops: list[tuple[object, int, str]], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        MealRound.plan(date(2026, 3, 2), "D", "P", "V", stops)  # type: ignore[arg-type]


def test_loading_must_cover_every_box_and_reorder_every_stop() -> None:
    rnd = planned()
    with pytest.raises(InvalidInputError, match="name every stop"):
        rnd.reorder([A, B])
    with pytest.raises(InvalidInputError, match="boxes not loaded: box-2"):
        rnd.load({"box-1": ("p", 2.0)})
