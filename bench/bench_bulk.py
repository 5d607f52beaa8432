"""Bulk import of device announcements: maillage's batch path against the library's stock save."""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from rich.console import Console

from bench.common import Figure, stopwatch
from domain.application import Maillage
from domain.bulk import creation_events
from domain.clock import now
from domain.devices.device import Device, announcement
from domain.ids import device_id, device_id_hex
from domain.store import StoreLocation

DEVICES = 100_000
BATCH = 1_000

ManifestLine = tuple[str, str, str, str]
"""(serial, model, kind, order reference): one line of a manufacturer's manifest."""

_MODELS = ("Latitude 3440", "ThinkPad L14 Gen 4", "iPad 10.9 Wi-Fi", "Galaxy Tab A9+")

console = Console()


class StockApp(Application):
    """The library's application with its stock SQLite recorder: the anchor of the import."""

    name = "stock"


def manifest(count: int, start: int = 0) -> Iterator[ManifestLine]:
    """Plausible manifest lines (lower-case serials with spaces, as typed), deterministic."""
    for i in range(start, start + count):
        model = _MODELS[i % len(_MODELS)]
        kind = "tablet" if model.startswith(("iPad", "Galaxy")) else "laptop"
        yield (f" pf{i:08d} ", model, kind, f"BC-2025-{i // 500:05d}")


def batches(lines: Sequence[ManifestLine], size: int) -> Iterator[Sequence[ManifestLine]]:
    """Consecutive slices of ``size`` lines."""
    for i in range(0, len(lines), size):
        yield lines[i : i + size]


def bulk_events(lines: Sequence[ManifestLine], timestamp: datetime) -> list[StoredEvent]:
    """Stored ``Device.Announced`` events for manifest lines, the way an import builds them."""
    rows = []
    for serial, model, kind, order_reference in lines:
        fields = announcement(serial, model, kind, order_reference)
        rows.append((device_id_hex(fields["serial"]), fields))
    return creation_events(Device, Device.Announced, rows, timestamp)


def _stock_import(path: Path, lines: Sequence[ManifestLine]) -> float:
    """Seconds to save every line as a one-event aggregate through the stock recorder."""
    app = StockApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    try:
        gc.collect()
        with stopwatch() as elapsed:
            for batch in batches(lines, BATCH):
                app.save(*[Device.announce(*line) for line in batch])
        seconds = elapsed()
        recorded = app.recorder.max_notification_id() or 0
        if recorded != len(lines):
            raise RuntimeError(f"stock import recorded {recorded} events, expected {len(lines)}")
        return seconds
    finally:
        app.close()


def _maillage_import(path: Path, lines: Sequence[ManifestLine]) -> float:
    """Seconds to record every line through announcement() + creation_events() + record_stored()."""
    app = Maillage(StoreLocation.parse(str(path)))
    try:
        gc.collect()
        with stopwatch() as elapsed:
            for batch in batches(lines, BATCH):
                app.record_stored(bulk_events(batch, now()))
        seconds = elapsed()
        if app.last_position() != len(lines):
            raise RuntimeError(
                f"bulk import recorded {app.last_position()} events, expected {len(lines)}"
            )
        serial, model, kind, _ = lines[-1]
        device = app.get(device_id(serial), Device)
        if (device.serial, device.model, device.kind) != (serial.strip().upper(), model, kind):
            raise RuntimeError(f"bulk import rebuilt a different device: {device.__dict__}")
        return seconds
    finally:
        app.close()


def run() -> list[Figure]:
    """Import 100,000 devices both ways into fresh SQLite files; events per second."""
    lines = list(manifest(DEVICES))
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        console.print(f"  bulk: stock recorder, {DEVICES:,} devices in batches of {BATCH:,}…")
        stock_s = _stock_import(Path(tmp) / "stock.sqlite", lines)
        console.print(f"    {stock_s:.2f} s")
        console.print(f"  bulk: maillage batch path, {DEVICES:,} devices in batches of {BATCH:,}…")
        bulk_s = _maillage_import(Path(tmp) / "maillage.sqlite", lines)
        console.print(f"    {bulk_s:.2f} s")
    return [
        Figure(
            name=f"bulk import, SQLite ({DEVICES:,} devices)",
            value=DEVICES / bulk_s,
            anchor=DEVICES / stock_s,
            unit="events/s",
            anchor_label="stock recorder, app.save(*1,000 aggregates)",
        )
    ]
