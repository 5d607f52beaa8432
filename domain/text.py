"""Hostile text: control characters (NUL, escape sequences, newlines…) found in what people
type, and shown visibly where text already stored is printed."""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL: a terminal acts on them instead of showing them."""


def control_problem(what: str, value: str) -> str | None:
    """``what`` holds a control character: the problem in words (the character named by its
    code point, never printed), or None."""
    found = CONTROL.search(value)
    return (
        None if found is None else f"{what} holds a control character (U+{ord(found.group()):04X})"
    )


def visible(text: str) -> str:
    """``text`` with every control character written as its escape (``\\x1b``, ``\\n``), so a
    terminal shows it instead of obeying it."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
