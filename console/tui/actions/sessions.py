"""Sensor sessions from the palette: list them, process a journal, carry one from van to depot
in a signed bundle — the console's path to ``maillage sessions list|process|export|import``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.decoding.process import process_session
from console.importing.calibration import read_references
from console.recording import carrying
from console.recording.laptop_keys import create_key, key_names, signer
from console.recording.recorder import journal_dir
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import (
    Progress,
    ask,
    ask_and_record,
    confirm,
    export,
    record_with_progress,
    refuse,
)
from domain.errors import NotFoundError
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
        PaletteCommand(
            "Sessions: close an interrupted session",
            "Stop a session left recording by a recorder that was killed, from its journal "
            "(maillage sessions close)",
            lambda: close(app),
        ),
        PaletteCommand(
            "Sessions: calibrate on reference sections",
            "Fit IRI = a·index + b on sections of known IRI a processed session drove "
            "(maillage sessions calibrate)",
            lambda: calibrate(app),
            writes=False,
        ),
        PaletteCommand(
            "Sessions: create this laptop's key",
            "The signing key of this field laptop, in a file only its account reads; says the "
            "public key the depot registers (maillage sessions keys create)",
            lambda: create_laptop_key(app),
            writes=False,
        ),
        PaletteCommand(
            "Sessions: register a laptop's key",
            "At the depot: a field laptop's public key, so the bundles it signs are imported "
            "(maillage sessions keys register)",
            lambda: register_laptop_key(app),
        ),
        PaletteCommand(
            "Export session bundle…",
            "A session's events and journal chunks in one file signed with this laptop's key "
            "(maillage sessions export)",
            lambda: export_bundle(app),
            writes=False,
        ),
        PaletteCommand(
            "Import session bundle…",
            "A field laptop's signed bundle, every chunk verified, then its session recorded "
            "here (maillage sessions import)",
            lambda: import_bundle(app),
        ),
    ]


def _session(value: str = "") -> Field:
    return Field("session", "Session (its id or first 6+ characters)", required=True, value=value)


def newest_session(app: MaillageApp) -> str:
    """The first characters of the newest session's id (what a form proposes), or ''."""
    sessions = service.list_sessions(app.store)
    return str(sessions[-1].id)[:8] if sessions else ""


def process(app: MaillageApp, session: str = "") -> None:
    fields: list[Choice | Field] = [
        _session(session),
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


def export_bundle(app: MaillageApp, session: str = "") -> None:
    """Ask for the session, the file and the laptop key; write the signed bundle in a worker."""
    keys = key_names()
    if not keys:  # said before a form is filled in for nothing
        try:
            signer(None)
        except NotFoundError as e:  # no key here, and how to make one
            refuse(app, str(e), "Not exported")
        return
    session = session or newest_session(app)
    fields: list[Choice | Field] = [
        _session(session),
        Field("output", "Write the bundle to", required=True, value=f"session-{session}.bundle"),
        Choice("key", "Signed with this laptop's key", tuple(keys)),
    ]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            sid = service.find_session(app.store, v["session"])
            output = Path(v["output"]).expanduser()
            progress("reading the journal, hashing and signing", 0, 1)
            done = carrying.export_session(
                app.store, sid, journal_dir(app.settings), output, signer(v["key"])
            )
            progress("written", 1, 1)
            note = "" if done.session.status == "stopped" else " (still recording: chunks so far)"
            return (
                f"session {str(sid)[:8]} exported to {output}: {done.events} events, "
                f"{done.chunks} chunks, signed by {v['key']}{note}"
            )

        record_with_progress(
            app, "export session", "Exporting a session bundle", write, records=False
        )

    ask(app, "Export a session bundle", fields, then)


def import_bundle(app: MaillageApp) -> None:
    """Ask for the bundle; verify and record it in a worker (a refused bundle records nothing)."""
    fields: list[Choice | Field] = [Field("bundle", "Bundle file", required=True)]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            path = Path(v["bundle"]).expanduser()
            progress(f"verifying {path.name}: signature and every chunk", 0, 1)
            done = carrying.import_bundle(app.store, path, journal_dir(app.settings))
            progress("recorded", 1, 1)
            ref = str(done.session_id)[:8]
            if done.recorded == 0:
                return f"session {ref} is already here: nothing recorded ({done.already} events)"
            return (
                f"session {ref} imported from {done.signed_by}: {done.recorded} events "
                f"recorded, {done.chunks_verified} chunks verified"
            )

        record_with_progress(app, "import session", "Importing a session bundle", write)

    ask(app, "Import a session bundle", fields, then)


def close(app: MaillageApp, session: str = "") -> None:
    """Ask for the session and why; after a confirmation (a session closed stays closed), seal
    its journal and record what it holds under a progress bar."""
    fields: list[Choice | Field] = [
        _session(session),
        Field(
            "reason",
            "Why it is closed this way",
            required=True,
            value=carrying.DEFAULT_CLOSE_REASON,
        ),
    ]

    def then(v: FormValues) -> None:
        def write(progress: Progress) -> str:
            sid = service.find_session(app.store, v["session"])
            progress("sealing the journal and recording what it holds", 0, 1)
            done = carrying.close_interrupted(
                app.store, sid, journal_dir(app.settings), app.settings.user, v["reason"]
            )
            progress("recorded", 1, 1)
            return done.line()

        confirm(
            app,
            f"Close session {v['session']} from its journal? It cannot record again.",
            lambda: record_with_progress(app, "close session", "Closing a session", write),
        )

    ask(app, "Close an interrupted session", fields, then)


def create_laptop_key(app: MaillageApp) -> None:
    """Ask for the laptop's name; make its key (a key of that name already here is refused)."""
    fields: list[Choice | Field] = [Field("name", "This laptop's name, e.g. VAN-12-laptop", True)]

    def then(v: FormValues) -> None:
        def write() -> str:
            name, public, path = create_key(v["name"])
            return (
                f"laptop key {name} created in {path}; register it at the depot "
                f"(Sessions: register a laptop's key) with its public key {public}"
            )

        export(app, "create laptop key", write)

    ask(app, "Create this laptop's key", fields, then)


def register_laptop_key(app: MaillageApp) -> None:
    """Ask for the laptop's name and public key; register it at the depot in a worker."""
    fields: list[Choice | Field] = [
        Field("name", "The laptop's name", True),
        Field("public_key", "Its public key (64 hex digits)", True),
    ]

    def write(v: FormValues) -> str:
        added = service.register_laptop_key(
            app.store, v["name"], v["public_key"], app.settings.user
        )
        return f"laptop {v['name']}: key {'registered' if added else 'already registered'}"

    ask_and_record(app, "Register a laptop's key", "register laptop key", fields, write)


def calibrate(app: MaillageApp, session: str = "") -> None:
    """Ask for the session and the reference file; show the fit (read in a worker)."""
    fields: list[Choice | Field] = [
        _session(session or newest_session(app)),
        Field("reference", "Reference sections CSV (from_m,to_m,iri_m_per_km)", True),
    ]

    def then(v: FormValues) -> None:
        from console.tui.screens.text import TextScreen

        def read(app: MaillageApp) -> str:
            references = read_references(Path(v["reference"]).expanduser())
            _, fit = service.calibrate_session(app.store, v["session"], references)
            return "\n".join(fit.lines())

        app.push_screen(TextScreen(f"Calibration of session {v['session']}", read))

    ask(app, "Calibrate on reference sections", fields, then)
