"""Devices mode: every device in the virtual table, with its custody events on Enter."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.worker import get_current_worker

from console.messages import ViewsUpdated
from console.screens.mode import ModeScreen
from console.screens.reading import ReadingScreen
from console.widgets.rows import Column, ColumnarRows
from console.widgets.virtual_table import VirtualTable
from domain.store import ViewConnection
from domain.views.activity import event_type
from domain.views.devices import device_rows

if TYPE_CHECKING:
    from console.app import MaillageApp

PARIS = ZoneInfo("Europe/Paris")

COLUMNS = (
    Column("serial", "Serial", 12),
    Column("model", "Model", 28),
    Column("kind", "Kind", 7),
    Column("status", "Status", 11),
    Column("order", "Order", 17),
    Column("establishment", "Establishment", 36),
)


def to_columnar(rows: list[tuple[str, ...]]) -> ColumnarRows:
    """Device view rows (id first) as the table's columns, keyed by device id."""
    keys = [r[0] for r in rows]
    data = {c.key: [r[i + 1] for r in rows] for i, c in enumerate(COLUMNS)}
    return ColumnarRows(COLUMNS, data, keys=keys)


class DevicesScreen(ModeScreen):
    """All devices; `/` filters by serial, model, status or school."""

    def compose_body(self) -> ComposeResult:
        yield VirtualTable(id="devices-table")

    def on_mount(self) -> None:
        self.load()

    @on(ViewsUpdated)
    def _views_moved(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="devices")
    def load(self) -> None:
        conn = ViewConnection.open(self.console.store.location)
        try:
            rows = to_columnar(device_rows(conn))
        finally:
            conn.close()
        if not get_current_worker().is_cancelled:  # a newer load is under way
            self.app.call_from_thread(self._show, rows)

    def _show(self, rows: ColumnarRows) -> None:
        table = self.query_one(VirtualTable)
        table.set_rows(rows)
        table.focus()

    @on(VirtualTable.RowOpened)
    def _open_device(self, message: VirtualTable.RowOpened) -> None:
        self.app.push_screen(DeviceEventsScreen(UUID(message.row_key)))


class DeviceEventsScreen(ReadingScreen):
    """The recorded events of one device, oldest first, in Paris time."""

    heading = "Device history"

    def __init__(self, device_id: UUID) -> None:
        super().__init__()
        self.device_id = device_id

    def read(self, app: MaillageApp) -> str:
        lines = []
        for event in app.store.events.get(self.device_id):
            stamp: datetime = event.timestamp  # type: ignore[attr-defined]
            local = stamp.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            kind = event_type(f"x:{type(event).__qualname__}")
            lines.append(f"{local}  v{event.originator_version}  {kind}")
        return "\n".join(lines) or "no events recorded for this device"
