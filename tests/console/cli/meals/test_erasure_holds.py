"""An erasure followed by routine actions never breaks the store: nothing personal can be
recorded again about the erased person (one line says who erased whom and when), and every
command, view, rebuild, replay and report keeps working — on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.ids import beneficiary_id
from domain.personal import ERASED, ERASURES_TABLE, KEYS_TABLE
from domain.store import StoreLocation, ViewConnection
from tests.console.helpers import GOOD, run, store_arg, write


@pytest.fixture
def erased_store(
    location: StoreLocation,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fixed_clock: FixedClock,
) -> tuple[str, str]:
    """Two beneficiaries; an alert on 2026-001 raised and acknowledged; then 2026-001 erased
    by the DPO. Returns the store and the alert's id."""
    store = store_arg(location)
    assert run(store, "meals", "municipality", "add", "--insee", "37261", "--name", "Tours",
               "--depot", "PPDC Tours Nord", "--ccas", "ccas@ville-tours.fr",
               "--bracket", "low:12000:450:150", "--bracket", "high::790:210") == 0  # fmt: skip
    csv = write(tmp_path, GOOD)
    assert run(store, "meals", "beneficiaries", "import", str(csv), "--municipality", "37261") == 0
    capsys.readouterr()
    assert run(store, "meals", "alerts", "raise", "2026-001", "--municipality", "37261",
               "--category", "health", "--severity", "high", "--note", "Fell on the stairs",
               "--by", "L. Petit") == 0  # fmt: skip
    alert = capsys.readouterr().out.split()[2]
    assert run(store, "meals", "alerts", "ack", alert, "--by", "A. Martin") == 0
    assert run(store, "audit", "erase-beneficiary", "2026-001", "--municipality", "37261",
               "--by", "DPO of Tours") == 0  # fmt: skip
    capsys.readouterr()
    return store, alert


def test_nothing_personal_is_recorded_after_an_erasure_and_every_command_works(
    erased_store: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, alert = erased_store
    refused = run(store, "meals", "alerts", "follow-up", alert, "--role", "ccas", "--scope",
                  "37261", "--by", "A. Martin", "--action", "Called her daughter")  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert refused == 2 and "\n" not in err
    assert err == (
        "maillage: error: beneficiary file 2026-001 of 37261 was erased on 2026-03-02 at 09:00 "
        "(Paris time) by DPO of Tours: nothing more can be recorded about this person"
    )
    assert run(store, "meals", "alerts", "raise", "2026-001", "--municipality", "37261",
               "--category", "health", "--severity", "low", "--note", "Again",
               "--by", "L. Petit") == 2  # fmt: skip
    assert "was erased on" in capsys.readouterr().err

    # Every command that reads keeps working.
    assert run(store, "meals", "beneficiaries", "list", "--json") == 0
    people = json.loads(capsys.readouterr().out)
    assert [(p["file_number"], p["name"], p["regime"]) for p in people] == [
        ("2026-001", ERASED, ERASED),
        ("2026-002", "Louis Girard", "normal"),
    ]
    for argv in (
        ("meals", "alerts", "close", alert, "--by", "A. Martin", "--outcome", "resolved"),
        ("meals", "alerts", "show", alert),
        ("meals", "statement", "--municipality", "37261", "--month", "2026-03"),
        ("audit", "report", "welfare", "--municipality", "37261"),
        ("views", "rebuild"),
        ("audit", "replay"),
        ("audit", "verify"),
        ("audit", "erase-beneficiary", "2026-001", "--municipality", "37261", "--by", "DPO"),
        ("meals", "beneficiaries", "list"),
    ):
        assert run(store, *argv) == 0, (argv, capsys.readouterr().err)
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Fell on the stairs" not in out.out


def test_a_value_that_does_not_open_reads_as_erased_everywhere(
    erased_store: tuple[str, str], location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store the issue found bricked: a key made afresh for the erased person (as the old
    code did), under which their old records do not open. They read as erased."""
    store, _ = erased_store
    app = Maillage(location)
    subject = beneficiary_id("37261", "2026-001")
    with location.connect() as conn:
        conn.execute(f"DELETE FROM {ERASURES_TABLE}")
    app.subject_keys._bury = lambda erasure: None  # type: ignore[method-assign]
    app.subject_keys.erasure_in_log = None
    app.subject_keys.sealing_key(subject)  # a new key, as the old code made one
    app.close()
    for argv in (
        ("views", "rebuild"),
        ("audit", "replay"),
        ("meals", "statement", "--municipality", "37261", "--month", "2026-03"),
        ("audit", "report", "welfare", "--municipality", "37261"),
    ):
        assert run(store, *argv) == 0, (argv, capsys.readouterr().err)
    assert "internal error" not in capsys.readouterr().err
    assert run(store, "meals", "beneficiaries", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == ERASED


def test_an_erasure_recorded_before_tombstones_still_refuses_new_data(
    erased_store: tuple[str, str], location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store erased by an older version has no tombstone: the log's erasure is found."""
    store, alert = erased_store
    with location.connect() as conn:
        conn.execute(f"DELETE FROM {ERASURES_TABLE}")
    assert run(store, "meals", "alerts", "follow-up", alert, "--by", "A. Martin",
               "--action", "Visited") == 2  # fmt: skip
    assert "beneficiary file 2026-001 of 37261 was erased on" in capsys.readouterr().err
    conn = ViewConnection.open(location)
    try:
        assert conn.fetchone(f"SELECT COUNT(*) FROM {ERASURES_TABLE}") == (1,)
        assert conn.fetchone(
            f"SELECT COUNT(*) FROM {KEYS_TABLE} WHERE subject = ?",
            (beneficiary_id("37261", "2026-001").hex,),
        ) == (0,)
    finally:
        conn.close()
