"""On a PostgreSQL depot, the web password hashes and browser sessions are tables the owner
creates (``maillage depot init``), the writing roles use, and auditors cannot read."""

from __future__ import annotations

import pytest
from psycopg import errors

from domain.application import Maillage
from domain.people import credentials
from domain.people.credentials import PASSWORDS_TABLE, SECRET_TABLES
from domain.store import StoreLocation
from tests.security.test_depot_roles import Depot, depot, init_depot

__all__ = ["depot"]  # the fixture, used by name


def test_auditors_cannot_read_password_hashes_nor_sessions(
    depot: Depot, capsys: pytest.CaptureFixture[str]
) -> None:
    init_depot(depot, capsys)
    app = Maillage(StoreLocation.parse(depot.url(depot.operator)), create=False)
    try:  # an operator's login sets a password and opens a session: tables made by the owner
        credentials.set_password(app, "claire", "claire's long password", "boss")
        token = credentials.open_session(app, "claire")
        assert credentials.web_login(app, token) == "claire"
    finally:
        app.close()
    with depot.connect(depot.auditor) as conn:
        for table in SECRET_TABLES:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
            conn.rollback()
    with depot.connect(depot.operator) as conn:
        assert conn.execute(f"SELECT login FROM {PASSWORDS_TABLE}").fetchall() == [("claire",)]
