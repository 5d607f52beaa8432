"""A yearly count at a school: missing, unexpected and misplaced devices; overdue audits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.inventory_count import InventoryCount, overdue_locations
from domain.errors import InvalidInputError
from domain.store import StoreLocation

LYCEE = "0450001G"


def test_a_count_records_what_was_missing_unexpected_and_misplaced(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    count = InventoryCount.count(
        "establishment",
        " 0450001g ",
        expected=["SN-3", "SN-1", "SN-2"],
        scanned=["sn-1", "SN-3", "SN-7", "SN-8"],
        elsewhere={"SN-7": "establishment 0451442Y", "SN-1": "ignored: it was expected"},
        by="Mme Girard (auditrice, Région)",
    )
    app.save(count)

    audit = Maillage(location).get(count.id, InventoryCount)
    assert audit.location == f"establishment:{LYCEE}"
    assert audit.expected == ["SN-1", "SN-2", "SN-3"]
    assert audit.scanned == ["SN-1", "SN-3", "SN-7", "SN-8"]
    assert audit.missing == ["SN-2"]
    assert audit.unexpected == ["SN-7", "SN-8"]
    assert audit.misplaced == {"SN-7": "establishment 0451442Y"}
    assert audit.unknown == ["SN-8"]
    assert not audit.is_clean
    assert audit.counted_on == fixed_clock.now()
    assert audit.counted_by == "Mme Girard (auditrice, Région)"


def test_a_clean_count_at_a_depot() -> None:
    count = InventoryCount.count("depot", "PPDC Orléans", ["A", "B"], ["B", "A"], {}, "A. Morel")
    assert count.is_clean and count.location == "depot:PPDC Orléans"
    assert (count.missing, count.unexpected, count.misplaced) == ([], [], {})


@pytest.mark.parametrize(
    ("kind", "ref", "scanned", "by", "message"),
    [
        ("holder", "P-1", [], "x", "a count is made at a depot or an establishment"),
        ("establishment", "0450001A", [], "x", "check letter A, expected G"),
        ("depot", " ", [], "x", "the depot is empty"),
        ("depot", "D", ["A", "a"], "x", "serial given twice: A"),
        ("depot", "D", ["A"], " ", "counting devices needs the name"),
    ],
)
def test_bad_counts_are_refused(
    kind: str, ref: str, scanned: list[str], by: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        InventoryCount.count(kind, ref, [], scanned, {}, by)


def test_locations_not_counted_within_the_interval_are_overdue() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    last = {
        "establishment:0450001G": now - timedelta(days=365),  # exactly a year: not yet
        "establishment:0451442Y": now - timedelta(days=366),
        "establishment:0370035M": None,  # never counted
        "depot:PPDC Orléans": now - timedelta(days=400),
        "depot:PPDC Tours": now - timedelta(days=20),
    }
    assert overdue_locations(last, now) == [
        "establishment:0370035M",
        "depot:PPDC Orléans",
        "establishment:0451442Y",
    ]
    assert overdue_locations(last, now, max_interval=timedelta(days=30)) == [
        "establishment:0370035M",
        "depot:PPDC Orléans",
        "establishment:0451442Y",
        "establishment:0450001G",
    ]
    assert overdue_locations({}, now) == []
