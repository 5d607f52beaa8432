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

from domain.audit.chain import CHAIN_TABLE, GENESIS, INFO_TABLE, ChainInput, chain_rows
from domain.persistence import (
    BACKFILL_BATCH,
    ChainRow,
    CommandRecordSource,
    as_chain_input,
    backfill,
    info_rows,
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
                    return as_chain_input(cur.fetchall())

                through = backfill(fetch, lambda rows: self._insert_rows(cur, rows))
            for row in info_rows(through):
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
