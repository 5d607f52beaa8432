"""A map of segments drawn in the terminal: half-block cells, coloured by a chosen indicator.

One widget, rendered line by line (``render_line``) from a raster cached until the view
changes: each cell shows two pixels (upper in the foreground, lower in the background).
Pan with the arrows, zoom with + and -, cycle the indicator with i, select with n / p.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from domain.sensing import indicators as ind
from domain.sensing.exports import COVERAGE_PALETTE, NO_DATA, PALETTE
from domain.sensing.recommendations import section_name
from domain.wording import plural

INDICATORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("iri_class", "roughness (IRI)", ind.IRI_CLASSES),
    ("iso8608_class", "road class (ISO 8608)", ind.ISO8608_CLASSES),
    ("air_class", "particulates (estimate)", ind.AIR_CLASSES),
    ("coverage_class", "LTE coverage", ind.COVERAGE_CLASSES),
)
EMPTY = -2
"""Raster value of a pixel with no segment."""
STREET = -4
"""Raster value of a pixel on a street of the road network (the base map)."""
BACKGROUND = "#202020"
STREET_COLOUR = "#505050"
SELECTED = "#ffffff"


def class_colour(key: str, cls: int) -> str:
    """The colour of a class of an indicator (the HTML report's palette)."""
    if cls < 0:
        return NO_DATA
    if key == "iri_class":
        return (PALETTE[0], PALETTE[2], PALETTE[4])[min(cls, 2)]
    if key == "coverage_class":
        return COVERAGE_PALETTE[min(cls, len(COVERAGE_PALETTE) - 1)]
    return PALETTE[min(cls, len(PALETTE) - 1)]


class SegmentMap(Widget, can_focus=True):
    """Segments (combined places) on a local plane; one selected segment."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "pan(-1, 0)", "Pan left", id="map.pan_left"),
        Binding("right", "pan(1, 0)", "Pan right", id="map.pan_right"),
        Binding("up", "pan(0, 1)", "Pan up", id="map.pan_up"),
        Binding("down", "pan(0, -1)", "Pan down", id="map.pan_down"),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", id="map.zoom_in", key_display="+"),
        Binding("minus", "zoom(2)", "Zoom out", id="map.zoom_out", key_display="-"),
        Binding("i", "cycle_indicator", "Indicator", id="map.indicator"),
        Binding("n", "select(1)", "Next segment", id="map.next"),
        Binding("p", "select(-1)", "Previous segment", id="map.previous"),
    ]
    DEFAULT_CSS = "SegmentMap { height: 1fr; }"

    indicator: reactive[int] = reactive(0)
    selected: reactive[int] = reactive(0)

    class Selected(Message):
        """The selected segment or the indicator changed."""

        def __init__(self, place: dict[str, Any] | None, indicator: str) -> None:
            self.place = place
            self.indicator = indicator
            super().__init__()

    def __init__(
        self,
        places: Sequence[dict[str, Any]],
        base: Sequence[tuple[float, float, float, float]] = (),
        **kwargs: Any,
    ) -> None:
        """``base``: street segments (lat0, lon0, lat1, lon1) drawn in grey under the places."""
        super().__init__(**kwargs)
        self.places = list(places)
        lats = [p[k] for p in self.places for k in ("lat0", "lat1")] or [0.0]
        self._lat0 = sum(lats) / len(lats)
        k = 6_371_008.8 * math.pi / 180
        self._kx, self._ky = k * math.cos(math.radians(self._lat0)), k
        self._xy = np.array(
            [
                [
                    p["lon0"] * self._kx,
                    p["lat0"] * self._ky,
                    p["lon1"] * self._kx,
                    p["lat1"] * self._ky,
                ]
                for p in self.places
            ]
        ).reshape(-1, 4)
        self._base = np.array(
            [[lon0 * self._kx, lat0 * self._ky, lon1 * self._kx, lat1 * self._ky]
             for lat0, lon0, lat1, lon1 in base]
        ).reshape(-1, 4)  # fmt: skip
        xs, ys = self._xy[:, [0, 2]], self._xy[:, [1, 3]]
        self.center = (
            float((xs.min() + xs.max()) / 2) if len(xs) else 0.0,
            float((ys.min() + ys.max()) / 2) if len(ys) else 0.0,
        )
        self._span_m = float(max(np.ptp(xs), np.ptp(ys), 50.0)) if len(xs) else 50.0
        self.metres_per_pixel = 0.0  # set from the size on first render
        self._raster: np.ndarray | None = None
        self._raster_key: tuple[Any, ...] = ()
        self._styles: dict[tuple[int, int], Style] = {}

    # ------------------------------------------------------------------ actions

    @property
    def indicator_key(self) -> str:
        return INDICATORS[self.indicator][0]

    @property
    def indicator_label(self) -> str:
        return INDICATORS[self.indicator][1]

    def _ensure_scale(self) -> None:
        if self.metres_per_pixel <= 0:
            w, h = max(self.size.width, 10), max(self.size.height * 2, 10)
            self.metres_per_pixel = self._span_m * 1.1 / min(w, h)

    def action_pan(self, dx: int, dy: int) -> None:
        """Move the view by a quarter of its width or height."""
        self._ensure_scale()
        step_x = self.size.width * self.metres_per_pixel / 4
        step_y = self.size.height * 2 * self.metres_per_pixel / 4
        self.center = (self.center[0] + dx * step_x, self.center[1] + dy * step_y)
        self.refresh()

    def action_zoom(self, factor: float) -> None:
        self._ensure_scale()
        self.metres_per_pixel = min(max(self.metres_per_pixel * factor, 0.05), 1e5)
        self.refresh()

    def action_cycle_indicator(self) -> None:
        self.indicator = (self.indicator + 1) % len(INDICATORS)

    def action_select(self, step: int) -> None:
        if self.places:
            self.selected = (self.selected + step) % len(self.places)

    def watch_indicator(self) -> None:
        self._announce()
        self.refresh()

    def watch_selected(self) -> None:
        self._announce()
        self.refresh()

    def on_mount(self) -> None:
        self._announce()

    def _announce(self) -> None:
        place = self.places[self.selected] if self.places else None
        self.post_message(self.Selected(place, self.indicator_key))

    # ------------------------------------------------------------------ drawing

    def raster(self, width: int, height_px: int) -> np.ndarray:
        """Class index per pixel (EMPTY where no segment; -3 for the selected segment)."""
        self._ensure_scale()
        key = (width, height_px, self.center, self.metres_per_pixel, self.indicator, self.selected)
        if self._raster is not None and key == self._raster_key:
            return self._raster
        grid = np.full((height_px, width), EMPTY, dtype=np.int64)
        cx, cy = self.center
        m = self.metres_per_pixel

        def draw(xy: np.ndarray, values: Sequence[int]) -> None:
            px = (xy[:, [0, 2]] - cx) / m + width / 2
            py = height_px / 2 - (xy[:, [1, 3]] - cy) / m
            for i, value in enumerate(values):
                n = int(max(abs(px[i, 1] - px[i, 0]), abs(py[i, 1] - py[i, 0]), 1)) + 1
                if n > 4 * (width + height_px):  # far off screen at this zoom: clip the work
                    n = 4 * (width + height_px)
                xs = np.rint(np.linspace(px[i, 0], px[i, 1], n)).astype(np.int64)
                ys = np.rint(np.linspace(py[i, 0], py[i, 1], n)).astype(np.int64)
                inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height_px)
                grid[ys[inside], xs[inside]] = value

        if len(self._base):
            draw(self._base, [STREET] * len(self._base))
        if len(self._xy):
            key_name = self.indicator_key
            order = [i for i in range(len(self.places)) if i != self.selected] + [self.selected]
            values = [int(p.get(key_name, -1)) for p in self.places]
            values[self.selected] = -3
            draw(self._xy[order], [values[i] for i in order])
        self._raster, self._raster_key = grid, key
        return grid

    def _colour(self, value: int) -> str:
        if value == EMPTY:
            return BACKGROUND
        if value == STREET:
            return STREET_COLOUR
        if value == -3:
            return SELECTED
        return class_colour(self.indicator_key, value)

    def _style(self, top: int, bottom: int) -> Style:
        style = self._styles.get((top, bottom, self.indicator))  # type: ignore[arg-type]
        if style is None:
            style = Style(color=self._colour(top), bgcolor=self._colour(bottom))
            self._styles[(top, bottom, self.indicator)] = style  # type: ignore[index]
        return style

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if width <= 0 or y >= height:
            return Strip.blank(width)
        grid = self.raster(width, height * 2)
        top, bottom = grid[2 * y], grid[2 * y + 1]
        segments: list[Segment] = []
        run_start = 0
        for x in range(1, width + 1):
            if x == width or top[x] != top[run_start] or bottom[x] != bottom[run_start]:
                segments.append(
                    Segment(
                        "▀" * (x - run_start),
                        self._style(int(top[run_start]), int(bottom[run_start])),
                    )
                )
                run_start = x
        return Strip(segments, width)


def midpoint(place: dict[str, Any]) -> tuple[float, float]:
    """The middle of a segment (latitude, longitude in degrees)."""
    return (place["lat0"] + place["lat1"]) / 2, (place["lon0"] + place["lon1"]) / 2


def describe(place: dict[str, Any] | None, indicator: str) -> str:
    """The selected segment's values in one or two lines."""
    if place is None:
        return "no processed segment yet: run 'maillage sessions process SESSION'"
    lat, lon = midpoint(place)
    where = section_name(place) or f"segment {place['place']} at {lat:.5f}, {lon:.5f}"
    parts = [f"{where} · {plural(place.get('passes', 0), 'pass', 'passes')}"]
    for name, unit in (
        ("iri_m_per_km", "m/km IRI"),
        ("pm25_ugm3", "µg/m³ PM2.5"),
        ("pm10_ugm3", "µg/m³ PM10"),
        ("rsrp_dbm", "dBm RSRP"),
        ("rsrq_db", "dB RSRQ"),
        ("facade_left_delta_c", "K façade left"),
        ("facade_right_delta_c", "K façade right"),
        ("potholes", "potholes"),
    ):
        v = place.get(name)
        if v:
            trend = v.get("trend_per_year")
            parts.append(f"{v['latest']:g} {unit}" + (f" ({trend:+g}/yr)" if trend else ""))
    label = next((lbl for key, lbl, _ in INDICATORS if key == indicator), indicator)
    names = next((n for key, _, n in INDICATORS if key == indicator), ())
    cls = ind.class_name(names, int(place.get(indicator, -1))) or "no data"
    return f"{label}: {cls} — " + " · ".join(parts)
