"""People in the log: the founder is the store's administrator, only an administrator grants and
revokes (each an event naming who), a ccas grant needs its municipality, logins are checked,
and ``narrowed`` lets a role only narrow what was granted — on each backend."""

from __future__ import annotations

import re

import pytest

from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.people import service as people
from domain.people.person import Person, person_id
from domain.people.service import Grant, NotGrantedError, narrowed
from domain.store import StoreLocation


@pytest.fixture
def store(location: StoreLocation, fixed_clock: clock.FixedClock) -> Maillage:
    app = Maillage(location)
    yield app
    app.close()


def test_the_founder_is_admin_and_grants_are_events_naming_who(store: Maillage) -> None:
    assert not people.is_founded(store)
    people.found(store, "claire")
    assert people.is_founded(store) and people.is_admin(store, "claire")
    with pytest.raises(RuleViolationError, match="already has an administrator"):
        people.found(store, "mallory")
    people.grant(store, "alice", "ccas", "37261", by="claire")
    people.grant(store, "bob", "operator", None, by="claire")
    (alice,) = people.grants_of(store, "alice")
    assert (alice.role, alice.scope, alice.by) == ("ccas", "37261", "claire")
    # The log holds the facts: Registered, then RoleGranted with who granted it.
    events = list(store.events.get(person_id("alice")))
    assert [type(e).__name__ for e in events] == ["Registered", "RoleGranted"]
    granted = events[1]
    assert isinstance(granted, Person.RoleGranted)
    assert (granted.role, granted.scope, granted.by) == ("ccas", "37261", "claire")
    # The read model lists every person and what they hold now.
    rows = {p.login: [g.label for g in p.grants] for p in people.people(store)}
    assert rows == {"alice": ["ccas of 37261"], "bob": ["operator"], "claire": ["admin"]}
    people.revoke(store, "alice", "ccas", "37261", by="claire", reason="left the CCAS")
    assert people.grants_of(store, "alice") == ()
    rows = {p.login: [g.label for g in p.grants] for p in people.people(store)}
    assert rows["alice"] == []
    revoked = list(store.events.get(person_id("alice")))[-1]
    assert isinstance(revoked, Person.RoleRevoked) and revoked.reason == "left the CCAS"


def test_only_an_admin_grants_and_revokes(store: Maillage) -> None:
    people.found(store, "claire")
    people.grant(store, "bob", "operator", None, by="claire")
    with pytest.raises(NotGrantedError, match="only an administrator grants roles: bob is not one"):
        people.grant(store, "bob", "admin", None, by="bob")
    with pytest.raises(NotGrantedError, match="only an administrator revokes"):
        people.revoke(store, "claire", "admin", None, by="bob", reason="coup")
    assert people.grants_of(store, "bob")[0].role == "operator"
    with pytest.raises(RuleViolationError, match="cannot revoke their own admin role"):
        people.revoke(store, "claire", "admin", None, by="claire", reason="tired")


@pytest.mark.parametrize(
    ("login", "role", "scope", "problem"),
    [
        ("alice", "ccas", None, "a ccas grant is for one municipality"),
        ("alice", "operator", "37261", "not for one municipality"),
        ("alice", "ccas", "3726", "INSEE code"),
        ("alice", "king", None, "unknown role 'king'"),
        ("al\x1bice", "operator", None, "the login holds a control character (U+001B)"),
        ("al\nice", "operator", None, "control character (U+000A)"),
        ("a" * 65, "operator", None, "65 characters long: at most 64"),
        ("", "operator", None, "the login is empty"),
        ("al ice", "operator", None, "holds a space"),
    ],
)
def test_bad_grants_are_refused_before_anything_is_recorded(
    store: Maillage, login: str, role: str, scope: str | None, problem: str
) -> None:
    people.found(store, "claire")
    before = store.last_position()
    with pytest.raises(InvalidInputError, match=re.escape(problem)):
        people.grant(store, login, role, scope, by="claire")
    assert store.last_position() == before


def test_revoking_what_is_not_granted_is_refused(store: Maillage) -> None:
    people.found(store, "claire")
    with pytest.raises(NotFoundError, match="alice has no role"):
        people.revoke(store, "alice", "operator", None, by="claire", reason="x")
    people.grant(store, "alice", "ccas", "37261", by="claire")
    has = r"does not have the ccas of 37000 role \(has: ccas of 37261\)"
    with pytest.raises(RuleViolationError, match=has):
        people.revoke(store, "alice", "ccas", "37000", by="claire", reason="x")
    with pytest.raises(InvalidInputError, match="needs a reason"):
        people.revoke(store, "alice", "ccas", "37261", by="claire", reason="  ")
    with pytest.raises(RuleViolationError, match="already has the ccas of 37261 role"):
        people.grant(store, "alice", "ccas", "37261", by="claire")


def _grants(*labels: str) -> tuple[Grant, ...]:
    at = clock.now()
    out = []
    for label in labels:
        role, _, scope = label.partition(":")
        out.append(Grant("alice", role, scope or None, "claire", at))
    return tuple(sorted(out, key=people.strongest_first))


@pytest.mark.parametrize(
    ("held", "role", "scope", "works_as"),
    [
        (("admin",), None, None, ("admin", None)),
        (("admin",), "operator", None, ("operator", None)),
        (("admin",), "ccas", "37000", ("ccas", "37000")),
        (("operator",), None, None, ("operator", None)),
        (("operator",), "auditor", None, ("auditor", None)),
        (("technician",), "ccas", "37261", ("ccas", "37261")),
        (("ccas:37261",), None, None, ("ccas", "37261")),
        (("ccas:37261",), "ccas", None, ("ccas", "37261")),
        (("ccas:37261",), None, "37261", ("ccas", "37261")),
        (("auditor",), None, None, ("auditor", None)),
        (("operator", "ccas:37261"), None, None, ("operator", None)),
    ],
)
def test_a_role_only_narrows_what_was_granted(
    fixed_clock: clock.FixedClock,
    held: tuple[str, ...],
    role: str | None,
    scope: str | None,
    works_as: tuple[str, str | None],
) -> None:
    assert narrowed("alice", _grants(*held), role, scope) == works_as


@pytest.mark.parametrize(
    ("held", "role", "scope", "problem"),
    [
        ((), None, None, "alice has no role on this store: ask an administrator"),
        (("ccas:37261",), "operator", None, "may not work as operator: granted ccas of 37261"),
        (("ccas:37261",), "ccas", "37000", "may not work as ccas of 37000"),
        (("ccas:37261",), None, "37000", "may not work as ccas of 37000"),
        (("ccas:37261",), "auditor", None, "may not work as auditor"),
        (("auditor",), "operator", None, "may not work as operator: granted auditor"),
        (("auditor",), "ccas", "37261", "may not work as ccas of 37261"),
        (("operator",), "admin", None, "may not work as admin"),
        (("operator",), "technician", None, "may not work as technician"),
        (("operator",), "ccas", None, "give --scope INSEE"),
    ],
)
def test_a_role_never_widens(
    fixed_clock: clock.FixedClock,
    held: tuple[str, ...],
    role: str | None,
    scope: str | None,
    problem: str,
) -> None:
    with pytest.raises(NotGrantedError, match=problem):
        narrowed("alice", _grants(*held), role, scope)
