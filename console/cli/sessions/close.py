"""``maillage sessions close``: stop a session whose recorder was killed, from its journal.

Its journal is sealed (``drivers.recovery``) and the session records the chunks and gaps it
holds, then stops with the counters derived from it, marked as closed after an interruption."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.recording.recorder import journal_dir
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from drivers import recovery
from drivers.journal import JournalError


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
        default=DEFAULT_CLOSE_REASON,
        help=f"why it is closed this way (default: {DEFAULT_CLOSE_REASON!r})",
    )
    close.add_argument("--journal-dir", type=Path, metavar="DIR", help="where its journal is")


DEFAULT_CLOSE_REASON = "the recorder was interrupted before it stopped"


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
