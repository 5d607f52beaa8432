"""``maillage audit replay``: rebuild every view from the log in a scratch store and compare."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.output import (
    EXIT_FAILURE,
    EXIT_OK,
    progress_bar,
)
from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from domain.audit import service as audit
from domain.errors import InvalidInputError


def register(level: Level) -> None:
    """Register ``audit replay``."""
    rep = level.command(
        "replay",
        cmd_audit_replay,
        "rebuild every view from the log in a scratch store and compare it with the live one",
        json=True,
    )
    rep.add_argument("--scratch", type=Path, metavar="FILE", help="keep the scratch SQLite file")


def cmd_audit_replay(args: argparse.Namespace, settings: Settings) -> int:
    if args.scratch is not None and args.scratch.exists():
        raise InvalidInputError(f"{args.scratch} exists: the replay needs an empty scratch file")
    app = open_store(settings)
    try:
        with progress_bar() as bar:
            task = bar.add_task("replaying the log", total=None)

            def progress(view: str, position: int, target: int) -> None:
                bar.update(task, description=f"replaying {view}", completed=position, total=target)

            report = audit.replay_views(app, args.scratch, progress)
    finally:
        app.close()
    if args.json:
        print(
            json.dumps(
                {
                    "equal": report.equal,
                    "position": report.position,
                    "events_applied": report.events_applied,
                    "events_per_s": round(report.events_per_s),
                    "views": report.views,
                    "differences": [vars(d) for d in report.differences],
                },
                indent=2,
            )
        )
    else:
        print("\n".join(report.lines()))
    return EXIT_OK if report.equal else EXIT_FAILURE
