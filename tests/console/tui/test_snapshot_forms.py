"""Snapshots at 100×30 and 200×50 of the Audit mode and the sessions list (on a small store
built under a fixed clock with a fixed session id, so that the log's times and hashes stay the
same), and of every form added for bundles, municipalities, beneficiaries' files and the README's
commands the console took over (issue 14).

Update after an intended change with ``--snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from uuid import UUID

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.screens.form import FormScreen
from domain import clock
from domain.audit.command_record import CommandRecord
from domain.clock import FixedClock
from domain.meals import service as meals
from domain.meals.municipality import PriceBracket
from domain.sensing import service as sensing

from ..helpers import TOURS, run, wait_for

SIZES = {"100x30": (100, 30), "200x50": (200, 50)}
SESSION = UUID("5e55104e-0000-4000-8000-000000000001")
BUILT_AT = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def small_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tours configured and one recording session, written under a fixed clock at a fixed path:
    the same log, times and hashes on every run."""
    name = request.node.name.replace("[", "-").rstrip("]")
    folder = Path("/tmp/maillage-snapshots") / f"{name}-small"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    store = folder / "small.sqlite"
    monkeypatch.setattr("domain.sensing.sensor_session.uuid4", lambda: SESSION)
    ids = (UUID(int=n) for n in count(1))  # command records and the store's id: numbered
    monkeypatch.setattr(CommandRecord, "create_id", staticmethod(lambda *a, **k: next(ids)))
    monkeypatch.setattr("domain.persistence.uuid4", lambda: next(ids))
    with clock.using_clock(FixedClock(BUILT_AT)):
        assert run(str(store), "store", "init") == 0
        settings = resolve(str(store), "operator", "claire")
        app = open_store(settings)
        meals.register_municipality(app, TOURS, "Tours", "PPDC Tours Nord", "CCAS de Tours", [
            PriceBracket("low", 15000, 450, 100), PriceBracket("high", None, 720, 200)
        ])  # fmt: skip
        meals.configure_municipality(app, TOURS, "claire", acknowledge_within_min=120)
        sensing.start_session(app, "VAN-12", {"gps": ("gps", "/dev/ttyACM0")}, "van.journal", "k")
        app.close()
    assert run(str(store), "views", "update") == 0
    return store


def _app(store: Path) -> MaillageApp:
    settings = resolve(str(store), "operator", "claire")
    return MaillageApp(settings, open_store(settings))


async def _still(pilot: Pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_audit_mode(snap_compare, small_store: Path, paris_clock: FixedClock, size: str) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("5")
        await wait_for(pilot, lambda: "chain head" in str(
            pilot.app.screen.query_one("#audit-head").render()), "the log")  # fmt: skip
        await _still(pilot)

    assert snap_compare(_app(small_store), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_sessions_list(snap_compare, small_store: Path, paris_clock: FixedClock, size: str) -> None:  # type: ignore[no-untyped-def]
    from console.tui.screens.sessions import SessionsScreen

    async def run_before(pilot: Pilot) -> None:
        screen = SessionsScreen()
        await pilot.app.push_screen(screen)
        await wait_for(pilot, lambda: "VAN-12" in screen.body_text, "the sessions")
        await _still(pilot)

    assert snap_compare(_app(small_store), terminal_size=SIZES[size], run_before=run_before)


def _forms() -> dict[str, Callable[[MaillageApp], object]]:
    from console.tui.actions import audit, meals, sessions, territory
    from console.tui.actions import meals_files as files

    return {
        "export-bundle": sessions.export_bundle,
        "import-bundle": sessions.import_bundle,
        "add-municipality": files.add_municipality,
        "configure-municipality": files.configure_municipality,
        "welfare-rules": files.welfare_rules,
        "ccas-mail": files.ccas_mail,
        "add-beneficiary": files.add_beneficiary,
        "edit-beneficiary": lambda app: files.edit_beneficiary(app, TOURS, "2025-0100"),
        "end-service": lambda app: files.end_service(app, TOURS, "2025-0100"),
        "day-orders": meals.show_orders,
        "notify-ccas": meals.notify_ccas,
        "audit-checkpoint": audit.write_checkpoint,
        "close-session": sessions.close,
        "calibrate": sessions.calibrate,
        "create-laptop-key": sessions.create_laptop_key,
        "register-laptop-key": sessions.register_laptop_key,
        "route": territory.route,
        "recommend": territory.recommend,
    }


FORMS = ("export-bundle", "import-bundle", "add-municipality", "configure-municipality",
         "welfare-rules", "ccas-mail", "add-beneficiary", "edit-beneficiary",
         "end-service", "day-orders", "notify-ccas", "audit-checkpoint", "close-session",
         "calibrate", "create-laptop-key", "register-laptop-key", "route",
         "recommend")  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("form", FORMS)
def test_new_form(  # type: ignore[no-untyped-def]
    snap_compare, fixed_store: Path, small_store: Path, paris_clock: FixedClock, form: str,
    size: str,
) -> None:  # fmt: skip
    fixed_session = form in ("export-bundle", "calibrate")
    store = small_store if fixed_session else fixed_store  # a fixed session id

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: "events" in str(
            pilot.app.screen.query_one("#tile-log").figure.render()), "the dashboard")  # fmt: skip
        _forms()[form](pilot.app)  # type: ignore[arg-type]
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FormScreen), "the form")
        await _still(pilot)

    assert snap_compare(_app(store), terminal_size=SIZES[size], run_before=run_before)
