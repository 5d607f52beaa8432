"""Personal data is sealed per person in the log, opens when read, and is gone when erased."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.application import Maillage
from domain.personal import ERASED, Erasure, Personal
from domain.store import StoreLocation, ViewConnection


class Person(MaillageAggregate):
    """A test aggregate with one personal field and one non-personal field."""

    @event("Registered")
    def __init__(self, name: Personal, municipality: str) -> None:
        self.name = name
        self.municipality = municipality


def stored_states(app: Maillage, aggregate_id: uuid.UUID) -> list[bytes]:
    return [bytes(e.state) for e in app.recorder.select_events(aggregate_id)]


def register(app: Maillage, name: str) -> Person:
    subject = uuid.uuid4()
    person = Person(
        name=Personal(subject, {"first": name, "phone": "06 12 34 56 78"}), municipality="Tours"
    )
    app.save(person)
    return person


def test_personal_values_are_sealed_in_the_log_and_open_when_read(location: StoreLocation) -> None:
    app = Maillage(location)
    person = register(app, "Jeanne Moreau")

    (state,) = stored_states(app, person.id)
    assert b"Jeanne" not in state and b"06 12" not in state
    assert b"Tours" in state  # non-personal facts stay readable

    other_console = Maillage(location)
    again = other_console.repository.get(person.id)
    assert again.name.value == {"first": "Jeanne Moreau", "phone": "06 12 34 56 78"}
    assert again.municipality == "Tours"


def test_erasing_a_subject_shreds_only_their_data_and_keeps_the_log(
    location: StoreLocation,
) -> None:
    app = Maillage(location)
    jeanne, louis = register(app, "Jeanne"), register(app, "Louis")
    before = stored_states(app, jeanne.id)

    erasure = Erasure(jeanne.name.subject, "person J", datetime(2026, 3, 2, 9, tzinfo=UTC), "DPO")
    assert app.erase_subject(erasure) is True
    assert app.erase_subject(erasure) is False  # already gone

    other_console = Maillage(location)
    erased = other_console.repository.get(jeanne.id)
    assert erased.name.erased and erased.name.text() == ERASED
    assert erased.municipality == "Tours"
    assert other_console.repository.get(louis.id).name.value["first"] == "Louis"
    assert stored_states(app, jeanne.id) == before  # erasure never rewrites the log


def test_altered_sealed_bytes_read_as_erased_never_as_an_error(
    sqlite_location: StoreLocation,
) -> None:
    app = Maillage(sqlite_location)
    person = register(app, "Jeanne")
    conn = ViewConnection.open(sqlite_location)
    (state,) = conn.fetchone(
        "SELECT state FROM stored_events WHERE originator_id = ?", (person.id.hex,)
    )
    marker = b'"c":"'
    at = state.index(marker) + len(marker)
    forged = state[:at] + (b"B" if state[at : at + 1] != b"B" else b"C") + state[at + 1 :]
    conn.execute(
        "UPDATE stored_events SET state = ? WHERE originator_id = ?", (forged, person.id.hex)
    )
    conn.commit()
    conn.close()

    reader = Maillage(sqlite_location)
    assert reader.repository.get(person.id).name.erased


def test_personal_values_never_show_in_repr_or_errors() -> None:
    value = Personal(uuid.uuid4(), "Jeanne Moreau, 12 rue Colbert")
    assert "Jeanne" not in repr(value) and "Jeanne" not in str(value)
    assert "Colbert" not in f"{value}"
    assert "sealed" in repr(value)
