"""README commands the console had no path for (issue 14 item 4), each from its palette entry
through the same service or integration function as its command line: a day's orders, the
CCAS mails due, an audit checkpoint and replay, a session closed, the territory in force…"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.tui.app import MaillageApp
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.text import TextScreen
from domain.audit.checkpoint import Checkpoint
from domain.clock import FixedClock
from domain.meals import service as meals

from ..helpers import (
    TOURS,
    Inbox,
    ccas_mails_to,
    fill_form,
    make_app,
    notified,
    notified_match,
    run_palette,
    wait_for,
)


async def test_a_day_s_orders_from_the_palette(demo_store: Path, paris_clock: FixedClock) -> None:
    app = make_app(demo_store, "auditor")  # a read: the auditor may
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: a day's orders")
        await fill_form(app, pilot, municipality=TOURS, day="2026-03-23")
        screen = app.screen
        assert isinstance(screen, TextScreen)
        await wait_for(pilot, lambda: "kitchen:" in screen.body_text, "the orders")
        first = screen.body_text.splitlines()[0]
        assert first.startswith("2026-03-23: ") and " meals for " in first, first
        assert "(orders open, closing 2026-03-2" in first and "CET)" in first, first


@pytest.fixture
def mailing(demo_store: Path, smtp: tuple[Inbox, int]) -> tuple[MaillageApp, Inbox, str]:
    """The demo's console as an operator, Tours's CCAS mails going to the local SMTP server,
    and the file number of a beneficiary of Tours."""
    inbox, port = smtp
    app = make_app(demo_store, "operator")
    ccas_mails_to(app, port)
    return app, inbox, meals.beneficiary_rows(app.store, TOURS)[0]["file_number"]


async def test_the_ccas_mails_due_sent_from_the_palette(
    mailing: tuple[MaillageApp, Inbox, str], paris_clock: FixedClock
) -> None:
    app, inbox, file_number = mailing
    alert = meals.raise_alert(
        app.store, TOURS, file_number, "health", "urgent", "on the floor", "L"
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: send the CCAS mails due")
        await fill_form(app, pilot, municipality=TOURS)
        said = f"CCAS of Tours mailed about welfare alert {alert.reference}"
        await wait_for(pilot, lambda: notified(app, said), "the mail")
        assert any(alert.reference in e.content.decode() for e in inbox.envelopes)
        assert meals.mails_due(app.store, TOURS) == []


async def test_an_alert_raised_from_the_palette_mails_the_ccas_at_once(
    mailing: tuple[MaillageApp, Inbox, str], paris_clock: FixedClock
) -> None:
    app, inbox, file_number = mailing
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Meals: raise a welfare alert")
        await fill_form(app, pilot, municipality=TOURS, file=file_number, category="health",
                        severity="urgent", note="on the floor", by="L. Petit")  # fmt: skip
        message, reference = await notified_match(
            app, pilot, r"welfare alert (W-[0-9A-F]{8}) raised \(health, urgent\)"
        )
        assert f"CCAS of Tours mailed about welfare alert {reference}" in message
        assert any(reference in e.content.decode() for e in inbox.envelopes)
        assert meals.mails_due(app.store, TOURS) == []


async def test_an_audit_checkpoint_written_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_AUDIT_KEY", "a key of the municipality's auditor, long enough")
    app = make_app(demo_store, "auditor")  # a read: the auditor may
    output = demo_store.parent / "checkpoint.json"
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Audit: write a checkpoint")
        await fill_form(app, pilot, output=str(output))
        await wait_for(pilot, lambda: notified(app, "checkpoint written to"), "the checkpoint")
        assert notified(app, "signed with the key from $MAILLAGE_AUDIT_KEY")
        checkpoint = Checkpoint.from_json(output.read_text(encoding="utf-8"))
        assert checkpoint.position == app.store.last_position()
        assert checkpoint.signature(b"a key of the municipality's auditor, long enough") == "valid"


async def test_every_view_replayed_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store, "auditor")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Audit: replay every view")
        await wait_for(pilot, lambda: notified(app, "views replayed up to position"), "replay")
        assert notified(app, f"{app.store.last_position():,}: equal to the live views")


def _killed_session(store: Path) -> str:
    """A session left recording with its journal beside the store (chunks the session never
    recorded), as a recorder killed mid-session leaves it; its id's first characters."""
    from domain.application import Maillage
    from domain.sensing import service
    from domain.store import StoreLocation
    from drivers.codecs.nmea import encode_sentence
    from drivers.journal import JournalWriter

    name = "VAN-12-20260320T080000Z-0a1b2c3d.journal"
    (store.parent / "journals").mkdir(exist_ok=True)
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        channels = {"gps": ("gps", "/dev/ttyACM0")}
        session = service.start_session(app, "VAN-12", channels, name, "k")
    finally:
        app.close()
    with JournalWriter(store.parent / "journals" / name, chunk_bytes=1500) as journal:
        gps = journal.declare("gps")
        for i in range(40):
            fix = f"GNGGA,0800{i:02d}.00,4723.4000,N,00041.3000,E,1,09,0.9,52.0,M,,M,,"
            journal.write(gps, encode_sentence(fix))
    return str(session.id)[:8]


async def test_an_interrupted_session_closed_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from domain.sensing import service
    from domain.sensing.sensor_session import SensorSession

    prefix = _killed_session(demo_store)
    app = make_app(demo_store, "technician")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Sessions: close an interrupted session")
        await fill_form(app, pilot, session=prefix, reason="laptop crashed")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        said = f"session {prefix} closed after an interruption"
        await wait_for(pilot, lambda: notified(app, said), "the closing")
        session = app.store.get(service.find_session(app.store, prefix), SensorSession)
        assert session.status == "stopped" and session.chunks
        assert session.interruption is not None and session.interruption["reason"] == (
            "laptop crashed"
        )


async def _import_network(app: MaillageApp, pilot: Pilot) -> None:
    """The town's road network imported from the palette (the demo has none)."""
    from drivers.simulator.town import EXTRACT

    await run_palette(app, pilot, "Territory: import a road network")
    await fill_form(app, pilot, file=str(EXTRACT))
    await wait_for(pilot, lambda: notified(app, "road network imported"), "the import")


async def test_the_territory_in_force_shown_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from domain.territory import service
    from drivers.simulator.town import EXTRACT

    app = make_app(demo_store, "operator")
    async with app.run_test(size=(100, 30)) as pilot:
        await _import_network(app, pilot)
        assert service.network_record(app.store) is not None
        await run_palette(app, pilot, "Territory: show what is in force")
        screen = app.screen
        assert isinstance(screen, TextScreen)
        await wait_for(pilot, lambda: "road network" in screen.body_text, "the territory")
        first = screen.body_text.splitlines()[0]
        assert first.startswith(f"road network from {EXTRACT.name} ("), first
        assert re.search(r" imported \d{4}-\d\d-\d\d \d\d:\d\d CES?T by claire: ", first), first


async def test_ranked_recommendations_shown_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    from domain.sensing import service

    app = make_app(demo_store, "operator")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Geo: ranked recommendations")
        await fill_form(app, pilot, municipality=TOURS, budget="20000")
        screen = app.screen
        assert isinstance(screen, TextScreen)
        await wait_for(pilot, lambda: "  1. " in screen.body_text, "the ranking")
        (first, *_) = service.places(app.store, TOURS, budget_eur=20000.0).recommendations
        assert f"  1. {first.title} at {first.where} (score {first.score:.2f}" in screen.body_text
        assert "budget" in screen.body_text and "       - " in screen.body_text


async def test_a_laptop_key_created_then_registered_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.recording.laptop_keys import LAPTOP_KEY_DIR_ENV, public_hex, signer
    from domain.sensing import service

    monkeypatch.setenv(LAPTOP_KEY_DIR_ENV, str(tmp_path / "keys"))
    app = make_app(demo_store, "technician")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Sessions: create this laptop's key")
        await fill_form(app, pilot, name="VAN-99-laptop")
        await wait_for(pilot, lambda: notified(app, "laptop key VAN-99-laptop created"), "key")
        public = public_hex(signer("VAN-99-laptop")[1])
        assert notified(app, f"with its public key {public}")
        assert service.laptop_public_key(app.store, "VAN-99-laptop") is None

        await run_palette(app, pilot, "Sessions: register a laptop's key")
        await fill_form(app, pilot, name="VAN-99-laptop", public_key=public)
        await wait_for(pilot, lambda: notified(app, "VAN-99-laptop: key registered"), "register")
        assert service.laptop_public_key(app.store, "VAN-99-laptop") == bytes.fromhex(public)


def _references(store: Path, folder: Path) -> Path:
    """Reference sections on the demo session's own 10 m rows, of IRI = 2·index + 1 m/km."""
    from domain.application import Maillage
    from domain.sensing import service
    from domain.sensing.results_store import load_results
    from domain.sensing.sensor_session import SensorSession
    from domain.store import StoreLocation

    app = Maillage(StoreLocation.parse(str(store)))
    try:
        (session,) = service.list_sessions(app)
        done = app.get(session.id, SensorSession).latest_processing
        assert done is not None
        rows = load_results(app.location, done["results_sha256"]).results["segments"]  # type: ignore[index]
    finally:
        app.close()
    lines = ["from_m,to_m,iri_m_per_km,osm_way"]
    ways = rows.get("way_id") or [None] * len(rows["from_m"])
    for i, index in enumerate(rows["roughness_index"]):
        if index is not None and len(lines) <= 12:
            lo = float(rows["from_m"][i])
            hi = float(rows["to_m"][i]) if "to_m" in rows else lo + float(rows["length_m"][i])
            lines.append(f"{lo},{hi},{2 * float(index) + 1},{ways[i] if ways[i] else ''}")
    path = folder / "reference.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_a_session_calibrated_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    reference = _references(demo_store, tmp_path)
    app = make_app(demo_store, "technician")
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Sessions: calibrate on reference sections")
        await fill_form(app, pilot, reference=str(reference))
        screen = app.screen
        assert isinstance(screen, TextScreen)
        await wait_for(pilot, lambda: "IRI = " in screen.body_text, "the fit")
        assert "IRI = 2.000 × index +1.000 m/km (r² 1.000) from 12 reference sections" in (
            screen.body_text
        )


async def test_a_route_for_the_simulator_written_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    output = tmp_path / "van.json"
    app = make_app(demo_store, "operator")
    async with app.run_test(size=(100, 30)) as pilot:
        await _import_network(app, pilot)
        await run_palette(app, pilot, "Territory: a route for the simulator")
        await fill_form(app, pilot, via="47.3964,0.6882 47.3895,0.6952", output=str(output))
        await wait_for(pilot, lambda: notified(app, "km on the network's streets"), "the route")
        scenario = json.loads(output.read_text(encoding="utf-8"))
        assert len(scenario["route"]) > 2 and scenario["stops"] == []
        assert notified(app, f"written to {output} (maillage simulate --scenario {output})")
