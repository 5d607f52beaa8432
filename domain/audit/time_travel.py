"""Time travel: an aggregate's state at a log position or a date, its events, the log listed.

The log is the events table in notification-id order; a notification id is a
*position*. Everything here only reads, and every read of a ``TimeTravel`` is
bounded by the position it was opened at (``upto``), so what it answers does
not move while other consoles write.

- ``state_at``: the aggregate rebuilt with the library's
  ``repository.get(id, version=…)`` from its events at or before a position
  (for a date: its events stamped at or before it). Personal values are never
  opened for display: they read ``SEALED``, or ``ERASED`` once the person's key
  is gone (an erased beneficiary still loads: ``PersonalAsSealed`` opens the
  missing key as the erased marker).
- ``aggregate_events``: an aggregate's events with a one-line summary of their
  attributes, read from the stored JSON (no event class needed, so events of
  classes this version no longer has still show) with personal values masked.
- ``entries`` / ``positions``: the log filtered by event type (``LIKE`` on the
  topic ``module:Class.Event``), aggregate (the table's primary key) and dates,
  in keyset pages.

Dates are compared in SQL on the timestamp text at the start of each stored
state (UTC ISO text sorts like time), so a date filter is exact on any log, at
the cost of a scan (about a second for a million events on SQLite).

A date becomes one log position (``position_at``: the as-of point of a date)
by a binary search over positions, about 20 indexed reads for a million
events. It is exact where timestamps do not go backwards along the log, as
when a console stamps each event as it makes it and stores it at once. They do
go backwards where a log was written with a moved clock — the demo store tells
its devices' weeks, then its meals' weeks from an earlier date — and, by a
fraction of a second, where two consoles write at the same moment; there the
search finds one position where the log crosses the date, not the only one.
The state of one aggregate at a date uses that aggregate's own timestamps and
is always exact.

Timestamps are read from the first bytes of the stored state: the library
writes ``timestamp`` first (``domain.bulk`` too), so listing the log never
decodes whole events. A state that does not start that way is decoded whole.
"""

from __future__ import annotations

import dataclasses
import json
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.utils import TopicError

from domain.audit.reports.asof import strip_reference
from domain.errors import InvalidInputError, MaillageError, NotFoundError
from domain.personal import ERASED, Personal, PersonalAsSealed
from domain.store import ViewConnection, one_line

if TYPE_CHECKING:
    from domain.application import Maillage

SEALED: Final = "\u2039sealed\u203a"
"""What a personal value reads as here while its key exists: it is not opened for display."""

SUMMARY_CHARS: Final = 160
"""Longest event summary (a cut one ends with "…")."""

PAGE_ROWS: Final = 1000
"""Log rows read per statement when listing."""

_PREFIX_BYTES: Final = 100
_STAMP_PREFIX: Final = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_HEADER_KEYS: Final = frozenset({"timestamp", "originator_topic"})
_NAME: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_TYPE_PATTERN: Final = re.compile(rf"{_NAME}(?:\.{_NAME})*")
_HEX_ID: Final = re.compile(r"[0-9a-f]{6,32}")


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class LogEntry:
    """One event of the log as listed: where, when, which aggregate, what."""

    position: int
    timestamp: datetime | None
    aggregate_id: UUID
    topic: str

    @property
    def aggregate_type(self) -> str:
        return split_topic(self.topic)[0]

    @property
    def event_type(self) -> str:
        return split_topic(self.topic)[1]

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
            "aggregate_id": str(self.aggregate_id),
            "aggregate_type": self.aggregate_type,
            "event_type": self.event_type,
            "topic": self.topic,
        }


@dataclass(frozen=True)
class AggregateEvent:
    """One event of an aggregate: position, version, type, time and its attributes, masked."""

    position: int
    version: int
    topic: str
    timestamp: datetime | None
    attributes: dict[str, Any]

    @property
    def event_type(self) -> str:
        return split_topic(self.topic)[1]

    @property
    def summary(self) -> str:
        """The attributes on one line (``key=value, …``), cut at ``SUMMARY_CHARS``."""
        parts = []
        for key, value in self.attributes.items():
            text = value if isinstance(value, str) else _compact(value)
            parts.append(f"{key}={text}")
        line = ", ".join(parts)
        return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "version": self.version,
            "event_type": self.event_type,
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class AggregateState:
    """An aggregate as it was at a point of the log, and which point that is.

    ``version`` 0 means the aggregate did not exist yet there (``attributes`` is
    empty); ``versions`` is how many events it has up to the reader's bound.
    """

    aggregate_id: UUID
    aggregate_type: str
    position: int
    """The log position the state reflects (for a date: the last one at or before it)."""
    at: datetime | None
    """The date asked for, or the time of the event at ``position`` (None at position 0)."""
    version: int
    versions: int
    first_position: int
    last_event: AggregateEvent | None
    """The newest event applied (None when the aggregate did not exist yet)."""
    created_on: datetime | None
    modified_on: datetime | None
    attributes: dict[str, Any]

    @property
    def exists(self) -> bool:
        return self.version > 0

    def as_json(self) -> dict[str, Any]:
        last = self.last_event
        return {
            "aggregate_id": str(self.aggregate_id),
            "aggregate_type": self.aggregate_type,
            "exists": self.exists,
            "position": self.position,
            "at": None if self.at is None else self.at.isoformat(),
            "version": self.version,
            "versions": self.versions,
            "first_position": self.first_position,
            "last_event": None
            if last is None
            else {
                "position": last.position,
                "version": last.version,
                "event_type": last.event_type,
                "timestamp": None if last.timestamp is None else last.timestamp.isoformat(),
            },
            "created_on": None if self.created_on is None else self.created_on.isoformat(),
            "modified_on": None if self.modified_on is None else self.modified_on.isoformat(),
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class LogFilter:
    """Which events of the log to list: any of ``types``, one aggregate, a date range."""

    types: tuple[str, ...] = ()
    """Type patterns (``parse_types``): ``Class.Event``, or one name for a class or an event."""
    aggregate_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for pattern in self.types:
            _check_type(pattern)
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidInputError(
                f"the date range is empty: since {self.since.isoformat()} is after "
                f"until {self.until.isoformat()}"
            )

    @property
    def empty(self) -> bool:
        """Whether it lets every event through."""
        return self == LogFilter()


# ----------------------------------------------------------------------------- parsing


def split_topic(topic: str) -> tuple[str, str]:
    """(aggregate type, event type) of a topic ``module:Class.Event``."""
    qualname = topic.rpartition(":")[2]
    owner, _, name = qualname.rpartition(".")
    return owner.rpartition(".")[2], name


def parse_types(text: str) -> tuple[str, ...]:
    """Type patterns from ``"Activated, Device.Shipped"`` (commas or spaces between them)."""
    patterns = tuple(p for p in re.split(r"[\s,]+", text.strip()) if p)
    for pattern in patterns:
        _check_type(pattern)
    return patterns


def _check_type(pattern: str) -> None:
    if not _TYPE_PATTERN.fullmatch(pattern):
        raise InvalidInputError(
            f"event type {pattern!r} is not a name like Activated, Beneficiary "
            "or Beneficiary.Activated"
        )


def parse_moment(
    text: str, zone: tzinfo, *, end_of_day: bool = False, what: str = "date"
) -> datetime:
    """A date typed by a person, in UTC: ``YYYY-MM-DD`` (its start, or its end with
    ``end_of_day``) or ``YYYY-MM-DD HH:MM[:SS]``, in ``zone`` unless it states an offset."""
    cleaned = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            day = date.fromisoformat(cleaned)
            moment = datetime.combine(day, time.max if end_of_day else time.min, zone)
        else:
            moment = datetime.fromisoformat(cleaned)
    except ValueError:
        moment = None
    if moment is None or not cleaned[:1].isdigit():
        raise InvalidInputError(
            f"{what}: {text!r} is not a date; give YYYY-MM-DD or YYYY-MM-DD HH:MM "
            "(Paris time unless an offset such as +00:00 is given)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _stamp(prefix: bytes | None) -> datetime | None:
    """The timestamp at the start of a stored state, or None when it does not start with one."""
    if prefix is None or not prefix.startswith(_STAMP_PREFIX):
        return None
    end = prefix.find(b'"', len(_STAMP_PREFIX))
    if end < 0:
        return None
    try:
        return datetime.fromisoformat(prefix[len(_STAMP_PREFIX) : end].decode())
    except (ValueError, UnicodeDecodeError):
        return None


def _decoded_stamp(state: Any) -> datetime | None:
    """The timestamp of a decoded stored state, or None when it has none readable."""
    stamp = state.get("timestamp") if isinstance(state, dict) else None
    data = stamp.get("_data_") if isinstance(stamp, dict) else stamp
    try:
        return datetime.fromisoformat(data) if isinstance(data, str) else None
    except ValueError:
        return None


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- masking


def readable(value: Any) -> Any:
    """A value as JSON-native data for people: personal values masked, ids and dates as text."""
    if isinstance(value, Personal):
        return ERASED if value.erased else SEALED
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return readable(value.value)
    if isinstance(value, Mapping):
        return {str(k): readable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((readable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [readable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: readable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "__dict__"):
        return {k: readable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return f"<{type(value).__name__}>"


def _stored_readable(value: Any, erased: Callable[[str], bool]) -> Any:
    """Stored JSON made readable: transcoded values unwrapped, personal ones masked unopened."""
    if isinstance(value, dict):
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            kind, data = value["_type_"], value["_data_"]
            if kind == PersonalAsSealed.name:
                subject = data.get("s", "") if isinstance(data, dict) else ""
                return ERASED if erased(subject) else SEALED
            if kind == "uuid_hex" and isinstance(data, str):
                return str(UUID(data))
            return _stored_readable(data, erased)
        return {k: _stored_readable(v, erased) for k, v in value.items()}
    if isinstance(value, list):
        return [_stored_readable(v, erased) for v in value]
    return value


# ----------------------------------------------------------------------------- reading


class TimeTravel:
    """Reads the log for time travel over one connection, bounded by a position.

    Use it from one thread (SQLite connections stay in theirs) and close it;
    on SQLite every read of one ``TimeTravel`` sees the same snapshot.
    """

    def __init__(self, app: Maillage, upto: int | None = None) -> None:
        self.app = app
        self.conn = ViewConnection.open(app.location)
        self.table = app.events_table
        sqlite = self.conn.kind == "sqlite"
        self.nid = "rowid" if sqlite else "notification_id"
        self._prefix = (
            f"substr(state, 1, {_PREFIX_BYTES})"
            if sqlite
            else f"substring(state from 1 for {_PREFIX_BYTES})"
        )
        self._like = "LIKE" if sqlite else "ILIKE"
        # The timestamp text after the prefix, up to its closing quote. UTC ISO texts sort as
        # their times do, with or without microseconds ('+' sorts before '.'): compared in
        # the C collation on PostgreSQL, where a locale would ignore punctuation.
        start = len(_STAMP_PREFIX) + 1
        if sqlite:
            self._has_stamp = f"substr(state, 1, {start - 1}) = ?"
            quote = f"instr(substr(state, {start}, 40), X'22')"
            self._stamp_text = f"CAST(substr(state, {start}, {quote} - 1) AS TEXT)"
        else:
            self._has_stamp = f"substring(state from 1 for {start - 1}) = ?"
            self._stamp_text = (
                f"split_part(encode(substring(state from {start} for 40), 'escape'), '\"', 1)"
                ' COLLATE "C"'
            )
        last = self._scalar(f"SELECT MAX({self.nid}) FROM {self.table}")
        self.upto = last if upto is None else min(upto, last)
        """The newest position this reader sees."""
        self._erased: dict[str, bool] = {}

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> TimeTravel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ positions and dates

    def _scalar(self, statement: str, params: Sequence[Any] = ()) -> int:
        row = self.conn.fetchone(statement, params)
        return int(row[0]) if row and row[0] is not None else 0

    def first_position(self) -> int:
        """The oldest position (0 on an empty log)."""
        return self._scalar(
            f"SELECT MIN({self.nid}) FROM {self.table} WHERE {self.nid} <= ?", (self.upto,)
        )

    def check_position(self, position: int) -> int:
        """``position`` if it is in the log (0 means before the first event), else a user error."""
        if position < 0:
            raise InvalidInputError(f"position {position} is negative: positions start at 1")
        if position > self.upto:
            raise InvalidInputError(
                f"position {position:,} is beyond the end of the log (last position {self.upto:,})"
            )
        return position

    def timestamp_at(self, position: int) -> datetime | None:
        """When the event at ``position`` (or the nearest one before it) was stamped."""
        if position <= 0:
            return None
        row = self.conn.fetchone(
            f"SELECT {self.nid}, {self._prefix} FROM {self.table} WHERE {self.nid} <= ? "
            f"ORDER BY {self.nid} DESC LIMIT 1",
            (min(position, self.upto),),
        )
        return None if row is None else self._stamp_of(int(row[0]), row[1])

    def _stamp_of(self, position: int, prefix: Any) -> datetime | None:
        found = _stamp(None if prefix is None else bytes(prefix))
        if found is not None:
            return found
        row = self.conn.fetchone(
            f"SELECT state FROM {self.table} WHERE {self.nid} = ?", (position,)
        )
        try:
            state = json.loads(bytes(row[0])) if row and row[0] is not None else None
        except (ValueError, TypeError):
            return None  # an altered state: listed without a time, verification names it
        return _decoded_stamp(state)

    def position_at(self, moment: datetime, *, before: bool = False) -> int:
        """The last position stamped at or before ``moment`` (strictly before it with
        ``before``); 0 when every event is later. A binary search over positions."""
        probe = (
            f"SELECT {self.nid}, {self._prefix} FROM {self.table} "
            f"WHERE {self.nid} >= ? AND {self.nid} <= ? ORDER BY {self.nid} LIMIT 1"
        )

        def later(position: int) -> tuple[bool, int]:
            """Whether the first event at or after ``position`` is past the moment, and where."""
            row = self.conn.fetchone(probe, (position, self.upto))
            if row is None:
                return True, position
            found = int(row[0])
            stamp = self._stamp_of(found, row[1])
            if stamp is None:
                return False, found  # unreadable: counted as early, so the search goes on
            return (stamp >= moment if before else stamp > moment), found

        low, high = 1, self.upto + 1  # the answer's successor lies in [low, high]
        while low < high:
            middle = (low + high) // 2
            is_later, found = later(middle)
            if is_later:
                high = middle
            else:
                low = found + 1  # nothing in [middle, found) exists: skip the gap
        return self._scalar(
            f"SELECT MAX({self.nid}) FROM {self.table} WHERE {self.nid} < ?", (low,)
        )

    # ------------------------------------------------------------------ aggregates

    def _oid(self, aggregate_id: UUID) -> Any:
        return aggregate_id.hex if self.conn.kind == "sqlite" else aggregate_id

    @staticmethod
    def _uuid(value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))

    def resolve_id(self, text: str) -> UUID:
        """The aggregate a person means: a full id (with or without dashes) or the first
        six or more hex digits of exactly one aggregate's id."""
        cleaned = strip_reference(text).lower().replace("-", "")
        if not _HEX_ID.fullmatch(cleaned):
            raise InvalidInputError(
                f"{text.strip()!r} is not an aggregate id (a UUID, or at least its first "
                "6 hex digits)"
            )
        low, high = UUID(cleaned.ljust(32, "0")), UUID(cleaned.ljust(32, "f"))
        rows = self.conn.fetchall(
            f"SELECT DISTINCT originator_id FROM {self.table} "
            f"WHERE originator_id >= ? AND originator_id <= ? AND {self.nid} <= ? LIMIT 2",
            (self._oid(low), self._oid(high), self.upto),
        )
        if not rows:
            shown = str(UUID(cleaned)) if len(cleaned) == 32 else f"{cleaned}…"
            raise NotFoundError(f"no aggregate with id {shown} in the log")
        if len(rows) > 1:
            raise InvalidInputError(
                f"several aggregates have an id starting with {cleaned}: give more digits"
            )
        return self._uuid(rows[0][0])

    def _is_erased(self, subject: str) -> bool:
        erased = self._erased.get(subject)
        if erased is None:
            try:
                erased = self.app.subject_keys.is_erased(UUID(subject))
            except ValueError:
                erased = False
            self._erased[subject] = erased
        return erased

    def aggregate_events(self, aggregate_id: UUID) -> list[AggregateEvent]:
        """Every event of an aggregate up to the reader's bound, oldest first, masked."""
        rows = self.conn.fetchall(
            f"SELECT {self.nid}, originator_version, topic, state FROM {self.table} "
            f"WHERE originator_id = ? AND {self.nid} <= ? ORDER BY originator_version",
            (self._oid(aggregate_id), self.upto),
        )
        events = []
        for position, version, topic, state in rows:
            try:
                decoded = json.loads(bytes(state))
            except (ValueError, TypeError):
                decoded = None
            if not isinstance(decoded, dict):
                stamp, attributes = None, {"state": "(not readable: the stored bytes are not JSON)"}
            else:
                stamp = _decoded_stamp(decoded)
                attributes = {
                    k: _stored_readable(v, self._is_erased)
                    for k, v in decoded.items()
                    if k not in _HEADER_KEYS
                }
            events.append(AggregateEvent(int(position), int(version), topic, stamp, attributes))
        return events

    def state_at(
        self,
        aggregate_id: UUID,
        *,
        position: int | None = None,
        at: datetime | None = None,
        events: Sequence[AggregateEvent] | None = None,
    ) -> AggregateState:
        """The aggregate as it was at ``position`` or at the date ``at`` (at the reader's
        bound when neither is given). ``events`` (``aggregate_events``) spares reading them."""
        if position is not None and at is not None:
            raise InvalidInputError("give a position or a date, not both")
        history = list(events) if events is not None else self.aggregate_events(aggregate_id)
        if not history:
            raise NotFoundError(f"no aggregate with id {aggregate_id} in the log")
        if at is not None:
            applied = [e for e in history if e.timestamp is not None and e.timestamp <= at]
            point = self.position_at(at)
        else:
            point = self.upto if position is None else self.check_position(position)
            applied = [e for e in history if e.position <= point]
            at = self.timestamp_at(point)
        last = applied[-1] if applied else None
        aggregate_type = split_topic(history[0].topic)[0]
        attributes: dict[str, Any] = {}
        created_on = modified_on = None
        if last is not None:
            aggregate = self._rebuild(aggregate_id, last.version)
            aggregate_type = type(aggregate).__name__
            created_on, modified_on = aggregate.created_on, aggregate.modified_on
            attributes = {
                k: readable(v) for k, v in vars(aggregate).items() if not k.startswith("_")
            }
        return AggregateState(
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            position=point,
            at=at,
            version=0 if last is None else last.version,
            versions=history[-1].version,
            first_position=history[0].position,
            last_event=last,
            created_on=created_on,
            modified_on=modified_on,
            attributes=attributes,
        )

    def _rebuild(self, aggregate_id: UUID, version: int) -> Any:
        try:
            return self.app.repository.get(aggregate_id, version=version)
        except (TopicError, ValueError, KeyError, TypeError) as e:
            raise MaillageError(
                f"cannot rebuild aggregate {aggregate_id} at version {version}: {one_line(e)}"
            ) from e

    # ------------------------------------------------------------------ the log

    def span(self) -> range:
        """Every position from the first to the reader's bound, an event or a gap (a rolled-back
        insert on PostgreSQL, a deleted row): the unfiltered log without reading it (listing
        the positions of a million events reads the whole table)."""
        return range(self.first_position() or 1, self.upto + 1)

    def _where(self, chosen: LogFilter) -> tuple[str, list[Any]]:
        """The SQL condition and parameters selecting ``chosen`` up to the reader's bound."""
        clauses, params = [f"{self.nid} <= ?"], [self.upto]
        if chosen.since is not None or chosen.until is not None:
            clauses.append(self._has_stamp)
            params.append(_STAMP_PREFIX)
        if chosen.since is not None:
            clauses.append(f"{self._stamp_text} >= ?")
            params.append(chosen.since.astimezone(UTC).isoformat())
        if chosen.until is not None:
            clauses.append(f"{self._stamp_text} <= ?")
            params.append(chosen.until.astimezone(UTC).isoformat())
        if chosen.aggregate_id is not None:
            clauses.append("originator_id = ?")
            params.append(self._oid(chosen.aggregate_id))
        if chosen.types:
            likes = []
            for pattern in chosen.types:
                escaped = pattern.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
                shapes = [f"%:{escaped}"] if "." in pattern else [f"%:{escaped}.%", f"%.{escaped}"]
                for shape in shapes:
                    likes.append(f"topic {self._like} ? ESCAPE '\\'")
                    params.append(shape)
            clauses.append(f"({' OR '.join(likes)})")
        return " AND ".join(clauses), params

    def entries(
        self, chosen: LogFilter | None = None, limit: int | None = None
    ) -> Iterator[LogEntry]:
        """The events ``chosen`` lets through (all by default), oldest first, at most ``limit``,
        read in pages."""
        where, params = self._where(chosen or LogFilter())
        statement = (
            f"SELECT {self.nid}, originator_id, topic, {self._prefix} FROM {self.table} "
            f"WHERE {where} AND {self.nid} > ? ORDER BY {self.nid} LIMIT ?"
        )
        after, left = 0, limit
        while left is None or left > 0:
            page = PAGE_ROWS if left is None else min(PAGE_ROWS, left)
            rows = self.conn.fetchall(statement, (*params, after, page))
            yield from self._entries(rows)
            if len(rows) < page:
                return
            after = int(rows[-1][0])
            if left is not None:
                left -= len(rows)

    def _entries(self, rows: Sequence[Sequence[Any]]) -> list[LogEntry]:
        return [
            LogEntry(int(n), self._stamp_of(int(n), prefix), self._uuid(oid), topic)
            for n, oid, topic, prefix in rows
        ]

    def positions(self, chosen: LogFilter | None = None) -> array[int]:
        """The positions of the events ``chosen`` lets through, ascending (8 bytes each).

        Without a type or an aggregate this reads the whole table (a second or two for a
        million events): ``span`` is the cheap answer then."""
        where, params = self._where(chosen or LogFilter())
        cursor = self.conn.execute(
            f"SELECT {self.nid} FROM {self.table} WHERE {where} ORDER BY {self.nid}", params
        )
        return array("q", map(itemgetter(0), cursor))

    def entries_at(self, positions: Sequence[int]) -> list[LogEntry]:
        """The log entries at the given ascending positions (one statement; a position
        without an event has no entry)."""
        if not positions:
            return []
        first, last = int(positions[0]), int(positions[-1])
        if last - first + 1 == len(positions):  # a run: one index range
            where, params = f"{self.nid} >= ? AND {self.nid} <= ?", [first, last]
        else:
            where = f"{self.nid} IN ({', '.join('?' * len(positions))})"
            params = [int(p) for p in positions]
        rows = self.conn.fetchall(
            f"SELECT {self.nid}, originator_id, topic, {self._prefix} FROM {self.table} "
            f"WHERE {where} ORDER BY {self.nid}",
            params,
        )
        return self._entries(rows)


# ----------------------------------------------------------------------------- one-shot reads


def state_at(
    app: Maillage,
    aggregate_id: UUID,
    *,
    position: int | None = None,
    at: datetime | None = None,
) -> AggregateState:
    """An aggregate's state at a position or a date (see ``TimeTravel.state_at``)."""
    with TimeTravel(app) as reader:
        return reader.state_at(aggregate_id, position=position, at=at)
