"""Keys that work at once and dialogs that act on what they show: focus on the main table,
Enter opening a beneficiary, `?` in a dialog, the palette in a beneficiary, a kit, a round."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import HelpPanel, Input

from console.tui.screens.confirm import ConfirmScreen
from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock
from domain.devices import service as devices
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound

from ..helpers import TOURS, fill_form, make_app, run_palette, wait_for


async def test_slash_filters_at_once_and_enter_opens_a_beneficiary_that_can_be_erased(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from console.tui.screens.beneficiary import BeneficiaryScreen

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        people = app.screen.query_one("#beneficiaries-table", VirtualTable)
        await wait_for(pilot, lambda: len(people.rows) == 60, "the beneficiaries")
        await wait_for(pilot, lambda: people.has_focus_within, "the table's focus, no Tab")
        await pilot.press("slash")  # no Tab first
        await wait_for(pilot, lambda: isinstance(app.focused, Input), "the filter input")
        await pilot.press("escape")
        await wait_for(pilot, lambda: people.has_focus_within, "the table again")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BeneficiaryScreen), "the file")
        screen = app.screen
        await wait_for(pilot, lambda: screen.body_text.startswith("file "), "its text")
        file_number = screen.file_number
        await pilot.press("question_mark")  # the keys of the dialog
        await wait_for(pilot, lambda: bool(screen.query(HelpPanel)), "the help panel")
        await pilot.press("question_mark")
        await run_palette(app, pilot, f"File {file_number}: erase")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        person = meals.find_beneficiary(app.store, TOURS, file_number)
        await wait_for(
            pilot,
            lambda: app.store.get(person.id, Beneficiary).personal.erased,
            "the erasure",
        )


async def test_a_kit_reserved_from_its_dialog_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from console.tui.screens.kit import KitScreen
    from domain.devices.views import kits
    from domain.store import ViewConnection

    app = make_app(demo_store)
    conn = ViewConnection.open(app.settings.location)
    try:
        ref = kits(conn)[0]["reference"]
    finally:
        conn.close()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = KitScreen(ref)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: ref in screen.body_text, "the kit")
        await run_palette(app, pilot, f"Kit {ref}: reserve")
        await fill_form(
            app, pilot, class_name="2nde B", start="2026-04-01 08:00", end="2026-04-01 10:00"
        )
        await wait_for(pilot, lambda: "2nde B" in screen.body_text, "the kit read again")
        found = devices.find_kit(app.store, ref)
        assert any(r["class_name"] == "2nde B" for r in found.reservations.values())


async def test_a_round_pinned_and_optimised_from_its_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from console.tui.screens.round import RoundScreen

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        town = meals.find_municipality(app.store, TOURS)
        people = meals.beneficiaries(app.store, TOURS, active_only=True)[:10]
        rnd, _ = meals.plan_round(app.store, town, people, date(2026, 3, 23), "A. D.", "VAN-99")
        screen = RoundScreen(rnd.id)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.round is not None, "the round")
        await run_palette(app, pilot, "Round: pin/unpin")  # the highlighted (first) stop
        await wait_for(
            pilot, lambda: app.store.get(rnd.id, MealRound).stops[0]["pinned"], "the pin"
        )
        version = app.store.get(rnd.id, MealRound).version
        await run_palette(app, pilot, "Round: optimise")
        said: list[str] = []

        def answered() -> bool:
            said.extend(n.message for n in app._notifications)
            return any(m.startswith(("optimised:", "a stop of the round")) for m in said)

        await wait_for(pilot, answered, "the solver's answer (a new order or a refusal)")
        after = app.store.get(rnd.id, MealRound)
        assert after.stops[0]["beneficiary"] == rnd.stops[0]["beneficiary"]  # pinned, kept
        if not any(m.startswith("optimised:") for m in said):
            assert after.version == version  # refused: nothing recorded
