"""The people read model: every person recorded and the roles they hold now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.people.person import Person
from domain.store import ViewConnection
from domain.views.view import View, event_state, event_time, stored_time

if TYPE_CHECKING:
    from domain.application import Maillage
    from domain.people.service import PersonRow


class PeopleView(View):
    """One row per person (login, since) and one per role they hold (no scope: '')."""

    name = "people"
    version = 1
    tables = ("people_view", "people_grants_view")
    topics = (
        get_topic(Person.Registered),
        get_topic(Person.RoleGranted),
        get_topic(Person.RoleRevoked),
    )

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS people_view ("
            "id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, since TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS people_grants_view ("
            "person_id TEXT NOT NULL, role TEXT NOT NULL, scope TEXT NOT NULL, "
            "granted_by TEXT NOT NULL, granted_at TEXT NOT NULL, "
            "PRIMARY KEY (person_id, role, scope))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        registered, granted, _revoked = self.topics
        for n in notifications:
            s = event_state(n)
            pid = str(n.originator_id)
            if n.topic == registered:
                conn.execute(
                    "INSERT INTO people_view VALUES (?, ?, ?)", (pid, s["login"], event_time(n))
                )
            elif n.topic == granted:
                conn.execute(
                    "INSERT INTO people_grants_view VALUES (?, ?, ?, ?, ?)",
                    (pid, s["role"], s["scope"] or "", s["by"], stored_time(s["at"])),
                )
            else:
                conn.execute(
                    "DELETE FROM people_grants_view WHERE person_id = ? AND role = ? AND scope = ?",
                    (pid, s["role"], s["scope"] or ""),
                )


def people_rows(app: Maillage) -> tuple[PersonRow, ...]:
    """Every person by login with their grants, strongest first (views brought up to date)."""
    from domain.people.service import Grant, PersonRow, strongest_first
    from domain.views.projector import caught_up

    conn = caught_up(app)
    try:
        persons = conn.fetchall("SELECT id, login, since FROM people_view ORDER BY login")
        grants = conn.fetchall(
            "SELECT person_id, role, scope, granted_by, granted_at FROM people_grants_view"
        )
    finally:
        conn.close()
    held: dict[str, list[Grant]] = {}
    logins = {str(pid): str(login) for pid, login, _ in persons}
    for pid, role, scope, by, at in grants:
        login = logins.get(str(pid), "")
        held.setdefault(str(pid), []).append(
            Grant(login, str(role), str(scope) or None, str(by), datetime.fromisoformat(str(at)))
        )
    return tuple(
        PersonRow(
            str(login),
            datetime.fromisoformat(str(since)),
            tuple(sorted(held.get(str(pid), []), key=strongest_first)),
        )
        for pid, login, since in persons
    )
