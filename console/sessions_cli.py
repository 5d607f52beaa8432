"""``maillage sessions …``: recorded sensor sessions, and carrying them from van to depot.

``export`` writes one bundle (``drivers.bundle``: the session's events as stored, its
journal chunks and their hashes); ``import`` checks every chunk against the SHA-256 the
session's events recorded before anything is written, then rebuilds the journal and records
the events under the session's own id, so a second import of the same bundle changes nothing.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from console.geo_cli import add_process_command
from console.opening import open_store
from console.recording import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError, NotFoundError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from drivers import bundle as bundles

PARIS = ZoneInfo("Europe/Paris")


def add_sessions_commands(
    commands: Any, common: argparse.ArgumentParser, parser_class: type
) -> None:
    """Register ``sessions`` and its actions."""
    sessions = commands.add_parser(
        "sessions", parents=[common], help="recorded sensor sessions: list, show, export, import"
    )
    cmds = sessions.add_subparsers(
        dest="sessions_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    add_process_command(cmds, common, parser_class)
    lst = cmds.add_parser("list", parents=[common], help="every session, oldest first")
    lst.add_argument("--json", action="store_true", help="print JSON for scripts")
    lst.set_defaults(handler=cmd_list)

    show = cmds.add_parser("show", parents=[common], help="one session: channels, chunks, gaps")
    show.add_argument("session", metavar="ID", help="the id or its first 6+ characters")
    show.add_argument("--json", action="store_true", help="print JSON for scripts")
    show.set_defaults(handler=cmd_show)

    export = cmds.add_parser(
        "export",
        parents=[common],
        help="write a session's bundle (its events, journal chunks and their hashes)",
    )
    export.add_argument("session", metavar="SESSION", help="the id or its first 6+ characters")
    export.add_argument("--output", "-o", type=Path, required=True, metavar="FILE")
    export.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal is")
    export.add_argument("--json", action="store_true", help="print JSON for scripts")
    export.set_defaults(handler=cmd_export)

    imp = cmds.add_parser(
        "import",
        parents=[common],
        help="verify a bundle's every chunk, then record its session here (idempotent)",
    )
    imp.add_argument("bundle", type=Path, metavar="BUNDLE")
    imp.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal goes")
    imp.add_argument("--json", action="store_true", help="print JSON for scripts")
    imp.set_defaults(handler=cmd_import)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def summary(s: SensorSession) -> dict[str, Any]:
    """A session as JSON values (what ``show --json`` prints)."""
    return {
        "id": str(s.id),
        "vehicle": s.vehicle,
        "round_id": str(s.round_id) if s.round_id else None,
        "status": s.status,
        "started_at": s.started_at.isoformat(),
        "stopped_at": s.stopped_at.isoformat() if s.stopped_at else None,
        "started_by": s.started_by,
        "journal_name": s.journal_name,
        "channels": s.channels,
        "chunks": [
            {**c, "first": c["first"].isoformat(), "last": c["last"].isoformat()} for c in s.chunks
        ],
        "journal_bytes": s.chunks[-1]["end"] if s.chunks else 0,
        "gaps": [
            {**g, "since": g["since"].isoformat(), "until": g["until"].isoformat()} for g in s.gaps
        ],
        "counters": s.counters,
        "version": s.version,
    }


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sessions = service.list_sessions(app)
    if args.json:
        print(json.dumps([_row(s) for s in sessions], indent=2))
        return 0
    if not sessions:
        print("no sessions recorded")
        return 0
    for s in sessions:
        r = _row(s)
        print(
            f"{r['id'][:8]}  {_local(s.started_at)}  {s.vehicle:<10} {s.status:<9} "
            f"{', '.join(s.channels)}  {r['chunks']} chunks  {r['gaps']} gaps"
        )
    return 0


def _row(s: SensorSession) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "vehicle": s.vehicle,
        "status": s.status,
        "started_at": s.started_at.isoformat(),
        "stopped_at": s.stopped_at.isoformat() if s.stopped_at else None,
        "channels": sorted(s.channels),
        "chunks": len(s.chunks),
        "gaps": len(s.gaps),
    }


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    s = app.get(service.find_session(app, args.session), SensorSession)
    if args.json:
        print(json.dumps(summary(s), indent=2))
        return 0
    lines = [
        f"session {s.id}",
        f"  vehicle   {s.vehicle}" + (f" · meal round {s.round_id}" if s.round_id else ""),
        f"  status    {s.status}, started {_local(s.started_at)} by {s.started_by}"
        + (f", stopped {_local(s.stopped_at)}" if s.stopped_at else ""),
        f"  journal   {s.journal_name} ({len(s.chunks)} chunks, "
        f"{s.chunks[-1]['end'] if s.chunks else 0:,} bytes)",
    ]
    for name, ch in s.channels.items():
        c = s.counters.get(name, {})
        counts = (
            f"  frames {c.get('frames', 0):,}, checksum errors {c.get('checksum_errors', 0)}, "
            f"dropped {c.get('bytes_dropped', 0):,} B, reconnects {c.get('reconnects', 0)}"
            if c
            else ""
        )
        lines.append(f"  {name:<8}  {ch['sensor']:<8} {ch['port']}{counts}")
    for g in s.gaps:
        lines.append(
            f"  gap {g['channel']}: {_local(g['since'])} → {_local(g['until'])} {g['reason']}"
        )
    print("\n".join(lines))
    return 0


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
