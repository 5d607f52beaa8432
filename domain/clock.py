"""The clock every event timestamp and every domain decision reads (UTC).

Tests install a fixed clock so timestamps and "overdue" decisions are
reproducible; the console installs the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
"""The operators' local time: dates typed and shown in the console, days of service."""


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)


class FixedClock:
    """A clock that only moves when told to (for tests and replays)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime (UTC)")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


_clock: Clock = SystemClock()


def now() -> datetime:
    """Current UTC time from the installed clock."""
    return _clock.now()


def install_clock(clock: Clock) -> Clock:
    """Install ``clock`` for the whole process; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the duration of a block (tests)."""
    previous = install_clock(clock)
    try:
        yield clock
    finally:
        install_clock(previous)
