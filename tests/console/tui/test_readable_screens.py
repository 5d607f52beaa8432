"""People read names and local times in the console too: every mode and every dialog, drawn
by the real app on the demo store, shows no UUID and no date and time without its zone."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.tui.widgets.virtual_table import VirtualTable
from domain.clock import FixedClock
from tests.console.cli.test_readable import _problems_in_text

from ..helpers import wait_for
from .test_snapshot_screens import DIALOGS, MODES, _app, _dialog, _still

TEXT_RE = re.compile(r'<text[^>]*\by="([\d.]+)"[^>]*>([^<]*)</text>')


def screen_text(svg: str) -> str:
    """The characters on the screen, line by line, from the app's SVG screenshot."""
    lines: dict[float, list[str]] = defaultdict(list)
    for y, chunk in TEXT_RE.findall(svg):
        lines[float(y)].append(html.unescape(chunk).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(lines.items()))


async def _audit(pilot: Pilot) -> None:
    await pilot.press("5")
    await wait_for(
        pilot,
        lambda: (
            bool(pilot.app.screen.query("#audit-log"))
            and len(pilot.app.screen.query_one("#audit-log", VirtualTable).rows) > 0
        ),
        "the audit log",
    )
    await _still(pilot)


SCREENS = {**{f"mode {k}": v for k, v in MODES.items()}, "mode audit": _audit}


@pytest.mark.parametrize("name", SCREENS)
async def test_modes_show_names_and_local_times(
    fixed_store: Path, paris_clock: FixedClock, name: str
) -> None:
    app = _app(fixed_store)
    async with app.run_test(size=(200, 50)) as pilot:
        await SCREENS[name](pilot)
        text = screen_text(app.export_screenshot())
    assert text.strip()
    assert _problems_in_text(text) == []


@pytest.mark.parametrize("dialog", [*DIALOGS, "sessions"])
async def test_dialogs_show_names_and_local_times(
    fixed_store: Path, paris_clock: FixedClock, dialog: str
) -> None:
    app = _app(fixed_store)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(
            pilot, lambda: "events" in str(app.screen.query_one("#tile-log").figure.render()),
            "the dashboard",
        )  # fmt: skip
        screen = _dialog(fixed_store, dialog)
        await app.push_screen(screen)
        if getattr(screen, "body_text", None) is not None:
            await wait_for(pilot, lambda: "reading…" not in screen.body_text, "the dialog's text")
        await _still(pilot)
        text = screen_text(app.export_screenshot())
    assert text.strip()
    assert _problems_in_text(text) == []


def test_screen_text_reads_the_svg() -> None:
    svg = (
        '<text class="r1" x="0" y="20" textLength="24">W-1A&#160;</text>'
        '<text class="r2" x="24" y="20" textLength="24">2026-03-20&#160;10:00&#160;CET</text>'
        '<text class="r1" x="0" y="44.4" textLength="24">next</text>'
    )
    assert screen_text(svg) == "W-1A 2026-03-20 10:00 CET\nnext"
