"""The PostgreSQL application recorder: the library's bulk insert and the audit chain together.

Imported only when a ``postgresql://`` store is opened; needs the ``[postgres]``
extra (psycopg). The events table's lock is taken before the chain's head is read
(see ``domain.persistence``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from domain.audit.chain import (
    CHAIN_START_ID,
    CHAIN_TABLE,
    GENESIS,
    INFO_TABLE,
    ChainInput,
    chain_rows,
    chain_start_event,
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
        self._insert_info = SQL("INSERT INTO {0}.{1} (key, value) VALUES (%s, %s)").format(
            schema, info
        )
        events = Identifier(self.events_table_name)
        self._select_start = SQL(
            "SELECT 1 FROM {0}.{1} WHERE originator_id = %s AND originator_version = 1"
        ).format(schema, events)
        self._select_before = SQL(
            "SELECT 1 FROM {0}.{1} WHERE notification_id < %s LIMIT 1"
        ).format(schema, events)
        self._select_facts = SQL("SELECT key, value FROM {0}.{1}").format(schema, info)
        self._select_chain_table = SQL(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s"
        )
        self._lock_via = SQL("SELECT {0}.{1}()").format(schema, Identifier("maillage_lock_log"))
        self._find_lock_function = SQL("SELECT to_regprocedure(%s) IS NOT NULL")
        self._lock_function: bool | None = None
        self._select_events_after = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema, Identifier(self.events_table_name))

    def create_table(self) -> None:
        """Create the tables and, on a store from before the chain, back-fill it (under the
        lock; see ``domain.persistence``).

        A store whose chain is ready is only read: opening it does not wait for writers.
        """
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            had_chain_table = (
                cur.execute(
                    self._select_chain_table, (self.datastore.schema, CHAIN_TABLE)
                ).fetchone()
                is not None
            )
            if had_chain_table and self._plan(cur, True) in ("ready", "leave"):
                return
        super().create_table()
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._lock_table(curs)
            self._start_chain(conn, had_chain_table)

    def _lock_table(self, curs: Any) -> None:
        """Lock the events table; on a depot whose roles are granted (``maillage depot init``)
        through the owner's function, since an application role may not lock it itself."""
        if self._lock_function is None:
            name = f'"{self.datastore.schema}".maillage_lock_log()'
            row = curs.execute(self._find_lock_function, (name,)).fetchone()
            found = next(iter(row.values())) if isinstance(row, dict) else row[0]
            self._lock_function = bool(found)
        if not self._lock_function:
            super()._lock_table(curs)
            return
        for statement in self.lock_table_statements[:-1]:  # the lock timeout
            curs.execute(statement, prepare=False)
        curs.execute(self._lock_via, prepare=False)

    def _plan(self, cur: Any, had_chain_table: bool) -> str:
        facts = {str(k): str(v) for k, v in cur.execute(self._select_facts).fetchall()}
        started = cur.execute(self._select_start, (CHAIN_START_ID,)).fetchone() is not None
        return chain_plan(had_chain_table, facts, started)

    def _start_chain(self, conn: Connection[Any], had_chain_table: bool) -> None:
        with conn.cursor(row_factory=tuple_row) as cur:
            plan = self._plan(cur, had_chain_table)
            if plan == "record_start":
                facts = dict(cur.execute(self._select_facts).fetchall())
                through = int(facts["backfilled_through"])
                self._insert_and_chain(conn, [chain_start_event(facts["store_id"], through, True)])
                return
            if plan != "backfill":
                return

            def fetch(after: int) -> Sequence[ChainInput]:
                cur.execute(self._select_events_after, (after, BACKFILL_BATCH))
                return as_chain_input(cur.fetchall())

            through = backfill(fetch, lambda rows: self._insert_rows(cur, rows))
            store_id = new_store_id()
            if through:
                self._insert_and_chain(conn, [chain_start_event(store_id, through)])
            for row in info_rows(through, store_id):
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
            ids = self._insert_and_chain(conn, stored_events, **kwargs)
        return ids if record is None else ids[1:]

    def _insert_and_chain(
        self, conn: Connection[Any], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        """Insert events and link them, in the caller's transaction (the table locked)."""
        with conn.cursor() as curs:
            self._lock_table(curs)
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
        return list(ids)

    def _extend_chain(self, conn: Connection[Any], events: Sequence[ChainInput]) -> None:
        """Link a batch just inserted (the transaction holds the events table's lock)."""
        with conn.cursor(row_factory=tuple_row) as cur:
            head = cur.execute(self._select_head).fetchone()
            prev_id, prev_link = (head[0], bytes(head[1])) if head is not None else (0, GENESIS)
            if head is None and cur.execute(self._select_before, (events[0][0],)).fetchone():
                raise unchained_write(events[0][0])
            self._insert_rows(cur, chain_rows(prev_id, prev_link, events))

    def _insert_rows(self, cur: Any, rows: list[ChainRow]) -> None:
        ids, prevs, links = zip(*rows, strict=True)
        cur.execute(self._insert_links, (list(ids), list(prevs), list(links)))
