"""Envelope encryption: data keys wrapped by a key-encryption key that is not in the store.

A copied database without the key file opens nothing; the key file is owner-only; rotation
rewraps every data key; stores that kept their keys in clear are wrapped on first open."""

from __future__ import annotations

import shutil
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

from domain.application import Maillage
from domain.kek import KEY_DIR_ENV, KEY_FILE_ENV, KeyFiles, read_key_file
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.personal import (
    KEYS_INFO_TABLE,
    KEYS_TABLE,
    LEGACY_KEYS_TABLE,
    SEALED,
    PersonalDataUnavailableError,
)
from domain.store import StoreLocation, ViewConnection

PERSON = {"name": "Jeanne Moreau", "address": "12 rue Colbert", "phone": "02 47 00 00 01"}


def register(app: Maillage) -> Beneficiary:
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
    )
    jeanne = Beneficiary.register("37261", "F1", town.id, PERSON, 47.39, 0.69, "low")
    jeanne.prescribe_diet("no_salt", "minced", [], [])
    jeanne.set_weekly_pattern({0: 1})
    jeanne.activate(date(2026, 3, 2))
    app.save(town, jeanne)
    return jeanne


def key_file(app: Maillage) -> Path:
    path = app.key_files.path(app.subject_keys.store_id)
    assert path is not None
    return path


def test_the_key_file_is_owner_only_outside_the_store_and_named_by_the_store(
    location: StoreLocation, tmp_path: Path
) -> None:
    app = Maillage(location)
    jeanne = register(app)
    path = key_file(app)
    assert path.name == f"{app.store_id()}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with location.connect() as conn:
        wrapped = bytes(conn.fetchone(f"SELECT wrapped FROM {KEYS_TABLE}")[0])
    data_key = aes_key_unwrap(read_key_file(path).secret, wrapped)
    assert data_key == app.subject_keys.get(jeanne.id) and data_key not in wrapped
    assert Maillage(location).get(jeanne.id, Beneficiary).personal.value["name"] == "Jeanne Moreau"


def test_a_key_file_others_can_read_is_refused(location: StoreLocation) -> None:
    app = Maillage(location)
    path = key_file(app)
    app.close()
    path.chmod(0o644)
    with pytest.raises(Exception, match="can be read by others"):
        Maillage(location)
    path.chmod(0o600)


def test_a_copied_database_without_the_key_file_reveals_nothing(
    sqlite_location: StoreLocation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Maillage(sqlite_location)
    jeanne = register(app)
    app.close()
    stolen = tmp_path / "elsewhere" / "copy.sqlite"
    stolen.parent.mkdir()
    shutil.copy(sqlite_location.path, stolen)
    everything = stolen.read_bytes()
    for text in PERSON.values():
        assert text.encode() not in everything

    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "thief-keys"))
    thief = Maillage(StoreLocation.parse(str(stolen)), key_files=KeyFiles(explicit_only=True))
    person = thief.get(jeanne.id, Beneficiary)
    assert person.personal.value is SEALED and person.diet.sealed and not person.home.opened
    assert person.file_number == "F1" and person.status == "active"  # facts stay readable
    person.prescribe_diet("normal", "normal", [], [])
    with pytest.raises(PersonalDataUnavailableError, match="key-encryption key"):
        thief.save(person)
    assert not (tmp_path / "thief-keys").exists()  # nothing created for a key it lacks


def test_the_auditor_opens_nothing_unless_handed_the_key_file(
    location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Maillage(location)
    jeanne = register(app)
    path = key_file(app)
    auditor = Maillage(location, key_files=KeyFiles(explicit_only=True))
    assert auditor.get(jeanne.id, Beneficiary).personal.sealed
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    handed = Maillage(location, key_files=KeyFiles(explicit_only=True))
    assert handed.get(jeanne.id, Beneficiary).personal.value["name"] == "Jeanne Moreau"


def test_rotation_rewraps_every_data_key_and_keeps_the_old_key_as_a_backup(
    location: StoreLocation,
) -> None:
    app = Maillage(location)
    jeanne = register(app)
    old = read_key_file(key_file(app))
    new = app.key_files.stage(app.subject_keys.store_id)
    assert app.subject_keys.rotate(new) == 1
    backup = app.key_files.rotate_files(app.subject_keys.store_id, new)
    assert read_key_file(backup).secret == old.secret
    assert read_key_file(key_file(app)).secret == new.secret != old.secret
    with location.connect() as conn:
        assert conn.fetchone(f"SELECT DISTINCT kek FROM {KEYS_TABLE}") == (new.fingerprint,)
        assert conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'kek'") == (
            new.fingerprint,
        )
    backup.unlink()  # the user deletes the old key: the store opens with the new one alone
    assert Maillage(location).get(jeanne.id, Beneficiary).personal.value["phone"] == PERSON["phone"]


def test_keys_kept_in_clear_by_an_older_store_are_wrapped_on_first_open(
    location: StoreLocation,
) -> None:
    app = Maillage(location)
    jeanne = register(app)
    clear = app.subject_keys.get(jeanne.id)
    path = key_file(app)
    app.close()
    # What an older version left: data keys in clear, no wrapping, no key file.
    blob = "BYTEA" if location.kind == "postgres" else "BLOB"
    with location.connect() as conn:
        conn.execute(
            f"CREATE TABLE {LEGACY_KEYS_TABLE} (subject TEXT PRIMARY KEY, data_key {blob})"
        )
        conn.execute(f"INSERT INTO {LEGACY_KEYS_TABLE} VALUES (?, ?)", (jeanne.id.hex, clear))
        conn.execute(f"DROP TABLE {KEYS_TABLE}")
        conn.execute(f"DROP TABLE {KEYS_INFO_TABLE}")
    path.unlink()

    reopened = Maillage(location)
    assert reopened.get(jeanne.id, Beneficiary).personal.value["name"] == "Jeanne Moreau"
    conn = ViewConnection.open(location)
    try:
        assert not conn.table_exists(LEGACY_KEYS_TABLE)
        (wrapped,) = conn.fetchone(f"SELECT wrapped FROM {KEYS_TABLE}")
    finally:
        conn.close()
    assert clear not in bytes(wrapped) and key_file(reopened).exists()
    if location.kind == "sqlite":
        assert location.path is not None
        for suffix in ("", "-wal"):
            stored = Path(f"{location.path}{suffix}")
            assert not stored.exists() or clear not in stored.read_bytes()
