"""A text read from the store by a function given when opened (a day's orders, the territory
in force, recommendations): a ``ReadingScreen`` without a class of its own for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from console.tui.screens.reading import ReadingScreen

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class TextScreen(ReadingScreen):
    """Shows what ``read(app)`` returns (run in a worker thread) under ``heading``."""

    def __init__(self, heading: str, read: Callable[[MaillageApp], str]) -> None:
        super().__init__()
        self.heading = heading
        self._read = read

    def read(self, app: MaillageApp) -> str:
        return self._read(app)
