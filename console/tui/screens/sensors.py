"""Sensors mode: the van's ports and what is on them, a recording, and a live panel per channel.

Ports come from the system (``serial.tools.list_ports``) and from what the user adds (a URL,
a device path or a simulator's ``ports.json``). Detection runs in a plain thread, off the
screen, and reports each port as soon as it is known. A recording is a ``Recorder`` (the same
as ``maillage record``): one reading thread per port fills ring buffers, and one timer here
redraws the panels from them at most ``REFRESH_HZ`` times a second.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from console.recording.recorder import (
    ChannelSpec,
    Recorder,
    expand_urls,
    journal_dir,
)
from console.tui.screens.mode import ModeScreen
from console.tui.widgets.sensor_panels import ChannelPanel
from domain.errors import InvalidInputError, MaillageError
from domain.meals.service import find_round
from domain.sensing import service
from domain.wording import plural
from drivers import detect as detection
from drivers.sensors import CHANNEL_KINDS, default_model, model

REFRESH_HZ = 10
"""Panel redraws per second (the design allows up to 20)."""
DETECT_LISTEN_S = 1.0
NEEDS_WRITE = ("record", "stop")
"""Actions that record events: disabled for read-only roles."""


@dataclass
class PortRow:
    """A port in the table: where it is, what was detected, which channel it feeds."""

    url: str
    description: str = ""
    found: detection.Candidate | None = None
    status: str = "not detected yet"
    channel: str | None = None


class SensorsScreen(ModeScreen):
    """Ports and sensors, start and stop a recording, live panels."""

    AUTO_FOCUS = "#ports-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "detect", "Detect", id="sensors.detect"),
        Binding("c", "assign", "Channel", id="sensors.assign"),
        Binding("a", "add_port", "Add port", id="sensors.add_port"),
        Binding("r", "record", "Record", id="sensors.record"),
        Binding("x", "stop", "Stop", id="sensors.stop"),
        Binding("escape", "focus_ports", "Ports", id="sensors.ports", show=False),
    ]
    """d names the sensors on the ports; c gives the highlighted port the next channel; a adds
    a port (URL, device path or a simulator's ports.json); r records the assigned ports; x
    stops; Escape goes back to the ports table."""

    def __init__(self) -> None:
        super().__init__()
        self.ports: dict[str, PortRow] = {}
        self.recorder: Recorder | None = None
        self.busy = ""
        """What is under way with the recording (starting, stopping) or empty."""
        self.detecting = False
        """Whether a detection is running (recording may start meanwhile)."""

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="sensors-body"):
            with Horizontal(id="sensors-top"):
                with Vertical(id="sensors-ports"):
                    yield DataTable(id="ports-table", cursor_type="row", zebra_stripes=True)
                    yield Input(
                        placeholder="add a port: URL, device path or a simulator's ports.json",
                        id="port-url",
                    )
                with Vertical(id="sensors-recording"):
                    yield Input(placeholder="vehicle, e.g. VAN-12", id="vehicle")
                    yield Input(placeholder="meal round id (optional)", id="round-id")
                    yield Input(placeholder="box the probe is in (optional)", id="box")
                    yield Static("not recording", id="recording-status")
            with Grid(id="sensor-panels"):
                for kind in CHANNEL_KINDS:
                    yield ChannelPanel(kind)

    def on_mount(self) -> None:
        table = self.query_one("#ports-table", DataTable)
        for key, label in (
            ("port", "Port"),
            ("sensor", "Detected"),
            ("confidence", "Confidence"),
            ("channel", "Channel"),
        ):
            table.add_column(label, key=key)
        self._start_thread(self._list_system_ports, "list-ports")
        self.set_interval(1 / REFRESH_HZ, self._refresh_panels, name="sensor-panels")
        self._show_status()

    def on_unmount(self) -> None:
        if self.recorder is not None and not self.recorder.stopped:
            self.recorder.stop()

    # ------------------------------------------------------------------ what is allowed

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording is for roles that may write; one thing at a time."""
        settings = self.console.settings
        recording = self.recorder is not None and not self.recorder.stopped
        if action in NEEDS_WRITE and (settings.read_only or settings.role == "ccas"):
            return None  # shown, disabled
        if action == "record":
            return None if recording or self.busy else True
        if action == "stop":
            return True if recording and not self.busy else None
        if action == "detect":
            return None if recording or self.busy or self.detecting else True
        if action == "assign":
            return None if recording or self.busy else True
        return True

    # ------------------------------------------------------------------ ports

    def _start_thread(self, target: object, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        return thread

    def _from_thread(self, callback: object, *args: object) -> None:
        """Hand a result to the screen from a plain thread (nothing if the console closed)."""
        with contextlib.suppress(RuntimeError):  # the console is closing: nobody to tell
            self.app.call_from_thread(callback, *args)  # type: ignore[arg-type]

    def _list_system_ports(self) -> None:
        found = detection.system_ports()
        self._from_thread(self._add_ports, found)

    def _add_ports(self, ports: list[tuple[str, str]]) -> None:
        if not self.is_attached:
            return
        table = self.query_one("#ports-table", DataTable)
        for url, description in ports:
            if url in self.ports:
                continue
            self.ports[url] = PortRow(url, description)
            table.add_row(url, "not detected yet", "", "—", key=url)

    def _update_row(self, row: PortRow) -> None:
        table = self.query_one("#ports-table", DataTable)
        found = row.found
        sensor = f"{found.label} at {found.baudrate} Bd" if found else row.status
        table.update_cell(row.url, "sensor", sensor, update_width=True)
        table.update_cell(row.url, "confidence", f"{found.confidence:.0%}" if found else "")
        table.update_cell(row.url, "channel", row.channel or "—", update_width=True)

    @on(Input.Submitted, "#port-url")
    def _port_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        try:
            urls = expand_urls([text])
        except InvalidInputError as e:
            self.notify(str(e), severity="error", title="Not added")
            return
        self._add_ports([(u, "") for u in urls])
        event.input.value = ""
        self.action_focus_ports()

    def action_add_port(self) -> None:
        self.query_one("#port-url", Input).focus()

    def action_focus_ports(self) -> None:
        self.query_one("#ports-table", DataTable).focus()

    def action_detect(self) -> None:
        """Detect every port in a thread; each row is updated as soon as its port is known."""
        if not self.ports:
            self.notify("no ports yet: add one with 'a'", title="Detect")
            return
        self.detecting = True
        urls = list(self.ports)
        for url in urls:
            self.ports[url].status = "detecting…"
            self._update_row(self.ports[url])

        def work_() -> None:
            detection.detect(
                urls,
                include_system=False,
                listen_s=DETECT_LISTEN_S,
                on_result=lambda r: self._from_thread(self._detected, r),
            )
            self._from_thread(self._detection_done)

        self._start_thread(work_, "detect")
        self._show_status()
        self.refresh_bindings()

    def _detected(self, result: detection.PortDetection) -> None:
        if not self.is_attached or result.url not in self.ports:
            return
        row = self.ports[result.url]
        row.found = result.found
        row.status = "nothing recognised" + (f": {result.error}" if result.error else "")
        taken = {r.channel for r in self.ports.values() if r.channel}
        if row.found and row.channel is None and row.found.channel not in taken:
            row.channel = row.found.channel
        self._update_row(row)

    def _detection_done(self) -> None:
        if not self.is_attached:
            return
        self.detecting = False
        named = sum(1 for r in self.ports.values() if r.found)
        self.notify(f"{named} of {len(self.ports)} ports have a known sensor", title="Detected")
        self._show_status()
        self.refresh_bindings()

    def action_assign(self) -> None:
        """Give the highlighted port the next free channel (or none)."""
        table = self.query_one("#ports-table", DataTable)
        if table.row_count == 0:
            return
        url = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        row = self.ports[url]
        taken = {r.channel for r in self.ports.values() if r.channel and r is not row}
        choices: list[str | None] = [None, *CHANNEL_KINDS]
        start = choices.index(row.channel)
        for step in range(1, len(choices) + 1):
            candidate = choices[(start + step) % len(choices)]
            if candidate is None or candidate not in taken:
                row.channel = candidate
                break
        self._update_row(row)

    # ------------------------------------------------------------------ recording

    def _specs(self) -> list[ChannelSpec]:
        specs = []
        for row in self.ports.values():
            if not row.channel:
                continue
            found = row.found if row.found and row.found.channel == row.channel else None
            m = model(found.model) if found else default_model(row.channel)
            specs.append(ChannelSpec(row.channel, m, row.url, found.baudrate if found else None))
        return specs

    def action_record(self) -> None:
        vehicle = self.query_one("#vehicle", Input).value.strip()
        specs = self._specs()
        if not specs:
            self.notify("assign at least one port to a channel ('c')", title="Not recording")
            return
        if not vehicle:
            self.notify("type the vehicle first", severity="error", title="Not recording")
            self.query_one("#vehicle", Input).focus()
            return
        round_text = self.query_one("#round-id", Input).value.strip()
        box = self.query_one("#box", Input).value.strip() or None
        self.busy = "starting"
        self.refresh_bindings()
        self._start_recording(specs, vehicle, round_text, box)

    @work(thread=True, exclusive=True, group="sensors-recording")
    def _start_recording(
        self, specs: list[ChannelSpec], vehicle: str, round_text: str, box: str | None
    ) -> None:
        console = self.console
        try:
            round_id = find_round(console.store, round_text) if round_text else None
            if round_id is not None:
                if box is None:
                    raise InvalidInputError("a meal round needs the box its probe is in")
                service.check_round_box(console.store, round_id, box)
            recorder = Recorder(
                console.store,
                specs,
                vehicle,
                console.settings.user,
                journal_dir(console.settings),
                round_id=round_id,
                box=box if round_id else None,
            )
            recorder.start()
        except (MaillageError, OSError) as e:
            self.app.call_from_thread(self._start_failed, str(e))
            return
        self.app.call_from_thread(self._recording_started, recorder)

    def _start_failed(self, message: str) -> None:
        self.busy = ""
        self.notify(message, severity="error", title="Not recording")
        self._show_status()
        self.refresh_bindings()

    def _recording_started(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.busy = ""
        for panel in self.query(ChannelPanel):
            if panel.kind not in recorder.readers:
                panel.clear("not recorded")
        self.notify(f"session {str(recorder.session_id)[:8]} started", title="Recording")
        self._show_status()
        self.refresh_bindings()

    def action_stop(self) -> None:
        if self.recorder is None:
            return
        self.busy = "stopping"
        self.refresh_bindings()
        self._stop_recording(self.recorder)

    @work(thread=True, exclusive=True, group="sensors-recording")
    def _stop_recording(self, recorder: Recorder) -> None:
        recorder.stop()
        self.app.call_from_thread(self._recording_stopped, recorder)

    def _recording_stopped(self, recorder: Recorder) -> None:
        self.busy = ""
        self._refresh_panels()
        e = recorder.events
        problems = f", {len(e.problems)} problems" if e.problems else ""
        self.notify(
            f"session {str(recorder.session_id)[:8]} stopped: {plural(e.chunks, 'chunk')}, "
            f"{plural(e.gaps, 'gap')}" + problems,
            title="Recording",
            severity="warning" if e.problems else "information",
        )
        self.console.update_views()
        self._show_status()
        self.refresh_bindings()

    # ------------------------------------------------------------------ the live view

    @property
    def status_text(self) -> str:
        """The recording status line (for people and tests)."""
        r = self.recorder
        if self.busy or (self.detecting and r is None):
            head = f"{self.busy or 'detecting'}…"
        elif r is None:
            head = "not recording"
        elif r.stopped:
            head = f"stopped · session {str(r.session_id)[:8]}"
        else:
            head = f"recording {r.vehicle} · session {str(r.session_id)[:8]} · {r.elapsed_s:,.0f} s"
        if r is None:
            return head
        e = r.events
        lines = [
            head,
            f"{plural(e.chunks, 'chunk')} · {plural(e.gaps, 'gap')} · "
            f"{plural(e.probe_readings, 'probe reading')}",
        ]
        if e.store_trouble:
            lines.append(e.store_trouble)
        if e.problems:
            lines.append(e.problems[-1])
        return "\n".join(lines)

    def _show_status(self) -> None:
        self.query_one("#recording-status", Static).update(self.status_text)

    def _refresh_panels(self) -> None:
        """Redraw the panels from the ring buffers (the timer's only job)."""
        if not self.is_attached or self.recorder is None:
            return
        recorder = self.recorder
        with self.app.batch_update():
            for panel in self.query(ChannelPanel):
                reader = recorder.readers.get(panel.kind)
                if reader is None:
                    continue
                extra = ""
                if panel.kind == "probe" and recorder.box:
                    state = "BLOCKED" if recorder.events.box_blocked else "ok"
                    extra = (
                        f"box {recorder.box}: {recorder.events.probe_readings} readings "
                        f"recorded · {state}"
                    )
                panel.refresh_from(reader, extra)
            self._show_status()
