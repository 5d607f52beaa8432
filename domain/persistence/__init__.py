"""Persistence: the application recorders of each backend, one module per backend.

``sqlite`` and ``postgres`` each hold one recorder (plugged through the library's
``APPLICATION_RECORDER_TOPIC``) that inserts a batch of events and extends the
audit chain in the same transaction; this module holds what both share. The
SQLite path never imports PostgreSQL code: ``postgres`` is imported only when a
``postgresql://`` store is opened (the ``[postgres]`` extra).
Application recorders that insert a batch of events in one statement.

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

A new store gets its chain tables in the transaction that creates its tables:
every event it ever holds is linked as it is written. Only a store that has no
chain table at all (made before the chain existed) is back-filled on first open:
every event already stored is linked, under the same lock, and a
``ChainStart.Started`` event is written right after them (``domain.audit.chain``),
so that the log itself says where its chain starts and up to which position it
was back-filled (``audit_chain_info`` repeats it for quick reading; the verifier
trusts the log). That happens once: the log's key refuses a second
``ChainStart``. A store whose chain table exists is never linked again: if its
rows are missing, writes are refused and ``maillage audit verify`` names the
first position not covered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain import clock
from domain.audit.chain import GENESIS, AuditChainError, ChainInput, chain_rows

BACKFILL_BATCH = 10_000
"""Events read per statement when a chain is added to an existing store."""

ChainRow = tuple[int, int, bytes]
CommandRecordSource = Callable[[int], StoredEvent | None]
"""Gives the record of a transaction writing so many events, or None (no actor)."""


def backfill(
    fetch: Callable[[int], Sequence[ChainInput]], insert: Callable[[list[ChainRow]], None]
) -> int:
    """Link every stored event, batch by batch; returns the last position linked (0: none)."""
    prev_id, prev_link = 0, GENESIS
    while batch := fetch(prev_id):
        rows = chain_rows(prev_id, prev_link, batch)
        insert(rows)
        prev_id, _, prev_link = rows[-1]
    return prev_id


ChainPlan = str
"""What opening a store does to its chain: ``ready`` (nothing), ``backfill`` (a store from
before the chain), ``record_start`` (back-filled by an older version, whose log did not say
so: the ``ChainStart`` is written now), ``leave`` (the chain's facts are gone: never linked
again, the verifier reports it)."""


def chain_plan(had_chain_table: bool, facts: dict[str, str], started_in_log: bool) -> ChainPlan:
    """Decide what opening does to the chain from what the store holds (see ``ChainPlan``)."""
    if not had_chain_table:
        return "backfill"
    if "store_id" not in facts:
        return "leave"
    backfilled = int(facts.get("backfilled_through", "0") or 0) > 0
    return "record_start" if backfilled and not started_in_log else "ready"


def new_store_id() -> str:
    return uuid4().hex


def info_rows(backfilled_through: int, store_id: str) -> list[tuple[str, str]]:
    """The chain's facts, written once when its tables are created."""
    return [
        ("store_id", store_id),
        ("created_at", clock.now().isoformat()),
        ("backfilled_through", str(backfilled_through)),
    ]


def as_chain_input(rows: Sequence[Any]) -> list[ChainInput]:
    return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]


def unchained_write(first: int) -> AuditChainError:
    """The error of a write to a store whose chain rows are gone (the log says it was chained)."""
    return AuditChainError(
        f"the audit chain has no link before position {first} although the store's log "
        "holds events: its rows were removed. Writes are refused until the store is examined "
        "(maillage audit verify)"
    )
