"""``maillage sessions close``: stop a session whose recorder was killed, from its journal (the
work is ``console.recording.carrying.close_interrupted``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.recording import carrying
from console.recording.recorder import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.sensing import service


def register(level: Level) -> None:
    """Register ``sessions close``."""
    close = level.command(
        "close",
        cmd_close,
        "stop a session left recording by a recorder that was killed, from its journal",
        description="Seal the journal of a session whose recorder died (a torn last record "
        "is kept beside it as NAME.torn), record every chunk and gap it holds that the "
        "session lacks, and stop the session with counters derived from the journal, marked "
        "as closed after an interruption. Refused while a recorder still holds the journal.",
        json=True,
    )
    close.add_argument("session", metavar="SESSION", help="the id or its first 6+ characters")
    close.add_argument(
        "--reason",
        default=carrying.DEFAULT_CLOSE_REASON,
        help=f"why it is closed this way (default: {carrying.DEFAULT_CLOSE_REASON!r})",
    )
    close.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal is")


@mutating
def cmd_close(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sid = service.find_session(app, args.session)
    done = carrying.close_interrupted(
        app, sid, journal_dir(settings, args.journal_dir), settings.user, args.reason
    )
    facts = done.facts
    result = {
        "session": str(sid),
        "status": done.session.status,
        "chunks_recorded": done.chunks_recorded,
        "gaps_recorded": done.gaps_recorded,
        "journal": str(done.journal),
        **{k: v for k, v in facts.items() if k != "name"},
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(done.line())
    return 0
