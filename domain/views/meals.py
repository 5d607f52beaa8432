"""Read models of the meal service: beneficiaries as the operator lists them.

Personal fields are opened while the rows are built (the view needs the
application's mapper for that) and replaced by the erased marker when a
beneficiary is erased; a rebuild after erasure finds them erased anyway,
since the key is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.meals.beneficiary import Beneficiary
from domain.personal import ERASED, Personal
from domain.store import ViewConnection
from domain.views.view import View

if TYPE_CHECKING:
    from domain.application import Maillage

_TOPICS = {
    get_topic(Beneficiary.Registered): "registered",
    get_topic(Beneficiary.Activated): "activated",
    get_topic(Beneficiary.Stopped): "stopped",
    get_topic(Beneficiary.Deceased): "deceased",
    get_topic(Beneficiary.DietPrescribed): "diet",
    get_topic(Beneficiary.Erased): "erased",
}


def _opened(value: Personal | None, field: str) -> str:
    if value is None:
        return ""
    if value.erased:
        return ERASED
    return str(value.value.get(field, ""))


class BeneficiariesView(View):
    """One row per beneficiary: file, status, name and address (opened), diet."""

    name = "beneficiaries"
    version = 1
    tables = ("beneficiaries_view",)
    topics = tuple(_TOPICS)

    def attach(self, app: Maillage) -> None:
        self.decode = app.mapper.to_domain_event

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS beneficiaries_view ("
            "id TEXT PRIMARY KEY, insee_code TEXT NOT NULL, file_number TEXT NOT NULL, "
            "status TEXT NOT NULL, name TEXT NOT NULL, address TEXT NOT NULL, "
            "phone TEXT NOT NULL, price_bracket TEXT NOT NULL, regime TEXT NOT NULL, "
            "texture TEXT NOT NULL, UNIQUE (insee_code, file_number))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            kind = _TOPICS[n.topic]
            event: Any = self.decode(n)
            key = str(n.originator_id)
            if kind == "registered":
                conn.execute(
                    "INSERT INTO beneficiaries_view "
                    "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, '', '')",
                    (
                        key,
                        event.insee_code,
                        event.file_number,
                        _opened(event.personal, "name"),
                        _opened(event.personal, "address"),
                        _opened(event.personal, "phone"),
                        event.price_bracket,
                    ),
                )
            elif kind in ("activated", "stopped", "deceased"):
                status = {"activated": "active"}.get(kind, kind)
                conn.execute("UPDATE beneficiaries_view SET status = ? WHERE id = ?", (status, key))
            elif kind == "diet":
                conn.execute(
                    "UPDATE beneficiaries_view SET regime = ?, texture = ? WHERE id = ?",
                    (_opened(event.diet, "regime"), _opened(event.diet, "texture"), key),
                )
            else:  # erased: purge every personal field
                conn.execute(
                    "UPDATE beneficiaries_view SET name = ?, address = ?, phone = ?, "
                    "regime = ?, texture = ? WHERE id = ?",
                    (ERASED, ERASED, ERASED, ERASED, ERASED, key),
                )
