"""Argument types and options shared by every command module: each type turns a typed value into
what the domain takes, or an argparse error naming the value and the expected form (exit 2)."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime
from pathlib import Path

from domain.clock import PARIS
from domain.errors import InvalidInputError
from domain.meals.municipality import parse_weekdays


def positive_int(text: str) -> int:
    """A whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def count(text: str) -> int:
    """A whole number of 0 or more (people, objects)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def positive_float(text: str) -> float:
    """A number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0")
    return value


def seconds(text: str) -> float:
    """A duration in seconds, above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 seconds")
    return value


def euros(text: str) -> float:
    """An amount in euros, 0 or more (a budget)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in euros") from None
    if not 0 <= value < 1e12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a budget (0 or more euros)")
    return value


def day(text: str) -> date:
    """A calendar day ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def moment(text: str) -> datetime:
    """An ISO time; without a time zone it is Paris time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-03-02T09:30") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=PARIS)


def month(text: str) -> str:
    """A month ``YYYY-MM`` between 2000 and 2100."""
    try:
        year, number = (int(x) for x in text.split("-"))
        if not (2000 <= year <= 2100 and 1 <= number <= 12) or len(text) != 7:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-03") from None
    return text


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


# ----------------------------------------------------------------------------- options


def json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--json``: print the result as JSON for scripts (``output.print_result`` reads it)."""
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def by_option(parser: argparse.ArgumentParser) -> None:
    """``--by``: who does it, recorded in the log (default: the user running the command)."""
    parser.add_argument("--by", help="who does it, recorded in the log (default: the user)")


def serials_option(parser: argparse.ArgumentParser, what: str = "SERIAL") -> None:
    """Serials as arguments or from ``--serials-file``."""
    parser.add_argument("serials", nargs="*", metavar=what, help="serials (or --serials-file)")
    parser.add_argument(
        "--serials-file",
        type=Path,
        metavar="FILE",
        help="one per line; blank lines and # comments ignored",
    )


def weekdays(text: str) -> tuple[int, ...]:
    """Days of the week: ``mon-fri``, ``mon-sat``, ``every-day`` or a list ``mon,wed,sat``."""
    try:
        return parse_weekdays(text)
    except InvalidInputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
