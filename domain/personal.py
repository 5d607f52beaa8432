"""Personal data sealed with a key per person, so that erasing the key erases the data.

Beneficiaries' names, addresses, phones, diets and welfare notes are health
related. An aggregate holds them as ``Personal`` values; when an event is
stored, the application's transcoding seals each one with its subject's key
(AES-256-GCM, the subject id as associated data) and opens it again when the
event is read. Keys live in their own table, never in the event log. Deleting
a subject's key (crypto-shredding) leaves the sealed bytes in the log — so the
audit chain still verifies — but they open as ``ERASED`` from then on.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from domain.store import StoreLocation, ViewConnection

KEYS_TABLE: Final = "subject_keys"
ERASED: Final = "\u2327 erased"
"""What a personal value reads as once its subject's key is gone."""


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

    def text(self) -> str:
        """The value for display (``ERASED`` once the subject's key is gone)."""
        return ERASED if self.erased else str(self.value)


class SubjectKeys:
    """Data keys of subjects, in their own table of the store.

    One connection per thread (SQLite connections stay in their thread); each
    operation commits at once, so an erased key is gone for every console.
    """

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} ("
                "subject TEXT PRIMARY KEY, data_key BYTEA NOT NULL)"
                if location.kind == "postgres"
                else f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} ("
                "subject TEXT PRIMARY KEY, data_key BLOB NOT NULL)"
            )

    def _conn(self) -> _Committing:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = ViewConnection.open(self.location)
            self._local.conn = conn
        return _Committing(conn)

    def get(self, subject: UUID) -> bytes | None:
        with self._conn() as conn:
            row = conn.fetchone(
                f"SELECT data_key FROM {KEYS_TABLE} WHERE subject = ?", (subject.hex,)
            )
        return bytes(row[0]) if row else None

    def get_or_create(self, subject: UUID) -> bytes:
        """The subject's key, created on first use (concurrent first uses agree on one)."""
        found = self.get(subject)
        if found is not None:
            return found
        with self._conn() as conn:
            conn.execute(
                f"INSERT INTO {KEYS_TABLE} (subject, data_key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject.hex, AESGCM.generate_key(bit_length=256)),
            )
        key = self.get(subject)
        assert key is not None
        return key

    def erase(self, subject: UUID) -> bool:
        """Delete the subject's key; returns whether there was one."""
        with self._conn() as conn:
            existed = conn.fetchone(f"SELECT 1 FROM {KEYS_TABLE} WHERE subject = ?", (subject.hex,))
            conn.execute(f"DELETE FROM {KEYS_TABLE} WHERE subject = ?", (subject.hex,))
        return existed is not None

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
        if obj.erased:
            raise ValueError(f"cannot record an erased value of subject {obj.subject}")
        key = self.keys.get_or_create(obj.subject)
        nonce = os.urandom(12)
        plaintext = json.dumps(obj.value, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = AESGCM(key).encrypt(nonce, plaintext, obj.subject.bytes)
        return {
            "s": obj.subject.hex,
            "n": base64.b64encode(nonce).decode(),
            "c": base64.b64encode(sealed).decode(),
        }

    def decode(self, data: dict[str, str]) -> Personal:
        subject = UUID(data["s"])
        key = self.keys.get(subject)
        if key is None:
            return Personal(subject, ERASED)
        nonce, sealed = base64.b64decode(data["n"]), base64.b64decode(data["c"])
        try:
            plaintext = AESGCM(key).decrypt(nonce, sealed, subject.bytes)
        except InvalidTag:
            raise ValueError(
                f"sealed personal data of subject {subject} does not open with its key "
                "(the stored bytes were altered)"
            ) from None
        return Personal(subject, json.loads(plaintext))
