"""Snapshots of the key screens on the demo store (fixed clock, fixed seeds, fixed path).

Update after an intended change with ``python -m pytest tests/console/test_snapshots.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock

SIZE = (140, 42)


def make_app(store: Path) -> MaillageApp:
    settings = resolve(str(store), "operator", "claire")
    return MaillageApp(settings, open_store(settings))


def until(condition: Callable[[Pilot], bool]) -> Callable[[Pilot], object]:
    async def wait(pilot: Pilot) -> None:
        for _ in range(200):
            if condition(pilot):
                await pilot.pause()
                return
            await pilot.pause(0.05)
        raise AssertionError("the screen never reached the state to snapshot")

    return wait


def test_dashboard(snap_compare, fixed_store: Path, paris_clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(fixed_store)
    assert snap_compare(
        app,
        terminal_size=SIZE,
        run_before=until(
            lambda p: "events" in str(p.app.screen.query_one("#tile-log").figure.render())
        ),
    )


def test_meals_beneficiaries(snap_compare, fixed_store: Path, paris_clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(fixed_store)

    async def ready(pilot: Pilot) -> None:
        await pilot.press("2")
        await until(
            lambda p: len(p.app.screen.query_one("#beneficiaries-table", VirtualTable).rows) == 60
        )(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_meals_welfare_inbox(snap_compare, fixed_store: Path, paris_clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(fixed_store)

    async def ready(pilot: Pilot) -> None:
        await pilot.press("2")
        table = pilot.app.screen.query_one("#alerts-table", VirtualTable)
        await until(lambda p: len(table.rows) == 5)(pilot)
        pilot.app.screen.query_one("#meals-tabs").active = "tab-alerts"
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
