"""No store is created by accident: reading commands refuse a missing store and make nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from eventsourcing.persistence import InfrastructureFactoryError

from console.cli import main
from domain.application import Maillage
from domain.errors import StoreUnavailableError
from domain.store import StoreLocation

ADD_TOURS = (
    *("meals", "municipality", "add", "--insee", "37261", "--name", "Tours"),
    *("--depot", "PPDC Tours", "--ccas", "CCAS de Tours", "--bracket", "all::790:210"),
)


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


@pytest.mark.parametrize(
    "argv",
    [
        ["store", "info"],
        ["meals", "beneficiaries", "list"],
        ["devices", "list"],
        ["audit", "verify"],
        ["--role", "auditor", "meals", "beneficiaries", "list"],
        [],  # the console itself
    ],
)
def test_a_reading_command_refuses_a_missing_store_and_creates_nothing(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "no" / "such" / "x.sqlite"
    code = main(["--store", str(store), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert f"there is no store at sqlite:{store}" in err or "read-only" in err
    assert _files(tmp_path) == []


def test_the_console_with_no_store_says_how_to_create_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--store", str(tmp_path / "mine.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and "maillage store init" in err and "maillage demo" in err
    assert _files(tmp_path) == []


def test_store_init_creates_a_store_that_reading_commands_then_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "depot" / "maillage.sqlite"
    assert main(["--store", str(store), "store", "init"]) == 0
    assert store.is_file()
    assert main(["--store", str(store), "store", "info", "--json"]) == 0
    assert main(["--store", str(store), "store", "init"]) == 0
    assert "already exists" in capsys.readouterr().out


def test_a_writing_command_creates_the_store(tmp_path: Path) -> None:
    store = tmp_path / "w.sqlite"
    assert main(["--store", str(store), *ADD_TOURS]) == 0
    assert store.is_file()


def test_an_empty_store_option_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--store", "", "store", "info"]) == 2
    assert "--store is empty" in capsys.readouterr().err


def test_a_failed_first_open_leaves_nothing_behind(tmp_path: Path) -> None:
    """The library fails to open the store after its file was made: file and folders go."""
    store = tmp_path / "new" / "deeper" / "x.sqlite"
    with pytest.raises(InfrastructureFactoryError):
        Maillage(StoreLocation.parse(str(store)), env={"PERSISTENCE_MODULE": "no.such.module"})
    assert _files(tmp_path) == []


def test_missing_postgres_store_is_refused_without_creating_a_schema(
    postgres_location: StoreLocation,
) -> None:
    with pytest.raises(StoreUnavailableError, match="there is no store at postgresql://"):
        Maillage(postgres_location, create=False)
    with postgres_location.connect() as conn:
        found = conn.fetchone(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?",
            (postgres_location.schema,),
        )
    assert found is None


_NO_POSTGRES = """
import importlib.abc, sys
class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith(("psycopg.", "psycopg_")):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Absent())
from console.cli import main
code = main(sys.argv[1:])
assert "psycopg" not in sys.modules and "eventsourcing.postgres" not in sys.modules
sys.exit(code)
"""


def _without_psycopg(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-c", _NO_POSTGRES, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_the_sqlite_path_imports_no_postgresql_code(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite")
    add = [*ADD_TOURS]
    for argv in (add, ["store", "info"], ["views", "update"], ["audit", "verify"]):
        result = _without_psycopg("--store", store, *argv)
        assert result.returncode == 0, result.stderr


def test_a_postgresql_store_without_the_extra_names_what_to_install(tmp_path: Path) -> None:
    result = _without_psycopg("--store", "postgresql://127.0.0.1/test", "store", "info")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert 'pip install "maillage[postgres]"' in result.stderr
