"""A round's day driven from the command line, with the cold chain and bad actions refused."""

from __future__ import annotations

import json
import re
from uuid import UUID

import pytest

from ...helpers import run


def test_a_round_from_plan_to_statement(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            store,
            "meals",
            "rounds",
            "plan",
            "--municipality",
            "37261",
            "--day",
            "2026-03-09",
            "--postman",
            "L. Petit",
            "--vehicle",
            "VAN-12",
            "--optimise",
            "--json",
        )
        == 0
    )
    planned = json.loads(capsys.readouterr().out.split("\n  warning")[0])
    assert (planned["stops"], planned["meals"], planned["optimised"]) == (2, 2, True)
    rid = planned["round"][:8]

    assert run(store, "meals", "rounds", "load", rid, "--box", "box-1=probe-7:2.1") == 0
    assert (
        run(store, "meals", "rounds", "probe", rid, "--box", "box-1", "--temperature", "4.4") == 0
    )
    assert "BLOCKED" in capsys.readouterr().out
    stop = ["meals", "rounds", "stop", rid, "2026-001", "--municipality", "37261"]
    assert run(store, *stop, "--outcome", "put_in_fridge") == 2
    assert "blocked by a cold-chain excursion" in capsys.readouterr().err
    assert (
        run(
            store,
            "meals",
            "rounds",
            "release",
            rid,
            "--box",
            "box-1",
            "--by",
            "M. Martin",
            "--reason",
            "core at 3.0 °C",
        )
        == 0
    )
    at_door = ["--temperature", "2.8", "--gps", "47.3961,0.6919"]
    assert run(store, *stop, "--outcome", "put_in_fridge", *at_door) == 0
    other = ["meals", "rounds", "stop", rid, "2026-002", "--municipality", "37261"]
    assert run(store, *other, "--outcome", "absent", "--called", "ccas", "--result", "reached") == 0
    assert run(store, "meals", "rounds", "complete", rid) == 0
    assert "1 meal delivered" in capsys.readouterr().out

    # An action on a closed round is refused and changes nothing.
    assert run(store, "meals", "rounds", "probe", rid, "--box", "box-1", "--temperature", "2") == 2
    assert "is completed: this needs it loaded" in capsys.readouterr().err

    assert (
        run(
            store,
            "meals",
            "statement",
            "--municipality",
            "37261",
            "--month",
            "2026-03",
            "--format",
            "json",
        )
        == 0
    )
    statement = json.loads(capsys.readouterr().out)
    lines = {x["file_number"]: x for x in statement["lines"]}
    assert lines["2026-001"]["delivered"] == 1 and lines["2026-001"]["amount_cents"] == 450 + 150
    assert lines["2026-002"]["gaps"]["ABSENT"] == 1

    from domain.application import Maillage
    from domain.meals.meal_round import MealRound
    from domain.store import StoreLocation

    app = Maillage(StoreLocation.parse(store))
    (event,) = [
        e
        for e in app.events.get(UUID(planned["round"]))
        if isinstance(e, MealRound.StopRecorded) and e.outcome == "put_in_fridge"
    ]
    assert (event.position.value, event.handover_temperature_c) == ([47.3961, 0.6919], 2.8)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["meals", "rounds", "load", "nothere", "--box", "b=p:2"], "no round with id 'nothere'"),
        (
            [
                "meals",
                "rounds",
                "plan",
                "--municipality",
                "37261",
                "--day",
                "2026-03-14",
                "--postman",
                "P",
                "--vehicle",
                "V",
            ],
            "no meals are ordered in Tours for 2026-03-14",
        ),
        (
            [
                "meals",
                "alerts",
                "raise",
                "nobody",
                "--municipality",
                "37261",
                "--category",
                "health",
                "--severity",
                "low",
                "--note",
                "n",
                "--by",
                "x",
            ],
            "no beneficiary file nobody in 37261",  # as people name it, never its UUID
        ),
    ],
)
def test_bad_actions_are_clear_errors(
    store: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, *argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", err), err


def test_invalid_dates_are_usage_errors(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(
            store,
            "meals",
            "rounds",
            "plan",
            "--municipality",
            "37261",
            "--day",
            "2026-02-30",
            "--postman",
            "P",
            "--vehicle",
            "V",
        )
    assert exit_info.value.code == 2
    assert "'2026-02-30' is not a date like 2026-03-02" in capsys.readouterr().err


def test_alerts_inbox_flow(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            store,
            "meals",
            "alerts",
            "raise",
            "2026-002",
            "--municipality",
            "37261",
            "--category",
            "mobility",
            "--severity",
            "medium",
            "--note",
            "Fell on the stairs",
            "--by",
            "L. Petit",
        )
        == 0
    )
    aid = capsys.readouterr().out.split()[2][:8]
    assert run(store, "meals", "alerts", "close", aid, "--by", "x", "--outcome", "resolved") == 2
    assert "only an acknowledged alert can close" in capsys.readouterr().err
    assert run(store, "meals", "alerts", "ack", aid, "--by", "Mme Durand") == 0
    assert (
        run(store, "meals", "alerts", "follow-up", aid, "--by", "Mme Durand", "--action", "Visited")
        == 0
    )
    assert (
        run(store, "meals", "alerts", "close", aid, "--by", "Mme Durand", "--outcome", "resolved")
        == 0
    )
    capsys.readouterr()
    assert run(store, "meals", "alerts", "list", "--json") == 0
    (alert,) = json.loads(capsys.readouterr().out)
    assert (alert["status"], alert["outcome"], alert["file_number"]) == (
        "closed",
        "resolved",
        "2026-002",
    )
    assert "Fell" not in json.dumps(alert)


def test_orders_suspension_extra_meals_and_manifest(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    friday = ["meals", "orders", "--municipality", "37261", "--day", "2026-03-13", "--json"]
    assert run(store, *friday) == 0
    orders = json.loads(capsys.readouterr().out)
    assert orders["meals"] == 5  # Jeanne's Friday 2, Louis's Friday 3
    assert {(k["regime"], k["texture"]): k["meals"] for k in orders["kitchen"]} == {
        ("no_salt", "minced"): 2,
        ("normal", "normal"): 3,
    }
    assert orders["orders_open"] is False  # that Friday is long past

    assert (
        run(
            store,
            "meals",
            "suspend",
            "2026-002",
            "--municipality",
            "37261",
            "--from",
            "2026-03-12",
            "--resume",
            "2026-03-16",
            "--reason",
            "hospital",
        )
        == 0
    )
    assert run(store, *friday) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["meals"] == 2

    extra = ["meals", "extra", "2026-001", "--municipality", "37261", "--meals", "1"]
    assert run(store, *extra, "--day", "2026-03-10") == 2
    assert "orders for 2026-03-10 closed at 2026-03-09 00:00 CET" in capsys.readouterr().err
    assert run(store, *extra, "--day", "2099-03-10") == 0
    assert "1 extra meal for file 2026-001 on 2099-03-10" in capsys.readouterr().out

    assert (
        run(
            store,
            "meals",
            "rounds",
            "plan",
            "--municipality",
            "37261",
            "--day",
            "2026-03-09",
            "--postman",
            "L. Petit",
            "--vehicle",
            "VAN-12",
            "--json",
        )
        == 0
    )
    rid = json.loads(capsys.readouterr().out)["round"][:8]
    assert run(store, "meals", "rounds", "manifest", rid, "--json") == 0
    manifest = json.loads(capsys.readouterr().out)
    assert {m["name"] for m in manifest} == {"Jeanne Moreau", "Louis Girard"}
    assert [m["stop"] for m in manifest] == [1, 2]
    assert "no_salt" not in json.dumps(manifest) and "peanuts" not in json.dumps(manifest)


@pytest.mark.parametrize(
    "argv",
    [
        [
            "meals",
            "rounds",
            "plan",
            "--municipality",
            "37261",
            "--day",
            "2026-03-09",
            "--postman",
            "P",
            "--vehicle",
            "V",
        ],
        [
            "meals",
            "alerts",
            "raise",
            "2026-001",
            "--municipality",
            "37261",
            "--category",
            "health",
            "--severity",
            "low",
            "--note",
            "n",
            "--by",
            "x",
        ],
        ["meals", "beneficiaries", "erase", "2026-001", "--municipality", "37261", "--by", "x"],
        [
            "meals",
            "suspend",
            "2026-001",
            "--municipality",
            "37261",
            "--from",
            "2026-03-12",
            "--resume",
            "2026-03-16",
            "--reason",
            "holiday",
        ],
    ],
)
def test_auditor_is_refused_every_change_and_nothing_is_recorded(
    store: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from domain.application import Maillage
    from domain.store import StoreLocation

    before = Maillage(StoreLocation.parse(store)).last_position()
    assert run(store, *argv, "--role", "auditor") == 2
    err = capsys.readouterr().err
    words = 2 if argv[1] == "suspend" else 3
    assert f"the auditor role is read-only: 'maillage {' '.join(argv[:words])}' would" in err
    assert Maillage(StoreLocation.parse(store)).last_position() == before
    assert run(store, "meals", "beneficiaries", "list", "--role", "auditor") == 0  # reading is fine


def test_a_warm_hand_over_needs_a_named_release(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *plan, "--postman", "L. Petit", "--vehicle", "VAN-12", "--json") == 0
    rid = json.loads(capsys.readouterr().out)["round"][:8]
    assert run(store, "meals", "rounds", "load", rid, "--box", "box-1=probe-7:2.1") == 0
    stop = ["meals", "rounds", "stop", rid, "2026-001", "--municipality", "37261"]
    stop += ["--outcome", "put_in_fridge", "--temperature", "4.2"]
    assert run(store, *stop) == 2
    err = capsys.readouterr().err
    assert re.search(r"stop \d \(file 2026-001\): hand-over at 4.2 °C is above \+3 °C", err)
    assert run(store, *stop, "--released-by", "M. Martin", "--release-reason", "core 2.9 °C") == 0
