"""Devices mode: devices, orders, establishments, shipments and kits, each in a tab.

Every table is read in one thread worker from the views. Enter on a device
opens its chain of custody; Enter on an establishment opens its progress; `p`
on a shipment still packing opens the packing screen (scanning serials).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from console.tui.messages import ViewsUpdated
from console.tui.screens.device_events import DeviceEventsScreen
from console.tui.screens.mode import ModeScreen
from console.tui.widgets.rows import Column, ColumnarRows
from console.tui.widgets.virtual_table import VirtualTable
from domain import clock
from domain.clock import PARIS
from domain.devices.views import (
    device_rows,
    establishments_progress,
    kits,
    orders_progress,
    reservations,
    shipments,
)
from domain.store import ViewConnection

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


CALENDAR_DAYS = 14
"""How many days ahead the kits' reservation calendar shows."""

COLUMNS = (
    Column("serial", "Serial", 12),
    Column("model", "Model", 28),
    Column("kind", "Kind", 7),
    Column("status", "Status", 11),
    Column("order", "Order", 17),
    Column("establishment", "Establishment", 36),
)
ORDER_COLUMNS = (
    Column("order", "Order", 17),
    Column("status", "Status", 16),
    Column("model", "Model", 28),
    Column("kind", "Kind", 7),
    Column("received", "Received", 24),
    Column("delivered", "Delivered", 9, "right", numeric=True),
)
ESTABLISHMENT_COLUMNS = (
    Column("uai", "UAI", 8),
    Column("name", "Name", 36),
    Column("progress", "Progress", 24),
    Column("allocated", "Allocated", 9, "right", numeric=True),
    Column("delivered", "Delivered", 9, "right", numeric=True),
)
SHIPMENT_COLUMNS = (
    Column("reference", "Shipment", 10),
    Column("uai", "UAI", 8),
    Column("depot", "Depot", 10),
    Column("status", "Status", 19),
    Column("devices", "Devices", 7, "right", numeric=True),
    Column("delivered", "Delivered", 9, "right", numeric=True),
    Column("missing", "Missing", 7, "right", numeric=True),
    Column("seal", "Seal", 12),
    Column("carrier", "Carrier", 14),
)
KIT_COLUMNS = (
    Column("reference", "Kit", 16),
    Column("uai", "UAI", 8),
    Column("cart", "Cart", 10),
    Column("status", "Status", 12),
    Column("devices", "Devices", 7, "right", numeric=True),
    Column("missing", "Missing", 7, "right", numeric=True),
)

RECORDING_ACTIONS = frozenset({"pack"})
"""Actions that record something: refused to the auditor and to the CCAS."""


def to_columnar(rows: list[tuple[str, ...]]) -> ColumnarRows:
    """Device view rows (id first) as the table's columns, keyed by device id."""
    keys = [r[0] for r in rows]
    data = {c.key: [r[i + 1] for r in rows] for i, c in enumerate(COLUMNS)}
    return ColumnarRows(COLUMNS, data, keys=keys)


def columnar(columns: tuple[Column, ...], rows: list[tuple[Any, ...]]) -> ColumnarRows:
    """Rows (key first) as table columns keyed by their first value."""
    data = {
        c.key: ["" if r[i + 1] is None else str(r[i + 1]) for r in rows]
        for i, c in enumerate(columns)
    }
    return ColumnarRows(columns, data, keys=[str(r[0]) for r in rows])


def can_record(app: MaillageApp) -> bool:
    """Whether the signed-in role may record device events from the console."""
    return not (app.settings.read_only or app.settings.role == "ccas")


def reservation_calendar(
    kit_refs: list[str], booked: list[dict[str, Any]], first: date, days: int = CALENDAR_DAYS
) -> str:
    """A text grid: one line per kit, one column per day, the classes booked that day."""
    span = [first + timedelta(days=n) for n in range(days)]
    head = f"{'Kit':<16} " + " ".join(d.strftime("%a%d") for d in span)
    lines = [f"Reservations, {first:%d/%m} to {span[-1]:%d/%m} (number of bookings per day)", head]
    for ref in kit_refs:
        cells = []
        for day in span:
            start = datetime.combine(day, time(0), PARIS).astimezone(UTC).isoformat()
            end = datetime.combine(day + timedelta(days=1), time(0), PARIS)
            end_iso = end.astimezone(UTC).isoformat()
            n = sum(
                1
                for r in booked
                if r["kit_reference"] == ref
                and _iso(r["start_at"]) < end_iso
                and _iso(r["end_at"]) > start
            )
            cells.append(f"{n:^5}" if n else "  ·  ")
        lines.append(f"{ref:<16} " + " ".join(cells))
    if not kit_refs:
        lines.append("no kit is assembled")
    for r in booked:
        lines.append(
            f"{r['kit_reference']}: {r['class_name']} ({r['uai']}) "
            f"{_local(r['start_at'])} → {_local(r['end_at'])} {r['status']}"
        )
    return "\n".join(lines)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return datetime.fromisoformat(str(value)).astimezone(UTC).isoformat()


def _local(value: Any) -> str:
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp.astimezone(PARIS).strftime("%d/%m %H:%M %Z")


class DevicesScreen(ModeScreen):
    """Devices, orders, establishments, shipments and kits; `/` filters each table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pack", "Pack shipment", id="devices.pack"),
    ]

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="devices-tabs"):
            with TabPane("Devices", id="tab-devices"):
                yield VirtualTable(id="devices-table")
            with TabPane("Orders", id="tab-orders"):
                yield VirtualTable(id="orders-table")
            with TabPane("Establishments", id="tab-establishments"):
                yield VirtualTable(id="establishments-table")
            with TabPane("Shipments", id="tab-shipments"):
                yield VirtualTable(id="shipments-table")
            with TabPane("Kits", id="tab-kits"), Vertical(id="kits-box"):
                yield VirtualTable(id="kits-table")
                yield Static("reading…", id="kits-calendar", markup=False)

    _shown_once = False

    def on_mount(self) -> None:
        self.load()

    @on(ViewsUpdated)
    def _views_moved(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="devices")
    def load(self) -> None:
        today = clock.now().astimezone(PARIS).date()
        first = datetime.combine(today, time(0), PARIS).astimezone(UTC)
        last = first + timedelta(days=CALENDAR_DAYS + 1)
        conn = ViewConnection.open(self.console.store.location)
        try:
            devices = to_columnar(device_rows(conn))
            orders = orders_progress(conn)
            schools = establishments_progress(conn)
            sent = shipments(conn)
            kit_rows = kits(conn)
            booked = reservations(conn, start=first.isoformat(), end=last.isoformat())
        finally:
            conn.close()
        tables = {
            "devices-table": devices,
            "orders-table": columnar(
                ORDER_COLUMNS,
                [
                    (
                        f"{o.reference}:{x.model}",
                        o.reference,
                        o.status.replace("_", " "),
                        x.model,
                        x.kind,
                        f"{x.received} of {x.ordered} received",
                        x.delivered,
                    )
                    for o in orders
                    for x in o.lines
                ],
            ),
            "establishments-table": columnar(
                ESTABLISHMENT_COLUMNS,
                [(p.uai, p.uai, p.name or "", p.label, p.allocated, p.delivered) for p in schools],
            ),
            "shipments-table": columnar(
                SHIPMENT_COLUMNS,
                [
                    (
                        s["reference"],
                        s["reference"],
                        s["uai"],
                        s["depot"],
                        str(s["status"]).replace("_", " "),
                        s["devices"],
                        s["delivered"],
                        s["missing"],
                        s["seal_number"],
                        s["carrier"],
                    )
                    for s in sent
                ],
            ),
            "kits-table": columnar(
                KIT_COLUMNS,
                [
                    (
                        k["reference"],
                        k["reference"],
                        k["uai"],
                        k["cart_id"],
                        str(k["status"]).replace("_", " "),
                        len(k["serials"]),
                        len(k["missing_serials"]),
                    )
                    for k in kit_rows
                ],
            ),
        }
        calendar = reservation_calendar([k["reference"] for k in kit_rows], booked, today)
        if not get_current_worker().is_cancelled:  # a newer load is under way
            self.app.call_from_thread(self._show, tables, calendar)

    def _show(self, tables: dict[str, ColumnarRows], calendar: str) -> None:
        for table_id, rows in tables.items():
            self.query_one(f"#{table_id}", VirtualTable).set_rows(rows)
        self.query_one("#kits-calendar", Static).update(calendar)
        if not self._shown_once:  # first load: the devices table takes the keys
            self._shown_once = True
            self.query_one("#devices-table", VirtualTable).focus()
        self.refresh_bindings()

    # ------------------------------------------------------------------ opening rows

    @on(VirtualTable.RowOpened, "#devices-table")
    def _open_device(self, message: VirtualTable.RowOpened) -> None:
        serial = message.table.rows.cell(message.row_index, 0)
        self.app.push_screen(DeviceEventsScreen(serial))

    @on(VirtualTable.RowOpened, "#establishments-table")
    def _open_establishment(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.establishment import EstablishmentScreen

        self.app.push_screen(EstablishmentScreen(message.row_key))

    @on(VirtualTable.RowOpened, "#orders-table")
    def _open_order(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.order import OrderScreen

        self.app.push_screen(OrderScreen(message.row_key.partition(":")[0]))

    @on(VirtualTable.RowOpened, "#shipments-table")
    def _open_shipment(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.shipment import ShipmentScreen

        self.app.push_screen(ShipmentScreen(message.row_key))

    @on(VirtualTable.RowOpened, "#kits-table")
    def _open_kit(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.kit import KitScreen

        self.app.push_screen(KitScreen(message.row_key))

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    # ------------------------------------------------------------------ packing

    def _shipment_status(self) -> tuple[str, str] | None:
        """(reference, status) of the shipment under the cursor of the Shipments tab."""
        table = self.query_one("#shipments-table", VirtualTable)
        index = table.cursor_row_index
        if index is None:
            return None
        return table.rows.cell(index, 0), table.rows.cell(index, 3)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Packing shows on the Shipments tab; disabled for roles that may not record."""
        if action not in RECORDING_ACTIONS:
            return True
        if self.query_one("#devices-tabs", TabbedContent).active != "tab-shipments":
            return False
        return True if can_record(self.console) else None

    def action_pack(self) -> None:
        if not can_record(self.console):  # bindings are disabled too; this guards calls
            self.notify("your role may not record", severity="error", title="Not recorded")
            return
        chosen = self._shipment_status()
        if chosen is None:
            return
        reference, status = chosen
        if status != "packing":
            self.notify(
                f"shipment {reference} is {status}: only a shipment being packed takes devices",
                severity="warning",
                title="Cannot pack",
            )
            return
        from console.tui.screens.packing import PackingScreen

        self.app.push_screen(PackingScreen(reference))
