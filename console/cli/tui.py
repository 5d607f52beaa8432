"""``maillage`` without a command: the console (TUI) on the store, views caught up first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from console.cli.views import run_projector
from console.opening import open_store
from console.roles import for_ccas
from console.settings import Settings
from domain.application import Maillage

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


@for_ccas
def cmd_tui(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings, found=True)  # the console may write: a new store gets its admin
    run_projector(app, 1000, rebuild=False)
    return run_tui(settings, app)


def run_tui(settings: Settings, app: Maillage) -> int:
    result = tui(settings, app).run()
    return int(result or 0)


def tui(settings: Settings, app: Maillage) -> MaillageApp:
    """The console on an open store, each write recorded with the screen and worker that made
    it ("console RoundScreen record_outcome"), or "console" outside a worker."""
    from console.tui.app import MaillageApp

    app.act_as(settings.actor, "console")
    app.command_namer = worker_command
    return MaillageApp(settings, app)


def worker_command() -> str | None:
    """The TUI command writing now: the screen (or widget) and the thread worker doing it."""
    from textual.worker import NoActiveWorker, get_current_worker

    try:
        worker = get_current_worker()
    except NoActiveWorker:  # written from the event loop: the default name applies
        return None
    node = type(worker.node).__name__
    what = worker.name or (worker.group if worker.group != "default" else "")
    return f"console {node} {what}".rstrip()
