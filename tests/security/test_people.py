"""Issue #18 item 1: who works is proven, roles are granted, not claimed.

On PostgreSQL with real LOGIN roles (trust authentication on 127.0.0.1, dropped afterwards):
the database login is the identity; a ccas grant for one town can act neither as operator nor
for another town; a login the database lets in but maillage never granted is refused; the
command record names the login. On SQLite, the operating-system account: a process run as the
account ``nobody`` is refused until the store's administrator grants it a role."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.audit.command_record import commands_at
from domain.store import StoreLocation

from ..console.helpers import GOOD, write
from .logins import dba, logins
from .test_store_locations import as_nobody

TOURS, SAINT_CYR = "37261", "37214"


@dataclass(frozen=True)
class Depot:
    owner: StoreLocation
    prefix: str
    alice: str
    mallory: str

    def url(self, login: str) -> str:
        loc = replace(self.owner, user=login)
        return f"postgresql://{login}@{loc.host}:{loc.port}/{loc.dbname}?schema={loc.schema}"


@pytest.fixture
def depot(postgres_location: StoreLocation) -> Iterator[Depot]:
    tag = uuid.uuid4().hex[:8]
    d = Depot(postgres_location, f"t{tag}", f"maillage_t_alice_{tag}", f"maillage_t_mallory_{tag}")
    with logins(postgres_location, d.prefix, *(d.alice, d.mallory)):
        yield d


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def positions(location: StoreLocation) -> int:
    app = Maillage(location, create=False)
    try:
        return app.last_position()
    finally:
        app.close()


def test_on_postgresql_the_database_login_works_as_granted_only(
    depot: Depot, tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_clock: object
) -> None:
    owner = depot.url(depot.owner.user)
    # The owner creates the depot (and so becomes its administrator); alice is granted ccas of
    # Tours in the log and in the database; mallory only gets the database's operator group.
    code, out, err = cli(
        capsys, "depot", "init", "--store", owner, "--group-prefix", depot.prefix,
        "--member", f"{depot.alice}=ccas:{TOURS}",
    )  # fmt: skip
    assert code == 0, err
    with dba(depot.owner) as admin:
        admin.execute(f'GRANT "{depot.prefix}_operator" TO "{depot.mallory}"')
    for argv in (
        ["meals", "municipality", "add", "--insee", TOURS, "--name", "Tours", "--depot", "PPDC",
         "--ccas", "c", "--bracket", "low:12000:450:150", "--bracket", "high::790:210"],
        ["meals", "beneficiaries", "import", str(write(tmp_path, GOOD)), "--municipality", TOURS],
        ["meals", "alerts", "raise", "2026-002", "--municipality", TOURS, "--category", "health",
         "--severity", "high", "--note", "Fell", "--by", "L. Petit"],
    ):  # fmt: skip
        code, out, err = cli(capsys, *argv, "--store", owner)
        assert code == 0, (argv, err)
    alert = out.split()[2]
    code, out, _ = cli(capsys, "people", "list", "--json", "--store", owner)
    held = {p["login"]: [(r["role"], r["scope"]) for r in p["roles"]] for p in json.loads(out)}
    assert held == {depot.owner.user: [("admin", None)], depot.alice: [("ccas", TOURS)]}

    alice = depot.url(depot.alice)
    before = positions(depot.owner)
    order = ["devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire",
             "--buyer", "DE", "--line", "Lenovo 300w:laptop:5"]  # fmt: skip
    for argv, problem in (
        ([*order, "--role", "operator"], f"{depot.alice} may not work as operator"),
        ([*order], "the ccas role handles welfare alerts"),
        (["meals", "alerts", "list", "--scope", SAINT_CYR], f"may not work as ccas of {SAINT_CYR}"),
        (["meals", "alerts", "list", "--role", "ccas", "--scope", SAINT_CYR], "may not work as"),
        (["people", "grant", depot.alice, "--role", "operator"], "only an administrator"),
        (
            ["meals", "alerts", "ack", alert[:8], "--by", "x", "--user", depot.owner.user],
            "is not who you are",
        ),
    ):
        code, out, err = cli(capsys, *argv, "--store", alice)
        assert code == 2 and out == "" and err.count("\n") == 1, (argv, err)
        assert problem in err, (argv, err)
    assert positions(depot.owner) == before  # refused before the store changed

    # mallory: the database lets her in and would let her insert; maillage never granted her.
    code, _, err = cli(capsys, *order, "--store", depot.url(depot.mallory))
    assert code == 2 and f"{depot.mallory} has no role on this store: ask an administrator" in err
    assert f"maillage people grant {depot.mallory} --role ROLE" in err
    assert positions(depot.owner) == before

    # alice does what she was granted, and the log names her login (no flag said it).
    code, out, err = cli(
        capsys, "meals", "alerts", "ack", alert[:8], "--by", "A. Roy", "--store", alice
    )
    assert code == 0, err
    app = Maillage(depot.owner, create=False)
    try:
        last = app.last_position()
        record = commands_at(app, [last])[last]
    finally:
        app.close()
    assert (record.user, record.role, record.scope, record.command) == (
        depot.alice, "ccas", TOURS, "meals alerts ack",
    )  # fmt: skip

    # Revoked, she is refused too.
    code, _, err = cli(capsys, "people", "revoke", depot.alice, "--role", "ccas", "--scope", TOURS,
                       "--reason", "left the CCAS", "--store", owner)  # fmt: skip
    assert code == 0, err
    code, _, err = cli(capsys, "meals", "alerts", "list", "--store", alice)
    assert code == 2 and "has no role on this store" in err


@pytest.fixture
def nobody_home() -> Iterator[Path]:
    """A folder the account nobody may use, where it can run maillage (skipped where not)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another account")
    probe = as_nobody(dict(os.environ), "--version")
    if probe.returncode != 0:  # e.g. a virtual environment in a folder only root may enter
        pytest.skip(f"the account nobody cannot run this Python environment: {probe.stderr[-200:]}")
    home = Path(tempfile.mkdtemp(prefix="maillage-people-"))
    try:
        os.chmod(home, 0o777)
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_on_sqlite_the_operating_system_account_is_who_works(nobody_home: Path) -> None:
    store = nobody_home / "depot.sqlite"
    order = ["devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire",
             "--buyer", "DE", "--line", "Lenovo 300w:laptop:5"]  # fmt: skip
    assert main([*order, "--store", str(store)]) == 0  # this account creates it: its admin
    for path in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
        if path.exists():
            os.chmod(path, 0o666)  # the file lets nobody write: only a grant may
    before = positions(StoreLocation.parse(str(store)))

    # $USER, $LOGNAME, --user and --role declare nothing.
    env = {**os.environ, "HOME": str(nobody_home), "USER": "root", "LOGNAME": "root",
           "MAILLAGE_CHECKPOINT_DIR": str(nobody_home / "checkpoints")}  # fmt: skip
    other = [*order[:-1], "Dell:laptop:1"]
    for argv in (other, ["--role", "admin", *other], ["--user", "root", *other]):
        done = as_nobody(env, "--store", str(store), *argv)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "internal error" not in done.stderr
        assert (
            "nobody has no role on this store: ask an administrator" in done.stderr
            or "--user 'root' is not who you are: this runs as 'nobody'" in done.stderr
        ), done.stderr
    assert positions(StoreLocation.parse(str(store))) == before

    assert main(["people", "grant", "nobody", "--role", "auditor", "--store", str(store)]) == 0
    done = as_nobody(env, "--store", str(store), "devices", "orders", "list")
    assert done.returncode == 0 and "CVL-1" in done.stdout, done.stderr
    done = as_nobody(env, "--store", str(store), "--role", "operator", *other)
    assert done.returncode == 2
    assert "nobody may not work as operator: granted auditor" in done.stderr
