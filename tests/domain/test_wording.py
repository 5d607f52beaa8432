"""How numbers and moments read: plurals, Paris time with its zone, the zone of a round's day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.wording import local_clock, local_time, plural, zone_on


def test_plural() -> None:
    assert [plural(n, "meal") for n in (0, 1, 2)] == ["0 meals", "1 meal", "2 meals"]
    assert plural(2, "box") == "2 boxes" and plural(3, "person") == "3 people"


def test_local_time_shows_the_zone_of_the_moment() -> None:
    assert local_time(datetime(2026, 3, 9, 8, 40, tzinfo=UTC)) == "2026-03-09 09:40 CET"
    assert local_time(datetime(2026, 7, 9, 8, 40)) == "2026-07-09 10:40 CEST"  # naive is UTC
    assert local_clock(datetime(2026, 7, 9, 8, 40, 5, tzinfo=UTC)) == "10:40 CEST"


def test_the_zone_of_a_rounds_day_follows_summer_time() -> None:
    # Summer time in 2026 runs from Sunday 29 March to Sunday 25 October.
    assert zone_on(date(2026, 3, 28)) == "CET"
    assert zone_on(date(2026, 3, 29)) == "CEST"
    assert zone_on(date(2026, 10, 24)) == "CEST"
    assert zone_on(date(2026, 10, 25)) == "CET"
