"""The Devices mode driven by Textual's pilot on the demo store: tabs, details, packing."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import ProgressBar, TabbedContent

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.screens.device_events import DeviceEventsScreen
from console.tui.screens.devices import DevicesScreen
from console.tui.screens.establishment import EstablishmentScreen
from console.tui.screens.packing import PackingScreen
from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock
from domain.devices.device import Device
from domain.devices.service import allocate
from domain.devices.shipment import Shipment
from domain.devices.views import establishments_progress
from domain.ids import device_id, shipment_id
from domain.store import ViewConnection

from ..helpers import wait_for

PACKING = "EXP-0017"
"""A demo shipment still being packed."""


def make_app(store: Path, role: str | None = None) -> MaillageApp:
    settings = resolve(str(store), role, "claire", "37261" if role == "ccas" else None)
    return MaillageApp(settings, open_store(settings))


def views(app: MaillageApp) -> ViewConnection:
    return ViewConnection.open(app.store.location)


async def open_devices(app: MaillageApp, pilot) -> DevicesScreen:  # type: ignore[no-untyped-def]
    await pilot.press("3")
    screen = app.screen
    assert isinstance(screen, DevicesScreen)
    table = screen.query_one("#devices-table", VirtualTable)
    await wait_for(pilot, lambda: len(table.rows) == 20_000, "the devices to load")
    return screen


def table(screen: DevicesScreen, table_id: str) -> VirtualTable:
    return screen.query_one(f"#{table_id}", VirtualTable)


async def show_tab(pilot, screen: DevicesScreen, tab: str, table_id: str) -> VirtualTable:  # type: ignore[no-untyped-def]
    screen.query_one("#devices-tabs", TabbedContent).active = tab
    await wait_for(pilot, lambda: bool(screen.query(f"#{table_id}")), f"the {table_id}")
    found = table(screen, table_id)
    found.focus()
    await wait_for(pilot, lambda: found.has_focus_within, f"focus on the {table_id}")
    return found


async def move_to(pilot, found: VirtualTable, key: str) -> None:  # type: ignore[no-untyped-def]
    """Put the cursor on the row keyed ``key`` (source order, no filter)."""
    await wait_for(pilot, lambda: len(found.rows) > 0, "the table's rows")
    position = next(i for i in range(len(found.rows)) if found.view.row_key(i) == key)
    found.body.move_cursor(position)
    await wait_for(pilot, lambda: found.cursor_row_key == key, f"the cursor on {key}")


async def test_tabs_load(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_devices(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        conn = views(app)
        try:
            (orders,) = conn.fetchone("SELECT COUNT(*) FROM purchase_order_lines_view")
            (schools,) = conn.fetchone(
                "SELECT COUNT(DISTINCT allocated_uai) FROM devices_view "
                "WHERE allocated_uai IS NOT NULL"
            )
        finally:
            conn.close()
        assert len(table(screen, "orders-table").rows) == orders > 0
        assert " received" in table(screen, "orders-table").rows.cell(0, 4)
        assert len(table(screen, "establishments-table").rows) == schools > 0
        assert "delivered " in table(screen, "establishments-table").rows.cell(0, 2)
        shipments = table(screen, "shipments-table")
        assert len(shipments.rows) == 20
        keys = [shipments.rows.row_key(i) for i in range(20)]
        assert keys[0] == "EXP-0001" and PACKING in keys
        assert len(table(screen, "kits-table").rows) == 2
        calendar = str(screen.query_one("#kits-calendar").render())
        assert "Reservations" in calendar
        lines = {line.split()[0]: line for line in calendar.splitlines() if line}
        for kit in (table(screen, "kits-table").rows.row_key(i) for i in range(2)):
            # The demo books each kit three times from today (20 March) on, on separate days.
            assert lines[kit].split()[1:].count("1") == 3
        assert "5eB" in calendar and "CM2" in calendar
        assert "6eA" not in calendar  # before today, or returned


async def test_establishment_detail_shows_its_progress(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_devices(app, pilot)
        await app.workers.wait_for_complete()
        schools = await show_tab(pilot, screen, "tab-establishments", "establishments-table")
        conn = views(app)
        try:
            progress = next(p for p in establishments_progress(conn) if p.delivered)
        finally:
            conn.close()
        await move_to(pilot, schools, progress.uai)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EstablishmentScreen), "detail")
        detail = app.screen
        assert isinstance(detail, EstablishmentScreen)
        await wait_for(pilot, lambda: detail.progress is not None, "its progress")
        assert progress.label in detail.body_text
        bar = detail.query_one("#stage-delivered", ProgressBar)
        assert (bar.progress, bar.total) == (progress.delivered, progress.allocated)
        for status, n in progress.by_status.items():
            assert status.replace("_", " ") in detail.body_text and str(n) in detail.body_text
        await pilot.press("escape")
        assert app.screen is screen


def packable(app: MaillageApp, reference: str) -> tuple[list[str], str]:
    """Two serials allocated to the shipment's school, and one allocated to another school.

    The demo's allocated devices all wait for schools without a shipment being packed, so
    two of them are allocated again to this shipment's school first.
    """
    uai = app.store.get(shipment_id(reference), Shipment).uai
    conn = views(app)
    try:
        serials = [
            str(r[0])
            for r in conn.fetchall(
                "SELECT serial FROM devices_view WHERE status = 'allocated' AND "
                "allocated_uai <> ? ORDER BY serial LIMIT 3",
                (uai,),
            )
        ]
    finally:
        conn.close()
    allocate(app.store, serials[:2], uai, "claire")
    return serials[:2], serials[2]


async def open_packing(app: MaillageApp, pilot) -> PackingScreen:  # type: ignore[no-untyped-def]
    screen = await open_devices(app, pilot)
    await app.workers.wait_for_complete()
    shipments = await show_tab(pilot, screen, "tab-shipments", "shipments-table")
    await move_to(pilot, shipments, PACKING)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, PackingScreen), "the packing screen")
    packing = app.screen
    assert isinstance(packing, PackingScreen)
    return packing


async def scan(pilot, serial: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*serial.lower(), "enter")


async def test_packing_by_typing_serials_records_them(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(160, 44)) as pilot:
        (first, second), other = packable(app, PACKING)
        before = list(app.store.get(shipment_id(PACKING), Shipment).serials)
        packing = await open_packing(app, pilot)
        await scan(pilot, first)
        await scan(pilot, second)
        await scan(pilot, other)  # allocated to another school: refused, alone
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "2 packed · 1 refused" in packing.scans_text, "the scans")
        shipment = app.store.get(shipment_id(PACKING), Shipment)
        assert shipment.serials == [*before, first, second]
        for serial in (first, second):
            device = app.store.get(device_id(serial), Device)
            assert device.status == "packed"
        assert app.store.get(device_id(other), Device).status == "allocated"
        assert f"✗ {other}" in packing.scans_text
        assert any(other in n.message for n in app._notifications)


async def test_unknown_serial_is_refused_and_nothing_recorded(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(160, 44)) as pilot:
        position = app.store.last_position()
        before = list(app.store.get(shipment_id(PACKING), Shipment).serials)
        packing = await open_packing(app, pilot)
        await scan(pilot, "NOSUCHSERIAL")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "1 refused" in packing.scans_text, "the refusal")
        assert "✗ NOSUCHSERIAL" in packing.scans_text
        assert any(
            "NOSUCHSERIAL" in n.message and n.title == "Not recorded" for n in app._notifications
        )
        assert app.store.get(shipment_id(PACKING), Shipment).serials == before
        assert app.store.last_position() == position


async def test_a_sealed_shipment_cannot_be_packed(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = await open_devices(app, pilot)
        await app.workers.wait_for_complete()
        shipments = await show_tab(pilot, screen, "tab-shipments", "shipments-table")
        await move_to(pilot, shipments, "EXP-0001")
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is screen
        assert any(n.title == "Cannot pack" for n in app._notifications)


async def test_custody_chain_of_a_serial_opens(demo_store: Path) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(160, 44)) as pilot:
        conn = views(app)
        try:
            (serial,) = conn.fetchone(
                "SELECT serial FROM devices_view WHERE status = 'handed_over' ORDER BY serial"
            )
        finally:
            conn.close()
        screen = await open_devices(app, pilot)
        devices = table(screen, "devices-table")
        devices.focus()
        await move_to(pilot, devices, str(device_id(serial)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceEventsScreen), "custody")
        chain = app.screen
        assert isinstance(chain, DeviceEventsScreen)
        await wait_for(pilot, lambda: "Device.Announced" in chain.body_text, "its steps")
        text = chain.body_text
        assert f"Device {serial}" in text
        for step in ("Device.Received", "Device.Packed", "Device.Delivered", "Device.HandedOver"):
            assert step in text
        assert "by manifest" in text and "by " in text and " · at " in text


async def test_auditor_cannot_pack(demo_store: Path) -> None:
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(160, 44)) as pilot:
        position = app.store.last_position()
        screen = await open_devices(app, pilot)
        await app.workers.wait_for_complete()
        shipments = await show_tab(pilot, screen, "tab-shipments", "shipments-table")
        await move_to(pilot, shipments, PACKING)
        assert screen.check_action("pack", ()) is None  # shown, disabled
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, PackingScreen)
        # Even opened directly, the packing screen records nothing for the auditor.
        (first, _), _ = packable(app, PACKING)
        position = app.store.last_position()
        app.push_screen(PackingScreen(PACKING))
        await wait_for(pilot, lambda: isinstance(app.screen, PackingScreen), "packing screen")
        await scan(pilot, first)
        await app.workers.wait_for_complete()
        assert app.store.last_position() == position
        assert any("may not pack" in n.message for n in app._notifications)


def test_every_devices_binding_has_an_id_and_a_description() -> None:
    for owner in (DevicesScreen, DeviceEventsScreen, EstablishmentScreen, PackingScreen):
        for binding in owner.BINDINGS:
            assert getattr(binding, "id", None), f"{owner.__name__}: {binding} has no id"
            assert getattr(binding, "description", None), f"{owner.__name__}: {binding}"
