"""UAI check letters (docs/THRESHOLDS.md)."""

from __future__ import annotations

import pytest

from domain.devices.uai import CHECK_LETTERS, check_letter, normalise_uai
from domain.errors import InvalidInputError


@pytest.mark.parametrize("uai", ["0750655E", "0371100V", " 0750655e ", "6200001G"])
def test_valid_codes_are_accepted(uai: str) -> None:
    assert normalise_uai(uai) == uai.strip().upper()


@pytest.mark.parametrize(
    ("uai", "message"),
    [
        ("0750655F", "check letter F, expected E"),
        ("075065E", "7 digits followed by a letter"),
        ("07506555", "7 digits followed by a letter"),
        ("A750655E", "7 digits followed by a letter"),
        ("", "7 digits followed by a letter"),
    ],
)
def test_invalid_codes_name_the_fault(uai: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        normalise_uai(uai)


def test_letters_i_o_q_are_never_check_letters() -> None:
    assert not set("IOQ") & set(CHECK_LETTERS)
    assert {check_letter(f"{n:07d}") for n in range(23)} == set(CHECK_LETTERS)
