"""``maillage demo``: build (or reuse) the demo store and open the console on it.

The demo is built only in a new location or in its own demo store (marked as such in its
log, or the default demo path), never over a store with real data; it is built again when
it was built for another day, so it is alive on the day it is opened.
"""

from __future__ import annotations

import argparse
import sys

from console.cli.output import EXIT_OK, progress_bar, stderr
from console.cli.tree import Level
from console.cli.tui import run_tui
from console.cli.views import run_projector
from console.opening import open_store
from console.roles import creates_store, mutating
from console.settings import Settings, demo_store_path
from domain.errors import UserError


def register(level: Level) -> None:
    """Register ``demo``."""
    demo = level.command(
        "demo",
        cmd_demo,
        "create (or reuse) the demo store and open the console on it",
        description="Create the demo store on first use (or reuse it, built again each day) "
        "and open the console. Never builds over a store with real data.",
    )
    demo.add_argument(
        "--fresh", action="store_true", help="delete and rebuild the demo store (asks first)"
    )
    demo.add_argument("--yes", action="store_true", help="do not ask before --fresh")
    demo.add_argument("--no-tui", action="store_true", help="build the demo store only")


@mutating
@creates_store
def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from console.demo.builder import build_demo, discard_demo
    from console.recording.recorder import journal_dir
    from domain import clock
    from domain.clock import PARIS
    from domain.demo_store import demo_mark, is_current

    location = settings.location
    journals = journal_dir(settings)
    today = clock.now().astimezone(PARIS).date()
    if location.exists():
        app = open_store(settings)
        mark = demo_mark(app)
        app.close()
        demo_path = location.kind == "sqlite" and location.path == demo_store_path()
        if mark is None and not demo_path:
            raise UserError(
                f"{location.label} is not a demo store: 'maillage demo' builds only in a new "
                "location or in its own demo store, never in a store with real data"
            )
        if args.fresh:
            question = f"Delete the demo store at {location.label} and build it again? [y/N] "
            if not args.yes and sys.stdin.isatty() and not _confirm(question):
                stderr.print("nothing changed")
                return EXIT_OK
            discard_demo(location, journals)
        elif mark is None or not is_current(mark, today):
            built = f"built for {mark.built_for}" if mark else "from an earlier version"
            stderr.print(f"the demo store was {built}: building it again for {today}")
            discard_demo(location, journals)
    app = open_store(settings)
    if app.last_position() == 0:
        with progress_bar() as bar:
            task = bar.add_task("demo data", total=None)

            def progress(_: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            build_demo(app, clock.now(), journals, progress)
        stderr.print(f"demo store created at {location.label}")
    run_projector(app, 1000, rebuild=False)
    if args.no_tui:
        return EXIT_OK
    return run_tui(settings, app)


def _confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (no answer means no)."""
    try:
        return input(question).strip().lower() in ("y", "yes", "o", "oui")
    except EOFError:
        return False
