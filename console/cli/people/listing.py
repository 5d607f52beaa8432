"""``maillage people list``: every person recorded and the roles they hold, with who granted
each and when (Paris time with its zone)."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from console.cli.output import EXIT_OK, as_json, stdout
from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from console.texts.people import person_record
from domain.people import service as people


def register(level: Level) -> None:
    """Register ``people list``."""
    level.command("list", cmd_list, "every person and the roles they hold", json=True)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        rows = [person_record(p) for p in people.people(app)]
    finally:
        app.close()
    if args.json:
        print(as_json([{k: v for k, v in r.items() if k != "roles_text"} for r in rows]))
        return EXIT_OK
    table = Table(title="people of the store")
    for column in ("login", "roles", "granted", "since"):
        table.add_column(column)
    for r in rows:
        granted = "; ".join(
            f"{g['role']}{' of ' + g['scope'] if g['scope'] else ''}: {g['granted_by']}, "
            f"{g['granted_at']}"
            for g in r["roles"]
        )
        table.add_row(*(escape(str(v)) for v in (r["login"], r["roles_text"], granted, r["since"])))
    stdout.print(table)
    return EXIT_OK
