"""Sensor sessions and audit reports from the command palette, driven by the real app's
pilot on the demo store (its VAN-12 session is recorded and processed)."""

from __future__ import annotations

from pathlib import Path

from domain.clock import FixedClock
from domain.sensing import service

from ..helpers import TOURS, fill_form, make_app, notified, run_palette, wait_for


async def test_sessions_listed_and_processed(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    from console.tui.screens.sessions import SessionsScreen

    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        (session,) = service.list_sessions(app.store)
        prefix = str(session.id)[:8]
        await run_palette(app, pilot, "Sessions: list")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen), "the list")
        shown = app.screen
        await wait_for(pilot, lambda: prefix in shown.body_text, "the session")
        assert "VAN-12" in shown.body_text and "processed" in shown.body_text
        await pilot.press("escape")

        await run_palette(app, pilot, "Sessions: process")
        await fill_form(app, pilot, session=prefix, municipality=TOURS)
        await wait_for(pilot, lambda: notified(app, "processed"), "the processing")


async def test_an_audit_report_written_from_the_palette(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    app = make_app(demo_store, role="auditor")
    async with app.run_test(size=(100, 30)) as pilot:
        target = tmp_path / "fait.csv"
        await run_palette(app, pilot, "Audit: write a report")
        await fill_form(
            app, pilot, kind="service-fait", subject=TOURS, month="2026-03", format="csv",
            output=str(target),
        )  # fmt: skip
        await wait_for(pilot, lambda: notified(app, "report written"), "the report")
        assert "2026-03" in target.read_text(encoding="utf-8")
