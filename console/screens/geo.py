"""The map of processed segments (palette: "Open map"): the map widget and the selection."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.widgets.map import SegmentMap, describe


def load_places(store: Any, directory: Path) -> list[dict[str, Any]]:
    """Combined 100 m segments of every processed session whose results file is at hand."""
    from console.geo_cli import processed_sessions
    from domain.sensing.combine import combine

    return combine(processed_sessions(store, directory, warn=False))


class MapScreen(Screen[None]):
    """Segments coloured by an indicator; the selected segment's values below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="map_screen.close"),
    ]

    def __init__(
        self, places: Sequence[dict[str, Any]] | None = None, directory: Path | None = None
    ):
        super().__init__()
        self.places = places
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical(id="map-box"):
            yield Label("[b]Map[/b] · loading…", id="map-title")
            if self.places is not None:
                yield SegmentMap(self.places, id="segment-map")
            yield Static("", id="map-selection")
        yield Footer()

    def on_mount(self) -> None:
        if self.places is None:
            self._load()
        else:
            self._loaded(self.places)

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        from console.app import MaillageApp
        from console.recording import journal_dir

        app = self.app
        assert isinstance(app, MaillageApp)
        places = load_places(app.store, self.directory or journal_dir(app.settings))
        app.call_from_thread(self._mount_map, places)

    def _mount_map(self, places: list[dict[str, Any]]) -> None:
        self.places = places
        self.query_one("#map-box").mount(
            SegmentMap(places, id="segment-map"), before="#map-selection"
        )
        self._loaded(places)

    def _loaded(self, places: Sequence[dict[str, Any]]) -> None:
        self.query_one("#segment-map", SegmentMap).focus()

    def on_segment_map_selected(self, message: SegmentMap.Selected) -> None:
        view = self.query_one("#segment-map", SegmentMap)
        self.query_one("#map-title", Label).update(
            f"[b]Map[/b] · {len(view.places)} segments · colour: {view.indicator_label} "
            "· arrows pan · +/- zoom · i indicator · n/p select"
        )
        self.query_one("#map-selection", Static).update(describe(message.place, message.indicator))
