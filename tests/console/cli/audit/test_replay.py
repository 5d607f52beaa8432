"""``maillage audit replay`` and ``audit erase-beneficiary`` from the command line: the views
replay equal, an erasure keeps the chain intact and the person's data unreadable."""

from __future__ import annotations

import json

import pytest

from console.cli import main

from ...helpers import listing


def test_replay_says_the_views_are_equal(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "replay", "--store", store, "--json", "--role", "auditor"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["equal"] is True and report["differences"] == []
    assert report["events_applied"] > 0 and "beneficiaries" in report["views"]


def test_erasure_keeps_the_chain_and_shreds_the_person(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    erase = ["audit", "erase-beneficiary", "2026-001", "--municipality", "37261"]
    erase += ["--by", "DPO de Tours", "--store", store]
    assert main([*erase, "--role", "auditor"]) == 2
    assert "the auditor role is read-only" in capsys.readouterr().err
    assert main(erase) == 0
    capsys.readouterr()
    people = {p["file_number"]: p for p in listing(store, capsys)}
    assert "Jeanne" not in json.dumps(people["2026-001"])
    assert people["2026-002"]["name"] == "Louis Girard"
    assert main(["audit", "verify", "--store", store]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    assert main(["audit", "replay", "--store", store]) == 0
    assert "equal to the live views" in capsys.readouterr().out
