"""People from the palette, for an administrator: list them, grant a role, revoke one — the
console's path to ``maillage people list|grant|revoke|password``, through the same services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask_and_record
from domain.errors import InvalidInputError
from domain.people import credentials
from domain.people import service as people
from domain.people.person import ROLES

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The people palette entries (offered to an administrator only)."""
    return [
        PaletteCommand(
            "People: list",
            "Every person and the roles they hold (maillage people list)",
            lambda: show(app),
            writes=False,
            for_admin=True,
        ),
        PaletteCommand(
            "People: grant a role",
            "Give a login a role, ccas for one municipality (maillage people grant)",
            lambda: grant(app),
            for_admin=True,
        ),
        PaletteCommand(
            "People: revoke a role",
            "Take back a role of a login, saying why (maillage people revoke)",
            lambda: revoke(app),
            for_admin=True,
        ),
        PaletteCommand(
            "People: set a web password…",
            "The password a person signs in with to 'maillage serve' (maillage people password)",
            lambda: set_web_password(app),
            for_admin=True,
        ),
    ]


def show(app: MaillageApp) -> None:
    from console.tui.screens.people import PeopleScreen

    app.push_screen(PeopleScreen())


def _fields() -> list[Choice | Field]:
    return [
        Field("login", "Login (account, PostgreSQL or browser login)", True),
        Choice("role", "Role", ROLES),
        Field("scope", "Municipality (INSEE, ccas only)"),
    ]


def grant(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        done = people.grant(app.store, v["login"], v["role"], v["scope"] or None, app.settings.user)
        return f"{done.login} now has the {done.label} role"

    ask_and_record(app, "Grant a role", "grant role", _fields(), write, for_admin=True)


def revoke(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        done = people.revoke(
            app.store, v["login"], v["role"], v["scope"] or None, app.settings.user, v["reason"]
        )
        return f"{done.login} no longer has the {done.label} role"

    fields = [*_fields(), Field("reason", "Why the role is taken back", True)]
    ask_and_record(app, "Revoke a role", "revoke role", fields, write, for_admin=True)


def set_web_password(app: MaillageApp, login: str = "") -> None:
    """The login and the password twice (shown as dots); the argon2id hash set in a worker."""
    fields: list[Choice | Field] = [
        Field("login", "Login", required=True, value=login),
        Field("password", "New web password", required=True, kind="password"),
        Field("again", "Again", required=True, kind="password"),
    ]

    def write(v: FormValues) -> str:
        if v["password"] != v["again"]:
            raise InvalidInputError("the two passwords differ: nothing was changed")
        done = credentials.set_password(
            app.store, str(v["login"]), str(v["password"]), app.settings.user
        )
        said = "set" if done.first else "changed"
        return f"web password of {done.login} {said} (its open browser sessions are closed)"

    ask_and_record(app, "Set a web password", "set web password", fields, write, for_admin=True)
