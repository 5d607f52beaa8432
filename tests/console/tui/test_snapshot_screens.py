"""Snapshots of every mode and every dialog at 100×30 (the smallest room the console is
made for: key hints and columns must stay legible) and 200×50, on the demo store with a
fixed clock, fixed seeds, a fixed path and no cursor blink.

Update after an intended change with ``python -m pytest tests/console/tui/test_snapshot_screens.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import UUID

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock
from domain.store import ViewConnection

from ..helpers import wait_for

SIZES = {"100x30": (100, 30), "200x50": (200, 50)}


def _first(store: Path, query: str) -> str:
    conn = ViewConnection.open(resolve(str(store), None, None).location)
    try:
        return str(conn.fetchone(query)[0])
    finally:
        conn.close()


async def _still(pilot: Pilot) -> None:
    """No cursor blinks, nothing moves: the screen as it will stay."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _mode(key: str, ready: Callable[[Screen[object]], bool]) -> Callable[[Pilot], Awaitable[None]]:
    async def run(pilot: Pilot) -> None:
        await pilot.press(key)
        await wait_for(pilot, lambda: ready(pilot.app.screen), f"mode {key} to load")
        await _still(pilot)

    return run


def _rows(table_id: str, n: int = 1) -> Callable[[Screen[object]], bool]:
    return lambda s: (
        bool(s.query(f"#{table_id}")) and len(s.query_one(f"#{table_id}", VirtualTable).rows) >= n
    )


MODES: dict[str, Callable[[Pilot], Awaitable[None]]] = {
    "dashboard": _mode("1", lambda s: "events" in str(s.query_one("#tile-log").figure.render())),
    "meals": _mode("2", _rows("beneficiaries-table", 60)),
    "devices": _mode("3", _rows("devices-table", 20_000)),
}
"""The Audit mode shows when the log's records were written (wall time of the demo's build)
and the Sensors mode live panels: neither gives a stable picture."""


def _app(store: Path) -> MaillageApp:
    settings = resolve(str(store), "operator", "claire")
    return MaillageApp(settings, open_store(settings))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", MODES)
def test_mode(
    snap_compare, fixed_store: Path, paris_clock: FixedClock, mode: str, size: str
) -> None:  # type: ignore[no-untyped-def]
    app = _app(fixed_store)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=MODES[mode])


def _dialog(store: Path, name: str) -> Screen[object]:
    """The dialog ``name`` on a fixed subject of the demo."""
    from console.tui.screens.alert import AlertScreen
    from console.tui.screens.beneficiary import BeneficiaryScreen
    from console.tui.screens.confirm import ConfirmScreen
    from console.tui.screens.device_events import DeviceEventsScreen
    from console.tui.screens.form import Choice, Field, FormScreen
    from console.tui.screens.kit import KitScreen
    from console.tui.screens.order import OrderScreen
    from console.tui.screens.round import RoundScreen
    from console.tui.screens.sessions import SessionsScreen
    from console.tui.screens.shipment import ShipmentScreen
    from console.tui.screens.store_info import StoreInfoScreen

    if name == "round":
        return RoundScreen(UUID(_first(store, "SELECT id FROM rounds_view WHERE status = "
                                              "'loaded' ORDER BY day, postman")))  # fmt: skip
    if name == "alert":
        return AlertScreen(UUID(_first(store, "SELECT id FROM welfare_alerts_view "
                                              "ORDER BY raised_at DESC")))  # fmt: skip
    if name == "beneficiary":
        return BeneficiaryScreen(UUID(_first(store, "SELECT id FROM beneficiaries_view "
                                                    "ORDER BY file_number")))  # fmt: skip
    if name == "custody":
        return DeviceEventsScreen(_first(store, "SELECT serial FROM devices_view WHERE status "
                                                "= 'returned' ORDER BY serial"))  # fmt: skip
    if name == "shipment":
        return ShipmentScreen("EXP-0017")
    if name == "kit":
        return KitScreen(_first(store, "SELECT reference FROM kits_view ORDER BY reference"))
    if name == "order":
        return OrderScreen(_first(store, "SELECT reference FROM purchase_orders_view "
                                         "ORDER BY reference"))  # fmt: skip
    if name == "sessions":
        return SessionsScreen()
    if name == "store-info":
        return StoreInfoScreen()
    if name == "confirm":
        return ConfirmScreen("Close the round of 2026-03-20 (L. Petit)?")
    return FormScreen(
        "Plan a round",
        [
            Field("municipality", "Municipality (INSEE code)", required=True, value="37261"),
            Field("day", "Day (YYYY-MM-DD)", required=True, value="2026-03-23", kind="day"),
            Field("postman", "Postman", required=True),
            Field("vehicle", "Van", required=True),
            Choice("optimise", "Order of the stops", ("default", "optimised")),
        ],
    )


DIALOGS = ("round", "alert", "beneficiary", "custody", "shipment", "kit", "order", "store-info",
           "confirm", "form")  # fmt: skip
"""The sessions list names each session by its id's first characters, new with every demo
build: it is checked by its functional test instead."""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", DIALOGS)
def test_dialog(
    snap_compare, fixed_store: Path, paris_clock: FixedClock, dialog: str, size: str
) -> None:  # type: ignore[no-untyped-def]
    app = _app(fixed_store)
    screen = _dialog(fixed_store, dialog)

    async def run(pilot: Pilot) -> None:
        await wait_for(
            pilot, lambda: "events" in str(pilot.app.screen.query_one("#tile-log").figure.render()),
            "the dashboard",
        )  # fmt: skip
        await pilot.app.push_screen(screen)
        body = getattr(screen, "body_text", None)
        if body is not None:
            await wait_for(pilot, lambda: "reading…" not in screen.body_text, "the dialog's text")
        await _still(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run)
