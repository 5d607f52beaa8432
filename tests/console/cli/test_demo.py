"""The demo: alive on the day it is built, and never built over a real store."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from console.cli import main
from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.demo_store import demo_mark
from domain.meals.views import meals_today
from domain.sensing.service import sessions_summary
from domain.store import StoreLocation, ViewConnection
from tests.console.conftest import DEMO_TODAY


def _open(path: Path) -> Maillage:
    return Maillage(StoreLocation.parse(str(path)), create=False)


def test_the_demo_is_alive_on_its_day(demo_store: Path) -> None:
    """Rounds of the day under way with some stops done, an overdue alert, a processed
    session whose segments are on the map, as of the moment it was built."""
    app = _open(demo_store)
    conn = ViewConnection.open(app.location)
    try:
        day = DEMO_TODAY.astimezone(PARIS).date().isoformat()
        figures = meals_today(conn, day, DEMO_TODAY)
        segments = conn.fetchone("SELECT COUNT(*) FROM segments_view")
        status = conn.fetchall("SELECT status FROM segment_sessions_view")
    finally:
        conn.close()
    assert figures.rounds >= 2 and figures.rounds_under_way == figures.rounds
    assert 0 < figures.meals_delivered < figures.meals_planned
    assert figures.overdue_alerts >= 1
    sessions = sessions_summary(app)
    assert sessions.total == 1 and sessions.processed == 1
    assert segments is not None and segments[0] > 0
    assert [s for (s,) in status] == ["ok"]


def test_the_demo_refuses_a_store_with_real_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "prod.sqlite"
    assert main(["--store", str(store), "store", "init"]) == 0
    before = store.read_bytes()
    assert main(["--store", str(store), "demo", "--fresh", "--no-tui", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "is not a demo store" in err and err.count("\n") == 1
    assert store.read_bytes() == before


@pytest.mark.parametrize("role", [["--role", "auditor"], ["--role", "ccas", "--scope", "37261"]])
def test_the_demo_is_refused_to_reading_roles(
    demo_store: Path, role: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _open(demo_store).last_position()
    assert main([*role, "--store", str(demo_store), "demo", "--fresh", "--no-tui"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert _open(demo_store).last_position() == before


def test_fresh_asks_first_on_a_terminal(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _open(demo_store).last_position()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _: "n")
    with clock.using_clock(clock.FixedClock(DEMO_TODAY)):
        assert main(["--store", str(demo_store), "demo", "--fresh", "--no-tui"]) == 0
    assert "nothing changed" in capsys.readouterr().err
    assert _open(demo_store).last_position() == before


@pytest.mark.slow
def test_a_demo_of_another_day_is_built_again_for_today(
    demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journals = demo_store.parent / "journals"
    old = sorted(p.name for p in journals.glob("demo-*.journal"))
    next_day = DEMO_TODAY + timedelta(days=1)
    with clock.using_clock(clock.FixedClock(next_day)):
        assert main(["--store", str(demo_store), "demo", "--no-tui"]) == 0
    assert "building it again for" in capsys.readouterr().err
    mark = demo_mark(_open(demo_store))
    assert mark is not None and mark.finished
    assert mark.built_for == next_day.astimezone(PARIS).date().isoformat()
    new = sorted(p.name for p in journals.glob("demo-*.journal"))
    assert len(new) == 1 and new != old  # the old day's journal went with the old store


def test_the_demo_folder_copy_keeps_its_results(demo_store: Path, tmp_path: Path) -> None:
    """A copy of the demo with its folders is whole: the view finds the results file."""
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(demo_store, copy / "demo.sqlite")
    shutil.copytree(demo_store.parent / "results", copy / "results")
    assert main(["--store", str(copy / "demo.sqlite"), "views", "rebuild"]) == 0
