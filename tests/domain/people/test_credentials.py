"""Web passwords (argon2id hash in a table, the fact in the log) and browser sessions (the
token's hash in a table, an idle timeout), on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.people import credentials
from domain.people.credentials import PASSWORDS_TABLE, SESSIONS_TABLE, WebAccount
from domain.store import StoreLocation, ViewConnection

PASSWORD = "a long web password"


def _rows(app: Maillage, table: str) -> list[tuple[object, ...]]:
    conn = ViewConnection.open(app.location)
    try:
        return conn.fetchall(f"SELECT * FROM {table}")
    finally:
        conn.close()


def test_the_hash_is_argon2id_in_its_table_and_only_the_fact_is_in_the_log(
    location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(location)
    try:
        done = credentials.set_password(app, "claire", PASSWORD, "boss")
        assert done.first
        ((login, digest, _, by),) = _rows(app, PASSWORDS_TABLE)
        assert (login, by) == ("claire", "boss")
        # RFC 9106's low-memory profile: argon2id, 64 MiB, 3 passes, 4 lanes.
        assert str(digest).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        account = app.get(credentials.account_id("claire"), WebAccount)
        assert account.password_set_by == "boss"
        assert account.password_set_at == fixed_clock.now()
        stored = b"".join(
            bytes(s.state) for s in app.recorder.select_events(credentials.account_id("claire"))
        )
        assert b"argon2" not in stored and PASSWORD.encode() not in stored
        assert credentials.verify_password(app, "claire", PASSWORD)
        assert not credentials.verify_password(app, "claire", PASSWORD + "!")
        assert not credentials.verify_password(app, "nobody", PASSWORD)
        assert not credentials.set_password(app, "claire", PASSWORD + "2", "boss").first
        assert not credentials.verify_password(app, "claire", PASSWORD)
    finally:
        app.close()


@pytest.mark.parametrize(
    ("login", "password", "said"),
    [
        ("claire", "short", "shorter than 12"),
        ("claire", "x" * 1025, "longer than 1024"),
        ("claire", "a long pass\nword", "control character"),
        ("cla\x1bire", PASSWORD, "control character"),
        ("  ", PASSWORD, "login is empty"),
    ],
)
def test_a_refused_password_records_nothing(
    sqlite_location: StoreLocation, login: str, password: str, said: str
) -> None:
    app = Maillage(sqlite_location)
    try:
        before = app.last_position()
        with pytest.raises(InvalidInputError, match=said):
            credentials.set_password(app, login, password, "boss")
        assert app.last_position() == before
        assert not credentials.has_password(app, "claire")
    finally:
        app.close()


def test_a_session_proves_its_login_until_idle_or_closed(
    location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(location)
    try:
        token = credentials.open_session(app, "claire")
        assert token.encode() not in repr(_rows(app, SESSIONS_TABLE)).encode()  # only its hash
        assert credentials.web_login(app, token) == "claire"
        assert credentials.web_login(app, token + "x") is None
        fixed_clock.advance(timedelta(minutes=14))
        assert credentials.web_login(app, token) == "claire"  # seen: the idle time restarts
        fixed_clock.advance(timedelta(minutes=14))
        assert credentials.web_login(app, token, touch=False) == "claire"
        fixed_clock.advance(timedelta(minutes=2))
        assert credentials.web_login(app, token) is None  # 16 minutes idle
        assert _rows(app, SESSIONS_TABLE) == []  # an idle session is deleted
        other = credentials.open_session(app, "claire")
        assert credentials.close_session(app, other)
        assert credentials.web_login(app, other) is None
    finally:
        app.close()


def test_expired_sessions_are_deleted_and_a_new_password_closes_them(
    sqlite_location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(sqlite_location)
    try:
        credentials.set_password(app, "claire", PASSWORD, "boss")
        old = credentials.open_session(app, "claire")
        fixed_clock.advance(timedelta(minutes=20))
        kept = credentials.open_session(app, "claire")
        assert credentials.expire_sessions(app, 15) == 1
        assert credentials.web_login(app, kept) == "claire"
        assert credentials.web_login(app, old) is None
        credentials.set_password(app, "claire", PASSWORD + "2", "boss")
        assert credentials.web_login(app, kept) is None
    finally:
        app.close()
