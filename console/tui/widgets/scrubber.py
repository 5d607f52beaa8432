"""The audit's scrubber: a bar of the log whose marker is the as-of point; a click moves it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from domain.clock import PARIS


class Scrubber(Widget):
    """The as-of point on a track over the log's positions; a click moves it there."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "scrubber--done",
        "scrubber--track",
        "scrubber--knob",
        "scrubber--end",
    }

    class Moved(Message):
        """A click on the track asks for another as-of position."""

        def __init__(self, position: int) -> None:
            super().__init__()
            self.position = position

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.first, self.last, self.position = 0, 0, 0
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None

    def show(
        self,
        first: int,
        last: int,
        position: int,
        first_time: datetime | None = None,
        last_time: datetime | None = None,
    ) -> None:
        self.first, self.last, self.position = first, last, position
        self.first_time, self.last_time = first_time, last_time
        self.refresh()

    def _ends(self) -> tuple[str, str]:
        left = self.first_time.astimezone(PARIS).strftime("%Y-%m-%d") if self.first_time else ""
        right = self.last_time.astimezone(PARIS).strftime("%Y-%m-%d") if self.last_time else ""
        return f"{left} ", f" {right}"

    def _track(self) -> tuple[int, int]:
        """(start column, width) of the track."""
        left, right = self._ends()
        return len(left), max(1, self.size.width - len(left) - len(right))

    def render(self) -> Text:
        left, right = self._ends()
        _, width = self._track()
        share = (self.position - self.first) / max(1, self.last - self.first)
        knob = max(0, min(width - 1, round(share * (width - 1))))
        text = Text(left, style=self.get_component_rich_style("scrubber--end", partial=True))
        text.append("━" * knob, style=self.get_component_rich_style("scrubber--done", partial=True))
        text.append("●", style=self.get_component_rich_style("scrubber--knob", partial=True))
        text.append(
            "─" * (width - knob - 1),
            style=self.get_component_rich_style("scrubber--track", partial=True),
        )
        text.append(right, style=self.get_component_rich_style("scrubber--end", partial=True))
        return text

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self.last <= 0:
            return
        start, width = self._track()
        share = min(1.0, max(0.0, (offset.x - start) / max(1, width - 1)))
        self.post_message(self.Moved(self.first + round(share * (self.last - self.first))))
