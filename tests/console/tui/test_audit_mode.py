"""The Audit mode driven by Textual's pilot on a small real store, as an auditor: browse the log,
filter it, scrub back and see the state change, select another aggregate, read new events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from textual.binding import Binding
from textual.pilot import Pilot

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.screens.audit import AuditScreen
from console.tui.screens.go_to import GoToScreen
from console.tui.widgets.audit_table import AuditTable
from domain import clock
from domain.application import Maillage
from domain.audit.command_record import Actor
from domain.audit.verify import chain_head
from domain.devices.service import ManifestLine, announce_devices
from domain.ids import device_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector

from ..helpers import wait_for

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@dataclass(frozen=True)
class Small:
    path: Path
    town: UUID
    jeanne: UUID
    louis: UUID
    last: int


@pytest.fixture
def small(tmp_path: Path) -> Small:
    """1 town, 2 Jeanne (08:00 UTC), 3 her diet (09:00), 4-5 devices (10:00), 6 her week and
    7 Louis (11:00); views up to date, as the console keeps them."""
    path = tmp_path / "small.sqlite"
    with clock.using_clock(clock.FixedClock(START)) as c:
        app = Maillage(StoreLocation.parse(str(path)))
        town = Municipality.register(
            "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
        )
        jeanne = Beneficiary.register(
            "37261", "F1", town.id, {"name": "Jeanne Moreau"}, 47.39, 0.69, "low"
        )
        app.save(town, jeanne)
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        jeanne.prescribe_diet("no_salt", "minced", [], [])
        app.save(jeanne)
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        announce_devices(app, [ManifestLine(f"SN{i}", "iPad", "tablet", "CVL-1") for i in (1, 2)])
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        jeanne.set_weekly_pattern({0: 1})
        louis = Beneficiary.register(
            "37261", "F2", town.id, {"name": "Louis Girard"}, 47.39, 0.69, "low"
        )
        app.save(jeanne, louis)
        assert app.last_position() == 7
        with Projector(app, all_views()) as projector:
            projector.catch_up()
        app.close()
    return Small(path, town.id, jeanne.id, louis.id, 7)


def make_app(store: Path) -> MaillageApp:
    settings = resolve(str(store), "auditor", "claire", None)
    return MaillageApp(settings, open_store(settings))


async def open_audit(app: MaillageApp, pilot: Pilot, rows: int) -> AuditScreen:
    await pilot.press("5")
    screen = app.screen
    assert isinstance(screen, AuditScreen)
    await wait_for(pilot, lambda: listed(screen) == rows and loaded(screen), f"{rows} log rows")
    return screen


def listed(screen: AuditScreen) -> int:
    rows = screen.log_rows
    return -1 if rows is None else len(rows)


def loaded(screen: AuditScreen) -> bool:
    rows = screen.log_rows
    return rows is not None and all(rows.loaded(i) for i in range(len(rows)))


def column(screen: AuditScreen, index: int) -> list[str]:
    rows = screen.log_rows
    assert rows is not None
    return [rows.cell(i, index) for i in range(len(rows))]


def dimmed(table: AuditTable, row: int) -> bool:
    """Whether the table draws a data row dimmed (line 0 is the header)."""
    return any(s.style is not None and s.style.dim for s in table.body.render_line(row + 1))


async def test_browse_filter_scrub_back_and_select_another_aggregate(small: Small) -> None:
    app = make_app(small.path)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_audit(app, pilot, small.last)
        # Browse: the whole log, newest last, the as-of point at its end.
        head_position, head_link = chain_head(app.store)
        assert f"log read up to position {small.last:,}" in screen.head_text
        assert f"chain head at position {head_position:,}: {head_link.hex()[:16]}" in (
            screen.head_text
        )
        assert screen.log_rows is not None
        assert screen.log_rows.row(0) == (
            "1",
            "2026-03-02 09:00:00 CET",
            "Municipality",
            "Registered",
            small.town.hex[:8],
        )
        assert column(screen, 3) == [
            "Registered",
            "Registered",
            "DietPrescribed",
            "Announced",
            "Announced",
            "WeeklyPatternSet",
            "Registered",
        ]
        assert screen.as_of == small.last and screen.log_table.cursor_row_key == "7"
        assert "as of position 7 of 7" in screen.as_of_text

        # Filter by type, typed in the filter bar.
        await pilot.press("f", *"Beneficiary", "enter")
        await wait_for(pilot, lambda: listed(screen) == 4 and loaded(screen), "the filter")
        assert column(screen, 0) == ["2", "3", "6", "7"]
        assert screen.log_table.body.has_focus and screen.log_table.cursor_row_key == "7"

        # Enter on Jeanne's week: her state as of that event.
        await pilot.press("up", "enter")
        await wait_for(
            pilot,
            lambda: screen.selected == small.jeanne and "version 3 of 3" in screen.state_text,
            "Jeanne's state",
        )
        assert screen.as_of == 6
        assert screen.state_text.startswith(f"Beneficiary {small.jeanne.hex[:8]}")
        assert '"0": 1' in screen.state_text and "Jeanne" not in screen.state_text
        assert not any(dimmed(screen.events_table, r) for r in range(3))

        # Scrub back one listed event: the state as of her diet; her week is now after it.
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: "version 2 of 3" in screen.state_text, "the state at 3")
        assert screen.as_of == 3 and screen.log_table.cursor_row_key == "3"
        pattern_line = next(line for line in screen.state_text.splitlines() if "pattern" in line)
        assert pattern_line.split() == ["pattern", "{}"]
        assert dimmed(screen.events_table, 2) and not dimmed(screen.events_table, 0)
        assert screen.events_table.cursor_row_key == "3"
        assert dimmed(screen.log_table, 2) and not dimmed(screen.log_table, 0)  # row 2 is 6

        # Her previous event, then a day back: before anything was written.
        await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: "version 1 of 3" in screen.state_text, "the state at 2")
        assert screen.as_of == 2
        await pilot.press("left_curly_bracket")
        await wait_for(pilot, lambda: "did not exist yet" in screen.state_text, "a day back")
        assert screen.as_of == 0 and "before the first event" in screen.as_of_text
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "version 1 of 3" in screen.state_text, "forward again")
        assert screen.as_of == 2

        # The scrubber: a click at the start of its track, then at its end.
        track_start = 1 + len("2026-03-02 ")  # padding, then the first day's date
        await pilot.click("#audit-scrubber", offset=(track_start, 0))
        await wait_for(pilot, lambda: "did not exist yet" in screen.state_text, "the start")
        assert screen.as_of == 1
        width = screen.query_one("#audit-scrubber").region.width
        await pilot.click("#audit-scrubber", offset=(width - track_start - 1, 0))  # last cell
        await wait_for(pilot, lambda: "version 3 of 3" in screen.state_text, "the end")
        assert screen.as_of == small.last

        # Every event again, go to position 4 and open it: a device, as of then.
        await pilot.press("x")
        await wait_for(pilot, lambda: listed(screen) == small.last and loaded(screen), "no filter")
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GoToScreen), "the go-to box")
        await pilot.press("4", "enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.as_of == 4, "position 4")
        assert screen.log_table.cursor_row_key == "4"
        await pilot.press("enter")
        device = device_id("SN1")
        await wait_for(pilot, lambda: screen.selected == device, "the device")
        await wait_for(pilot, lambda: screen.state_text.startswith("Device "), "its state")
        assert "serial" in screen.state_text and "SN1" in screen.state_text
        assert screen.events_table.rows.cell(0, 3) == "Announced"


async def test_a_type_filter_and_an_aggregate_filter_from_the_bar(small: Small) -> None:
    app = make_app(small.path)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_audit(app, pilot, small.last)
        screen.filter_by(type="Registered", aggregate=small.louis.hex[:8])
        await wait_for(pilot, lambda: listed(screen) == 1 and loaded(screen), "Louis' creation")
        assert column(screen, 0) == ["7"] and "filtered" in screen.head_text
        screen.filter_by(type="", aggregate="", since="2026-03-02 10:00", until="2026-03-02 11:00")
        await wait_for(pilot, lambda: listed(screen) == 3 and loaded(screen), "the hour")
        assert column(screen, 0) == ["3", "4", "5"]  # 09:00 to 10:00 UTC
        screen.filter_by(since="", until="", type="not a type!")
        await wait_for(pilot, lambda: bool(app._notifications), "the refusal")
        assert "is not a name" in next(iter(app._notifications)).message
        assert listed(screen) == 3  # nothing changed


async def test_new_events_are_announced_and_read_on_request(small: Small) -> None:
    app = make_app(small.path)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_audit(app, pilot, small.last)
        writer = Maillage(StoreLocation.parse(str(small.path)))
        announce_devices(writer, [ManifestLine("SN9", "iPad", "tablet", "CVL-1")])
        writer.close()
        app.update_views()
        await wait_for(pilot, lambda: "1 new events: r reads them" in screen.head_text, "news")
        assert listed(screen) == small.last  # what is shown does not move by itself
        await pilot.press("r")
        await wait_for(pilot, lambda: listed(screen) == small.last + 1, "the new event")
        await wait_for(pilot, lambda: loaded(screen), "its row")
        assert column(screen, 3)[-1] == "Announced" and screen.as_of == small.last + 1
        assert "new events" not in screen.head_text


async def test_an_aggregate_s_events_name_who_wrote_them(small: Small) -> None:
    writer = Maillage(StoreLocation.parse(str(small.path)))
    writer.act_as(Actor("operator", "lea"), "devices announce")
    announce_devices(writer, [ManifestLine("SN9", "iPad", "tablet", "CVL-1")])
    writer.close()
    app = make_app(small.path)
    async with app.run_test(size=(200, 44)) as pilot:
        screen = await open_audit(app, pilot, small.last + 2)  # the command record, the device
        assert screen.log_table.cursor_row_key == str(small.last + 2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.selected == device_id("SN9"), "the device")
        rows = screen.events_table.rows
        assert rows.cell(0, 3) == "Announced"
        assert rows.cell(0, 4) == "lea (operator) · devices announce"
    app.store.close()


def test_every_binding_of_the_mode_has_an_id_and_a_description() -> None:
    for screen in (AuditScreen, GoToScreen):
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id and binding.id.startswith("audit.")
            assert binding.description
    actions = {b.action.split("(")[0] for b in AuditScreen.BINDINGS if isinstance(b, Binding)}
    assert actions == {
        "step",
        "day",
        "aggregate_step",
        "go_to",
        "filters",
        "only_aggregate",
        "clear_filters",
        "reload",
        "leave_filters",
    }  # reading and moving only: the mode records nothing


async def test_a_ccas_user_does_not_browse_the_whole_log(small: Small) -> None:
    """The log holds every municipality's events: the ccas role (one municipality) is told so."""
    settings = resolve(str(small.path), "ccas", "claire", "37261")  # the tests' identity
    app = MaillageApp(settings, open_store(settings))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await pilot.pause()
        assert screen.query("#audit-closed")
        assert not screen.query(AuditTable)
        assert not screen.check_action("go_to", ())
    app.store.close()
