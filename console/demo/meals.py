"""The meal-rounds part of the demo: Tours, 60 beneficiaries, two rounds a day for two weeks.

Names are invented; streets are real streets of Tours' centre. Outcomes,
alerts and the one cold-chain excursion follow what depots report.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.ordering import orders_for
from domain.meals.welfare_alert import WelfareAlert

INSEE_TOURS = "37261"
CENTRE = (47.3941, 0.6848)  # Place Jean-Jaurès
BENEFICIARIES = 60
HISTORY_DAYS = 14
DELIVERY_DAYS = tuple(range(7))
"""Tours' CCAS has meals delivered every day of the week (so the demo is alive any day)."""
CONTRACT = Contract(
    (
        PriceBracket("low", 12_000, 450, 150),
        PriceBracket("middle", 24_000, 620, 180),
        PriceBracket("high", None, 790, 210),
    )
)
_FIRST = [
    "Jeanne",
    "Marcel",
    "Simone",
    "Louis",
    "Germaine",
    "René",
    "Odette",
    "André",
    "Yvette",
    "Roger",
    "Madeleine",
    "Henri",
    "Paulette",
    "Gérard",
    "Suzanne",
    "Robert",
    "Lucienne",
    "Jacques",
    "Colette",
    "Pierre",
]
_LAST = [
    "Moreau",
    "Girard",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Roux",
    "Fournier",
    "Morel",
    "Lambert",
    "Bonnet",
    "Mercier",
    "Blanc",
    "Guérin",
    "Chevalier",
    "Gauthier",
]
_STREETS = [
    "rue Colbert",
    "rue Nationale",
    "place Plumereau",
    "rue du Commerce",
    "rue Bernard Palissy",
    "boulevard Heurteloup",
    "rue de la Scellerie",
    "rue Marceau",
    "rue Néricault-Destouches",
    "quai d'Orléans",
    "rue Étienne Marcel",
    "rue Courteline",
    "avenue de Grammont",
    "rue Febvotte",
    "rue Michelet",
    "rue Origet",
]
_PATTERNS = [
    {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1},
    {0: 1, 2: 1, 4: 1},
    {0: 1, 1: 1, 2: 1, 3: 1, 4: 1},
    {1: 1, 3: 1, 5: 1, 6: 1},
    {0: 2, 2: 2, 4: 2},
]
_REGIMES = ["normal"] * 5 + ["no_salt", "no_salt", "no_sugar", "low_fat"]
_TEXTURES = ["normal"] * 6 + ["minced", "mixed"]


TODAY_LOADED_BEFORE = timedelta(minutes=75)
"""Today's rounds were loaded this long before the demo is built, so they are under way."""


def _at(day: date, hh: int, mm: int) -> datetime:
    """A Paris wall-clock time on ``day``, in UTC."""
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS).astimezone(UTC)


def build_meals_demo(app: Maillage, now: datetime, rng: random.Random) -> None:
    """Record the municipality, its beneficiaries, two weeks of rounds and today's, under way.

    Today (in Paris) has its rounds loaded 75 minutes before ``now``, with box readings and
    the stops due until ``now`` done; alerts of the last days, one of them overdue.
    """
    today = now.astimezone(PARIS).date()
    start = today - timedelta(days=HISTORY_DAYS)
    demo_clock = clock.FixedClock(_at(start - timedelta(days=7), 9, 0))
    with clock.using_clock(demo_clock):
        town = Municipality.register(
            INSEE_TOURS, "Tours", "PPDC Tours Nord", "CCAS de Tours, 02 47 21 61 00", CONTRACT
        )
        town.set_delivery_days(DELIVERY_DAYS, "Mme Durand (CCAS)")
        people = [_beneficiary(town, i, rng, start) for i in range(BENEFICIARIES)]
        app.save(town, *people)
        delivery_days = [start + timedelta(days=d) for d in range(HISTORY_DAYS + 1)]

        excursion_day = delivery_days[len(delivery_days) // 2]
        for day in delivery_days:
            north = [p for p in people if p.home.value["lat"] >= CENTRE[0]]
            south = [p for p in people if p.home.value["lat"] < CENTRE[0]]
            for label, postman, van, group in (
                ("A", "L. Petit", "VAN-12", north),
                ("B", "S. Marchand", "VAN-07", south),
            ):
                _round(
                    app,
                    demo_clock,
                    day,
                    now,
                    label,
                    postman,
                    van,
                    group,
                    rng,
                    excursion=(day == excursion_day and label == "A"),
                )
        _alerts(app, demo_clock, people, town, now)


def _beneficiary(town: Municipality, i: int, rng: random.Random, start: date) -> Beneficiary:
    distance_km = 2.2 * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat = CENTRE[0] + distance_km / 111.2 * math.cos(bearing)
    lon = CENTRE[1] + distance_km / (111.2 * math.cos(math.radians(CENTRE[0]))) * math.sin(bearing)
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    b = Beneficiary.register(
        INSEE_TOURS,
        f"2025-{100 + i:04d}",
        town.id,
        {
            "name": name,
            "address": f"{rng.randint(1, 140)} {rng.choice(_STREETS)}, 37000 Tours",
            "phone": f"02 47 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "contact_person": f"{rng.choice(_FIRST)} {name.split()[-1]} (family)",
            "access_notes": rng.choice(
                ["", "", "key box 1942", "digicode 4B27", "ring twice, slow to answer"]
            ),
        },
        round(lat, 6),
        round(lon, 6),
        rng.choices(["low", "middle", "high"], weights=[45, 35, 20])[0],
        window=rng.choice(
            [("08:30", "12:30"), ("08:30", "12:30"), ("09:00", "11:00"), ("10:00", "12:30")]
        ),
        service_time_s=rng.choice([240, 300, 420]),
    )
    b.prescribe_diet(
        rng.choice(_REGIMES),
        rng.choice(_TEXTURES),
        rng.choice([[], [], ["peanuts"], ["gluten"], ["celery", "mustard"]]),
        [],
    )
    b.set_weekly_pattern(rng.choice(_PATTERNS))
    b.activate(start)
    if i % 17 == 5:
        b.suspend(start + timedelta(days=3), start + timedelta(days=9), "hospital")
    return b


def _round(
    app: Maillage,
    demo_clock: clock.FixedClock,
    day: date,
    now: datetime,
    label: str,
    postman: str,
    van: str,
    group: list[Beneficiary],
    rng: random.Random,
    excursion: bool,
) -> None:
    orders = orders_for(group, day, DELIVERY_DAYS)
    if not orders:
        return
    today = now.astimezone(PARIS).date() == day
    loaded = now - TODAY_LOADED_BEFORE if today else _at(day, 8, 5)
    demo_clock.set(loaded - timedelta(minutes=50))
    by_id = {b.id: b for b in group}
    ordered = sorted(
        orders,
        key=lambda o: math.atan2(
            by_id[o.beneficiary_id].home.value["lat"] - CENTRE[0],
            by_id[o.beneficiary_id].home.value["lon"] - CENTRE[1],
        ),
    )
    stops = [(o.beneficiary_id, o.meals, f"{label}-{1 + i // 8}") for i, o in enumerate(ordered)]
    rnd = MealRound.plan(day, "PPDC Tours Nord", postman, van, stops)
    boxes = sorted({box for _, _, box in stops})
    demo_clock.set(loaded)
    rnd.load(
        {
            box: (f"probe-{label}{n}", round(rng.uniform(1.2, 2.4), 1))
            for n, box in enumerate(boxes, 1)
        }
    )
    moment = loaded + timedelta(minutes=25)
    for n, (who, _, box) in enumerate(stops):
        moment += timedelta(minutes=rng.randint(5, 11))
        if today and moment > now:
            app.save(rnd)  # today's round is under way: the next stops are still to come
            return
        demo_clock.set(moment)
        if n % 6 == 0 or (today and n % 3 == 0):
            for reading_box in boxes if today else [box]:
                temp = round(rng.uniform(1.8, 2.9), 1)
                if excursion and reading_box == boxes[0] and n >= 6:
                    temp = 4.6
                rnd.record_probe_reading(reading_box, temp, moment)
            if excursion and rnd.boxes[boxes[0]]["blocked"]:
                rnd.release_box(
                    boxes[0],
                    "M. Martin (chef de production)",
                    "4.6 °C for under 20 min, meal core checked at 3.0 °C",
                )
        roll = rng.random()
        if roll < 0.04:
            rnd.record_stop(
                who, "absent", moment, contact={"called": "contact_person", "result": "reached"}
            )
        elif roll < 0.05:
            rnd.record_stop(who, "refused", moment, reason="did not want the menu")
        else:
            rnd.record_stop(
                who,
                rng.choice(["put_in_fridge", "put_in_fridge", "handed_over"]),
                moment,
                handover_temperature_c=round(rng.uniform(2.0, 3.0), 1),
            )
    if today:
        app.save(rnd)
        return
    demo_clock.set(moment + timedelta(minutes=25))
    rnd.complete()
    app.save(rnd)


def _alerts(
    app: Maillage,
    demo_clock: clock.FixedClock,
    people: list[Beneficiary],
    town: Municipality,
    now: datetime,
) -> None:
    """Alerts of the last eight days: one closed, one followed up, two waiting for the CCAS
    (one raised yesterday and overdue), and one raised an hour ago."""
    today = now.astimezone(PARIS).date()
    notes = [
        ("health", "high", "Looked confused, did not recognise me, fridge still full"),
        ("self_care_safety", "medium", "Gas smell in the kitchen, window opened"),
        ("mobility", "medium", "Fell in the hallway last week, walks with difficulty"),
        ("home", "low", "Heating out of order, flat is cold"),
    ]
    for k, (category, severity, note) in enumerate(notes):
        person = people[(k * 13 + 3) % len(people)]
        raised = _at(today - timedelta(days=7 - 2 * k), 10, 20)
        demo_clock.set(raised)
        alert = WelfareAlert.raise_alert(person.id, town.id, category, severity, note, "L. Petit")
        if k < 2:
            demo_clock.set(raised + timedelta(hours=2))
            alert.acknowledge("Mme Durand (CCAS)")
            alert.add_follow_up("Mme Durand", "Called the family; GP visit arranged")
        if k == 0:
            demo_clock.set(raised + timedelta(days=2))
            alert.close("referred", "Mme Durand")
        app.save(alert)
    # One alert an hour ago, not acknowledged yet (the last of the list above, raised
    # yesterday and never acknowledged, is overdue: the CCAS has 4 hours).
    demo_clock.set(min(now - timedelta(hours=1), _at(today, 9, 40)))
    app.save(
        WelfareAlert.raise_alert(
            people[7].id,
            town.id,
            "health",
            "urgent",
            "Short of breath, asked me to call her daughter",
            "S. Marchand",
        )
    )
