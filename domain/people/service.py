"""The people service: who may work on a store and in which role, behind both front ends.

Roles are granted and revoked by an administrator (``grant``, ``revoke``), each an event of the
log naming who made it; the first person to create a store (or to write to a store made before
people were recorded) is its administrator (``found``). ``narrowed`` is the one rule of what a
person may work as: what was granted, or less (``--role``/``--scope`` only narrow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import clock
from domain.application import Maillage
from domain.errors import NotFoundError, RuleViolationError, UserError
from domain.meals.municipality import normalise_insee
from domain.people.founding import FOUNDING_ID, Founding
from domain.people.person import (
    ROLES,
    Person,
    person_id,
    role_label,
    valid_login,
    valid_role,
    valid_scope,
)

ADMIN = "admin"
BROAD_ROLES: tuple[str, ...] = ("admin", "operator", "technician")
"""Roles that may narrow to auditor or to ccas of any municipality."""


class NotGrantedError(UserError):
    """The proven identity has no role on this store, or not the one asked for."""


@dataclass(frozen=True)
class Grant:
    """A role held by a login (for one municipality when it is ccas), who granted it and when."""

    login: str
    role: str
    scope: str | None
    by: str
    at: datetime

    @property
    def label(self) -> str:
        return role_label(self.role, self.scope)


def strongest_first(grant: Grant) -> tuple[int, str]:
    """Sort key of grants: the strongest role first, then municipalities in order."""
    return ROLES.index(grant.role), grant.scope or ""


def _person(store: Maillage, login: str) -> Person | None:
    try:
        return store.get(person_id(login), Person)
    except NotFoundError:
        return None


def grants_of(store: Maillage, login: str) -> tuple[Grant, ...]:
    """The roles ``login`` holds now, strongest first (read from the log: never behind)."""
    person = _person(store, login)
    if person is None:
        return ()
    grants = [
        Grant(person.login, role, scope, str(g["by"]), g["at"])
        for (role, scope), g in person.grants.items()
    ]
    return tuple(sorted(grants, key=strongest_first))


def is_founded(store: Maillage) -> bool:
    """Whether the store has an administrator recorded (False: made before people were
    recorded, or not written yet — its first writer becomes its administrator)."""
    try:
        store.get(FOUNDING_ID, Founding)
    except NotFoundError:
        return False
    return True


def is_admin(store: Maillage, login: str) -> bool:
    return any(g.role == ADMIN for g in grants_of(store, login))


def found(store: Maillage, login: str) -> Grant:
    """Record ``login`` as the store's first administrator, in one transaction; refused when the
    store has one already (two people founding at once: the second is refused)."""
    who = valid_login(login)
    if is_founded(store):
        raise RuleViolationError("this store already has an administrator")
    at = clock.now()
    person = _person(store, who) or Person.register(who)
    person.grant(ADMIN, None, who, at)
    store.save_together(lambda: [Founding(admin=who), person], "the store's founding")
    return Grant(who, ADMIN, None, who, at)


def _require_admin(store: Maillage, by: str, what: str) -> str:
    who = valid_login(by)
    if not is_admin(store, who):
        raise NotGrantedError(f"only an administrator {what}: {who} is not one")
    return who


def grant(store: Maillage, login: str, role: str, scope: str | None, by: str) -> Grant:
    """``by`` (an administrator) grants ``role`` to ``login`` (for municipality ``scope`` when
    it is ccas); the person is recorded at their first grant."""
    store.found_pending()  # on a store without an administrator, its first one grants
    admin = _require_admin(store, by, "grants roles")
    who, chosen = valid_login(login), valid_role(role)
    where = valid_scope(chosen, scope)
    at = clock.now()

    def apply() -> list[Person]:
        person = _person(store, who) or Person.register(who)
        person.grant(chosen, where, admin, at)
        return [person]

    store.save_together(apply, f"{who}'s roles")
    return Grant(who, chosen, where, admin, at)


def revoke(
    store: Maillage, login: str, role: str, scope: str | None, by: str, reason: str
) -> Grant:
    """``by`` (an administrator) takes back a role of ``login``, saying why. An administrator's
    own admin role is taken back by another administrator, so a store always keeps one."""
    store.found_pending()
    admin = _require_admin(store, by, "revokes roles")
    who, chosen = valid_login(login), valid_role(role)
    where = valid_scope(chosen, scope)
    if chosen == ADMIN and who == admin:
        raise RuleViolationError(
            f"{admin} cannot revoke their own admin role: another administrator does it"
        )
    person = _person(store, who)
    if person is None:
        raise NotFoundError(f"{who} has no role on this store")
    at = clock.now()
    store.edit(person.id, Person, lambda p: p.revoke(chosen, where, admin, reason, at))
    return Grant(who, chosen, where, admin, at)


def people(store: Maillage) -> tuple[PersonRow, ...]:
    """Every person recorded and the roles they hold now, by login (the people view)."""
    from domain.people.views import people_rows

    return people_rows(store)


@dataclass(frozen=True)
class PersonRow:
    """A person as the people list shows them: login, since when, and their grants."""

    login: str
    since: datetime
    grants: tuple[Grant, ...]


def narrowed(
    login: str, grants: tuple[Grant, ...], role: str | None, scope: str | None
) -> tuple[str, str | None]:
    """The role and municipality ``login`` works as: ``role``/``scope`` asked for, if one of
    ``grants`` allows it; none asked for: the strongest granted. The broad roles (admin,
    operator, technician) narrow to auditor or to ccas of any municipality, an administrator
    to operator or technician too; a ccas grant stays ccas of its municipality; an auditor
    stays auditor. Anything else is refused in one line."""
    if not grants:
        raise NotGrantedError(
            f"{login} has no role on this store: ask an administrator "
            f"('maillage people grant {login} --role ROLE')"
        )
    where = normalise_insee(scope) if scope else None
    held = ", ".join(g.label for g in grants)
    broad = [g for g in grants if g.role in BROAD_ROLES]
    if role is None:
        strongest = grants[0]
        if strongest.role != "ccas":
            return strongest.role, where
        role = "ccas"
    wanted = valid_role(role)
    if wanted == "ccas":
        own = [g.scope for g in grants if g.role == "ccas"]
        if where is None:
            if len(own) == 1 and not broad:
                return "ccas", own[0]
            raise NotGrantedError(
                "the ccas role works for one municipality: give --scope INSEE "
                f"({login} has: {held})"
            )
        if broad or where in own:
            return "ccas", where
    elif wanted == "auditor":
        if broad or any(g.role == "auditor" for g in grants):
            return "auditor", where
    elif any(g.role == wanted or g.role == ADMIN for g in grants):
        return wanted, where
    asked = role_label(wanted, where if wanted == "ccas" else None)
    raise NotGrantedError(f"{login} may not work as {asked}: granted {held}")
