"""Checks of the values the device service is given: names, serials, references.

Shared by the device aggregates so that a serial typed with spaces or in lower
case, or scanned twice, is treated the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.errors import InvalidInputError

_PSEUDONYM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def who(by: str, action: str) -> str:
    """The trimmed name of who does ``action``; an empty name is refused (custody needs it)."""
    name = by.strip()
    if not name:
        raise InvalidInputError(f"{action} needs the name of who does it")
    return name


def required(value: str, what: str) -> str:
    """A trimmed, non-empty text value; ``what`` names it in the error."""
    text = value.strip()
    if not text:
        raise InvalidInputError(f"{what} is empty")
    return text


def serial(raw: str) -> str:
    """A serial as the manifest recorded it (upper case, no surrounding spaces)."""
    value = raw.strip().upper()
    if not value:
        raise InvalidInputError("a device serial is empty")
    return value


def unique_serials(raw: Iterable[str], what: str) -> list[str]:
    """Serials normalised, in the given order; a serial given twice is refused, naming it."""
    seen: set[str] = set()
    out: list[str] = []
    twice: list[str] = []
    for value in raw:
        s = serial(value)
        if s in seen:
            twice.append(s)
        else:
            seen.add(s)
            out.append(s)
    if twice:
        raise InvalidInputError(f"{what}: serial given twice: {listing(twice)}")
    return out


def pseudonym(raw: str, what: str) -> str:
    """A pseudonymous reference (pupil number, staff id): letters, digits and ``. _ / -``.

    Spaces are refused so that a person's name is not typed where a reference belongs.
    """
    value = raw.strip()
    if not _PSEUDONYM_RE.match(value):
        raise InvalidInputError(
            f"{what} {raw!r} must be a pseudonymous reference (letters, digits, . _ / -; "
            "no spaces, at most 64 characters), not a person's name"
        )
    return value


def listing(values: Iterable[str], limit: int = 10) -> str:
    """``a, b, c`` for messages, shortened to ``limit`` items and a count of the rest."""
    items = list(values)
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


_ENROLMENT_SPLIT = re.compile(r"\s*[=,;\t ]\s*")


def enrolments(items: list[str]) -> dict[str, str]:
    """``SERIAL=ENROLMENT`` items (also ``SERIAL,ENROLMENT`` or separated by spaces)."""
    out: dict[str, str] = {}
    for item in items:
        parts = _ENROLMENT_SPLIT.split(item.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise InvalidInputError(f"{item!r} is not SERIAL=ENROLMENT_ID")
        serial = parts[0].strip().upper()
        if serial in out:
            raise InvalidInputError(f"staging: serial given twice: {serial}")
        out[serial] = parts[1].strip()
    if not out:
        raise InvalidInputError("staging: no serial given")
    return out
