"""After an erasure nothing of the person can be recovered from the store's files: the main
SQLite file and its write-ahead log, PostgreSQL's heap files after a checkpoint. Personal
values are never in clear in any table; the erased person's data key and wrapped key are gone
from every byte on disk."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from domain import clock
from domain.application import Maillage
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.service import erase_beneficiary
from domain.meals.welfare_alert import WelfareAlert
from domain.personal import KEYS_TABLE, ErasureBlockedError
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector

PERSON = {"name": "Jeanne Moreau", "address": "12 rue Colbert", "phone": "02 47 00 00 01",
          "contact_person": "Paul Moreau", "access_notes": "key box 1942"}  # fmt: skip
SECRETS = [*PERSON.values(), "Fell on the stairs", "door stuck, talked through the window",
           "diabete"]  # fmt: skip


def story(app: Maillage) -> Beneficiary:
    """Jeanne registered with a diet, an alert with a note, a stop with a reason and a GPS."""
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
    )
    jeanne = Beneficiary.register("37261", "F1", town.id, PERSON, 47.391234, 0.684321, "low")
    jeanne.prescribe_diet("no_sugar", "minced", ["diabete"], [])
    jeanne.set_weekly_pattern({0: 1})
    jeanne.activate(date(2026, 3, 2))
    alert = WelfareAlert.raise_alert(jeanne.id, town.id, "health", "high",
                                     "Fell on the stairs", "L. Petit")  # fmt: skip
    rnd = MealRound.plan(date(2026, 3, 2), "D", "L. Petit", "VAN-1", [(jeanne.id, 1, "box-1")])
    rnd.load({"box-1": ("p1", 2.0)})
    rnd.record_stop(jeanne.id, "other", clock.now(), reason=SECRETS[-2],
                    position=(47.391234, 0.684321))  # fmt: skip
    app.save(town, jeanne, alert, rnd)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    return jeanne


def wrapped_key(location: StoreLocation, subject: str) -> bytes:
    with location.connect() as conn:
        row = conn.fetchone(f"SELECT wrapped FROM {KEYS_TABLE} WHERE subject = ?", (subject,))
    assert row is not None
    return bytes(row[0])


def store_files(location: StoreLocation) -> list[Path]:
    """The files holding the store: SQLite's main file and WAL; PostgreSQL's whole database
    folder after a checkpoint (every heap, index and free-space file of every table)."""
    if location.kind == "sqlite":
        assert location.path is not None
        return [p for p in (location.path, Path(f"{location.path}-wal")) if p.exists()]
    with location.connect() as conn:
        conn.raw.autocommit = True
        conn.execute("CHECKPOINT")
        (data_dir,) = conn.fetchone("SHOW data_directory")
        (heap,) = conn.fetchone("SELECT pg_relation_filepath(?)", (KEYS_TABLE,))
    database = (Path(data_dir) / heap).parent
    return [p for p in database.iterdir() if p.is_file()]


def read_all(files: list[Path]) -> bytes:
    """The files' bytes (a file another test's schema drops meanwhile is skipped)."""
    out = []
    for path in files:
        try:
            out.append(path.read_bytes())
        except FileNotFoundError:
            continue
    return b"".join(out)


def test_no_byte_of_the_person_survives_an_erasure(
    location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(location)
    jeanne = story(app)
    data_key = app.subject_keys.get(jeanne.id)
    wrapped = wrapped_key(location, jeanne.id.hex)
    assert data_key is not None
    if location.kind == "postgres":  # readable only where the server runs
        try:
            store_files(location)
        except PermissionError:
            pytest.skip("the PostgreSQL data directory is not readable here")
    files_before = read_all(store_files(location))
    assert wrapped in files_before  # the probe finds the key while it exists
    for secret in SECRETS:  # never in clear, not even before the erasure
        assert secret.encode() not in files_before, secret
    other = Maillage(location)  # another console open during the erasure
    other.get(jeanne.id, Beneficiary)

    erase_beneficiary(app, jeanne.id, by="DPO")

    files = store_files(location)
    assert files
    everything = read_all(files)
    for secret in (*SECRETS, "47.391234"):
        assert secret.encode() not in everything, secret
    holding = [p for p in files if p.exists() and wrapped in p.read_bytes()]
    assert not holding, holding
    assert wrapped not in everything and data_key not in everything
    assert other.get(jeanne.id, Beneficiary).personal.erased
    other.close()


def test_an_erasure_is_refused_while_another_connection_pins_the_wal(
    sqlite_location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(sqlite_location)
    jeanne = story(app)
    app.subject_keys.scrub_timeout_s = 0.2
    reader = sqlite3.connect(sqlite_location.path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM stored_events").fetchone()  # a read snapshot held
    with pytest.raises(ErasureBlockedError, match="nothing was erased"):
        erase_beneficiary(app, jeanne.id, by="DPO")
    assert app.subject_keys.get(jeanne.id) is not None
    assert not getattr(app.get(jeanne.id, Beneficiary), "erased_by", None)
    reader.close()
    erase_beneficiary(app, jeanne.id, by="DPO")
    assert app.get(jeanne.id, Beneficiary).personal.erased


def test_a_failed_rebuild_leaves_every_view_as_it_was(
    location: StoreLocation, fixed_clock: clock.FixedClock
) -> None:
    app = Maillage(location)
    story(app)
    views = all_views()
    with Projector(app, views) as projector:
        before = {v.name: v.rows(projector.conn) for v in views}
        positions = projector.positions()
        rounds = next(v for v in views if v.name == "rounds")

        def broken(conn: ViewConnection, notifications: object) -> None:
            raise RuntimeError("disk full")

        rounds.apply = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="disk full"):
            projector.rebuild()
        projector.conn.rollback()
        assert {v.name: v.rows(projector.conn) for v in views} == before
        assert projector.positions() == positions
