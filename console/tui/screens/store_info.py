"""The store's backend, location, size and the views' positions (``maillage store info``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.tui.screens.reading import ReadingScreen
from domain.summary import summarise

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class StoreInfoScreen(ReadingScreen):
    """A summary of the event store."""

    heading = "Event store"

    def read(self, app: MaillageApp) -> str:
        rows = summarise(app.store).rows()
        width = max(len(label) for label, _ in rows) + 2
        return "\n".join(f"{label:<{width}}{value}" for label, value in rows)
