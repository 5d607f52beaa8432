"""``maillage meals beneficiaries add``: one file opened with the rules of an imported line; a
file number already registered, or a cell breaking a rule, refused in one line, nothing recorded;
and the price brackets read by the domain, as the console reads them."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInputError
from domain.meals.municipality import PriceBracket, parse_bracket, parse_brackets

from ...helpers import listing, run

ADD = ["meals", "beneficiaries", "add", "--municipality", "37261"]


def test_one_file_opened_then_a_second_time_refused(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    person = ["--name", "Odette Lemaire", "--position", "47.39,0.69", "--bracket", "low",
              "--diet", "no_salt/minced", "--pattern", "mon=1;thu=2",
              "--start", "2026-03-02"]  # fmt: skip
    assert run(store, *ADD, "2026-900", *person) == 0
    assert "file 2026-900 of 37261 opened (active)" in capsys.readouterr().out
    assert any(r["file_number"] == "2026-900" for r in listing(store, capsys))
    assert run(store, *ADD, "2026-900", *person) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_cell_breaking_a_rule_is_named_not_shown(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = listing(store, capsys)
    bad = ["--name", "Odette Lemaire", "--position", "47.39,0.69", "--bracket", "platinum",
           "--diet", "normal/normal", "--pattern", "mon=1"]  # fmt: skip
    assert run(store, *ADD, "2026-901", *bad) == 2
    err = capsys.readouterr().err
    assert "price_bracket is not one of" in err and "Odette" not in err
    assert listing(store, capsys) == before


def test_brackets_are_read_by_the_domain() -> None:
    assert parse_bracket("low:15000:450:100") == PriceBracket("low", 15000, 450, 100)
    assert parse_bracket(" high ::720:200") == PriceBracket("high", None, 720, 200)
    assert [b.name for b in parse_brackets("a:1:2:3; b::4:5")] == ["a", "b"]
    for bad, says in (("low:15000:450", "is not NAME:"), ("low:x:450:100", "whole numbers"),
                      (":1:2:3", "needs a name"), ("", "at least one")):  # fmt: skip
        with pytest.raises(InvalidInputError, match=says):
            parse_brackets(bad)


def test_the_command_line_refuses_a_bad_bracket_in_one_line(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    add = ["meals", "municipality", "add", "--insee", "37214", "--name", "Saint-Cyr",
           "--depot", "D", "--ccas", "C", "--bracket", "low:x:450:100"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_:
        run(str(tmp_path / "s.sqlite"), *add)
    assert exit_.value.code == 2
    assert "whole numbers" in capsys.readouterr().err
