"""The event store on both backends: round trip, concurrent edits, locations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.establishment import Establishment
from domain.errors import ConcurrentEditError, InvalidInputError, NotFoundError
from domain.ids import establishment_id
from domain.store import StoreLocation


def register_lycee(app: Maillage) -> Establishment:
    school = Establishment.register(
        "0371100V", "Lycée Descartes", "LYC", "10 rue des Minimes", "37000", "Tours", 47.39, 0.69
    )
    app.save(school)
    return school


def test_an_aggregate_comes_back_as_it_was_saved(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    school = register_lycee(app)
    fixed_clock.advance(timedelta(days=1))
    app.edit(
        school.id,
        Establishment,
        lambda s: s.update_details(
            "Lycée René Descartes", "LYC", "10 rue des Minimes", "37000", "Tours", 47.39, 0.69
        ),
    )

    again = Maillage(location).get(establishment_id("0371100v"), Establishment)

    assert again.uai == "0371100V"
    assert again.name == "Lycée René Descartes"
    assert again.version == 2
    assert again.created_on == fixed_clock.now() - timedelta(days=1)
    assert again.modified_on == fixed_clock.now()
    assert app.last_position() == 2


def test_unknown_id_is_a_not_found_error(location: StoreLocation) -> None:
    app = Maillage(location)
    with pytest.raises(NotFoundError, match="no establishment with id"):
        app.get(establishment_id("0371100V"), Establishment)


def test_concurrent_edit_is_retried_once_on_fresh_state(location: StoreLocation) -> None:
    """Two consoles edit one school: the second reloads and re-applies its command."""
    mine, theirs = Maillage(location), Maillage(location)
    school = register_lycee(mine)
    attempts: list[int] = []

    def rename(s: Establishment) -> None:
        attempts.append(s.version)
        if len(attempts) == 1:  # the other console saves between our get and our save
            theirs.edit(
                school.id,
                Establishment,
                lambda t: t.update_details(
                    t.name, t.kind, "12 rue des Minimes", t.postcode, t.commune, 47.39, 0.69
                ),
            )
        s.update_details(
            "Lycée René Descartes",
            s.kind,
            s.address,
            s.postcode,
            s.commune,
            s.latitude_deg,
            s.longitude_deg,
        )

    mine.edit(school.id, Establishment, rename)

    final = Maillage(location).get(school.id, Establishment)
    assert attempts == [1, 2]  # the retry saw the other console's change
    assert final.name == "Lycée René Descartes"
    assert final.address == "12 rue des Minimes"  # nothing of theirs was lost
    assert final.version == 3


def test_concurrent_edit_twice_in_a_row_is_a_clear_error(location: StoreLocation) -> None:
    mine, theirs = Maillage(location), Maillage(location)
    school = register_lycee(mine)
    counter = iter(range(100))

    def rename(s: Establishment) -> None:
        n = next(counter)
        theirs.edit(
            school.id,
            Establishment,
            lambda t: t.update_details(
                f"name {n}", t.kind, t.address, t.postcode, t.commune, 47.39, 0.69
            ),
        )
        s.update_details("mine", s.kind, s.address, s.postcode, s.commune, 47.39, 0.69)

    with pytest.raises(ConcurrentEditError, match="changed by someone else"):
        mine.edit(school.id, Establishment, rename)
    assert Maillage(location).get(school.id, Establishment).name == "name 1"


def test_store_location_parsing() -> None:
    pg = StoreLocation.parse("postgresql://alice:secret@db.example:6543/depots?schema=east")
    assert (pg.kind, pg.host, pg.port, pg.dbname, pg.user, pg.schema) == (
        "postgres",
        "db.example",
        6543,
        "depots",
        "alice",
        "east",
    )
    assert "secret" not in pg.label
    assert pg.library_env()["POSTGRES_PASSWORD"] == "secret"
    local = StoreLocation.parse("~/depot.sqlite")
    assert local.kind == "sqlite" and local.path == Path("~/depot.sqlite").expanduser()
    # the label the console and the demo print is a location too
    for shown in (local.label, "sqlite:~/depot.sqlite", "sqlite:///" + str(local.path)[1:]):
        assert StoreLocation.parse(shown).path == local.path, shown
    assert StoreLocation.parse("sqlite:relative.sqlite").path == Path("relative.sqlite")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("sqlite:", "empty"),
        ("mysql://h/db", "unsupported store URL scheme 'mysql'"),
        ("postgresql://127.0.0.1:5432/", "names no database"),
        ("postgresql://127.0.0.1/test?schema=Robert';drop", "invalid PostgreSQL schema name"),
    ],
)
def test_bad_store_locations_are_named(value: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        StoreLocation.parse(value)
