"""Stores the tests share, built through the domain's services: one definition of each."""

from __future__ import annotations

from collections.abc import Sequence

from domain.application import Maillage
from domain.devices import service
from domain.devices.purchase_order import OrderLine
from domain.devices.service import ManifestLine, SchoolRecord

LYCEE = "0450001G"  # Lycée Voltaire, Orléans
COLLEGE = "0451442Y"  # Collège Jean Rostand, Orléans
DEPOT = "PPDC Orléans"
ORDER = "CVL-2026-01"
LAPTOPS = [f"LP{i:03d}" for i in range(8)]
TABLETS = [f"TB{i:03d}" for i in range(4)]
OP = "A. Morel"


def fill_device_store(
    app: Maillage,
    laptops: Sequence[str] = LAPTOPS,
    tablets: Sequence[str] = TABLETS,
    order: str = ORDER,
    record_order: bool = True,
) -> None:
    """Two schools of Orléans and an order's laptops and tablets announced on its manifest
    (the order itself recorded too unless ``record_order`` is false)."""
    service.register_schools(
        app,
        [
            SchoolRecord(LYCEE, "Lycée Voltaire", "Lycée", "", "45000", "Orléans", None, None),
            SchoolRecord(COLLEGE, "Collège Rostand", "Collège", "", "45000", "Orléans", None, None),
        ],
    )
    if record_order:
        service.record_purchase_order(
            app,
            order,
            "Centre-Val de Loire",
            "Direction de l'éducation",
            [
                OrderLine("Lenovo 300w", "laptop", len(laptops)),
                OrderLine("iPad 10.2", "tablet", len(tablets)),
            ],
            "S. Blanc",
        )
    service.announce_devices(
        app,
        [ManifestLine(s, "Lenovo 300w", "laptop", order) for s in laptops]
        + [ManifestLine(s, "iPad 10.2", "tablet", order) for s in tablets],
    )
