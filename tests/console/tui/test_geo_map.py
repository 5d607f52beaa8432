"""The map screen: one widget drawing segments, pan, zoom, indicator and selection; segments
read from the segments view; field reports recorded at the selected segment (not by an
auditor)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from console import settings as settings_mod
from console.opening import open_store
from console.tui.app import MaillageApp
from console.tui.screens.form import FormScreen
from console.tui.screens.geo import MapScreen
from console.tui.widgets.map import BACKGROUND, SegmentMap, class_colour, midpoint
from domain.application import Maillage
from domain.clock import FixedClock
from domain.sensing import service
from domain.sensing.field_report import REPORTED_TOPIC, FieldReport
from domain.sensing.processing import results_bytes
from domain.sensing.results_store import keep_results
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector

from ..helpers import make_app, wait_for


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
    store = open_store(replace(settings, may_create=True))
    with Projector(store, all_views()) as projector:
        projector.catch_up()
    app = MaillageApp(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_map(app, pilot)

        def selection() -> str:
            return str(screen.query_one("#map-selection").render())

        await wait_for(pilot, lambda: selection() != "", "the selection line")
        assert "no processed segment" in selection()
        assert screen.check_action("field_report", ()) is None  # nowhere to report at


# ---------------------------------------------------------------------- from the store

CHUNK = "c" * 64


def processed_store(tmp_path: Path) -> Path:
    """A store with one session processed into the three segments of ``places()``."""
    store = tmp_path / "map.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    s = service.start_session(app, "VAN-12", {"imu": ("imu", "/dev/ttyUSB0")}, "v.j", by="tech")
    service.record_chunk(app, s.id, 0, CHUNK, 10, 0, 100, s.started_at, s.started_at)
    service.stop_session(app, s.id, {"imu": {"frames": 10}})
    cols = {k: [p[k] for p in places()] for k in ("lat0", "lon0", "lat1", "lon1")}
    long = {
        "from_m": [0.0, 100.0, 200.0], **cols,
        "iri_m_per_km": [p["iri_m_per_km"]["latest"] for p in places()],
    }  # fmt: skip
    results = {"segment_m": 10.0, "long_segment_m": 100.0, "segments": {}, "segments_long": long}
    sha = keep_results(app.location, results_bytes(results))[0]
    app.edit(
        s.id,
        SensorSession,
        lambda x: x.record_processing(
            "t", {}, [{"seq": 0, "sha256": CHUNK}], sha, "v.j.results.json", {}, "tech", "37261"
        ),
    )
    with Projector(app, all_views()) as projector:  # as a console left them
        projector.catch_up()
    app.close()
    return store


def reports(app: MaillageApp) -> list[FieldReport]:
    found = app.store.recorder.select_notifications(1, 100, topics=[REPORTED_TOPIC])
    return [app.store.get(n.originator_id, FieldReport) for n in found]


async def open_map(app: MaillageApp, pilot: Pilot) -> MapScreen:
    app.action_open_map()
    await wait_for(pilot, lambda: bool(app.screen.query("#segment-map")), "the map")
    assert isinstance(app.screen, MapScreen)
    return app.screen


def notified(app: MaillageApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def test_a_field_report_is_recorded_at_the_selected_segment(
    tmp_path: Path, fixed_clock: FixedClock
) -> None:
    app = make_app(processed_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_map(app, pilot)
        view = screen.query_one(SegmentMap)
        assert len(view.places) == 3  # the view's segments, no journal folder given
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.selected_place is view.places[1], "the selection")
        lat, lon = midpoint(view.places[1])
        assert screen.check_action("field_report", ()) is True
        assert app.active_bindings["f"].enabled

        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the report form")
        app.screen.query_one("#form-kind").value = "pedestrian_count"
        app.screen.query_one("#form-count").focus()
        await pilot.press(*"120", "enter")
        await wait_for(pilot, lambda: len(reports(app)) == 1, "the report in the store")
        [report] = reports(app)
        assert (report.kind, report.count, report.by) == ("pedestrian_count", 120, "claire")
        assert (report.lat_deg, report.lon_deg) == (lat, lon)
        assert report.at == fixed_clock.now()
        await wait_for(pilot, lambda: notified(app, "pedestrian count reported"), "the notice")
        assert app.screen is screen

        # a pedestrian count without its count is refused: a notification, nothing recorded
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the report form")
        app.screen.query_one("#form-kind").value = "pedestrian_count"
        app.screen.query_one("#form-note").focus()
        await pilot.press(*"school exit", "enter")
        await wait_for(pilot, lambda: notified(app, "needs the number counted"), "the refusal")
        await app.workers.wait_for_complete()
        assert len(reports(app)) == 1


async def test_an_auditor_sees_the_field_report_binding_disabled(
    tmp_path: Path, fixed_clock: FixedClock
) -> None:
    app = make_app(processed_store(tmp_path), role="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_map(app, pilot)
        await wait_for(pilot, lambda: screen.selected_place is not None, "the selection")
        assert screen.check_action("field_report", ()) is None
        assert app.active_bindings["f"].enabled is False
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen  # no form opened
        assert reports(app) == []


async def test_the_map_draws_the_streets_around_and_names_the_section() -> None:
    from console.tui.widgets.map import STREET_COLOUR

    street = {**places()[0], "street": "Rue Nationale", "way_id": 7, "direction": -1,
              "from_m": 100.0, "to_m": 200.0}  # fmt: skip

    class One(App[None]):
        def compose(self):
            yield SegmentMap([street], [(47.3895, 0.6813, 47.3905, 0.6813)])

    app = One()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        view = app.query_one(SegmentMap)
        assert STREET_COLOUR in colours(view)
        from console.tui.widgets.map import describe

        text = describe(street, "iri_class")
        assert "Rue Nationale (OSM way 7), 100–200 m against the way" in text
    plain = SegmentMap([street])
    assert not len(plain._base)
