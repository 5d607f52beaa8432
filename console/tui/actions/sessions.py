"""Sensor sessions from the palette: list, export a bundle, import one, process a journal —
the console's path to ``maillage sessions …``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.decoding.process import process_session
from console.recording import carrying
from console.recording.recorder import journal_dir
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import Progress, ask, ask_and_record, export, record_with_progress
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The sessions palette entries."""
    from console.tui.screens.sessions import SessionsScreen

    return [
        PaletteCommand(
            "Sessions: list",
            "Every recorded session and its state (maillage sessions list)",
            lambda: app.push_screen(SessionsScreen()),
            writes=False,
        ),
        PaletteCommand(
            "Sessions: export a bundle",
            "A session's events and journal chunks to one file (maillage sessions export)",
            lambda: export_session(app),
            writes=False,
        ),
        PaletteCommand(
            "Sessions: import a bundle",
            "Verify every chunk, then record the session here (maillage sessions import)",
            lambda: import_session(app),
        ),
        PaletteCommand(
            "Sessions: process",
            "A stopped session's journal into segment indicators, with progress "
            "(maillage sessions process)",
            lambda: process(app),
        ),
    ]


def _session(value: str = "") -> Field:
    return Field("session", "Session (its id or first 6+ characters)", required=True, value=value)


def export_session(app: MaillageApp) -> None:
    fields: list[Choice | Field] = [
        _session(),
        Field("output", "Write the bundle to", required=True, value="session.bundle"),
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            sid = service.find_session(app.store, v["session"])
            output = Path(v["output"]).expanduser()
            done = carrying.export_session(app.store, sid, journal_dir(app.settings), output)
            return (
                f"session {str(sid)[:8]} exported to {output}: {done.events} events, "
                f"{done.chunks} chunks"
            )

        export(app, "export session", write)

    ask(app, "Export a session's bundle", fields, then)


def import_session(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        path = Path(v["bundle"]).expanduser()
        done = carrying.import_bundle(app.store, path, journal_dir(app.settings))
        sid = str(done.session_id)[:8]
        if done.recorded == 0:
            return f"session {sid} is already here: nothing recorded ({done.already} events)"
        return (
            f"session {sid} imported: {done.recorded} events, "
            f"{done.chunks_verified} chunks verified"
        )

    fields: list[Choice | Field] = [Field("bundle", "Bundle file", required=True)]
    ask_and_record(app, "Import a session's bundle", "import session", fields, write)


def process(app: MaillageApp) -> None:
    fields: list[Choice | Field] = [
        _session(),
        Field("municipality", "Municipality (INSEE; default: its meal round's)"),
    ]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            sid = service.find_session(app.store, v["session"])
            session = app.store.get(sid, SensorSession)
            progress(f"decoding and processing {session.journal_name}", 0, 1)
            journal = journal_dir(app.settings) / session.journal_name
            _, results, results_file, recorded = process_session(
                app.store, sid, journal, app.settings.user, municipality=v["municipality"]
            )
            progress("recorded", 1, 1)
            verb = "processed" if recorded else "already processed (same results)"
            segments = len(results.get("segments", []))
            return f"session {str(sid)[:8]} {verb}: {segments} segments → {results_file}"

        record_with_progress(app, "process session", "Processing a session", write)

    ask(app, "Process a session", fields, then)
