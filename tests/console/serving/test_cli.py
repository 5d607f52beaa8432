"""The command-line faces: ``maillage people password`` and ``maillage serve``'s refusals, and
the SQLite default path that never loads the [serve] extra."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.people import credentials
from domain.store import StoreLocation


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_password_from_stdin_is_set_and_only_an_administrator_sets_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "s.sqlite")
    assert _run(capsys, "--store", store, "store", "init")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("claire's long password\n"))
    code, out, err = _run(
        capsys, "--store", store, "people", "password", "claire", "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "web password of claire set (its open browser sessions are closed)"
    app = Maillage(StoreLocation.parse(store), create=False)
    try:
        assert credentials.verify_password(app, "claire", "claire's long password")
        before = app.last_position()
    finally:
        app.close()
    # A ccas user is refused (one line, nothing recorded).
    monkeypatch.setattr(sys, "stdin", io.StringIO("another long password\n"))
    code, _, err = _run(
        capsys, "--store", store, "--role", "ccas", "--scope", "37261", "people", "password",
        "claire", "--password-stdin",
    )  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "traceback" not in err.lower()
    # Without a terminal and without --password-stdin: refused, one line.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = _run(capsys, "--store", store, "people", "password", "claire")
    assert code == 2 and "--password-stdin" in err
    app = Maillage(StoreLocation.parse(store), create=False)
    try:
        assert app.last_position() == before
        assert credentials.verify_password(app, "claire", "claire's long password")
    finally:
        app.close()


def test_password_typed_twice_must_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "s.sqlite")
    assert _run(capsys, "--store", store, "store", "init")[0] == 0
    typed = iter(["claire's long password", "claire's long passwort"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    code, _, err = _run(capsys, "--store", store, "people", "password", "claire")
    assert code == 2 and "the two passwords differ" in err
    app = Maillage(StoreLocation.parse(store), create=False)
    try:
        assert not credentials.has_password(app, "claire")
    finally:
        app.close()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--host", "0.0.0.0", "--insecure-cookies"], "for a browser on this machine only"),
        (["--port", "70000"], "is not a TCP port"),
        (["--idle-minutes", "0"], "more than 0"),
        (["--public-url", "ccas.example.org"], "must start with https://"),
    ],
)
def test_serve_refuses_unsafe_or_wrong_options_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, _, err = _run(capsys, "--store", str(tmp_path / "s.sqlite"), "serve", *argv)
    assert code == 2 and said in err and err.count("\n") == 1
    assert not (tmp_path / "s.sqlite").exists()  # nothing was opened or made


def test_the_sqlite_default_path_never_loads_the_serve_extra(tmp_path: Path) -> None:
    """Commands and the console's identity check run without aiohttp, textual-serve, argon2."""
    script = (
        "import sys\n"
        "from console.cli import main\n"
        f"main(['--store', {str(tmp_path / 's.sqlite')!r}, 'store', 'init'])\n"
        f"main(['--store', {str(tmp_path / 's.sqlite')!r}, 'store', 'info'])\n"
        "heavy = {'aiohttp', 'argon2', 'textual_serve', 'playwright'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
