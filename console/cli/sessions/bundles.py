"""``maillage sessions export|import``: carrying a session from van to depot.

``export`` writes one bundle (``drivers.bundle``: the session's events as stored, its
journal chunks and their hashes); ``import`` checks every chunk against the SHA-256 the
session's events recorded before anything is written, then rebuilds the journal and records
the events under the session's own id, so a second import of the same bundle changes nothing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.recording.recorder import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError, NotFoundError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from drivers import bundle as bundles


def register(level: Level) -> None:
    """Register ``sessions export`` and ``sessions import``."""
    export = level.command(
        "export",
        cmd_export,
        "write a session's bundle (its events, journal chunks and their hashes)",
        json=True,
    )
    export.add_argument("session", metavar="SESSION", help="the id or its first 6+ characters")
    export.add_argument("--output", "-o", type=Path, required=True, metavar="FILE")
    export.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal is")
    imp = level.command(
        "import",
        cmd_import,
        "verify a bundle's every chunk, then record its session here (idempotent)",
        json=True,
    )
    imp.add_argument("bundle", type=Path, metavar="BUNDLE")
    imp.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal goes")


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sid = service.find_session(app, args.session)
    s = app.get(sid, SensorSession)
    journal = journal_dir(settings, args.journal_dir) / s.journal_name
    if not journal.is_file():
        raise NotFoundError(f"the journal of session {sid} is not at {journal} (--journal-dir)")
    try:
        manifest = bundles.write_bundle(
            args.output,
            session_id=str(sid),
            journal_name=s.journal_name,
            events=service.session_events(app, sid),
            journal=journal,
            chunks=s.chunks,
            extra={"vehicle": s.vehicle, "status": s.status},
        )
    except bundles.BundleError as e:
        raise InvalidInputError(f"session {sid} not exported: {e}") from None
    except OSError as e:
        raise InvalidInputError(f"cannot write {args.output}: {e.strerror or e}") from None
    result = {
        "session": str(sid),
        "bundle": str(args.output),
        "events": manifest["events"]["count"],
        "chunks": len(manifest["chunks"]),
        "status": s.status,
    }
    note = "" if s.status == "stopped" else " (still recording or interrupted: chunks so far)"
    print(
        json.dumps(result)
        if args.json
        else f"session {sid} exported to {args.output}: {result['events']} events, "
        f"{result['chunks']} chunks{note}"
    )
    return 0


@mutating
def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        bundle = bundles.read_bundle(args.bundle)
        session = service.replay_events(app, bundle.events)
        if str(session.id) != bundle.session_id or session.journal_name != bundle.journal_name:
            raise bundles.BundleError("the manifest and the session's events disagree")
        bundles.verify_bundle(bundle, service.chunk_hashes(session))
        target = journal_dir(settings, args.journal_dir) / bundle.journal_name
        bundles.check_journal_target(bundle, target)
        service.import_plan(app, bundle.events)  # a conflicting history is refused here
        target.parent.mkdir(parents=True, exist_ok=True)
        journal = bundles.write_journal(bundle, target)
    except bundles.BundleError as e:
        raise InvalidInputError(f"bundle {args.bundle} refused, nothing recorded: {e}") from None
    outcome = service.import_session(app, bundle.events)
    result = {
        "session": str(session.id),
        "events_recorded": outcome.recorded,
        "events_already_here": outcome.already,
        "chunks_verified": len(bundle.chunks),
        "journal": str(target),
        "journal_file": journal,
    }
    if args.json:
        print(json.dumps(result))
    elif outcome.recorded == 0:
        print(f"session {session.id} is already here: nothing recorded ({outcome.already} events)")
    else:
        print(
            f"session {session.id} imported: {outcome.recorded} events recorded, "
            f"{len(bundle.chunks)} chunks verified, journal {journal} at {target}"
        )
    return 0
