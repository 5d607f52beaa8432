"""The Sensors mode with Textual's pilot on simulated ports: ports added from a simulator's
ports.json, detection assigns channels, a recording runs with live panels, and stops with its
session recorded; an auditor cannot start one."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.screens.sensors import SensorsScreen
from console.tui.widgets.sensor_panels import ChannelPanel, heat_rgb, thermal_text
from domain.sensing.sensor_session import SensorSession
from drivers.journal import chunk_sha256, read_journal
from drivers.simulator.ports import Simulator
from drivers.simulator.scenario import Scenario, build_field

SHORT = Scenario(stops=((300.0, 5.0),), potholes=(), box_excursion=(10.0, 20.0, 5.5))


def make_app(store: Path, role: str | None = None) -> MaillageApp:
    settings = resolve(str(store), role, "claire")
    return MaillageApp(settings, open_store(settings))


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str, s: float = 20) -> None:
    """Let the app run until ``condition`` holds, or fail naming what never happened."""
    deadline = time.monotonic() + s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


@pytest.fixture
def simulated(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    sim = Simulator(build_field(SHORT), tmp_path / "sim", speed=1)
    paths = sim.start()
    try:
        yield tmp_path / "sim", paths
    finally:
        sim.stop()


def panel(app: MaillageApp, kind: str) -> ChannelPanel:
    return app.screen.query_one(f"#panel-{kind}", ChannelPanel)


@pytest.mark.slow
async def test_a_recording_from_the_sensors_mode(
    demo_store: Path, simulated: tuple[Path, dict[str, str]]
) -> None:
    sim_dir, paths = simulated
    app = make_app(demo_store)
    async with app.run_test(size=(160, 52)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, SensorsScreen)
        await pilot.press("a")
        field = screen.query_one("#port-url", Input)
        assert field.has_focus
        field.value = str(sim_dir / "ports.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: set(paths.values()) <= set(screen.ports), "the ports")
        assert screen.query_one("#ports-table").has_focus

        await pilot.press("d")
        await wait_until(
            pilot,
            lambda: all(screen.ports[p].channel == name for name, p in paths.items()),
            "every simulated sensor detected and assigned",
        )
        assert screen.ports[paths["pm"]].found.model == "pms5003"  # type: ignore[union-attr]
        assert screen.ports[paths["modem"]].found.how == "queried"  # type: ignore[union-attr]

        await pilot.press("r")  # no vehicle yet: refused, nothing started
        await pilot.pause(0.1)
        assert screen.recorder is None
        screen.query_one("#vehicle", Input).value = "VAN-12"
        screen.query_one("#ports-table").focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.recorder is not None, "the recording to start")
        await wait_until(
            pilot,
            lambda: (
                "47.3" in panel(app, "gps").text
                and "km/h" in panel(app, "gps").text
                and "PM2.5" in panel(app, "pm").text
                and "RSRP -82 dBm" in panel(app, "modem").text
                and "Orange F" in panel(app, "modem").text
                and "▀" in panel(app, "thermal").text
                and "°C" in panel(app, "probe").text
                and len(panel(app, "imu").spark.data or []) > 50  # type: ignore[union-attr]
            ),
            "every panel to show its channel",
        )
        assert "frames · 0 bad" in panel(app, "imu").text
        assert panel(app, "imu").border_subtitle == "connected"
        assert "recording VAN-12" in screen.status_text
        assert screen.check_action("detect", ()) is None  # no detection while recording

        await pilot.press("x")
        await wait_until(
            pilot,
            lambda: screen.recorder.stopped and not screen.busy,
            "the stop",  # type: ignore[union-attr]
        )
        recorder = screen.recorder
        assert recorder is not None and recorder.wait_written()
        session = app.store.get(recorder.session_id, SensorSession)
        assert session.status == "stopped" and session.vehicle == "VAN-12"
        assert set(session.channels) == set(paths)
        assert session.counters["imu"]["frames"] > 100
        assert recorder.journal_path is not None
        assert recorder.journal_path.parent == demo_store.parent / "journals"
        _, report = read_journal(recorder.journal_path)
        assert report.intact and [c.sha256 for c in report.chunks] == [
            c["sha256"] for c in session.chunks
        ]
        assert all(chunk_sha256(recorder.journal_path, c) == c.sha256 for c in report.chunks)
        assert "stopped" in screen.status_text


async def test_auditors_cannot_record(demo_store: Path) -> None:
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(160, 52)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, SensorsScreen)
        screen.query_one("#vehicle", Input).value = "VAN-12"
        screen._add_ports([("loop://", "loopback")])
        screen.ports["loop://"].channel = "gps"
        assert screen.check_action("record", ()) is None
        assert screen.check_action("stop", ()) is None
        assert screen.check_action("detect", ()) is True
        await pilot.press("r")
        await pilot.pause(0.1)
        assert screen.recorder is None
        bindings = {b.id: b for b in screen.BINDINGS}  # type: ignore[union-attr]
        assert all(b.id and b.description for b in bindings.values())  # type: ignore[union-attr]


def test_thermal_frames_are_drawn_with_half_blocks() -> None:
    import numpy as np

    image = np.zeros((24, 32))
    image[0, 0], image[1, 0] = 10.0, 0.0  # hot above cold in the first cell
    text = thermal_text(image)
    lines = text.plain.split("\n")
    assert len(lines) == 12 and all(line == "▀" * 32 for line in lines)
    first = text.spans[0].style
    assert text.spans[0].start == 0 and not isinstance(first, str)
    assert first.color is not None and first.bgcolor is not None
    assert first.color.triplet == tuple(heat_rgb(np.array(10.0), 0.0, 10.0))
    assert first.bgcolor.triplet == (0, 0, 0)
