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
