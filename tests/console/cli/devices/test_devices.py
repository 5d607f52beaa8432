"""``maillage devices …``: a whole flow with JSON checked, and bad input refused in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.cli import build_parser, main
from console.identity import assumed
from domain.application import Maillage
from domain.clock import FixedClock
from domain.store import StoreLocation

from ....stores import COLLEGE, DEPOT, LYCEE, fill_device_store

LAPTOPS = [f"LP{i:03d}" for i in range(5)]
TABLETS = [f"TB{i:03d}" for i in range(3)]
USER = "a.morel"


@pytest.fixture
def store(location: StoreLocation, fixed_clock: FixedClock) -> Iterator[str]:
    """The shared device store with 5 laptops and 3 tablets announced on order CVL-1 (the
    order itself is recorded by the test)."""
    app = Maillage(location)
    fill_device_store(app, LAPTOPS, TABLETS, order="CVL-1", record_order=False)
    app.close()
    yield str(location.path) if location.kind == "sqlite" else location.label


class Cli:
    """Runs ``maillage`` in-process against one store, as one user."""

    def __init__(self, store: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.store = store
        self.capsys = capsys

    def __call__(self, *argv: str) -> int:
        self.capsys.readouterr()
        with assumed(USER):  # the operator's proven identity
            return main([*argv, "--store", self.store])

    def ok(self, *argv: str) -> str:
        code = self(*argv)
        out, err = self.capsys.readouterr()
        assert code == 0, err
        return out

    def json(self, *argv: str) -> Any:
        return json.loads(self.ok(*argv, "--json"))

    def refused(self, *argv: str) -> str:
        """Run a command that must fail with exit 2 and one line on stderr; returns it."""
        code = self(*argv)
        out, err = self.capsys.readouterr()
        assert (code, out) == (2, ""), (code, out, err)
        assert err.startswith("maillage: error: ") and err.count("\n") == 1, err
        return err


@pytest.fixture
def cli(store: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(store, capsys)


def serials_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_devices_from_order_to_pupils_kits_and_counts(cli: Cli, tmp_path: Path) -> None:
    order = cli.json(
        "devices", "orders", "add", "CVL-1", "--region", "Centre-Val de Loire", "--buyer", "DE",
        "--line", "Lenovo 300w:laptop:5", "--line", "iPad 10.2:tablet:4",
    )  # fmt: skip
    assert (order["order"], order["ordered"]) == ("CVL-1", 9)

    laptops = serials_file(tmp_path, "dn1.txt", "# delivery note DN-1\nLP000\n\n lp001 \nLP002\n")
    note = cli.json(
        "devices", "orders", "receive", "CVL-1", "DN-1", "LP003",
        "--serials-file", laptops, "--depot", DEPOT,
    )  # fmt: skip
    assert (note["devices"], note["status"]) == (4, "partially_received")
    assert [x["label"] for x in note["lines"]] == ["4 of 5 received", "0 of 4 received"]
    cli.ok("devices", "orders", "receive", "CVL-1", "DN-2", *TABLETS, "--depot", DEPOT)

    enrol = serials_file(tmp_path, "mdm.txt", "LP000=MDM-0\nLP001,MDM-1\nLP002 MDM-2  # spare\n")
    staged = cli.json(
        "devices", "stage", "LP003=MDM-3", *(f"{t}=M-{t}" for t in TABLETS),
        "--serials-file", enrol, "--image", "cvl-2026.03",
    )  # fmt: skip
    assert staged == {"staged": 7, "image": "cvl-2026.03"}
    assert cli.json("devices", "allocate", *LAPTOPS[:4], "--uai", LYCEE) == {
        "allocated": 4,
        "uai": LYCEE,
    }
    cli.ok("devices", "allocate", *TABLETS, "--uai", COLLEGE.lower())

    cli.ok("devices", "shipments", "prepare", "SH-1", "--uai", LYCEE, "--depot", DEPOT)
    packed = cli.json("devices", "shipments", "pack", "sh-1", "LP003", "--serials-file", laptops)
    assert packed == {"shipment": "SH-1", "packed": 4, "devices": 4}
    cli.ok("devices", "shipments", "seal", "SH-1", "--seal", "SEAL-42")
    cli.ok("devices", "shipments", "dispatch", "SH-1", "--carrier", "La Poste")
    arrived = cli.json(
        "devices", "shipments", "deliver", "SH-1", "--recipient", "Mme Leroy",
        "--missing", "lp003", "--by", "facteur L. Petit",
    )  # fmt: skip
    assert arrived == {
        "shipment": "SH-1",
        "status": "partially_delivered",
        "delivered": ["LP000", "LP001", "LP002"],
        "missing": ["LP003"],
    }
    for argv in (
        ("prepare", "SH-2", "--uai", COLLEGE, "--depot", DEPOT),
        ("pack", "SH-2", *TABLETS),
        ("seal", "SH-2", "--seal", "SEAL-43"),
        ("dispatch", "SH-2", "--carrier", "La Poste"),
        ("deliver", "SH-2", "--recipient", "M. Diallo"),
    ):
        cli.ok("devices", "shipments", *argv)

    cli.ok("devices", "hand-over", "LP000", "--holder", "P-7", "--holder-role", "pupil", "--minor")
    cli.ok("devices", "sign-charter", "LP000", "--signed-by", "parent", "--by", "CPE B. Roux")
    cli.ok(
        "devices", "hand-over", "LP001", "--holder", "T-1", "--holder-role", "teacher",
        "--charter-signed-by", "self",
    )  # fmt: skip
    cli.ok("devices", "for-good", "LP001")
    cli.ok("devices", "faulty", "LP002", "--fault", "hinge broken")
    cli.ok("devices", "repair", "LP002", "--repairer", "Atelier Centre", "--reference", "RMA-7")
    cli.ok("devices", "repaired", "LP002", "--depot", DEPOT, "--image", "cvl-2026.04")
    cli.ok("devices", "lost", "LP003", "--circumstances", "not in the parcel")
    cli.ok("devices", "recover", "LP003", "--depot", DEPOT)

    kit = cli.json(
        "devices", "kits", "assemble", "CM-1", *TABLETS, "--uai", COLLEGE, "--cart", "C7"
    )
    assert (kit["kit"], kit["serials"]) == ("CM-1", TABLETS)
    booked = cli.json(
        "devices", "kits", "reserve", "CM-1", "--class", "6e B",
        "--start", "2026-03-02T09:15", "--end", "2026-03-02T10:15",
    )  # fmt: skip
    assert booked["reservation"] == "CM-1-R1"
    assert booked["start"] == "2026-03-02T08:15:00+00:00"  # Paris time in, UTC recorded
    cli.ok("devices", "kits", "check-out", "CM-1", "cm-1-r1")
    back = cli.json("devices", "kits", "check-in", "CM-1", "TB000", "TB002")
    assert back == {"kit": "CM-1", "scanned": 2, "missing": ["TB001"]}
    (listed,) = cli.json("devices", "kits", "list", "--uai", COLLEGE)
    assert (listed["status"], listed["missing_serials"]) == ("incomplete", ["TB001"])
    calendar = cli.json("devices", "kits", "calendar", "--all", "--from", "2026-03-02")
    assert [(r["reservation_id"], r["status"]) for r in calendar] == [("CM-1-R1", "returned")]
    assert cli.json("devices", "kits", "calendar") == []

    count = cli.json("devices", "count", "--depot", DEPOT, "LP002", "TB001", "LP004")
    assert (count["location"], count["expected"], count["missing"]) == (
        f"depot:{DEPOT}",
        2,
        ["LP003"],
    )
    assert count["misplaced"] == {"TB001": f"establishment {COLLEGE}", "LP004": "announced"}
    assert cli.json("devices", "overdue-counts") == [
        {"location": f"establishment:{COLLEGE}", "last_counted": None}
    ]

    at_lycee = cli.json("devices", "list", "--uai", LYCEE)
    assert [(d["serial"], d["status"]) for d in at_lycee] == [
        ("LP000", "handed_over"),
        ("LP001", "handed_over_for_good"),
        ("LP002", "staged"),
        ("LP003", "received"),
    ]
    assert [d["serial"] for d in cli.json("devices", "list", "--holder", "P-7")] == ["LP000"]
    assert [d["serial"] for d in cli.json("devices", "list", "--status", "announced")] == ["LP004"]
    assert len(cli.json("devices", "list", "--order", "CVL-1", "--limit", "3")) == 3

    school = cli.json("devices", "establishment", LYCEE)
    assert (school["name"], school["delivered"], school["allocated"]) == ("Lycée Voltaire", 2, 4)
    assert school["by_status"] == {
        "handed_over": 1,
        "handed_over_for_good": 1,
        "received": 1,
        "staged": 1,
    }
    assert school["shipments"] == [
        {"reference": "SH-1", "status": "partially_delivered", "devices": 4, "delivered": 3,
         "missing": 1}
    ]  # fmt: skip
    assert "delivered 2 of 4" in cli.ok("devices", "establishment", LYCEE)

    shown = cli.json("devices", "orders", "show", "CVL-1")
    assert [(x["model"], x["ordered"], x["received"], x["delivered"]) for x in shown["lines"]] == [
        ("Lenovo 300w", 5, 4, 2),
        ("iPad 10.2", 4, 3, 3),
    ]
    assert [(n["note"], n["quantity"]) for n in shown["delivery_notes"]] == [
        ("DN-1", 4),
        ("DN-2", 3),
    ]
    assert [o["reference"] for o in cli.json("devices", "orders", "list")] == ["CVL-1"]
    sh1 = cli.json("devices", "shipments", "show", "SH-1")
    assert (sh1["seal_number"], sh1["recipient"]) == ("SEAL-42", "Mme Leroy")
    assert [(x["serial"], x["state"]) for x in sh1["items"]] == [
        ("LP003", "missing"),  # in the order they were packed
        ("LP000", "delivered"),
        ("LP001", "delivered"),
        ("LP002", "delivered"),
    ]
    assert [s["reference"] for s in cli.json("devices", "shipments", "list")] == ["SH-1", "SH-2"]

    custody = cli.json("devices", "show", "lp000")
    assert custody["device"]["status"] == "handed_over"
    steps = custody["custody"]
    assert [s["event"] for s in steps] == [
        "Device.Announced", "Device.Received", "Device.Staged", "Device.Allocated",
        "Device.Packed", "Shipment.Sealed", "Device.Dispatched", "Device.Delivered",
        "Device.HandedOver", "Device.CharterSigned",
    ]  # fmt: skip
    by_event = {s["event"]: s for s in steps}
    assert by_event["Device.Received"]["references"] == {"order": "CVL-1", "delivery_note": "DN-1"}
    assert by_event["Shipment.Sealed"]["references"]["seal"] == "SEAL-42"
    delivery = by_event["Device.Delivered"]
    assert (delivery["by"], delivery["where"]) == (
        "facteur L. Petit",
        f"establishment {LYCEE} Lycée Voltaire",
    )
    assert by_event["Device.HandedOver"]["by"] == USER  # --by defaults to the user
    assert by_event["Device.CharterSigned"]["by"] == "CPE B. Roux"
    assert steps[-1]["where"] == "holder P-7" and steps[-1]["status"] == "handed over"
    positions = [s["position"] for s in steps]
    assert positions == sorted(positions)
    assert "Lycée Voltaire" in cli.ok("devices", "show", "LP000")


def last_position(store: str) -> int:
    app = Maillage(StoreLocation.parse(store))
    try:
        return app.last_position()
    finally:
        app.close()


def test_bad_input_is_refused_in_one_line_and_records_nothing(
    cli: Cli, store: str, tmp_path: Path
) -> None:
    cli.ok("devices", "orders", "add", "CVL-1", "--region", "R", "--buyer", "B",
           "--line", "Lenovo 300w:laptop:5", "--line", "iPad 10.2:tablet:3")  # fmt: skip
    cli.ok("devices", "orders", "receive", "CVL-1", "DN-1", "LP000", "LP001", "--depot", DEPOT)
    cli.ok("devices", "stage", "LP000=M0", "LP001=M1", "--image", "v1")
    before = last_position(store)

    cases = [
        (("faulty", "ZZ999", "--fault", "x"), "no device with serial ZZ999 was announced"),
        (
            ("hand-over", "LP004", "--holder", "P-1", "--holder-role", "pupil"),
            "device LP004 is announced; it cannot be handed to a pupil or teacher "
            "(only when delivered or returned); allowed now: receive",
        ),
        (
            ("stolen", "LP000", "--circumstances", "bag snatched"),
            "device LP000: reporting a theft needs the police report reference",
        ),
        (
            ("allocate", "LP000", "--uai", "0370035M"),
            "no establishment with UAI 0370035M is registered",
        ),
        (("allocate", "LP000", "--uai", "0370035A"), "has check letter A, expected M"),
        (
            ("allocate", "--uai", LYCEE, "--serials-file", str(tmp_path / "nope.txt")),
            f"serials file {tmp_path / 'nope.txt'} does not exist",
        ),
        (("allocate", "LP000", "LP001", "LP004", "--uai", LYCEE), "device LP004 is announced"),
        (("shipments", "seal", "SH-9", "--seal", "S-1"), "no shipment SH-9 was prepared"),
        (
            (
                "kits",
                "reserve",
                "CM-9",
                "--class",
                "6e",
                "--start",
                "2026-03-02T10:00",
                "--end",
                "2026-03-02T11:00",
            ),
            "no kit CM-9 was assembled",
        ),
        (("orders", "show", "CVL-9"), "no order CVL-9 is recorded"),
        (("show", "NOPE1"), "no device with serial NOPE1 was announced"),
        (("establishment", "0370035M"), "no establishment with UAI 0370035M is registered"),
        (("stage", "LP000", "--image", "v1"), "'LP000' is not SERIAL=ENROLMENT_ID"),
    ]
    for argv, message in cases:
        err = cli.refused("devices", *argv)
        assert message in err, (argv, err)
    err = cli.refused("devices", "faulty", "LP000", "--fault", "x", "--role", "auditor")
    assert "'maillage devices faulty' would change the store" in err

    assert last_position(store) == before
    status = cli.json("devices", "list", "--status", "staged")
    assert [d["serial"] for d in status] == ["LP000", "LP001"]


def test_the_import_commands_live_under_devices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["devices", "import", "--help"])
    assert done.value.code == 0
    assert "usage: maillage devices import" in capsys.readouterr().out
