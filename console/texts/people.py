"""People and their roles as both front ends show them: logins, roles, Paris times with their
zone, never an id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.clock import PARIS
from domain.people.service import Grant, PersonRow


def paris(moment: datetime) -> str:
    """A moment as people at the depot read it, with its zone (CET/CEST)."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M %Z")


def grant_text(grant: Grant) -> str:
    """``ccas of 37261 (by claire, 2026-03-02 09:00 CET)``."""
    return f"{grant.label} (by {grant.by}, {paris(grant.at)})"


def person_record(person: PersonRow) -> dict[str, Any]:
    """A person as ``people list --json`` gives them, and as the console lists them."""
    return {
        "login": person.login,
        "since": paris(person.since),
        "roles": [
            {"role": g.role, "scope": g.scope, "granted_by": g.by, "granted_at": paris(g.at)}
            for g in person.grants
        ],
        "roles_text": ", ".join(g.label for g in person.grants) or "no role",
    }
