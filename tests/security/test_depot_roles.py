"""Issue #18 item 2: on a PostgreSQL depot the server itself keeps the log append-only.

Real PostgreSQL roles: LOGIN roles made by the test (trust authentication on 127.0.0.1),
group roles under a prefix of the test's own, all dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import psycopg
import pytest
from psycopg import errors

from console.cli import main
from domain.audit.chain import CHAIN_TABLE, INFO_TABLE
from domain.store import PG_LOG_TABLE, StoreLocation

from .logins import dba, logins

LOG_TABLES = (PG_LOG_TABLE, CHAIN_TABLE, INFO_TABLE)


@dataclass(frozen=True)
class Depot:
    owner: StoreLocation
    prefix: str
    operator: str
    auditor: str

    def url(self, login: str) -> str:
        loc = replace(self.owner, user=login)
        return f"postgresql://{login}@{loc.host}:{loc.port}/{loc.dbname}?schema={loc.schema}"

    def connect(self, login: str) -> psycopg.Connection:
        loc = self.owner
        conn = psycopg.connect(host=loc.host, port=loc.port, dbname=loc.dbname, user=login)
        conn.execute(f'SET search_path TO "{loc.schema}"')
        conn.commit()
        return conn


@pytest.fixture
def depot(postgres_location: StoreLocation) -> Iterator[Depot]:
    tag = uuid.uuid4().hex[:8]
    d = Depot(postgres_location, f"t{tag}", f"t{tag}_op", f"t{tag}_aud")
    with logins(postgres_location, d.prefix, *(d.operator, d.auditor)):
        yield d


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def init_depot(depot: Depot, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "depot", "init", "--store", depot.url(depot.owner.user),
        "--group-prefix", depot.prefix,
        "--member", f"{depot.operator}=operator", "--member", f"{depot.auditor}=auditor",
    )  # fmt: skip
    assert code == 0, err
    assert f"{depot.operator} is operator" in out


def test_operator_inserts_through_maillage_but_cannot_alter_the_log(
    depot: Depot, capsys: pytest.CaptureFixture[str]
) -> None:
    init_depot(depot, capsys)
    code, _, err = cli(
        capsys, "devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire",
        "--buyer", "DE", "--line", "Lenovo 300w:laptop:5", "--store", depot.url(depot.operator),
    )  # fmt: skip
    assert code == 0, err
    code, _, err = cli(capsys, "store", "info", "--json", "--store", depot.url(depot.operator))
    assert code == 0, err

    with depot.connect(depot.operator) as conn:
        assert conn.execute(f"SELECT count(*) FROM {PG_LOG_TABLE}").fetchone()[0] >= 2
        conn.rollback()
        for table in LOG_TABLES:
            for statement in (
                f"UPDATE {table} SET {'value' if table == INFO_TABLE else 'notification_id'} = "
                f"{'value' if table == INFO_TABLE else 'notification_id'}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement)
                conn.rollback()
        with pytest.raises(errors.InsufficientPrivilege):  # nor change the schema
            conn.execute(f"ALTER TABLE {PG_LOG_TABLE} DISABLE TRIGGER ALL")
        conn.rollback()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE sneaky (x int)")
        conn.rollback()

    # The owner's privileges do not help either: the trigger refuses the change to everyone.
    with dba(depot.owner) as admin:
        admin.execute(f'SET search_path TO "{depot.owner.schema}"')
        for statement in (f"DELETE FROM {PG_LOG_TABLE}", f"UPDATE {CHAIN_TABLE} SET link = ''",
                          f"TRUNCATE {PG_LOG_TABLE}"):  # fmt: skip
            with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
                admin.execute(statement)

    code, _, err = cli(capsys, "audit", "verify", "--store", depot.url(depot.operator))
    assert code == 0, err


def test_auditor_reads_and_cannot_insert(depot: Depot, capsys: pytest.CaptureFixture[str]) -> None:
    init_depot(depot, capsys)
    code, _, err = cli(
        capsys, "devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire",
        "--buyer", "DE", "--line", "Lenovo 300w:laptop:5", "--store", depot.url(depot.operator),
    )  # fmt: skip
    assert code == 0, err
    with depot.connect(depot.auditor) as conn:
        assert conn.execute(f"SELECT count(*) FROM {PG_LOG_TABLE}").fetchone()[0] >= 2
        conn.rollback()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                f"INSERT INTO {PG_LOG_TABLE} (originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'x', '')"
            )
        conn.rollback()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"INSERT INTO {INFO_TABLE} (key, value) VALUES ('k', 'v')")
        conn.rollback()
    # Even claiming the operator role on the command line, the auditor's login writes nothing.
    code, _, err = cli(
        capsys, "devices", "orders", "add", "CVL-2", "--region", "Centre-Val de Loire",
        "--buyer", "DE", "--line", "Lenovo 300w:laptop:5", "--role", "operator",
        "--store", depot.url(depot.auditor),
    )  # fmt: skip
    assert code != 0 and err.count("\n") == 1 and "internal error" not in err, err
    code, _, err = cli(
        capsys, "audit", "verify", "--role", "auditor", "--store", depot.url(depot.auditor)
    )
    assert code == 0, err


def test_depot_init_refuses_sqlite_and_bad_members(
    depot: Depot, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "depot", "init", "--store", str(tmp_path / "s.sqlite"))
    assert code == 2 and "postgresql://" in err
    code, _, err = cli(
        capsys, "depot", "init", "--store", depot.url(depot.owner.user),
        "--group-prefix", depot.prefix, "--member", "nobody_here_x=operator",
    )  # fmt: skip
    assert code == 2 and "no PostgreSQL login" in err, err
