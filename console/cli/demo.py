"""``maillage demo``: create (or reuse) the demo store and open the console on it."""

from __future__ import annotations

import argparse

from console.cli.output import EXIT_OK, progress_bar, stderr
from console.cli.tree import Level
from console.cli.tui import run_tui
from console.cli.views import run_projector
from console.opening import open_store
from console.roles import creates_store
from console.settings import Settings


def register(level: Level) -> None:
    """Register ``demo``."""
    demo = level.command(
        "demo",
        cmd_demo,
        "create (or reuse) the demo store and open the console on it",
        description="Create the demo store on first use (or reuse it) and open the console.",
    )
    demo.add_argument("--fresh", action="store_true", help="delete and rebuild the demo store")
    demo.add_argument("--no-tui", action="store_true", help="build the demo store only")


@creates_store
def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from console.demo.builder import build_demo
    from domain import clock

    location = settings.location
    if args.fresh and location.kind == "sqlite" and location.path is not None:
        for suffix in ("", "-wal", "-shm"):
            location.path.with_name(location.path.name + suffix).unlink(missing_ok=True)
    app = open_store(settings)
    if app.last_position() == 0:
        with progress_bar() as bar:
            task = bar.add_task("demo data", total=None)

            def progress(_: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            build_demo(app, clock.now(), progress)
        stderr.print(f"demo store created at {location.label}")
    run_projector(app, 1000, rebuild=False)
    if args.no_tui:
        return EXIT_OK
    return run_tui(settings, app)
