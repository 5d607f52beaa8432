"""A beneficiary's file from registration to the end of the service, told as a story."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import clock
from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, RuleViolationError
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.personal import Erasure
from domain.store import StoreLocation

TOURS = "37261"
CONTRACT = Contract(
    (
        PriceBracket("low", 12_000, 450, 150),
        PriceBracket("middle", 24_000, 620, 180),
        PriceBracket("high", None, 790, 210),
    )
)


def open_file(app: Maillage, town: Municipality, file_number: str = "2026-0042") -> Beneficiary:
    person = Beneficiary.register(
        TOURS,
        file_number,
        town.id,
        {
            "name": "Jeanne Moreau",
            "address": "12 rue Colbert",
            "phone": "02 47 00 00 00",
            "contact_person": "Paul Moreau (son)",
            "access_notes": "key box 1942",
        },
        47.3961,
        0.6919,
        "middle",
        window=("09:00", "11:30"),
        service_time_s=420,
    )
    app.save(person)
    return person


def test_a_beneficiary_file_from_opening_to_end(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town = Municipality.register(TOURS, "Tours", "PPDC Tours Nord", "ccas@ville-tours.fr", CONTRACT)
    app.save(town)
    assert town.contract.bracket("middle").meal_price_cents == 620

    # The CCAS opens a file; nothing is served until the diet and the week are known.
    person = open_file(app, town)
    with pytest.raises(RuleViolationError, match="has no diet prescribed"):
        person.activate(date(2026, 3, 9))
    person.prescribe_diet("no_salt", "minced", ["Peanuts ", "gluten"], ["pork"])
    person.set_weekly_pattern({0: 1, 2: 1, 4: 2, 5: 1, 6: 1})
    person.activate(date(2026, 3, 9))
    app.save(person)

    # Back from the store, personal data opened, schedule as prescribed.
    person = app.get(person.id, Beneficiary)
    assert person.personal.value["name"] == "Jeanne Moreau"
    assert person.diet is not None and person.diet.value["allergens"] == ["gluten", "peanuts"]
    monday, tuesday = date(2026, 3, 9), date(2026, 3, 10)
    assert (person.meals_on(monday), person.meals_on(tuesday)) == (1, 0)
    assert person.meals_on(monday - timedelta(days=7)) == 0  # before the first day

    # A hospital stay pauses the service and it resumes by itself.
    app.edit(
        person.id,
        Beneficiary,
        lambda b: b.suspend(date(2026, 3, 16), date(2026, 3, 23), "hospital"),
    )
    person = app.get(person.id, Beneficiary)
    assert person.status_on(date(2026, 3, 18)) == "paused"
    assert person.meals_on(date(2026, 3, 16)) == 0
    assert (
        person.meals_on(date(2026, 3, 23)) == 1 and person.status_on(date(2026, 3, 23)) == "active"
    )
    with pytest.raises(RuleViolationError, match="already suspended from 2026-03-16 to 2026-03-23"):
        person.suspend(date(2026, 3, 20), date(2026, 3, 25), "holiday")

    # An extra meal for a visit; then the service stops.
    app.edit(person.id, Beneficiary, lambda b: b.add_extra_meals(date(2026, 3, 24), 1))
    app.edit(person.id, Beneficiary, lambda b: b.stop(date(2026, 3, 31), "moved to a care home"))
    person = app.get(person.id, Beneficiary)
    assert person.meals_on(date(2026, 3, 24)) == 1
    assert person.meals_on(date(2026, 3, 30)) == 1 and person.meals_on(date(2026, 4, 6)) == 0
    with pytest.raises(RuleViolationError, match="is stopped: this needs it to be active"):
        person.suspend(date(2026, 4, 1), date(2026, 4, 8), "holiday")
    assert person.version == 7  # registered, diet, week, activated, suspended, extra, stopped


def test_erasure_keeps_the_file_but_not_the_person(location: StoreLocation) -> None:
    app = Maillage(location)
    town = Municipality.register(TOURS, "Tours", "PPDC Tours Nord", "ccas@ville-tours.fr", CONTRACT)
    app.save(town)
    person = open_file(app, town)
    person.prescribe_diet("normal", "normal", [], [])
    app.save(person)

    app.erase_subject(Erasure(person.id, "the person", clock.now(), "DPO"))
    other = Maillage(location)
    erased = other.get(person.id, Beneficiary)
    assert erased.personal.erased and erased.home.erased
    assert erased.diet is not None and erased.diet.erased
    assert (erased.file_number, erased.insee_code, erased.price_bracket) == (
        "2026-0042",
        TOURS,
        "middle",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file_number": " "}, "needs a file number"),
        ({"personal": {"name": ""}}, "has no name"),
        ({"personal": {"name": "A", "religion": "x"}}, "unknown personal fields: religion"),
        ({"latitude_deg": 123.0}, "impossible position"),
        ({"window": ("12:00", "09:00")}, "delivery window 12:00-09:00"),
        ({"window": ("9h", "12:00")}, "is not HH:MM-HH:MM"),
    ],
)
def test_bad_registrations_name_the_fault(changes: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "insee_code": TOURS,
        "file_number": "F1",
        "municipality_id": Municipality.create_id(TOURS),
        "personal": {"name": "Jeanne"},
        "latitude_deg": 47.39,
        "longitude_deg": 0.69,
        "price_bracket": "low",
    }
    args.update(changes)
    with pytest.raises(InvalidInputError, match=message):
        Beneficiary.register(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ((), "at least one price bracket"),
        ((PriceBracket("a", None, 1, 1), PriceBracket("b", 10, 1, 1)), "increasing income order"),
        ((PriceBracket("a", 10, 1, 1), PriceBracket("a", None, 1, 1)), "names must be distinct"),
        ((PriceBracket("a", None, -1, 1),), "negative price"),
    ],
)
def test_bad_contracts_are_refused(brackets: tuple[PriceBracket, ...], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Contract(brackets)


@pytest.mark.parametrize("code", ["3726", "ABCDE", "2C001", ""])
def test_bad_insee_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInputError, match="INSEE code"):
        Municipality.register(code, "X", "D", "c", CONTRACT)
