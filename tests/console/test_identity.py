"""Who works is proven: the account (not $USER), a browser session only when the store knows
its token, --user/$MAILLAGE_USER an assertion of the proven identity, never a choice."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from console.cli import main
from console.identity import WEB_SESSION_ENV, os_login, prove
from domain.store import StoreLocation


def test_the_account_is_the_process_user_not_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    account = pwd.getpwuid(os.getuid()).pw_name
    assert os_login() == account != "mallory"
    identity = prove(StoreLocation.parse(str(tmp_path / "s.sqlite")), None)
    assert (identity.login, identity.source) == (account, "the operating-system account")


def test_an_unknown_browser_session_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.sqlite")
    assert main(["store", "init", "--store", store]) == 0
    capsys.readouterr()
    monkeypatch.setenv(WEB_SESSION_ENV, "forged-token")
    assert main(["store", "info", "--store", store]) == 2
    err = capsys.readouterr().err
    assert err == "maillage: error: the browser session is unknown or has ended: log in again\n"


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_declared_user_must_be_the_proven_one(
    how: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s.sqlite")
    claim = ["--user", "mallory"] if how == "flag" else []
    if how == "environment":
        monkeypatch.setenv("MAILLAGE_USER", "mallory")
    assert main(["store", "init", "--store", store, *claim]) == 2
    err = capsys.readouterr().err
    assert "'mallory' is not who you are: this runs as" in err and err.count("\n") == 1
    assert not Path(store).exists()  # refused before anything was made
    monkeypatch.setenv("MAILLAGE_USER", os_login())  # naming oneself is fine
    assert main(["store", "init", "--store", store]) == 0
