"""``maillage meals day plan``: a day over several vans from the command line; an order no van
can serve is named and refused unless accepted with a reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ...helpers import GOOD, run, write

FAR = (
    "2026-099,Jeanne Loin,1 route de Paris,02 47 00 00 99,,,47.75,0.69,low,normal,normal,,,"
    "mon=1,08:00,08:30,5,2026-03-02"
)
"""Someone 40 km north whose window closes at 08:30: no van leaving at 08:00 can be there."""
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def test_a_day_over_two_vans(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    plan = ["meals", "day", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *plan, "--vans", "2", "--crew", "L. Petit/VAN-12") == 0
    out = capsys.readouterr().out
    assert re.search(r"2026-03-09 Tours A · L. Petit \(R-[0-9A-F]{8}\): ", out)
    assert "loading 08:00 CET → last delivery" in out
    assert "travel times: straight-line estimates" in out
    assert not UUID_RE.search(out)

    # The same day again: the orders stay where they are, never twice.
    assert run(store, *plan, "--vans", "2", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert sum(r["stops"] for r in again["rounds"]) == 2
    assert run(store, "meals", "rounds", "list", "--day", "2026-03-09", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert sum(r["stops"] for r in listed) == 2

    assert run(store, "meals", "rounds", "list", "--day", "2026-03-09") == 0
    text = capsys.readouterr().out
    assert not UUID_RE.search(text)
    reference = re.search(r"(R-[0-9A-F]{8})  2026-03-09 Tours [AB] · ", text)
    assert reference is not None, text
    assert run(store, "meals", "rounds", "manifest", reference.group(1)) == 0  # found by it
    capsys.readouterr()

    lone = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *lone, "--postman", "M. Roux", "--vehicle", "VAN-3") == 2
    assert "already in a round" in capsys.readouterr().err


def test_an_unservable_order_is_named_and_needs_a_reason(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write(tmp_path, [*GOOD, FAR])
    assert run(store, "meals", "beneficiaries", "import", str(csv), "--municipality", "37261") == 0
    capsys.readouterr()
    plan = ["meals", "day", "plan", "--municipality", "37261", "--day", "2026-03-09", "--vans", "2"]
    assert run(store, *plan) == 2
    err = capsys.readouterr().err
    assert "file 2026-099 (Jeanne Loin): the earliest arrival" in err
    assert "Nothing recorded" in err and not UUID_RE.search(err)
    assert run(store, "meals", "rounds", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []

    assert run(store, *plan, "--accept-unserved") == 2
    assert "needs --reason" in capsys.readouterr().err
    assert run(store, *plan, "--accept-unserved", "--reason", "a taxi takes it") == 0
    out = capsys.readouterr().out
    assert "NOT SERVED (accepted: a taxi takes it): file 2026-099 (Jeanne Loin)" in out
