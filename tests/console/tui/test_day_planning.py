"""Planning a day over several vans from the console: the form on the meals screen, the same
service as ``maillage meals day plan``; each order of the day in exactly one round."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from textual.widgets import TabbedContent

from console.tui.screens.form import FormScreen
from console.tui.screens.meals import MealsScreen
from domain.clock import FixedClock
from domain.meals import service as meals
from domain.meals.ordering import orders_for

from ..helpers import make_app, wait_for


async def test_plan_a_day_over_vans_from_the_meals_screen(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    day = date(2026, 3, 24)
    async with app.run_test(size=(150, 50)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, MealsScreen), "the meals mode")
        app.screen.query_one("#meals-tabs", TabbedContent).active = "tab-rounds"  # D acts there
        await wait_for(pilot, lambda: app.screen.check_action("plan_day", ()) is True, "the key")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the day form")
        app.screen.query_one("#form-day").value = day.isoformat()
        app.screen.query_one("#form-vans").value = "8"
        app.screen.query_one("#form-boxes").value = "6"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: any(n.title in ("Planned", "Not recorded") for n in app._notifications),
            "the plan's result",
        )
        (note,) = [n for n in app._notifications if n.title in ("Planned", "Not recorded")]
        assert note.title == "Planned", note.message
        assert "· to assign (R-" in note.message
    town = meals.find_municipality(app.store, "37261")
    people = meals.beneficiaries(app.store, "37261")
    ordered = {o.beneficiary_id for o in orders_for(people, day, town.delivery_weekdays)}
    stops = Counter(s["beneficiary"] for r in meals._day_rounds(app.store, town, day)
                    for s in r.stops)  # fmt: skip
    assert set(stops) == ordered and set(stops.values()) == {1}
