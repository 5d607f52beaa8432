"""``maillage store info|init``: the event store — its backend, location, events and view
positions; creating an empty one."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from rich.table import Table

from console.checkpoints import folder, latest
from console.cli.keys import key_facts
from console.cli.output import EXIT_OK, stdout
from console.cli.tree import Level
from console.opening import open_store
from console.roles import creates_store, for_ccas
from console.settings import Settings
from domain.summary import summarise
from domain.views.catalogue import all_views
from domain.views.projector import Projector
from domain.wording import local_time


def register(level: Level) -> None:
    """Register ``store`` and its actions."""
    store = level.group("store", "the event store")
    store.command(
        "info", cmd_store_info, "backend, location, events, positions of the views", json=True
    )
    store.command(
        "init",
        cmd_store_init,
        "create an empty store (the --store location, else the default one)",
        description="Create an empty store at the --store location (else the default one); "
        "an existing store is left as it is.",
    )


@for_ccas
def cmd_store_info(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    summary = summarise(app)
    keys = key_facts(app)
    store_id = str(keys["store_id"])
    newest = latest(store_id) if store_id else None
    checkpoints = {
        "folder": str(folder(store_id)),
        "latest": None if newest is None else newest[1].created_at,
        "position": None if newest is None else newest[1].position,
    }
    if args.json:
        print(
            json.dumps(
                {**summary.as_json(), "role": settings.role, "user": settings.user,
                 "keys": keys, "checkpoints": checkpoints},
                indent=2,
            )
        )  # fmt: skip
        return EXIT_OK
    table = Table(title="maillage store", show_header=False)
    for label, value in summary.rows():
        table.add_row(label, value)
    table.add_row("store", store_id[:8])
    table.add_row("key file", f"{keys['key_file']} ({keys['key']})")
    table.add_row("data keys", f"{keys['data_keys']:,}")
    table.add_row(
        "checkpoints",
        f"{checkpoints['folder']} (newest: {_when(checkpoints['latest'])})",
    )
    stdout.print(table)
    return EXIT_OK


@creates_store
def cmd_store_init(args: argparse.Namespace, settings: Settings) -> int:
    existed = settings.location.exists()
    app = open_store(settings)
    try:
        app.found_pending()  # whoever creates the store is its administrator
        if not existed:  # its views start at the end of its (short) log
            with Projector(app, all_views()) as projector:
                projector.catch_up()
    finally:
        app.close()
    verb = "already exists" if existed else "created"
    stdout.print(f"store {verb}: {settings.location.label}")
    return EXIT_OK


def _when(created_at: str | None) -> str:
    """A checkpoint's time as people read it (Paris, zone shown), or that there is none yet."""
    return "none yet" if created_at is None else local_time(datetime.fromisoformat(created_at))
