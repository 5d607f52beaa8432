"""PostgreSQL LOGIN roles for the security tests: made for one test, dropped after it with the
test's schema and the depot's group roles (roles belong to the whole cluster, not a schema)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from domain.store import StoreLocation

MAILLAGE_ROLES = ("operator", "technician", "ccas", "auditor")


def dba(location: StoreLocation) -> psycopg.Connection:
    """A connection as the database administrator of the test server (autocommit)."""
    return psycopg.connect(
        host=location.host, port=location.port, dbname=location.dbname, user=location.user,
        autocommit=True,
    )  # fmt: skip


@contextmanager
def logins(location: StoreLocation, prefix: str, *names: str) -> Iterator[None]:
    """LOGIN roles ``names`` for the block; then the schema, the logins and the depot's group
    roles ``<prefix>_<role>`` are dropped, whatever the test made of them."""
    with dba(location) as admin:
        for login in names:
            admin.execute(f'CREATE ROLE "{login}" LOGIN')
    try:
        yield
    finally:
        with dba(location) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')
            for role in (*names, *(f"{prefix}_{r}" for r in MAILLAGE_ROLES)):
                if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    admin.execute(f'DROP OWNED BY "{role}"')
                    admin.execute(f'DROP ROLE "{role}"')
