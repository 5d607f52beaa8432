"""The map screen: one widget drawing segments, pan, zoom, indicator and selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App

from console import settings as settings_mod
from console.app import MaillageApp
from console.opening import open_store
from console.screens.geo import MapScreen
from console.widgets.map import BACKGROUND, SegmentMap, class_colour
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def places() -> list[dict[str, Any]]:
    """Three 100 m segments in a row going east, good / fair / poor roughness."""
    out = []
    for i in range(3):
        lon0 = 0.68 + i * 0.00133
        out.append(
            {"place": i, "lat0": 47.39, "lon0": lon0, "lat1": 47.39, "lon1": lon0 + 0.00133,
             "length_m": 100.0, "passes": 2, "sessions": ["a", "b"],
             "iri_m_per_km": {"latest": 1.0 + 1.2 * i, "mean": 1.0, "trend_per_year": 0.5,
                              "passes": 2},
             "iri_class": i, "iso8608_class": 0, "air_class": -1, "coverage_class": 4 - i}
        )  # fmt: skip
    return out


class MapApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(MapScreen(places()))


def colours(view: SegmentMap) -> set[str]:
    """Every colour the widget draws now (foreground and background of its cells)."""
    found = set()
    for y in range(view.size.height):
        for seg in view.render_line(y):
            if seg.style is not None:
                found |= {str(seg.style.color.name), str(seg.style.bgcolor.name)}
    return found


async def test_map_draws_pans_zooms_and_cycles_indicator() -> None:
    app = MapApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(SegmentMap)
        drawn = colours(view)
        # the selected segment is white; the two others in their roughness colours
        assert "#ffffff" in drawn and class_colour("iri_class", 1) in drawn
        assert class_colour("iri_class", 2) in drawn and BACKGROUND in drawn
        selection = str(app.screen.query_one("#map-selection").render())
        assert "roughness (IRI): good" in selection and "1 m/km IRI" in selection
        await pilot.press("n")
        assert view.selected == 1
        assert "roughness (IRI): fair" in str(app.screen.query_one("#map-selection").render())
        await pilot.press("i", "i", "i")
        assert view.indicator_key == "coverage_class"
        assert class_colour("coverage_class", 4) in colours(view)
        before = view.metres_per_pixel
        await pilot.press("plus")
        assert view.metres_per_pixel == before / 2
        await pilot.press("minus", "minus")
        assert view.metres_per_pixel == before * 2
        x0 = view.center[0]
        await pilot.press("right")
        assert view.center[0] > x0
        for _ in range(12):  # far to the right: nothing left to draw
            await pilot.press("right")
        assert colours(view) == {BACKGROUND}


async def test_open_map_from_the_palette_with_no_processed_session(tmp_path: Path) -> None:
    settings = settings_mod.resolve(str(tmp_path / "s.sqlite"), None, None, None)
    store = open_store(settings)
    with Projector(store, all_views()) as projector:
        projector.catch_up()
    app = MaillageApp(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_map()
        await pilot.pause()
        for _ in range(50):
            if app.screen.query("#segment-map"):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, MapScreen)
        assert "no processed segment" in str(app.screen.query_one("#map-selection").render())
