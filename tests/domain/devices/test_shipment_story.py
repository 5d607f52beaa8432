"""A shipment's day at the depot and its arrival at school: packed, sealed, sent, delivered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.shipment import SHIPMENT_STATUSES, Shipment
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import shipment_id
from domain.store import StoreLocation

LYCEE = "0450001G"


def prepared() -> Shipment:
    return Shipment.prepare("sh-2026-0001", LYCEE, "PPDC Orléans", "A. Morel")


def in_transit(serials: list[str]) -> Shipment:
    shipment = prepared()
    shipment.pack(serials, "A. Morel")
    shipment.seal("SEAL-0042", "A. Morel")
    shipment.dispatch("La Poste Colissimo", "A. Morel")
    return shipment


def test_a_shipment_is_packed_sealed_sent_and_partly_delivered(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    shipment = prepared()
    assert shipment.id == shipment_id("SH-2026-0001")
    assert (shipment.reference, shipment.status) == ("SH-2026-0001", "packing")
    with pytest.raises(RuleViolationError, match="SH-2026-0001 is empty: nothing to seal"):
        shipment.seal("SEAL-0042", "A. Morel")
    assert shipment.pack([" sn-1", "SN-2"], "A. Morel") == ["SN-1", "SN-2"]
    app.save(shipment)

    shipment = app.get(shipment.id, Shipment)
    with pytest.raises(InvalidInputError, match="serial given twice: SN-3"):
        shipment.pack(["SN-3", "sn-3 "], "A. Morel")
    with pytest.raises(RuleViolationError, match="SH-2026-0001 already contains SN-2"):
        shipment.pack(["SN-3", "SN-2"], "A. Morel")
    assert shipment.collect_events() == []
    shipment.pack(["SN-3", "SN-4"], "A. Morel")
    shipment.seal("SEAL-0042", "A. Morel")
    with pytest.raises(
        RuleViolationError, match="SH-2026-0001 is sealed: adding devices needs it packing"
    ):
        shipment.pack(["SN-5"], "A. Morel")
    shipment.dispatch("La Poste Colissimo", "A. Morel")
    with pytest.raises(InvalidInputError, match="SH-2026-0001 does not contain SN-9"):
        shipment.deliver("Mme Leroy (intendante)", "facteur L. Petit", ["SN-1", "SN-9"])
    delivered = shipment.deliver(
        "Mme Leroy (intendante)", "facteur L. Petit", ["SN-4", "SN-1", "SN-2"]
    )
    assert delivered == ["SN-1", "SN-2", "SN-4"]
    app.save(shipment)

    arrived = Maillage(location).get(shipment.id, Shipment)
    assert arrived.status == "partially_delivered"
    assert arrived.missing_serials == ["SN-3"]
    assert arrived.delivered_serials == ["SN-1", "SN-2", "SN-4"]
    assert (arrived.seal_number, arrived.carrier) == ("SEAL-0042", "La Poste Colissimo")
    assert arrived.recipient == "Mme Leroy (intendante)"
    last = list(app.repository.event_store.get(arrived.id))[-1]
    assert type(last).__name__ == "PartiallyDelivered"
    assert last.missing == ["SN-3"] and last.by == "facteur L. Petit"  # type: ignore[attr-defined]


def test_a_full_delivery_and_a_lost_shipment() -> None:
    whole = in_transit(["SN-1", "SN-2"])
    assert whole.deliver("Mme Leroy", "facteur L. Petit", ["SN-2", "SN-1"]) == ["SN-1", "SN-2"]
    assert (whole.status, whole.missing_serials) == ("delivered", [])

    gone = in_transit(["SN-1"])
    with pytest.raises(InvalidInputError, match="no serial arrived; report the shipment lost"):
        gone.deliver("Mme Leroy", "facteur L. Petit", [])
    gone.report_lost("van broken into at Saran", "A. Morel")
    assert gone.status == "lost"


# Each shipment command, and the only statuses it is allowed in.
COMMANDS: dict[str, tuple[Callable[[Shipment], object], tuple[str, ...]]] = {
    "pack": (lambda s: s.pack(["SN-8"], "A. Morel"), ("packing",)),
    "seal": (lambda s: s.seal("SEAL-1", "A. Morel"), ("packing",)),
    "dispatch": (lambda s: s.dispatch("La Poste", "A. Morel"), ("sealed",)),
    "deliver": (lambda s: s.deliver("Mme Leroy", "L. Petit"), ("in_transit",)),
    "report_lost": (lambda s: s.report_lost("gone", "A. Morel"), ("in_transit",)),
}


def shipment_in(status: str) -> Shipment:
    shipment = prepared()
    shipment.pack(["SN-1", "SN-2"], "A. Morel")
    steps: dict[str, list[Callable[[Shipment], object]]] = {
        "packing": [],
        "sealed": [lambda s: s.seal("SEAL-1", "A. Morel")],
        "in_transit": [
            lambda s: s.seal("SEAL-1", "A. Morel"),
            lambda s: s.dispatch("La Poste", "A. Morel"),
        ],
    }
    steps["delivered"] = [*steps["in_transit"], lambda s: s.deliver("Mme Leroy", "L. Petit")]
    steps["partially_delivered"] = [
        *steps["in_transit"],
        lambda s: s.deliver("Mme Leroy", "L. Petit", ["SN-1"]),
    ]
    steps["lost"] = [*steps["in_transit"], lambda s: s.report_lost("gone", "A. Morel")]
    for step in steps[status]:
        step(shipment)
    assert shipment.status == status
    shipment.collect_events()
    return shipment


REFUSED = [(s, c) for s in SHIPMENT_STATUSES for c, (_, ok) in COMMANDS.items() if s not in ok]


@pytest.mark.parametrize(("status", "command"), REFUSED, ids=[f"{s}-{c}" for s, c in REFUSED])
def test_commands_out_of_order_are_refused_and_record_nothing(status: str, command: str) -> None:
    shipment = shipment_in(status)
    version = shipment.version
    with pytest.raises(RuleViolationError, match=f"is {status.replace('_', ' ')}: "):
        COMMANDS[command][0](shipment)
    assert (shipment.version, shipment.status) == (version, status)
    assert shipment.collect_events() == []


def test_a_shipment_needs_a_valid_destination_and_names() -> None:
    with pytest.raises(InvalidInputError, match="check letter"):
        Shipment.prepare("SH-1", "0450001A", "PPDC Orléans", "A. Morel")
    with pytest.raises(InvalidInputError, match="preparing a shipment needs the name"):
        Shipment.prepare("SH-1", LYCEE, "PPDC Orléans", "")
