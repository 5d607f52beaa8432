"""UAI: the national identifier of a French school (7 characters + a check letter).

The check letter is ``"ABCDEFGHJKLMNPRSTUVWXYZ"[int(first seven) mod 23]``
(I, O and Q are never used); Corsica's codes start with 620 or 720.
"""

from __future__ import annotations

import re

from domain.errors import InvalidInputError

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI_RE = re.compile(r"^[0-9]{7}[A-Z]$")


def check_letter(first_seven: str) -> str:
    """The check letter of a UAI's first seven digits."""
    return CHECK_LETTERS[int(first_seven) % 23]


def normalise_uai(raw: str) -> str:
    """Return the UAI in canonical form (upper case, no spaces) or raise naming the fault."""
    uai = raw.strip().upper()
    if not _UAI_RE.match(uai):
        raise InvalidInputError(f"UAI {raw!r} must be 7 digits followed by a letter")
    expected = check_letter(uai[:7])
    if uai[7] != expected:
        raise InvalidInputError(f"UAI {raw!r} has check letter {uai[7]}, expected {expected}")
    return uai
