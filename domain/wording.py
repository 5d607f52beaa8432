"""How numbers of things and moments read for people, the same in every message, list and
report: ``1 pothole``, ``2 potholes``; ``2026-03-09 09:40 CET`` (Paris time, zone shown)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.clock import PARIS

IRREGULAR: dict[str, str] = {"box": "boxes", "person": "people", "child": "children"}
"""Plurals that are not the noun + ``s``."""


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and the noun, singular for one, plural otherwise (``0 meals``, ``1 meal``,
    ``2 meals``); ``many`` gives an irregular plural."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {many or IRREGULAR.get(noun) or noun + 's'}"


def local_time(moment: datetime, seconds: bool = False) -> str:
    """A moment in the municipality's zone with the zone shown: ``2026-03-09 09:40 CET``
    (``seconds``: ``09:40:05 CET``). A moment without a zone is taken as UTC (the log's)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return moment.astimezone(PARIS).strftime(f"%Y-%m-%d {clock} %Z")


def local_clock(moment: datetime) -> str:
    """Only the time of day in the zone, with the zone: ``09:40 CET``."""
    return moment.astimezone(PARIS).strftime("%H:%M %Z")


def zone_on(day: date) -> str:
    """The zone's name on ``day`` in the morning, when the rounds run (``CET``, ``CEST``): the
    label of the times of day a round's plan gives."""
    return datetime.combine(day, time(8), tzinfo=PARIS).strftime("%Z")


def short_id(value: object) -> str:
    """A session or another aggregate without a name, as lists show it and commands take it:
    the first 8 hex digits of its id (``b8253875``)."""
    return str(value).replace("-", "")[:8]
