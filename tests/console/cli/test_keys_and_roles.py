"""On the command line: the auditor reads no personal data unless handed the key file, may
not rebuild the views (nor may the ccas role); keys info and rotate; store info names the
key file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.personal import SEALED
from tests.console.helpers import GOOD, listing, run, write


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "roles.sqlite")
    assert run(path, "meals", "municipality", "add", "--insee", "37261", "--name", "Tours",
               "--depot", "D", "--ccas", "c", "--bracket", "low:12000:450:150",
               "--bracket", "high::790:210") == 0  # fmt: skip
    assert run(path, "meals", "beneficiaries", "import", str(write(tmp_path, GOOD)),
               "--municipality", "37261") == 0  # fmt: skip
    capsys.readouterr()
    return path


def test_views_rebuild_is_refused_to_the_auditor_and_the_ccas_role(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for role in (["--role", "auditor"], ["--role", "ccas", "--scope", "37261"]):
        assert run(store, "views", "rebuild", *role) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "views rebuild" in err
    assert run(store, "views", "rebuild") == 0


def test_the_auditor_sees_sealed_values_unless_handed_the_key_file(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(store, "keys", "info", "--json") == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["key"] == "here" and facts["data_keys"] == 2
    key_file = facts["key_file"]
    assert Path(key_file).name == f"{facts['store_id']}.key"

    monkeypatch.setenv("MAILLAGE_ROLE", "auditor")
    people = listing(store, capsys)
    assert {p["name"] for p in people} == {SEALED}
    assert run(store, "store", "info") == 0
    assert "MISSING" in capsys.readouterr().out
    monkeypatch.setenv("MAILLAGE_KEY_FILE", key_file)
    assert [p["name"] for p in listing(store, capsys)] == ["Jeanne Moreau", "Louis Girard"]


def test_rotation_on_the_command_line_keeps_every_person_readable(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, "keys", "rotate", "--json") == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["rewrapped"] == 2 and Path(rotated["old_key_backup"]).is_file()
    Path(rotated["old_key_backup"]).unlink()
    assert [p["name"] for p in listing(store, capsys)] == ["Jeanne Moreau", "Louis Girard"]
    assert run(store, "keys", "rotate", "--role", "auditor") == 2
