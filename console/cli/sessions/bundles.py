"""``maillage sessions export|import``: carrying a session from van to depot (the work is
``console.recording.carrying``; this module reads the arguments and prints the outcome)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.recording import carrying
from console.recording.laptop_keys import signer
from console.recording.recorder import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.sensing import service
from domain.wording import plural, short_id


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
    export.add_argument(
        "--key", metavar="NAME", help="the laptop key that signs it (default: the only one)"
    )
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
    done = carrying.export_session(
        app, sid, journal_dir(settings, args.journal_dir), args.output, signer(args.key)
    )
    result = {
        "session": str(sid),
        "bundle": str(args.output),
        "events": done.events,
        "chunks": done.chunks,
        "status": done.session.status,
    }
    stopped = done.session.status == "stopped"
    note = "" if stopped else " (still recording or interrupted: chunks so far)"
    print(
        json.dumps(result)
        if args.json
        else f"session {short_id(sid)} exported to {args.output}: "
        f"{plural(result['events'], 'event')}, "
        f"{plural(result['chunks'], 'chunk')}{note}"
    )
    return 0


@mutating
def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    done = carrying.import_bundle(app, args.bundle, journal_dir(settings, args.journal_dir))
    result = {
        "session": str(done.session_id),
        "signed_by": done.signed_by,
        "events_recorded": done.recorded,
        "events_already_here": done.already,
        "chunks_verified": done.chunks_verified,
        "journal": str(done.target),
        "journal_file": done.journal_file,
    }
    if args.json:
        print(json.dumps(result))
    elif done.recorded == 0:
        print(
            f"session {short_id(done.session_id)} is already here: nothing recorded "
            f"({done.already} events)"
        )
    else:
        print(
            f"session {short_id(done.session_id)} imported: {plural(done.recorded, 'event')} "
            f"recorded, "
            f"{plural(done.chunks_verified, 'chunk')} verified, journal {done.journal_file} at "
            f"{done.target}"
        )
    return 0
