"""Where the console's settings come from: flags first, then environment, then defaults."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

from domain.audit.command_record import Actor
from domain.errors import InvalidInputError
from domain.meals.municipality import normalise_insee
from domain.store import StoreLocation
from domain.text import control_problem

ROLES: dict[str, str] = {
    "operator": "depot operator: plans and records the work of the depot",
    "technician": "field technician: sensors and recording sessions",
    "ccas": "CCAS coordinator: welfare alerts of the municipality",
    "auditor": "auditor: reads and verifies everything, changes nothing",
}
DEFAULT_ROLE = "operator"
STORE_ENV = "MAILLAGE_STORE"
ROLE_ENV = "MAILLAGE_ROLE"
USER_ENV = "MAILLAGE_USER"
SCOPE_ENV = "MAILLAGE_SCOPE"


def data_dir() -> Path:
    """The user's data directory for maillage (created on first use)."""
    return user_data_path("maillage", appauthor=False)


def default_store_path() -> Path:
    return data_dir() / "maillage.sqlite"


def demo_store_path() -> Path:
    return data_dir() / "demo.sqlite"


@dataclass(frozen=True)
class Settings:
    """Who is working, in which role, on which store."""

    location: StoreLocation
    role: str
    user: str
    scope: str | None = None
    """INSEE code of the one municipality a ``ccas`` user works for (None: every one)."""
    command: str = "console"
    """What was asked for, recorded with every write: the command line's words, or "console"."""
    may_create: bool = False
    """Whether opening may create the store: only commands that write (never a read-only role)."""

    @property
    def read_only(self) -> bool:
        return self.role == "auditor"

    @property
    def actor(self) -> Actor:
        """Who is working, as recorded with every command (``Maillage.act_as``)."""
        return Actor(self.role, self.user, self.scope)


def resolve(
    store: str | None,
    role: str | None,
    user: str | None,
    scope: str | None = None,
    *,
    demo: bool = False,
) -> Settings:
    """Settings from command-line values (None when not given) and the environment."""
    if store is not None and not store.strip():
        raise InvalidInputError("--store is empty: give a file path or a postgresql:// URL")
    raw_store = store or os.environ.get(STORE_ENV) or ""
    if raw_store:
        location = StoreLocation.parse(raw_store)
    else:
        path = demo_store_path() if demo else default_store_path()
        location = StoreLocation(kind="sqlite", path=path)
    chosen_role = (role or os.environ.get(ROLE_ENV) or DEFAULT_ROLE).strip().lower()
    if chosen_role not in ROLES:
        raise InvalidInputError(f"unknown role {chosen_role!r}: choose one of {', '.join(ROLES)}")
    chosen_user = (user or os.environ.get(USER_ENV) or _login()).strip()
    if problem := control_problem("the user name", chosen_user):
        raise InvalidInputError(f"{problem}: give --user NAME or set ${USER_ENV} without it")
    if not chosen_user:
        raise InvalidInputError(
            f"the user recorded with every command is empty: give --user NAME or set ${USER_ENV}"
        )
    raw_scope = (scope or os.environ.get(SCOPE_ENV) or "").strip()
    chosen_scope = normalise_insee(raw_scope) if raw_scope else None
    if chosen_role == "ccas" and chosen_scope is None:
        raise InvalidInputError(
            f"the ccas role works for one municipality: give --scope INSEE or set ${SCOPE_ENV}"
        )
    return Settings(location=location, role=chosen_role, user=chosen_user, scope=chosen_scope)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
