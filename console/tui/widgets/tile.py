"""A dashboard tile: a titled box with a big figure and a line of detail."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static


class Tile(Vertical):
    """A titled box with a big figure and a line of detail."""

    def __init__(self, title: str, tile_id: str) -> None:
        super().__init__(id=tile_id, classes="tile")
        self.border_title = title
        self.figure = Label("…", classes="figure", markup=False)
        self.detail = Static("", classes="detail", markup=False)

    def compose(self) -> ComposeResult:
        yield self.figure
        yield self.detail

    def show(self, figure: str, detail: str) -> None:
        self.figure.update(figure)
        self.detail.update(detail)
