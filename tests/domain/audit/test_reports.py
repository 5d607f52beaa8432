"""Audit reports on real stores: figures as recorded, made as of one position, checkable later.

One small world is recorded through the domain: Tours with two price brackets
and a 60-minute service level; three beneficiaries, one of whom is erased at
the end; a round on Monday 2 March with an excursion on box B1 (4.2 °C, peak
5.1 °C, back to 2.6 °C twenty minutes later, released by a named person);
three welfare alerts (acknowledged in time, acknowledged late, never
acknowledged); four devices and two schools; a sensor session processed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from domain.application import Maillage
from domain.audit.checkpoint import Checkpoint
from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.cold_chain import build_cold_chain
from domain.audit.reports.custody import build_device_custody, build_establishment_custody
from domain.audit.reports.model import Euros, Report
from domain.audit.reports.provenance import build_provenance
from domain.audit.reports.render import html, markdown, read_csv_table, render
from domain.audit.reports.service_fait import build_service_fait
from domain.audit.reports.welfare import build_welfare
from domain.audit.verify import Verifier, chain_head
from domain.clock import FixedClock
from domain.devices import service as devices
from domain.devices.custody import custody_chain
from domain.devices.purchase_order import OrderLine
from domain.devices.service import ManifestLine, SchoolRecord
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.service import erase_beneficiary
from domain.meals.welfare_alert import WelfareAlert
from domain.sensing.sensor_session import SensorSession

MONDAY = date(2026, 3, 2)
CONTRACT = Contract((PriceBracket("low", 12_000, 450, 150), PriceBracket("high", None, 790, 210)))
PEOPLE = {  # file number → (name, address, bracket, meals on Mondays)
    "2026-0001": ("Jeanne Moreau", "12 rue Colbert", "low", 1),
    "2026-0002": ("Louis Girard", "3 place Plumereau", "high", 2),
    "2026-0003": ("Odette Lambert", "7 rue Marceau", "low", 1),
}
ERASED_FILE = "2026-0003"
NOTES = {
    "2026-0001": "Confused, fridge still full",
    "2026-0003": "Fell in the kitchen last night",
    "2026-0002": "Short of breath on the stairs",
}
FOLLOW_UP = "Called the daughter, GP visit tomorrow"
LYCEE, COLLEGE = "0450001G", "0451442Y"
SERIALS = ["LP000", "LP001", "LP002", "LP003"]
SHA = ["ab" * 32, "cd" * 32]
RESULTS = "ef" * 32
WITHHELD = "(not shown to this role)"
REPORT_AT = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)


def at(hh: int, mm: int) -> datetime:
    return datetime(2026, 3, 2, hh, mm, tzinfo=UTC)


@dataclass
class World:
    """What the scenario recorded, to check the reports against."""

    app: Maillage
    clock: FixedClock
    town: Municipality
    people: dict[str, Beneficiary]
    round_id: UUID
    alerts: dict[str, UUID]
    session_id: UUID


def record_meals(app: Maillage, clock: FixedClock) -> tuple[Municipality, dict[str, Beneficiary]]:
    town = Municipality.register("37261", "Tours", "PPDC Tours Nord", "ccas@tours.fr", CONTRACT)
    town.configure_service(60, 240, None, by="DSI Tours")
    people = {}
    for number, (name, address, bracket, meals) in PEOPLE.items():
        b = Beneficiary.register(
            "37261", number, town.id, {"name": name, "address": address}, 47.39, 0.69, bracket
        )
        b.prescribe_diet("normal", "normal", [], [])
        b.set_weekly_pattern({0: meals})
        b.activate(MONDAY)
        people[number] = b
    app.save(town, *people.values())
    return town, people


def record_round(app: Maillage, clock: FixedClock, people: dict[str, Beneficiary]) -> UUID:
    jeanne, louis, odette = (people[n] for n in PEOPLE)
    rnd = MealRound.plan(
        MONDAY, "PPDC Tours Nord", "L. Petit", "VAN-12",
        [(jeanne.id, 1, "B1"), (louis.id, 2, "B2"), (odette.id, 1, "B1")],
    )  # fmt: skip
    app.save(rnd)
    clock.set(at(8, 0))
    rnd.load({"B1": ("probe-1", 2.0), "B2": ("probe-2", 2.5)})
    # Each step recorded as it happens (the clock at its time: nothing is dated ahead of now).
    clock.set(at(8, 30))
    rnd.record_probe_reading("B1", 4.2, at(8, 30))  # opens the excursion, B1 blocked
    clock.set(at(8, 40))
    rnd.record_probe_reading("B1", 5.1, at(8, 40))  # the peak, still blocked
    clock.set(at(8, 45))
    rnd.release_box("B1", "M. Martin (chef de production)", "core checked at 2.9 °C")
    clock.set(at(8, 50))
    rnd.record_probe_reading("B1", 2.6, at(8, 50))  # back in range: 20 minutes after opening
    clock.set(at(8, 55))
    rnd.record_stop(jeanne.id, "put_in_fridge", at(8, 55), handover_temperature_c=2.8)
    clock.set(at(9, 0))
    rnd.record_stop(
        louis.id, "absent", at(9, 0), contact={"called": "contact_person", "result": "reached"}
    )
    clock.set(at(9, 25))  # typed in 20 minutes after the hand-over
    rnd.record_stop(odette.id, "handed_over", at(9, 5), handover_temperature_c=2.9)
    clock.set(at(9, 30))
    rnd.complete()
    app.save(rnd)
    return rnd.id


def record_alerts(
    app: Maillage, clock: FixedClock, town: Municipality, people: dict[str, Beneficiary]
) -> dict[str, UUID]:
    ids = {}
    # number → (raised, acknowledged after minutes or None, closed after minutes or None)
    plan = {"2026-0001": (at(10, 0), 30, 120), "2026-0003": (at(10, 10), 90, None)}
    plan["2026-0002"] = (at(10, 20), None, None)
    for number, (raised, ack, close) in plan.items():
        clock.set(raised)
        alert = WelfareAlert.raise_alert(
            people[number].id, town.id, "health", "high", NOTES[number], "L. Petit"
        )
        if ack is not None:
            clock.set(raised + timedelta(minutes=ack))
            alert.acknowledge("Mme Durand (CCAS)")
            alert.add_follow_up("Mme Durand", FOLLOW_UP)
        if close is not None:
            clock.set(raised + timedelta(minutes=close))
            alert.close("referred", "Mme Durand")
        app.save(alert)
        ids[number] = alert.id
    # The level changes afterwards: alerts already raised keep the one of their time.
    app.edit(town.id, Municipality, lambda t: t.configure_service(120, 240, None, by="DSI"))
    return ids


def record_devices(app: Maillage) -> None:
    devices.register_schools(
        app,
        [
            SchoolRecord(LYCEE, "Lycée Voltaire", "Lycée", "", "45000", "Orléans", None, None),
            SchoolRecord(COLLEGE, "Collège Rostand", "Collège", "", "45000", "Orléans", None, None),
        ],
    )
    devices.record_purchase_order(
        app, "CVL-1", "Centre-Val de Loire", "DE", [OrderLine("L300", "laptop", 4)], "S. Blanc"
    )
    devices.announce_devices(app, [ManifestLine(s, "L300", "laptop", "CVL-1") for s in SERIALS])
    devices.receive_delivery_note(app, "CVL-1", "DN-7", SERIALS, "PPDC Orléans", "A. Morel")
    devices.stage(app, {s: f"MDM-{s}" for s in SERIALS}, "cvl-2026.03", "A. Morel")
    devices.allocate(app, SERIALS[:3], LYCEE, "S. Blanc")
    devices.allocate(app, SERIALS[3:], COLLEGE, "S. Blanc")
    devices.allocate(app, ["LP002"], COLLEGE, "S. Blanc")  # moved to the other school
    devices.prepare_shipment(app, "SH-1", LYCEE, "PPDC Orléans", "A. Morel")
    devices.pack(app, "SH-1", ["LP000", "LP001"], "A. Morel")
    devices.seal(app, "SH-1", "SEAL-42", "M. Chef")
    devices.dispatch(app, "SH-1", "La Poste", "A. Morel")
    devices.deliver(app, "SH-1", "Mme Leroy", "facteur L. Petit", ["LP001"])
    devices.hand_over(app, "LP001", "P-2026-0042", "pupil", True, "CPE B. Roux")


def record_session(app: Maillage, clock: FixedClock) -> UUID:
    clock.set(at(14, 0))
    session = SensorSession.start(
        "VAN-12", {"gps": ("gps", "/dev/ttyUSB0"), "imu": ("imu", "socket://10.0.0.2:4001")},
        "2026-03-02-van12.journal", by="K. Nguyen",
    )  # fmt: skip
    t0 = clock.now()
    session.record_chunk(0, SHA[0], 120, 19, 4096, t0, t0 + timedelta(seconds=60))
    session.record_gap("imu", t0 + timedelta(seconds=70), t0 + timedelta(seconds=130), "unplugged")
    session.record_chunk(1, SHA[1], 80, 4096, 7000, t0 + timedelta(seconds=60), t0)
    clock.set(at(14, 10))
    session.stop({"gps": {"frames": 600, "checksum_errors": 1}, "imu": {"frames": 30000}})
    clock.set(at(15, 0))
    session.record_processing(
        "1.0",
        {"segment_m": 10.0, "rollup": 10},
        [{"seq": 0, "sha256": SHA[0]}, {"seq": 1, "sha256": SHA[1]}],
        RESULTS,
        "results.json",
        {"segments": 42},
        by="K. Nguyen",
    )
    app.save(session)
    return session.id


@pytest.fixture
def world(app: Maillage, fixed_clock: FixedClock) -> Iterator[World]:
    town, people = record_meals(app, fixed_clock)
    round_id = record_round(app, fixed_clock, people)
    alerts = record_alerts(app, fixed_clock, town, people)
    record_devices(app)
    session_id = record_session(app, fixed_clock)
    erase_beneficiary(app, people[ERASED_FILE].id, by="DPO of Tours")
    fixed_clock.set(REPORT_AT)
    yield World(app, fixed_clock, town, people, round_id, alerts, session_id)


def capture(world: World, role: str = "auditor") -> LogAsOf:
    return LogAsOf.capture(world.app, made_by="A. Auditeur", role=role)


def every_report(world: World, log: LogAsOf, show_texts: bool = False) -> list[Report]:
    return [
        build_service_fait(log, "37261", "2026-03"),
        build_cold_chain(log, str(world.round_id)),
        build_welfare(log, "37261", None, show_texts=show_texts, withheld=WITHHELD),
        build_device_custody(log, "lp000"),
        build_establishment_custody(log, LYCEE),
        build_provenance(log, world.session_id.hex[:8]),
    ]


def rows(report: Report, section: str) -> list[dict[str, object]]:
    s = report.section(section)
    return [dict(zip(s.columns, r, strict=True)) for r in s.rows]


# ----------------------------------------------------------------------------- stated


def test_every_report_states_the_chain_head_it_was_made_from(world: World) -> None:
    log = capture(world)
    position, link = chain_head(world.app)
    assert (log.stated.position, log.stated.head) == (position, link.hex())
    assert position == world.app.last_position() > 0
    assert log.stated.made_at == REPORT_AT and log.stated.made_by == "A. Auditeur"

    for report in every_report(world, log):
        assert report.stated == log.stated
        for fmt in ("md", "html", "csv"):
            text = render(report, fmt)
            assert str(position) in text and link.hex() in text, (report.kind, fmt)
            assert "A. Auditeur" in text and "auditor" in text
        meta, _ = read_csv_table(render(report, "csv"))
        assert meta["log_position"] == str(position) and meta["chain_head"] == link.hex()
        assert meta["made_at"] == "2026-03-31T22:00:00+02:00" and meta["report"] == report.kind

    # The stated head is checkable: the store verifies against it as against a checkpoint…
    checkpoint = Checkpoint(
        position, link.hex(), 0, "2026-03-31T20:00:00+00:00", str(log.stated.store_id), "test"
    )
    with Verifier.of(world.app, checkpoint=checkpoint) as verifier:
        assert verifier.run().intact
    # …and a head that is not the store's is caught at that position.
    forged = Checkpoint(position, "00" * 32, 0, checkpoint.created_at, checkpoint.store_id, "t")
    with Verifier.of(world.app, checkpoint=forged) as verifier:
        finding = verifier.run().finding
    assert finding is not None and (finding.position, finding.kind) == (position, "rewritten")


def test_a_report_reads_the_log_as_of_its_position_while_others_write(world: World) -> None:
    log = capture(world)
    before = {r.kind + r.title: markdown(r) for r in every_report(world, log, show_texts=True)}

    # Others write meanwhile: a new round with an excursion on the same day, a new alert,
    # a device moves, the session is processed again, a new price from March 10th.
    app, people = world.app, world.people
    extra = MealRound.plan(MONDAY, "D", "P", "VAN-9", [(people["2026-0001"].id, 3, "B9")])
    extra.load({"B9": ("probe-9", 9.5)}, at=at(10, 30))
    extra.record_stop(people["2026-0001"].id, "refused", at(11, 0))
    extra.complete(at=at(11, 30))
    app.save(extra)
    app.save(
        WelfareAlert.raise_alert(people["2026-0002"].id, world.town.id, "home", "low", "x", "Y")
    )
    devices.report_lost(app, ["LP000"], "not found", "A. Morel")
    app.edit(
        world.session_id,
        SensorSession,
        lambda s: s.record_processing(
            "1.1", {}, [{"seq": 0, "sha256": SHA[0]}, {"seq": 1, "sha256": SHA[1]}],
            "12" * 32, "r2.json", {}, by="K",
        ),
    )  # fmt: skip
    new_prices = Contract((PriceBracket("low", 12_000, 999, 150), PriceBracket("high", None, 1, 1)))
    app.edit(world.town.id, Municipality, lambda t: t.renew_contract(new_prices, date(2026, 3, 3)))
    assert app.last_position() > log.position

    after = {r.kind + r.title: markdown(r) for r in every_report(world, log, show_texts=True)}
    assert after == before  # the same position gives the same report, word for word

    now = capture(world)
    assert now.position == app.last_position()
    # Jeanne's stop of the 2nd is now the refused one of the newer round.
    assert build_service_fait(now, "37261", "2026-03").figure("meals_delivered") == 1
    assert len(build_welfare(now, "37261", None, True, WITHHELD).section("Alerts").rows) == 4
    assert build_device_custody(now, "LP000").figure("status") == "lost"
    assert build_provenance(now, str(world.session_id)).figure("processings") == 2


# ----------------------------------------------------------------------------- service fait


def test_service_fait_counts_planned_delivered_and_bills_per_bracket(world: World) -> None:
    report = build_service_fait(capture(world), "37261", "2026-03")

    # Mondays of March: 2, 9, 16, 23, 30. Jeanne 1 meal, Louis 2, Odette 1 each Monday.
    # On the 2nd: Jeanne's 1 meal and Odette's 1 delivered, Louis absent (2 meals).
    assert report.figure("meals_planned") == 5 + 10 + 5
    assert report.figure("meals_delivered") == report.figure("meals_billed") == 2
    assert report.figure("meals_not_delivered") == 18
    assert report.figure("deliveries") == 2
    assert report.figure("amount_due") == Euros(2 * (450 + 150))
    assert report.figure("days_counted") == "2026-03-01 to 2026-03-31"
    by_bracket = {r["bracket"]: r for r in rows(report, "Billed by price bracket")}
    assert by_bracket["low"] == {
        "bracket": "low", "beneficiaries": 2, "meals_planned": 10, "meals_delivered": 2,
        "meals_not_delivered": 8, "deliveries": 2, "meals_billed": 2, "amount": Euros(1200),
    }  # fmt: skip
    assert (by_bracket["high"]["meals_delivered"], by_bracket["high"]["amount"]) == (0, Euros(0))
    assert by_bracket["all brackets"]["meals_planned"] == 20
    reasons = {
        r["reason"]: r["meals_not_delivered"] for r in rows(report, "Not delivered, by reason")
    }
    assert reasons == {"ABSENT": 2, "NO_ROUND": 16}
    prices = rows(report, "Prices in force")
    assert [(p["bracket"], p["meal_price"], p["delivery_price"]) for p in prices] == [
        ("low", Euros(450), Euros(150)), ("high", Euros(790), Euros(210)),
    ]  # fmt: skip
    assert (prices[0]["from"], prices[0]["to"]) == ("2026-03-01", "2026-03-31")


def test_a_month_in_progress_counts_the_days_up_to_the_report(world: World) -> None:
    world.clock.set(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    report = build_service_fait(capture(world), "37261", "2026-03")
    assert report.figure("days_counted") == "2026-03-01 to 2026-03-10"
    assert report.figure("meals_planned") == 2 * (1 + 2 + 1)  # the 2nd and the 9th


def test_service_fait_refuses_what_it_cannot_find(world: World) -> None:
    log = capture(world)
    with pytest.raises(NotFoundError, match="no municipality with INSEE code 45234"):
        build_service_fait(log, "45234", "2026-03")
    for month in ("2026-13", "March", "2026-3", "1999-12"):
        with pytest.raises(InvalidInputError, match=f"month '{month}' is not a month"):
            build_service_fait(log, "37261", month)
    with pytest.raises(InvalidInputError, match="INSEE code"):
        build_service_fait(log, "ABC", "2026-03")


# ----------------------------------------------------------------------------- cold chain


def test_the_cold_chain_lists_every_reading_excursion_and_decision_in_time_order(
    world: World,
) -> None:
    report = build_cold_chain(capture(world), world.round_id.hex[:6])
    timeline = rows(report, "Timeline")
    times = [(r["time"], r["position"]) for r in timeline]
    assert times == sorted(times)  # type: ignore[type-var]
    readings = [(r["time"], r["box"], r["temperature_c"], r["source"]) for r in timeline
                if r["source"] is not None]  # fmt: skip
    assert readings == [
        (at(8, 0), "B1", 2.0, "loading"), (at(8, 0), "B2", 2.5, "loading"),
        (at(8, 30), "B1", 4.2, "probe"), (at(8, 40), "B1", 5.1, "probe"),
        (at(8, 50), "B1", 2.6, "probe"),
        (at(8, 55), "B1", 2.8, "hand-over"), (at(9, 5), "B1", 2.9, "hand-over"),
    ]  # fmt: skip
    entries = [r["entry"] for r in timeline]
    assert entries.index("excursion: box blocked") < entries.index("box released")
    released = timeline[entries.index("box released")]
    assert (released["by"], released["detail"]) == (
        "M. Martin (chef de production)",
        "core checked at 2.9 °C",
    )
    assert released["time"] == at(8, 45)
    stops = [(r["stop"], r["entry"]) for r in timeline if r["stop"] is not None]
    assert stops == [(1, "stop: put in fridge"), (2, "stop: absent"), (3, "stop: handed over")]
    # recorded at 10:25 Paris for a stop made at 10:05: the report says when it was entered
    assert timeline[entries.index("stop: handed over")]["detail"] == (
        "delivered; entered 2026-03-02 10:25 CET"
    )

    (excursion,) = rows(report, "Excursions")
    assert excursion["box"] == "B1" and excursion["opened"] == at(8, 30)
    assert excursion["peak_c"] == 5.1
    assert excursion["ended_at"] == at(8, 50) and excursion["duration_min"] == 20.0
    assert excursion["ended"] == "probe back at or below the limit"
    assert excursion["decision"] == "released" and excursion["decided_at"] == at(8, 45)
    assert excursion["stops_of_box"] == "1, 3"
    assert report.figure("highest_reading_c") == 5.1
    assert (report.figure("excursions"), report.figure("excursions_released")) == (1, 1)

    # No names: boxes and stop numbers only.
    for fmt in ("md", "html", "csv"):
        text = render(report, fmt)
        assert not any(name in text for name, *_ in PEOPLE.values())


def test_an_excursion_never_back_in_range_lasts_until_the_box_is_emptied(
    app: Maillage, fixed_clock: FixedClock
) -> None:
    _, people = record_meals(app, fixed_clock)
    jeanne = people["2026-0001"]
    rnd = MealRound.plan(MONDAY, "D", "P", "VAN-3", [(jeanne.id, 1, "B1")])
    fixed_clock.set(at(8, 0))
    rnd.load({"B1": ("probe-1", 3.5)})  # above at loading: blocked from the start
    fixed_clock.set(at(8, 20))
    rnd.record_probe_reading("B1", 6.0, at(8, 20))
    app.save(rnd)
    report = build_cold_chain(capture_app(app), str(rnd.id))
    (excursion,) = rows(report, "Excursions")
    assert excursion["decision"] == "blocked" and excursion["decided_by"] is None
    assert (excursion["peak_c"], excursion["duration_min"]) == (6.0, 20.0)
    assert excursion["ended"] == "still above at the last reading"
    assert report.figure("boxes_still_blocked") == "B1"

    fixed_clock.set(at(8, 45))
    app.edit(rnd.id, MealRound, lambda r: r.record_stop(jeanne.id, "refused", at(8, 45)))
    (excursion,) = rows(build_cold_chain(capture_app(app), str(rnd.id)), "Excursions")
    assert excursion["ended"] == "box emptied (its last stop recorded)"
    assert excursion["duration_min"] == 45.0


def test_a_warm_hand_over_is_refused_unless_released_and_joins_the_box_curve(
    app: Maillage, fixed_clock: FixedClock
) -> None:
    _, people = record_meals(app, fixed_clock)
    jeanne = people["2026-0001"]
    rnd = MealRound.plan(MONDAY, "D", "P", "VAN-3", [(jeanne.id, 1, "B1")])
    fixed_clock.set(at(8, 0))
    rnd.load({"B1": ("probe-1", 2.0)})
    fixed_clock.set(at(8, 20))
    rnd.record_probe_reading("B1", 2.5, at(8, 20))
    app.save(rnd)
    fixed_clock.set(at(8, 40))
    version = app.get(rnd.id, MealRound).version
    with pytest.raises(RuleViolationError, match=r"hand-over at 4.2 °C is above \+3 °C"):
        app.edit(
            rnd.id, MealRound,
            lambda r: r.record_stop(jeanne.id, "put_in_fridge", at(8, 40),
                                    handover_temperature_c=4.2),
        )  # fmt: skip
    assert app.get(rnd.id, MealRound).version == version  # nothing recorded

    app.edit(
        rnd.id, MealRound,
        lambda r: r.record_stop(
            jeanne.id, "put_in_fridge", at(8, 40), handover_temperature_c=4.2,
            released_by="M. Martin", release_reason="core 2.9 °C, door left open 1 min",
        ),
    )  # fmt: skip
    done = app.get(rnd.id, MealRound)
    assert done.box_curve("B1") == [(at(8, 0), 2.0), (at(8, 20), 2.5), (at(8, 40), 4.2)]
    report = build_cold_chain(capture_app(app), str(rnd.id))
    timeline = rows(report, "Timeline")
    assert [(r["entry"], r["temperature_c"], r["source"]) for r in timeline if r["box"]] == [
        ("reading", 2.0, "loading"),
        ("reading", 2.5, "probe"),
        ("excursion: box blocked", 4.2, None),
        ("box released", None, None),
        ("stop: put in fridge", 4.2, "hand-over"),
    ]
    (excursion,) = rows(report, "Excursions")
    assert (excursion["decision"], excursion["decided_by"]) == ("released", "M. Martin")
    assert excursion["peak_c"] == 4.2 and report.figure("highest_reading_c") == 4.2


def capture_app(app: Maillage) -> LogAsOf:
    return LogAsOf.capture(app, made_by="T", role="auditor")


def test_an_unknown_or_ambiguous_round_is_named(world: World) -> None:
    log = capture(world)
    with pytest.raises(NotFoundError, match="no round with id 'ffffffff' in the log up to"):
        build_cold_chain(log, "ffffffff")
    with pytest.raises(NotFoundError, match="give at least 6 characters"):
        build_cold_chain(log, world.round_id.hex[:3])


# ----------------------------------------------------------------------------- welfare


def test_welfare_alerts_from_raised_to_closed_with_delays_against_the_service_level(
    world: World,
) -> None:
    report = build_welfare(capture(world), "37261", "2026-03", show_texts=False, withheld=WITHHELD)
    alerts = {r["beneficiary_file"]: r for r in rows(report, "Alerts")}
    assert set(alerts) == {"2026-0001", "2026-0002", "(erased)"}
    in_time, waiting, late = alerts["2026-0001"], alerts["2026-0002"], alerts["(erased)"]
    assert (in_time["minutes_to_acknowledge"], in_time["minutes_to_close"]) == (30.0, 120.0)
    assert in_time["overdue"] == "" and in_time["status"] == "closed"
    assert in_time["acknowledge_within_min"] == 60  # in force when raised, not today's 120
    assert (late["minutes_to_acknowledge"], late["overdue"]) == (90.0, "OVERDUE")
    assert waiting["minutes_to_acknowledge"] is None and waiting["overdue"] == "OVERDUE"
    assert waiting["minutes_waiting"] == (REPORT_AT - at(10, 20)).total_seconds() / 60
    assert in_time["alert"] == world.alerts["2026-0001"].hex[:8]
    assert report.figure("acknowledge_within_min_now") == 120
    assert (report.figure("overdue"), report.figure("acknowledged_late")) == (2, 1)
    assert report.figure("mean_minutes_to_acknowledge") == 60.0

    steps = rows(report, "Steps")
    mine = [(s["step"], s["by"]) for s in steps if s["alert"] == in_time["alert"]]
    assert mine == [
        ("raised", "L. Petit"), ("acknowledged", "Mme Durand (CCAS)"),
        ("follow-up", "Mme Durand"), ("closed", "Mme Durand"),
    ]  # fmt: skip


def test_the_auditor_sees_no_welfare_text_and_the_operator_does(world: World) -> None:
    log = capture(world)
    hidden = build_welfare(log, "37261", None, show_texts=False, withheld=WITHHELD)
    shown = build_welfare(log, "37261", None, show_texts=True, withheld=WITHHELD)
    for fmt in ("md", "html", "csv"):
        text = render(hidden, fmt)
        assert not any(note in text for note in NOTES.values()) and FOLLOW_UP not in text
        assert WITHHELD in text
    shown_text = markdown(shown)
    assert NOTES["2026-0001"] in shown_text and NOTES["2026-0002"] in shown_text
    assert FOLLOW_UP in shown_text
    assert NOTES[ERASED_FILE] not in shown_text  # erased: even the operator cannot read it


def test_a_welfare_month_with_no_alert_and_an_unknown_municipality(world: World) -> None:
    log = capture(world)
    empty = build_welfare(log, "37261", "2026-02", show_texts=False, withheld=WITHHELD)
    assert empty.figure("alerts") == 0 and "No welfare alert was raised." in markdown(empty)
    with pytest.raises(NotFoundError, match="no municipality with INSEE code 99999"):
        build_welfare(log, "99999", None, show_texts=False, withheld=WITHHELD)


# ----------------------------------------------------------------------------- custody


def test_the_custody_of_a_device_is_its_chain_up_to_the_position(world: World) -> None:
    report = build_device_custody(capture(world), " lp000 ")
    steps = rows(report, "Custody steps")
    chain = custody_chain(world.app, "LP000")
    assert [s["event"] for s in steps] == [s.event for s in chain]
    assert [s["position"] for s in steps] == [s.position for s in chain]
    assert "Shipment.Sealed" in [s["event"] for s in steps]
    assert "Shipment.PartiallyDelivered" in [s["event"] for s in steps]
    sealed = next(s for s in steps if s["event"] == "Shipment.Sealed")
    assert (sealed["by"], sealed["references"]) == ("M. Chef", "shipment=SH-1; seal=SEAL-42")
    assert report.figure("status") == "in transit"
    with pytest.raises(NotFoundError, match="no device with serial NOPE"):
        build_device_custody(capture(world), "nope")


def test_the_custody_of_an_establishment_covers_every_device_allocated_there(
    world: World,
) -> None:
    report = build_establishment_custody(capture(world), LYCEE.lower())
    devices_rows = {r["serial"]: r for r in rows(report, "Devices")}
    assert set(devices_rows) == {"LP000", "LP001", "LP002"}
    assert devices_rows["LP002"]["allocated_here"] == f"no (now {COLLEGE})"
    assert devices_rows["LP001"]["status"] == "pending acceptance"
    assert report.figure("devices_allocated") == 3 and report.figure("still_allocated_here") == 2
    steps = rows(report, "Custody steps")
    for serial in devices_rows:
        assert [s["event"] for s in steps if s["serial"] == serial] == [
            s.event for s in custody_chain(world.app, serial)
        ]
    hand_over = next(s for s in steps if s["event"] == "Device.HandedOver")
    assert "P-2026-0042" in str(hand_over["what"])  # the pseudonymous reference

    college = build_establishment_custody(capture(world), COLLEGE)
    assert {r["serial"] for r in rows(college, "Devices")} == {"LP002", "LP003"}
    with pytest.raises(NotFoundError, match="no establishment with UAI 0370001A"):
        build_establishment_custody(capture(world), "0370001A")
    with pytest.raises(InvalidInputError):
        build_establishment_custody(capture(world), "0450001X")  # wrong check letter


# ----------------------------------------------------------------------------- provenance


def test_provenance_gives_chunk_hashes_gaps_counters_and_each_processing(world: World) -> None:
    report = build_provenance(capture(world), str(world.session_id))
    chunks = rows(report, "Journal chunks")
    assert [(c["seq"], c["sha256"], c["start_byte"], c["end_byte"]) for c in chunks] == [
        (0, SHA[0], 19, 4096), (1, SHA[1], 4096, 7000),
    ]  # fmt: skip
    (gap,) = rows(report, "Gaps")
    assert (gap["channel"], gap["duration_s"], gap["reason"]) == ("imu", 60.0, "unplugged")
    counters = {
        (c["channel"], c["counter"]): c["value"] for c in rows(report, "Counters at the stop")
    }
    assert counters == {("gps", "checksum_errors"): 1, ("gps", "frames"): 600,
                        ("imu", "frames"): 30000}  # fmt: skip
    (run,) = rows(report, "Processings")
    assert (run["pipeline_version"], run["results_sha256"], run["by"]) == (
        "1.0",
        RESULTS,
        "K. Nguyen",
    )
    assert run["parameters"] == '{"rollup":10,"segment_m":10.0}'
    assert (run["chunks_read"], run["chunks_match_session"]) == (2, "yes")
    assert run["time"] == at(15, 0)
    assert [c["port"] for c in rows(report, "Channels")] == [
        "/dev/ttyUSB0",
        "socket://10.0.0.2:4001",
    ]
    assert (report.figure("journal_bytes"), report.figure("journal_records")) == (7000, 200)
    with pytest.raises(NotFoundError, match="no session with id 'abcdef12'"):
        build_provenance(capture(world), "abcdef12")


# ----------------------------------------------------------------------------- formats


EXTERNAL = re.compile(r"(src|href|action)\s*=|url\(|@import|<link|<script|<img|https?:", re.I)


def test_html_is_one_self_contained_page_and_csv_is_one_table(world: World) -> None:
    for report in every_report(world, capture(world), show_texts=True):
        page = html(report)
        assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
        assert "<style>" in page and EXTERNAL.search(page) is None, report.kind

        meta, table = read_csv_table(render(report, "csv"))
        assert meta["report"] == report.kind and meta["check"].startswith("To check")
        assert len(table) == sum(len(s.rows) for s in report.sections)
        titles = [s.title for s in report.sections if s.rows]
        assert list(dict.fromkeys(r["section"] for r in table)) == titles


def test_csv_cells_stay_numbers_and_text_cannot_become_a_formula(world: World) -> None:
    app = world.app
    session = SensorSession.start("=HYPERLINK(1)", {"gps": ("gps", "@cmd")}, "j", by="+evil")
    app.save(session)
    report = build_provenance(capture(world), str(session.id))
    meta, table = read_csv_table(render(report, "csv"))
    assert meta["vehicle"] == "'=HYPERLINK(1)" and meta["started_by"] == "'+evil"
    assert table[0]["port"] == "'@cmd"
    _, cold = read_csv_table(render(build_cold_chain(capture(world), str(world.round_id)), "csv"))
    assert [r["temperature_c"] for r in cold if r["source"] == "probe"] == ["4.2", "5.1", "2.6"]
    _, fait = read_csv_table(render(build_service_fait(capture(world), "37261", "2026-03"), "csv"))
    low = next(r for r in fait if r["bracket"] == "low")
    assert low["amount"] == "12.00" and low["meals_delivered"] == "2"


def test_markdown_tables_line_up_for_a_terminal(world: World) -> None:
    text = markdown(build_cold_chain(capture(world), str(world.round_id)))
    table = [line for line in text.splitlines() if line.startswith("| time")]
    assert table
    block = text.split("## Timeline")[1].split("## ")[0].strip().splitlines()
    assert len({len(line) for line in block}) == 1  # every line of the table as wide


# ----------------------------------------------------------------------------- erasure


def test_the_erased_beneficiary_appears_in_no_report_but_is_still_counted(world: World) -> None:
    log = capture(world)
    name, address, *_ = PEOPLE[ERASED_FILE]
    for report in every_report(world, log, show_texts=True):
        for fmt in ("md", "html", "csv"):
            text = render(report, fmt)
            for secret in (name, address, ERASED_FILE, NOTES[ERASED_FILE]):
                assert secret not in text, (report.kind, fmt, secret)
            # Nobody's name or address is in any report.
            assert not any(n in text or a in text for n, a, *_ in PEOPLE.values())
    fait = build_service_fait(log, "37261", "2026-03")
    assert fait.figure("meals_delivered") == 2  # Odette's delivered meal is still billed
    assert build_welfare(log, "37261", None, False, WITHHELD).figure("alerts") == 3
