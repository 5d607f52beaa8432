"""Cold-chain rules for chilled meals (arrêté du 21 décembre 2009, annex I).

Chilled meals prepared in advance stay at or below +3 °C from the kitchen to
the beneficiary's fridge; there is no tolerance. A reading above the limit is
an excursion: the meals of that box are blocked unless a named person
releases them with a reason.
"""

from __future__ import annotations

from typing import Final

CHILLED_LIMIT_C: Final = 3.0
"""Highest temperature allowed for chilled meals, °C (no regulatory tolerance)."""

HOT_MINIMUM_C: Final = 63.0
"""Lowest temperature for hot delivery (liaison chaude), °C — not used by chilled rounds."""

SHELF_LIFE_DAYS: Final = 3
"""Days after production a meal prepared in advance may be eaten, unless validated otherwise."""


def is_excursion(temperature_c: float) -> bool:
    """Whether a chilled box reading breaks the cold chain."""
    return temperature_c > CHILLED_LIMIT_C
