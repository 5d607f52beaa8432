"""The issue's attack on the command line, on both backends: change an event, delete the
chain's rows; nothing links it again and ``audit verify`` fails at that very event, checked
against the automatic checkpoint it names."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from console.checkpoints import CHECKPOINT_DIR_ENV, CHECKPOINT_EVERY_ENV
from console.cli import main
from domain.audit.chain import CHAIN_TABLE, INFO_TABLE
from domain.clock import FixedClock
from domain.store import StoreLocation
from tests.console.helpers import GOOD, run, store_arg, write


def events_table(location: StoreLocation) -> tuple[str, str]:
    return ("stored_events", "rowid") if location.kind == "sqlite" else (
        "maillage_events", "notification_id")  # fmt: skip


def test_a_deleted_chain_fails_verification_at_the_changed_event(
    location: StoreLocation,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fixed_clock: FixedClock,
) -> None:
    store = store_arg(location)
    assert run(store, "meals", "municipality", "add", "--insee", "37261", "--name", "Tours",
               "--depot", "PPDC Tours Nord", "--ccas", "ccas@ville-tours.fr",
               "--bracket", "low:12000:450:150", "--bracket", "high::790:210") == 0  # fmt: skip
    csv = write(tmp_path, GOOD)
    assert run(store, "meals", "beneficiaries", "import", str(csv), "--municipality", "37261") == 0
    assert run(store, "audit", "verify") == 0  # intact: an automatic checkpoint with its history
    out = capsys.readouterr().out
    assert "checked against" in out or "no checkpoint yet" in out
    assert run(store, "meals", "alerts", "raise", "2026-002", "--municipality", "37261",
               "--category", "home", "--severity", "low", "--note", "Cold flat",
               "--by", "L. Petit") == 0  # fmt: skip
    capsys.readouterr()
    assert run(store, "audit", "verify", "--json") == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["checked_against"].startswith("the automatic checkpoint ")

    table, nid = events_table(location)
    with location.connect() as conn:
        (position, state) = conn.fetchone(
            f"SELECT {nid}, state FROM {table} WHERE topic LIKE ?", ("%Municipality.Registered",)
        )
        conn.execute(
            f"UPDATE {table} SET state = ? WHERE {nid} = ?",
            (bytes(state).replace(b"Tours", b"Tourz"), position),
        )
        conn.execute(f"DELETE FROM {CHAIN_TABLE}")
        conn.execute(f"DELETE FROM {INFO_TABLE}")
    capsys.readouterr()

    assert run(store, "meals", "beneficiaries", "list") == 0  # reading still works
    refused = run(store, "meals", "alerts", "raise", "2026-002", "--municipality", "37261",
                  "--category", "home", "--severity", "low", "--note", "Again",
                  "--by", "L. Petit")  # fmt: skip
    assert refused == 1 and "writes are refused" in capsys.readouterr().err.lower()
    with location.connect() as conn:
        assert conn.fetchone(f"SELECT COUNT(*) FROM {CHAIN_TABLE}") == (0,)  # never re-linked

    assert run(store, "audit", "verify") == 1
    out = capsys.readouterr().out
    assert out.startswith(f"audit chain broken at position {position}: modified"), out
    assert "checked against the automatic checkpoint" in out


def test_checkpoints_are_taken_automatically_outside_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "auto.sqlite")
    assert main(["store", "init", "--store", store]) == 0
    folder = Path(os.environ[CHECKPOINT_DIR_ENV])
    (first,) = folder.glob("*/*.json")  # the first command of the day took one
    assert json.loads(first.read_text())["history_bytes"] == 0
    assert main(["meals", "municipality", "add", "--store", store, "--insee", "37261",
                 "--name", "Tours", "--depot", "D", "--ccas", "c",
                 "--bracket", "low::450:150"]) == 0  # fmt: skip
    assert len(list(folder.glob("*/*.json"))) == 1  # not due again within a day

    monkeypatch.setenv(CHECKPOINT_EVERY_ENV, "off")
    assert main(["audit", "report", "welfare", "--municipality", "37261", "--store", store]) == 0
    newest = max(folder.glob("*/*.json"))
    assert newest != first  # every report leaves one
    kept = json.loads(newest.read_text())
    assert kept["position"] >= 2 and kept["history_bytes"] == 40 * kept["events"]
    assert (newest.parent / "links.bin").stat().st_size == kept["history_bytes"]
    capsys.readouterr()
