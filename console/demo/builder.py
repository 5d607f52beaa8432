"""A realistic demo data set: Tours' schools and their device order, and its meal rounds.

Everything is generated from a fixed seed, with events dated over the last
three weeks so the dashboard has a history to show.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.demo.devices import build_devices_progress, order_lines
from console.demo.meals import build_meals_demo
from console.demo.sensing import build_sensing_demo
from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.demo_store import DemoStore
from domain.devices.service import (
    ManifestLine,
    SchoolRecord,
    announce_devices,
    record_purchase_order,
    register_schools,
)
from domain.devices.uai import check_letter
from domain.errors import UserError
from domain.store import StoreLocation

TOURS_CENTRE = (47.3941, 0.6848)  # Place Jean-Jaurès, Tours
ORDER_REFERENCE = "CVL-2026-EDU-017"
DEVICE_COUNT = 20_000
SCHOOL_COUNT = 40

_SCHOOL_KINDS = [
    ("Lycée", "LYC", 0.2),
    ("Collège", "CLG", 0.35),
    ("École élémentaire", "ECOLE", 0.45),
]
_PATRONS = [
    "Descartes",
    "Balzac",
    "Paul-Louis Courier",
    "Grandmont",
    "Choiseul",
    "Jean Moulin",
    "Léonard de Vinci",
    "Rabelais",
    "Ronsard",
    "Anatole France",
    "George Sand",
    "Jules Verne",
    "Marie Curie",
    "Jean Zay",
    "Victor Hugo",
    "Camille Claudel",
    "Paul Bert",
    "Jules Ferry",
    "Clouet",
    "Mirabeau",
    "Pasteur",
    "Lamartine",
    "Racine",
    "Corneille",
    "Molière",
    "Voltaire",
    "Jacques Prévert",
    "Louise Michel",
    "Simone Veil",
    "Albert Camus",
    "Colette",
    "Montaigne",
    "Saint-Exupéry",
    "Lavoisier",
    "Condorcet",
    "Michelet",
    "Flaubert",
    "Stendhal",
    "Daudet",
    "Maupassant",
]
_STREETS = [
    "rue Nationale",
    "boulevard Béranger",
    "avenue de Grammont",
    "rue Colbert",
    "quai Paul Bert",
    "rue Édouard Vaillant",
    "boulevard Heurteloup",
    "rue de Groison",
    "avenue Maginot",
    "rue Febvotte",
    "rue du Général Renault",
    "boulevard Jean Royer",
]
_COMMUNES = [
    ("Tours", "37000"),
    ("Tours", "37100"),
    ("Tours", "37200"),
    ("Joué-lès-Tours", "37300"),
    ("Saint-Cyr-sur-Loire", "37540"),
    ("Saint-Pierre-des-Corps", "37700"),
    ("La Riche", "37520"),
    ("Chambray-lès-Tours", "37170"),
]
_MODELS = [
    ("Lenovo 300w Gen 4", "laptop", "PF"),
    ("Dell Latitude 3140", "laptop", "DL"),
    ("Samsung Galaxy Tab A9+", "tablet", "R9"),
    ("Apple iPad 10.9 (10th gen)", "tablet", "DM"),
]


def schools(rng: random.Random) -> list[SchoolRecord]:
    """Forty schools around Tours with valid UAIs (département 037)."""
    out = []
    for i in range(SCHOOL_COUNT):
        label, kind = rng.choices(
            [(k[0], k[1]) for k in _SCHOOL_KINDS], weights=[k[2] for k in _SCHOOL_KINDS]
        )[0]
        digits = f"037{1000 + 37 * i:04d}"
        commune, postcode = rng.choice(_COMMUNES)
        distance_km = 6 * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = TOURS_CENTRE[0] + distance_km / 111.2 * math.cos(bearing)
        lon = TOURS_CENTRE[1] + distance_km / (111.2 * math.cos(math.radians(47.39))) * math.sin(
            bearing
        )
        out.append(
            SchoolRecord(
                uai=digits + check_letter(digits),
                name=f"{label} {_PATRONS[i % len(_PATRONS)]}",
                kind=kind,
                address=f"{rng.randint(1, 180)} {rng.choice(_STREETS)}",
                postcode=postcode,
                commune=commune,
                latitude_deg=round(lat, 6),
                longitude_deg=round(lon, 6),
            )
        )
    return out


def manifest(rng: random.Random) -> list[ManifestLine]:
    """The manufacturers' manifests for the regional order."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    lines = []
    seen: set[str] = set()
    while len(lines) < DEVICE_COUNT:
        model, kind, prefix = rng.choices(_MODELS, weights=[40, 25, 20, 15])[0]
        serial = prefix + "".join(rng.choices(alphabet, k=8))
        if serial in seen:
            continue
        seen.add(serial)
        lines.append(ManifestLine(serial, model, kind, ORDER_REFERENCE))
    return lines


def build_demo(
    app: Maillage,
    today: datetime,
    journals: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Fill an empty store with the demo, events dated over the three weeks before ``today``
    and today's under way; the sensor session's journal goes to ``journals``."""
    marker = DemoStore.start(today.astimezone(PARIS).date())  # first: a demo store from now on
    app.save(marker)
    rng = random.Random(20261128)
    start = today.astimezone(UTC).replace(hour=7, minute=30, second=0, microsecond=0)
    start -= timedelta(days=21)
    demo_clock = clock.FixedClock(start)
    with clock.using_clock(demo_clock):
        directory = schools(rng)
        register_schools(app, directory)
        lines = manifest(rng)
        # Four manifests, a few days apart, as manufacturers deliver them.
        quarter = len(lines) // 4
        for k in range(4):
            demo_clock.set(start + timedelta(days=3 + 4 * k, hours=1, minutes=15 * k))
            part = lines[k * quarter : (k + 1) * quarter]
            offset = k * quarter

            def report(done: int, offset: int = offset) -> None:
                if progress:
                    progress("devices", offset + done, len(lines))

            if k == 0:
                record_purchase_order(
                    app, ORDER_REFERENCE, "Région Centre-Val de Loire", "DRANE Orléans-Tours",
                    order_lines(lines), by="S. Blanc (région)",
                )  # fmt: skip
            announce_devices(app, part, progress=report)
        if progress:
            progress("device life", 0, 1)
        build_devices_progress(app, start, ORDER_REFERENCE, lines, directory, rng)
    if progress:
        progress("meals", 0, 1)
    build_meals_demo(app, today, random.Random(20261129))
    if progress:
        progress("sensor session", 0, 1)
    build_sensing_demo(app, today, journals)
    marker.finish()
    app.save(marker)
    if progress:
        progress("sensor session", 1, 1)


def discard_demo(location: StoreLocation, journals: Path) -> None:
    """Delete a demo store (checked as such by the caller) and the journals it wrote."""
    if location.kind == "sqlite":
        assert location.path is not None
        for suffix in ("", "-wal", "-shm"):
            location.path.with_name(location.path.name + suffix).unlink(missing_ok=True)
    else:
        if location.schema == "public":
            raise UserError(
                "the demo can be built again on PostgreSQL only in a schema of its own "
                "(?schema=demo): drop the public schema's tables yourself"
            )
        with location.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')
    for journal in journals.glob("demo-*.journal*"):
        journal.unlink()
