"""``maillage sessions list|show``: recorded sensor sessions, as people read them."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from domain.clock import PARIS
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``sessions list`` and ``sessions show``."""
    level.command("list", cmd_list, "every session, oldest first", json=True)
    show = level.command("show", cmd_show, "one session: channels, chunks, gaps", json=True)
    show.add_argument("session", metavar="ID", help="the id or its first 6+ characters")


def _local(moment: datetime | None) -> str:
    """A time as people read it: in Paris, with its zone (CET or CEST)."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else ""


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
            f"{', '.join(s.channels)}  {plural(r['chunks'], 'chunk')}  {plural(r['gaps'], 'gap')}"
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
    s = service.session_named(app, args.session)
    if args.json:
        print(json.dumps(summary(s), indent=2))
        return 0
    lines = [
        f"session {str(s.id)[:8]}",
        f"  vehicle   {s.vehicle}" + (f" · meal round {s.round_id}" if s.round_id else ""),
        f"  status    {s.status}, started {_local(s.started_at)} by {s.started_by}"
        + (f", stopped {_local(s.stopped_at)}" if s.stopped_at else ""),
        f"  journal   {s.journal_name} ({plural(len(s.chunks), 'chunk')}, "
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
