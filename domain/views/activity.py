"""Events recorded per day (Europe/Paris) and per event type: the dashboard's pulse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from eventsourcing.persistence import Notification

from domain.store import ViewConnection
from domain.views.view import View, event_state

PARIS = ZoneInfo("Europe/Paris")


def event_type(topic: str) -> str:
    """Short name of an event topic (``module:Device.Announced`` → ``Device.Announced``)."""
    return topic.rsplit(":", 1)[-1]


class ActivityView(View):
    """How many events of each type were recorded each day."""

    name = "activity"
    version = 1
    tables = ("activity_view",)
    topics = ()  # every event

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS activity_view ("
            "day TEXT NOT NULL, event_type TEXT NOT NULL, events BIGINT NOT NULL, "
            "PRIMARY KEY (day, event_type))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        for n in notifications:
            stamp = datetime.fromisoformat(event_state(n)["timestamp"]["_data_"])
            counts[(stamp.astimezone(PARIS).date().isoformat(), event_type(n.topic))] += 1
        conn.executemany(
            "INSERT INTO activity_view (day, event_type, events) VALUES (?, ?, ?) "
            "ON CONFLICT (day, event_type) DO UPDATE "
            "SET events = activity_view.events + excluded.events",
            [(day, kind, count) for (day, kind), count in counts.items()],
        )
