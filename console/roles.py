"""What each role may do: the auditor reads and verifies, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from console.settings import Settings
from domain.errors import UserError

F = TypeVar("F", bound=Callable[..., int])


class ReadOnlyRoleError(UserError):
    """A command that changes the store was asked for by a read-only role."""


def mutating(handler: F) -> F:
    """Mark a command-line handler as one that records events."""
    handler.mutating = True  # type: ignore[attr-defined]
    return handler


def check_allowed(settings: Settings, handler: Callable[..., int], command: str) -> None:
    """Refuse a mutating command for a read-only role, before anything is opened or changed."""
    if settings.read_only and getattr(handler, "mutating", False):
        raise ReadOnlyRoleError(
            f"the {settings.role} role is read-only: 'maillage {command}' would change the store"
        )
