"""End to end in a real headless browser (Playwright driving Debian's Chromium): a CCAS social
worker of Tours signs in to ``maillage serve``, sees the inbox of Tours, acknowledges an
alert, is refused an alert of Orléans as if it did not exist, downloads a month's statement
and signs out.

The terminal is drawn by xterm.js on a canvas, so its text is read from what the page's
websocket received, replayed in a terminal emulator (pyte) at the size the page asked for:
screenshot-independent, and exactly what the browser showed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from console.identity import os_login
from console.importing.meals import import_beneficiaries_text
from domain.application import Maillage
from domain.meals import service as meals
from domain.meals.municipality import PriceBracket
from domain.meals.welfare_alert import WelfareAlert
from domain.people import credentials
from domain.people import service as people
from domain.store import StoreLocation
from tests.console.helpers import HEADER

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "claire's long password"
ORLEANS = "45234"
TOURS = "37261"
WAIT_MS = 90_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


class Terminal:
    """The text of the page's terminal: every byte its websocket received, in an emulator."""

    def __init__(self) -> None:
        import pyte

        self.pyte = pyte
        self.screen: Any = None
        self.socket: Any = None

    def attach(self, ws: Any) -> None:
        query = parse_qs(urlsplit(ws.url).query)
        self.screen = self.pyte.Screen(int(query["width"][0]), int(query["height"][0]))
        stream = self.pyte.ByteStream(self.screen)
        self.socket = ws
        ws.on("framereceived", lambda data: stream.feed(data) if isinstance(data, bytes) else None)
        ws.on("framesent", self._sent)

    def _sent(self, data: str | bytes) -> None:
        message = json.loads(data) if isinstance(data, str) else None
        if message and message[0] == "resize":
            self.screen.resize(message[1]["height"], message[1]["width"])

    def click(self, page: Any, text: str, rows_below: int = 0) -> None:
        """Click on ``text`` where the terminal shows it (or so many rows below it: the field
        under its label), as a person does with the mouse."""
        found = [(r, line.find(text)) for r, line in enumerate(self.screen.display) if text in line]
        if not found:
            raise AssertionError(f"{text!r} is not on the screen:\n{self.text()}")
        row, column = found[0]
        box = page.locator(".xterm-screen").bounding_box()
        width, height = box["width"] / self.screen.columns, box["height"] / self.screen.lines
        x = box["x"] + (column + len(text) / 2) * width
        page.mouse.click(x, box["y"] + (row + rows_below + 0.5) * height)

    def text(self) -> str:
        return "\n".join(self.screen.display) if self.screen is not None else ""

    def wait(self, condition: Callable[[str], bool], what: str) -> str:
        """Wait until the screen satisfies ``condition`` (checked at each frame received)."""
        if not condition(self.text()):
            try:
                self.socket.wait_for_event(
                    "framereceived", predicate=lambda _: condition(self.text()), timeout=WAIT_MS
                )
            except Exception as e:
                raise AssertionError(f"the browser never showed {what}:\n{self.text()}") from e
        return self.text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _orleans_alert(app: Maillage) -> str:
    """Orléans, one beneficiary, one raised alert: its reference (W- and 8 hex digits)."""
    meals.register_municipality(
        app, ORLEANS, "Orléans", "PPDC Orléans", "CCAS d'Orléans",
        [PriceBracket("std", None, 700, 200)],
    )  # fmt: skip
    line = "OR-001,Odette Lemaire,3 rue Royale,02 38 00 00 01,,,47.90,1.90,std,normal,normal,,,mon=1,,,,2026-03-02"  # noqa: E501
    import_beneficiaries_text(app, ORLEANS, f"{HEADER}\n{line}\n")
    alert = meals.raise_alert(app, ORLEANS, "OR-001", "health", "urgent", "seen unwell", "L. Petit")
    return f"W-{alert.id.hex[:8].upper()}"


def _grant_ccas(app: Maillage, login: str, insee: str) -> str:
    """The account running the tests (and the server) founds the store and grants ``login``
    the ccas role for one municipality; the administrator's login."""
    admin = os_login()
    if not people.is_founded(app):
        people.found(app, admin)
    people.grant(app, login, "ccas", insee, admin)
    return admin


@pytest.fixture
def served(demo_store: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], str]]:
    """``maillage serve`` on a free port of 127.0.0.1, on the demo store with Orléans added
    and claire granted ccas for Tours with a web password; the Orléans alert's reference."""
    app = Maillage(StoreLocation.parse(str(demo_store)))
    try:
        orleans_ref = _orleans_alert(app)
        admin = _grant_ccas(app, "claire", TOURS)
        credentials.set_password(app, "claire", PASSWORD, admin)
    finally:
        app.close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    for name in ("MAILLAGE_USER", "MAILLAGE_ROLE", "MAILLAGE_SCOPE", "MAILLAGE_WEB_SESSION"):
        env.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "serve", "--store", str(demo_store),
         "--port", str(port), "--insecure-cookies"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # blocks until the server listens (or dies)
        assert "maillage serve: the console on" in first, first
        yield f"http://127.0.0.1:{port}", server, orleans_ref
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> set[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(p) for p in found.stdout.split()}


def _wait(condition: Callable[[], bool], what: str, page: Any) -> None:
    """Wait (bounded) for a condition outside the page, letting the browser's events flow."""
    page.wait_for_function("() => true")  # one round trip: events are delivered meanwhile
    for _ in range(WAIT_MS // 100):
        if condition():
            return
        page.wait_for_timeout(100)  # pumps the browser's events; not a fixed delay
    raise AssertionError(f"timed out waiting for {what}")


def _palette(page: Any, term: Terminal, command: str) -> None:
    page.keyboard.press("Control+p")
    term.wait(lambda s: "Search for commands" in s or "Search" in s, "the command palette")
    page.keyboard.type(command)
    term.wait(lambda s: command.split(":")[-1].strip() in s.lower(), f"the entry {command!r}")
    page.keyboard.press("Enter")


def test_a_ccas_worker_signs_in_acknowledges_is_refused_orleans_and_signs_out(
    served: tuple[str, subprocess.Popen[str], str], demo_store: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, server, orleans_ref = served
    served_dir = demo_store.parent  # the server's working directory
    term = Terminal()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("websocket", term.attach)
            page.goto(url + "/")
            assert page.url == url + "/login"  # nothing without signing in

            # A wrong password is refused, in the page.
            page.fill("#login", "claire")
            page.fill("#password", "not the password")
            page.click("#sign-in")
            page.wait_for_selector("#error")
            assert page.inner_text("#error") == "login or password not recognised"

            page.fill("#login", "claire")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(url + "/")
            assert page.inner_text("#who") == "claire"
            if term.socket is None:
                page.wait_for_event("websocket", timeout=WAIT_MS)
            term.wait(lambda s: "ccas (claire)" in s, "the console as claire, ccas")
            consoles = _children(server.pid)
            assert consoles, "no console process runs for the session"

            # The inbox of Tours: its alerts, none of Orléans.
            page.locator("#terminal").click()
            page.keyboard.press("2")
            term.wait(lambda s: "Welfare inbox" in s and " of " in s, "the Meals mode")
            term.click(page, "Welfare inbox")
            inbox = term.wait(lambda s: "Severity" in s and "rows" in s, "the welfare inbox")
            raised = re.search(r"(W-[0-9A-F]{8}) .* (raised|OVERDUE) ", inbox)  # not yet taken
            assert raised is not None, inbox
            assert "Tours" not in orleans_ref and orleans_ref not in inbox
            assert "Odette Lemaire" not in inbox and "OR-001" not in inbox

            # Acknowledge a raised alert of Tours.
            tours_ref = raised.group(1)
            _palette(page, term, "Meals: open a welfare alert")
            term.wait(lambda s: "Open a welfare alert" in s, "the alert form")
            term.click(page, "Alert (W-", rows_below=2)
            page.keyboard.type(tours_ref)
            term.wait(lambda s: tours_ref in s, "the reference typed")
            page.keyboard.press("Enter")
            term.wait(lambda s: "Acknowledge" in s, "the alert")
            page.keyboard.press("a")
            term.wait(lambda s: "acknowledged by claire" in s, "the acknowledgement")
            _wait(lambda: _acknowledged_by(demo_store, tours_ref) is not None, "the event", page)
            assert _acknowledged_by(demo_store, tours_ref) == ("claire (ccas)", "claire", "ccas")
            page.keyboard.press("Escape")

            # An alert of Orléans: the answer of an alert that does not exist.
            for ref in (orleans_ref, "W-0BADF00D"):
                _palette(page, term, "Meals: open a welfare alert")
                term.wait(lambda s: "Open a welfare alert" in s, "the alert form")
                term.click(page, "Alert (W-", rows_below=2)
                page.keyboard.type(ref)
                term.wait(lambda s, r=ref: r in s, "the reference typed")
                page.keyboard.press("Enter")
                term.wait(lambda s, r=ref: f"no welfare alert with id '{r}'" in s, f"{ref} refused")
            assert "Odette Lemaire" not in term.text()

            # A month's statement goes to the browser (textual-serve opens /download/KEY in a
            # new tab, answered as an attachment); nothing of it is written on the server.
            fetched: list[Any] = []

            def keep(route: Any) -> None:
                response = route.fetch()
                fetched.append((response.status, response.headers, response.body()))
                route.fulfill(response=response)

            page.context.route("**/download/**", keep)
            _palette(page, term, "Meals: export a statement")
            term.wait(lambda s: "Export a statement" in s, "the statement form")
            term.click(page, "Write to file", rows_below=2)
            page.keyboard.press("Enter")
            said = term.wait(lambda s: "sent to your browser as" in s, "the statement sent")
            name = re.search(r"statement-\d{4}-\d{2}\.md", said.split("your browser as")[1])
            assert name is not None, said  # (the notification may wrap before the name)
            _wait(lambda: bool(fetched), "the download", page)
            status, headers, body = fetched[0]
            assert status == 200
            assert headers["content-disposition"] == f"attachment; filename*=UTF-8''{name[0]}"
            assert "Tours" in body.decode("utf-8") and "Orl" not in body.decode("utf-8")
            assert not list(served_dir.glob("statement-*"))

            # Sign out: the session's cookie no longer works, its console process is gone.
            cookies = page.context.cookies()
            page.click("#logout")
            page.wait_for_selector("#ended")
            _wait(lambda: not (consoles & _children(server.pid)), "the console to end", page)
            page.context.add_cookies(cookies)  # the old cookie, put back
            page.goto(url + "/")
            assert page.url == url + "/login"
        finally:
            browser.close()


def _acknowledged_by(store: Path, reference: str) -> tuple[str, str, str] | None:
    """Who acknowledged the alert, by its event, and who the command record names."""
    from domain.audit.command_record import command_at

    app = Maillage(StoreLocation.parse(str(store)), create=False)
    try:
        alert_id = meals.find_alert(app, reference)
        for stored in app.recorder.select_events(alert_id):
            event = app.mapper.to_domain_event(stored)
            if isinstance(event, WelfareAlert.Acknowledged):
                position = _position(app, alert_id, stored.originator_version)
                record = command_at(app, position)
                who = str(event.coordinator)
                return (who, record.user, record.role) if record else (who, "", "")
        return None
    finally:
        app.close()


def _position(app: Maillage, alert_id: Any, version: int) -> int:
    for n in app.recorder.select_notifications(1, 10**9):
        if n.originator_id == alert_id and n.originator_version == version:
            return int(n.id)
    raise AssertionError("the acknowledgement is not in the log")


def test_chromium_is_where_ci_installs_it() -> None:
    """CI installs Debian's chromium (.ci/run): the browser test above must not be skipped."""
    if os.environ.get("CI"):
        assert CHROMIUM.exists() and shutil.which("chromium")
