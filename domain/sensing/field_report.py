"""Postmen's field reports: illegal dumping, failing signage, pedestrian counts, with a position.

A report is a fact seen in the street (who, when, where, how many); it names no person. The
recommendations cross them with the segments' indicators.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.application import Maillage
from domain.errors import InvalidInputError

REPORT_KINDS = ("illegal_dumping", "failing_signage", "pedestrian_count")
MAX_NOTE_CHARS = 500
MAX_COUNT = 100_000


class FieldReport(MaillageAggregate):
    """One report from the street: its kind, position, count (pedestrians, items), note."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Reported")
    def __init__(
        self,
        kind: str,
        lat_deg: float,
        lon_deg: float,
        count: int,
        note: str,
        by: str,
        at: datetime,
    ) -> None:
        self.kind = kind
        self.lat_deg = lat_deg
        self.lon_deg = lon_deg
        self.count = count
        self.note = note
        self.by = by
        self.at = at

    @classmethod
    def report(
        cls,
        kind: str,
        lat_deg: float,
        lon_deg: float,
        by: str,
        count: float | None = None,
        note: str = "",
    ) -> FieldReport:
        """Check and record a report; a pedestrian count needs its count (others default to 1)."""
        if kind not in REPORT_KINDS:
            raise InvalidInputError(f"report kind {kind!r} is not one of {', '.join(REPORT_KINDS)}")
        if not (math.isfinite(lat_deg) and math.isfinite(lon_deg)) or not (
            -90 <= lat_deg <= 90 and -180 <= lon_deg <= 180
        ):
            raise InvalidInputError(f"{lat_deg},{lon_deg} is not a position on Earth")
        if kind == "pedestrian_count" and count is None:
            raise InvalidInputError("a pedestrian count needs the number counted (--count)")
        if count is not None and not float(count).is_integer():
            raise InvalidInputError(f"count {count} must be a whole number")
        n = 1 if count is None else int(count)
        if not 0 <= n <= MAX_COUNT:
            raise InvalidInputError(f"count {n} must be between 0 and {MAX_COUNT}")
        if len(note) > MAX_NOTE_CHARS or any(ord(c) < 32 for c in note):
            raise InvalidInputError(
                f"the note must be one line of at most {MAX_NOTE_CHARS} characters"
            )
        if not by.strip():
            raise InvalidInputError("a report needs the name of who made it")
        return cls(kind, float(lat_deg), float(lon_deg), n, note.strip(), by.strip(), clock.now())


def record_report(
    app: Maillage,
    kind: str,
    lat_deg: float,
    lon_deg: float,
    by: str,
    count: float | None = None,
    note: str = "",
) -> FieldReport:
    """Record a field report (``maillage reports add`` and the map screen both come here)."""
    report = FieldReport.report(kind, lat_deg, lon_deg, by, count, note)
    app.save(report)
    return report


def check_report(
    kind: str,
    lat_deg: float,
    lon_deg: float,
    by: str,
    count: float | None = None,
    note: str = "",
) -> None:
    """Refuse a report exactly as ``record_report`` would, before any store is opened (so a
    refused report leaves no trace, not even a new store)."""
    FieldReport.report(kind, lat_deg, lon_deg, by, count, note)


REPORTED_TOPIC = get_topic(FieldReport.Reported)


@dataclass(frozen=True)
class ReportPoint:
    """What the recommendations need of a report (no name: ``by`` stays in the log)."""

    kind: str
    lat_deg: float
    lon_deg: float
    count: int
    at: datetime


def iter_reports(app: Maillage, batch: int = 1000) -> Iterator[ReportPoint]:
    """Every field report in log order (reads only the reports' events)."""
    start = 1
    while True:
        found = app.recorder.select_notifications(start, batch, topics=[REPORTED_TOPIC])
        for n in found:
            e = app.mapper.to_domain_event(n)
            yield ReportPoint(e.kind, e.lat_deg, e.lon_deg, e.count, e.at)  # type: ignore[attr-defined]
        if len(found) < batch:
            return
        start = found[-1].id + 1
