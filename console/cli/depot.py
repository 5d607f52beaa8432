"""``maillage depot init``: a PostgreSQL depot's database roles, so that the server itself keeps
the log append-only and auditors read-only (``domain.persistence.grants``)."""

from __future__ import annotations

import argparse

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import creates_store, mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.people import service as people
from domain.people.person import ROLES, valid_login, valid_role, valid_scope
from domain.persistence.grants import ROLE_PREFIX, grant_depot
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def register(level: Level) -> None:
    """Register ``depot`` and its actions."""
    depot = level.group("depot", "a PostgreSQL depot server: database roles and grants")
    init = depot.command(
        "init",
        cmd_depot_init,
        "create the store and its database roles; the log becomes append-only",
        description="Run as the schema's owner (the database administrator's role): creates the "
        "store if needed, one NOLOGIN group role per maillage role (maillage_operator, "
        "maillage_technician, maillage_ccas, maillage_auditor), makes the log append-only for "
        "all of them (privileges and a trigger), lets auditors only read, and makes each "
        "--member LOGIN=ROLE a member of its role's group (an admin: of the operator's), and "
        "records that role granted to LOGIN in the log. Run it again after an upgrade.",
        json=True,
    )
    init.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="LOGIN=ROLE[:INSEE]",
        help=f"a PostgreSQL login and its role ({', '.join(ROLES)}; ccas:INSEE for a CCAS); "
        "repeatable",
    )
    init.add_argument(
        "--group-prefix",
        default=ROLE_PREFIX,
        help="prefix of the group roles (several depots in one cluster); default %(default)s",
    )


def _member(value: str) -> tuple[str, str, str | None]:
    """``LOGIN=ROLE[:INSEE]``: checked as a grant is, before anything changes."""
    login, sep, rest = value.partition("=")
    role, _, scope = rest.partition(":")
    if not sep or not login or not role:
        raise InvalidInputError(f"--member wants LOGIN=ROLE[:INSEE], not {value!r}")
    chosen = valid_role(role)
    return valid_login(login), chosen, valid_scope(chosen, scope or None)


def _group(role: str) -> str:
    """The database group of a maillage role: an administrator writes as an operator does."""
    return "operator" if role == people.ADMIN else role


@creates_store
@mutating
def cmd_depot_init(args: argparse.Namespace, settings: Settings) -> int:
    if settings.location.kind != "postgres":
        raise InvalidInputError("maillage depot init is for a postgresql:// store")
    members = [_member(v) for v in args.member]
    app = open_store(settings, checkpoint=False)
    try:  # the owner creates every table first: the log's, the keys', every view's
        app.found_pending()  # and is the store's first administrator if it has none
        with Projector(app, all_views()) as projector:
            projector.catch_up()
        db_members = [(login, _group(role)) for login, role, _ in members]
        done = grant_depot(settings.location, db_members, prefix=args.group_prefix)
        for login, role, scope in members:  # the same roles, granted in the log
            if not any((g.role, g.scope) == (role, scope) for g in people.grants_of(app, login)):
                people.grant(app, login, role, scope, settings.user)
    finally:
        app.close()
    print_result(
        args,
        {"schema": done.schema, "roles": list(done.roles), "members": list(done.members)},
        f"depot ready in schema {done.schema}: roles {', '.join(done.roles)}"
        + "".join(f"; {login} is {role}" for login, role in done.members),
    )
    return EXIT_OK
