"""``maillage people grant|revoke``: an administrator gives or takes back a role (for one
municipality when it is ccas); each is an event of the log naming who made it."""

from __future__ import annotations

import argparse

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import for_admin, mutating
from console.settings import Settings
from console.texts.people import paris
from domain.people import service as people
from domain.people.person import ROLES


def register(level: Level) -> None:
    """Register ``people grant`` and ``people revoke``."""
    grant = level.command(
        "grant", cmd_grant, "give LOGIN a role (ccas: for one municipality, --scope INSEE)",
        json=True, working_role=False,
    )  # fmt: skip
    revoke = level.command(
        "revoke", cmd_revoke, "take back a role of LOGIN, saying why (--reason)", json=True,
        working_role=False,
    )  # fmt: skip
    for parser in (grant, revoke):
        parser.add_argument(
            "login", metavar="LOGIN",
            help="the person's login: their account on the depot server, their PostgreSQL "
            "login, or their browser login",
        )  # fmt: skip
        parser.add_argument("--role", dest="grant_role", metavar="ROLE", choices=ROLES,
                            required=True, help=f"the role: {', '.join(ROLES)}")  # fmt: skip
        parser.add_argument("--scope", dest="grant_scope", metavar="INSEE",
                            help="the municipality of a ccas role")  # fmt: skip
    revoke.add_argument("--reason", required=True, help="why the role is taken back")


def _result(args: argparse.Namespace, grant: people.Grant, verb: str) -> None:
    print_result(
        args,
        {"login": grant.login, "role": grant.role, "scope": grant.scope, "by": grant.by,
         "at": paris(grant.at)},
        f"{grant.login} {verb} the {grant.label} role (by {grant.by}, {paris(grant.at)})",
    )  # fmt: skip


@for_admin
@mutating
def cmd_grant(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        grant = people.grant(app, args.login, args.grant_role, args.grant_scope, settings.user)
    finally:
        app.close()
    _result(args, grant, "now has")
    return EXIT_OK


@for_admin
@mutating
def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        grant = people.revoke(
            app, args.login, args.grant_role, args.grant_scope, settings.user, args.reason
        )
    finally:
        app.close()
    _result(args, grant, "no longer has")
    return EXIT_OK
