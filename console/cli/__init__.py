"""The ``maillage`` command line: every action of the console, scriptable.

The package is shaped like the command tree: ``maillage meals rounds load`` is in
``console/cli/meals/rounds.py``, ``maillage sessions process`` in
``console/cli/sessions/process.py``. Each module has a ``register(level)`` adding its
commands; argument types are in ``args``, printing and progress in ``output``, the tree
itself in ``tree``.

Exit status: 0 success, 1 failure while working, 2 bad usage or bad input.
A user error prints one line naming the problem (``--debug`` shows the
traceback); it never prints a traceback otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from console import settings as settings_mod
from console.cli import (
    audit,
    demo,
    depot,
    devices,
    geo,
    keys,
    meals,
    people,
    record,
    reports,
    sensors,
    serve,
    sessions,
    simulate,
    store,
    territory,
    views,
)
from console.cli.output import EXIT_FAILURE
from console.cli.tree import Level, Parser, command_path, common_options
from console.cli.tui import cmd_tui
from console.roles import check_allowed, may_create_store
from console.settings import Settings
from domain.errors import InvalidInputError, MaillageError, refused_by_database
from domain.store import one_line
from domain.text import control_problem

GROUPS = (demo, store, depot, people, keys, views, meals, devices, audit, record, sensors, simulate,
          sessions, geo, reports, territory, serve)  # fmt: skip
"""The top-level commands, in the order ``maillage --help`` lists them."""


def package_version() -> str:
    try:
        return version("maillage")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    common = common_options()
    parser = Parser(
        prog="maillage",
        description="Operations console for meal rounds, device shipments and sensor sessions. "
        "Without a command, opens the console (TUI).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"maillage {package_version()}")
    root = Level.root(parser, common)
    for group in GROUPS:
        group.register(root)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    handler: Callable[[argparse.Namespace, Settings], int] = getattr(args, "handler", cmd_tui)
    try:
        refuse_control_characters(sys.argv[1:] if argv is None else list(argv))
        settings = settings_mod.resolve(
            getattr(args, "store", None),
            getattr(args, "role", None),
            getattr(args, "user", None),
            getattr(args, "scope", None),
            demo=args.command == "demo",
            prove=not getattr(handler, "store_free", False),
        )
        # The command's words are recorded with every write it makes (Maillage.act_as).
        settings = replace(
            settings,
            command=command_path(args) or "console",
            may_create=may_create_store(settings, handler),
        )
        check_allowed(settings, handler, command_path(args))
        return handler(args, settings)
    except MaillageError as e:
        if debug:
            raise
        print(f"maillage: error: {one_line(e, limit=400)}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("maillage: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug:
            raise
        if refused := refused_by_database(e):
            print(f"maillage: error: {one_line(refused, limit=400)}", file=sys.stderr)
            return refused.exit_code
        print(
            f"maillage: internal error: {type(e).__name__}: {one_line(e)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def refuse_control_characters(argv: Sequence[str]) -> None:
    """Refuse an argument holding a control character (an escape sequence, NUL, a newline)
    before anything is opened: names, notes and serials are recorded and printed later."""
    for i, value in enumerate(argv):
        option = argv[i - 1] if i and argv[i - 1].startswith("--") else None
        name, sep, _ = value.partition("=")
        what = option or (name if sep and name.startswith("--") else f"argument {i + 1}")
        if problem := control_problem(what, value):
            raise InvalidInputError(problem)


def entry_point() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
