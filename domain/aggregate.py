"""Base class of every maillage aggregate: library aggregates stamped by the injected clock."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate

from domain import clock


class MaillageAggregate(Aggregate):
    """An event-sourced aggregate whose event timestamps come from ``domain.clock``."""

    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass
