"""The console shell driven by Textual's pilot on a real demo store."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import OptionList, TabbedContent

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.device_events import DeviceEventsScreen
from console.tui.screens.store_info import StoreInfoScreen
from console.tui.widgets.tile import Tile
from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock
from domain.devices.device import Device
from domain.devices.service import ManifestLine, announce_devices
from domain.ids import device_id
from domain.store import ViewConnection

from ..helpers import make_app, open_newest_alert, wait_for


def tile_text(app: MaillageApp, tile_id: str) -> str:
    tile = app.screen.query_one(f"#{tile_id}", Tile)
    return " ".join(str(w.render()) for w in tile.query("Label, Static"))


async def test_dashboard_shows_the_store_and_role(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(140, 44)) as pilot:
        events = f"{app.store.last_position():,} events"
        await wait_for(pilot, lambda: events in tile_text(app, "tile-log"), "log tile")
        assert "views up to date" in tile_text(app, "tile-log")
        assert "40" in tile_text(app, "tile-schools")
        devices = tile_text(app, "tile-devices")
        assert devices.startswith("20,000")
        assert "8,000 announced" in devices and "603 in transit" in devices
        # The demo's day: two rounds loaded 75 min ago and under way with some stops done,
        # two alerts of the last days never acknowledged, one van session processed.
        meals = tile_text(app, "tile-meals")
        assert "2 rounds, 2 under way" in meals
        delivered, planned = (int(n) for n in meals.split(" delivered")[0].split(" of "))
        assert 0 < delivered < planned
        assert "2 not acknowledged in time" in tile_text(app, "tile-alerts")
        sensors = tile_text(app, "tile-sensors")
        assert sensors.startswith("1 session") and "1 processed · latest VAN-12" in sensors
        assert app.sub_title.endswith("auditor (claire)")
        assert app.sub_title.startswith("sqlite:…") and "/demo.sqlite · " in app.sub_title


async def test_number_keys_switch_modes(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        for key, mode in (("2", "meals"), ("4", "sensors"), ("5", "audit"), ("3", "devices")):
            await pilot.press(key)
            assert app.current_mode == mode
            assert isinstance(app.screen, MaillageApp.MODES[mode])
        await pilot.press("1")
        assert app.current_mode == "dashboard"


async def test_command_palette_offers_store_info(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"store info")
        await wait_for(
            pilot,
            lambda: app.screen.query_one(OptionList).option_count > 0,
            "the palette's match",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StoreInfoScreen), "store info")
        screen = app.screen
        last = f"{app.store.last_position():,}"
        await wait_for(pilot, lambda: last in screen.body_text, "store figures")
        assert f"view devices         {last} (up to date)" in screen.body_text
        await pilot.press("escape")
        assert not isinstance(app.screen, StoreInfoScreen)


async def test_devices_filter_counts_matches_and_enter_opens_history(demo_store: Path) -> None:
    conn = ViewConnection.open(resolve(str(demo_store), None, None).location)
    (expected,) = conn.fetchone("SELECT COUNT(*) FROM devices_view WHERE model LIKE '%Latitude%'")
    conn.close()
    app = make_app(demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("3")
        table = app.screen.query_one(VirtualTable)
        await wait_for(pilot, lambda: len(table.rows) == 20_000, "the devices to load")
        await pilot.press("slash", *"latitude")
        await wait_for(
            pilot, lambda: table.filter_text == "latitude" and not table.view_pending, "filter"
        )
        assert table.status_text.startswith(f"{expected:,} of 20,000 rows")
        assert 0 < expected < 20_000
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceEventsScreen), "device history")
        screen = app.screen
        await wait_for(pilot, lambda: "Device.Announced" in screen.body_text, "its events")


async def test_new_events_reach_the_open_devices_table(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("3")
        table = app.screen.query_one(VirtualTable)
        await wait_for(pilot, lambda: len(table.rows) == 20_000, "the devices to load")
        # Another console records a delivery note's worth of devices meanwhile.
        announce_devices(
            app.store, [ManifestLine(f"NEW{i:03d}", "iPad", "tablet", "PO-9") for i in range(25)]
        )
        app.update_views()
        await wait_for(pilot, lambda: len(table.rows) == 20_025, "the new devices")
        assert app.store.get(device_id("NEW007"), Device).model == "iPad"


async def test_rebuild_views_from_the_palette_shows_progress_and_keeps_rows(
    demo_store: Path,
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"rebuild views")
        await wait_for(
            pilot,
            lambda: app.screen.query_one(OptionList).option_count > 0,
            "the palette's match",
        )
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: any("Views rebuilt" in n.message for n in app._notifications),
            "the rebuild to finish",
            timeout_s=180,
        )
        conn = ViewConnection.open(app.store.location)
        assert conn.fetchone("SELECT COUNT(*) FROM devices_view") == (20_000,)
        total = conn.fetchone("SELECT SUM(events) FROM activity_view")
        assert total == (app.store.last_position(),)
        conn.close()


async def test_q_quits_with_status_zero(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_question_mark_toggles_the_help_with_binding_descriptions(demo_store: Path) -> None:
    from textual.widgets import HelpPanel

    app = make_app(demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: bool(app.screen.query(HelpPanel)), "the help panel")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: not app.screen.query(HelpPanel), "the help to close")


def test_every_binding_has_an_id_and_a_description() -> None:
    from console.tui.screens.alert import AlertScreen
    from console.tui.screens.device_events import DeviceEventsScreen as Events
    from console.tui.screens.meals import StatementPane
    from console.tui.screens.reading import ReadingScreen
    from console.tui.screens.store_info import StoreInfoScreen as Info
    from console.tui.widgets.virtual_table import TableBody, VirtualTable

    owners = (MaillageApp, Events, Info, ReadingScreen, VirtualTable, TableBody, StatementPane)
    for owner in (*owners, AlertScreen):
        for binding in owner.BINDINGS:
            assert getattr(binding, "id", None), f"{owner.__name__}: {binding} has no id"
            assert getattr(binding, "description", None), (
                f"{owner.__name__}: {binding} has no description"
            )


async def test_one_views_update_reaches_the_app_once(demo_store: Path) -> None:
    """The app hands a views update to each open mode; no copy may echo back to it."""
    from console.tui.messages import ViewsUpdated

    class CountingApp(MaillageApp):
        heard = 0

        def on_views_updated(self, message: ViewsUpdated) -> None:
            # Textual also runs MaillageApp's handler (it walks the class tree).
            CountingApp.heard += 1

    settings = resolve(str(demo_store), None, "claire")
    app = CountingApp(settings, open_store(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.press("1")
        app.post_message(ViewsUpdated(1, app.store.last_position()))
        await pilot.pause(0.5)
    assert CountingApp.heard == 1


async def test_meals_mode_lists_beneficiaries_and_opens_a_round_with_its_excursion(
    demo_store: Path,
) -> None:
    from console.tui.screens.round import RoundScreen

    app = make_app(demo_store)
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("2")
        people = app.screen.query_one("#beneficiaries-table", VirtualTable)
        await wait_for(pilot, lambda: len(people.rows) == 60, "the 60 beneficiaries")
        assert {people.rows.cell(i, 1) for i in range(60)} == {"active"}

        rounds = app.screen.query_one("#rounds-table", VirtualTable)
        await wait_for(pilot, lambda: len(rounds.rows) > 0, "the rounds")
        day = next(
            d
            for d in (excursion_day(app, rounds.rows.row_key(r)) for r in range(len(rounds.rows)))
            if d
        )
        app.screen.query_one("#meals-tabs", TabbedContent).active = "tab-rounds"
        rounds.focus()
        await pilot.press("slash", *day, "enter")
        await wait_for(pilot, lambda: len(rounds.view) == 2 and not rounds.view_pending, "filter")
        rounds.focus()
        await pilot.press("enter")  # first of the day: L. Petit's round, the one with the excursion
        await wait_for(pilot, lambda: isinstance(app.screen, RoundScreen), "the round")
        screen = app.screen
        await wait_for(pilot, lambda: "excursion" in screen.body_text, "the round's stops")
        assert "released by M. Martin (chef de production)" in screen.body_text
        assert screen.body_text.startswith(f"{day} · L. Petit")


def excursion_day(app: MaillageApp, key: str) -> str | None:
    """The day of this round if it had a cold-chain excursion."""
    from uuid import UUID

    from domain.meals.meal_round import MealRound

    rnd = app.store.get(UUID(key), MealRound)
    return rnd.day if rnd.excursions else None


async def test_statement_tab_shows_the_month_and_moves_between_months(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from textual.widgets import Markdown

    from console.tui.screens.meals import StatementPane

    app = make_app(demo_store)
    async with app.run_test(size=(150, 45)) as pilot:
        await pilot.press("2")
        app.screen.query_one("#meals-tabs", TabbedContent).active = "tab-statement"
        pane = app.screen.query_one(StatementPane)
        text = app.screen.query_one("#statement-text", Markdown)
        await wait_for(
            pilot, lambda: "Tours (37261), 2026-03" in text.source, "this month's statement"
        )
        assert "delivered and billed" in text.source and "NO_ROUND" not in text.source.split("|")[0]
        pane.focus()
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: "2026-02" in text.source, "the previous month")
        assert "Meals planned: 0" in text.source  # the demo starts in March


async def test_ccas_acknowledges_follows_up_and_closes_an_alert(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from domain.meals.welfare_alert import WelfareAlert

    app = make_app(demo_store, role="ccas")
    async with app.run_test(size=(150, 45)) as pilot:
        await open_newest_alert(app, pilot)
        screen = app.screen
        assert "urgent · raised" in screen.body_text
        assert "Short of breath" in screen.body_text  # the CCAS reads the note
        await pilot.press("c")  # not yet: an alert closes only once acknowledged
        assert not screen.query_one("#outcome-list").display
        await pilot.press("a")
        await wait_for(pilot, lambda: "by claire (ccas)" in screen.body_text, "ack")
        await pilot.press("f", *"Called her daughter", "enter")
        await wait_for(pilot, lambda: "Called her daughter" in screen.body_text, "follow-up")
        await pilot.press("c")
        await pilot.press("down", "enter")  # the second outcome: referred
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        closed = "closed by claire (ccas): referred"
        await wait_for(pilot, lambda: closed in screen.body_text, "closure")
        alert = app.store.get(screen.alert_id, WelfareAlert)
        assert (alert.status, alert.outcome, alert.acknowledged_by) == (
            "closed",
            "referred",
            "claire (ccas)",
        )


async def test_auditor_cannot_act_on_an_alert(demo_store: Path, paris_clock: FixedClock) -> None:
    from domain.meals.welfare_alert import WelfareAlert

    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(150, 45)) as pilot:
        await open_newest_alert(app, pilot)
        screen = app.screen
        await pilot.press("a")
        await pilot.pause(0.2)
        assert app.store.get(screen.alert_id, WelfareAlert).status == "raised"
        assert screen.check_action("acknowledge", ()) is None  # shown as disabled
        assert "urgent · raised" in screen.body_text  # the trail is there…
        assert "Short of breath" not in screen.body_text  # …but not the health note
        assert "note: (not shown to this role)" in screen.body_text


def test_the_device_tile_groups_every_status_once() -> None:
    from console.tui.screens.dashboard import DEVICE_GROUPS
    from domain.devices.device import STATUSES

    grouped = [status for _, statuses in DEVICE_GROUPS for status in statuses]
    assert sorted(grouped) == sorted(STATUSES)
