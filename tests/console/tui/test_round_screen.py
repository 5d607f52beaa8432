"""The round screen driven by the pilot: a stop recorded, a probe reading that blocks a box,
a refused delivery from it, its release; pins and the solver on a planned round."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

from textual.pilot import Pilot
from textual.widgets import OptionList

from console.tui.app import MaillageApp
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.form import FormScreen
from console.tui.screens.round import RoundScreen
from domain.application import Maillage
from domain.clock import FixedClock
from domain.ids import municipality_id
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Municipality
from domain.meals.service import plan_round
from domain.store import StoreLocation, ViewConnection

from ..helpers import TOURS, Inbox, ccas_mails_to, make_app, notified_match, wait_for

SIZE = (150, 50)


def a_loaded_round(store: Path) -> UUID:
    conn = ViewConnection.open(make_app(store).settings.location)
    try:
        row = conn.fetchone("SELECT id FROM rounds_view WHERE status = 'loaded' ORDER BY id")
    finally:
        conn.close()
    assert row is not None
    return UUID(row[0])


async def open_round(app: MaillageApp, pilot: Pilot, rid: UUID) -> RoundScreen:
    screen = RoundScreen(rid)
    await app.push_screen(screen)
    stops = screen.query_one("#round-stops", OptionList)
    await wait_for(pilot, lambda: stops.option_count > 0, "the round's stops")
    return screen


async def highlight(pilot: Pilot, screen: RoundScreen, who: UUID) -> None:
    stops = screen.query_one("#round-stops", OptionList)
    stops.highlighted = stops.get_option_index(str(who))
    await pilot.pause()


async def settle(app: MaillageApp, pilot: Pilot) -> None:
    """Wait until every worker (edits, reloads) has finished."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_stop_a_probe_excursion_a_refusal_and_a_release(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rid)
        rnd = app.store.get(rid, MealRound)
        first = app.store.get(rnd.stops[0]["beneficiary"], Beneficiary)
        prompt = str(screen.query_one("#round-stops", OptionList).get_option_at_index(0).prompt)
        assert first.personal.value["name"][:22] in prompt  # the depot sees who it is
        box = sorted(rnd.boxes)[0]
        waiting = [s["beneficiary"] for s in rnd.stops if s["outcome"] is None and s["box"] == box]
        assert len(waiting) >= 2, "the demo's loaded round has stops left in its first box"

        # 1. Put in the fridge at the first waiting stop (the form's first outcome).
        await highlight(pilot, screen, waiting[0])
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the stop form")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        stop = next(
            s for s in app.store.get(rid, MealRound).stops if s["beneficiary"] == waiting[0]
        )
        assert stop["outcome"] == "put_in_fridge"

        # 2. A probe reading above +3 °C blocks the box.
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the probe form")
        app.screen.query_one("#form-box").value = box
        app.screen.query_one("#form-temperature").focus()
        await pilot.press(*"5,4", "enter")
        await settle(app, pilot)
        assert app.store.get(rid, MealRound).boxes[box]["blocked"]
        await wait_for(pilot, lambda: "BLOCKED" in screen.body_text, "the excursion shown")

        # 3. Delivering the next meal of that box is refused, and nothing is recorded.
        version = app.store.get(rid, MealRound).version
        await highlight(pilot, screen, waiting[1])
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the stop form")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.store.get(rid, MealRound).version == version
        assert any("is blocked by a cold-chain excursion" in n.message for n in app._notifications)

        # 4. A named person releases it with a reason.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the release form")
        app.screen.query_one("#form-by").focus()
        await pilot.press(*"M. Martin", "tab", *"Probe off the ice pack", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await settle(app, pilot)
        released = app.store.get(rid, MealRound)
        assert not released.boxes[box]["blocked"]
        assert released.excursions[-1]["decision"] == {
            "by": "M. Martin",
            "reason": "Probe off the ice pack",
        }
        await wait_for(pilot, lambda: "released by M. Martin" in screen.body_text, "the release")


async def test_an_empty_required_field_keeps_the_form_open(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_round(app, pilot, rid)
        version = app.store.get(rid, MealRound).version
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the probe form")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, FormScreen)
        assert "Probe temperature (°C) is needed" in str(
            app.screen.query_one("#form-error").render()
        )
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.store.get(rid, MealRound).version == version


async def test_pin_and_optimise_a_planned_round(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    conn = ViewConnection.open(app.settings.location)
    try:
        ids = [UUID(r[0]) for r in conn.fetchall("SELECT id FROM beneficiaries_view")]
    finally:
        conn.close()
    people = [app.store.get(i, Beneficiary) for i in ids]
    town = app.store.get(municipality_id("37261"), Municipality)
    # A round of ten (one van cannot serve the whole day within the cold chain).
    rnd, _ = plan_round(app.store, town, people[:10], date(2026, 3, 23), "L. Petit", "VAN-12")
    pinned = rnd.stops[3]["beneficiary"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rnd.id)
        await highlight(pilot, screen, pinned)
        await pilot.press("p")
        await settle(app, pilot)
        assert app.store.get(rnd.id, MealRound).stops[3]["pinned"]
        await pilot.press("O")
        await settle(app, pilot)
        assert any(n.message.startswith("optimised:") for n in app._notifications), [
            n.message for n in app._notifications
        ]
        after = app.store.get(rnd.id, MealRound)
        assert after.stops[3]["beneficiary"] == pinned
        assert [s["beneficiary"] for s in after.stops] != [s["beneficiary"] for s in rnd.stops]


async def test_an_auditor_reads_a_round_but_records_nothing(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rid)
        for action in ("outcome", "probe", "release", "complete", "pin", "optimise"):
            assert screen.check_action(action, ()) is None
        await pilot.press("o", "t", "c")
        await settle(app, pilot)
        assert app.screen is screen  # no form opened
        first = app.store.get(app.store.get(rid, MealRound).stops[0]["beneficiary"], Beneficiary)
        assert first.personal.sealed  # the auditor was not handed the key file
        operator = Maillage(StoreLocation.parse(str(demo_store)))
        name = operator.get(first.id, Beneficiary).personal.value["name"]
        operator.close()
        prompt = str(screen.query_one("#round-stops", OptionList).get_option_at_index(0).prompt)
        assert first.file_number in prompt
        assert name not in prompt  # the depot's list, without names


async def test_forms_default_to_the_highlighted_stops_box_and_a_warm_hand_over_needs_a_release(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rid)
        rnd = app.store.get(rid, MealRound)
        waiting = [s for s in rnd.stops if s["outcome"] is None]
        last = waiting[-1]
        assert last["box"] != sorted(rnd.boxes)[0], "the demo's round has stops in two boxes"
        await highlight(pilot, screen, last["beneficiary"])
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the probe form")
        assert app.screen.query_one("#form-box").value == last["box"]
        await pilot.press("escape")

        version = app.store.get(rid, MealRound).version
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the stop form")
        app.screen.query_one("#form-temperature").focus()
        await pilot.press(*"4.2", "ctrl+s")
        await settle(app, pilot)
        assert app.store.get(rid, MealRound).version == version
        assert any("hand-over at 4.2 °C is above +3 °C" in n.message for n in app._notifications)

        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the stop form")
        app.screen.query_one("#form-temperature").focus()
        await pilot.press(*"4.2")
        app.screen.query_one("#form-released_by").focus()
        await pilot.press(*"M. Martin", "tab", *"core 2.9", "ctrl+s")
        await settle(app, pilot)
        stop = next(
            s for s in app.store.get(rid, MealRound).stops
            if s["beneficiary"] == last["beneficiary"]
        )  # fmt: skip
        assert (stop["outcome"], stop["handover_temperature_c"]) == ("put_in_fridge", 4.2)


async def test_an_absent_person_nobody_reached_alerts_and_mails_the_ccas_at_once(
    demo_store: Path, paris_clock: FixedClock, smtp: tuple[Inbox, int]
) -> None:
    # As the command line does: the welfare watch's alert is announced by its reference and
    # the CCAS's SMTP server receives the mail before the notification is shown.
    inbox, port = smtp
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store)
    ccas_mails_to(app, port)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rid)
        waiting = [s for s in app.store.get(rid, MealRound).stops if s["outcome"] is None]
        await highlight(pilot, screen, waiting[0]["beneficiary"])
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the stop form")
        app.screen.query_one("#form-outcome").value = "absent"
        app.screen.query_one("#form-called").value = "both"
        app.screen.query_one("#form-result").value = "not_reached"
        await pilot.press("ctrl+s")
        message, reference = await notified_match(
            app, pilot, r"welfare alert (W-[0-9A-F]{8}) raised by the welfare watch"
        )
        # the demo's earlier alerts were due too (no CCAS address until now): all are mailed
        assert f"CCAS of Tours mailed about welfare alert {reference}" in message
        mailed = [e for e in inbox.envelopes if reference in e.content.decode()]
        assert [e.rcpt_tos for e in mailed] == [["ccas@tours.example"]]
        assert meals.mails_due(app.store, TOURS) == []


async def test_amend_a_recorded_outcome_from_the_round_screen(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    rid = a_loaded_round(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_round(app, pilot, rid)
        rnd = app.store.get(rid, MealRound)
        done = next(s for s in rnd.stops if s["outcome"] is not None)
        await highlight(pilot, screen, done["beneficiary"])
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the amend form")
        other = next(o for o in OUTCOMES_FOR_TEST if o != done["outcome"])
        app.screen.query_one("#form-outcome").value = other
        app.screen.query_one("#form-reason").focus()
        await pilot.press(*"entered on the wrong stop", "enter")
        await settle(app, pilot)
        stop = next(s for s in app.store.get(rid, MealRound).stops
                    if s["beneficiary"] == done["beneficiary"])  # fmt: skip
        assert stop["outcome"] == other
        assert stop["amendments"][0]["from"] == done["outcome"]
        assert stop["amendments"][0]["by"] == "claire"


OUTCOMES_FOR_TEST = ("put_in_fridge", "handed_over", "refused")
