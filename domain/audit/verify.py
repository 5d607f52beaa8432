"""Verification of the audit chain: recompute every link and name the first position that is wrong.

Both tables are read in notification-id order, in batches (keyset pages, one
read snapshot), and merged. A run of rows whose ids match and whose links
recompute is checked a whole batch at a time; the first batch that does not is
walked row by row to name the first bad position and what happened there:

- ``modified``: the event at this position is not what was chained (state,
  topic, originator or version changed);
- ``deleted``: an event is gone — its link remains, or the link after it names
  it as its predecessor; or links are gone (the chain table was emptied, or this
  event's link was removed while the next link still chains on it);
- ``inserted``: an event that the chain does not cover (written around the
  recorder), or extra rows the chain skips over;
- ``reordered``: the content chained at this position is found at a later one
  (within ``reorder_window`` positions), and the other way round — rows swapped;
- ``rewritten``: only against a checkpoint — the link at the checkpoint's
  position is not the checkpoint's head, or the chain there is another one. A
  rewrite of the whole tail (newest rows deleted, others appended and chained
  afresh) verifies on its own; only a checkpoint taken before shows it.
"""

from __future__ import annotations

import json
import struct
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from domain.audit.chain import (
    CHAIN_START_ID,
    CHAIN_TABLE,
    GENESIS,
    INFO_TABLE,
    AuditChainError,
    chain_link,
    chain_links,
)
from domain.personal import KEYS_INFO_TABLE
from domain.store import ViewConnection

if TYPE_CHECKING:
    from domain.application import Maillage
    from domain.audit.checkpoint import Checkpoint, History

Kind = Literal["modified", "deleted", "inserted", "reordered", "rewritten"]
EventRow = tuple[int, Any, int, str, bytes]
LinkRow = tuple[int, int, bytes]

BATCH_SIZE = 10_000
REORDER_WINDOW = 50_000


@dataclass(frozen=True)
class Finding:
    """The first position where the store is not what the chain (or checkpoint) says."""

    position: int
    kind: Kind
    detail: str

    def line(self) -> str:
        """The finding in one line, for the command line."""
        return f"audit chain broken at position {self.position}: {self.kind} — {self.detail}"


@dataclass(frozen=True)
class ChainFacts:
    """What the store says about its chain: ``backfilled_through`` and ``started_at`` as the
    log's ``ChainStart`` event says (0 and None for a store chained from its first event,
    which has none); ``info_backfilled_through`` as ``audit_chain_info`` says (None: its rows
    are gone), which the verifier only compares with the log."""

    store_id: str | None
    created_at: str | None
    backfilled_through: int
    started_at: int | None = None
    info_backfilled_through: int | None = None


@dataclass
class Report:
    """The outcome of one verification run."""

    facts: ChainFacts
    total: int = 0
    """Highest position in either table when the run started (the progress bar's end)."""
    events: int = 0
    """Events whose links were recomputed and matched, up to ``last_position``."""
    last_position: int = 0
    head: bytes = GENESIS
    """The link at ``last_position`` (``GENESIS`` on an empty store)."""
    finding: Finding | None = None
    checkpoint: Checkpoint | None = None
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return self.finding is None

    @property
    def rate(self) -> float:
        """Events verified per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """The report for scripts."""
        cp = self.checkpoint
        return {
            "intact": self.intact,
            "events": self.events,
            "last_position": self.last_position,
            "head": self.head.hex(),
            "first_bad": None
            if self.finding is None
            else {
                "position": self.finding.position,
                "kind": self.finding.kind,
                "detail": self.finding.detail,
            },
            "chain": {
                "store_id": self.facts.store_id,
                "created_at": self.facts.created_at,
                "backfilled_through": self.facts.backfilled_through,
            },
            "checkpoint": None
            if cp is None
            else {
                "position": cp.position,
                "head": cp.head,
                "created_at": cp.created_at,
                "signed": cp.hmac is not None,
            },
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.rate),
        }


Rows = list[tuple[Any, ...]]


class _Tables:
    """Reads event rows ``(id, originator, version, topic, state)`` and link rows
    ``(id, prev_id, link)`` where a condition holds, in id order.

    On PostgreSQL a page of rows comes as one ``bytea``: the server frames each
    row's raw values (id, then the fields with their lengths, as PostgreSQL's own
    binary send functions give them) and joins the page, read in binary format and
    unpacked here. Pure-Python psycopg spends most of its time per value and per
    row fetched, so one value per page reads several times faster than one value
    per row (measured: 4x the wall time, 15x the client's CPU time, for 200,000
    events). The server only frames what it stores: every link is still
    recomputed here, by ``chain_links``.
    """

    def __init__(
        self, conn: ViewConnection, events_table: str, page_rows: int = BATCH_SIZE
    ) -> None:
        self.conn = conn
        self.page_rows = page_rows
        if conn.kind == "sqlite":
            self.nid = "rowid"
            self._events = (
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {events_table}"
            )
            self._links = f"SELECT notification_id, prev_id, link FROM {CHAIN_TABLE}"
            return
        self.nid = "notification_id"
        # A row with a NULL field (raw SQL) comes as its id and a 0 byte: reported as modified.
        # Pages are joined in the subquery's order, which the unpacking checks (and restores
        # if need be), rather than sorted again by the aggregate: half the server's time.
        # ``textsend`` gives the topic in the client's encoding, UTF-8 as the chain hashes
        # it; ``convert_to`` says so explicitly but costs as much again.
        utf8 = str((conn.fetchone("SHOW client_encoding") or ("",))[0]).upper() in ("UTF8", "UTF-8")
        topic = "textsend(topic)" if utf8 else "convert_to(topic, 'UTF8')"
        self._events = (
            "SELECT string_agg(int8send(notification_id) || COALESCE('\\x01'::bytea"
            " || uuid_send(originator_id) || int8send(originator_version)"
            " || int4send(octet_length(topic)) || int4send(octet_length(state)) || topic || state,"
            " '\\x00'::bytea), ''::bytea) FROM (SELECT notification_id, originator_id,"
            f" originator_version, {topic} AS topic, state FROM {events_table}"
            " WHERE {where} ORDER BY notification_id{limit}) page"
        )
        self._links = (
            "SELECT string_agg(int8send(notification_id) || COALESCE('\\x01'::bytea"
            " || int8send(prev_id) || int4send(octet_length(link)) || link, '\\x00'::bytea),"
            " ''::bytea) FROM (SELECT notification_id, prev_id, link"
            f" FROM {CHAIN_TABLE} WHERE {{where}} ORDER BY notification_id{{limit}}) page"
        )

    def events(self, where: str, params: Sequence[Any], limit: str = "") -> Rows:
        if self.conn.kind == "sqlite":
            return self.conn.fetchall(
                f"{self._events} WHERE {where} ORDER BY {self.nid}{limit}", params
            )
        return self._pages(self._events, _unpack_events, where, params, limit)

    def links(self, where: str, params: Sequence[Any], limit: str = "") -> Rows:
        if self.conn.kind == "sqlite":
            return self.conn.fetchall(
                f"{self._links} WHERE {where} ORDER BY notification_id{limit}", params
            )
        return self._pages(self._links, _unpack_links, where, params, limit)

    def _pages(
        self,
        statement: str,
        unpack: Callable[[bytes], Rows],
        where: str,
        params: Sequence[Any],
        limit: str,
    ) -> Rows:
        """PostgreSQL: one page if ``limit`` is given, else every row, a page at a time
        of ``page_rows`` (a page is one value, which PostgreSQL caps at 1 GB)."""
        if limit:
            return unpack(self._one(statement.format(where=where, limit=limit), params))
        rows: Rows = []
        after = -1
        while True:
            page = unpack(
                self._one(
                    statement.format(where=f"({where}) AND notification_id > ?", limit=" LIMIT ?"),
                    (*params, after, self.page_rows),
                )
            )
            rows += page
            if len(page) < self.page_rows:
                return rows
            after = int(page[-1][0])

    def _one(self, statement: str, params: Sequence[Any]) -> bytes:
        with self.conn.raw.cursor(binary=True) as cur:
            row = cur.execute(statement.replace("?", "%s"), params).fetchone()
        return b"" if row is None or row[0] is None else bytes(row[0])


def _in_order(rows: Rows, ordered: bool) -> Rows:
    """Rows by ascending id: as the server joined them (``ordered``), else sorted here."""
    return rows if ordered else sorted(rows, key=lambda r: r[0])


_EVENT_ROW = struct.Struct(">qx16sqii")
"""An event row's head: id, (1: fields follow), originator id, version, topic and state lengths."""
_LINK_ROW = struct.Struct(">qxqi")
"""A link row's head: id, (1: fields follow), prev_id, link length."""
_ID = struct.Struct(">q")


def _unpack_events(page: bytes) -> Rows:
    """Event rows ``(id, originator id as 32 hex digits, version, topic, state)`` of a page,
    in ascending id; a row whose fields were NULL (the byte after its id is 0) as its id and
    Nones."""
    out: Rows = []
    append, head, size, null_id = out.append, _EVENT_ROW.unpack_from, _EVENT_ROW.size, _ID
    at, end, last, ordered = 0, len(page), -1, True
    while at < end:
        if page[at + 8]:
            n, oid, version, topic_len, state_len = head(page, at)
            at += size
            topic_end = at + topic_len
            state_end = topic_end + state_len
            append((n, oid.hex(), version, page[at:topic_end].decode(), page[topic_end:state_end]))
            at = state_end
        else:
            (n,) = null_id.unpack_from(page, at)
            append((n, None, None, None, None))
            at += 9
        if n <= last:
            ordered = False
        last = n
    return _in_order(out, ordered)


def _unpack_links(page: bytes) -> Rows:
    """Link rows ``(id, prev_id, link)`` of a page, in ascending id (NULLs, which the schema
    forbids, as None)."""
    out: Rows = []
    append, head, size, null_id = out.append, _LINK_ROW.unpack_from, _LINK_ROW.size, _ID
    at, end, last, ordered = 0, len(page), -1, True
    while at < end:
        if page[at + 8]:
            n, prev_id, link_len = head(page, at)
            at += size
            append((n, prev_id, page[at : at + link_len]))
            at += link_len
        else:
            (n,) = null_id.unpack_from(page, at)
            append((n, None, None))
            at += 9
        if n <= last:
            ordered = False
        last = n
    return _in_order(out, ordered)


@dataclass
class _Stream:
    """One table read in id order, a keyset page at a time, with a cursor into the page."""

    read: Callable[[int, int], Rows]
    """Rows after an id, at most so many."""
    batch_size: int
    rows: Rows = field(default_factory=list)
    at: int = 0
    after: int = 0
    done: bool = False

    def available(self) -> int:
        """Rows left in the page, reading the next page when this one is used up."""
        if self.at >= len(self.rows) and not self.done:
            self.rows = self.read(self.after, self.batch_size)
            self.at = 0
            if self.rows:
                self.after = int(self.rows[-1][0])
            if len(self.rows) < self.batch_size:
                self.done = True
        return len(self.rows) - self.at

    def peek(self) -> tuple[Any, ...] | None:
        return self.rows[self.at] if self.available() else None


_MALFORMED = (TypeError, ValueError, AttributeError, OverflowError, struct.error)
"""What encoding a row raises when raw SQL left a value of the wrong type (SQLite allows it)."""


def _links(prev_link: bytes, rows: Sequence[EventRow]) -> list[bytes] | None:
    """``chain_links``, or None when a row holds a value of the wrong type (a modification)."""
    try:
        return chain_links(prev_link, rows)
    except _MALFORMED:
        return None


def _link(
    prev_link: bytes, n: int, originator_id: Any, version: Any, topic: Any, state: Any
) -> bytes | None:
    """``chain_link``, or None when a value has the wrong type."""
    try:
        return chain_link(prev_link, n, originator_id, version, topic, state)
    except _MALFORMED:
        return None


class Verifier:
    """Recompute the chain of a store; ``steps()`` yields ``(position, total)`` as it goes.

    The connection is used for one read-only snapshot (SQLite's read transaction,
    PostgreSQL's REPEATABLE READ), so writers may go on meanwhile; what they add
    after the snapshot is not part of this run.
    """

    def __init__(
        self,
        conn: ViewConnection,
        events_table: str,
        *,
        checkpoint: Checkpoint | None = None,
        history: History | None = None,
        resume: Checkpoint | None = None,
        collect: bool = False,
        batch_size: int = BATCH_SIZE,
        reorder_window: int = REORDER_WINDOW,
    ) -> None:
        self.conn = conn
        self.checkpoint = checkpoint
        self.history = history
        """The links a checkpoint kept outside the store: the first event that differs is named."""
        self.resume = resume
        """Start after this checkpoint's position, trusting its head (extending a history)."""
        self.collected: list[tuple[int, bytes]] | None = [] if collect else None
        """With ``collect``: every ``(position, link)`` verified, for a checkpoint's history."""
        self.batch_size = batch_size
        self.reorder_window = reorder_window
        self.gapless = conn.kind == "sqlite"  # SQLite ids are max+1: a gap is a deletion
        self._tables = _Tables(conn, events_table, batch_size)
        self._events_nid = self._tables.nid
        self._events_table = events_table
        self.report: Report | None = None

    @classmethod
    def of(cls, app: Maillage, **kwargs: Any) -> Verifier:
        """A verifier on its own connection to the application's store."""
        return cls(ViewConnection.open(app.location), app.events_table, **kwargs)

    def run(self) -> Report:
        """Verify without reporting progress."""
        for _ in self.steps():
            pass
        assert self.report is not None
        return self.report

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the run

    def steps(self) -> Iterator[tuple[int, int]]:
        """Verify, yielding ``(position reached, total)`` after each batch; sets ``report``."""
        started = time.perf_counter()
        self._snapshot()
        report = Report(facts=self._facts())
        self.report = report
        nid = self._events_nid
        report.total = max(
            self._scalar(f"SELECT MAX({nid}) FROM {self._events_table}"),
            self._scalar(f"SELECT MAX(notification_id) FROM {CHAIN_TABLE}"),
        )
        self._no_links = (
            self._scalar(f"SELECT COUNT(*) FROM (SELECT 1 FROM {CHAIN_TABLE} LIMIT 1) t") == 0
        )
        cp = self.checkpoint
        report.checkpoint = cp
        if cp is not None and cp.position == 0 and cp.head != GENESIS.hex():
            report.finding = self._rewritten(0)
        elif cp is not None and cp.store_id != report.facts.store_id:
            report.finding = Finding(
                cp.position,
                "rewritten",
                f"the checkpoint is of store {cp.store_id}, this store's chain is "
                f"{report.facts.store_id} (made on {report.facts.created_at}): "
                "its chain was created again",
            )
        if report.finding is not None:
            report.seconds = time.perf_counter() - started
            return
        tables = self._tables
        events = _Stream(
            lambda after, limit: tables.events(f"{nid} > ?", (after, limit), " LIMIT ?"),
            self.batch_size,
        )
        links = _Stream(
            lambda after, limit: tables.links("notification_id > ?", (after, limit), " LIMIT ?"),
            self.batch_size,
        )
        if self.resume is not None:
            start = self.resume
            report.last_position, report.events = start.position, start.events
            report.head = bytes.fromhex(start.head)
            events.after = links.after = start.position
        while report.finding is None:
            m = min(events.available(), links.available())
            if m == 0:
                if events.peek() is None and links.peek() is None:
                    break
            elif self._verify_run(report, events, links, m):
                yield report.last_position, report.total
                continue
            report.finding = self._walk(report, events, links, max(m, 1))
        if report.finding is None:
            report.finding = self._facts_finding(report.facts)
        if report.finding is None and cp is not None and cp.position > report.last_position:
            report.finding = Finding(
                report.last_position + 1 if self.gapless else cp.position,
                "deleted",
                f"the store ends at position {report.last_position} but the checkpoint of "
                f"{cp.created_at} reaches position {cp.position}: the newest events were deleted",
            )
        report.seconds = time.perf_counter() - started
        yield report.last_position, report.total

    def _verify_run(self, report: Report, events: _Stream, links: _Stream, m: int) -> bool:
        """Check ``m`` aligned rows at once; False (nothing consumed) if any is not right."""
        evs = events.rows[events.at : events.at + m]
        lns = links.rows[links.at : links.at + m]
        ids = [e[0] for e in evs]
        if ids != [ln[0] for ln in lns] or [ln[1] for ln in lns] != [
            report.last_position,
            *ids[:-1],
        ]:
            return False
        computed = _links(report.head, evs)  # rows are (id, originator, version, topic, state)
        if computed is None or computed != [ln[2] for ln in lns]:
            return False
        history = self.history
        if (
            history is not None
            and ids[0] <= history.last
            and any(history.links.get(i, c) != c for i, c in zip(ids, computed, strict=True))
        ):
            return False
        if not self._checkpoint_holds(report, ids, computed):
            return False
        events.at += m
        links.at += m
        if self.collected is not None:
            self.collected.extend(zip(ids, computed, strict=True))
        report.events += m
        report.last_position = ids[-1]
        report.head = computed[-1]
        return True

    def _checkpoint_holds(
        self, report: Report, ids: Sequence[int], computed: Sequence[bytes]
    ) -> bool:
        """False if the checkpoint's position falls in this run and its link is not the head."""
        cp = self.checkpoint
        if cp is None or not report.last_position < cp.position <= ids[-1]:
            return True
        i = bisect_left(ids, cp.position)
        return ids[i] == cp.position and computed[i].hex() == cp.head

    def _walk(self, report: Report, events: _Stream, links: _Stream, rows: int) -> Finding | None:
        """Step row by row over the rows the fast path refused: the first bad position, if any.

        Where a checkpoint's history covers the position, the log is compared with it
        first: the first event that differs from the history is what was changed, even when
        the chain's rows were deleted or linked again to match.
        """
        finding = self._walk_chain(report, events, links, rows)
        if finding is None or self.history is None or finding.position > self.history.last:
            return finding
        return self._history_finding(report) or finding

    def _walk_chain(
        self, report: Report, events: _Stream, links: _Stream, rows: int
    ) -> Finding | None:
        """The chain's own check, row by row (see ``_walk``)."""
        for _ in range(rows):
            e, ln = events.peek(), links.peek()
            if e is None and ln is None:
                return None
            if ln is None or (e is not None and e[0] < ln[0]):
                return self._unlinked_event(e, ln)  # type: ignore[arg-type]
            if e is None or ln[0] < e[0]:
                return Finding(
                    ln[0],
                    "deleted",
                    f"the event at position {ln[0]} is gone; its link is still in the chain",
                )
            n, prev_id, stored = e[0], ln[1], ln[2]
            if type(prev_id) is not int or not isinstance(stored, bytes):
                return Finding(n, "modified", "its link row holds a value of the wrong type")
            event = (n, e[1], e[2], e[3], e[4])
            if prev_id != report.last_position and _link(report.head, *event) == stored:
                return Finding(
                    n,
                    "modified",
                    f"its link row names position {prev_id} as the previous one, but the link "
                    f"chains on position {report.last_position}: the row's prev_id was changed",
                )
            if prev_id > report.last_position:
                first = report.last_position + 1 if self.gapless else prev_id
                return Finding(
                    first,
                    "deleted",
                    f"events between positions {report.last_position} and {n} are gone "
                    f"with their links (the link of {n} chains on position {prev_id})",
                )
            if prev_id < report.last_position:
                first = self._first_event_after(prev_id)
                return Finding(
                    first,
                    "inserted",
                    f"the chain goes from position {prev_id} to {n}: the events at "
                    f"{first}–{report.last_position} were inserted with forged links",
                )
            if _link(report.head, *event) != stored:
                return self._mismatch(report, event, stored)
            history = self.history
            if history is not None and history.links.get(n, stored) != stored:
                return self._differs(n)
            cp = self.checkpoint
            if cp is not None and (
                (n == cp.position and stored.hex() != cp.head)
                or report.last_position < cp.position < n
            ):
                return self._rewritten(cp.position)
            events.at += 1
            links.at += 1
            if self.collected is not None:
                self.collected.append((n, stored))
            report.events += 1
            report.last_position, report.head = n, stored
        return None

    def _differs(self, position: int, kind: Kind = "modified", what: str = "") -> Finding:
        assert self.history is not None
        return Finding(
            position,
            kind,
            (what or "the event is not the one")
            + f" the history of the checkpoint of {self.history.created_at} holds at this "
            "position: it was changed after that checkpoint",
        )

    def _history_finding(self, report: Report) -> Finding | None:
        """The first position after the last verified one where the log differs from the
        checkpoint's history (events relinked from the last verified link), or None."""
        history = self.history
        assert history is not None
        nid, head, after = self._events_nid, report.head, report.last_position
        expected = iter(sorted(i for i in history.links if i > after))
        want = next(expected, None)
        while want is not None:
            page = self._tables.events(
                f"{nid} > ? AND {nid} <= ?", (after, history.last, self.batch_size), " LIMIT ?"
            )
            for row in page:
                n = row[0]
                if want is not None and want < n:
                    return self._differs(want, "deleted", "the event is gone:")
                if want is None or n < want:
                    return self._differs(n, "inserted", "the event is not in")
                link = _link(head, *row)
                if link != history.links[n]:
                    return self._differs(n)
                head, after, want = history.links[n], n, next(expected, None)
            if not page:
                return self._differs(want, "deleted", "the event is gone:")
        return None

    def _rewritten(self, position: int) -> Finding:
        assert self.checkpoint is not None
        return Finding(
            position,
            "rewritten",
            f"the chain at position {position} is not the one of the checkpoint of "
            f"{self.checkpoint.created_at}: the history up to there was rewritten "
            "(e.g. newest events deleted and others written in their place)",
        )

    def _unlinked_event(self, e: EventRow, next_link: LinkRow | None) -> Finding:
        n = e[0]
        if self._no_links:
            return Finding(n, "deleted", "the chain has no links at all: its table was emptied")
        if next_link is not None and type(next_link[1]) is int and next_link[1] >= n:
            return Finding(
                n,
                "deleted",
                f"the link of the event at position {n} was deleted "
                f"(the next link, at {next_link[0]}, chains on position {next_link[1]})",
            )
        return Finding(
            n, "inserted", f"the event at position {n} is not in the chain: written around it"
        )

    def _mismatch(self, report: Report, event: EventRow, stored: bytes) -> Finding:
        """A link that does not recompute: rows swapped with a later one, or modified."""
        swapped = self._swapped_with(report.head, event, stored)
        if swapped is not None:
            return Finding(
                event[0],
                "reordered",
                f"the events at positions {event[0]} and {swapped} were swapped",
            )
        return Finding(
            event[0],
            "modified",
            "the stored event is not what was chained (state, topic, originator or version)",
        )

    def _swapped_with(self, prev_link: bytes, event: EventRow, stored: bytes) -> int | None:
        """A later position whose content and this one's were exchanged, if any (in the window)."""
        n, oid, version, topic, state = event
        nid = self._events_nid
        window = (n, n + self.reorder_window)
        later = self._tables.events(f"{nid} > ? AND {nid} <= ?", window)
        chain = {
            r[0]: (r[1], r[2])
            for r in self._tables.links("notification_id > ? AND notification_id <= ?", window)
        }
        links = {n: stored, **{k: v[1] for k, v in chain.items()}}
        for row in later:
            j, oid_j, version_j, topic_j, state_j = row
            if j not in chain or chain[j][0] not in links:
                continue
            prev_j, link_j = links[chain[j][0]], chain[j][1]
            # the states exchanged, or the whole rows
            if _link(prev_j, j, oid_j, version_j, topic_j, state) == link_j and (
                _link(prev_link, n, oid, version, topic, state_j) == stored
            ):
                return j
            if _link(prev_j, j, oid, version, topic, state) == link_j and (
                _link(prev_link, n, oid_j, version_j, topic_j, state_j) == stored
            ):
                return j
        return None

    # ------------------------------------------------------------------ reading

    def _snapshot(self) -> None:
        """Read everything from one snapshot (PostgreSQL: REPEATABLE READ, read only)."""
        if self.conn.kind == "postgres":
            self.conn.raw.commit()
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table in (CHAIN_TABLE, INFO_TABLE):
            if not self.conn.table_exists(table):
                raise AuditChainError(
                    f"this store has no audit chain ({table} is missing): open it once with "
                    "maillage to add one"
                )

    def _facts(self) -> ChainFacts:
        info = dict(self.conn.fetchall(f"SELECT key, value FROM {INFO_TABLE}"))
        through = info.get("backfilled_through")
        start = self._chain_start()
        started_at, log_through, log_store = start if start else (None, 0, None)
        return ChainFacts(
            store_id=info.get("store_id") or log_store or self._keys_store_id(),
            created_at=info.get("created_at"),
            backfilled_through=log_through,
            started_at=started_at,
            info_backfilled_through=int(through) if through and through.isdigit() else None,
        )

    def _chain_start(self) -> tuple[int, int, str | None] | None:
        """(position, back-filled through, store id) of the log's ``ChainStart`` event."""
        oid: Any = CHAIN_START_ID.hex if self.conn.kind == "sqlite" else CHAIN_START_ID
        row = self.conn.fetchone(
            f"SELECT {self._events_nid}, state FROM {self._events_table} "
            "WHERE originator_id = ? AND originator_version = 1",
            (oid,),
        )
        if row is None:
            return None
        try:
            state = json.loads(bytes(row[1]))
            return int(row[0]), int(state["backfilled_through"]), str(state["store_id"])
        except (ValueError, KeyError, TypeError):
            return int(row[0]), 0, None

    def _keys_store_id(self) -> str | None:
        """The store id the key tables recorded (when the chain's own facts were deleted)."""
        if not self.conn.table_exists(KEYS_INFO_TABLE):
            return None
        row = self.conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'store_id'")
        return str(row[0]) if row else None

    def _facts_finding(self, facts: ChainFacts) -> Finding | None:
        """The chain's facts against the log: edited or deleted facts are tampering."""
        if facts.info_backfilled_through is None:
            return Finding(
                1,
                "deleted",
                "the chain's facts (audit_chain_info) were deleted: the store cannot show when "
                "and how its chain started",
            )
        if facts.info_backfilled_through != facts.backfilled_through:
            where = (
                f"the log's chain start at position {facts.started_at} says "
                f"{facts.backfilled_through}"
                if facts.started_at
                else "the log says it was chained from its first event"
            )
            return Finding(
                facts.backfilled_through + 1,
                "modified",
                f"audit_chain_info says the chain was back-filled through position "
                f"{facts.info_backfilled_through}, but {where}: the chain's facts were edited",
            )
        return None

    def _scalar(self, statement: str, params: Sequence[Any] = ()) -> int:
        row = self.conn.fetchone(statement, params)
        return int(row[0]) if row and row[0] is not None else 0

    def _first_event_after(self, position: int) -> int:
        nid = self._events_nid
        return self._scalar(
            f"SELECT MIN({nid}) FROM {self._events_table} WHERE {nid} > ?", (position,)
        )


def chain_head(app: Maillage) -> tuple[int, bytes]:
    """The newest link and its position as stored (not verified): what a report cites.

    ``(0, GENESIS)`` on an empty store. Anyone can later check the store against
    it as against a checkpoint.
    """
    conn = ViewConnection.open(app.location)
    try:
        row = conn.fetchone(
            f"SELECT notification_id, link FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1"
        )
    finally:
        conn.close()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)
