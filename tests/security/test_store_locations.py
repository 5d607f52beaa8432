"""Issue #18 item 5: store locations are checked before anything is opened, and a store this
account may not write is still read and verified, without writing anything."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli import main
from domain.errors import InvalidInputError
from domain.kek import KEY_DIR_ENV
from domain.store import StoreLocation

NOBODY = 65534


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://127.0.0.1/test?schema=information_schema", "PostgreSQL's own"),
        ("postgresql://127.0.0.1/test?schema=pg_catalog", "PostgreSQL's own"),
        ("postgresql://127.0.0.1/test?schema=pg_toast", "PostgreSQL's own"),
        ("postgresql://127.0.0.1/test?schema=pg_anything", "PostgreSQL's own"),
        ('postgresql://127.0.0.1/test?schema=a"b', "invalid PostgreSQL schema name"),
        ("postgresql://127.0.0.1/test?schema=Upper", "invalid PostgreSQL schema name"),
        (f"postgresql://127.0.0.1/test?schema={'a' * 64}", "invalid PostgreSQL schema name"),
        ("postgresql://127.0.0.1/test?connect_timeout=abc", "invalid connect_timeout 'abc'"),
        ("postgresql://127.0.0.1/test?connect_timeout=-1", "invalid connect_timeout"),
        ("postgresql://127.0.0.1/test?connect_timeout=%C2%B2", "invalid connect_timeout"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_bad_store_locations_are_one_line(
    url: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        StoreLocation.parse(url)
    assert main(["store", "info", "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("maillage: error: ") and err.count("\n") == 1, err
    assert problem in err


@pytest.fixture
def read_only_copy(tmp_path: Path, private_key_dir: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A store with an order, copied to a folder of its own, both made read-only, and an
    environment where the unprivileged account ``nobody`` has the store's key."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as an account that cannot write")
    probe = as_nobody(dict(os.environ), "--version")
    if probe.returncode != 0:  # e.g. a virtual environment in a folder only root may enter
        pytest.skip(f"the account nobody cannot run this Python environment: {probe.stderr[-200:]}")
    store = tmp_path / "store.sqlite"
    order = ["devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire",
             "--buyer", "DE", "--line", "Lenovo 300w:laptop:5"]  # fmt: skip
    assert main([*order, "--store", str(store)]) == 0
    # The store's administrator (this account) lets the account nobody work on it.
    assert main(["people", "grant", "nobody", "--role", "operator", "--store", str(store)]) == 0
    home = Path(tempfile.mkdtemp(prefix="maillage-ro-"))
    try:
        os.chmod(home, 0o755)
        keys, checkpoints, folder = home / "keys", home / "checkpoints", home / "store"
        for d in (keys, checkpoints, folder):
            d.mkdir()
        for key in private_key_dir.glob("*.key"):
            shutil.copy2(key, keys / key.name)
            os.chown(keys / key.name, NOBODY, NOBODY)
        os.chown(keys, NOBODY, NOBODY)
        os.chown(checkpoints, NOBODY, NOBODY)
        copy = folder / "store.sqlite"
        for companion in ("", "-wal"):  # as a backup copies it, its write-ahead log too
            if Path(f"{store}{companion}").exists():
                shutil.copy2(f"{store}{companion}", f"{copy}{companion}")
        for path in (*folder.iterdir(), folder):
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        env = {**os.environ, KEY_DIR_ENV: str(keys), "MAILLAGE_CHECKPOINT_DIR": str(checkpoints),
               "HOME": str(home)}  # fmt: skip
        yield copy, env
    finally:
        shutil.rmtree(home, ignore_errors=True)


def as_nobody(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-m", "console.cli", *argv],
        capture_output=True, text=True, env=env, timeout=120, cwd="/",
    )  # fmt: skip


def test_a_read_only_store_is_verified_and_read_without_writing(
    read_only_copy: tuple[Path, dict[str, str]],
) -> None:
    copy, env = read_only_copy
    before = {p.name: p.read_bytes() for p in copy.parent.iterdir()}
    for argv, expected in (
        (("audit", "verify"), "chain"),
        (("store", "info"), "maillage store"),
        (("devices", "orders", "list"), "order CVL-1"),
        (("audit", "events"), "PurchaseOrder"),
    ):
        done = as_nobody(env, "--store", str(copy), *argv)
        assert done.returncode == 0, (argv, done.stderr)
        assert expected in done.stdout, (argv, done.stdout)
        assert "internal error" not in done.stderr
    done = as_nobody(env, "--store", str(copy), "views", "update")
    assert done.returncode == 2 and "read-only for this account" in done.stderr
    assert done.stderr.count("\n") == 1
    # Nothing was written: the same files, byte for byte (no -wal, no -shm, no journal).
    assert {p.name: p.read_bytes() for p in copy.parent.iterdir()} == before
