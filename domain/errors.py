"""Domain errors: what went wrong in words a depot operator understands.

Every error raised for a user's mistake derives from ``UserError`` so the
command line can print it as one line and exit with status 2 (bad input) or 1
(failure while working), never with a traceback.
"""

from __future__ import annotations


class MaillageError(Exception):
    """Base of every error maillage raises on purpose."""

    exit_code = 1


class UserError(MaillageError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = 2


class StoreUnavailableError(MaillageError):
    """The event store cannot be opened or reached (exit 2: fix the setting)."""

    exit_code = 2


class StoreNotFoundError(StoreUnavailableError):
    """A command that only reads named a store that does not exist (nothing is created)."""


class NotFoundError(UserError):
    """A named thing (aggregate, view, file) does not exist."""


class InvalidInputError(UserError):
    """A value given by the user is malformed; the message names which and where."""


class RuleViolationError(UserError):
    """A command breaks a rule of the domain (guard methods raise this before any change)."""


class ConcurrentEditError(MaillageError):
    """Someone else changed the same record at the same time, twice in a row."""


class AccessRefusedError(UserError):
    """The database refused the work to this login (its grants, ``maillage depot init``)."""


def refused_by_database(error: BaseException) -> AccessRefusedError | None:
    """The refusal hidden in an error the database raised (SQLSTATE 42501), if it is one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) == "42501":
            first = str(current).strip().splitlines()[0] if str(current).strip() else "refused"
            return AccessRefusedError(
                f"the database refused this to your login ({first}): ask the depot's "
                "administrator for the role you need"
            )
        current = current.__cause__ or current.__context__
    return None
