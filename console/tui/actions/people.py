"""People from the palette, for an administrator: list them, grant a role, revoke one — the
console's path to ``maillage people list|grant|revoke``, through the same service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask_and_record
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
