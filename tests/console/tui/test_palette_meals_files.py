"""Municipalities and beneficiaries' files from the console: each palette entry driven by the
real app's pilot on the demo store, its form filled, the event checked through the meal service;
forms start from what is recorded (the highlighted row, the open file); refusals record nothing."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from textual.widgets import Input, Select

from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.form import FormScreen
from domain.clock import FixedClock
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary

from ..helpers import (
    SAINT_CYR,
    TOURS,
    assert_refused,
    beneficiaries_table,
    fill_form,
    make_app,
    notified,
    run_palette,
    wait_for,
)


def _first_file(app) -> Beneficiary:  # type: ignore[no-untyped-def]
    return meals.beneficiaries(app.store, TOURS, active_only=True)[0]


def _form_value(app, name: str) -> str:  # type: ignore[no-untyped-def]
    widget = app.screen.query_one(f"#form-{name}")
    return str(widget.value) if isinstance(widget, Input | Select) else ""


async def test_add_a_municipality(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: add a municipality")
        await fill_form(
            app, pilot, municipality=SAINT_CYR, name="Saint-Cyr-sur-Loire",
            depot="PPDC Tours Nord", ccas="CCAS de Saint-Cyr",
            brackets="low:15000:450:100 high::720:200",
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "registered"), "the municipality")
        town = meals.find_municipality(app.store, SAINT_CYR)
        assert [(b.name, b.max_income_eur, b.meal_price_cents) for b in town.contract.brackets] == [
            ("low", 15000, 450), ("high", None, 720)
        ]  # fmt: skip


async def test_a_bad_bracket_is_refused_as_the_command_line_refuses_it(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await assert_refused(
            app, pilot, "Meals: add a municipality", "whole numbers", municipality=SAINT_CYR,
            name="Saint-Cyr", depot="D", ccas="C", brackets="low:cheap:450:100",
        )  # fmt: skip


async def test_configure_a_municipality_from_its_recorded_values(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        before = meals.find_municipality(app.store, TOURS)
        await run_palette(app, pilot, "Meals: configure a municipality")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        assert _form_value(app, "max_round") == str(before.max_round_min)
        await fill_form(app, pilot, acknowledge="120", days="mon-sat")
        await wait_for(pilot, lambda: notified(app, "deliveries on"), "the configuration")
        town = meals.find_municipality(app.store, TOURS)
        assert town.acknowledge_within_min == 120 and town.delivery_weekdays == (0, 1, 2, 3, 4, 5)
        assert town.max_round_min == before.max_round_min


async def test_set_welfare_rules(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: set welfare rules")
        await fill_form(app, pilot, absent_severity="urgent", uneaten_count="3")
        await wait_for(pilot, lambda: notified(app, "absent and nobody reached"), "the rules")
        rules = meals.find_municipality(app.store, TOURS).welfare_rules
        assert rules.absent_severity == "urgent" and rules.uneaten_count == 3


async def test_set_the_ccas_mail(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: set the CCAS mail")
        await fill_form(
            app, pilot, smtp="smtp.tours.fr:587", sender="maillage@tours.fr",
            recipient="ccas@tours.fr",
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "mailed to"), "the mail")
        mail = meals.find_municipality(app.store, TOURS).ccas_mail
        assert mail is not None and (mail.host, mail.port) == ("smtp.tours.fr", 587)


async def test_add_a_beneficiary(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: add a beneficiary")
        await fill_form(
            app, pilot, municipality=TOURS, file_number="2026-900", name="Odette Lemaire",
            address="4 rue Colbert", position="47.3961,0.6919", bracket="low",
            regime="no_salt", texture="minced", pattern="mon=1;thu=2",
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "file 2026-900"), "the new file")
        b = meals.find_beneficiary(app.store, TOURS, "2026-900")
        assert b.personal.value["name"] == "Odette Lemaire" and b.pattern == {"0": 1, "3": 2}
        assert b.diet is not None and b.diet.value["regime"] == "no_salt"
        rows = meals.beneficiary_rows(app.store, TOURS)
        assert any(r["file_number"] == "2026-900" for r in rows)


async def test_a_file_number_already_registered_is_refused(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await assert_refused(
            app, pilot, "Meals: add a beneficiary", "already exists", municipality=TOURS,
            file_number=_first_file(app).file_number, name="Someone Else",
            position="47.39,0.69", bracket="low", pattern="mon=1",
        )  # fmt: skip


async def test_edit_the_highlighted_beneficiary_from_its_values(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await beneficiaries_table(app, pilot)
        await pilot.press("down", "down")
        who = app.store.get(UUID(str(table.cursor_row_key)), Beneficiary)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        assert _form_value(app, "file_number") == who.file_number
        assert _form_value(app, "name") == who.personal.value["name"]
        await fill_form(app, pilot, phone="02 47 99 99 99")
        await wait_for(pilot, lambda: notified(app, "phone corrected"), "the correction")
        after = app.store.get(who.id, Beneficiary)
        assert after.personal.value["phone"] == "02 47 99 99 99"
        assert after.personal.value["name"] == who.personal.value["name"]


async def test_edit_a_beneficiary_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        who = _first_file(app)
        await run_palette(app, pilot, "Meals: edit a beneficiary")
        await fill_form(app, pilot, file_number=who.file_number, name="Renée Girard-Blanc",
                        window="09:00-11:00")  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "corrected"), "the correction")
        after = app.store.get(who.id, Beneficiary)
        assert after.personal.value["name"] == "Renée Girard-Blanc"
        assert (after.window_start, after.window_end) == ("09:00", "11:00")


async def test_end_a_beneficiary_s_service_after_confirming(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        who = _first_file(app)
        await run_palette(app, pilot, "Meals: end a beneficiary's service")
        await fill_form(app, pilot, file_number=who.file_number, last_day="2026-03-31",
                        reason="moved to a care home")  # fmt: skip
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: notified(app, "service ends after 2026-03-31"), "the end")
        after = app.store.get(who.id, Beneficiary)
        assert (after.status, after.last_day) == ("stopped", "2026-03-31")


async def test_in_a_beneficiary_s_dialog_the_palette_offers_that_file(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from console.tui.screens.beneficiary import BeneficiaryScreen

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        who = _first_file(app)
        await app.push_screen(BeneficiaryScreen(who.id))
        screen = app.screen
        await wait_for(pilot, lambda: who.file_number in screen.body_text, "the file")
        await run_palette(app, pilot, f"File {who.file_number}: edit")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
        assert _form_value(app, "name") == who.personal.value["name"]
        await fill_form(app, pilot, access_notes="code 4512")
        await wait_for(pilot, lambda: notified(app, "access_notes corrected"), "the correction")
        assert app.store.get(who.id, Beneficiary).personal.value["access_notes"] == "code 4512"

        await run_palette(app, pilot, f"File {who.file_number}: end service")
        await fill_form(app, pilot, reason="hospital, long stay")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: notified(app, "service ends after"), "the end")
        assert app.store.get(who.id, Beneficiary).status == "stopped"
