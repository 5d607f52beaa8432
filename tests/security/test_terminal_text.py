"""Issue #18 item 4: newlines and terminal escape sequences never reach an auditor's terminal
raw — refused at input (--user, --by, notes, names, serials), shown escaped when already stored
(``audit events``)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.audit.command_record import Actor
from domain.devices import service as devices
from domain.devices.purchase_order import OrderLine
from domain.store import StoreLocation

ORDER = ["devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire", "--buyer", "DE",
         "--line", "Lenovo 300w:laptop:5"]  # fmt: skip


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["--user", "alice\n    3  2026-03-02 09:00  forged line", *ORDER],
        ["--user", "\x1b[32malice\x1b[0m", *ORDER],
        [*ORDER[:3], "CVL\x002", *ORDER[4:]],
        [*ORDER[:-1], "Lenovo\x1b]8;;http://x\x07 300w:laptop:5"],
    ],
)
def test_control_characters_are_refused_at_input(tmp_path: Path, argv: list[str]) -> None:
    store = tmp_path / "store.sqlite"
    code, out, err = run("--store", str(store), *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "holds a control character (U+" in err and "\x1b" not in err and "\x00" not in err
    assert not store.exists()  # refused before anything was opened


def test_the_user_from_the_environment_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_USER", "eve\x1b[2J")
    code, _, err = run("--store", str(tmp_path / "s.sqlite"), *ORDER)
    assert code == 2 and "$MAILLAGE_USER holds a control character (U+001B)" in err


def test_audit_events_shows_stored_control_characters_escaped(tmp_path: Path) -> None:
    """A store written by an older version (or by hand) may hold them: shown, not obeyed."""
    store = tmp_path / "store.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    app.act_as(Actor("operator", "mallory\n    99  fake line\x1b[31m", None), "devices orders add")
    line = OrderLine("Lenovo 300w", "laptop", 5)
    devices.record_purchase_order(app, "CVL-1", "Centre-Val de Loire", "DE", [line], "x")
    app.close()
    code, out, err = run("--store", str(store), "audit", "events")
    assert code == 0, err
    assert "\x1b" not in out and "fake line" in out
    assert "mallory\\n    99  fake line\\x1b[31m (operator)" in out
    assert not any(line.lstrip().startswith("99  fake") for line in out.splitlines())
