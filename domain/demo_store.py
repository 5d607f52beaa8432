"""The mark that a store holds the demo data set, recorded in its own log.

``maillage demo`` builds only in a new location or in a store that carries this mark,
and builds it again when the day it was built for has passed; a real store is never
touched. An auditor replaying the log sees that it is a demo.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.application import Maillage
from domain.errors import NotFoundError
from domain.ids import NAMESPACE, uuid5

DEMO_STORE_ID = uuid5(NAMESPACE, "demo-store")


class DemoStore(MaillageAggregate):
    """The demo data set in this store, and the day (Paris) it was built for."""

    @staticmethod
    def create_id() -> UUID:
        return DEMO_STORE_ID

    @event("Started")
    def __init__(self, built_for: str) -> None:
        self.built_for = built_for
        self.finished = False

    @classmethod
    def start(cls, day: date) -> DemoStore:
        """Mark a store as the demo being built for ``day`` (before anything else is written)."""
        return cls(built_for=day.isoformat())

    @event("Finished")
    def finish(self) -> None:
        """Every part of the demo is written."""
        self.finished = True


def demo_mark(app: Maillage) -> DemoStore | None:
    """The store's demo mark, or None when the store is not a demo store."""
    try:
        return app.get(DEMO_STORE_ID, DemoStore)
    except NotFoundError:
        return None


def is_current(mark: DemoStore, today: date) -> bool:
    """Whether the demo was fully built for ``today`` (else it is built again)."""
    return mark.finished and mark.built_for == today.isoformat()
