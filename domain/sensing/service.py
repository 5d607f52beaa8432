"""Sensor sessions in the store: record a session as it runs, list it, carry it to the depot.

The recorder calls ``start_session``, then ``record_chunk`` for each journal chunk closed on
disk, ``record_gap`` for each stretch a sensor was away, and ``stop_session`` with the
counters. A session leaves a technician's laptop as its stored events (``session_events``)
and arrives at the depot through ``import_session``, which keeps the session's id so that a
second import of the same events records nothing. The journal's bytes never come here: the
console checks them against ``chunk_hashes`` before it imports anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.service import find_municipality
from domain.sensing.calibration import Calibration, Reference, calibrate
from domain.sensing.combine import combine
from domain.sensing.field_report import iter_reports
from domain.sensing.laptop_key import LaptopKey, check_key_name, laptop_key_id
from domain.sensing.recommendations import (
    Context,
    Recommendation,
    default_rules,
    recommend,
    reports_near,
)
from domain.sensing.results_store import load_results
from domain.sensing.sensor_session import SensorSession
from domain.sensing.views import ProcessedSession, load_segments
from domain.store import ViewConnection
from domain.territory import service as territory_service
from domain.views.projector import caught_up
from domain.wording import short_id

SESSION_TOPIC = get_topic(SensorSession)
STARTED_TOPIC = get_topic(SensorSession.Started)
_SCAN_BATCH = 1000


# ---------------------------------------------------------------------- recording


def start_session(
    app: Maillage,
    vehicle: str,
    channels: dict[str, tuple[str, str]],
    journal_name: str,
    by: str,
    round_id: UUID | None = None,
) -> SensorSession:
    """Record that a session starts (``channels``: name → (sensor kind, port URL))."""
    session = SensorSession.start(vehicle, channels, journal_name, by=by, round_id=round_id)
    app.save(session)
    return session


def record_chunk(
    app: Maillage,
    session_id: UUID,
    seq: int,
    sha256: str,
    records: int,
    start: int,
    end: int,
    first: datetime,
    last: datetime,
) -> None:
    """A journal chunk of the session was closed on disk with this SHA-256."""
    app.edit(
        session_id,
        SensorSession,
        lambda s: s.record_chunk(seq, sha256, records, start, end, first, last),
    )


def record_gap(
    app: Maillage, session_id: UUID, channel: str, since: datetime, until: datetime, reason: str
) -> None:
    """A channel of the session gave nothing from ``since`` to ``until``."""
    app.edit(session_id, SensorSession, lambda s: s.record_gap(channel, since, until, reason))


def stop_session(app: Maillage, session_id: UUID, counters: dict[str, dict[str, int]]) -> None:
    """The session ends with each channel's counters."""
    app.edit(session_id, SensorSession, lambda s: s.stop(counters))


def record_probe_reading(
    app: Maillage, round_id: UUID, box: str, temperature_c: float, at: datetime
) -> bool:
    """A cold-chain probe reading taken during a session goes to its round's box.

    Returns whether the box is blocked by an excursion afterwards (cold-chain rule: above
    +3 °C opens one).
    """
    rnd = app.edit(round_id, MealRound, lambda r: r.record_probe_reading(box, temperature_c, at))
    return bool(rnd.boxes[box]["blocked"])


def check_round_box(app: Maillage, round_id: UUID, box: str) -> MealRound:
    """The round a session's probe feeds: it must be under way and carry ``box``."""
    rnd = app.get(round_id, MealRound)
    if rnd.status != "loaded":
        raise RuleViolationError(f"round {round_id} is {rnd.status}: probe readings need it loaded")
    if box not in rnd.boxes:
        raise InvalidInputError(
            f"round {round_id} has no box {box!r}: boxes {', '.join(sorted(rnd.boxes))}"
        )
    return rnd


@dataclass(frozen=True)
class JournalChunk:
    """A closed chunk as the journal holds it: sequence, SHA-256, records, bytes, first/last."""

    seq: int
    sha256: str
    records: int
    start: int
    end: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class JournalGap:
    """A stretch the journal shows a channel gave nothing."""

    channel: str
    since: datetime
    until: datetime
    reason: str


@dataclass(frozen=True)
class ClosedSession:
    """What closing an interrupted session recorded."""

    session: SensorSession
    chunks_recorded: int
    gaps_recorded: int


def close_interrupted_session(
    app: Maillage,
    session_id: UUID,
    chunks: Sequence[JournalChunk],
    gaps: Sequence[JournalGap],
    counters: dict[str, dict[str, int]],
    ended_at: datetime,
    by: str,
    reason: str,
    journal: dict[str, Any],
) -> ClosedSession:
    """Close a session left recording by a recorder that died, from what its journal holds.

    Every journal chunk the session has not recorded is recorded with its SHA-256 (those it
    has must be the journal's, same hash), each gap not overlapping one already recorded on
    its channel is recorded, and the session stops with the journal's ``counters``, marked as
    closed after an interruption by ``by`` for ``reason``. One transaction: all or nothing.
    """
    done = {"chunks": 0, "gaps": 0}

    def close(s: SensorSession) -> None:
        done.update(chunks=0, gaps=0)  # app.edit may apply this twice (a concurrent edit)
        if s.status != "recording":
            raise RuleViolationError(
                f"session {short_id(s.id)} is {s.status}: there is nothing to close"
            )
        have = chunk_hashes(s)
        read = {c.seq: c.sha256 for c in chunks}
        for seq, sha in sorted(have.items()):
            if read.get(seq) != sha:
                what = "lacks" if seq not in read else "has another"
                raise RuleViolationError(
                    f"the journal {what} chunk {seq} session {short_id(s.id)} recorded: not its "
                    f"journal"
                )
        for c in sorted(chunks, key=lambda c: c.seq):
            if c.seq not in have:
                s.record_chunk(c.seq, c.sha256, c.records, c.start, c.end, c.first, c.last)
                done["chunks"] += 1
        for g in gaps:
            overlaps = any(
                old["channel"] == g.channel and old["since"] <= g.until and g.since <= old["until"]
                for old in s.gaps
            )
            if g.channel in s.channels and not overlaps:
                s.record_gap(g.channel, g.since, g.until, g.reason)
                done["gaps"] += 1
        s.close_after_interruption(
            {n: c for n, c in counters.items() if n in s.channels},
            max(ended_at, s.started_at),
            by,
            reason,
            journal,
        )

    session = app.edit(session_id, SensorSession, close)
    return ClosedSession(session, done["chunks"], done["gaps"])


# ---------------------------------------------------------------------- reading


def session_ids(app: Maillage) -> list[UUID]:
    """Every session's id, in the order they started (read from the log, no view needed)."""
    ids: list[UUID] = []
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, _SCAN_BATCH, topics=[STARTED_TOPIC])
        ids += [UUID(str(n.originator_id)) for n in batch]
        if len(batch) < _SCAN_BATCH:
            return ids
        start = batch[-1].id + 1


def list_sessions(app: Maillage) -> list[SensorSession]:
    """Every session, oldest first."""
    return [app.get(sid, SensorSession) for sid in session_ids(app)]


@dataclass(frozen=True)
class SessionsSummary:
    """How many sensor sessions there are, by state, and the latest one's start."""

    total: int
    recording: int
    processed: int
    waiting: int
    """Stopped but not processed yet."""
    latest_vehicle: str | None
    latest_started_at: datetime | None


def sessions_summary(app: Maillage) -> SessionsSummary:
    """Sessions by state, for the dashboard."""
    sessions = list_sessions(app)
    processed = sum(s.latest_processing is not None for s in sessions)
    recording = sum(s.status == "recording" for s in sessions)
    latest = max(sessions, key=lambda s: s.started_at, default=None)
    return SessionsSummary(
        total=len(sessions),
        recording=recording,
        processed=processed,
        waiting=len(sessions) - recording - processed,
        latest_vehicle=latest.vehicle if latest else None,
        latest_started_at=latest.started_at if latest else None,
    )


def find_session(app: Maillage, text: str) -> UUID:
    """A session's full id, or a unique prefix of at least 6 characters of it."""
    wanted = text.strip().lower().replace("-", "")
    if len(wanted) < 6:
        raise NotFoundError(f"no session with id {text!r} (give at least 6 characters)")
    found = [sid for sid in session_ids(app) if sid.hex.startswith(wanted)]
    if not found:
        raise NotFoundError(f"no session with id {text!r}")
    if len(found) > 1:
        raise InvalidInputError(f"{len(found)} sessions start with {text!r}: give more characters")
    return found[0]


def session_named(app: Maillage, text: str) -> SensorSession:
    """The session named by its id or its first 6+ characters."""
    return app.get(find_session(app, text), SensorSession)


def chunk_hashes(session: SensorSession) -> dict[int, str]:
    """``seq → SHA-256`` of every journal chunk the session recorded."""
    return {int(c["seq"]): str(c["sha256"]) for c in session.chunks}


# ---------------------------------------------------------------------- field to depot


def stored_as_json(stored: StoredEvent) -> dict[str, Any]:
    """A stored event as JSON values; its state (JSON text) is kept byte for byte."""
    return {
        "originator_id": str(stored.originator_id),
        "originator_version": stored.originator_version,
        "topic": stored.topic,
        "state": stored.state.decode("utf-8"),
    }


def session_events(app: Maillage, session_id: UUID) -> list[dict[str, Any]]:
    """The session's events exactly as stored, oldest first, as JSON values."""
    stored = app.recorder.select_events(session_id)
    if not stored:
        raise NotFoundError(f"no session with id {session_id}")
    if not stored[0].topic.startswith(SESSION_TOPIC + "."):
        raise NotFoundError(f"{session_id} is not a sensor session")
    return [stored_as_json(s) for s in stored]


@dataclass(frozen=True)
class ImportOutcome:
    """What importing a session's events did: how many were new, how many already there."""

    session: SensorSession
    recorded: int
    already: int


def replay_events(app: Maillage, events: Sequence[Mapping[str, Any]]) -> SensorSession:
    """Check that ``events`` are one sensor session's, versions 1..n, and rebuild it in memory.

    Nothing is recorded; raises ``InvalidInputError`` naming what is wrong.
    """
    stored = _as_stored(events)
    try:
        domain_events = [app.mapper.to_domain_event(s) for s in stored]
        session = project_aggregate(None, domain_events)
    except Exception as e:  # a damaged state or a foreign class: refuse, say which
        raise InvalidInputError(f"the session's events do not replay: {e}") from None
    if not isinstance(session, SensorSession):
        raise InvalidInputError("the events do not make a sensor session")
    return session


def _as_stored(events: Sequence[Mapping[str, Any]]) -> list[StoredEvent]:
    if not events:
        raise InvalidInputError("there are no events to import")
    out = []
    try:
        session_id = UUID(str(events[0]["originator_id"]))
        for n, e in enumerate(events, 1):
            topic = str(e["topic"])
            if not topic.startswith(SESSION_TOPIC + "."):
                raise InvalidInputError(f"event {n} is a {topic}, not a sensor session's event")
            if UUID(str(e["originator_id"])) != session_id:
                raise InvalidInputError(f"event {n} belongs to another aggregate")
            if int(e["originator_version"]) != n:
                raise InvalidInputError(f"event {n} has version {e['originator_version']}")
            out.append(StoredEvent(session_id, n, topic, str(e["state"]).encode("utf-8")))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInputError(f"the session's events are malformed ({e})") from None
    if out[0].topic != STARTED_TOPIC:
        raise InvalidInputError("the session's first event is not its start")
    return out


def import_plan(app: Maillage, events: Sequence[Mapping[str, Any]]) -> tuple[SensorSession, int]:
    """The session the events make and how many of them this store already holds.

    Refuses (``RuleViolationError``) when the store holds a different history for that id.
    """
    session = replay_events(app, events)
    incoming = _as_stored(events)
    existing = app.recorder.select_events(session.id)
    for mine, theirs in zip(existing, incoming, strict=False):
        if (mine.topic, mine.state) != (theirs.topic, theirs.state):
            raise RuleViolationError(
                f"session {short_id(session.id)} is in this store with a different event at "
                f"version "
                f"{mine.originator_version}: the bundle is not a copy of it"
            )
    return session, min(len(existing), len(incoming))


def import_session(app: Maillage, events: Sequence[Mapping[str, Any]]) -> ImportOutcome:
    """Record a session's events under their own id; those already here are skipped.

    All or nothing: the new events go in one transaction. Importing the same events twice
    records nothing the second time.
    """
    session, already = import_plan(app, events)
    incoming = _as_stored(events)
    new = incoming[already:]
    if new:
        app.record_stored(new)
    return ImportOutcome(session, len(new), already)


# ----------------------------------------------------------------------------- where and what


def round_municipality(app: Maillage, round_id: UUID) -> str | None:
    """The INSEE code of a meal round's municipality (its stops' beneficiaries'), if known.

    Rounds are planned per municipality; should stops of several ever share a round, the
    one with most stops wins (then the smallest code), so the answer never depends on order.
    """
    try:
        rnd = app.get(round_id, MealRound)
    except NotFoundError:  # a session imported without its round
        return None
    counts: dict[str, int] = {}
    for stop in rnd.stops:
        code = app.get(stop["beneficiary"], Beneficiary).insee_code
        counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda code: (-counts[code], code))


def session_municipality(app: Maillage, session: SensorSession, given: str | None) -> str | None:
    """Where a session's segments belong: its meal round's municipality, else ``given``
    (which must exist), else the one its latest processing recorded."""
    code = find_municipality(app, given).insee_code if given else None
    if session.round_id is not None:
        from_round = round_municipality(app, session.round_id)
        if from_round is not None:
            if code is not None and code != from_round:
                raise InvalidInputError(
                    f"session {short_id(session.id)} ran on a meal round of municipality "
                    f"{from_round}, "
                    f"not {code} (--municipality)"
                )
            return from_round
    if code is not None:
        return code
    done = session.latest_processing
    return done.get("municipality") if done else None


def recommendation_context(conn: ViewConnection, app: Maillage, insee: str | None) -> Context:
    """Reports, schools and homes (positions only, counted near segments; nothing personal)."""
    reports = list(iter_reports(app))
    schools = [
        (float(a), float(b))
        for a, b in conn.fetchall(
            "SELECT latitude_deg, longitude_deg FROM establishments_view "
            "WHERE latitude_deg IS NOT NULL AND longitude_deg IS NOT NULL"
        )
    ]
    query = "SELECT id FROM beneficiaries_view WHERE status <> 'erased'"
    params: tuple[Any, ...] = ()
    if insee:
        query += " AND insee_code = ?"
        params = (insee,)
    ids = [UUID(str(r[0])) for r in conn.fetchall(query, params)]
    homes = []
    for bid in ids:
        home = app.get(bid, Beneficiary).home
        if home.opened and isinstance(home.value, dict):
            homes.append((float(home.value["lat"]), float(home.value["lon"])))
    return Context(reports, schools, homes, territory_service.current_layers(app))


@dataclass(frozen=True)
class Places:
    """Segments combined over sessions at one level, the ranked recommendations, and the
    processed sessions left out because their results are missing."""

    places: list[dict[str, Any]]
    recommendations: list[Recommendation]
    missing: list[ProcessedSession]


def places(
    app: Maillage,
    insee: str | None = None,
    level: str = "segments_long",
    fallback: Path | None = None,
    rules: Sequence[dict[str, Any]] | None = None,
    budget_eur: float | None = None,
    with_recommendations: bool = True,
) -> Places:
    """Every processed session's segments (one municipality's with ``insee``) combined into
    places of ``level``, and, unless told otherwise, the recommendations ranked from the 100 m
    places crossed with field reports, schools and homes. ``fallback``: a folder where results
    the store's results folder lacks may be found."""
    conn = caught_up(app)
    try:
        levels = tuple(sorted({level, "segments_long"}))
        found = load_segments(conn, insee, levels, fallback)
        context = recommendation_context(conn, app, insee) if with_recommendations else None
    finally:
        conn.close()
    combined = combine(found.sessions, level)
    if context is None:
        return Places(combined, [], found.missing)
    long_places = combined if level == "segments_long" else combine(found.sessions, "segments_long")
    if insee:
        context = replace(context, reports=reports_near(context.reports, long_places))
    ranked = recommend(
        long_places, context, rules if rules is not None else default_rules(), budget_eur
    )
    return Places(combined, ranked, found.missing)


def register_laptop_key(app: Maillage, name: str, public_key_hex: str, by: str) -> bool:
    """Register a field laptop's public key; False when that very key is already registered.

    A name already registered with another key is refused: a stolen name cannot replace a key.
    """
    key = LaptopKey.register(name, public_key_hex, by)
    try:
        known = app.get(key.id, LaptopKey)
    except NotFoundError:
        app.save(key)
        return True
    if known.public_key_hex != key.public_key_hex:
        raise RuleViolationError(f"the laptop {name} is already registered with another key")
    return False


def laptop_public_key(app: Maillage, name: str) -> bytes | None:
    """The registered public key of a laptop (None: none registered under that name)."""
    try:
        check_key_name(name)
        return bytes.fromhex(app.get(laptop_key_id(name), LaptopKey).public_key_hex)
    except (NotFoundError, InvalidInputError):
        return None


def calibrate_session(
    app: Maillage, session: str, references: Sequence[Reference]
) -> tuple[UUID, Calibration]:
    """Fit IRI = a·index + b on the reference sections a processed session drove (its results
    from the store's results folder)."""
    sid = find_session(app, session)
    done = app.get(sid, SensorSession).latest_processing
    if done is None:
        raise InvalidInputError(f"session {short_id(sid)} is not processed: process it first")
    loaded = load_results(app.location, done["results_sha256"])
    if loaded.results is None:
        raise NotFoundError(
            f"the results of session {short_id(sid)} are {loaded.status} ({loaded.path})"
        )
    return sid, calibrate(loaded.results, references)
