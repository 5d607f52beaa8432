"""``maillage devices import manifest|schools`` on real files: the bad-lines report, exit 2,
idempotence, and an import killed with SIGKILL that resumes with one device per serial."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.devices.purchase_order import OrderLine
from domain.devices.service import record_purchase_order
from domain.store import StoreLocation, ViewConnection

ORDER = "CVL-2026-01"


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A store with the order the manifests refer to."""
    path = str(tmp_path / "devices.sqlite")
    app = Maillage(StoreLocation.parse(path))
    lines = [OrderLine("Latitude 3140", "laptop", 100_000), OrderLine("iPad 10.2", "tablet", 10)]
    record_purchase_order(app, ORDER, "Centre-Val de Loire", "DRANE", lines, by="S. Blanc")
    app.close()
    return path


def write_manifest(path: Path, count: int, extra: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("serial,model,kind,order_reference\n")
        for i in range(count):
            out.write(f"PF{i:07d},Latitude 3140,laptop,{ORDER}\n")
        for line in extra or []:
            out.write(line + "\n")
    return path


def announced_serials(store: str) -> list[str]:
    conn = ViewConnection.open(StoreLocation.parse(store))
    try:
        rows = conn.fetchall(
            "SELECT state FROM stored_events WHERE topic = ?",
            ("domain.devices.device:Device.Announced",),
        )
    finally:
        conn.close()
    return [json.loads(bytes(r[0]))["serial"] for r in rows]


def test_bad_lines_go_to_the_report_and_the_rest_is_recorded(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write_manifest(
        tmp_path / "m.csv",
        3,
        ["PF0000001,Latitude 3140,laptop,CVL-2026-01", "=HYPERLINK(1),iPad 10.2,tablet,NOPE"],
    )
    argv = ["devices", "import", "manifest", str(manifest), "--store", store, "--json"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert (summary["announced"], summary["bad_lines"]) == (3, 2)
    report = tmp_path / "m.csv.bad-lines.csv"
    assert f"2 bad lines in {manifest} set aside, listed in {report}" in err
    assert "line 5: serial PF0000001 is already on line 3" in err
    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert rows[0] == ["line", "serial", "problem", "text"]
    assert [r[0] for r in rows[1:]] == ["5", "6"]
    assert rows[2][1].startswith("'=")  # neutralised for spreadsheets
    assert sorted(announced_serials(store)) == ["PF0000000", "PF0000001", "PF0000002"]

    # Again: nothing new, same exit status, the store unchanged.
    assert main(argv) == 2
    assert json.loads(capsys.readouterr().out)["already_announced"] == 3
    assert len(announced_serials(store)) == 3


def test_a_manifest_that_cannot_be_read_is_a_clear_error(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.csv"
    assert main(["devices", "import", "manifest", str(missing), "--store", store]) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err
    headless = tmp_path / "h.csv"
    headless.write_text("PF1,Latitude 3140,laptop,CVL-2026-01\n")
    assert main(["devices", "import", "manifest", str(headless), "--store", store]) == 2
    assert "the manifest's header lacks the column(s)" in capsys.readouterr().err
    assert announced_serials(store) == []


def test_an_import_killed_mid_way_resumes_with_exactly_one_device_per_serial(
    store: str, tmp_path: Path
) -> None:
    count = 60_000
    manifest = write_manifest(tmp_path / "big.csv", count)
    command = [sys.executable, "-m", "console.cli", "devices", "import", "manifest"]
    command += [str(manifest), "--store", store, "--batch-size", "500"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Wait (bounded) until some batches are committed, then kill without warning.
        deadline = time.monotonic() + 60
        while len(announced_serials(store)) < 2_000:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the import recorded nothing in a minute"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    partial = announced_serials(store)
    assert 2_000 <= len(partial) < count
    assert len(partial) % 500 == 0  # whole batches only: nothing half-applied

    assert main(["devices", "import", "manifest", str(manifest), "--store", store]) == 0
    serials = announced_serials(store)
    assert len(serials) == count == len(set(serials))


def test_school_directory_import(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "annuaire.csv"
    export.write_text(
        "identifiant_de_l_etablissement;nom_etablissement;type_etablissement;adresse_1;"
        "code_postal;nom_commune;latitude;longitude\n"
        "0370001A;Collège Anatole France;Collège;2 rue Anatole France;37000;Tours;47.39;0.69\n"
        "0370002B;Lycée Descartes;Lycée;10 rue des Minimes;37000;Tours;47.3925;0.6880\n"
        "0370001B;Ecole X;Ecole;;37000;Tours;;\n"
        "0370003C;Ecole Y;Ecole;;37000;Tours;147.0;0.7\n",
        encoding="utf-8",
    )
    argv = ["devices", "import", "schools", str(export), "--store", store, "--json"]
    assert main(argv) == 2
    summary = json.loads(capsys.readouterr().out)
    assert (summary["registered"], summary["bad_lines"]) == (2, 2)
    rows = list(csv.reader((tmp_path / "annuaire.csv.bad-lines.csv").open(encoding="utf-8")))
    assert [r[0] for r in rows[1:]] == ["4", "5"]
    assert "check letter" in rows[1][2] or "0370001B" in rows[1][2]
    assert rows[2][2] == "latitude 147.0 is out of range"

    # The directory changed one school's address: updated, the other unchanged.
    export.write_text(
        export.read_text(encoding="utf-8").replace("10 rue des Minimes", "12 rue des Minimes"),
        encoding="utf-8",
    )
    assert main(argv) == 2
    again = json.loads(capsys.readouterr().out)
    assert (again["registered"], again["updated"], again["unchanged"]) == (0, 1, 1)
