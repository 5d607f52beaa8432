"""Application recorders that insert a batch of events in one statement.

The library's SQLite recorder inserts one row per statement to learn each
row's notification id; here the whole batch goes through ``executemany`` and
the ids are read back once. Inside the write transaction SQLite hands out
consecutive row ids after the current maximum, so the batch's ids are the
``len(batch)`` numbers ending at the new maximum: gapless and in order, even
with several writers (each waits for the write lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor


class BulkSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder with a bulk insert path."""

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **_: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        params = [
            (
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for s in stored_events
        ]
        c.executemany(self.insert_events_statement, params)
        c.execute(self.select_max_notification_id_statement)
        last = int(c.fetchone()[0])
        return list(range(last - len(params) + 1, last + 1))


class BulkPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder (the library's pipelined executemany is already bulk).

    Kept as a named class so later work (the audit chain) has one place to
    extend both backends the same way.
    """
