"""Meals from the command palette: each entry driven by the real app's pilot, its form
filled, the event checked in the store (waiting for the condition, never a pause)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

from domain.clock import FixedClock
from domain.meals import service as meals
from domain.meals.welfare_alert import CATEGORIES

from ..helpers import (
    GOOD,
    HEADER,
    SAINT_CYR,
    SAINT_CYR_FILE,
    TOURS,
    fill_form,
    make_app,
    notified,
    notified_match,
    run_palette,
    wait_for,
    write,
)


def _rounds_of(app, day: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return [r for r in meals.round_rows(app.store) if r["day"] == day]


def _small_town(app) -> None:  # type: ignore[no-untyped-def]
    """Saint-Cyr with one beneficiary: a round the planner accepts within its limits."""
    from console.importing.meals import import_beneficiaries_text
    from domain.meals.municipality import PriceBracket

    meals.register_municipality(
        app.store, SAINT_CYR, "Saint-Cyr-sur-Loire", "PPDC Tours Nord", "CCAS de Saint-Cyr",
        [PriceBracket("std", None, 700, 200)],
    )  # fmt: skip
    import_beneficiaries_text(app.store, SAINT_CYR, f"{HEADER}\n{SAINT_CYR_FILE}\n")


def _planned(app):  # type: ignore[no-untyped-def]
    """A planned round of ten Tours beneficiaries (the whole town does not fit one van)."""
    town = meals.find_municipality(app.store, TOURS)
    people = meals.beneficiaries(app.store, TOURS, active_only=True)[:10]
    rnd, _ = meals.plan_round(app.store, town, people, date(2026, 3, 23), "A. Durand", "VAN-99")
    return rnd


async def test_plan_a_round_from_the_palette(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        _small_town(app)
        before = len(_rounds_of(app, "2026-03-23"))
        await run_palette(app, pilot, "Meals: plan a round")
        await fill_form(
            app, pilot, municipality=SAINT_CYR, day="2026-03-23", postman="A. Durand",
            vehicle="VAN-99",
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "planned"), "the round to be planned")
        rounds = _rounds_of(app, "2026-03-23")
        assert len(rounds) == before + 1
        assert any(r["postman"] == "A. Durand" and r["vehicle"] == "VAN-99" for r in rounds)


async def test_a_refused_plan_is_a_notification_and_records_nothing(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        last = app.store.last_position()
        await run_palette(app, pilot, "Meals: plan a round")
        await fill_form(
            app, pilot, municipality="99999", day="2026-03-23", postman="X", vehicle="V"
        )
        await wait_for(pilot, lambda: notified(app, "no municipality"), "the refusal")
        assert app.store.last_position() == last


def _palette_names(app) -> list[str]:  # type: ignore[no-untyped-def]
    """What the palette offers on the screen on show."""
    from console.tui.actions import everyday_commands
    from console.tui.palette import offered

    here = getattr(app.screen, "palette_commands", None)
    mine = list(here()) if here else []
    return [c.name for c in offered(app, [*mine, *everyday_commands(app)])]


async def test_a_rounds_day_from_its_palette(demo_store: Path, paris_clock: FixedClock) -> None:
    """In a round, the palette offers that round's actions its status allows: load, a probe
    reading that blocks a box, its release (confirmed), each stop, completion (confirmed)."""
    from console.tui.screens.confirm import ConfirmScreen
    from console.tui.screens.round import RoundScreen
    from domain.meals.meal_round import MealRound

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        rnd = _planned(app)
        screen = RoundScreen(rnd.id)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.round is not None, "the round")
        names = _palette_names(app)
        assert "Round: load boxes" in names and "Round: record stop" not in names

        boxes = sorted({s["box"] for s in rnd.stops})
        await run_palette(app, pilot, "Round: load boxes")
        await fill_form(app, pilot, **{f"{b}-temp": "2.5" for b in boxes})
        await wait_for(pilot, lambda: screen.round.status == "loaded", "the round loaded")
        assert set(app.store.get(rnd.id, MealRound).boxes) == set(boxes)
        assert "Round: load boxes" not in _palette_names(app)

        await run_palette(app, pilot, "Round: probe reading")
        await fill_form(app, pilot, box=boxes[0], temperature="9.5")
        await wait_for(
            pilot, lambda: app.store.get(rnd.id, MealRound).boxes[boxes[0]]["blocked"], "blocked"
        )
        await wait_for(pilot, lambda: "BLOCKED" in screen.body_text, "the excursion shown")

        await run_palette(app, pilot, "Round: release box")
        await fill_form(app, pilot, box=boxes[0], by="M. Martin", reason="probe off the ice")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: not app.store.get(rnd.id, MealRound).boxes[boxes[0]]["blocked"],
            "the release",
        )

        await run_palette(app, pilot, "Round: record stop")  # the highlighted (first) stop
        await fill_form(app, pilot, outcome="handed_over")
        first = rnd.stops[0]["beneficiary"]
        await wait_for(
            pilot,
            lambda: app.store.get(rnd.id, MealRound).stops[0]["outcome"] == "handed_over",
            "the stop recorded",
        )
        for stop in app.store.get(rnd.id, MealRound).stops:
            if stop["beneficiary"] != first:
                meals.record_stop(app.store, rnd.id, stop["beneficiary"], "put_in_fridge")
        await run_palette(app, pilot, "Round: complete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: app.store.get(rnd.id, MealRound).status == "completed", "completion"
        )


async def test_an_alert_raised_acknowledged_followed_and_closed_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from console.tui.screens.alert import AlertScreen
    from console.tui.screens.confirm import ConfirmScreen
    from domain.meals.welfare_alert import WelfareAlert

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        file_number = meals.beneficiary_rows(app.store, TOURS)[0]["file_number"]
        before = {r["id"] for r in meals.alert_rows(app.store)}
        await run_palette(app, pilot, "Meals: raise a welfare alert")
        await fill_form(
            app,
            pilot,
            municipality=TOURS,
            file=file_number,
            category=CATEGORIES[1],
            severity="urgent",
            note="Fell",
        )
        _, reference = await notified_match(app, pilot, r"welfare alert (W-[0-9A-F]{8}) raised")
        (new,) = [r for r in meals.alert_rows(app.store) if r["id"] not in before]
        assert (new["file_number"], new["category"]) == (file_number, CATEGORIES[1])
        assert new["reference"] == reference  # the notification names the alert

        screen = AlertScreen(UUID(new["id"]))
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.status == "raised", "the alert shown")
        assert "Alert: close alert" not in _palette_names(app)
        await run_palette(app, pilot, "Alert: acknowledge")
        await wait_for(pilot, lambda: screen.status == "acknowledged", "acknowledged")
        await run_palette(app, pilot, "Alert: follow-up")
        await wait_for(pilot, lambda: screen.query_one("#follow-up-input").has_focus, "the input")
        await pilot.press(*"Called", "enter")
        await wait_for(pilot, lambda: "Called" in screen.body_text, "the follow-up")
        await run_palette(app, pilot, "Alert: close alert")
        await wait_for(pilot, lambda: screen.query_one("#outcome-list").has_focus, "outcomes")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.status == "closed", "closed")
        assert app.store.get(screen.alert_id, WelfareAlert).status == "closed"


async def test_a_statement_exported_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    app = make_app(demo_store, role="auditor")  # a read: every role may export it
    async with app.run_test(size=(100, 30)) as pilot:
        target = tmp_path / "march.html"
        await run_palette(app, pilot, "Meals: export a statement")
        await fill_form(
            app, pilot, municipality=TOURS, month="2026-02", format="html", output=str(target)
        )
        await wait_for(pilot, lambda: target.exists() and notified(app, "written"), "the file")
        text = target.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<") and "2026-02" in text and "Tours" in text


async def test_beneficiaries_imported_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    line = GOOD[0].replace("2026-001", "T-900", 1)
    csv_file = write(tmp_path, [line])
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: import beneficiaries")
        await fill_form(app, pilot, file=str(csv_file), municipality=TOURS)
        await wait_for(pilot, lambda: notified(app, "1 beneficiary recorded"), "the import")
        assert "T-900" in {r["file_number"] for r in meals.beneficiary_rows(app.store, TOURS)}
        bad = write(tmp_path, [line.replace("47.3961", "north")])
        last = app.store.last_position()
        await run_palette(app, pilot, "Meals: import beneficiaries")
        await fill_form(app, pilot, file=str(bad), municipality=TOURS)
        await wait_for(pilot, lambda: notified(app, "bad lines"), "the refusal")
        assert app.store.last_position() == last


async def test_the_palette_offers_what_the_role_may_do(demo_store: Path) -> None:
    for role, present, absent in (
        ("auditor", "Meals: export a statement", "Meals: plan a round"),
        ("ccas", "Meals: export a statement", "Meals: import beneficiaries"),
        ("operator", "Meals: plan a round", None),
    ):
        app = make_app(demo_store, role=role)
        async with app.run_test(size=(100, 30)):
            names = _palette_names(app)
            assert present in names
            assert absent is None or absent not in names
