"""``maillage sessions process``: turn a stopped session's journal into segment indicators.

The work (decode the journal, process, keep the results, record ``SessionProcessed``) is
``console.decoding.process``; this module reads the arguments and prints the outcome."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.tree import Level
from console.decoding.process import process_session
from console.opening import open_store
from console.recording.recorder import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.sensing import service
from domain.sensing.processing import (
    PIPELINE_VERSION,
    summary,
)
from domain.wording import plural, short_id


def register(level: Level) -> None:
    """Register ``sessions process``."""
    p = level.command(
        "process",
        cmd_sessions_process,
        "turn a stopped session's journal into segment indicators (SessionProcessed)",
        json=True,
    )
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix of it")
    p.add_argument(
        "--journal", type=Path, metavar="PATH", help="the journal (default: journals dir)"
    )
    p.add_argument(
        "--municipality",
        metavar="INSEE",
        help="the municipality its segments belong to (default: its meal round's)",
    )
    p.add_argument("--journal-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)


@mutating
def cmd_sessions_process(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    session = service.session_named(app, args.session)
    sid = session.id
    journal = args.journal or journal_dir(settings, args.journal_dir) / session.journal_name
    session, results, target, recorded = process_session(
        app, sid, journal, settings.user, municipality=args.municipality
    )
    done = session.latest_processing
    assert done is not None
    out = {
        "session": str(sid),
        "pipeline_version": PIPELINE_VERSION,
        "results_file": str(target),
        "results_sha256": done["results_sha256"],
        "municipality": done.get("municipality"),
        "recorded": recorded,
        "summary": summary(results),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        s = out["summary"]
        verb = "processed" if recorded else "already processed (same results)"
        town = f" for municipality {out['municipality']}" if out["municipality"] else ""
        matching = results.get("matching")
        how = "street sections" if matching else "track segments (no road network)"
        print(
            f"session {short_id(sid)} {verb}{town}: {s['length_m'] / 1000:.2f} km, {s['segments']} "
            f"{how}, {plural(s['potholes'], 'pothole')} → {target}"
        )
        for u in matching["unmatched"] if matching else []:
            print(
                f"  unmatched: {u['fixes']} fixes from {u['from_s']:.0f} s to {u['to_s']:.0f} s "
                f"near {u['lat']:.5f},{u['lon']:.5f}: {u['why']}"
            )
    return 0
