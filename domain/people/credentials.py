"""Web passwords and browser sessions of people who use the console from a browser (CCAS).

A password is kept only as its argon2id hash, in the store's ``web_passwords`` table — never
in the event log: a hash in an append-only log could never be withdrawn, and it stays open to
offline guessing for as long as the log lives. The log records the fact only
(``WebAccount.PasswordSet``: whose, set by whom, when), so the audit trail shows it.

A browser session is an opaque random token handed to the browser in a cookie; the store
keeps its SHA-256 only (``web_sessions``), so whoever reads the database cannot take over a
session. ``last_seen`` gives the idle timeout; logout and expiry delete the row.

Parameters (docs/SECURITY.md, "Web passwords"): argon2id, RFC 9106's second recommended
profile (t=3 passes, m=64 MiB, p=4 lanes, 16-byte salt, 32-byte tag): memory-hard, about
0.1 s per login on one core, and 64 MiB per guess for an attacker's GPU.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, MaillageError, NotFoundError
from domain.ids import NAMESPACE, uuid5
from domain.store import ViewConnection
from domain.text import control_problem

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from domain.application import Maillage

PASSWORDS_TABLE: Final = "web_passwords"
"""One row per login: its argon2id hash (PHC string), when and by whom it was set."""
SESSIONS_TABLE: Final = "web_sessions"
"""One row per open browser session: the token's SHA-256, the login, created and last seen."""
MIN_PASSWORD_CHARS: Final = 12
MAX_PASSWORD_CHARS: Final = 1024
"""Longer input is refused before hashing (a megabyte password costs the server, not the
attacker)."""
DEFAULT_IDLE_MINUTES: Final = 15.0
TOKEN_BYTES: Final = 32
_WEB_ACCOUNTS = uuid5(NAMESPACE, "web-account")


def _hasher() -> PasswordHasher:
    """argon2id with RFC 9106's low-memory profile (see the module's notes); imported here so
    the SQLite default path never loads argon2 unless a password is handled."""
    try:
        from argon2 import PasswordHasher
        from argon2.profiles import RFC_9106_LOW_MEMORY
    except ImportError:
        raise MissingExtraError(
            "web passwords need the [serve] extra: pip install 'maillage[serve]'"
        ) from None

    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


class MissingExtraError(MaillageError):
    """argon2 is not installed (the ``[serve]`` extra)."""


class WebAccount(MaillageAggregate):
    """The browser access of one login: the facts only, never the hash (one per login)."""

    @event("Opened")
    def __init__(self, login: str) -> None:
        self.login = login
        self.password_set_at: datetime | None = None
        self.password_set_by = ""

    @event("PasswordSet")
    def set_password(self, by: str, at: datetime) -> None:
        self.password_set_by = by
        self.password_set_at = at

    @staticmethod
    def create_id(login: str) -> UUID:
        return account_id(login)


def account_id(login: str) -> UUID:
    return uuid5(_WEB_ACCOUNTS, login)


@dataclass(frozen=True)
class SetPassword:
    """What ``set_password`` did, for both front ends."""

    login: str
    first: bool
    """Whether this login had no password before."""


def check_login(login: str) -> str:
    """A login as typed, or a one-line refusal (empty, control characters, too long)."""
    cleaned = login.strip()
    if not cleaned:
        raise InvalidInputError("the login is empty")
    if problem := control_problem("the login", cleaned):
        raise InvalidInputError(problem)
    if len(cleaned) > 64:
        raise InvalidInputError("the login is longer than 64 characters")
    return cleaned


def check_password(password: str) -> None:
    """Refuse a password too short or too long, or holding control characters (a pasted
    newline would make a password nobody can type again)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInputError(
            f"the password is shorter than {MIN_PASSWORD_CHARS} characters: choose a longer one"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInputError(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    if problem := control_problem("the password", password):
        raise InvalidInputError(problem)


SECRET_TABLES: Final = (PASSWORDS_TABLE, SESSIONS_TABLE)
"""Tables an auditor's database role may not read (``domain.persistence.grants``)."""


def ensure_tables(conn: ViewConnection) -> None:
    """Create the credential tables if missing (the owner does it on a depot: ``depot init``)."""
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {PASSWORDS_TABLE} (login TEXT PRIMARY KEY, "
        "hash TEXT NOT NULL, set_at TEXT NOT NULL, set_by TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {SESSIONS_TABLE} (token_sha256 TEXT PRIMARY KEY, "
        "login TEXT NOT NULL, created_at TEXT NOT NULL, last_seen TEXT NOT NULL)",
    ):
        conn.execute(statement)


class _Tables:
    """A connection to the store with the credential tables, committed on success."""

    def __init__(self, app: Maillage) -> None:
        self.conn = ViewConnection.open(app.location)

    def __enter__(self) -> ViewConnection:
        ensure_tables(self.conn)
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            if kind is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.close()


def set_password(app: Maillage, login: str, password: str, by: str) -> SetPassword:
    """Set (or replace) the web password of ``login``: the hash in its table, the fact as an
    event (nothing half-applied: the old hash is put back if the event cannot be recorded).
    Setting a password closes the login's open sessions."""
    login = check_login(login)
    check_password(password)
    digest = _hasher().hash(password)
    now = clock.now()
    aid = account_id(login)
    with _Tables(app) as conn:
        previous = conn.fetchone(
            f"SELECT hash, set_at, set_by FROM {PASSWORDS_TABLE} WHERE login = ?", (login,)
        )
        _put_hash(conn, login, (digest, now.isoformat(), by))
        conn.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE login = ?", (login,))
    first = previous is None

    def apply() -> list[WebAccount]:
        try:
            account = app.get(aid, WebAccount)
        except NotFoundError:
            account = WebAccount(login)
        account.set_password(by, now)
        return [account]

    try:
        app.save_together(apply, f"the web account {login}")
    except BaseException:
        with _Tables(app) as conn:
            _put_hash(conn, login, previous)
        raise
    return SetPassword(login, first)


def _put_hash(conn: ViewConnection, login: str, row: tuple[str, str, str] | None) -> None:
    conn.execute(f"DELETE FROM {PASSWORDS_TABLE} WHERE login = ?", (login,))
    if row is not None:
        conn.execute(
            f"INSERT INTO {PASSWORDS_TABLE} (login, hash, set_at, set_by) VALUES (?, ?, ?, ?)",
            (login, *row),
        )


_DUMMY_HASH: list[str] = []


def verify_password(app: Maillage, login: str, password: str) -> bool:
    """Whether ``password`` is the web password of ``login``. An unknown login costs the same
    hash as a known one (no timing difference tells which logins exist); a hash made with
    older parameters is replaced by one with today's."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if not login or len(password) > MAX_PASSWORD_CHARS or control_problem("", login):
        return False
    hasher = _hasher()
    with _Tables(app) as conn:
        row = conn.fetchone(f"SELECT hash FROM {PASSWORDS_TABLE} WHERE login = ?", (login,))
    if row is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash(secrets.token_urlsafe(16)))
        stored, known = _DUMMY_HASH[0], False
    else:
        stored, known = str(row[0]), True
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if known and hasher.check_needs_rehash(stored):
        with _Tables(app) as conn:
            conn.execute(
                f"UPDATE {PASSWORDS_TABLE} SET hash = ? WHERE login = ? AND hash = ?",
                (hasher.hash(password), login, stored),
            )
    return known


def has_password(app: Maillage, login: str) -> bool:
    with _Tables(app) as conn:
        found = conn.fetchone(f"SELECT 1 FROM {PASSWORDS_TABLE} WHERE login = ?", (login,))
    return found is not None


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(app: Maillage, login: str) -> str:
    """A new browser session for ``login`` (after its password was verified): its token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now().isoformat()
    with _Tables(app) as conn:
        conn.execute(
            f"INSERT INTO {SESSIONS_TABLE} (token_sha256, login, created_at, last_seen) "
            "VALUES (?, ?, ?, ?)",
            (_token_key(token), login, now, now),
        )
    return token


def web_login(
    app: Maillage, token: str, idle_minutes: float = DEFAULT_IDLE_MINUTES, *, touch: bool = True
) -> str | None:
    """The login of a live browser session (None: unknown, closed or idle too long — an idle
    one is deleted). ``touch`` marks it seen now (any request of the browser)."""
    if not token or len(token) > 256:
        return None
    key = _token_key(token)
    now = clock.now()
    with _Tables(app) as conn:
        row = conn.fetchone(
            f"SELECT login, last_seen FROM {SESSIONS_TABLE} WHERE token_sha256 = ?", (key,)
        )
        if row is None:
            return None
        if now - datetime.fromisoformat(str(row[1])) > timedelta(minutes=idle_minutes):
            conn.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE token_sha256 = ?", (key,))
            return None
        if touch:
            conn.execute(
                f"UPDATE {SESSIONS_TABLE} SET last_seen = ? WHERE token_sha256 = ?",
                (now.isoformat(), key),
            )
    return str(row[0])


def close_session(app: Maillage, token: str) -> bool:
    """Log out: the session's row is deleted (whether it existed)."""
    with _Tables(app) as conn:
        found = conn.fetchone(
            f"SELECT 1 FROM {SESSIONS_TABLE} WHERE token_sha256 = ?", (_token_key(token),)
        )
        conn.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE token_sha256 = ?", (_token_key(token),))
    return found is not None


def expire_sessions(app: Maillage, idle_minutes: float = DEFAULT_IDLE_MINUTES) -> int:
    """Delete every session idle longer than ``idle_minutes``; how many were."""
    limit = (clock.now() - timedelta(minutes=idle_minutes)).isoformat()
    with _Tables(app) as conn:
        (count,) = conn.fetchone(
            f"SELECT count(*) FROM {SESSIONS_TABLE} WHERE last_seen < ?", (limit,)
        ) or (0,)
        conn.execute(f"DELETE FROM {SESSIONS_TABLE} WHERE last_seen < ?", (limit,))
    return int(count)
