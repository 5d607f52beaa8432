"""Argument types shared by the command modules: each turns a typed value into what the
domain takes, or an argparse error naming the value and the expected form (exit 2)."""

from __future__ import annotations

import argparse
import re


def lat_lon(text: str) -> tuple[float, float]:
    """A position ``LAT,LON`` in decimal degrees."""
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LAT,LON in degrees") from None
    return lat, lon


def minutes(text: str) -> int:
    """A duration like ``4h``, ``90m`` or ``3h30m`` in whole minutes."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", text.strip().lower())
    if not text.strip() or match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 4h, 90m or 3h30m")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def weekdays(text: str) -> tuple[int, ...]:
    """Days of the week: ``mon-fri``, ``mon-sat``, ``every-day`` or a list ``mon,wed,sat``."""
    from domain.meals.ordering import DAY_NAMES

    value = text.strip().lower()
    if value in ("every-day", "daily", "mon-sun"):
        return tuple(range(7))
    days: set[int] = set()
    for part in value.split(","):
        ends = part.strip().split("-")
        if len(ends) not in (1, 2) or any(e not in DAY_NAMES for e in ends):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not days like mon-fri, mon-sat, every-day or mon,wed,sat"
            )
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if last < first:
            raise argparse.ArgumentTypeError(f"{part.strip()!r} runs backwards: write mon-sat")
        days.update(range(first, last + 1))
    return tuple(sorted(days))
