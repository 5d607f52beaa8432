"""A person who may work on a store: one per login, and the roles an administrator granted.

The login is the proven identity of whoever works (the operating-system account, the
PostgreSQL login, or a browser session's login: ``console/identity.py``); the aggregate's id is
derived from it, so a person is found from their login alone. Each grant and each revocation is
an event naming who made it; a ccas grant carries the one municipality (INSEE code) it is for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import NAMESPACE, uuid5
from domain.meals.municipality import normalise_insee
from domain.text import control_problem

ROLES: tuple[str, ...] = ("admin", "operator", "technician", "ccas", "auditor")
"""Every role, strongest first: the administrator manages people and may do all an operator does."""
SCOPED_ROLES: tuple[str, ...] = ("ccas",)
"""Roles granted for one municipality (an INSEE code)."""
LOGIN_MAX_CHARS = 64
"""Longer than any operating-system, PostgreSQL (63) or e-mail-like login people type."""
PERSON_NS = uuid5(NAMESPACE, "person")


def valid_login(raw: str) -> str:
    """A login as recorded: trimmed, at most ``LOGIN_MAX_CHARS``, no control character and no
    space inside; anything else is refused in one line (the value never printed raw)."""
    login = raw.strip()
    if problem := control_problem("the login", login):
        raise InvalidInputError(problem)
    if not login:
        raise InvalidInputError("the login is empty")
    if len(login) > LOGIN_MAX_CHARS:
        raise InvalidInputError(
            f"the login is {len(login)} characters long: at most {LOGIN_MAX_CHARS}"
        )
    if any(c.isspace() for c in login):
        raise InvalidInputError(f"the login {login!r} holds a space: a login is one word")
    return login


def valid_role(raw: str) -> str:
    role = raw.strip().lower()
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {raw!r}: choose one of {', '.join(ROLES)}")
    return role


def valid_scope(role: str, scope: str | None) -> str | None:
    """The municipality of a grant: required for a ccas grant, refused for any other."""
    text = (scope or "").strip()
    if role in SCOPED_ROLES:
        if not text:
            raise InvalidInputError(
                f"a {role} grant is for one municipality: give its INSEE code (--scope INSEE)"
            )
        return normalise_insee(text)
    if text:
        raise InvalidInputError(
            f"the {role} role is not for one municipality: only {', '.join(SCOPED_ROLES)} "
            "takes --scope"
        )
    return None


def person_id(login: str) -> UUID:
    """Id of the person with this login (case-sensitive, as the systems logins come from)."""
    return uuid5(PERSON_NS, valid_login(login))


def role_label(role: str, scope: str | None) -> str:
    """A grant as people say it: ``operator``, ``ccas of 37261``."""
    return f"{role} of {scope}" if scope else role


class Person(MaillageAggregate):
    """One login and the roles granted to it (role, scope) → who granted it and when."""

    @staticmethod
    def create_id(login: str) -> UUID:
        return person_id(login)

    @event("Registered")
    def __init__(self, login: str) -> None:
        self.login = login
        self.grants: dict[tuple[str, str | None], dict[str, Any]] = {}

    @classmethod
    def register(cls, login: str) -> Person:
        return cls(login=valid_login(login))

    def holds(self, role: str, scope: str | None = None) -> bool:
        return (role, scope) in self.grants

    def grant(self, role: str, scope: str | None, by: str, at: datetime) -> None:
        """Grant a role (for one municipality when it is ccas); a role held already is refused."""
        chosen = valid_role(role)
        where = valid_scope(chosen, scope)
        if self.holds(chosen, where):
            held = role_label(chosen, where)
            raise RuleViolationError(f"{self.login} already has the {held} role")
        self._granted(role=chosen, scope=where, by=valid_login(by), at=at)

    @event("RoleGranted")
    def _granted(self, role: str, scope: str | None, by: str, at: datetime) -> None:
        self.grants[(role, scope)] = {"by": by, "at": at}

    def revoke(self, role: str, scope: str | None, by: str, reason: str, at: datetime) -> None:
        """Take back a role held; one not held is refused, naming what the person has."""
        chosen = valid_role(role)
        where = valid_scope(chosen, scope)
        if not self.holds(chosen, where):
            held = ", ".join(role_label(r, s) for r, s in self.grants) or "no role"
            raise RuleViolationError(
                f"{self.login} does not have the {role_label(chosen, where)} role (has: {held})"
            )
        why = reason.strip()
        if problem := control_problem("the reason", why):
            raise InvalidInputError(problem)
        if not why:
            raise InvalidInputError("revoking a role needs a reason (--reason TEXT)")
        self._revoked(role=chosen, scope=where, by=valid_login(by), reason=why, at=at)

    @event("RoleRevoked")
    def _revoked(self, role: str, scope: str | None, by: str, reason: str, at: datetime) -> None:
        del self.grants[(role, scope)]
