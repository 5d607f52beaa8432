"""``maillage audit state`` and ``maillage audit events`` on small real stores, as an auditor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from console.cli import main
from domain import clock
from domain.application import Maillage
from domain.audit.command_record import Actor
from domain.audit.time_travel import SEALED
from domain.audit.verify import chain_head
from domain.devices.service import ManifestLine, announce_devices
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.store import StoreLocation

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@dataclass(frozen=True)
class Store:
    arg: str
    jeanne: UUID
    positions: dict[str, int]
    last: int
    head: str


def store_arg(location: StoreLocation) -> str:
    if location.kind == "sqlite":
        return str(location.path)
    return (
        f"postgresql://{location.user}@{location.host}:{location.port}/{location.dbname}"
        f"?schema={location.schema}"
    )


def build(location: StoreLocation) -> Store:
    """Town and Jeanne at 08:00 UTC, her diet at 09:00, two devices at 10:00, her week at 11:00."""
    with clock.using_clock(clock.FixedClock(START)) as c:
        app = Maillage(location)
        town = Municipality.register(
            "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
        )
        jeanne = Beneficiary.register(
            "37261", "F1", town.id, {"name": "Jeanne Moreau"}, 47.39, 0.69, "low"
        )
        app.save(town, jeanne)
        positions = {"registered": app.last_position()}
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        jeanne.prescribe_diet("no_salt", "minced", [], [])
        app.save(jeanne)
        positions["diet"] = app.last_position()
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        announce_devices(app, [ManifestLine(f"SN{i}", "iPad", "tablet", "CVL-1") for i in (1, 2)])
        positions["devices"] = app.last_position()
        c.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        jeanne.set_weekly_pattern({0: 1})
        app.save(jeanne)
        positions["pattern"] = app.last_position()
        head = chain_head(app)[1].hex()
        app.close()
    return Store(store_arg(location), jeanne.id, positions, positions["pattern"], head)


@pytest.fixture
def small(sqlite_location: StoreLocation) -> Store:
    return build(sqlite_location)


def audit(store: Store, *args: str) -> int:
    return main(["audit", *args, "--store", store.arg, "--role", "auditor"])


def test_state_at_a_position_as_json(
    location: StoreLocation, capsys: pytest.CaptureFixture
) -> None:  # type: ignore[type-arg]
    store = build(location)
    assert (
        audit(
            store,
            "state",
            str(store.jeanne),
            "--position",
            str(store.positions["devices"]),
            "--json",
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["aggregate_id"] == str(store.jeanne) and out["aggregate_type"] == "Beneficiary"
    assert out["exists"] is True and out["version"] == 2 and out["versions"] == 3
    assert out["position"] == store.positions["devices"]
    assert out["last_event"]["event_type"] == "DietPrescribed"
    assert out["last_event"]["position"] == store.positions["diet"]
    assert out["attributes"]["personal"] == SEALED and out["attributes"]["diet"] == SEALED
    assert out["attributes"]["pattern"] == {} and out["attributes"]["status"] == "pending"
    assert out["log"] == {
        "read_up_to": store.last,
        "chain_head": {"position": store.last, "link": store.head},
    }
    assert "Jeanne" not in json.dumps(out, ensure_ascii=False)


def test_state_at_a_date_in_paris_time(small: Store, capsys: pytest.CaptureFixture) -> None:  # type: ignore[type-arg]
    # 11:59 Paris is 10:59 UTC: after the devices, before her week.
    assert audit(small, "state", small.jeanne.hex[:8], "--at", "2026-03-02 11:59") == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Beneficiary {small.jeanne.hex[:8]}\n")
    assert f"as of position {small.positions['devices']:,} (2026-03-02 11:59:00 CET): " in text
    assert "version 2 of 3" in text and "last event: DietPrescribed" in text
    assert f"  personal         {SEALED}" in text and "  pattern          {}" in text
    assert text.rstrip().endswith(f"chain head at position {small.last:,}: {small.head}")

    # A day alone means its end: everything of that day.
    assert audit(small, "state", str(small.jeanne), "--at", "2026-03-02", "--json") == 0
    assert json.loads(capsys.readouterr().out)["version"] == 3
    # The day before: she did not exist yet (an answer, not an error).
    assert audit(small, "state", str(small.jeanne), "--at", "2026-03-01") == 0
    text = capsys.readouterr().out
    assert "did not exist yet at position 0" in text
    assert f"its first event is at position {small.positions['registered']:,}" in text


def test_events_listed_with_filters_as_json(
    location: StoreLocation, capsys: pytest.CaptureFixture
) -> None:  # type: ignore[type-arg]
    store = build(location)

    def listed(*args: str) -> list[tuple[int, str, str]]:
        assert audit(store, "events", *args, "--json") == 0
        out = json.loads(capsys.readouterr().out)
        assert out["log"]["read_up_to"] == store.last
        return [(e["position"], e["aggregate_type"], e["event_type"]) for e in out["events"]]

    p = store.positions
    assert listed("--type", "Beneficiary") == [
        (p["registered"], "Beneficiary", "Registered"),
        (p["diet"], "Beneficiary", "DietPrescribed"),
        (p["pattern"], "Beneficiary", "WeeklyPatternSet"),
    ]
    assert listed("--aggregate", store.jeanne.hex[:10], "--limit", "2") == [
        (p["registered"], "Beneficiary", "Registered"),
        (p["diet"], "Beneficiary", "DietPrescribed"),
    ]
    assert listed("--type", "Registered,Device.Announced", "--type", "WeeklyPatternSet") == [
        (1, "Municipality", "Registered"),
        (p["registered"], "Beneficiary", "Registered"),
        (p["devices"] - 1, "Device", "Announced"),
        (p["devices"], "Device", "Announced"),
        (p["pattern"], "Beneficiary", "WeeklyPatternSet"),
    ]
    # 10:00 to 11:30 Paris is 09:00 to 10:30 UTC: the diet and the devices.
    assert listed("--since", "2026-03-02 10:00", "--until", "2026-03-02T11:30") == [
        (p["diet"], "Beneficiary", "DietPrescribed"),
        (p["devices"] - 1, "Device", "Announced"),
        (p["devices"], "Device", "Announced"),
    ]
    assert listed("--since", "2026-03-03") == []


def test_events_as_text(small: Store, capsys: pytest.CaptureFixture) -> None:  # type: ignore[type-arg]
    assert audit(small, "events", "--type", "DietPrescribed") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["POSITION", "TIME", "AGGREGATE", "TYPE", "EVENT", "BY"]
    assert lines[1].split() == [
        str(small.positions["diet"]),
        "2026-03-02",
        "10:00:00",
        "CET",
        small.jeanne.hex[:8],  # as the console's log browser names it
        "Beneficiary",
        "DietPrescribed",
        "—",  # written without an actor (the library used directly)
    ]
    assert lines[2].startswith("1 event · log read up to position")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("state", "00000000-0000-0000-0000-000000000000"), "no aggregate with id"),
        (("state", "not-an-id"), "'not-an-id' is not an aggregate id"),
        (("state", "{jeanne}", "--position", "999"), "position 999 is beyond the end of the log"),
        (("state", "{jeanne}", "--position", "-3"), "--position: -3 is below 0"),
        (("state", "{jeanne}", "--position", "two"), "--position: 'two' is not a whole number"),
        (("state", "{jeanne}", "--at", "2026-02-30"), "--at: '2026-02-30' is not a date"),
        (("events", "--since", "tomorrow"), "--since: 'tomorrow' is not a date"),
        (("events", "--until", "2026-03-01", "--since", "2026-03-02"), "the date range is empty"),
        (("events", "--limit", "0"), "--limit: 0 is below 1"),
        (("events", "--type", "Device/Announced"), "event type 'Device/Announced' is not a name"),
        (("events", "--aggregate", "abc"), "'abc' is not an aggregate id"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    small: Store,
    capsys: pytest.CaptureFixture,  # type: ignore[type-arg]
    args: tuple[str, ...],
    message: str,
) -> None:
    code = audit(small, *(a.format(jeanne=small.jeanne) for a in args))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("maillage: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_each_event_names_who_wrote_it(
    sqlite_location: StoreLocation,
    capsys: pytest.CaptureFixture,  # type: ignore[type-arg]
) -> None:
    """Events written under an actor list the role, user and command of their transaction."""
    small = build(sqlite_location)
    app = Maillage(sqlite_location)
    app.act_as(Actor("operator", "lea"), default_command="devices announce")
    with app.command("devices import manifest"):
        announce_devices(app, [ManifestLine("SN9", "iPad", "tablet", "CVL-1")])
    announce_devices(app, [ManifestLine("SN8", "iPad", "tablet", "CVL-1")])
    app.close()
    assert audit(small, "events", "--type", "Device.Announced", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["events"]
    by = [(r["by"] or {}).get("command") for r in rows]
    assert by == [None, None, "devices import manifest", "devices announce"]
    assert {(r["by"]["user"], r["by"]["role"]) for r in rows[2:]} == {("lea", "operator")}
    assert audit(small, "events", "--type", "Device.Announced") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].endswith("lea (operator) · devices import manifest")
