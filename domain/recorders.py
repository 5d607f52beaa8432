"""Application recorders that insert a batch of events in one statement.

The library's SQLite recorder inserts one row per statement to learn each
row's notification id; here the whole batch goes through ``executemany``.
Inside the write transaction (which holds the database's write lock) SQLite
hands out the ``len(batch)`` row ids after the current maximum (``max(rowid) +
1``, checked after the insert): gapless and in order, even with several
writers (each waits for the write lock). The rows are numbered so before the
insert, which binds and skips the number, and the very same tuples are what the
chain hashes: no second pass over the batch. (Giving SQLite the row ids
explicitly costs a uniqueness check per row, about 3% of an import.)

The library's primary key (``originator_id TEXT, originator_version``) gets
random uuid5 keys, so a batch of a thousand new aggregates touches hundreds of
index pages spread over the whole index. Two connection settings, applied by
this recorder to the connection each write uses (``record_stored`` and the
ordinary ``save`` alike), keep that cheap without weakening durability
(``synchronous`` is left at SQLite's default, FULL: every commit is on disk
in the write-ahead log before it returns; ``synchronous=NORMAL`` or ``OFF`` would
be faster but can lose committed transactions on a power cut or OS crash):

- ``cache_size`` 32 MiB instead of 2 MiB, so a batch's dirty index pages stay
  in memory instead of being spilled to the log mid-transaction and read back;
- ``wal_autocheckpoint`` 4,000 pages (16 MiB of log) instead of 1,000, so the
  log is copied into the database file every few batches instead of every
  other one, and an index page changed by several batches is written once.
  A checkpoint only moves already-durable frames; a longer log costs disk
  space (it keeps its largest size) and a slightly longer recovery after a crash.

Together they cut the time to record 100,000 announcements by about 30%
(cache alone ~10%). Both are per-connection settings, so a pooled connection
keeps them for its reads too: at most a bigger cache. Other connections to
the file (views, other consoles) keep their own defaults.

Sorting a batch by id before inserting it did not help measurably once the
cache holds the batch (the same pages are touched in any order), so rows are
inserted in the caller's order and the ids returned match it position by position.

Both recorders extend the audit chain (``domain.audit.chain``) in the write
transaction that inserts the events, on the ordinary ``save`` path and the bulk
paths alike: the chain's last link is read after the transaction holds the
store's write lock, so two writers can never chain on the same link.

- SQLite: the transaction begins with ``BEGIN IMMEDIATE`` (the library's says
  ``BEGIN``), so it holds the database's single write lock before it reads
  anything; other writers wait for the commit (``SQLITE_LOCK_TIMEOUT``).
- PostgreSQL: the library's insert takes ``LOCK TABLE … IN EXCLUSIVE MODE`` on
  the events table before the insert (``PostgresApplicationRecorder._lock_table``),
  held to commit. The chain's head is read after it, and under READ COMMITTED
  each statement sees every transaction committed before the lock was granted.
  The library's optional database-function path takes no such lock, so it is
  not used here.

Who did what: when the application has an actor, ``command_record(n)`` (set
by ``Maillage``) gives a ``CommandRecord`` event that both recorders insert
first, in the same statement and transaction as the ``n`` events it covers
and under the chain; only the caller's ids are returned, so the library's
bookkeeping of a ``save`` (one notification id per domain event) is unchanged.
It is built after the write lock is taken, so records' times follow log order.

On first open of a store that has no chain yet (made before the chain existed)
every event already stored is linked, in the transaction that creates the chain
tables, under the same lock; ``audit_chain_info`` records when and up to which
position (``backfilled_through``), and ``maillage audit verify`` says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteCursor,
    SQLiteTransaction,
)
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from domain import clock
from domain.audit.chain import (
    CHAIN_TABLE,
    GENESIS,
    INFO_TABLE,
    ChainInput,
    chain_links,
    chain_rows,
    check_extends,
)

BACKFILL_BATCH = 10_000
"""Events read per statement when a chain is added to an existing store."""

ChainRow = tuple[int, int, bytes]
CommandRecordSource = Callable[[int], StoredEvent | None]
"""Gives the record of a transaction writing so many events, or None (no actor)."""


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


def _backfill(
    fetch: Callable[[int], Sequence[ChainInput]], insert: Callable[[list[ChainRow]], None]
) -> int:
    """Link every stored event, batch by batch; returns the last position linked (0: none)."""
    prev_id, prev_link = 0, GENESIS
    while batch := fetch(prev_id):
        rows = chain_rows(prev_id, prev_link, batch)
        insert(rows)
        prev_id, _, prev_link = rows[-1]
    return prev_id


def _info_rows(backfilled_through: int) -> list[tuple[str, str]]:
    """The chain's facts, written once when its tables are created."""
    return [
        ("store_id", uuid4().hex),
        ("created_at", clock.now().isoformat()),
        ("backfilled_through", str(backfilled_through)),
    ]


def _as_input(rows: Sequence[Any]) -> list[ChainInput]:
    return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]


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
        """Create the tables and, on a store that has none yet, the chain (one transaction).

        A store whose chain exists is only read: opening it does not wait for writers.
        """
        if self._chain_started():
            return
        with (
            self.datastore.get_connection(commit=True) as conn,
            _ImmediateTransaction(conn) as c,
            c,
        ):
            self._create_table(c)
            self._start_chain(c)

    def _chain_started(self) -> bool:
        try:
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT 1 FROM {INFO_TABLE} WHERE key = 'store_id'")
                return c.fetchone() is not None
        except OperationalError:  # no such table: a new store, or one from before the chain
            return False

    def _start_chain(self, c: SQLiteCursor) -> None:
        c.execute(f"SELECT 1 FROM {INFO_TABLE} WHERE key = 'store_id'")
        if c.fetchone() is not None:
            return
        c.execute(f"SELECT 1 FROM {CHAIN_TABLE} LIMIT 1")
        through = 0
        if c.fetchone() is None:  # links left without facts are kept as they are

            def fetch(after: int) -> Sequence[ChainInput]:
                c.execute(
                    f"SELECT rowid, originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (after, BACKFILL_BATCH),
                )
                return _as_input(c.fetchall())

            def insert(rows: list[ChainRow]) -> None:
                c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, ?)", rows)

            through = _backfill(fetch, insert)
        c.executemany(f"INSERT INTO {INFO_TABLE} VALUES (?, ?)", _info_rows(through))

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


class BulkPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder extending the audit chain in the insert's transaction.

    The library's insert is already bulk (one ``INSERT … SELECT FROM unnest``).
    """

    command_record: CommandRecordSource | None = None
    """Set by ``Maillage``: the record prepended to each write transaction (module notes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        chain, info = Identifier(CHAIN_TABLE), Identifier(INFO_TABLE)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (notification_id bigint PRIMARY KEY, "
                    "prev_id bigint NOT NULL, link bytea NOT NULL)"
                ).format(schema, chain),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (key text PRIMARY KEY, value text NOT NULL)"
                ).format(schema, info),
            ]
        )
        self._select_head = SQL(
            "SELECT notification_id, link FROM {0}.{1} ORDER BY notification_id DESC LIMIT 1"
        ).format(schema, chain)
        self._insert_links = SQL(
            "INSERT INTO {0}.{1} (notification_id, prev_id, link) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[])"
        ).format(schema, chain)
        self._select_info = SQL("SELECT 1 FROM {0}.{1} WHERE key = 'store_id'").format(schema, info)
        self._select_any_link = SQL("SELECT 1 FROM {0}.{1} LIMIT 1").format(schema, chain)
        self._insert_info = SQL("INSERT INTO {0}.{1} (key, value) VALUES (%s, %s)").format(
            schema, info
        )
        self._select_events_after = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema, Identifier(self.events_table_name))

    def create_table(self) -> None:
        """Create the tables and, on a store that has none yet, the chain (under the lock).

        A store whose chain exists is only read: opening it does not wait for writers.
        """
        super().create_table()
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            if cur.execute(self._select_info).fetchone() is not None:
                return
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._lock_table(curs)
            self._start_chain(conn)

    def _start_chain(self, conn: Connection[Any]) -> None:
        with conn.cursor(row_factory=tuple_row) as cur:
            if cur.execute(self._select_info).fetchone() is not None:
                return
            through = 0
            if cur.execute(self._select_any_link).fetchone() is None:

                def fetch(after: int) -> Sequence[ChainInput]:
                    cur.execute(self._select_events_after, (after, BACKFILL_BATCH))
                    return _as_input(cur.fetchall())

                through = _backfill(fetch, lambda rows: self._insert_rows(cur, rows))
            for row in _info_rows(through):
                cur.execute(self._insert_info, row)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The bulk path may give ids as their hex string (the SQLite store's form);
        # hand the library UUIDs, as its own save path does, for the uuid column.
        if any(isinstance(s.originator_id, str) for s in stored_events):
            stored_events = [
                StoredEvent(UUID(s.originator_id), s.originator_version, s.topic, s.state)
                if isinstance(s.originator_id, str)
                else s
                for s in stored_events
            ]
        if not stored_events:
            return None
        # As the library's insert (lock, notify, insert returning ids), without its
        # pipeline, then the chain: all in one transaction. The lock is taken first
        # so that the command record is made in log order (the insert's own lock
        # statement is then a no-op).
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._lock_table(curs)
                record = self.command_record(len(stored_events)) if self.command_record else None
                if record is not None:
                    stored_events = [record, *stored_events]
                self._insert_events(curs, stored_events, **kwargs)
                self._insert_stored_events(curs, stored_events, **kwargs)
                ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            assert ids is not None and len(ids) == len(stored_events)
            self._extend_chain(
                conn,
                [
                    (n, s.originator_id, s.originator_version, s.topic, s.state)
                    for n, s in zip(ids, stored_events, strict=True)
                ],
            )
        return ids if record is None else ids[1:]

    def _extend_chain(self, conn: Connection[Any], events: Sequence[ChainInput]) -> None:
        """Link a batch just inserted (the transaction holds the events table's lock)."""
        with conn.cursor(row_factory=tuple_row) as cur:
            head = cur.execute(self._select_head).fetchone()
            prev_id, prev_link = (head[0], bytes(head[1])) if head is not None else (0, GENESIS)
            self._insert_rows(cur, chain_rows(prev_id, prev_link, events))

    def _insert_rows(self, cur: Any, rows: list[ChainRow]) -> None:
        ids, prevs, links = zip(*rows, strict=True)
        cur.execute(self._insert_links, (list(ids), list(prevs), list(links)))
