"""People and their roles (``maillage people list``), for an administrator: ``g`` grants a
role, ``r`` revokes one (the same forms as the palette's, ``console.tui.actions.people``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from console.texts.people import person_record
from console.tui.screens.reading import ReadingScreen
from domain.people import service as people

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class PeopleScreen(ReadingScreen):
    """Every person recorded, the roles they hold, who granted each and when (Paris time)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ReadingScreen.BINDINGS,
        Binding("g", "grant", "Grant a role", id="people.grant"),
        Binding("r", "revoke", "Revoke a role", id="people.revoke"),
    ]
    heading = "People and their roles"

    def read(self, app: MaillageApp) -> str:
        """Plain text (the reading body shows no markup): logins are shown as typed."""
        lines = []
        for person in people.people(app.store):
            r = person_record(person)
            lines.append(f"{r['login']}  {r['roles_text']}")
            for g in r["roles"]:
                role = f"{g['role']} of {g['scope']}" if g["scope"] else g["role"]
                lines.append(f"    {role}: granted by {g['granted_by']}, {g['granted_at']}")
        return "\n".join(lines) or "nobody is recorded yet"

    def action_grant(self) -> None:
        from console.tui.actions.people import grant

        grant(self.console)

    def action_revoke(self) -> None:
        from console.tui.actions.people import revoke

        revoke(self.console)
