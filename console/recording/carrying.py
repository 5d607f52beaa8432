"""Carrying a session from van to depot, and closing one whose recorder died.

``export_session`` writes one bundle (``drivers.bundle``: the session's events as stored, its
journal chunks and their hashes) signed with the field laptop's key; ``import_bundle`` checks
the signature against the laptop's key registered here (``sessions keys register``), then every
chunk against the SHA-256 the session's events recorded before anything is written, then
rebuilds the journal and records the events under the session's own id, so a second import of
the same bundle changes nothing.
``close_interrupted`` seals the journal of a session whose recorder was killed
(``drivers.recovery``), records the chunks and gaps it holds, then stops the session with the
counters derived from it, marked as closed after an interruption. Both front ends call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.wording import plural, short_id
from drivers import bundle as bundles
from drivers import recovery
from drivers.journal import JournalError


def session_journal(app: Maillage, session_id: UUID, journal_dir: Path) -> Path:
    """Where a session's journal is in ``journal_dir``; an error if it is not there."""
    s = app.get(session_id, SensorSession)
    journal = journal_dir / s.journal_name
    if not journal.is_file():
        raise NotFoundError(
            f"the journal of session {short_id(session_id)} is not at {journal} (--journal-dir)"
        )
    return journal


@dataclass(frozen=True)
class Exported:
    """A bundle written: its session, events and chunks."""

    session: SensorSession
    bundle: Path
    events: int
    chunks: int


def export_session(
    app: Maillage,
    session_id: UUID,
    journal_dir: Path,
    output: Path,
    signer: tuple[str, Ed25519PrivateKey],
) -> Exported:
    """Write a session's bundle (a session still recording exports its chunks so far), signed
    with ``signer`` (the laptop's name and key)."""
    s = app.get(session_id, SensorSession)
    journal = session_journal(app, session_id, journal_dir)
    try:
        manifest = bundles.write_bundle(
            output,
            session_id=str(session_id),
            journal_name=s.journal_name,
            events=service.session_events(app, session_id),
            journal=journal,
            chunks=s.chunks,
            extra={"vehicle": s.vehicle, "status": s.status},
            signer=signer,
        )
    except bundles.BundleError as e:
        raise InvalidInputError(f"session {short_id(session_id)} not exported: {e}") from None
    except OSError as e:
        raise InvalidInputError(f"cannot write {output}: {e.strerror or e}") from None
    return Exported(s, output, manifest["events"]["count"], len(manifest["chunks"]))


@dataclass(frozen=True)
class Imported:
    """A bundle recorded here: how many events were new, and where its journal went."""

    session_id: UUID
    signed_by: str
    recorded: int
    already: int
    chunks_verified: int
    target: Path
    journal_file: Any


def import_bundle(app: Maillage, path: Path, journal_dir: Path) -> Imported:
    """Verify every chunk of a bundle, rebuild its journal, record its session (idempotent);
    a refused bundle records nothing."""
    try:
        bundle = bundles.read_bundle(path)
        laptop = bundles.verify_signature(bundle, lambda name: service.laptop_public_key(app, name))
        session = service.replay_events(app, bundle.events)
        if str(session.id) != bundle.session_id or session.journal_name != bundle.journal_name:
            raise bundles.BundleError("the manifest and the session's events disagree")
        bundles.verify_bundle(bundle, service.chunk_hashes(session))
        target = journal_dir / bundle.journal_name
        bundles.check_journal_target(bundle, target)
        service.import_plan(app, bundle.events)  # a conflicting history is refused here
        target.parent.mkdir(parents=True, exist_ok=True)
        journal = bundles.write_journal(bundle, target)
    except bundles.BundleError as e:
        raise InvalidInputError(f"bundle {path} refused, nothing recorded: {e}") from None
    outcome = service.import_session(app, bundle.events)
    return Imported(
        session.id, laptop, outcome.recorded, outcome.already, len(bundle.chunks), target, journal
    )


DEFAULT_CLOSE_REASON = "the recorder was interrupted before it stopped"
"""Why a session is closed from its journal, unless someone says otherwise."""


@dataclass(frozen=True)
class Closed:
    """A session closed from its journal: what was recorded and what the journal held."""

    session: SensorSession
    chunks_recorded: int
    gaps_recorded: int
    journal: Path
    facts: dict[str, Any]
    """Name, records, chunks, sealed chunk and the torn last record (size, offset, kept as)."""

    def line(self) -> str:
        """What the closing did, in words (the torn last record named with where it is kept)."""
        facts = self.facts
        torn_note = (
            f"; torn last record of {facts['torn_bytes']} bytes kept in "
            f"{self.journal.parent / facts['torn_kept_as']}"
            if facts["torn_kept_as"]
            else ""
        )
        return (
            f"session {short_id(self.session.id)} closed after an interruption: "
            f"{plural(self.chunks_recorded, 'chunk')} and "
            f"{plural(self.gaps_recorded, 'gap')} recorded from its journal "
            f"({facts['records']:,} records in {facts['chunks']} chunks){torn_note}"
        )


def close_interrupted(
    app: Maillage, session_id: UUID, journal_dir: Path, by: str, reason: str
) -> Closed:
    """Stop a session left recording by a recorder that was killed, from its journal; refused
    while a recorder still holds the journal."""
    s = app.get(session_id, SensorSession)
    if s.status != "recording":
        how = " (closed after an interruption)" if s.interruption else ""
        raise RuleViolationError(
            f"session {short_id(session_id)} is already {s.status}{how}: nothing to close"
        )
    if not reason.strip():
        raise InvalidInputError("--reason is empty: say why the session is closed this way")
    journal = session_journal(app, session_id, journal_dir)
    try:
        found = recovery.seal(journal, f"{by}: {reason.strip()}")
    except recovery.JournalBusy:
        raise RuleViolationError(
            f"session {short_id(session_id)} is still being recorded: a recorder holds {journal} "
            f"(stop it)"
        ) from None
    except (recovery.JournalDamaged, JournalError) as e:
        raise InvalidInputError(f"session {short_id(session_id)} not closed: {e}") from None
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
        session_id,
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
        by,
        reason,
        facts,
    )  # fmt: skip
    return Closed(closed.session, closed.chunks_recorded, closed.gaps_recorded, journal, facts)


def _utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)
