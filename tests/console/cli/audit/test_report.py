"""``maillage audit report …`` on the demo store and on PostgreSQL: every kind, every format,
figures as recorded, the chain head stated, bad input in one line, nothing personal."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from console.cli import main
from console.identity import os_login
from domain.application import Maillage
from domain.audit.reports.render import read_csv_table
from domain.audit.verify import chain_head
from domain.clock import FixedClock
from domain.devices.custody import custody_chain
from domain.meals.meal_round import DELIVERED, MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.views import beneficiary_list
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation, ViewConnection

DEMO_NOTES = (
    "Looked confused",
    "Gas smell in the kitchen",
    "Fell in the hallway",
    "Heating out of order",
    "Short of breath",
    "Called the family",
)
EXTERNAL = re.compile(r"(src|href|action)\s*=|url\(|@import|<link|<script|<img|https?:", re.I)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report(
    capsys: pytest.CaptureFixture[str], store: Path | str, *args: str, role: str = "auditor"
) -> str:
    code, out, err = run(capsys, "audit", "report", *args, "--store", str(store), "--role", role)
    assert code == 0, err
    return out


def head_of(store: Path) -> tuple[int, str]:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        position, link = chain_head(app)
    finally:
        app.close()
    return position, link.hex()


def query(store: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple]:
    conn = ViewConnection.open(StoreLocation.parse(str(store)))
    try:
        return conn.fetchall(statement, params)
    finally:
        conn.close()


def rounds_of(store: Path) -> list[MealRound]:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        ids = [UUID(r[0]) for r in query(store, "SELECT id FROM rounds_view ORDER BY day")]
        return [app.get(i, MealRound) for i in ids]
    finally:
        app.close()


# ----------------------------------------------------------------------------- demo store


def test_service_fait_in_every_format_states_the_head_and_the_statements_figures(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("service-fait", "--municipality", "37261", "--month", "2026-03")
    position, head = head_of(demo_store)
    meta, table = read_csv_table(report(capsys, demo_store, *args, "--format", "csv"))
    md = report(capsys, demo_store, *args)
    page = report(capsys, demo_store, *args, "--format", "html")

    assert (meta["log_position"], meta["chain_head"]) == (str(position), head)
    assert (meta["made_by"], meta["role"]) == (os_login(), "auditor")  # the proven account
    for text in (md, page):
        assert f"log position: {position}" in text or f"<dd>{position}</dd>" in text
        assert head in text
    assert EXTERNAL.search(page) is None and page.startswith("<!doctype html>")

    # The figures are the statement's (one computation) …
    code, out, _ = run(capsys, "meals", "statement", "--municipality", "37261", "--month",
                       "2026-03", "--format", "json", "--store", str(demo_store))  # fmt: skip
    statement = json.loads(out)
    assert code == 0
    assert int(meta["meals_planned"]) == statement["planned"]
    assert int(meta["meals_delivered"]) == int(meta["meals_billed"]) == statement["delivered"]
    assert meta["amount_due"] == f"{statement['amount_cents'] / 100:.2f}"
    reasons = {r["reason"]: int(r["meals_not_delivered"]) for r in table
               if r["section"] == "Not delivered, by reason"}  # fmt: skip
    assert reasons == statement["gaps"]
    # … and what the rounds recorded: meals at stops put in the fridge or handed over.
    delivered = sum(
        s["meals"]
        for r in rounds_of(demo_store)
        if r.status == "completed" and r.day.startswith("2026-03")
        for s in r.stops
        if s["outcome"] in DELIVERED
    )
    assert int(meta["meals_delivered"]) == delivered > 0
    brackets = [r for r in table if r["section"] == "Billed by price bracket"]
    assert brackets[-1]["bracket"] == "all brackets"
    assert sum(int(r["meals_delivered"]) for r in brackets[:-1]) == delivered
    assert head_of(demo_store) == (position, head)  # making reports wrote nothing


def test_the_cold_chain_of_the_demo_excursion(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    (rnd,) = [r for r in rounds_of(demo_store) if r.excursions]
    meta, table = read_csv_table(
        report(capsys, demo_store, "cold-chain", str(rnd.id)[:8], "--format", "csv")
    )
    readings = [r for r in table if r["section"] == "Timeline" and r["source"]]
    handovers = [s for s in rnd.stops if s.get("handover_temperature_c") is not None]
    assert len(readings) == len(rnd.boxes) + len(rnd.readings) + len(handovers)
    assert max(float(r["temperature_c"]) for r in readings) == 4.6
    (excursion,) = [r for r in table if r["section"] == "Excursions"]
    assert (excursion["box"], excursion["peak_c"], excursion["decision"]) == (
        rnd.excursions[0]["box"], "4.6", "released",
    )  # fmt: skip
    assert excursion["decided_by"] == rnd.excursions[0]["decision"]["by"]
    assert float(excursion["duration_min"]) > 0
    assert meta["excursions"] == "1" and meta["highest_reading_c"] == "4.6"
    timeline = [r for r in table if r["section"] == "Timeline"]
    times = [datetime.fromisoformat(r["time"]) for r in timeline if r["entry"] != "box released"]
    assert times == sorted(times)  # in time order
    entries = [r["entry"] for r in timeline]
    assert entries.index("box released") == entries.index("excursion: box blocked") + 1
    released = timeline[entries.index("box released")]  # the demo releases it at once
    assert released["time"] == excursion["decided_at"] >= excursion["opened"]


def test_welfare_texts_are_withheld_from_the_auditor_only(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("welfare", "--municipality", "37261")
    for fmt in ("md", "html", "csv"):
        text = report(capsys, demo_store, *args, "--format", fmt)
        assert not any(note in text for note in DEMO_NOTES), fmt
        assert "(not shown to this role)" in text
    shown = report(capsys, demo_store, *args, role="operator")
    assert all(note in shown for note in DEMO_NOTES)

    meta, table = read_csv_table(report(capsys, demo_store, *args, "--format", "csv"))
    alerts = [r for r in table if r["section"] == "Alerts"]
    assert meta["alerts"] == str(len(alerts)) == "5"
    # 240 minutes to acknowledge: two alerts raised days ago are still waiting (overdue);
    # the one raised at 09:40 this morning has waited 80 minutes at 11:00 (not yet).
    assert sorted(r["overdue"] for r in alerts) == ["", "", "", "OVERDUE", "OVERDUE"]
    today = next(r for r in alerts if r["raised_at"].startswith("2026-03-20"))
    assert (today["minutes_waiting"], today["overdue"]) == ("80.0", "")
    assert {r["minutes_to_acknowledge"] for r in alerts} == {"120.0", ""}


def test_custody_of_a_device_and_of_an_establishment(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    (serial,) = query(demo_store, "SELECT serial FROM devices_view WHERE status = 'returned' "
                      "ORDER BY serial LIMIT 1")[0]  # fmt: skip
    _, table = read_csv_table(report(capsys, demo_store, "custody", serial, "--format", "csv"))
    app = Maillage(StoreLocation.parse(str(demo_store)))
    try:
        chain = custody_chain(app, serial)
    finally:
        app.close()
    assert [r["event"] for r in table] == [s.event for s in chain]
    assert [int(r["position"]) for r in table] == [s.position for s in chain]

    (uai, count), *_ = query(
        demo_store,
        "SELECT allocated_uai, COUNT(*) FROM devices_view WHERE allocated_uai IS NOT NULL "
        "GROUP BY allocated_uai ORDER BY allocated_uai LIMIT 1",
    )
    meta, table = read_csv_table(
        report(capsys, demo_store, "custody", "--establishment", uai, "--format", "csv")
    )
    assert meta["devices_allocated"] == str(count)
    assert len([r for r in table if r["section"] == "Devices"]) == count
    page = report(capsys, demo_store, "custody", "--establishment", uai, "--format", "html")
    assert EXTERNAL.search(page) is None


def test_provenance_of_a_recorded_session(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Maillage(StoreLocation.parse(str(demo_store)))
    t0 = paris_clock.now()
    session = SensorSession.start("VAN-12", {"pm": ("pm", "/dev/ttyUSB1")}, "van12.journal", "K")
    session.record_chunk(0, "a1" * 32, 50, 19, 2048, t0, t0 + timedelta(seconds=30))
    session.stop({"pm": {"frames": 50}})
    session.record_processing("1.0", {"segment_m": 10.0}, [{"seq": 0, "sha256": "a1" * 32}],
                              "b2" * 32, "r.json", {}, by="K")  # fmt: skip
    app.save(session)
    app.close()
    md = report(capsys, demo_store, "provenance", session.id.hex[:10])
    for expected in ("a1" * 32, "b2" * 32, "/dev/ttyUSB1", "van12.journal", "| 1.0 "):
        assert expected in md
    meta, table = read_csv_table(
        report(capsys, demo_store, "provenance", str(session.id), "--format", "csv")
    )
    assert meta["journal_bytes"] == "2048" and meta["processings"] == "1"
    (run_row,) = [r for r in table if r["section"] == "Processings"]
    assert run_row["chunks_match_session"] == "yes"


def test_output_is_written_whole_with_one_line_naming_the_position(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "fait.html"
    code, out, err = run(capsys, "audit", "report", "service-fait", "--municipality", "37261",
                         "--month", "2026-03", "--format", "html", "--output", str(target),
                         "--store", str(demo_store), "--role", "auditor")  # fmt: skip
    position, head = head_of(demo_store)
    assert (code, err) == (0, "")
    assert out == (
        f"service-fait report written to {target} (html): log position {position}, "
        f"chain head {head}\n"
    )
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and head in page
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["service-fait", "--municipality", "37261", "--month", "2026-13"], "month '2026-13'"),
        (["service-fait", "--municipality", "99999", "--month", "2026-03"], "INSEE code 99999"),
        (["service-fait", "--municipality", "Tours", "--month", "2026-03"], "INSEE code 'Tours'"),
        (["cold-chain", "ffffffff"], "no round with id 'ffffffff'"),
        (["cold-chain", "abc"], "give at least 6 characters"),
        (["welfare", "--municipality", "37261", "--month", "03-2026"], "month '03-2026'"),
        (["custody", "NOPE-0000"], "no device with serial NOPE-0000"),
        (["custody", "--establishment", "0370001A"], "no establishment with UAI 0370001A"),
        (["custody", "--establishment", "12345"], "UAI '12345' must be 7 digits"),
        (["custody"], "give a SERIAL or --establishment UAI"),
        (["custody", "LP1", "--establishment", "0370001A"], "give a SERIAL or --establishment"),
        (["provenance", "abcdef12"], "no session with id 'abcdef12'"),
        (["cold-chain", "abcdef", "--output", "/nonexistent/dir/r.md"], "is not a folder"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    args: list[str], message: str, demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "audit", "report", *args, "--store", str(demo_store),
                         "--role", "auditor")  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("maillage: error: ") and message in err, err
    assert "Traceback" not in err


def test_an_erased_beneficiary_appears_in_no_report_and_counts_stay(
    demo_store: Path, paris_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo's first alert is about file 2025-0103; their name is in the views until erased.
    app = Maillage(StoreLocation.parse(str(demo_store)))
    conn = ViewConnection.open(app.location)
    ((name, address),) = [
        (r["name"], r["address"])
        for r in beneficiary_list(conn, app.subject_keys, "37261")
        if r["file_number"] == "2025-0103"
    ]
    conn.close()
    app.close()
    fait = ("service-fait", "--municipality", "37261", "--month", "2026-03", "--format", "csv")
    before, _ = read_csv_table(report(capsys, demo_store, *fait))
    welfare = report(capsys, demo_store, "welfare", "--municipality", "37261", role="operator")
    assert "2025-0103" in welfare  # referenced by file number while the person is known

    assert main(["audit", "erase-beneficiary", "2025-0103", "--municipality", "37261",
                 "--by", "DPO de Tours", "--store", str(demo_store)]) == 0  # fmt: skip
    capsys.readouterr()
    after, _ = read_csv_table(report(capsys, demo_store, *fait))
    figures = ("meals_planned", "meals_delivered", "meals_billed", "amount_due", "deliveries")
    assert {k: after[k] for k in figures} == {k: before[k] for k in figures}
    assert int(after["log_position"]) > int(before["log_position"])  # the erasure is recorded

    excursion_round = next(r for r in rounds_of(demo_store) if r.excursions)
    kinds = [
        fait[:-2],
        ("welfare", "--municipality", "37261"),
        ("cold-chain", str(excursion_round.id)),
    ]
    for kind in kinds:
        for fmt in ("md", "html", "csv"):
            for role in ("auditor", "operator"):
                text = report(capsys, demo_store, *kind, "--format", fmt, role=role)
                assert name not in text and address not in text and "2025-0103" not in text
    operator_view = report(capsys, demo_store, "welfare", "--municipality", "37261",
                           "--format", "csv", role="operator")  # fmt: skip
    files = [r["beneficiary_file"] for r in read_csv_table(operator_view)[1]
             if r["section"] == "Alerts"]  # fmt: skip
    assert files.count("(erased)") == 1 and "Looked confused" not in operator_view


# ----------------------------------------------------------------------------- both backends


def store_arg(location: StoreLocation) -> str:
    if location.kind == "sqlite":
        return str(location.path)
    return (
        f"postgresql://{location.user}@{location.host}:{location.port}/{location.dbname}"
        f"?schema={location.schema}"
    )


def test_cold_chain_and_service_fait_on_each_backend(
    location: StoreLocation, fixed_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from domain.meals.beneficiary import Beneficiary

    app = Maillage(location)
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
    )
    person = Beneficiary.register("37261", "F1", town.id, {"name": "Jeanne Moreau"}, 47, 0, "low")
    person.prescribe_diet("normal", "normal", [], [])
    person.set_weekly_pattern({0: 2})
    person.activate(date(2026, 3, 2))
    rnd = MealRound.plan(date(2026, 3, 2), "D", "P", "VAN-1", [(person.id, 2, "B1")])
    rnd.load({"B1": ("p", 2.0)})
    t = fixed_clock.now()
    fixed_clock.set(t + timedelta(minutes=15))  # recorded as it happens: never ahead of now
    rnd.record_probe_reading("B1", 3.8, t + timedelta(minutes=10))
    rnd.record_probe_reading("B1", 6.2, t + timedelta(minutes=15))
    rnd.release_box("B1", "M. Martin", "core at 2.8 °C")
    fixed_clock.set(t + timedelta(minutes=50))
    rnd.record_probe_reading("B1", 2.9, t + timedelta(minutes=40))
    rnd.record_stop(
        person.id, "put_in_fridge", t + timedelta(minutes=45), handover_temperature_c=2.5
    )
    rnd.complete(at=t + timedelta(minutes=50))
    app.save(town, person, rnd)
    position, link = chain_head(app)
    app.close()
    store = store_arg(location)

    fixed_clock.set(datetime(2026, 3, 9, 18, 0, tzinfo=UTC))
    meta, table = read_csv_table(
        report(capsys, store, "cold-chain", str(rnd.id), "--format", "csv")
    )
    assert (meta["log_position"], meta["chain_head"]) == (str(position), link.hex())
    (excursion,) = [r for r in table if r["section"] == "Excursions"]
    assert (excursion["peak_c"], excursion["duration_min"]) == ("6.2", "30.0")
    assert excursion["decided_by"] == "M. Martin"

    meta, table = read_csv_table(
        report(capsys, store, "service-fait", "--municipality", "37261", "--month", "2026-03",
               "--format", "csv")
    )  # fmt: skip
    assert (meta["meals_planned"], meta["meals_delivered"]) == ("4", "2")  # Mondays 2 and 9
    assert meta["amount_due"] == "10.50"  # 2 × 4.50 + 1.50
    assert (meta["log_position"], meta["chain_head"]) == (str(position), link.hex())
    assert "Jeanne" not in json.dumps(table)
