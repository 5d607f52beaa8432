"""The device part of the demo after the manifests: a region's order carried through every state.

Deliveries arrive at the depot, devices are staged, allocated to the forty
schools, packed and shipped; some schools have theirs and hand them to pupils
and teachers; a few are returned, break, get lost or stolen; two schools run
mobile classroom kits; a few inventory counts find what is missing. Every step
goes through the device service, dated over the three weeks before today.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from domain import clock
from domain.application import Maillage
from domain.devices import service
from domain.devices.purchase_order import OrderLine
from domain.devices.service import ManifestLine, SchoolRecord

DEPOT = "PPDC Tours Nord"
OPERATOR = "A. Lefèvre (dépôt)"
CARRIER = "La Poste Colissimo Entreprise"


def order_lines(lines: Sequence[ManifestLine]) -> list[OrderLine]:
    """The order's lines: each model in the quantity the manifests announce."""
    kinds = {x.model: x.kind for x in lines}
    return [OrderLine(m, kinds[m], n) for m, n in sorted(Counter(x.model for x in lines).items())]


def build_devices_progress(
    app: Maillage,
    start: datetime,
    order_reference: str,
    lines: Sequence[ManifestLine],
    schools: Sequence[SchoolRecord],
    rng: random.Random,
) -> None:
    """From the manifests (the last announced 15 days after ``start``) to today's spread of
    states; ``start`` is three weeks before today and every step is dated before today."""
    at = clock.FixedClock(start + timedelta(days=15, hours=2))
    serials = [x.serial for x in lines]
    with clock.using_clock(at):
        # Deliveries: 12,000 received in three notes, days apart.
        received = serials[:12_000]
        for k in range(3):
            at.advance(timedelta(hours=2))
            part = received[k * 4_000 : (k + 1) * 4_000]
            service.receive_delivery_note(
                app, order_reference, f"BL-{k + 1:04d}", part, DEPOT, OPERATOR
            )
        # Staging: 8,000 imaged and enrolled.
        at.advance(timedelta(hours=12))
        staged = received[:8_000]
        for k in range(0, len(staged), 2_000):
            enrolments = {s: f"MDM-{i:06d}" for i, s in enumerate(staged[k : k + 2_000], k)}
            service.stage(app, enrolments, "EDU-2026.03", OPERATOR)
        # Allocation: 150 devices to each school (6,000).
        at.advance(timedelta(hours=12))
        per_school = {s.uai: staged[i * 150 : (i + 1) * 150] for i, s in enumerate(schools)}
        for uai, devices in per_school.items():
            service.allocate(app, devices, uai, OPERATOR)
        # Shipments: 20 schools packed, 16 dispatched, 12 delivered (one partially).
        at.advance(timedelta(hours=12))
        uais = [s.uai for s in schools]
        for n, uai in enumerate(uais[:20]):
            reference = f"EXP-{n + 1:04d}"
            service.prepare_shipment(app, reference, uai, DEPOT, OPERATOR)
            service.pack(app, reference, per_school[uai], OPERATOR)
            if n < 16:
                service.seal(app, reference, f"SCEL-{7_000 + n}", OPERATOR)
                service.dispatch(app, reference, CARRIER, OPERATOR)
        at.advance(timedelta(hours=12))
        for n, uai in enumerate(uais[:12]):
            devices = per_school[uai]
            delivered = devices[:-3] if n == 5 else None  # three cartons short at one school
            service.deliver(app, f"EXP-{n + 1:04d}", f"Direction {uai}", OPERATOR, delivered)
        # Hand-overs at six schools: most charters signed, some still pending.
        at.advance(timedelta(hours=12))
        handed: list[str] = []
        for uai in uais[:6]:
            for i, serial in enumerate(per_school[uai][:60]):
                teacher = i % 15 == 0
                signer = None if i % 7 == 3 else ("self" if teacher else "parent")
                service.hand_over(
                    app,
                    serial,
                    f"{uai}-{'ENS' if teacher else 'ELV'}-{i:04d}",
                    "teacher" if teacher else "pupil",
                    minor=not teacher,
                    by=f"Direction {uai}",
                    charter_signed_by=signer,
                )
                if signer:
                    handed.append(serial)
        # The life of a fleet: returns, breakdowns and repairs, losses and thefts, the end.
        at.advance(timedelta(hours=12))
        for serial in handed[:8]:
            service.report_returned(app, serial, "leaves the school", OPERATOR)
        broken = handed[8:20]
        for serial in broken:
            service.report_faulty(
                app, serial, rng.choice(["screen", "battery", "keyboard"]), OPERATOR
            )
        service.send_to_repair(app, broken[:6], "Atelier Val de Loire", "REP-0412", OPERATOR)
        for serial in broken[:3]:
            service.report_repaired(app, serial, DEPOT, OPERATOR, image_version="EDU-2026.03")
        service.report_lost(app, handed[20:24], "not found at the end of term", OPERATOR)
        for i, serial in enumerate(handed[24:27]):
            service.report_stolen(app, serial, f"PV-2026-0{318 + i}", "bag stolen", OPERATOR)
        service.give_for_good(app, handed[27:37], OPERATOR)
        # Mobile classroom kits at two delivered schools, booked for the coming weeks.
        _kits(app, at, [(uais[k], per_school[uais[k]][60:76]) for k in (6, 7)])
        # Inventory counts: two schools counted, one short of a device, one with a stray.
        at.set(start + timedelta(days=20, hours=3))
        first, second = per_school[uais[8]], per_school[uais[9]]
        service.count_inventory(app, "establishment", uais[8], first[1:], OPERATOR, first)
        service.count_inventory(
            app, "establishment", uais[9], [*second, first[0]], OPERATOR, [*second, first[0]]
        )


def _kits(app: Maillage, at: clock.FixedClock, kits: list[tuple[str, list[str]]]) -> None:
    """Two kits of sixteen tablets, reserved by classes; one came back a tablet short."""
    for n, (uai, devices) in enumerate(kits):
        reference = f"KIT-{uai}-{n + 1}"
        service.kit_assemble(app, reference, uai, f"CART-{n + 1:02d}", devices, OPERATOR)
        day = at.now().replace(hour=8, minute=0) + timedelta(days=1)
        ids = []
        for k, class_name in enumerate(["6eA", "5eB", "4eC", "CM2"]):
            begin = day + timedelta(days=2 * k, hours=k % 2)  # the last ones after today
            ids.append(
                service.kit_reserve(
                    app, reference, class_name, begin, begin + timedelta(hours=2), OPERATOR
                )
            )
        if n == 0:
            at.set(day - timedelta(minutes=10))
            service.kit_check_out(app, reference, ids[0], OPERATOR)
            at.set(day + timedelta(hours=2))
            service.kit_check_in(app, reference, devices[:-1], OPERATOR)
