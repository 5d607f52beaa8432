"""What each role may do. Roles are granted, not claimed: ``console.settings.resolve`` gives
the role the proven identity was granted, or a narrower one asked for
(``domain.people.service.narrowed``).

- admin: everything an operator does, and managing people (commands marked ``@for_admin``);
- operator and technician: everything but managing people;
- auditor: reads and verifies everything, changes nothing;
- ccas: the welfare alerts, files and statement of its one municipality (``Settings.scope``),
  nothing else — the commands it may run are marked ``@for_ccas``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from console.settings import Settings
from domain.errors import UserError
from domain.meals.municipality import normalise_insee

F = TypeVar("F", bound=Callable[..., int])


class ReadOnlyRoleError(UserError):
    """A command that changes the store was asked for by a read-only role."""


def mutating(handler: F) -> F:
    """Mark a command-line handler as one that records events."""
    handler.mutating = True  # type: ignore[attr-defined]
    return handler


def creates_store(handler: F) -> F:
    """Mark a handler that may create a store that does not exist yet (demo, store init)."""
    handler.creates_store = True  # type: ignore[attr-defined]
    return handler


def may_create_store(settings: Settings, handler: Callable[..., int]) -> bool:
    """Only a command that writes, run by a role that may write, creates a missing store."""
    writes = getattr(handler, "mutating", False) or getattr(handler, "creates_store", False)
    return writes and not settings.read_only


def destructive(handler: F) -> F:
    """Mark a handler that throws away and rebuilds part of the store (views rebuild):
    refused to the read-only auditor, as to the ccas role (which runs only ``@for_ccas``)."""
    handler.destructive = True  # type: ignore[attr-defined]
    return handler


def for_admin(handler: F) -> F:
    """Mark a command-line handler only an administrator may run (granting, revoking roles)."""
    handler.for_admin = True  # type: ignore[attr-defined]
    return handler


def store_free(handler: F) -> F:
    """Mark a handler that never opens a store (the simulator, detecting ports): nothing to
    prove a role on, it runs as the operating-system account."""
    handler.store_free = True  # type: ignore[attr-defined]
    return handler


def for_ccas(handler: F) -> F:
    """Mark a command-line handler a ccas user may run (within its municipality)."""
    handler.for_ccas = True  # type: ignore[attr-defined]
    return handler


def scoped(settings: Settings, insee_code: str | None) -> str | None:
    """The municipality a command works on: the one named, within the user's scope.

    A scoped user who names none works on its own; naming another is refused.
    """
    if settings.scope is None:
        return normalise_insee(insee_code) if insee_code else None
    if insee_code and normalise_insee(insee_code) != settings.scope:
        raise OutOfScopeError(
            f"the {settings.role} role works for municipality {settings.scope}, "
            f"not {normalise_insee(insee_code)}"
        )
    return settings.scope


class OutOfScopeError(UserError):
    """A scoped user named something of another municipality."""


def may_run(
    settings: Settings, writes: bool, for_ccas_too: bool, for_admin_only: bool = False
) -> bool:
    """Whether the role may run a command that ``writes`` (or not), marked for ccas (or not),
    for an administrator only (or not); the one rule behind the CLI's refusals and what the
    console offers."""
    if for_admin_only and settings.role != "admin":
        return False
    if settings.read_only and writes:
        return False
    return settings.role != "ccas" or for_ccas_too


def check_allowed(settings: Settings, handler: Callable[..., int], command: str) -> None:
    """Refuse a mutating command for a read-only role, before anything is opened or changed."""
    if settings.read_only and getattr(handler, "destructive", False):
        raise ReadOnlyRoleError(
            f"the {settings.role} role is read-only: 'maillage {command}' throws away and "
            "rebuilds part of the store"
        )
    if getattr(handler, "for_admin", False) and settings.role != "admin":
        raise ReadOnlyRoleError(
            f"only an administrator may run 'maillage {command}': {settings.user} works as "
            f"{settings.role}"
        )
    writes = getattr(handler, "mutating", False)
    if may_run(settings, writes, getattr(handler, "for_ccas", False)):
        return
    if settings.read_only and writes:
        raise ReadOnlyRoleError(
            f"the {settings.role} role is read-only: 'maillage {command}' would change the store"
        )
    if settings.role == "ccas":
        raise ReadOnlyRoleError(
            f"the ccas role handles welfare alerts: 'maillage {command}' is for the depot"
        )
