"""What a read model is: tables built from the event log, rebuildable at any time."""

from __future__ import annotations

import json
import json.scanner
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.store import ViewConnection

_ID_CHARS = frozenset("0123456789abcdef-")
"""What an id as the views keep it (``str(UUID)``) is made of."""

if TYPE_CHECKING:
    from domain.application import Maillage

_DECODER = json.JSONDecoder()
_decode = _DECODER.decode
_make_scanner = json.scanner.c_make_scanner  # type: ignore[attr-defined]
_scan = _make_scanner(_DECODER) if _make_scanner is not None else None
_MEMO = "_maillage_state"


def event_state(notification: Notification) -> dict[str, Any]:
    """The stored state of an event as plain JSON values (transcoded values stay as dicts).

    Views read this instead of full domain events: plain JSON decoding is several
    times faster than the mapper and a view only needs a few fields. States are
    UTF-8 (the library's transcoder writes them so) and start with the object's
    brace, so they go straight to the C scanner, without ``json.loads``'s encoding
    sniffing and ``decode``'s whitespace checks (anything else, trailing
    whitespace or bad JSON, takes the decoder's own path and its error).

    The state is decoded once per notification: it is kept on the (frozen,
    field-compared) notification object, so the several views of a projector batch
    that read one event share one decoding. Views must not change what they get.
    """
    memo = notification.__dict__.get(_MEMO)
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    text = notification.state.decode("utf-8")
    state: Any = None
    if _scan is not None:
        try:
            state, end = _scan(text, 0)
        except StopIteration:
            state = None
        else:
            if end != len(text):
                state = None
    if not isinstance(state, dict):
        state = _decode(text)
    object.__setattr__(notification, _MEMO, state)  # a memo, not a field: eq and hash ignore it
    return state  # type: ignore[no-any-return]


_TIME_HEAD = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'


def event_time(notification: Notification) -> str:
    """The event's time as the ISO text of its state (``event_state(n)["timestamp"]["_data_"]``).

    The library's transcoder writes the event's time first, so it is read from the
    state's opening bytes without decoding the rest (an ISO time has no quote or
    backslash to unescape): views that need nothing else of an event, such as the
    activity view that reads every event, decode nothing. A state that begins
    otherwise is decoded.
    """
    state = notification.state
    if state.startswith(_TIME_HEAD):
        end = state.find(b'"', len(_TIME_HEAD))
        text = state[len(_TIME_HEAD) : end]
        if end > 0 and text.isascii() and b"\\" not in text:
            return text.decode("ascii")
    return str(event_state(notification)["timestamp"]["_data_"])


class View(ABC):
    """A read model: its tables, the event topics it reads, and how it applies them.

    ``version`` is part of the tracking row: bump it when the tables or the
    rules change and the projector rebuilds the view from the log.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]]
    topics: ClassVar[tuple[str, ...]]

    def attach(self, app: Maillage) -> None:  # noqa: B027 - most views need nothing
        """Called by the projector before applying: views that open sealed data keep ``app``."""

    @abstractmethod
    def create(self, conn: ViewConnection) -> None:
        """Create the view's tables and indexes if they do not exist."""

    @abstractmethod
    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        """Apply a batch of notifications (only of ``topics``), in log order."""

    def drop(self, conn: ViewConnection) -> None:
        """Drop the view's tables (a rebuild recreates them)."""
        for table in self.tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}")

    def rows(self, conn: ViewConnection) -> dict[str, Counter[tuple[Any, ...]]]:
        """Every row of every table, as a multiset: two builds are equal when these are.

        Counting rows needs no order, so it costs a pass over them where sorting them
        in a canonical order (``contents``) costs a key per value and a sort.
        """
        return {
            table: Counter(tuple(r) for r in conn.fetchall(f"SELECT * FROM {table}"))
            for table in self.tables
        }

    def contents(self, conn: ViewConnection) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in a canonical order (to compare two builds)."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in self.tables:
            rows = [tuple(r) for r in conn.fetchall(f"SELECT * FROM {table}")]
            out[table] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
        return out


def stored_id(value: Any) -> str:
    """A transcoded UUID (``{"_type_": "uuid_hex", "_data_": hex}``) as the text views keep."""
    return str(UUID(value["_data_"])) if isinstance(value, dict) else str(value)


def stored_time(value: Any) -> str:
    """A transcoded datetime as ISO text (UTC)."""
    return str(value["_data_"]) if isinstance(value, dict) else str(value)


def find_by_prefix(
    conn: ViewConnection,
    table: str,
    text: str,
    what: str,
    within: tuple[str, str] | None = None,
    typed_as: str | None = None,
) -> UUID:
    """A full id, or a unique prefix of at least 6 characters, of a row of the view ``table``
    (only among rows whose column ``within[0]`` is ``within[1]``: a scoped user's); a clear
    error naming what was typed otherwise, the same whether the id is elsewhere or nowhere.

    The prefix is compared literally (never a ``LIKE`` pattern: ``%`` and ``_`` are
    characters, which no id holds). ``typed_as``: what the user typed, named in errors, when
    ``text`` is the id part of a reference (``W-8148d0``).
    """
    from domain.errors import InvalidInputError, NotFoundError

    typed = text.strip().lower()
    rows: list[tuple[Any, ...]] = []
    if len(typed) >= 6 and _ID_CHARS.issuperset(typed):
        where, params = "substr(id, 1, ?) = ?", [len(typed), typed]
        if within is not None:
            where, params = f"{where} AND {within[0]} = ?", [*params, within[1]]
        rows = conn.fetchall(f"SELECT id FROM {table} WHERE {where}", params)
    shown = text if typed_as is None else typed_as
    if not rows:
        hint = " (give at least 6 characters)" if len(typed) < 6 else ""
        raise NotFoundError(f"no {what} with id {shown!r}{hint}")
    if len(rows) > 1:
        raise InvalidInputError(f"{len(rows)} {what}s start with {shown!r}: give more characters")
    return UUID(rows[0][0])
