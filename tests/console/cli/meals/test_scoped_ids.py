"""Issue #18 item 4 (security suite, here for the two-town fixtures): ids are matched
literally, and a ccas user learns nothing of another municipality's alerts — the same
answer for one of theirs as for an id that does not exist, and counts of its own only."""

from __future__ import annotations

import pytest

from console.cli import main
from domain.application import Maillage
from domain.meals import service as meals
from domain.meals.views import meals_today
from domain.store import StoreLocation, ViewConnection

from ...helpers import SAINT_CYR


def answer(store: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main([*argv, "--store", store])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("typed", ["%%%%%%", "______", "%_%_%_%", "0%%%%%", "%" * 36])
def test_like_wildcards_match_nothing(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    store, _, _ = two_towns
    code, err = answer(store, capsys, "meals", "alerts", "show", typed)
    assert code == 2 and err == f"maillage: error: no welfare alert with id {typed!r}\n"


def test_a_foreign_id_gets_the_answer_of_a_missing_one(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, tours_alert, saint_cyr_alert = two_towns
    ccas = ("--role", "ccas", "--scope", SAINT_CYR)
    # As the inbox shows them: references (W- and the id's first hex digits).
    missing = "W-ffffff" if not tours_alert.upper().startswith("W-FFFFFF") else "W-eeeeee"
    for action in (("show",), ("ack", "--by", "Mme Roy")):
        foreign = answer(store, capsys, "meals", "alerts", action[0], tours_alert,
                         *action[1:], *ccas)  # fmt: skip
        nowhere = answer(store, capsys, "meals", "alerts", action[0], missing, *action[1:], *ccas)
        assert foreign[0] == nowhere[0] == 2
        assert foreign[1].replace(tours_alert, "ID") == nowhere[1].replace(missing, "ID")
    assert answer(store, capsys, "meals", "alerts", "show", saint_cyr_alert, *ccas)[0] == 0


def test_counts_of_a_scoped_user_are_its_own(two_towns: tuple[str, str, str], fixed_clock) -> None:
    store, _, _ = two_towns
    app = Maillage(StoreLocation.parse(store))
    try:
        meals.alert_rows(app)  # the views up to date
        conn = ViewConnection.open(app.location)
        try:
            day = fixed_clock.now().date().isoformat()
            everyone = meals_today(conn, day, fixed_clock.now())
            own = meals_today(conn, day, fixed_clock.now(), SAINT_CYR)
        finally:
            conn.close()
    finally:
        app.close()
    assert (everyone.open_alerts, own.open_alerts) == (2, 1)
