"""People in the console, for an administrator: the list, a role granted and one revoked from
the palette and from the People screen's keys, through the same service as ``maillage people``;
nothing of it offered to another role. Snapshots of the People screen at 100×30 and 200×50."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from console.tui.screens.people import PeopleScreen
from domain.application import Maillage
from domain.clock import FixedClock
from domain.people import credentials
from domain.people import service as people
from domain.store import StoreLocation

from ..helpers import fill_form, make_app, notified, run_palette, wait_for


def founded(store: Path) -> Path:
    """The demo store with claire (the tests' identity) as its administrator, and alice a ccas
    user of Tours."""
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        people.found(app, "claire")
        people.grant(app, "alice", "ccas", "37261", "claire")
    finally:
        app.close()
    return store


async def test_an_admin_grants_and_revokes_from_the_console(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(founded(demo_store), "admin")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "People: grant a role")
        await fill_form(app, pilot, login="bob", role="operator")
        await wait_for(pilot, lambda: notified(app, "bob now has the operator role"), "the grant")
        (bob,) = people.grants_of(app.store, "bob")
        assert (bob.role, bob.scope, bob.by) == ("operator", None, "claire")

        await run_palette(app, pilot, "People: list")
        screen = app.screen
        assert isinstance(screen, PeopleScreen)
        await wait_for(pilot, lambda: "bob" in screen.body_text, "the list")
        assert "ccas of 37261: granted by claire, 2026-03-20 11:00 CET" in screen.body_text
        await pilot.press("r")
        await fill_form(app, pilot, login="alice", role="ccas", scope="37261", reason="left")
        await wait_for(pilot, lambda: notified(app, "alice no longer has"), "the revocation")
        assert people.grants_of(app.store, "alice") == ()
        await wait_for(pilot, lambda: "alice  no role" in screen.body_text, "the list again")


async def test_a_refused_grant_records_nothing(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(founded(demo_store), "admin")
    async with app.run_test(size=(100, 30)) as pilot:
        last = app.store.last_position()
        await run_palette(app, pilot, "People: grant a role")
        await fill_form(app, pilot, login="dora", role="ccas")  # a ccas grant needs its town
        await wait_for(pilot, lambda: notified(app, "a ccas grant is for one municipality"), "no")
        assert app.store.last_position() == last


async def test_an_admin_sets_a_web_password_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(founded(demo_store), "admin")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "People: set a web password")
        secret = "correct horse battery staple"
        await fill_form(app, pilot, login="alice", password=secret, again=secret)
        await wait_for(pilot, lambda: notified(app, "web password of alice set"), "the password")
        assert credentials.verify_password(app.store, "alice", secret)
        assert not credentials.verify_password(app.store, "alice", "wrong horse battery staple")


@pytest.mark.parametrize("role", ["operator", "auditor", "ccas"])
async def test_people_are_not_offered_to_other_roles(
    demo_store: Path, paris_clock: FixedClock, role: str
) -> None:
    app = make_app(founded(demo_store), role)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        app.screen.query_one("#--input Input", Input).value = "People"
        options = app.screen.query_one(CommandList)
        await pilot.pause(0.3)
        await pilot.app.workers.wait_for_complete()
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert not any("People:" in p for p in prompts), prompts


@pytest.mark.parametrize("size", [(100, 30), (200, 50)], ids=["100x30", "200x50"])
def test_people_screen_snapshot(  # type: ignore[no-untyped-def]
    snap_compare, fixed_store: Path, paris_clock: FixedClock, size: tuple[int, int]
) -> None:
    app = make_app(founded(fixed_store), "admin")

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.push_screen(PeopleScreen())
        await wait_for(pilot, lambda: "alice" in pilot.app.screen.body_text, "the list")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)
