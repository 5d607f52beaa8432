"""``maillage sessions …``: recorded sensor sessions, and carrying them from van to depot.

``export`` writes one bundle (``drivers.bundle``: the session's events as stored, its
journal chunks and their hashes); ``import`` checks every chunk against the SHA-256 the
session's events recorded before anything is written, then rebuilds the journal and records
the events under the session's own id, so a second import of the same bundle changes nothing.
``close`` stops a session whose recorder was killed: its journal is sealed
(``drivers.recovery``) and the session records the chunks and gaps it holds, then stops with
the counters derived from it, marked as closed after an interruption.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.geo_cli import add_process_command
from console.opening import open_store
from console.recording import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.clock import PARIS
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from drivers import bundle as bundles
from drivers import recovery
from drivers.journal import JournalError

DEFAULT_CLOSE_REASON = "the recorder was interrupted before it stopped"


def add_sessions_commands(
    commands: Any, common: argparse.ArgumentParser, parser_class: type
) -> None:
    """Register ``sessions`` and its actions."""
    sessions = commands.add_parser(
        "sessions",
        parents=[common],
        help="recorded sensor sessions: list, show, export, import, close, process",
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

    close = cmds.add_parser(
        "close",
        parents=[common],
        help="stop a session left recording by a recorder that was killed, from its journal",
        description="Seal the journal of a session whose recorder died (a torn last record "
        "is kept beside it as NAME.torn), record every chunk and gap it holds that the "
        "session lacks, and stop the session with counters derived from the journal, marked "
        "as closed after an interruption. Refused while a recorder still holds the journal.",
    )
    close.add_argument("session", metavar="SESSION", help="the id or its first 6+ characters")
    close.add_argument(
        "--reason",
        default=DEFAULT_CLOSE_REASON,
        help=f"why it is closed this way (default: {DEFAULT_CLOSE_REASON!r})",
    )
    close.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal is")
    close.add_argument("--json", action="store_true", help="print JSON for scripts")
    close.set_defaults(handler=cmd_close)


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
        "interruption": _interruption_json(s),
        "version": s.version,
    }


def _interruption_json(s: SensorSession) -> dict[str, Any] | None:
    found = s.interruption
    if found is None:
        return None
    return {**found, "closed_at": found["closed_at"].isoformat()}


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
    if s.interruption is not None:
        i = s.interruption
        lines.append(
            f"  closed after an interruption {_local(i['closed_at'])} by {i['by']}: {i['reason']}"
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


@mutating
def cmd_close(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sid = service.find_session(app, args.session)
    s = app.get(sid, SensorSession)
    if s.status != "recording":
        how = " (closed after an interruption)" if s.interruption else ""
        raise RuleViolationError(f"session {sid} is already {s.status}{how}: nothing to close")
    if not args.reason.strip():
        raise InvalidInputError("--reason is empty: say why the session is closed this way")
    journal = journal_dir(settings, args.journal_dir) / s.journal_name
    if not journal.is_file():
        raise NotFoundError(f"the journal of session {sid} is not at {journal} (--journal-dir)")
    try:
        found = recovery.seal(journal, f"{settings.user}: {args.reason.strip()}")
    except recovery.JournalBusy:
        raise RuleViolationError(
            f"session {sid} is still being recorded: a recorder holds {journal} (stop it)"
        ) from None
    except (recovery.JournalDamaged, JournalError) as e:
        raise InvalidInputError(f"session {sid} not closed: {e}") from None
    except OSError as e:
        raise InvalidInputError(f"cannot seal {journal}: {e.strerror or e}") from None
    kinds = {name: str(ch["sensor"]) for name, ch in s.channels.items()}
    torn = found.torn
    facts = {
        "name": s.journal_name,
        "records": found.records,
        "chunks": len(found.chunks),
        "sealed_chunk": found.sealed.seq if found.sealed else None,
        "torn_bytes": torn.size if torn else 0,
        "torn_at": torn.offset if torn else None,
        "torn_kept_as": torn.kept_as if torn else None,
    }
    closed = service.close_interrupted_session(
        app,
        sid,
        [
            service.JournalChunk(c.seq, c.sha256, c.records, c.start, c.end,
                                 _utc(c.first_utc_ns), _utc(c.last_utc_ns))
            for c in found.chunks
        ],
        [
            service.JournalGap(g.channel, _utc(g.since_ns), _utc(g.until_ns), g.reason)
            for g in found.gaps(list(kinds))
        ],
        found.counters(kinds),
        _utc(found.last_utc_ns) if found.last_utc_ns else s.started_at,
        settings.user,
        args.reason,
        facts,
    )  # fmt: skip
    result = {
        "session": str(sid),
        "status": closed.session.status,
        "chunks_recorded": closed.chunks_recorded,
        "gaps_recorded": closed.gaps_recorded,
        "journal": str(journal),
        **{k: v for k, v in facts.items() if k != "name"},
    }
    if args.json:
        print(json.dumps(result))
        return 0
    torn_note = (
        f"; torn last record of {torn.size} bytes kept in {journal.parent / torn.kept_as}"
        if torn
        else ""
    )
    print(
        f"session {sid} closed after an interruption: {closed.chunks_recorded} chunks and "
        f"{closed.gaps_recorded} gaps recorded from its journal ({found.records:,} records in "
        f"{len(found.chunks)} chunks){torn_note}"
    )
    return 0


def _utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)
