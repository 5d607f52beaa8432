"""Session bundles from the command palette: a real session of the demo exported to a signed
bundle, then imported into a second store through the console; a bundle from a laptop the depot
does not know, and an export with no laptop key, refused in one line with nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.recording.laptop_keys import LAPTOP_KEY_DIR_ENV
from domain.clock import FixedClock
from domain.sensing import service

from ..helpers import fill_form, make_app, notified, run, run_palette, wait_for


def _depot(tmp_path: Path) -> Path:
    """An empty depot store in a folder of its own, its views made (as ``maillage`` does before
    it opens the console)."""
    depot = tmp_path / "depot" / "depot.sqlite"
    depot.parent.mkdir()
    assert run(str(depot), "store", "init") == 0
    assert run(str(depot), "views", "update") == 0
    return depot


async def _export(demo_store: Path, bundle: Path) -> str:
    """The demo's session exported from the palette to ``bundle``; its id's first characters."""
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        (session,) = service.list_sessions(app.store)
        prefix = str(session.id)[:8]
        await run_palette(app, pilot, "Export session bundle…")
        await fill_form(app, pilot, session=prefix, output=str(bundle))
        await wait_for(pilot, lambda: notified(app, "exported"), "the export")
    assert bundle.is_file()
    return prefix


async def test_a_bundle_exported_then_imported_into_another_store(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path, register_laptop
) -> None:  # type: ignore[no-untyped-def]
    bundle = tmp_path / "van-12.bundle"
    prefix = await _export(demo_store, bundle)

    depot = _depot(tmp_path)
    register_laptop(depot)
    app = make_app(depot)
    async with app.run_test(size=(100, 30)) as pilot:
        assert service.list_sessions(app.store) == []
        await run_palette(app, pilot, "Import session bundle…")
        await fill_form(app, pilot, bundle=str(bundle))
        await wait_for(pilot, lambda: notified(app, "imported"), "the import")
        (imported,) = service.list_sessions(app.store)
        assert str(imported.id).startswith(prefix) and imported.vehicle == "VAN-12"
        assert (depot.parent / "journals" / imported.journal_name).is_file()

        await run_palette(app, pilot, "Import session bundle…")  # a second time: no change
        last = app.store.last_position()
        await fill_form(app, pilot, bundle=str(bundle))
        await wait_for(pilot, lambda: notified(app, "already here"), "the second import")
        assert app.store.last_position() == last


async def test_a_bundle_from_an_unknown_laptop_is_refused_in_one_line(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    bundle = tmp_path / "van-12.bundle"
    await _export(demo_store, bundle)
    depot = _depot(tmp_path)
    app = make_app(depot)  # the depot never registered the laptop's key
    async with app.run_test(size=(100, 30)) as pilot:
        last = app.store.last_position()
        await run_palette(app, pilot, "Import session bundle…")
        await fill_form(app, pilot, bundle=str(bundle))
        await wait_for(pilot, lambda: notified(app, "refused, nothing recorded"), "the refusal")
        (said,) = [n.message for n in app._notifications if "refused" in n.message]
        assert "\n" not in said and "test-laptop" in said
        assert app.store.last_position() == last
        assert service.list_sessions(app.store) == []


async def test_an_export_without_a_laptop_key_is_refused(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LAPTOP_KEY_DIR_ENV, str(tmp_path / "no-keys"))
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await run_palette(app, pilot, "Export session bundle…")
        await wait_for(pilot, lambda: notified(app, "no laptop signing keys"), "the refusal")
        assert notified(app, "create one with 'maillage sessions keys create NAME'")
