"""Time travel on real stores (SQLite and PostgreSQL): an aggregate's state at a position and at
a date, an erased beneficiary's past states, the log listed with filters, dates to positions."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import clock
from domain.application import Maillage
from domain.audit.time_travel import (
    SEALED,
    LogFilter,
    TimeTravel,
    parse_moment,
    parse_types,
    readable,
    split_topic,
    state_at,
)
from domain.bulk import creation_events
from domain.devices.service import ManifestLine, announce_devices
from domain.errors import InvalidInputError, NotFoundError
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.service import erase_beneficiary
from domain.personal import ERASED
from domain.store import StoreLocation

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
GHOST_TOPIC = "vanished.module:Ghost.Appeared"


@dataclass
class Story:
    """A small log: a town, Jeanne (three events an hour or more apart), devices between."""

    app: Maillage
    town: Municipality
    jeanne: Beneficiary
    registered: int
    diet: int
    devices: list[int]
    pattern: int


def tell(app: Maillage, c: clock.FixedClock) -> Story:
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
    )
    app.save(town)
    jeanne = Beneficiary.register(
        "37261",
        "F1",
        town.id,
        {"name": "Jeanne Moreau", "address": "12 rue Colbert"},
        47.39,
        0.69,
        "low",
    )
    app.save(jeanne)  # 08:00
    registered = app.last_position()
    c.advance(timedelta(hours=1))
    jeanne.prescribe_diet("no_salt", "minced", [], [])
    app.save(jeanne)  # 09:00
    diet = app.last_position()
    c.advance(timedelta(hours=1))
    announce_devices(app, [ManifestLine(f"SN{i}", "iPad", "tablet", "CVL-1") for i in range(3)])
    devices = list(range(diet + 1, app.last_position() + 1))  # 10:00
    c.advance(timedelta(hours=1))
    jeanne.set_weekly_pattern({0: 1})
    app.save(jeanne)  # 11:00
    return Story(app, town, jeanne, registered, diet, devices, app.last_position())


@pytest.fixture
def story(location: StoreLocation, fixed_clock: clock.FixedClock) -> Story:
    app = Maillage(location)
    told = tell(app, fixed_clock)
    yield told
    app.close()


def test_the_state_between_two_events_is_the_state_after_the_earlier(story: Story) -> None:
    app, jeanne = story.app, story.jeanne
    assert story.devices, "the devices sit between the diet and the pattern"
    between = state_at(app, jeanne.id, position=story.devices[-1])

    after_diet = app.repository.get(jeanne.id, version=2)
    expected = {k: readable(v) for k, v in vars(after_diet).items() if not k.startswith("_")}
    assert between.attributes == expected
    assert between.version == 2 and between.versions == 3
    assert between.position == story.devices[-1]
    assert between.at == START + timedelta(hours=2)  # the time of the event at that position
    assert between.last_event is not None and between.last_event.position == story.diet
    assert between.last_event.event_type == "DietPrescribed"
    assert between.attributes["diet"] == SEALED and between.attributes["pattern"] == {}

    at_pattern = state_at(app, jeanne.id, position=story.pattern)
    assert at_pattern.version == 3 and at_pattern.attributes["pattern"] == {"0": 1}
    assert state_at(app, jeanne.id).attributes == at_pattern.attributes

    before = state_at(app, jeanne.id, position=story.registered - 1)
    assert not before.exists and before.attributes == {} and before.version == 0
    assert before.first_position == story.registered
    assert before.aggregate_type == "Beneficiary"


def test_the_state_at_a_date(story: Story) -> None:
    app, jeanne = story.app, story.jeanne
    half_past_ten = START + timedelta(hours=2, minutes=30)
    then = state_at(app, jeanne.id, at=half_past_ten)
    assert then.version == 2 and then.attributes["pattern"] == {}
    assert then.position == story.devices[-1]  # the last event stamped at or before it
    assert then.at == half_past_ten

    exactly_eleven = state_at(app, jeanne.id, at=START + timedelta(hours=3))
    assert exactly_eleven.version == 3 and exactly_eleven.position == story.pattern

    too_early = state_at(app, jeanne.id, at=START - timedelta(minutes=1))
    assert not too_early.exists and too_early.position == 0


def test_an_erased_beneficiary_shows_no_personal_data_at_a_past_position(story: Story) -> None:
    app, jeanne = story.app, story.jeanne
    sealed = state_at(app, jeanne.id, position=story.diet)
    assert sealed.attributes["personal"] == SEALED and sealed.attributes["diet"] == SEALED
    assert "Jeanne" not in json.dumps(sealed.as_json(), ensure_ascii=False)

    erase_beneficiary(app, jeanne.id, by="DPO of Tours")

    with TimeTravel(app) as reader:
        past = reader.state_at(jeanne.id, position=story.diet)
        history = reader.aggregate_events(jeanne.id)
    assert past.version == 2
    assert past.attributes["personal"] == ERASED
    assert past.attributes["home"] == ERASED and past.attributes["diet"] == ERASED
    assert past.attributes["status"] == "pending" and past.attributes["file_number"] == "F1"
    dumped = json.dumps(
        [past.as_json(), *(e.as_json() for e in history), *(e.summary for e in history)],
        ensure_ascii=False,
    )
    assert "Jeanne" not in dumped and "Colbert" not in dumped and "no_salt" not in dumped
    assert history[-1].event_type == "Erased" and history[-1].attributes == {"by": "DPO of Tours"}
    assert history[0].attributes["personal"] == ERASED
    assert f"diet={ERASED}" in history[1].summary


def test_an_aggregates_events_carry_positions_versions_and_masked_attributes(
    story: Story,
) -> None:
    with TimeTravel(story.app) as reader:
        history = reader.aggregate_events(story.jeanne.id)
    assert [(e.position, e.version, e.event_type) for e in history] == [
        (story.registered, 1, "Registered"),
        (story.diet, 2, "DietPrescribed"),
        (story.pattern, 3, "WeeklyPatternSet"),
    ]
    assert [e.timestamp for e in history] == [START + timedelta(hours=h) for h in (0, 1, 3)]
    first = history[0].attributes
    assert first["personal"] == SEALED and first["file_number"] == "F1"
    assert first["municipality_id"] == str(story.town.id)
    assert history[2].summary == 'pattern={"0":1}'


def test_bad_positions_and_ids_are_refused(story: Story) -> None:
    app, jeanne = story.app, story.jeanne
    last = app.last_position()
    with pytest.raises(InvalidInputError, match=f"beyond the end of the log .*{last}"):
        state_at(app, jeanne.id, position=last + 1)
    with pytest.raises(InvalidInputError, match="negative"):
        state_at(app, jeanne.id, position=-1)
    with pytest.raises(NotFoundError, match="no aggregate with id"):
        state_at(app, uuid.uuid4())
    with pytest.raises(InvalidInputError, match="not both"):
        state_at(app, jeanne.id, position=1, at=START)
    with TimeTravel(app) as reader:
        assert reader.resolve_id(str(jeanne.id)) == jeanne.id
        assert reader.resolve_id(jeanne.id.hex[:7].upper()) == jeanne.id
        with pytest.raises(InvalidInputError, match="not an aggregate id"):
            reader.resolve_id("12ab")
        with pytest.raises(NotFoundError):
            reader.resolve_id(uuid.uuid4().hex)


def test_the_log_listed_with_filters(story: Story) -> None:
    app = story.app
    with TimeTravel(app) as reader:
        everything = list(reader.entries())
        assert [e.position for e in everything] == list(range(1, app.last_position() + 1))
        assert list(reader.positions()) == [e.position for e in everything]
        assert reader.span() == range(1, app.last_position() + 1)
        assert listed_positions(reader, LogFilter(since=START)) == [e.position for e in everything]

        def listed(**kwargs: object) -> list[tuple[int, str, str]]:
            chosen = LogFilter(**kwargs)  # type: ignore[arg-type]
            entries = list(reader.entries(chosen))
            assert list(reader.positions(chosen)) == [e.position for e in entries]
            return [(e.position, e.aggregate_type, e.event_type) for e in entries]

        jeanne_events = [
            (story.registered, "Beneficiary", "Registered"),
            (story.diet, "Beneficiary", "DietPrescribed"),
            (story.pattern, "Beneficiary", "WeeklyPatternSet"),
        ]
        assert listed(types=("Beneficiary",)) == jeanne_events
        assert listed(types=("beneficiary",)) == jeanne_events  # any case
        assert listed(aggregate_id=story.jeanne.id) == jeanne_events
        assert listed(types=("Registered",)) == [
            (1, "Municipality", "Registered"),
            (story.registered, "Beneficiary", "Registered"),
        ]
        assert listed(types=("Beneficiary.DietPrescribed", "Announced")) == [
            (story.diet, "Beneficiary", "DietPrescribed"),
            *((p, "Device", "Announced") for p in story.devices),
        ]
        assert listed(types=("Device",), aggregate_id=story.jeanne.id) == []
        assert listed(types=("Nothing_like_it",)) == []

        nine, ten = START + timedelta(hours=1), START + timedelta(hours=2)
        assert listed(since=nine, until=ten) == [
            (story.diet, "Beneficiary", "DietPrescribed"),
            *((p, "Device", "Announced") for p in story.devices),
        ]
        assert listed(since=ten + timedelta(seconds=1)) == [jeanne_events[-1]]
        assert listed(until=nine - timedelta(seconds=1)) == [
            (1, "Municipality", "Registered"),
            (story.registered, "Beneficiary", "Registered"),
        ]
        assert listed(types=("Beneficiary",), since=nine) == jeanne_events[1:]

        assert [e.position for e in reader.entries(limit=2)] == [1, 2]
        entry = next(reader.entries(LogFilter(types=("DietPrescribed",))))
        assert entry.aggregate_id == story.jeanne.id and entry.timestamp == nine
        assert entry.as_json()["aggregate_type"] == "Beneficiary"
        assert [e.position for e in reader.entries_at([1, story.diet, story.pattern])] == [
            1,
            story.diet,
            story.pattern,
        ]


def listed_positions(reader: TimeTravel, chosen: LogFilter) -> list[int]:
    """The positions ``entries`` lists, checked against ``positions``."""
    positions = [e.position for e in reader.entries(chosen)]
    assert list(reader.positions(chosen)) == positions
    return positions


def test_a_date_filter_is_exact_where_the_clock_went_back(
    location: StoreLocation, fixed_clock: clock.FixedClock, kit
) -> None:  # type: ignore[no-untyped-def]
    """Like the demo store: one story told over two weeks, then another from an earlier day."""
    app = Maillage(location)
    try:
        days = [*range(0, 14, 2), *range(1, 14, 3)]  # two runs: 0, 2 … 12, then 1, 4 … 13
        parcels = []
        for day in days:
            fixed_clock.set(START + timedelta(days=day, microseconds=day % 2))
            parcels.append(kit.Parcel(f"day {day}", day))
        app.save_batch(parcels)
        with TimeTravel(app) as reader:
            for low, high in [(0, 3), (4, 4), (5, 9), (12, 13), (14, 20)]:
                chosen = LogFilter(
                    since=START + timedelta(days=low), until=START + timedelta(days=high, hours=1)
                )
                wanted = [p for p, day in enumerate(days, start=1) if low <= day <= high]
                assert listed_positions(reader, chosen) == wanted, (low, high)
            # To the microsecond: day 1 is stamped 1 µs after its midnight.
            one = START + timedelta(days=1)
            assert listed_positions(reader, LogFilter(until=one)) == [1]
            assert listed_positions(reader, LogFilter(since=one, until=one)) == []
            assert listed_positions(
                reader,
                LogFilter(
                    since=one + timedelta(microseconds=1), until=one + timedelta(microseconds=1)
                ),
            ) == [days.index(1) + 1]
    finally:
        app.close()


def test_a_reader_sees_the_log_up_to_where_it_was_opened(story: Story) -> None:
    app = story.app
    with TimeTravel(app, upto=story.diet) as reader:
        assert reader.upto == story.diet
        assert [e.position for e in reader.entries()][-1] == story.diet
        assert reader.state_at(story.jeanne.id).version == 2
        with pytest.raises(InvalidInputError, match="beyond the end"):
            reader.check_position(story.pattern)


def test_dates_map_to_positions_like_a_scan_of_the_log(
    location: StoreLocation, fixed_clock: clock.FixedClock, kit
) -> None:  # type: ignore[no-untyped-def]
    app = Maillage(location)
    try:
        stamps, parcels = [], []
        for i in range(40):
            fixed_clock.advance(timedelta(minutes=7 if i % 5 else 0))  # equal stamps too
            parcels.append(kit.Parcel(f"p{i}", i))  # stamped now, stored below in this order
            stamps.append(fixed_clock.now())
        assert app.save_batch(parcels) == list(range(1, 41))
        # A gap in the positions (a row deleted behind the store's back).
        events = "stored_events" if location.kind == "sqlite" else "maillage_events"
        nid = "rowid" if location.kind == "sqlite" else "notification_id"
        with location.connect() as conn:
            conn.execute(f"DELETE FROM {events} WHERE {nid} IN (17, 18)")
        present = [(p, s) for p, s in enumerate(stamps, start=1) if p not in (17, 18)]
        with TimeTravel(app) as reader:
            later = [s + timedelta(seconds=30) for s in stamps[1::2]]
            for moment in [START - timedelta(minutes=1), *stamps[::2], *stamps[-3:], *later]:
                expected = max((p for p, s in present if s <= moment), default=0)
                assert reader.position_at(moment) == expected, moment
                before = max((p for p, s in present if s < moment), default=0)
                assert reader.position_at(moment, before=True) == before, moment
            assert reader.timestamp_at(17) == stamps[15]  # the nearest event before the gap
    finally:
        app.close()


def test_events_of_a_class_this_version_does_not_have_still_list(
    sqlite_location: StoreLocation, fixed_clock: clock.FixedClock, kit
) -> None:  # type: ignore[no-untyped-def]
    """The log and an aggregate's events read stored JSON, not classes; ambiguous prefixes."""
    app = Maillage(sqlite_location)
    try:
        twins = [uuid.UUID("abcdef01" + "0" * 24), uuid.UUID("abcdef02" + "0" * 24)]
        stored = creation_events(
            kit.Parcel,
            kit.Parcel.Registered,
            [(twins[0], {"label": "a", "weight_g": 1}), (twins[1], {"label": "b", "weight_g": 2})],
            clock.now(),
        )
        gone = [
            type(s)(
                s.originator_id, s.originator_version, "vanished.module:Ghost.Appeared", s.state
            )
            for s in stored
        ]
        app.record_stored(gone)
        with TimeTravel(app) as reader:
            (entry, _) = reader.entries()
            assert (entry.aggregate_type, entry.event_type) == ("Ghost", "Appeared")
            (event,) = reader.aggregate_events(twins[0])
            assert event.attributes == {"label": "a", "weight_g": 1}
            with pytest.raises(InvalidInputError, match="several aggregates"):
                reader.resolve_id("abcdef")
            assert reader.resolve_id("abcdef02") == twins[1]
    finally:
        app.close()


def test_typed_dates_and_types() -> None:
    assert parse_moment("2026-03-02", PARIS) == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    end = parse_moment("2026-03-02", PARIS, end_of_day=True)
    assert end == datetime(2026, 3, 2, 22, 59, 59, 999999, tzinfo=UTC)
    assert parse_moment("2026-07-01 10:30", PARIS) == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert parse_moment("2026-07-01T10:30+00:00", PARIS) == datetime(2026, 7, 1, 10, 30, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "", "12:00"):
        with pytest.raises(InvalidInputError, match=r"--since: .* is not a date"):
            parse_moment(bad, PARIS, what="--since")
    assert parse_types(" Activated, Device.Shipped  Beneficiary ") == (
        "Activated",
        "Device.Shipped",
        "Beneficiary",
    )
    with pytest.raises(InvalidInputError, match="'a-b' is not a name"):
        parse_types("a-b")
    with pytest.raises(InvalidInputError, match="date range is empty"):
        LogFilter(since=START, until=START - timedelta(seconds=1))
    assert split_topic("domain.meals.beneficiary:Beneficiary.Registered") == (
        "Beneficiary",
        "Registered",
    )
