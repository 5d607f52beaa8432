"""The command line: exit codes, one-line messages, JSON output, on real stores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from domain.store import StoreLocation


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``maillage`` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("maillage 0.")
    for argv in (
        ["--help"],
        ["store", "--help"],
        ["views", "rebuild", "--help"],
        ["demo", "--help"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        assert "usage: maillage" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["views"], "the following arguments are required: ACTION"),
        (["views", "update", "--batch-size", "0"], "0 must be at least 1"),
        (["views", "update", "--batch-size", "many"], "'many' is not a whole number"),
        (["store", "info", "--role", "mayor"], "invalid choice: 'mayor'"),
    ],
)
def test_bad_usage_exits_2_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("postgresql://127.0.0.1:1/test", "cannot reach PostgreSQL at 127.0.0.1:1/test"),
        (
            "/proc/maillage/store.sqlite",
            "cannot open the SQLite store at /proc/maillage/store.sqlite",
        ),
        ("/etc/hostname/store.sqlite", "/etc/hostname is not a folder"),
        ("mysql://db/depot", "unsupported store URL scheme 'mysql'"),
    ],
)
def test_unusable_store_is_one_line_exit_2(store: str, message: str) -> None:
    result = run_cli("store", "init", "--store", store)
    assert result.returncode == 2
    assert result.stderr.startswith("maillage: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert result.stdout == ""


def test_debug_shows_the_traceback() -> None:
    result = run_cli("store", "info", "--store", "/etc/hostname/x.sqlite", "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "StoreUnavailableError" in result.stderr


def test_store_from_environment(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "MAILLAGE_STORE": str(tmp_path / "env.sqlite"), "MAILLAGE_ROLE": "auditor"}
    assert run_cli("store", "init", env={**env, "MAILLAGE_ROLE": "operator"}).returncode == 0
    result = run_cli("store", "info", "--json", env=env)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["location"] == f"sqlite:{tmp_path / 'env.sqlite'}"
    assert info["role"] == "auditor"
    assert (tmp_path / "env.sqlite").exists()


def test_store_info_and_views_on_both_backends(
    location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(location.path) if location.kind == "sqlite" else location_url(location)
    assert main(["demo", "--no-tui", "--store", store]) == 0
    capsys.readouterr()

    assert main(["store", "info", "--json", "--store", store]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["backend"] == location.kind
    events = info["last_position"]
    assert info["events"] == events > 20_000  # 20,000 devices, schools, meal rounds
    assert {v["behind"] for v in info["views"].values()} == {0}

    assert main(["views", "rebuild", "--json", "--store", store]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert rebuilt["applied"] > events  # several views read the same events
    assert set(rebuilt["views"].values()) == {events}

    # Running the demo again reuses the store: nothing is added.
    assert main(["demo", "--no-tui", "--store", store]) == 0
    capsys.readouterr()
    assert main(["store", "info", "--json", "--store", store]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == events


def location_url(location: StoreLocation) -> str:
    return (
        f"postgresql://{location.user}@{location.host}:{location.port}/{location.dbname}"
        f"?schema={location.schema}"
    )


def test_store_info_table_for_people(tmp_path: Path) -> None:
    assert run_cli("store", "init", "--store", str(tmp_path / "people.sqlite")).returncode == 0
    result = run_cli("store", "info", "--store", str(tmp_path / "people.sqlite"))
    assert result.returncode == 0
    assert "backend" in result.stdout and "sqlite" in result.stdout
    assert "view devices" in result.stdout and "up to date" in result.stdout
