"""Events recorded per day (Europe/Paris) and per event type: the dashboard's pulse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from eventsourcing.persistence import Notification

from domain.clock import PARIS
from domain.store import ViewConnection
from domain.views.view import View, event_time


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
        days: dict[str, str] = {}  # event time (ISO text) → its day in Paris: bulk events share one
        for n in notifications:
            stamp = event_time(n)
            day = days.get(stamp)
            if day is None:
                day = datetime.fromisoformat(stamp).astimezone(PARIS).date().isoformat()
                days[stamp] = day
            counts[(day, event_type(n.topic))] += 1
        conn.executemany(
            "INSERT INTO activity_view (day, event_type, events) VALUES (?, ?, ?) "
            "ON CONFLICT (day, event_type) DO UPDATE "
            "SET events = activity_view.events + excluded.events",
            [(day, kind, count) for (day, kind), count in counts.items()],
        )


def events_per_day(conn: ViewConnection, first_day: str, last_day: str) -> list[tuple[str, int]]:
    """Events per day from ``first_day`` to ``last_day`` (ISO dates), empty days included."""
    from datetime import date, timedelta

    counts = dict(
        conn.fetchall(
            "SELECT day, SUM(events) FROM activity_view WHERE day BETWEEN ? AND ? GROUP BY day",
            (first_day, last_day),
        )
    )
    start, end = date.fromisoformat(first_day), date.fromisoformat(last_day)
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    return [(d, int(counts.get(d, 0))) for d in days]
