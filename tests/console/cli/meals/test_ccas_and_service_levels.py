"""A CCAS coordinator works on its own municipality's alerts; each municipality sets its
own delay to acknowledge them and its longest round; an auditor reads trails, not notes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.clock import FixedClock

from ...helpers import SAINT_CYR, run


def alerts(store: str, capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run(store, "meals", "alerts", "list", "--json", *argv) == 0
    return json.loads(capsys.readouterr().out)


def test_each_municipality_has_its_own_delay_to_acknowledge(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str], fixed_clock: FixedClock
) -> None:
    store, tours_alert, saint_cyr_alert = two_towns
    argv = ["meals", "municipality", "configure", SAINT_CYR, "--acknowledge-within", "1h30m"]
    assert run(store, *argv) == 0
    assert "alerts acknowledged within 90 min" in capsys.readouterr().out

    fixed_clock.advance(timedelta(hours=2))  # past Saint-Cyr's 90 min, within Tours' 4 h
    assert [a["reference"] for a in alerts(store, capsys, "--overdue")] == [saint_cyr_alert]
    fixed_clock.advance(timedelta(hours=2, minutes=1))  # now past Tours' default too
    overdue = {a["reference"] for a in alerts(store, capsys, "--overdue")}
    assert overdue == {tours_alert, saint_cyr_alert}
    assert run(store, "meals", "alerts", "ack", saint_cyr_alert[:8], "--by", "Mme Roy") == 0
    assert [a["reference"] for a in alerts(store, capsys, "--overdue")] == [tours_alert]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--acknowledge-within", "4 hours"], "'4 hours' is not a duration like 4h, 90m or 3h30m"),
        (["--acknowledge-within", "5m"], "must be 15 min to 7 days, not 5 min"),
        (["--max-round", "13h"], "the longest round must be 30 min to 12 h, not 780 min"),
        (["--depot-position", "47.39;0.68"], "'47.39;0.68' is not LAT,LON in degrees"),
        (["--delivery-days", "weekends"], "'weekends' is not days like mon-fri"),
        (["--delivery-days", "sat-mon"], "'sat-mon' runs backwards"),
    ],
)
def test_bad_service_levels_are_refused_and_nothing_is_recorded(
    store: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from domain.application import Maillage
    from domain.store import StoreLocation

    before = Maillage(StoreLocation.parse(store)).last_position()
    try:
        code = run(store, "meals", "municipality", "configure", "37261", *argv)
    except SystemExit as usage:  # argparse rejects malformed values itself
        code = int(usage.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err
    assert Maillage(StoreLocation.parse(store)).last_position() == before


def test_delivery_days_are_agreed_per_municipality(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["meals", "municipality", "configure", "37261", "--json"]
    assert run(store, *argv, "--delivery-days", "mon-fri,sat") == 0
    assert json.loads(capsys.readouterr().out)["delivery_days"] == [
        *("mon", "tue", "wed", "thu", "fri", "sat")
    ]
    assert run(store, *argv[:-1], "--delivery-days", "every-day") == 0
    assert "deliveries on mon,tue,wed,thu,fri,sat,sun" in capsys.readouterr().out


def test_the_longest_round_bounds_the_planner(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, "meals", "municipality", "configure", "37261", "--max-round", "30m") == 0
    capsys.readouterr()
    argv = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    argv += ["--postman", "L. Petit", "--vehicle", "VAN-12", "--optimise", "--json"]
    # Two stops 09:00 and 08:30 at the earliest: nothing fits in 30 min after an 08:00 loading,
    # and a round over the cold-chain limit is never recorded.
    assert run(store, *argv) == 2
    err = capsys.readouterr().err
    assert "over the cold-chain limit of 30 min" in err and "nothing recorded" in err
    assert "from loading at 08:00 CET" in err  # a time of day says its zone
    assert run(store, "meals", "rounds", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_ccas_user_sees_and_acts_only_in_its_municipality(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, tours_alert, saint_cyr_alert = two_towns
    ccas = ["--role", "ccas", "--scope", SAINT_CYR]  # the administrator, narrowed to ccas
    assert [a["reference"] for a in alerts(store, capsys, *ccas)] == [saint_cyr_alert]
    assert run(store, "meals", "alerts", "list", "--municipality", "37261", *ccas) == 2
    assert "works for municipality 37214, not 37261" in capsys.readouterr().err

    assert run(store, "meals", "alerts", "ack", tours_alert[:8], "--by", "Mme Roy", *ccas) == 2
    assert f"no welfare alert with id '{tours_alert[:8]}'\n" in capsys.readouterr().err
    assert run(store, "meals", "alerts", "ack", saint_cyr_alert[:8], "--by", "Mme Roy", *ccas) == 0
    statuses = {a["reference"]: a["status"] for a in alerts(store, capsys)}
    assert statuses == {tours_alert: "raised", saint_cyr_alert: "acknowledged"}

    capsys.readouterr()
    assert run(store, "meals", "beneficiaries", "list", "--json", *ccas) == 0
    assert [b["file_number"] for b in json.loads(capsys.readouterr().out)] == ["SC-001"]
    plan = ["meals", "rounds", "plan", "--municipality", SAINT_CYR, "--day", "2026-03-09"]
    assert run(store, *plan, "--postman", "P", "--vehicle", "V", *ccas) == 2
    assert "the ccas role handles welfare alerts" in capsys.readouterr().err


def test_the_ccas_role_needs_its_municipality(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, "meals", "alerts", "list", "--role", "ccas") == 2
    assert "the ccas role works for one municipality: give --scope" in capsys.readouterr().err


def test_an_auditor_reads_the_trail_but_not_the_notes(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, tours_alert, _ = two_towns
    assert run(store, "meals", "alerts", "ack", tours_alert[:8], "--by", "Mme Durand") == 0
    follow = ["meals", "alerts", "follow-up", tours_alert[:8], "--by", "Mme Durand"]
    assert run(store, *follow, "--action", "Called the GP") == 0
    capsys.readouterr()
    assert run(store, "meals", "alerts", "show", tours_alert[:8], "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["note"], shown["follow_ups"][0]["action"]) == (
        "Fell on the stairs",
        "Called the GP",
    )
    assert run(store, "meals", "alerts", "show", tours_alert[:8], "--role", "auditor") == 0
    text = capsys.readouterr().out
    assert "acknowledged" in text and "by Mme Durand" in text
    assert "Fell" not in text and "GP" not in text
    assert text.count("(not shown to this role)") == 2
