"""The founding of a store: who created it (or first wrote to it) and so became its first
administrator. One per store, with a fixed id, so two people founding at once cannot both win:
the second one's save conflicts and is refused."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.ids import NAMESPACE, uuid5

FOUNDING_ID: UUID = uuid5(NAMESPACE, "people-founding")


class Founding(MaillageAggregate):
    """The store's first administrator, recorded once."""

    @staticmethod
    def create_id() -> UUID:
        return FOUNDING_ID

    @event("Founded")
    def __init__(self, admin: str) -> None:
        self.admin = admin
