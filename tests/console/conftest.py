"""Fixtures for the console: a demo store built once, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from console.demo.builder import build_demo
from domain import clock
from domain.application import Maillage
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector

from .helpers import Inbox, free_port

DEMO_TODAY = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with up-to-date views, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = Maillage(StoreLocation.parse(str(path)))
    build_demo(app, DEMO_TODAY, path.parent / "journals")
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    app.close()
    return path


@pytest.fixture
def demo_store(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store that a test may change (with its journals and
    results folders beside it, as the console keeps them)."""
    target = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, target)
    for folder in ("journals", "results", "territory"):
        if (demo_template.parent / folder).is_dir():
            shutil.copytree(demo_template.parent / folder, tmp_path / folder)
    return target


@pytest.fixture
def paris_clock() -> clock.FixedClock:
    with clock.using_clock(clock.FixedClock(DEMO_TODAY)) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on 127.0.0.1 (started and ready before the test; stopped after)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
