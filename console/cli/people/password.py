"""``maillage people password LOGIN``: set the web password a person signs in with to
``maillage serve`` (an administrator's command). The password is read from the terminal
twice (never echoed, never an argument: arguments show in ``ps``), or once from standard
input with ``--password-stdin``; it is kept only as its argon2id hash."""

from __future__ import annotations

import argparse
import getpass
import sys

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import for_admin, mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.people import credentials


def register(level: Level) -> None:
    cmd = level.command(
        "password",
        cmd_password,
        "set a person's web password (for signing in to 'maillage serve')",
        description="Reads the new password twice from the terminal (or once from standard "
        "input with --password-stdin) and keeps only its argon2id hash, in a table of the "
        "store; the log records that it was set, by whom and when, never the hash. Signs the "
        "person out of every open browser session.",
        json=True,
        working_role=False,
    )
    cmd.add_argument("login", metavar="LOGIN", help="the person's login")
    cmd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (one line) instead of the terminal",
    )


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInputError(
            "no terminal to type the password in: give it on standard input with --password-stdin"
        )
    first = getpass.getpass("New web password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInputError("the two passwords differ: nothing was changed")
    return first


@for_admin
@mutating
def cmd_password(args: argparse.Namespace, settings: Settings) -> int:
    login = credentials.check_login(args.login)
    password = read_password(args.password_stdin)
    credentials.check_password(password)
    app = open_store(settings)
    try:
        done = credentials.set_password(app, login, password, settings.user)
    finally:
        app.close()
    print_result(
        args,
        {"login": done.login, "first": done.first},
        f"web password of {done.login} {'set' if done.first else 'changed'} "
        "(its open browser sessions are closed)",
    )
    return EXIT_OK
