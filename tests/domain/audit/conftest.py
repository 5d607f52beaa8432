"""A store written by every write path, and raw SQL access to tamper with it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.application import Maillage
from domain.audit.verify import Report, Verifier
from domain.bulk import creation_events
from domain.store import StoreLocation


class Parcel(MaillageAggregate):
    """A small aggregate of the tests: registered, then weighed again."""

    @event("Registered")
    def __init__(self, label: str, weight_g: int) -> None:
        self.label = label
        self.weight_g = weight_g

    @event("Weighed")
    def weigh(self, weight_g: int) -> None:
        self.weight_g = weight_g


def bulk_parcels(labels: Sequence[str], *, hex_ids: bool) -> list[Any]:
    """Creation events encoded by ``domain.bulk``, ids as hex strings or as UUIDs."""
    rows = []
    for label in labels:
        pid = uuid.uuid5(uuid.NAMESPACE_URL, label)
        rows.append((pid.hex if hex_ids else pid, {"label": label, "weight_g": len(label)}))
    return creation_events(Parcel, Parcel.Registered, rows, clock.now())


def fill(app: Maillage, tag: str = "p") -> int:
    """28 events through ``save`` (single, then edits), ``save_batch`` and ``record_stored``."""
    for i in range(5):
        parcel = Parcel(f"{tag}-saved-{i}", 100 + i)
        app.save(parcel)
        parcel.weigh(200 + i)
        app.save(parcel)
    app.record_stored(bulk_parcels([f"{tag}-hex-{i}" for i in range(8)], hex_ids=True))
    app.record_stored(bulk_parcels([f"{tag}-uuid-{i}" for i in range(4)], hex_ids=False))
    batch = [Parcel(f"{tag}-batch-{i}", i) for i in range(3)]
    for parcel in batch:
        parcel.weigh(1000)
    app.save_batch(batch)
    return 28


@dataclass
class Raw:
    """SQL straight on a store's tables, as someone with database access would tamper."""

    location: StoreLocation

    @property
    def events(self) -> str:
        return "stored_events" if self.location.kind == "sqlite" else "maillage_events"

    @property
    def nid(self) -> str:
        return "rowid" if self.location.kind == "sqlite" else "notification_id"

    def sql(self, statement: str) -> str:
        return statement.format(events=self.events, nid=self.nid)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement (``{events}``, ``{nid}`` filled in) and commit."""
        with self.location.connect() as conn:
            conn.execute(self.sql(statement), params)

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        with self.location.connect() as conn:
            row = conn.fetchone(self.sql(statement), params)
        assert row is not None
        return row

    def event(self, position: int) -> tuple[Any, int, str, bytes]:
        """(originator id, version, topic, state) of the event at a position."""
        oid, version, topic, state = self.fetchone(
            "SELECT originator_id, originator_version, topic, state FROM {events} WHERE {nid} = ?",
            (position,),
        )
        return oid, version, topic, bytes(state)

    def count(self, table: str) -> int:
        return int(self.fetchone(f"SELECT COUNT(*) FROM {table}")[0])


def verify(app: Maillage, **kwargs: Any) -> Report:
    """Verify the application's store to the end."""
    with Verifier.of(app, **kwargs) as verifier:
        return verifier.run()


@pytest.fixture
def app(location: StoreLocation) -> Iterator[Maillage]:
    application = Maillage(location)
    yield application
    application.close()


@pytest.fixture
def raw(location: StoreLocation) -> Raw:
    return Raw(location)


@pytest.fixture
def filled(app: Maillage) -> Maillage:
    """The application with 28 events written by every path."""
    assert fill(app) == 28
    assert app.last_position() == 28
    return app


@dataclass(frozen=True)
class Kit:
    """The helpers above, for test modules (they cannot import a conftest)."""

    Parcel: type[Parcel]
    fill: Callable[..., int]
    bulk_parcels: Callable[..., list[Any]]
    verify: Callable[..., Report]


@pytest.fixture
def kit() -> Kit:
    return Kit(Parcel, fill, bulk_parcels, verify)
