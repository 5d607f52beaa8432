"""Waiting for a condition in another process or thread: poll it until it holds or a deadline
passes, never a sleep hoping that something finished."""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from domain.application import Maillage
from domain.errors import NotFoundError
from domain.sensing.service import find_session
from domain.store import StoreLocation


def poll_until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def recorded_session(store: object, short: str) -> UUID:
    """The full id of the session a recorder announced by its first characters, once the
    recorder has stored it."""
    app = Maillage(StoreLocation.parse(str(store)))
    found: list[UUID] = []

    def stored() -> bool:
        try:
            found.append(find_session(app, short))
        except NotFoundError:
            return False
        return True

    poll_until(stored, f"session {short} in the store")
    return found[0]
