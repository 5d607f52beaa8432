"""Sensor sessions from the palette: list them, process a journal — the console's path to
``maillage sessions list|process`` (bundles are signed with the laptop's key, which only the
command line holds so far)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.decoding.process import process_session
from console.recording.recorder import journal_dir
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import Progress, ask, record_with_progress
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.wording import plural

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
            "Sessions: process",
            "A stopped session's journal into segment indicators, with progress "
            "(maillage sessions process)",
            lambda: process(app),
        ),
    ]


def _session(value: str = "") -> Field:
    return Field("session", "Session (its id or first 6+ characters)", required=True, value=value)


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
            return f"session {str(sid)[:8]} {verb}: {plural(segments, 'segment')} → {results_file}"

        record_with_progress(app, "process session", "Processing a session", write)

    ask(app, "Process a session", fields, then)
