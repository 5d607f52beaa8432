"""Devices from the command palette and from the rows they belong to: each entry driven by
the real app's pilot, its form filled, the event checked in the store."""

from __future__ import annotations

from pathlib import Path

from console.tui.app import MaillageApp
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.progress import ProgressScreen
from domain.clock import FixedClock
from domain.devices import service
from domain.devices.views import find_devices, kits, orders_progress, shipments
from domain.store import ViewConnection

from ..helpers import fill_form, make_app, notified, run_palette, wait_for


def _views(app: MaillageApp) -> ViewConnection:
    return ViewConnection.open(app.store.location)


def _serials(app: MaillageApp, status: str, n: int) -> list[str]:
    conn = _views(app)
    try:
        return [d.serial for d in find_devices(conn, status=status, limit=n)]
    finally:
        conn.close()


def _status(app: MaillageApp, serial: str) -> str:
    from domain.devices.device import Device
    from domain.ids import device_id

    return app.store.get(device_id(serial), Device).status


async def test_stage_allocate_prepare_seal_dispatch_deliver_and_hand_over(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        received = _serials(app, "received", 2)
        await run_palette(app, pilot, "Devices: stage devices")
        await fill_form(
            app, pilot, enrolments=" ".join(f"{s}=MDM-T{i}" for i, s in enumerate(received)),
            image="EDU-2026.04",
        )  # fmt: skip
        await wait_for(pilot, lambda: _status(app, received[1]) == "staged", "staging")

        uai = service.find_school(app.store, _a_school(app)).uai
        await run_palette(app, pilot, "Devices: allocate devices")
        await fill_form(app, pilot, serials=", ".join(received), uai=uai)
        await wait_for(pilot, lambda: _status(app, received[0]) == "allocated", "allocation")

        await run_palette(app, pilot, "Devices: prepare a shipment")
        await fill_form(app, pilot, reference="EXP-9001", uai=uai, depot="Tours Nord")
        await wait_for(pilot, lambda: notified(app, "EXP-9001 prepared"), "the shipment")
        service.pack(app.store, "EXP-9001", received, "claire")  # scanning: the packing screen

        await run_palette(app, pilot, "Devices: seal a shipment")
        await fill_form(app, pilot, reference="EXP-9001", seal="SEAL-77")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: service.find_shipment(app.store, "EXP-9001").status == "sealed", "seal"
        )
        await run_palette(app, pilot, "Devices: dispatch a shipment")
        await fill_form(app, pilot, reference="EXP-9001", carrier="Colissimo")
        await wait_for(
            pilot,
            lambda: service.find_shipment(app.store, "EXP-9001").status == "in_transit",
            "dispatch",
        )
        await run_palette(app, pilot, "Devices: deliver a shipment")
        await fill_form(app, pilot, reference="EXP-9001", recipient="Mme Leroy")
        await wait_for(
            pilot,
            lambda: service.find_shipment(app.store, "EXP-9001").status == "delivered",
            "delivery",
        )
        await run_palette(app, pilot, "Devices: hand over a device")
        await fill_form(app, pilot, serial=received[0], holder="P-0042", charter="self")
        await wait_for(pilot, lambda: _status(app, received[0]) == "handed_over", "hand-over")


def _a_school(app: MaillageApp) -> str:
    conn = _views(app)
    try:
        return str(conn.fetchone("SELECT uai FROM establishments_view ORDER BY uai")[0])
    finally:
        conn.close()


async def test_a_kit_reserved_checked_out_and_in(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        conn = _views(app)
        try:
            kit = next(k for k in kits(conn) if k["status"] == "available")
        finally:
            conn.close()
        ref = kit["reference"]
        await run_palette(app, pilot, "Devices: reserve a kit")
        await fill_form(
            app, pilot, reference=ref, class_name="3eD", start="2026-03-20 10:30",
            end="2026-03-20 12:00",
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "reservation"), "the reservation")
        found = service.find_kit(app.store, ref)
        (rid,) = [r for r, x in found.reservations.items() if x["class_name"] == "3eD"]
        await run_palette(app, pilot, "Devices: check a kit out")
        await fill_form(app, pilot, reference=ref, reservation=rid)
        await wait_for(
            pilot, lambda: service.find_kit(app.store, ref).status == "checked_out", "check-out"
        )
        await run_palette(app, pilot, "Devices: check a kit in")
        await fill_form(app, pilot, reference=ref, serials=" ".join(kit["serials"]))
        await wait_for(
            pilot, lambda: service.find_kit(app.store, ref).status == "available", "check-in"
        )


async def test_imports_with_progress_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    conn = ViewConnection.open(make_app(demo_store).settings.location)
    try:
        order = orders_progress(conn)[0]
    finally:
        conn.close()
    line = order.lines[0]
    room = make_app(demo_store).store  # the demo announced every device ordered: make room
    try:
        service.amend_order_line(room, order.reference, line.model, line.kind,
                                 line.ordered + 300, "a second wave", by="test")  # fmt: skip
    finally:
        room.close()
    manifest = tmp_path / "manifest.csv"
    lines = [f"TUI{i:04d},{line.model},{line.kind},{order.reference}" for i in range(300)]
    manifest.write_text("serial,model,kind,order_reference\n" + "\n".join(lines) + "\nBAD\n")
    export = tmp_path / "annuaire.csv"
    export.write_text(
        "identifiant_de_l_etablissement;nom_etablissement;type_etablissement;adresse_1;"
        "code_postal;nom_commune;latitude;longitude\n"
        "0379991J;Collège Test;Collège;2 rue Test;37000;Tours;47.39;0.69\n",
        encoding="utf-8",
    )
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Devices: import a manifest")
        await fill_form(app, pilot, file=str(manifest))
        await wait_for(pilot, lambda: notified(app, "300 devices announced"), "the import")
        assert notified(app, "1 set aside") and (tmp_path / "manifest.csv.bad-lines.csv").exists()
        assert _status(app, "TUI0299") == "announced"
        assert not isinstance(app.screen, ProgressScreen)  # the progress bar went away

        await run_palette(app, pilot, "Devices: import the schools directory")
        await fill_form(app, pilot, file=str(export))
        await wait_for(pilot, lambda: notified(app, "1 registered"), "the schools")
        assert service.find_school(app.store, "0379991J").name == "Collège Test"

        last = app.store.last_position()
        await run_palette(app, pilot, "Devices: import a manifest")
        await fill_form(app, pilot, file=str(tmp_path / "nowhere.csv"))
        await wait_for(pilot, lambda: notified(app, "cannot read"), "the refusal")
        assert app.store.last_position() == last


async def test_enter_opens_shipments_kits_and_orders_with_their_actions(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from textual.widgets import TabbedContent

    from console.tui.screens.kit import KitScreen
    from console.tui.screens.order import OrderScreen
    from console.tui.screens.shipment import ShipmentScreen
    from console.tui.widgets.virtual_table import VirtualTable

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        screen = app.screen
        for tab, table_id, opened in (
            ("tab-shipments", "shipments-table", ShipmentScreen),
            ("tab-kits", "kits-table", KitScreen),
            ("tab-orders", "orders-table", OrderScreen),
        ):
            screen.query_one("#devices-tabs", TabbedContent).active = tab
            table = screen.query_one(f"#{table_id}", VirtualTable)
            await wait_for(pilot, lambda t=table: len(t.rows) > 0, f"the {table_id}")
            await wait_for(pilot, lambda t=table: t.has_focus_within, "the table's focus")
            await pilot.press("enter")
            await wait_for(pilot, lambda o=opened: isinstance(app.screen, o), f"{opened.__name__}")
            shown = app.screen
            await wait_for(pilot, lambda s=shown: "reading…" not in s.body_text, "its text")
            assert "no " not in shown.body_text.split("\n")[0]
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back to the mode")

        conn = _views(app)
        try:
            packing = next(s for s in shipments(conn) if s["status"] == "packing")["reference"]
        finally:
            conn.close()
        shipment = ShipmentScreen(packing)
        await app.push_screen(shipment)
        await wait_for(pilot, lambda: packing in shipment.body_text, "the shipment")
        await run_palette(app, pilot, f"Shipment {packing}: seal")
        await fill_form(app, pilot, seal="SEAL-78")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: "sealed" in shipment.body_text, "the shipment read again")
