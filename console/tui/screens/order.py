"""One purchase order: its lines, what was received and delivered, its delivery notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.texts.orders import order_text
from console.tui.screens.reading import ReadingScreen
from domain.devices.views import orders_progress
from domain.errors import NotFoundError
from domain.store import ViewConnection

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class OrderScreen(ReadingScreen):
    """An order opened from the Orders tab (``maillage devices orders show``)."""

    heading = "Purchase order"

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference

    def read(self, app: MaillageApp) -> str:
        conn = ViewConnection.open(app.store.location)
        try:
            found = orders_progress(conn, self.reference)
        finally:
            conn.close()
        if not found:
            raise NotFoundError(f"no order {self.reference} is recorded")
        return order_text(found[0].as_json(), with_notes=True)
