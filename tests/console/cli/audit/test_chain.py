"""``maillage audit verify`` and ``maillage audit checkpoint`` on real stores, as an auditor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.devices.service import ManifestLine, announce_devices
from domain.store import StoreLocation

from ...helpers import store_arg

KEY = "an audit key of thirty-two bytes"


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test says which key it uses; none leaks in from the shell."""
    monkeypatch.delenv("MAILLAGE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("MAILLAGE_AUDIT_KEY_FILE", raising=False)


def filled_store(location: StoreLocation, devices: int = 40) -> str:
    """A store with ``devices`` bulk-recorded events; its ``--store`` value."""
    app = Maillage(location)
    lines = [ManifestLine(f"SN{i:05d}", "iPad", "tablet", "CVL-1") for i in range(devices)]
    announce_devices(app, lines, batch_size=16)
    app.close()
    return store_arg(location)


def tamper(location: StoreLocation, statement: str, params: tuple[object, ...] = ()) -> None:
    events, nid = (
        ("stored_events", "rowid")
        if location.kind == "sqlite"
        else ("maillage_events", "notification_id")
    )
    with location.connect() as conn:
        conn.execute(statement.format(events=events, nid=nid), params)


def audit(*args: str) -> int:
    return main(["audit", *args, "--role", "auditor"])


def test_an_intact_store_verifies_exit_0(
    location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    store = filled_store(location)

    assert audit("verify", "--store", store) == 0

    out = capsys.readouterr().out
    assert out.startswith("audit chain intact: 40 events up to position 40\n")
    assert "head " in out


def test_a_tampered_store_is_one_line_exit_1(
    location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    store = filled_store(location)
    tamper(location, "UPDATE {events} SET state = state || 'x' WHERE {nid} = 17")

    assert audit("verify", "--store", store) == 1

    captured = capsys.readouterr()
    assert captured.out.startswith("audit chain broken at position 17: modified — ")
    assert captured.out.count("\n") == 1
    assert "Traceback" not in captured.err


def test_json_names_the_first_bad_position(
    sqlite_location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    store = filled_store(sqlite_location)
    tamper(sqlite_location, "DELETE FROM {events} WHERE {nid} = 9")

    assert audit("verify", "--json", "--store", store) == 1

    report = json.loads(capsys.readouterr().out)
    assert report["intact"] is False
    assert report["first_bad"]["position"] == 9
    assert report["first_bad"]["kind"] == "deleted"
    assert (report["events"], report["last_position"]) == (8, 8)


def test_signed_checkpoint_then_rewritten_tail_is_caught(
    location: StoreLocation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = filled_store(location)
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    checkpoint = tmp_path / "cp.json"

    assert (
        audit(
            "checkpoint", "--output", str(checkpoint), "--key-file", str(key_file), "--store", store
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"checkpoint written to {checkpoint}: position 40" in out and "signed" in out
    saved = json.loads(checkpoint.read_text())
    assert (saved["position"], saved["events"]) == (40, 40)
    assert len(saved["hmac"]) == 64

    assert (
        audit("verify", "--against", str(checkpoint), "--key-file", str(key_file), "--store", store)
        == 0
    )
    assert "matches the checkpoint" in capsys.readouterr().out

    tamper(location, "DELETE FROM {events} WHERE {nid} > 38")
    tamper(location, "DELETE FROM audit_chain WHERE notification_id > 38")
    app = Maillage(location)
    announce_devices(app, [ManifestLine(f"NEW{i}", "iPad", "tablet", "CVL-1") for i in range(2)])
    app.close()

    assert audit("verify", "--store", store) == 0  # the chain alone cannot see it
    capsys.readouterr()
    assert (
        audit("verify", "--against", str(checkpoint), "--key-file", str(key_file), "--store", store)
        == 1
    )
    line = capsys.readouterr().out
    assert line.startswith("audit chain broken at position 40: rewritten — ")


def test_without_a_key_the_checkpoint_is_unsigned_and_says_so(
    sqlite_location: StoreLocation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = filled_store(sqlite_location)
    checkpoint = tmp_path / "cp.json"

    assert audit("checkpoint", "--output", str(checkpoint), "--store", store) == 0
    captured = capsys.readouterr()
    assert "NOT signed" in captured.err and "MAILLAGE_AUDIT_KEY" in captured.err
    assert json.loads(checkpoint.read_text())["hmac"] is None

    assert audit("verify", "--against", str(checkpoint), "--store", store) == 0
    assert "(NOT signed)" in capsys.readouterr().out

    monkeypatch.setenv("MAILLAGE_AUDIT_KEY", KEY)
    assert audit("verify", "--against", str(checkpoint), "--store", store) == 1
    err = capsys.readouterr().err
    assert err.startswith("maillage: error: ") and "is not signed" in err


def test_signed_checkpoints_need_the_key_and_refuse_edits(
    sqlite_location: StoreLocation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = filled_store(sqlite_location)
    checkpoint = tmp_path / "cp.json"
    monkeypatch.setenv("MAILLAGE_AUDIT_KEY", KEY)
    assert audit("checkpoint", "--output", str(checkpoint), "--store", store) == 0
    capsys.readouterr()

    edited = json.loads(checkpoint.read_text())
    edited["position"] = 39
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(edited))
    assert audit("verify", "--against", str(forged), "--store", store) == 1
    assert "signature is invalid" in capsys.readouterr().err

    monkeypatch.delenv("MAILLAGE_AUDIT_KEY")
    assert audit("verify", "--against", str(checkpoint), "--store", store) == 2
    assert "is signed: give the audit key" in capsys.readouterr().err


def test_checkpoint_keeps_existing_files_and_broken_chains_write_none(
    sqlite_location: StoreLocation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = filled_store(sqlite_location)
    existing = tmp_path / "cp.json"
    existing.write_text("keep me")
    assert audit("checkpoint", "--output", str(existing), "--store", store) == 2
    assert existing.read_text() == "keep me"
    assert "exists" in capsys.readouterr().err

    tamper(sqlite_location, "UPDATE {events} SET topic = 'x' WHERE {nid} = 3")
    fresh = tmp_path / "fresh.json"
    assert audit("checkpoint", "--output", str(fresh), "--store", store) == 1
    assert not fresh.exists()
    assert capsys.readouterr().out.startswith("audit chain broken at position 3: modified")


def test_verify_in_a_process_prints_no_progress_when_not_a_terminal(
    sqlite_location: StoreLocation,
) -> None:
    store = filled_store(sqlite_location)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_AUDIT")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "console.cli",
            "audit",
            "verify",
            "--store",
            store,
            "--role",
            "auditor",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("audit chain intact: 40 events")


def test_the_demo_store_verifies_before_and_after_an_erasure(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every service's writes verify; erasing a person deletes a key, never an event."""
    store = str(demo_store)
    checkpoint = tmp_path / "before.json"
    assert audit("checkpoint", "--output", str(checkpoint), "--store", store) == 0
    capsys.readouterr()
    assert main(["meals", "beneficiaries", "list", "--json", "--store", store]) == 0
    person = json.loads(capsys.readouterr().out)[0]

    assert main(["meals", "beneficiaries", "erase", person["file_number"], "--municipality",
                 person["insee_code"], "--by", "DPO", "--store", store]) == 0  # fmt: skip
    capsys.readouterr()

    assert audit("verify", "--json", "--against", str(checkpoint), "--store", store) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] is True
    assert (
        report["events"] == report["last_position"] > json.loads(checkpoint.read_text())["events"]
    )


def test_audit_help_lists_both_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "verify" in out and "checkpoint" in out
