"""``maillage views rebuild|update``: the read models, built from the log."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.args import positive_int
from console.cli.output import EXIT_OK, print_result, progress_bar
from console.cli.tree import Level
from console.opening import open_store
from console.roles import destructive, for_ccas
from console.settings import Settings
from domain.application import Maillage
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def register(level: Level) -> None:
    """Register ``views`` and its actions."""
    views = level.group("views", "read models built from the log")
    for name, handler, text in (
        ("rebuild", cmd_views_rebuild, "drop every view and rebuild it from the whole log"),
        ("update", cmd_views_update, "bring every view up to the end of the log"),
    ):
        sub = views.command(name, handler, text, json=True)
        sub.add_argument(
            "--batch-size", type=positive_int, default=1000, help="events per transaction"
        )


def run_projector(app: Maillage, batch_size: int, rebuild: bool) -> dict[str, Any]:
    """Catch every view up (or rebuild them all), a progress bar per view."""
    with Projector(app, all_views(), batch_size=batch_size) as projector, progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(view: str, position: int, target: int) -> None:
            if view not in tasks:
                tasks[view] = bar.add_task(f"view {view}", total=target)
            bar.update(tasks[view], completed=position, total=target)

        applied = projector.rebuild(progress) if rebuild else projector.catch_up(progress)
        positions = projector.positions()
    return {
        "applied": applied,
        "views": {p.name: p.position for p in positions},
        "last_position": app.last_position(),
    }


@destructive
def cmd_views_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    result = run_projector(app, args.batch_size, rebuild=True)
    _report_views(args, "rebuilt", result)
    return EXIT_OK


@for_ccas
def cmd_views_update(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    result = run_projector(app, args.batch_size, rebuild=False)
    _report_views(args, "updated", result)
    return EXIT_OK


def _report_views(args: argparse.Namespace, verb: str, result: dict[str, Any]) -> None:
    text = (
        f"{len(result['views'])} views {verb}: {result['applied']:,} events applied, "
        f"log position {result['last_position']:,}"
    )
    print_result(args, result, text)
