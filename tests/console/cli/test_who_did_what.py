"""Who did what: the command line and the TUI record role, user and command with every write.

Real stores (SQLite and PostgreSQL for the command line, the demo store for the
TUI driven by Textual's pilot); the records are read back with
``domain.audit.command_record``, the chain is checked with ``maillage audit verify``
and the views with ``maillage audit replay``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from console.cli.tui import tui, worker_command
from console.identity import assumed
from console.opening import open_store
from console.settings import resolve
from domain.application import Maillage
from domain.audit.command_record import RECORDED_TOPIC, Actor, CommandInfo, command_at, commands_at
from domain.clock import FixedClock
from domain.store import StoreLocation

from ..helpers import SAINT_CYR, TOURS, open_newest_alert, store_arg, wait_for

ORDER = "CVL-2026-01"
ANNOUNCED = "domain.devices.device:Device.Announced"


def add_order(store: str, *who: str) -> int:
    argv = ["devices", "orders", "add", ORDER, "--region", "Centre-Val de Loire"]
    argv += ["--buyer", "DRANE", "--line", "Latitude 3140:laptop:100", "--store", store]
    return main([*argv, *who])


def log(location: StoreLocation) -> tuple[list[str], dict[int, CommandInfo]]:
    """The topic at each position, and the command record covering each position."""
    app = Maillage(location)
    try:
        last = app.last_position()
        topics = [n.topic for n in app.recorder.select_notifications(1, last + 1)]
        return topics, commands_at(app, range(1, last + 1))
    finally:
        app.close()


def test_a_command_is_recorded_with_its_role_user_and_words(location: StoreLocation) -> None:
    store = store_arg(location)

    with assumed("alice"):  # alice's proven identity: she creates the store
        assert add_order(store, "--role", "operator") == 0

    topics, found = log(location)
    # Her first write made her the store's administrator, then placed the order.
    assert [t.rsplit(".", 1)[-1] for t in topics] == [
        "Recorded", "Founded", "Registered", "RoleGranted", "Recorded", "Placed",
    ]  # fmt: skip
    founding, record = found[1], found[6]
    assert founding.events == 3 and (founding.user, founding.role) == ("alice", "operator")
    assert found[5] is record and record.position == 5 and record.events == 1
    assert (record.role, record.user, record.command, record.scope) == (
        "operator",
        "alice",
        "devices orders add",
        None,
    )


def test_a_manifest_import_records_one_record_per_batch_and_stays_verifiable(
    location: StoreLocation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_arg(location)
    with assumed("alice"):
        assert add_order(store) == 0
        grant = ["people", "grant", "bob", "--role", "technician", "--store", store]
        assert main(grant) == 0
    manifest = tmp_path / "manifest.csv"
    lines = [f"PF{i:07d},Latitude 3140,laptop,{ORDER}" for i in range(7)]
    manifest.write_text("serial,model,kind,order_reference\n" + "\n".join(lines) + "\n")
    argv = ["devices", "import", "manifest", str(manifest), "--batch-size", "3", "--store", store]

    with assumed("bob"):
        assert main(argv) == 0  # bob works as what alice granted him

    topics, found = log(location)
    records = sorted({info.position: info for info in found.values()}.values(), key=_position)
    imports = [r for r in records if r.command == "devices import manifest"]
    assert [r.events for r in imports] == [3, 3, 1]  # one record per batch transaction
    for r in imports:
        assert (r.role, r.user) == ("technician", "bob")
        covered = topics[r.position : r.position + r.events]  # the positions after the record
        assert covered == [ANNOUNCED] * r.events
    # founding (record + 3), the order (record + 1), bob's grant (record + 2), the import
    assert topics.count(RECORDED_TOPIC) == 6 and len(topics) == 4 + 2 + 3 + 3 + 7

    capsys.readouterr()
    with assumed("alice"):
        assert main(["audit", "verify", "--store", store, "--role", "auditor"]) == 0
    assert capsys.readouterr().out.startswith("audit chain intact: 19 events up to position 19")
    with assumed("alice"):
        assert main(["audit", "replay", "--store", store, "--role", "auditor"]) == 0
    assert "equal to the live views" in capsys.readouterr().out


def _position(info: CommandInfo) -> int:
    return info.position


def test_the_auditors_refusal_records_nothing(
    location: StoreLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_arg(location)
    assert add_order(store) == 0
    before = log(location)
    capsys.readouterr()

    assert add_order(store, "--role", "auditor") == 2

    assert "the auditor role is read-only" in capsys.readouterr().err
    assert log(location) == before


def test_a_ccas_command_records_its_municipality(
    two_towns: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _, saint_cyr_alert = two_towns
    grant = ["people", "grant", "mme.roy", "--role", "ccas", "--scope", SAINT_CYR]
    assert main([*grant, "--store", store]) == 0  # by the store's administrator
    argv = ["meals", "alerts", "ack", saint_cyr_alert[:8], "--by", "Mme Roy", "--store", store]

    with assumed("mme.roy"):
        assert main(argv) == 0  # works as granted: ccas of Saint-Cyr

    app = Maillage(StoreLocation.parse(store))
    try:
        last = app.last_position()
        record = commands_at(app, [last])[last]
    finally:
        app.close()
    assert record.events == 1 and record.position == last - 1
    assert (record.role, record.user, record.scope, record.command) == (
        "ccas",
        "mme.roy",
        SAINT_CYR,
        "meals alerts ack",
    )


async def test_the_console_records_its_writes_with_the_action_that_made_them(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    with assumed("claire"):
        settings = resolve(str(demo_store), "ccas", "claire", TOURS)
    store = open_store(settings)
    before = store.last_position()
    app = tui(settings, store)
    async with app.run_test(size=(150, 45)) as pilot:
        await open_newest_alert(app, pilot)
        screen = app.screen
        await pilot.press("a")
        await wait_for(pilot, lambda: store.last_position() > before, "the acknowledgement")
    last = store.last_position()
    found = commands_at(store, range(before + 1, last + 1))
    assert last == before + 2 and set(found) == {before + 1, before + 2}
    record = found[last]
    assert (record.role, record.user, record.scope, record.command) == (
        "ccas",
        "claire",
        TOURS,
        "console AlertScreen acknowledge",
    )
    assert found[before + 1] is record and screen.alert_id is not None


async def test_a_write_from_a_thread_worker_is_named_by_its_screen_and_worker(
    tmp_path: Path,
) -> None:
    """Thread workers do not inherit the action's context: the worker names the command."""
    from textual.app import App

    from domain.sensing.field_report import record_report

    store = Maillage(StoreLocation.parse(str(tmp_path / "s.sqlite")))
    store.act_as(Actor("technician", "lea"), "console")
    store.command_namer = worker_command

    class Tiny(App[None]):
        def on_mount(self) -> None:
            self.run_worker(self.write, thread=True, name="field_report")

        def write(self) -> None:
            record_report(store, "failing_signage", 47.39, 0.69, "lea")

    async with Tiny().run_test() as pilot:
        for _ in range(200):
            if store.last_position() == 2:
                break
            await pilot.pause(0.05)
    found = commands_at(store, [1, 2])
    assert found[2].command == "console Tiny field_report" and found[1] is found[2]
    record_report(store, "failing_signage", 47.39, 0.69, "lea")  # not in a worker
    assert command_at(store, store.last_position()).command == "console"  # type: ignore[union-attr]
    store.close()
