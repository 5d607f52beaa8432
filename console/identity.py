"""Who works, proven rather than declared.

- a browser session (``$MAILLAGE_WEB_SESSION``, set by ``maillage serve`` for the console it
  starts): its opaque token is looked up in the store (``domain.people.credentials.web_login``);
  an unknown or ended session is refused;
- a PostgreSQL store: the database login of the connection (``SELECT session_user``), which the
  server authenticated;
- an SQLite store: the operating-system account running the process (``pwd.getpwuid``), never
  ``$USER`` or ``$LOGNAME``, which anyone sets.

``--user`` and ``$MAILLAGE_USER`` declare nothing: given, they must name the proven identity.
Tests choose the identity with ``assumed`` (Python, not a flag or a variable a user could set).
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from domain.application import Maillage
from domain.errors import InvalidInputError, UserError
from domain.people.credentials import web_login
from domain.people.person import valid_login
from domain.store import StoreLocation, ViewConnection

WEB_SESSION_ENV = "MAILLAGE_WEB_SESSION"
"""The opaque token of the browser session a served console works for (``maillage serve``)."""

_assumed: str | None = None


def in_browser() -> bool:
    """Whether this console works for a browser session (``maillage serve``): its files go to
    the browser, not to the server's disk."""
    return bool(os.environ.get(WEB_SESSION_ENV, "").strip())


class UnprovenIdentityError(UserError):
    """Who works cannot be proven (an unknown browser session, an account without a name)."""


@dataclass(frozen=True)
class Identity:
    """A proven login and what proved it."""

    login: str
    source: str
    """"the operating-system account", "the PostgreSQL login" or "the browser session"."""


def prove(location: StoreLocation, store: Maillage | None) -> Identity:
    """The identity of whoever runs this process on ``location`` (``store``: the opened store,
    None when it does not exist yet)."""
    if _assumed is not None:
        return Identity(_assumed, "the test's identity")
    token = os.environ.get(WEB_SESSION_ENV)
    if token is not None:
        login = web_login(store, token) if store is not None and token.strip() else None
        if login is None:
            raise UnprovenIdentityError("the browser session is unknown or has ended: log in again")
        return Identity(valid_login(login), "the browser session")
    if location.kind == "postgres":
        return Identity(database_login(location), "the PostgreSQL login")
    return Identity(os_login(), "the operating-system account")


def os_login() -> str:
    """The name of the operating-system account running this process (its real user id)."""
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise UnprovenIdentityError(
            f"this process runs as user id {uid}, which has no account name: "
            "run maillage from a named account"
        ) from None
    return valid_login(name)


def database_login(location: StoreLocation) -> str:
    """The login PostgreSQL authenticated for connections to ``location``."""
    conn = ViewConnection.open(location)
    try:
        row = conn.fetchone("SELECT session_user")
    finally:
        conn.close()
    if row is None:
        raise UnprovenIdentityError("PostgreSQL did not say which login this connection uses")
    return valid_login(str(row[0]))


def check_claimed(claimed: str, identity: Identity, flag: str) -> None:
    """A user name given on the command line (``--user``) or in the environment must be the
    proven identity: it asserts who runs, it never chooses."""
    if claimed.strip() != identity.login:
        raise InvalidInputError(
            f"{flag} {claimed.strip()!r} is not who you are: this runs as {identity.login!r} "
            f"({identity.source}); identities are proven, not declared"
        )


@contextmanager
def assumed(login: str) -> Iterator[None]:
    """Work as ``login`` in this block, whatever the process runs as (tests only)."""
    global _assumed
    saved, _assumed = _assumed, valid_login(login)
    try:
        yield
    finally:
        _assumed = saved
