"""The command tree: each level adds its sub-commands with the common options, and every
command knows its own path (``maillage meals rounds load`` → ``"meals rounds load"``), which
is what the log records with each write and what role refusals name."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from console import settings as settings_mod
from console.cli.args import json_option
from console.cli.output import EXIT_USAGE
from console.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


class Parser(argparse.ArgumentParser):
    """argparse with maillage's one-line error format and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"maillage: error: {message}\n")


def common_options(working_role: bool = True) -> argparse.ArgumentParser:
    """Options accepted before or after any sub-command; without ``working_role``, no
    ``--role``/``--scope`` after it (``people grant`` uses them for the role it grants)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        default=argparse.SUPPRESS,
        help="SQLite file or postgresql://user@host:port/db[?schema=s] "
        f"(default: ${settings_mod.STORE_ENV}, else a file in the user data directory)",
    )
    common.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        help="who you are, checked: it must be your proven identity (the account, the "
        f"PostgreSQL login); it declares nothing (default: ${settings_mod.USER_ENV})",
    )
    if not working_role:
        common.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS,
            help="show the full traceback of an error",
        )  # fmt: skip
        return common
    common.add_argument(
        "--role",
        default=argparse.SUPPRESS,
        choices=sorted(settings_mod.ROLES),
        help="work in a narrower role than granted, e.g. auditor to only read "
        f"(default: ${settings_mod.ROLE_ENV}, else the strongest role granted)",
    )
    common.add_argument(
        "--scope",
        default=argparse.SUPPRESS,
        metavar="INSEE",
        help="work for one municipality: its alerts and files only; a ccas user's own "
        f"(default: ${settings_mod.SCOPE_ENV})",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error",
    )
    return common


@dataclass(frozen=True)
class Level:
    """One level of the command tree (``maillage``, ``maillage meals``, ...): groups and
    commands are added here, each with the common options and its own path."""

    actions: Any  # argparse's sub-parsers action of this level
    common: argparse.ArgumentParser
    path: tuple[str, ...] = ()

    @classmethod
    def root(cls, parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> Level:
        """The top level: ``maillage COMMAND``."""
        actions = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
        return cls(actions, common)

    def group(self, name: str, help: str, metavar: str = "ACTION") -> Level:
        """A command that only holds sub-commands (``maillage meals rounds``)."""
        parser = self.actions.add_parser(name, parents=[self.common], help=help)
        actions = parser.add_subparsers(
            dest="_".join((*self.path, name, "command")),
            metavar=metavar,
            required=True,
            parser_class=Parser,
        )
        return Level(actions, self.common, (*self.path, name))

    def command(
        self,
        name: str,
        handler: Handler,
        help: str,
        description: str | None = None,
        json: bool = False,
        parents: tuple[argparse.ArgumentParser, ...] = (),
        working_role: bool = True,
    ) -> argparse.ArgumentParser:
        """A command that does something; ``json`` adds ``--json``; without ``working_role``
        its own ``--role``/``--scope`` may follow it (the working role goes before it)."""
        common = self.common if working_role else common_options(working_role=False)
        parser: argparse.ArgumentParser = self.actions.add_parser(
            name, parents=[common, *parents], help=help, description=description or help
        )
        parser.set_defaults(handler=handler, command_path=" ".join((*self.path, name)))
        if json:
            json_option(parser)
        return parser


def command_path(args: argparse.Namespace) -> str:
    """The sub-commands the user typed, e.g. ``meals rounds load`` ("" for none)."""
    return str(getattr(args, "command_path", ""))
