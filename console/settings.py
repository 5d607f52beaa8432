"""Where the console's settings come from: flags first, then environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

from console import identity as identity_mod
from domain import clock
from domain.application import Maillage
from domain.audit.command_record import Actor
from domain.errors import InvalidInputError
from domain.kek import KeyFiles
from domain.meals.municipality import normalise_insee
from domain.people import service as people
from domain.people.service import Grant
from domain.store import StoreLocation
from domain.text import control_problem

ROLES: dict[str, str] = {
    "admin": "administrator: grants and revokes roles, and does everything an operator does",
    "operator": "depot operator: plans and records the work of the depot",
    "technician": "field technician: sensors and recording sessions",
    "ccas": "CCAS coordinator: welfare alerts of the municipality",
    "auditor": "auditor: reads and verifies everything, changes nothing",
}
STORE_ENV = "MAILLAGE_STORE"
ROLE_ENV = "MAILLAGE_ROLE"
USER_ENV = "MAILLAGE_USER"
SCOPE_ENV = "MAILLAGE_SCOPE"
USER_FLAG = f"${USER_ENV}"


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
    """The proven identity (``console.identity``): an account, a database or browser login."""
    scope: str | None = None
    """INSEE code of the one municipality a ``ccas`` user works for (None: every one)."""
    command: str = "console"
    """What was asked for, recorded with every write: the command line's words, or "console"."""
    may_create: bool = False
    """Whether opening may create the store: only commands that write (never a read-only role)."""
    grants: tuple[Grant, ...] = ()
    """The roles the proven identity holds on the store (what ``role`` narrows)."""
    founder: bool = False
    """The store has no administrator yet: whoever first writes to it becomes its administrator."""

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
    prove: bool = True,
) -> Settings:
    """Settings from command-line values (None when not given) and the environment: who works
    is proven (``console.identity``) and works as what was granted to them, or less
    (``--role``/``--scope`` only narrow). ``prove`` false: a command that never opens a store
    (the simulator, detecting ports) works as the operating-system account."""
    if store is not None and not store.strip():
        raise InvalidInputError("--store is empty: give a file path or a postgresql:// URL")
    raw_store = store or os.environ.get(STORE_ENV) or ""
    if raw_store:
        location = StoreLocation.parse(raw_store)
    else:
        path = demo_store_path() if demo else default_store_path()
        location = StoreLocation(kind="sqlite", path=path)
    asked_role = (role or os.environ.get(ROLE_ENV) or "").strip().lower() or None
    if asked_role is not None and asked_role not in ROLES:
        raise InvalidInputError(f"unknown role {asked_role!r}: choose one of {', '.join(ROLES)}")
    raw_scope = (scope or os.environ.get(SCOPE_ENV) or "").strip()
    asked_scope = normalise_insee(raw_scope) if raw_scope else None
    claimed, flag = (
        (user, "--user") if user is not None else (os.environ.get(USER_ENV), f"${USER_ENV}")
    )
    if claimed is not None and (problem := control_problem(f"{flag}", claimed)):
        raise InvalidInputError(problem)
    if not prove:
        identity = identity_mod.Identity(identity_mod.os_login(), "the operating-system account")
        grants: tuple[Grant, ...] = (_founder_grant(identity.login),)
        founder = False
    else:
        identity, grants, founder = _granted(location)
    if claimed is not None:
        identity_mod.check_claimed(claimed, identity, flag)
    chosen_role, chosen_scope = people.narrowed(identity.login, grants, asked_role, asked_scope)
    return Settings(
        location=location, role=chosen_role, user=identity.login, scope=chosen_scope,
        grants=grants, founder=founder,
    )  # fmt: skip


def _founder_grant(login: str) -> Grant:
    return Grant(login, people.ADMIN, None, login, clock.now())


def _granted(location: StoreLocation) -> tuple[identity_mod.Identity, tuple[Grant, ...], bool]:
    """Who works on ``location`` and the roles they hold there. A store that does not exist yet,
    or one made before people were recorded (no administrator), is theirs: whoever first writes
    to it becomes its administrator (``console.opening``)."""
    if not location.exists():
        identity = identity_mod.prove(location, None)
        return identity, (_founder_grant(identity.login),), True
    app = Maillage(location, create=False, key_files=KeyFiles(explicit_only=True))
    try:
        identity = identity_mod.prove(location, app)
        if not people.is_founded(app):
            return identity, (_founder_grant(identity.login),), True
        return identity, people.grants_of(app, identity.login), False
    finally:
        app.close()
