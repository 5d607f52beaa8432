"""Messages the console's screens exchange."""

from __future__ import annotations

from textual.message import Message


class ViewsUpdated(Message, bubble=False):
    """The views moved forward in the log: screens showing them reload.

    It does not bubble: the app hands a copy to every mode's screen, and a copy
    bubbling back up to the app would be handed out again, endlessly.
    """

    def __init__(self, applied: int, position: int) -> None:
        super().__init__()
        self.applied = applied
        self.position = position
