"""A device audit: the serials scanned at one place, compared with what the log expects there.

The service passes in the serials the event log places at the location and,
for scanned serials it places elsewhere, where that is. The count records
what was expected and scanned and its outcome: missing (expected, not
scanned), unexpected (scanned, not expected) and, among the unexpected, the
misplaced ones with where the log places them. ``overdue_locations`` lists
the places whose last count is older than a maximum interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.devices.inputs import required, unique_serials, who
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError

COUNT_LOCATION_KINDS: tuple[str, ...] = ("depot", "establishment")
DEFAULT_MAX_INTERVAL = timedelta(days=365)
"""Default: every location is counted at least once a year."""


def location_key(kind: str, reference: str) -> str:
    """``kind:reference`` as counts and the overdue list name a location."""
    return f"{kind}:{reference}"


def counted_location(kind: str, reference: str) -> tuple[str, str]:
    """A checked location a count can be made at: a depot, or a school by its UAI."""
    if kind not in COUNT_LOCATION_KINDS:
        raise InvalidInputError(
            f"a count is made at a {' or an '.join(COUNT_LOCATION_KINDS)}, not a {kind!r}"
        )
    if kind == "establishment":
        return kind, normalise_uai(reference)
    return kind, required(reference, "the depot")


class InventoryCount(MaillageAggregate):
    """One count at one location, by one person, and what it found."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Counted")
    def __init__(
        self,
        location_kind: str,
        location_ref: str,
        expected: list[str],
        scanned: list[str],
        missing: list[str],
        unexpected: list[str],
        misplaced: dict[str, str],
        by: str,
    ) -> None:
        self.location_kind = location_kind
        self.location_ref = location_ref
        self.expected = list(expected)
        self.scanned = list(scanned)
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.misplaced = dict(misplaced)
        self.counted_by = by

    @classmethod
    def count(
        cls,
        location_kind: str,
        location_ref: str,
        expected: Iterable[str],
        scanned: Iterable[str],
        elsewhere: Mapping[str, str],
        by: str,
    ) -> InventoryCount:
        """Record a count: ``elsewhere`` maps scanned serials the log places elsewhere to where."""
        kind, ref = counted_location(location_kind, location_ref)
        place = location_key(kind, ref)
        expected_list = sorted(unique_serials(expected, f"expected serials at {place}"))
        scanned_list = unique_serials(scanned, f"count at {place}")
        expected_set, scanned_set = set(expected_list), set(scanned_list)
        unexpected = [s for s in scanned_list if s not in expected_set]
        return cls(
            location_kind=kind,
            location_ref=ref,
            expected=expected_list,
            scanned=scanned_list,
            missing=[s for s in expected_list if s not in scanned_set],
            unexpected=unexpected,
            misplaced={s: elsewhere[s] for s in unexpected if s in elsewhere},
            by=who(by, "counting devices"),
        )

    @property
    def location(self) -> str:
        return location_key(self.location_kind, self.location_ref)

    @property
    def counted_on(self) -> datetime:
        return self.created_on

    @property
    def unknown(self) -> list[str]:
        """Unexpected serials the log places nowhere (never announced, or lost or stolen)."""
        return [s for s in self.unexpected if s not in self.misplaced]

    @property
    def is_clean(self) -> bool:
        """Everything expected was there, and nothing else."""
        return not self.missing and not self.unexpected


def overdue_locations(
    last_counted: Mapping[str, datetime | None],
    now: datetime,
    max_interval: timedelta = DEFAULT_MAX_INTERVAL,
) -> list[str]:
    """Locations never counted or last counted more than ``max_interval`` before ``now``.

    Never-counted locations come first, then the longest overdue.
    """
    never = sorted(place for place, last in last_counted.items() if last is None)
    late = sorted(
        (
            (last, place)
            for place, last in last_counted.items()
            if last is not None and now - last > max_interval
        ),
    )
    return never + [place for _, place in late]
