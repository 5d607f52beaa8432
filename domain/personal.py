"""Personal data sealed with a key per person, so that erasing the key erases the data.

Beneficiaries' names, addresses, phones, diets, welfare notes, free text about them and
positions at their door are health related. An aggregate holds them as ``Personal`` values;
when an event is stored, the application's transcoding seals each one with its subject's data
key (AES-256-GCM, the subject id as associated data) and opens it again when the event is read.

Data keys live in their own table, never in the event log, each wrapped (AES key wrap, RFC
3394) by the store's key-encryption key, which is never in the store (``domain.kek``): a
copied database opens nothing. Erasing a subject deletes its wrapped key (crypto-shredding)
and leaves a tombstone — who, when, which file, nothing personal — so that nothing can be
recorded about the person again. The sealed bytes stay in the log, so the audit chain still
verifies, but open as ``ERASED``; without the KEK they read as ``SEALED``. Opening never
fails: a value that does not open reads as erased.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from eventsourcing.persistence import Transcoding

from domain import clock
from domain.errors import MaillageError, RuleViolationError
from domain.kek import KeyEncryptionKey, KeyFiles
from domain.store import StoreLocation, ViewConnection

KEYS_TABLE: Final = "subject_data_keys"
"""One row per subject: its data key wrapped by the KEK, and the KEK's fingerprint."""
ERASURES_TABLE: Final = "subject_erasures"
"""One row per erased subject: what it was (a file number), when, by whom — nothing personal."""
KEYS_INFO_TABLE: Final = "subject_keys_info"
"""The fingerprint of the KEK this store's data keys are wrapped with (``kek``), and the
store's id (``store_id``) that names its key file."""
LEGACY_KEYS_TABLE: Final = "subject_keys"
"""Data keys in clear, as stores made before wrapping kept them (migrated on first open)."""
ERASED: Final = "\u2327 erased"
"""What a personal value reads as once its subject's key is gone (or it cannot be opened)."""
SEALED: Final = "\u2039sealed\u203a"
"""What a personal value reads as without the store's key-encryption key."""


@dataclass(frozen=True)
class Personal:
    """One piece of personal data (JSON-native ``value``) belonging to ``subject``.

    Its ``repr`` never shows the value, so personal data cannot leak into logs
    or error messages through it.
    """

    subject: UUID
    value: Any

    def __repr__(self) -> str:
        state = "erased" if self.erased else "sealed"
        return f"Personal(subject={self.subject}, <{state}>)"

    __str__ = __repr__

    @property
    def erased(self) -> bool:
        return self.value is ERASED

    @property
    def sealed(self) -> bool:
        """Unopened: the store's key-encryption key is not here."""
        return self.value is SEALED

    @property
    def opened(self) -> bool:
        """Whether ``value`` is the person's data (neither erased nor sealed)."""
        return self.value is not ERASED and self.value is not SEALED

    def text(self) -> str:
        """The value for display (``ERASED`` or ``SEALED`` when it cannot be read)."""
        return self.value if not self.opened else str(self.value)

    def field(self, name: str) -> str:
        """One field of a dict value for display (the marker when it cannot be read)."""
        if not self.opened:
            return str(self.value)
        return str(self.value.get(name, "")) if isinstance(self.value, dict) else ""


@dataclass(frozen=True)
class Erasure:
    """The tombstone of an erased subject: readable without any key."""

    subject: UUID
    label: str
    """What people call the subject, e.g. "beneficiary file 2026-001 of 37261"."""
    erased_at: datetime
    erased_by: str

    def line(self) -> str:
        local = self.erased_at.astimezone(clock.PARIS)
        return (
            f"{self.label} was erased on {local:%Y-%m-%d at %H:%M} (Paris time) by "
            f"{self.erased_by}: nothing more can be recorded about this person"
        )


class SubjectErasedError(RuleViolationError):
    """Personal data of an erased subject was about to be recorded."""


class PersonalDataUnavailableError(MaillageError):
    """Personal data cannot be recorded: the store's key-encryption key is not here."""


class ErasureBlockedError(MaillageError):
    """The erased data cannot be scrubbed from the store's files yet (another console)."""


ErasureSource = Callable[[UUID], "Erasure | None"]
"""Finds an erasure recorded in the log for a subject that has no tombstone (older stores)."""


class SubjectKeys:
    """Wrapped data keys of subjects and tombstones of erased ones, in the store's own tables.

    One connection per thread (SQLite connections stay in their thread), with SQLite's
    ``secure_delete`` on (``ViewConnection``); each operation commits at once, so an erased
    key is gone for every console.
    """

    def __init__(
        self,
        location: StoreLocation,
        key_files: KeyFiles,
        erasure_in_log: ErasureSource | None = None,
    ) -> None:
        self.location = location
        self.key_files = key_files
        self.erasure_in_log = erasure_in_log
        self.store_id = ""
        self._keks: dict[str, KeyEncryptionKey] = {}
        self._kek: KeyEncryptionKey | None = None
        self._local = threading.local()
        self.scrub_timeout_s = 5.0

    # ------------------------------------------------------------------ opening

    def start(self, store_id: str) -> None:
        """Create the tables, find the store's KEK (creating it for a new store) and wrap the
        keys a store made before wrapping kept in clear."""
        self.store_id = store_id
        blob = "BYTEA" if self.location.kind == "postgres" else "BLOB"
        with self._conn() as conn:
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} ("
                f"subject TEXT PRIMARY KEY, wrapped {blob} NOT NULL, kek TEXT NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {ERASURES_TABLE} (subject TEXT PRIMARY KEY, "
                "label TEXT NOT NULL, erased_at TEXT NOT NULL, erased_by TEXT NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {KEYS_INFO_TABLE} ("
                "key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ):
                conn.execute(statement)
        with self._conn() as conn:
            row = conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'store_id'")
            if row is None:  # written once: opening a store writes nothing after its first time
                conn.execute(
                    f"INSERT INTO {KEYS_INFO_TABLE} (key, value) VALUES ('store_id', ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (store_id,),
                )
                row = conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'store_id'")
        self.store_id = store_id = str(row[0]) if row else store_id
        recorded = self.kek_fingerprint()
        candidates = self.key_files.candidates(store_id)
        if recorded is None and not candidates and not self.key_files.explicit_only:
            candidates = [self.key_files.create(store_id)]
        self._keks = {k.fingerprint: k for k in candidates}
        if recorded is None and candidates:
            with self._conn() as conn:
                conn.execute(
                    f"INSERT INTO {KEYS_INFO_TABLE} (key, value) VALUES ('kek', ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (candidates[0].fingerprint,),
                )
            recorded = self.kek_fingerprint()
        self._kek = self._keks.get(recorded or "")
        self._migrate_clear_keys()

    def kek_fingerprint(self) -> str | None:
        """The fingerprint of the KEK the store's data keys are wrapped with (None: none yet)."""
        with self._conn() as conn:
            row = conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'kek'")
        return str(row[0]) if row else None

    @property
    def kek(self) -> KeyEncryptionKey | None:
        """The store's KEK if it is here (None: personal data reads as sealed)."""
        return self._kek

    def _migrate_clear_keys(self) -> None:
        """Wrap the data keys an older store kept in clear, then drop their table (in one
        transaction) and scrub the files of the clear copies."""
        with self._conn() as conn:
            if not conn.table_exists(LEGACY_KEYS_TABLE):
                return
            kek = self._require_kek("wrap the data keys this store keeps in clear")
            rows = conn.fetchall(f"SELECT subject, data_key FROM {LEGACY_KEYS_TABLE}")
            conn.executemany(
                f"INSERT INTO {KEYS_TABLE} (subject, wrapped, kek) VALUES (?, ?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                [(s, aes_key_wrap(kek.secret, bytes(k)), kek.fingerprint) for s, k in rows],
            )
            conn.execute(f"DROP TABLE {LEGACY_KEYS_TABLE}")
        self.scrub()

    def _require_kek(self, to_do: str) -> KeyEncryptionKey:
        if self._kek is None:
            raise PersonalDataUnavailableError(
                f"cannot {to_do}: the key-encryption key of this store is not here "
                f"(expected at {self.key_files.describe(self.store_id)})"
            )
        return self._kek

    def _conn(self) -> _Committing:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ViewConnection.open(self.location)
            self._local.conn = conn
        return _Committing(conn)

    # ------------------------------------------------------------------ data keys

    def _wrapped(self, subject: UUID) -> tuple[bytes, str] | None:
        with self._conn() as conn:
            row = conn.fetchone(
                f"SELECT wrapped, kek FROM {KEYS_TABLE} WHERE subject = ?", (subject.hex,)
            )
        return (bytes(row[0]), str(row[1])) if row else None

    def _unwrap(self, wrapped: bytes, fingerprint: str) -> bytes | None:
        kek = self._keks.get(fingerprint)
        if kek is None:
            return None
        try:
            return aes_key_unwrap(kek.secret, wrapped)
        except InvalidUnwrap:
            return None

    def opening_key(self, subject: UUID) -> bytes | str:
        """The subject's data key, or the marker its values read as (``ERASED``/``SEALED``)."""
        found = self._wrapped(subject)
        if found is None:
            return ERASED
        key = self._unwrap(*found)
        return SEALED if key is None else key

    def sealing_key(self, subject: UUID) -> bytes:
        """The subject's data key, created on first use (concurrent first uses agree on one).

        Refused for an erased subject (``SubjectErasedError``, one line naming who erased
        whom and when) and without the KEK (``PersonalDataUnavailableError``).
        """
        kek = self._require_kek("record personal data")
        found = self._wrapped(subject)
        if found is None:
            erasure = self.erasure(subject)
            if erasure is None and self.erasure_in_log is not None:
                erasure = self.erasure_in_log(subject)
                if erasure is not None:
                    self._bury(erasure)
            if erasure is not None:
                raise SubjectErasedError(erasure.line())
            with self._conn() as conn:
                conn.execute(
                    f"INSERT INTO {KEYS_TABLE} (subject, wrapped, kek) VALUES (?, ?, ?) "
                    "ON CONFLICT (subject) DO NOTHING",
                    (subject.hex, aes_key_wrap(kek.secret, os.urandom(32)), kek.fingerprint),
                )
            found = self._wrapped(subject)
            if found is None:  # erased between the insert and the read
                return self.sealing_key(subject)
        key = self._unwrap(*found)
        if key is None:
            raise PersonalDataUnavailableError(
                "cannot record personal data: this person's key is wrapped by another "
                f"key-encryption key than {kek.source}"
            )
        return key

    def get(self, subject: UUID) -> bytes | None:
        """The subject's data key if it opens here (None: erased or sealed)."""
        key = self.opening_key(subject)
        return key if isinstance(key, bytes) else None

    def is_erased(self, subject: UUID) -> bool:
        """Whether the subject's data is gone (no data key), whatever KEK is here."""
        return self._wrapped(subject) is None

    def count(self) -> int:
        with self._conn() as conn:
            row = conn.fetchone(f"SELECT COUNT(*) FROM {KEYS_TABLE}")
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ erasure

    def erasure(self, subject: UUID) -> Erasure | None:
        """The subject's tombstone, if it was erased."""
        with self._conn() as conn:
            row = conn.fetchone(
                f"SELECT label, erased_at, erased_by FROM {ERASURES_TABLE} WHERE subject = ?",
                (subject.hex,),
            )
        if row is None:
            return None
        return Erasure(subject, str(row[0]), datetime.fromisoformat(str(row[1])), str(row[2]))

    def _bury(self, erasure: Erasure) -> None:
        with self._conn() as conn:
            conn.execute(
                f"INSERT INTO {ERASURES_TABLE} (subject, label, erased_at, erased_by) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING",
                (
                    erasure.subject.hex,
                    erasure.label,
                    erasure.erased_at.isoformat(),
                    erasure.erased_by,
                ),
            )

    def erase(self, erasure: Erasure) -> bool:
        """Delete the subject's wrapped key and leave its tombstone, in one transaction;
        returns whether there was a key."""
        with self._conn() as conn:
            existed = conn.fetchone(
                f"SELECT 1 FROM {KEYS_TABLE} WHERE subject = ?", (erasure.subject.hex,)
            )
            conn.execute(f"DELETE FROM {KEYS_TABLE} WHERE subject = ?", (erasure.subject.hex,))
            conn.execute(
                f"INSERT INTO {ERASURES_TABLE} (subject, label, erased_at, erased_by) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING",
                (
                    erasure.subject.hex,
                    erasure.label,
                    erasure.erased_at.isoformat(),
                    erasure.erased_by,
                ),
            )
        return existed is not None

    def check_scrubbable(self) -> None:
        """Refuse, before anything is erased, while the files cannot be scrubbed afterwards
        (SQLite: another connection keeps the write-ahead log in use)."""
        if self.location.kind == "sqlite":
            self._truncate_wal("nothing was erased")

    def scrub(self, tables: tuple[str, ...] = ()) -> None:
        """Leave no copy of deleted keys (and of the rows of ``tables``) in the store's files.

        SQLite: deleted content is zeroed as it is deleted (``secure_delete``); the
        write-ahead log, which still holds the pages as they were, is copied into the
        database and truncated to nothing. PostgreSQL: the keys table and ``tables`` are
        rewritten (``VACUUM FULL``), so their old files, with the dead rows, are removed.
        """
        if self.location.kind == "sqlite":
            self._truncate_wal(
                "the erasure is recorded and the key deleted, but the old pages stay in the "
                "write-ahead log: close the other consoles and run the erasure again to finish"
            )
            return
        conn = ViewConnection.open(self.location)
        try:
            conn.raw.autocommit = True
            self._wait_for_older_snapshots(conn)
            for table in (KEYS_TABLE, LEGACY_KEYS_TABLE, *tables):
                if conn.table_exists(table):
                    conn.execute(f"VACUUM FULL {table}")
        finally:
            conn.close()

    def _wait_for_older_snapshots(self, conn: ViewConnection) -> None:
        """Wait (a bounded time) until no other session of the database may still see the
        deleted rows: ``VACUUM FULL`` copies rows a running snapshot can see into the new
        file ("recently dead"), so a session holding an old snapshot would keep them."""
        (now,) = conn.fetchone("SELECT mod(pg_current_xact_id()::text::bigint, 4294967296)") or (0,)
        deadline = time.monotonic() + self.scrub_timeout_s
        while True:
            row = conn.fetchone(
                "SELECT min(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND ("
                "backend_xmin::text::bigint <= ? OR backend_xid::text::bigint <= ?)",
                (now, now),
            )
            if row is None or row[0] is None:
                return
            if time.monotonic() >= deadline:
                raise ErasureBlockedError(
                    f"another session of the database (process {row[0]}) keeps a snapshot "
                    "from before the erasure, which would keep a copy of the deleted key: the "
                    "erasure is recorded and the key deleted; run it again once that session "
                    "ends to finish"
                )
            time.sleep(0.05)

    def _truncate_wal(self, consequence: str) -> None:
        """Checkpoint the SQLite WAL and truncate it, waiting a bounded time for readers."""
        import sqlite3

        raw = sqlite3.connect(self.location.path, timeout=self.scrub_timeout_s)
        try:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:
            busy = 1
        finally:
            raw.close()
        if busy:
            raise ErasureBlockedError(
                "another console has the store open and keeps its write-ahead log in use: "
                f"{consequence}"
            )

    # ------------------------------------------------------------------ rotation

    def rotate(self, new: KeyEncryptionKey) -> int:
        """Rewrap every data key with ``new`` in one transaction; returns how many."""
        self._require_kek("rotate the key-encryption key")
        with self._conn() as conn:
            conn.begin_write()
            rows = conn.fetchall(f"SELECT subject, wrapped, kek FROM {KEYS_TABLE}")
            rewrapped = []
            for subject, wrapped, fingerprint in rows:
                key = self._unwrap(bytes(wrapped), str(fingerprint))
                if key is None:
                    raise PersonalDataUnavailableError(
                        f"cannot rotate: a data key is wrapped by a key-encryption key that is "
                        f"not here ({fingerprint}); nothing was changed"
                    )
                rewrapped.append((aes_key_wrap(new.secret, key), new.fingerprint, subject))
            conn.executemany(
                f"UPDATE {KEYS_TABLE} SET wrapped = ?, kek = ? WHERE subject = ?", rewrapped
            )
            conn.execute(
                f"UPDATE {KEYS_INFO_TABLE} SET value = ? WHERE key = 'kek'", (new.fingerprint,)
            )
        self._keks[new.fingerprint] = new
        self._kek = new
        self.scrub()
        return len(rewrapped)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _Committing:
    """Use a connection for one operation and commit it (roll back on error)."""

    def __init__(self, conn: ViewConnection) -> None:
        self.conn = conn

    def __enter__(self) -> ViewConnection:
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.conn.commit()
        else:
            self.conn.rollback()


class PersonalAsSealed(Transcoding):
    """Stores a ``Personal`` as ``{subject, nonce, ciphertext}``; reads it back opened."""

    type = Personal
    name = "personal_v1"

    def __init__(self, keys: SubjectKeys) -> None:
        self.keys = keys

    def encode(self, obj: Personal) -> dict[str, str]:
        if not obj.opened:
            raise RuleViolationError("an erased or sealed personal value cannot be recorded again")
        key = self.keys.sealing_key(obj.subject)
        nonce = os.urandom(12)
        plaintext = json.dumps(obj.value, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = AESGCM(key).encrypt(nonce, plaintext, obj.subject.bytes)
        return {
            "s": obj.subject.hex,
            "n": base64.b64encode(nonce).decode(),
            "c": base64.b64encode(sealed).decode(),
        }

    def decode(self, data: dict[str, str]) -> Personal:
        return open_sealed(self.keys, data)


def open_sealed(keys: SubjectKeys, data: Any) -> Personal:
    """A stored sealed value opened (never raises: what does not open reads as erased)."""
    try:
        subject = UUID(data["s"])
    except (TypeError, KeyError, ValueError):
        return Personal(UUID(int=0), ERASED)
    key = keys.opening_key(subject)
    if not isinstance(key, bytes):
        return Personal(subject, key)
    try:
        nonce, sealed = base64.b64decode(data["n"]), base64.b64decode(data["c"])
        plaintext = AESGCM(key).decrypt(nonce, sealed, subject.bytes)
        return Personal(subject, json.loads(plaintext))
    except (InvalidTag, KeyError, ValueError, TypeError):
        return Personal(subject, ERASED)
