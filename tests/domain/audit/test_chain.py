"""The chain is extended by every write path, atomically, and survives erasure and old stores."""

from __future__ import annotations

import contextlib
import hashlib
import struct
import threading
import uuid

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import event
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.application import Maillage
from domain.audit.chain import (
    CHAIN_START_TOPIC,
    CHAIN_TABLE,
    GENESIS,
    INFO_TABLE,
    AuditChainError,
    canonical_id,
    chain_link,
    chain_links,
)
from domain.errors import ConcurrentEditError
from domain.personal import ERASED, Erasure, Personal
from domain.store import StoreLocation

OID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
TOPIC = "domain.devices.device:Device.Announced"
STATE = b'{"timestamp":"x","serial":"\xc3\xa9"}'


def test_the_link_is_the_documented_formula() -> None:
    oid, topic = OID.hex.encode(), TOPIC.encode()
    expected = hashlib.sha256(
        GENESIS + struct.pack(">QqII", 42, 3, len(oid), len(topic)) + oid + topic + STATE
    ).digest()

    assert chain_link(GENESIS, 42, OID, 3, TOPIC, STATE) == expected
    assert hashlib.sha256(b"maillage audit chain v1").digest() == GENESIS


def test_every_spelling_of_a_uuid_gives_the_same_link() -> None:
    spellings = [OID, OID.hex, str(OID), str(OID).upper(), OID.hex.upper(), f"{{{OID}}}"]
    links = {chain_link(GENESIS, 1, s, 1, TOPIC, STATE) for s in spellings}
    assert len(links) == 1
    assert canonical_id("not-a-uuid") == "not-a-uuid"
    assert chain_link(GENESIS, 1, "not-a-uuid", 1, TOPIC, STATE) not in links


def test_each_field_and_the_previous_link_change_the_link() -> None:
    base = (GENESIS, 1, OID, 1, TOPIC, STATE)
    variants = [
        (bytes(32), 1, OID, 1, TOPIC, STATE),
        (GENESIS, 2, OID, 1, TOPIC, STATE),
        (GENESIS, 1, uuid.uuid4(), 1, TOPIC, STATE),
        (GENESIS, 1, OID, 2, TOPIC, STATE),
        (GENESIS, 1, OID, 1, TOPIC + "x", STATE),
        (GENESIS, 1, OID, 1, TOPIC, STATE + b" "),
        # the same bytes split differently between topic and state
        (GENESIS, 1, OID, 1, TOPIC[:-1], TOPIC[-1:].encode() + STATE),
    ]
    links = {chain_link(*v) for v in variants}
    assert chain_link(*base) not in links and len(links) == len(variants)
    rows = [(1, OID, 1, TOPIC, STATE), (2, OID, 2, TOPIC, STATE)]
    assert chain_links(GENESIS, rows)[1] == chain_link(chain_link(GENESIS, *rows[0]), *rows[1])


def test_bulk_writes_of_thousands_produce_a_verifying_chain(app: Maillage, raw, kit) -> None:
    for b in range(3):
        ids = app.record_stored(
            kit.bulk_parcels([f"bulk-{b}-{i}" for i in range(1000)], hex_ids=b % 2 == 0)
        )
        assert ids == list(range(b * 1000 + 1, b * 1000 + 1001))
    batch = [kit.Parcel(f"batch-{i}", i) for i in range(500)]
    assert app.save_batch(batch) == list(range(3001, 3501))

    report = kit.verify(app, batch_size=700)

    assert report.intact, report.finding
    assert (report.events, report.last_position) == (3500, 3500)
    assert raw.count(CHAIN_TABLE) == 3500


def test_a_refused_write_leaves_no_link_and_gaps_are_not_deletions(app: Maillage, raw, kit) -> None:
    """A duplicate rolls back whole; PostgreSQL's sequence keeps a gap that verifies."""
    app.record_stored(kit.bulk_parcels(["a", "b"], hex_ids=True))
    with pytest.raises(IntegrityError):
        app.record_stored(kit.bulk_parcels(["c", "a"], hex_ids=True))
    app.record_stored(kit.bulk_parcels(["d"], hex_ids=False))

    assert raw.count(raw.events) == 3 and raw.count(CHAIN_TABLE) == 3
    expected_last = 5 if raw.location.kind == "postgres" else 3  # the sequence moved on
    assert app.last_position() == expected_last
    report = kit.verify(app)
    assert report.intact, report.finding
    assert (report.events, report.last_position) == (3, expected_last)


def test_concurrent_writers_on_every_path_produce_one_verifying_chain(
    location: StoreLocation, raw, kit
) -> None:
    writers, rounds = 4, 5
    Maillage(location).close()  # the store exists before the writers race
    shared = kit.Parcel("shared", 0)
    setup = Maillage(location)
    setup.save(shared)
    setup.close()
    start = threading.Barrier(writers, timeout=120)
    errors: list[BaseException] = []

    def write(w: int) -> None:
        app = Maillage(location)
        try:
            start.wait()
            for r in range(rounds):
                app.save(kit.Parcel(f"w{w}r{r}", r))
                app.record_stored(
                    kit.bulk_parcels([f"w{w}r{r}b{i}" for i in range(40)], hex_ids=w % 2 == 0)
                )
                app.save_batch([kit.Parcel(f"w{w}r{r}s{i}", i) for i in range(3)])
                with contextlib.suppress(ConcurrentEditError):  # everyone edits one parcel
                    app.edit(shared.id, kit.Parcel, lambda p, r=r: p.weigh(r))
        except BaseException as e:  # reported below
            errors.append(e)
            start.abort()
        finally:
            app.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    app = Maillage(location)
    report = kit.verify(app, batch_size=97)
    events = raw.count(raw.events)
    assert report.intact, report.finding
    assert events >= 1 + writers * rounds * (1 + 40 + 3)
    assert report.events == events == raw.count(CHAIN_TABLE)
    assert report.last_position == app.last_position()
    app.close()


class Person(MaillageAggregate):
    """A test aggregate with a sealed personal field."""

    @event("Registered")
    def __init__(self, name: Personal, municipality: str) -> None:
        self.name = name
        self.municipality = municipality


def test_erasing_a_person_keeps_the_chain_verifying(app: Maillage, raw, kit) -> None:
    kit.fill(app)
    jeanne = Person(Personal(uuid.uuid4(), {"first": "Jeanne"}), "Tours")
    louis = Person(Personal(uuid.uuid4(), {"first": "Louis"}), "Tours")
    app.save(jeanne, louis)
    before = raw.event(29)

    assert app.erase_subject(Erasure(jeanne.name.subject, "the person", clock.now(), "DPO")) is True

    assert app.repository.get(jeanne.id).name.value == ERASED
    assert raw.event(29) == before  # the log is untouched: only the key is gone
    report = kit.verify(app)
    assert report.intact, report.finding
    assert (report.events, report.last_position) == (30, 30)


class Legacy(Application):
    """The library's own application on maillage's tables: a store from before the chain."""

    name = "maillage"


def legacy_env(location: StoreLocation) -> dict[str, str]:
    env = location.library_env()
    del env["APPLICATION_RECORDER_TOPIC"]
    return env


def test_a_store_from_before_the_chain_is_linked_once_on_first_open(
    location: StoreLocation, raw, kit
) -> None:
    location.prepare()
    old = Legacy(env=legacy_env(location))
    old.save(*[kit.Parcel(f"old-{i}", i) for i in range(12)])
    old.close()
    with location.connect() as conn:
        assert not conn.table_exists(CHAIN_TABLE)
        assert conn.table_exists(raw.events)

    app = Maillage(location)
    report = kit.verify(app)
    assert report.intact, report.finding
    assert report.facts.backfilled_through == 12 and report.facts.created_at
    # The log itself says where the chain starts: right after the back-filled events.
    assert raw.event(13)[2] == CHAIN_START_TOPIC and report.facts.started_at == 13
    app.save(kit.Parcel("new", 1))
    app.close()

    again = Maillage(location)  # not linked a second time
    report = kit.verify(again)
    assert report.intact, report.finding
    assert (report.events, report.facts.backfilled_through) == (14, 12)
    assert raw.count(CHAIN_TABLE) == 14
    assert int(raw.fetchone(f"SELECT COUNT(*) FROM {INFO_TABLE}")[0]) == 3
    again.close()


def test_an_emptied_chain_is_not_linked_again_on_open(filled: Maillage, raw, kit) -> None:
    raw.execute(f"DELETE FROM {CHAIN_TABLE}")

    reopened = Maillage(raw.location)

    assert raw.count(CHAIN_TABLE) == 0
    finding = kit.verify(reopened).finding
    assert (finding.position, finding.kind) == (1, "deleted")
    reopened.close()


def test_sqlite_refuses_to_write_over_links_of_deleted_newest_events(
    sqlite_location: StoreLocation, kit
) -> None:
    app = Maillage(sqlite_location)
    kit.fill(app)
    with sqlite_location.connect() as conn:
        conn.execute("DELETE FROM stored_events WHERE rowid = 28")

    with pytest.raises(AuditChainError, match="already has a link at position 28"):
        app.save(kit.Parcel("after", 1))

    assert app.last_position() == 27  # nothing was written
    finding = kit.verify(app).finding
    assert (finding.position, finding.kind) == (28, "deleted")
    app.close()
