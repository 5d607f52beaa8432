"""Helpers the console tests share: running the command line on a store, beneficiary files,
store arguments, and driving the TUI with its pilot (``wait_for``, never a sleep)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from console.cli import main
from console.opening import open_store
from console.settings import resolve
from console.tui.app import MaillageApp
from console.tui.widgets.virtual_table import VirtualTable
from domain.store import StoreLocation

TOURS = "37261"
"""INSEE code of Tours: the demo's municipality and the command-line stores'."""
SAINT_CYR = "37214"
SAINT_CYR_FILE = "SC-001,Marc Lenoir,5 rue Fleurie,02 47 00 00 09,,,47.4003,0.6650,std,normal,normal,,,mon=1,,,,2026-03-02"  # noqa: E501

HEADER = ("file_number,name,address,phone,contact_person,access_notes,latitude,longitude,"
          "price_bracket,regime,texture,allergens,avoid,pattern,window_start,window_end,"
          "service_min,start_date")  # fmt: skip
GOOD = [
    "2026-001,Jeanne Moreau,12 rue Colbert,02 47 00 00 01,Paul (son),key box 1942,47.3961,0.6919,"
    "low,no_salt,minced,peanuts;celery,,mon=1;wed=1;fri=2,09:00,11:30,7,2026-03-02",
    "2026-002,Louis Girard,3 place Plumereau,02 47 00 00 02,,,47.3937,0.6843,"
    "high,normal,normal,,,mon=1;tue=1;wed=1;thu=1;fri=3,,,,2026-03-02",
]
"""Two good lines of a beneficiaries CSV file (Tours)."""


# ----------------------------------------------------------------------------- command line


def run(store: str, *argv: str) -> int:
    """``maillage ARGV --store STORE`` in-process; its exit status."""
    return main([*argv, "--store", store])


def write(tmp_path: Path, lines: list[str]) -> Path:
    """A beneficiaries CSV file with ``HEADER`` and these lines."""
    path = tmp_path / "beneficiaries.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def listing(store: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    """``maillage meals beneficiaries list --json``."""
    assert main(["meals", "beneficiaries", "list", "--json", "--store", store]) == 0
    return json.loads(capsys.readouterr().out)


def store_arg(location: StoreLocation) -> str:
    """The ``--store`` value naming this location."""
    if location.kind == "sqlite":
        return str(location.path)
    return (
        f"postgresql://{location.user}@{location.host}:{location.port}/{location.dbname}"
        f"?schema={location.schema}"
    )


# ----------------------------------------------------------------------------- TUI


def make_app(store: Path, role: str | None = None) -> MaillageApp:
    """The console on a store file as claire, an operator unless ``role`` says otherwise (a
    ccas role works for Tours); the test makes claire the proven identity (``assumed``)."""
    settings = resolve(str(store), role or "operator", "claire", TOURS if role == "ccas" else None)
    return MaillageApp(settings, open_store(settings))


async def wait_for(
    pilot: Pilot, condition: Callable[[], bool], what: str, timeout_s: float = 60.0
) -> None:
    """Let the app run until ``condition`` holds, or fail naming what was awaited.

    The bound is generous wall time (a loaded CI machine is slow), not a number of frames.
    """
    deadline = time.monotonic() + timeout_s
    said: list[str] = []  # notifications expire: keep what they said for the failure message
    while not condition():
        said += [n.message for n in pilot.app._notifications if n.message not in said]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s:.0f} s waiting for {what}"
                + (f" (notifications: {'; '.join(said)})" if said else "")
            )
        await pilot.pause(0.05)


async def open_newest_alert(app: MaillageApp, pilot: Pilot) -> None:
    """From anywhere in the demo console: Meals mode, the alerts tab, the newest alert open."""
    from console.tui.screens.alert import AlertScreen

    await pilot.press("2")
    table = app.screen.query_one("#alerts-table", VirtualTable)
    await wait_for(pilot, lambda: len(table.rows) == 5, "the inbox")
    app.screen.query_one("#meals-tabs", TabbedContent).active = "tab-alerts"
    await pilot.pause()
    table.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, AlertScreen), "the alert")
    screen = app.screen
    await wait_for(pilot, lambda: "note:" in screen.body_text, "its details")


async def run_palette(app: MaillageApp, pilot: Pilot, command: str) -> None:
    """Open the command palette, type ``command`` and run the entry named exactly so."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    palette = app.screen
    palette.query_one("#--input Input", Input).value = command
    options = palette.query_one(CommandList)

    def first_is_it() -> bool:
        return options.option_count > 0 and command in str(options.get_option_at_index(0).prompt)

    await wait_for(pilot, first_is_it, f"the palette entry {command!r}")
    options.highlighted = 0
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette to close"
    )


async def fill_form(app: MaillageApp, pilot: Pilot, **values: str) -> None:
    """Fill the open form's fields by name and record it (ctrl+s)."""
    from textual.widgets import Select

    from console.tui.screens.form import FormScreen

    await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the form")
    form = app.screen
    for name, value in values.items():
        widget = form.query_one(f"#form-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    problem = form.query_one("#form-error")
    await pilot.press("ctrl+s")
    await wait_for(
        pilot,
        lambda: app.screen is not form or problem.has_class("form-problem"),
        "the form to close",
    )
    assert not problem.has_class("form-problem"), f"the form refused: {problem.render()}"


def ccas_mails_to(app: MaillageApp, port: int) -> None:
    """Tours's CCAS mails go to ``ccas@tours.example`` on the local SMTP server at ``port``."""
    from domain.meals import service as meals
    from domain.meals.municipality import CcasMail

    mail = CcasMail("127.0.0.1", port, "maillage@depot.example", "ccas@tours.example")
    meals.set_ccas_mail(app.store, TOURS, mail, "claire")


async def notified_match(app: MaillageApp, pilot: Pilot, pattern: str) -> tuple[str, str]:
    """Wait for a notification matching ``pattern`` (a regular expression with one group):
    (the notification's text, the group)."""
    import re

    found = re.compile(pattern)
    await wait_for(pilot, lambda: any(found.search(n.message) for n in app._notifications),
                   f"a notification matching {pattern}")  # fmt: skip
    message = next(n.message for n in app._notifications if found.search(n.message))
    return message, found.search(message).group(1)  # type: ignore[union-attr]


def notified(app: MaillageApp, text: str) -> bool:
    """Whether a notification says ``text``."""
    return any(text in n.message for n in app._notifications)


async def assert_refused(
    app: MaillageApp, pilot: Pilot, entry: str, says: str, **values: str
) -> None:
    """Run the palette ``entry`` with its form filled with ``values``: a notification says
    ``says`` and nothing is recorded."""
    last = app.store.last_position()
    await run_palette(app, pilot, entry)
    await fill_form(app, pilot, **values)
    await wait_for(pilot, lambda: notified(app, says), f"the refusal ({says})")
    assert app.store.last_position() == last


async def beneficiaries_table(app: MaillageApp, pilot: Pilot) -> VirtualTable:
    """The Meals mode's beneficiaries table of the demo, all 60 loaded."""
    await pilot.press("2")
    table = app.screen.query_one("#beneficiaries-table", VirtualTable)
    await wait_for(pilot, lambda: len(table.rows) == 60, "the beneficiaries")
    return table


class Inbox:
    """An SMTP handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
