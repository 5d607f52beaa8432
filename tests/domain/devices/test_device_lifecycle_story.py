"""A laptop's life, from the manifest to the pupil who keeps it, and every refused step."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.device import COMMANDS, STATUSES, TRANSITIONS, Device
from domain.errors import InvalidInputError, RuleViolationError
from domain.store import StoreLocation

LYCEE = "0450001G"  # Lycée Voltaire, Orléans
DEPOT = "PPDC Orléans"

# One valid call of each command, for a device that is in a status allowing it.
INVOKE: dict[str, Callable[[Device], None]] = {
    "receive": lambda d: d.receive("CVL-2026-01", "DN-1", DEPOT, "A. Morel"),
    "stage": lambda d: d.stage("cvl-2026.03", "MDM-1", "A. Morel"),
    "allocate": lambda d: d.allocate(LYCEE, "A. Morel"),
    "pack": lambda d: d.pack("SH-1", LYCEE, "A. Morel"),
    "dispatch": lambda d: d.dispatch("SH-1", "La Poste", "A. Morel"),
    "deliver": lambda d: d.deliver("SH-1", "Mme Leroy (intendante)", "facteur L. Petit"),
    "hand_over": lambda d: d.hand_over("P-2026-0042", "pupil", True, "CPE B. Roux"),
    "sign_charter": lambda d: d.sign_charter("parent", "CPE B. Roux"),
    "record_return": lambda d: d.record_return("left the school", "CPE B. Roux"),
    "give_for_good": lambda d: d.give_for_good("CPE B. Roux"),
    "report_faulty": lambda d: d.report_faulty("screen does not light", "CPE B. Roux"),
    "send_to_repair": lambda d: d.send_to_repair("Atelier Centre", "RMA-7", "A. Morel"),
    "record_repair": lambda d: d.record_repair(DEPOT, "A. Morel"),
    "report_lost": lambda d: d.report_lost("not found after the trip", "CPE B. Roux"),
    "report_stolen": lambda d: d.report_stolen("PV-2026-118", "bag snatched", "CPE B. Roux"),
    "recover": lambda d: d.recover(DEPOT, "A. Morel"),
}


def announced() -> Device:
    return Device.announce("pf3k7q2x", "Lenovo 300w Gen 4", "laptop", "CVL-2026-01")


def _shortest_paths() -> dict[str, list[str]]:
    """For each status, the shortest list of commands leading there from ``announced``."""
    paths: dict[str, list[str]] = {"announced": []}
    queue = deque(["announced"])
    while queue:
        status = queue.popleft()
        for command, target in TRANSITIONS[status].items():
            if target not in paths:
                paths[target] = [*paths[status], command]
                queue.append(target)
    return paths


PATHS = _shortest_paths()


def device_in(status: str) -> Device:
    """A device brought to ``status`` through the commands of the table, events cleared."""
    device = announced()
    for command in PATHS[status]:
        INVOKE[command](device)
    assert device.status == status
    device.collect_events()
    return device


def test_the_table_reaches_every_status_and_names_only_real_commands() -> None:
    assert set(PATHS) == set(STATUSES)
    assert set(COMMANDS) == set(INVOKE)
    assert all(target in TRANSITIONS for moves in TRANSITIONS.values() for target in moves.values())
    assert TRANSITIONS["handed_over_for_good"] == {}


DISALLOWED = [(s, c) for s in STATUSES for c in COMMANDS if c not in TRANSITIONS[s]]
ALLOWED = [(s, c) for s in STATUSES for c in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "command"), DISALLOWED, ids=[f"{s}-{c}" for s, c in DISALLOWED])
def test_every_illegal_transition_is_refused_and_records_nothing(status: str, command: str) -> None:
    device = device_in(status)
    version = device.version
    allowed = ", ".join(c.replace("_", " ") for c in TRANSITIONS[status]) or "nothing"
    with pytest.raises(RuleViolationError) as refused:
        INVOKE[command](device)
    message = str(refused.value)
    assert message.startswith(f"device PF3K7Q2X is {status.replace('_', ' ')}; it cannot ")
    assert f"allowed now: {allowed}" in message
    assert (device.version, device.status) == (version, status)
    assert device.collect_events() == []


@pytest.mark.parametrize(("status", "command"), ALLOWED, ids=[f"{s}-{c}" for s, c in ALLOWED])
def test_every_allowed_command_leads_where_the_table_says(status: str, command: str) -> None:
    device = device_in(status)
    INVOKE[command](device)
    assert device.status == TRANSITIONS[status][command]
    assert len(device.collect_events()) == 1


def test_handing_over_a_device_in_transit_says_what_it_waits_for() -> None:
    device = device_in("in_transit")
    with pytest.raises(RuleViolationError) as refused:
        device.hand_over("P-1", "pupil", False, "CPE B. Roux")
    assert str(refused.value) == (
        "device PF3K7Q2X is in transit; it cannot be handed to a pupil or teacher "
        "(only when delivered or returned); allowed now: deliver, report lost, report stolen"
    )


def test_a_laptop_from_the_manifest_to_the_pupil_who_keeps_it(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    laptop = announced()
    assert (laptop.status, laptop.location) == ("announced", None)

    laptop.receive("CVL-2026-01", "DN-44", DEPOT, "A. Morel")
    assert laptop.location == ("depot", DEPOT) and laptop.delivery_note == "DN-44"
    laptop.stage("cvl-2026.03", "MDM-88121", "A. Morel")
    laptop.allocate("0451442Y", "A. Morel")
    laptop.allocate(LYCEE, "S. Blanc (région)")  # re-allocated before packing
    with pytest.raises(RuleViolationError, match="allocated to 0450001G; it cannot be packed"):
        laptop.pack("SH-9", "0451442Y", "A. Morel")
    laptop.pack("SH-1", LYCEE, "A. Morel")
    assert laptop.location == ("shipment", "SH-1")
    with pytest.raises(RuleViolationError, match="is in shipment SH-1, not SH-2"):
        laptop.dispatch("SH-2", "La Poste", "A. Morel")
    laptop.dispatch("SH-1", "La Poste", "A. Morel")
    laptop.deliver("SH-1", "Mme Leroy (intendante)", "facteur L. Petit")
    assert (laptop.status, laptop.location) == ("delivered", ("establishment", LYCEE))
    app.save(laptop)

    laptop = app.get(laptop.id, Device)
    laptop.hand_over("P-2026-0042", "pupil", True, "CPE B. Roux")
    assert laptop.status == "pending_acceptance"
    assert laptop.location == ("holder", "P-2026-0042")
    with pytest.raises(
        RuleViolationError, match="is a minor: a parent signs the charter, not self"
    ):
        laptop.sign_charter("self", "CPE B. Roux")
    laptop.sign_charter("parent", "CPE B. Roux")
    laptop.report_faulty("keyboard: several keys dead", "CPE B. Roux")
    laptop.send_to_repair("Atelier Centre", "RMA-7", "A. Morel")
    assert laptop.location == ("repair", "Atelier Centre") and laptop.holder is None
    laptop.record_repair(DEPOT, "A. Morel", image_version="cvl-2026.04")
    assert (laptop.status, laptop.location) == ("staged", ("depot", DEPOT))
    assert (laptop.image_version, laptop.enrolment_id) == ("cvl-2026.04", "MDM-88121")
    assert laptop.establishment_uai is None  # a new allocation is needed
    app.save(laptop)

    laptop = app.get(laptop.id, Device)
    laptop.allocate(LYCEE, "A. Morel")
    laptop.pack("SH-2", LYCEE, "A. Morel")
    laptop.dispatch("SH-2", "La Poste", "A. Morel")
    laptop.deliver("SH-2", "Mme Leroy (intendante)", "facteur L. Petit")
    laptop.hand_over("P-2026-0042", "pupil", False, "CPE B. Roux", charter_signed_by="self")
    assert laptop.status == "handed_over" and laptop.charter_signed_by == "self"
    laptop.give_for_good("CPE B. Roux")
    app.save(laptop)

    kept = Maillage(location).get(laptop.id, Device)
    assert (kept.status, kept.location) == ("handed_over_for_good", ("holder", "P-2026-0042"))
    assert kept.version == 20
    history = [type(e).__name__ for e in app.repository.event_store.get(kept.id)]
    assert history[-3:] == ["HandedOver", "CharterSigned", "HandedOverForGood"]
    events = list(app.repository.event_store.get(kept.id))
    assert all(getattr(e, "by", None) for e in events[1:])  # every step names who did it
    assert all(e.timestamp == fixed_clock.now() for e in events)


def test_a_stolen_device_needs_the_police_report_and_may_turn_up_again() -> None:
    device = device_in("handed_over")
    with pytest.raises(InvalidInputError, match="PF3K7Q2X: reporting a theft needs the police"):
        device.report_stolen("  ", "bag snatched at the bus stop", "CPE B. Roux")
    assert device.status == "handed_over" and device.collect_events() == []
    device.report_stolen("PV-2026-118", "bag snatched at the bus stop", "CPE B. Roux")
    assert (device.status, device.location) == ("stolen", None)
    assert device.last_location == ("holder", "P-2026-0042")
    assert device.police_report_reference == "PV-2026-118"
    device.recover(DEPOT, "A. Morel")
    assert (device.status, device.location, device.holder) == ("received", ("depot", DEPOT), None)


def test_a_returned_device_can_go_to_another_pupil() -> None:
    device = device_in("handed_over")
    device.record_return("moved to another region", "CPE B. Roux")
    assert (device.status, device.location) == ("returned", ("establishment", LYCEE))
    assert device.holder is None
    device.hand_over("T-0913", "teacher", False, "CPE B. Roux")
    assert (device.holder, device.holder_role) == ("T-0913", "teacher")


@pytest.mark.parametrize(
    ("holder", "role", "minor", "signer", "error", "message"),
    [
        ("Jean Dupont", "pupil", True, None, InvalidInputError, "pseudonymous reference"),
        ("", "pupil", True, None, InvalidInputError, "pseudonymous reference"),
        ("P-1", "janitor", False, None, InvalidInputError, "role 'janitor'"),
        ("T-1", "teacher", True, None, InvalidInputError, "only a pupil can be a minor"),
        ("P-1", "pupil", True, "self", RuleViolationError, "is a minor: a parent signs"),
        ("P-1", "pupil", False, "parent", RuleViolationError, "not a minor: they sign"),
        ("P-1", "pupil", False, "guardian", InvalidInputError, "signer 'guardian'"),
    ],
)
def test_bad_hand_overs_are_refused_before_anything_is_recorded(
    holder: str,
    role: str,
    minor: bool,
    signer: str | None,
    error: type[Exception],
    message: str,
) -> None:
    device = device_in("delivered")
    with pytest.raises(error, match=message):
        device.hand_over(holder, role, minor, "CPE B. Roux", charter_signed_by=signer)
    assert device.status == "delivered" and device.collect_events() == []


@pytest.mark.parametrize(
    ("status", "command", "error", "message"),
    [
        (
            "announced",
            lambda d: d.receive("CVL-2026-02", "DN-1", DEPOT, "x"),
            RuleViolationError,
            "announced on order CVL-2026-01, not CVL-2026-02",
        ),
        (
            "announced",
            lambda d: d.receive("CVL-2026-01", "DN-1", DEPOT, " "),
            InvalidInputError,
            "receiving a device needs the name of who does it",
        ),
        (
            "received",
            lambda d: d.stage("img", " ", "x"),
            InvalidInputError,
            "enrolment id of PF3K7Q2X is empty",
        ),
        (
            "staged",
            lambda d: d.allocate("0450001H", "x"),
            InvalidInputError,
            "check letter H, expected G",
        ),
        (
            "in_transit",
            lambda d: d.deliver("SH-1", " ", "x"),
            InvalidInputError,
            "recipient who signs the delivery note is empty",
        ),
        (
            "received",
            lambda d: d.report_lost(" ", "x"),
            InvalidInputError,
            "circumstances of the loss is empty",
        ),
    ],
)
def test_bad_values_are_refused_before_anything_is_recorded(
    status: str, command: Callable[[Device], None], error: type[Exception], message: str
) -> None:
    device = device_in(status)
    with pytest.raises(error, match=message):
        command(device)
    assert device.status == status and device.collect_events() == []
