"""Fixtures of the command-line tests: the Tours store with two beneficiaries (``store``; a
module may define its own), and Tours with Saint-Cyr-sur-Loire, one alert each."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from domain.clock import FixedClock

from ..helpers import GOOD, SAINT_CYR, SAINT_CYR_FILE, run, write


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Tours (two price brackets) with the two beneficiaries of ``GOOD``; its ``--store``."""
    path = str(tmp_path / "rounds.sqlite")
    assert (
        main(
            [
                "meals",
                "municipality",
                "add",
                "--store",
                path,
                "--insee",
                "37261",
                "--name",
                "Tours",
                "--depot",
                "PPDC Tours Nord",
                "--ccas",
                "c",
                "--bracket",
                "low:12000:450:150",
                "--bracket",
                "high::790:210",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "meals",
                "beneficiaries",
                "import",
                str(write(tmp_path, GOOD)),
                "--municipality",
                "37261",
                "--store",
                path,
            ]
        )
        == 0
    )
    capsys.readouterr()
    return path


@pytest.fixture
def two_towns(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fixed_clock: FixedClock
) -> tuple[str, str, str]:
    """Tours and Saint-Cyr-sur-Loire, one alert each, raised at 08:00 UTC."""
    add = ["meals", "municipality", "add", "--insee", SAINT_CYR, "--name", "Saint-Cyr-sur-Loire"]
    add += [
        "--depot",
        "PPDC Tours Nord",
        "--ccas",
        "ccas@saint-cyr.fr",
        "--bracket",
        "std::500:150",
    ]
    assert run(store, *add) == 0
    csv = write(tmp_path, [SAINT_CYR_FILE])
    assert (
        run(store, "meals", "beneficiaries", "import", str(csv), "--municipality", SAINT_CYR) == 0
    )
    ids = []
    for insee, file_number, note in (
        ("37261", "2026-002", "Fell on the stairs"),
        (SAINT_CYR, "SC-001", "Confused, did not know the day"),
    ):
        argv = ["meals", "alerts", "raise", file_number, "--municipality", insee]
        argv += ["--category", "health", "--severity", "high", "--note", note, "--by", "L. Petit"]
        capsys.readouterr()
        assert run(store, *argv) == 0
        ids.append(capsys.readouterr().out.split()[2])
    return store, ids[0], ids[1]
