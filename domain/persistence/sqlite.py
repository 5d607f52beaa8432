"""The SQLite application recorder: bulk inserts and the audit chain in one transaction.

The write transaction begins with ``BEGIN IMMEDIATE`` so it holds the single
write lock before it reads the chain's head (see ``domain.persistence``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteCursor,
    SQLiteTransaction,
)

from domain.audit.chain import (
    CHAIN_START_ID,
    CHAIN_TABLE,
    GENESIS,
    INFO_TABLE,
    ChainInput,
    chain_links,
    chain_start_event,
    check_extends,
)
from domain.persistence import (
    BACKFILL_BATCH,
    ChainRow,
    CommandRecordSource,
    as_chain_input,
    backfill,
    chain_plan,
    info_rows,
    new_store_id,
    unchained_write,
)


class _ImmediateTransaction(SQLiteTransaction):
    """The library's SQLite transaction, begun with ``BEGIN IMMEDIATE``: the write lock first."""

    def __init__(self, connection: SQLiteConnection) -> None:
        super().__init__(connection, commit=True)

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:  # busy beyond the lock timeout
            cursor.sqlite_cursor.close()
            raise OperationalError(e) from e
        return cursor


class BulkSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder with a bulk insert path, extending the audit chain."""

    # Durability-neutral settings of the writing connection (see the module's notes).
    writer_pragmas = ("PRAGMA cache_size=-32768", "PRAGMA wal_autocheckpoint=4000")
    command_record: CommandRecordSource | None = None
    """Set by ``Maillage``: the record prepended to each write transaction (module notes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One numbered row (see the module's notes): its number, bound to ?1, is not
        # inserted; SQLite gives the same row id itself, faster than checking a given one.
        self._insert_numbered = (
            f"INSERT INTO {self.events_table_name} "
            "(originator_id, originator_version, topic, state) VALUES (?2, ?3, ?4, ?5)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, prev_id INTEGER NOT NULL, link BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]

    def create_table(self) -> None:
        """Create the tables and, on a store from before the chain, back-fill it (one
        transaction; see ``domain.persistence``).

        A store whose chain is ready is only read: opening it does not wait for writers.
        """
        try:
            with self.datastore.transaction(commit=False) as c:
                if self._plan(c, True) in ("ready", "leave"):
                    return
        except OperationalError:  # no such table: a new store, or one from before the chain
            pass
        with (
            self.datastore.get_connection(commit=True) as conn,
            _ImmediateTransaction(conn) as c,
            c,
        ):
            c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (CHAIN_TABLE,)
            )
            had_chain_table = c.fetchone() is not None
            self._create_table(c)
            self._start_chain(c, self._plan(c, had_chain_table))

    def _plan(self, c: SQLiteCursor, had_chain_table: bool) -> str:
        c.execute(f"SELECT key, value FROM {INFO_TABLE}")
        facts = {str(k): str(v) for k, v in c.fetchall()}
        c.execute(
            f"SELECT 1 FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version = 1",
            (CHAIN_START_ID.hex,),
        )
        return chain_plan(had_chain_table, facts, c.fetchone() is not None)

    def _start_chain(self, c: SQLiteCursor, plan: str) -> None:
        if plan == "record_start":
            c.execute(f"SELECT key, value FROM {INFO_TABLE}")
            facts = dict(c.fetchall())
            through = int(facts["backfilled_through"])
            self._insert_events(c, [chain_start_event(facts["store_id"], through, True)])
            return
        if plan != "backfill":
            return

        def fetch(after: int) -> Sequence[ChainInput]:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, BACKFILL_BATCH),
            )
            return as_chain_input(c.fetchall())

        def insert(rows: list[ChainRow]) -> None:
            c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?)", rows)

        through = backfill(fetch, insert)
        store_id = new_store_id()
        if through:
            self._insert_events(c, [chain_start_event(store_id, through)])
        c.executemany(f"INSERT INTO {INFO_TABLE} VALUES (?, ?)", info_rows(through, store_id))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection(commit=True) as conn,
            _ImmediateTransaction(conn) as c,
            c,
        ):
            return self._insert_events(c, stored_events, **kwargs)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **_: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        for pragma in self.writer_pragmas:
            c.execute(pragma)
        record = self.command_record(len(stored_events)) if self.command_record else None
        if record is not None:
            stored_events = [record, *stored_events]
        c.execute(self.select_max_notification_id_statement)
        first = int(c.fetchone()[0] or 0) + 1
        rows = [
            (
                n,
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for n, s in enumerate(stored_events, first)
        ]
        c.executemany(self._insert_numbered, rows)
        c.execute(self.select_max_notification_id_statement)
        last = int(c.fetchone()[0])
        if last != first + len(rows) - 1:  # SQLite gives max(rowid) + 1 until 2**63 - 1
            raise OperationalError(f"rows {first}…{first + len(rows) - 1} were stored up to {last}")
        self._extend_chain(c, rows)
        return list(range(first if record is None else first + 1, first + len(rows)))

    def _extend_chain(self, c: SQLiteCursor, rows: Sequence[ChainInput]) -> None:
        """Link a batch just inserted (the transaction holds the write lock).

        ``rows`` are the inserted rows with their consecutive ids, as the chain
        hashes them. Their links go in as one blob that one statement cuts into
        rows: 2-3 times cheaper than ``executemany``, which made the chain's
        insert cost as much as its hashing.
        """
        c.execute(_SELECT_HEAD)
        head = c.fetchone()
        prev_id, prev_link = (head[0], head[1]) if head is not None else (0, GENESIS)
        first = rows[0][0]
        if head is None:
            c.execute(f"SELECT 1 FROM {self.events_table_name} WHERE rowid < ? LIMIT 1", (first,))
            if c.fetchone() is not None:
                raise unchained_write(first)
        check_extends(prev_id, first)
        links = chain_links(prev_link, rows)
        c.execute(_INSERT_RUN, (first, prev_id, b"".join(links), _run_rows(len(links))))


_SELECT_HEAD = (
    f"SELECT notification_id, link FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1"
)


def _has_json_each() -> bool:
    """Whether this SQLite has the JSON functions (built in since 3.38, unless left out)."""
    try:
        probe = sqlite3.connect(":memory:")
        try:
            return probe.execute("SELECT key FROM json_each('[7]')").fetchone() == (0,)
        finally:
            probe.close()
    except sqlite3.Error:
        return False


_CHAIN_RUN = (
    f"INSERT INTO {CHAIN_TABLE} (notification_id, prev_id, link) "
    "SELECT ?1 + i, CASE i WHEN 0 THEN ?2 ELSE ?1 + i - 1 END, substr(?3, i * 32 + 1, 32) FROM "
)
INSERT_RUN_JSON = _CHAIN_RUN + "(SELECT key AS i FROM json_each(?4))"
"""Chain rows for consecutive ids: (first id, head id, the links joined, ``"[0,0,…]"``).

Row numbers 0…n-1 are the keys of a JSON array of n zeros: about twice as fast as
the recursive CTE below, whose queue table costs an insert and a delete per row.
"""
INSERT_RUN_CTE = (
    "WITH RECURSIVE run(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM run WHERE i < ?4 - 1) "
    + _CHAIN_RUN
    + "run"
)
"""The same rows for an SQLite built without JSON: (…, the number of rows)."""
_JSON_EACH = _has_json_each()
_INSERT_RUN = INSERT_RUN_JSON if _JSON_EACH else INSERT_RUN_CTE


@lru_cache(maxsize=8)
def zeros(n: int) -> str:
    """A JSON array of n zeros (the row numbers of ``INSERT_RUN_JSON``)."""
    return "[" + ",".join("0" * n) + "]"


def _run_rows(n: int) -> str | int:
    """The fourth parameter of ``_INSERT_RUN`` for n rows."""
    return zeros(n) if _JSON_EACH else n
