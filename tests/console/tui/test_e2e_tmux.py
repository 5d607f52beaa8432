"""End to end in a real terminal: `maillage demo` inside tmux, dashboard, `q`, exit status."""

from __future__ import annotations

import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from console.identity import os_login

pytestmark = pytest.mark.slow


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 90.0) -> None:
    """Poll a condition (bounded); fail naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_demo_opens_the_dashboard_and_q_quits_cleanly(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is required for the end-to-end test (.ci/run installs it)")
    store = tmp_path / "demo.sqlite"
    status_file = tmp_path / "status"
    program = shutil.which("maillage")
    command = shlex.join([program] if program else [sys.executable, "-m", "console.cli"])
    store_arg, status_arg = shlex.quote(str(store)), shlex.quote(str(status_file))
    # The terminal's size must come from tmux, not from variables of the test's own shell.
    shell = f"env -u COLUMNS -u LINES {command} demo --store {store_arg}; echo $? > {status_arg}"
    session = f"maillage-e2e-{uuid.uuid4().hex[:8]}"
    tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "45", shell)
    try:

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", session)

        seen: list[str] = []

        def dashboard_shown() -> bool:
            seen.append(screen())
            return re.search(r"\b\d{2},\d{3} events\b", seen[-1]) is not None

        wait_until(dashboard_shown, "the dashboard with the demo's events")
        text = seen[-1]
        assert "Event log" in text and "Devices" in text
        # the header names the store, the role and the proven account: who built the demo is
        # its administrator
        assert f"demo.sqlite · admin ({os_login()})" in text
        tmux("send-keys", "-t", session, "q")
        wait_until(status_file.exists, "maillage to exit after q", timeout_s=30)
        assert status_file.read_text().strip() == "0"
        shown = re.search(r"\b(\d{2},\d{3}) events\b", text)
        assert shown is not None
        with sqlite3.connect(store) as conn:
            (events,) = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()
        assert shown.group(1) == f"{events:,}"  # the dashboard counted the real log
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
