"""Commands of the device service: get → command → save, bulk paths for imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from domain import clock
from domain.application import Maillage
from domain.bulk import creation_events
from domain.devices.device import Device, announcement
from domain.devices.establishment import Establishment
from domain.ids import device_id_hex


@dataclass(frozen=True)
class SchoolRecord:
    """One school as the national directory describes it."""

    uai: str
    name: str
    kind: str
    address: str
    postcode: str
    commune: str
    latitude_deg: float | None
    longitude_deg: float | None


@dataclass(frozen=True)
class ManifestLine:
    """One line of a manufacturer's manifest."""

    serial: str
    model: str
    kind: str
    order_reference: str


def register_schools(app: Maillage, schools: Iterable[SchoolRecord]) -> int:
    """Register schools (UAI checked first) in one transaction; returns how many."""
    aggregates = [
        Establishment.register(
            s.uai, s.name, s.kind, s.address, s.postcode, s.commune, s.latitude_deg, s.longitude_deg
        )
        for s in schools
    ]
    app.save_batch(aggregates)
    return len(aggregates)


def announce_devices(
    app: Maillage,
    lines: Sequence[ManifestLine],
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Announce devices from manifest lines, ``batch_size`` per transaction.

    Every line is checked before its batch is written, so a bad line stops the
    import without leaving a half-written batch.
    """
    done = 0
    for start in range(0, len(lines), batch_size):
        fields = [
            announcement(x.serial, x.model, x.kind, x.order_reference)
            for x in lines[start : start + batch_size]
        ]
        rows = [(device_id_hex(f["serial"]), f) for f in fields]
        app.record_stored(creation_events(Device, Device.Announced, rows, clock.now()))
        done += len(rows)
        if progress:
            progress(done)
    return done
