"""Messages the console's screens exchange."""

from __future__ import annotations

from textual.message import Message


class ViewsUpdated(Message):
    """The views moved forward in the log: screens showing them reload."""

    def __init__(self, applied: int, position: int) -> None:
        super().__init__()
        self.applied = applied
        self.position = position
