"""The map of processed segments (palette: "Open map"): the map widget, the selection, and
field reports recorded at the selected segment.

Segments come from the segments view (``domain.sensing.views``), combined over sessions
into 100 m places. ``f`` opens a small form and records a postman's field report (illegal
dumping, failing signage, pedestrian count) at the selected segment's midpoint through the
same domain service as ``maillage reports add``, in a worker thread; a refusal is a
notification and nothing is recorded. Read-only roles see the binding disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.tui.screens.form import Choice, Field, FormScreen, FormValues
from console.tui.widgets.map import SegmentMap, describe, midpoint
from domain.errors import MaillageError
from domain.sensing.field_report import REPORT_KINDS, record_report
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp
    from domain.application import Maillage

RECORDING_ACTIONS = ("field_report",)
"""Actions that record events: disabled for read-only roles and without a selection."""


def load_places(
    store: Maillage, directory: Path | None = None
) -> tuple[list[dict[str, Any]], int, list[tuple[float, float, float, float]]]:
    """Combined 100 m segments of every processed session the segments view holds, how
    many processed sessions were left out because their results are missing, and the
    streets of the road network around them (none without a network)."""
    from domain.sensing import service
    from domain.territory import service as territory

    found = service.places(store, fallback=directory, with_recommendations=False)
    network = territory.current_network(store)
    base = territory.base_lines(network, found.places) if network is not None else []
    return found.places, len(found.missing), base


class MapScreen(Screen[None]):
    """Segments coloured by an indicator; the selected segment's values below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="map_screen.close"),
        Binding("f", "field_report", "Field report", id="map_screen.field_report"),
    ]

    def __init__(
        self, places: Sequence[dict[str, Any]] | None = None, directory: Path | None = None
    ):
        super().__init__()
        self.places = places
        self.directory = directory
        self.missing = 0
        self.selected_place: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="map-box"):
            yield Label("[b]Map[/b] · loading…", id="map-title")
            if self.places is not None:
                yield SegmentMap(self.places, id="segment-map")
            yield Static("", id="map-selection", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.places is None:
            self._load()
        else:
            self._loaded(self.places)

    @property
    def console(self) -> MaillageApp | None:
        """The maillage app when the screen runs in it (a bare app only shows places)."""
        from console.tui.app import MaillageApp

        return self.app if isinstance(self.app, MaillageApp) else None

    @work(thread=True, exclusive=True, group="map-read")
    def _load(self) -> None:
        console = self.console
        assert console is not None
        places, missing, base = load_places(console.store, self.directory)
        self.app.call_from_thread(self._mount_map, places, missing, base)

    def _mount_map(
        self,
        places: list[dict[str, Any]],
        missing: int,
        base: list[tuple[float, float, float, float]],
    ) -> None:
        self.places = places
        self.missing = missing
        self.query_one("#map-box").mount(
            SegmentMap(places, base, id="segment-map"), before="#map-selection"
        )
        self._loaded(places)

    def _loaded(self, places: Sequence[dict[str, Any]]) -> None:
        self.query_one("#segment-map", SegmentMap).focus()

    def on_segment_map_selected(self, message: SegmentMap.Selected) -> None:
        view = self.query_one("#segment-map", SegmentMap)
        self.selected_place = message.place
        left_out = (
            f" · {plural(self.missing, 'session')} without their results file"
            if self.missing
            else ""
        )
        self.query_one("#map-title", Label).update(
            f"[b]Map[/b] · {plural(len(view.places), 'segment')}{left_out} · colour: "
            f"{view.indicator_label} · arrows pan · +/- zoom · i indicator · n/p select · "
            "f field report"
        )
        self.query_one("#map-selection", Static).update(describe(message.place, message.indicator))
        self.refresh_bindings()

    # ------------------------------------------------------------------ field reports

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording is for the depot's roles, at a selected segment."""
        if action not in RECORDING_ACTIONS:
            return True
        console = self.console
        if console is None or console.settings.read_only or console.settings.role == "ccas":
            return None  # shown, disabled
        return True if self.selected_place is not None else None

    def action_field_report(self) -> None:
        place = self.selected_place
        if place is None:
            return
        lat, lon = midpoint(place)
        fields: list[Choice | Field] = [
            Choice("kind", "What was seen", REPORT_KINDS),
            Field("count", "How many (pedestrians counted; items, default 1)", number=True),
            Field("note", "Note (one line, optional)"),
        ]

        def record(values: FormValues | None) -> None:
            if values is None:
                return
            count = values["count"]
            self._record(
                str(values["kind"]),
                lat,
                lon,
                float(count) if count is not None else None,
                str(values["note"] or ""),
            )

        self.app.push_screen(FormScreen(f"Field report at {lat:.5f}, {lon:.5f}", fields), record)

    @work(thread=True, exclusive=True, group="map-report")
    def _record(
        self, kind: str, lat_deg: float, lon_deg: float, count: float | None, note: str
    ) -> None:
        console = self.console
        assert console is not None
        if console.settings.read_only:  # the binding is disabled; never record anyway
            return
        try:
            record_report(console.store, kind, lat_deg, lon_deg, console.settings.user, count, note)
        except MaillageError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", title="Not recorded")
            return
        done = f"{kind.replace('_', ' ')} reported at {lat_deg:.5f}, {lon_deg:.5f}"
        self.app.call_from_thread(self.notify, done, title="Recorded")
        self.app.call_from_thread(console.update_views)
