"""A 400,000-line manifest through ``maillage devices import manifest``, against one save() per
device with the library's stock recorder (the naive path, measured on a sample)."""

from __future__ import annotations

import gc
import io
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from rich.console import Console

from bench.bench_bulk import StockApp, manifest
from bench.common import Figure, stopwatch
from console.cli import main
from domain.application import Maillage
from domain.devices.device import Device
from domain.devices.purchase_order import OrderLine
from domain.devices.service import record_purchase_order
from domain.store import StoreLocation

DEVICES = 400_000
NAIVE_SAMPLE = 5_000
TARGET_S = 60.0
"""The issue's bound for 400,000 devices on a 2-core machine."""

console = Console()


def write_manifest(path: Path, count: int) -> set[str]:
    """A CSV manifest of ``count`` devices; returns the order references it names."""
    orders = set()
    with path.open("w", encoding="utf-8") as out:
        out.write("serial,model,kind,order_reference\n")
        for serial, model, kind, order in manifest(count):
            out.write(f"{serial.strip()},{model},{kind},{order}\n")
            orders.add(order)
    return orders


def _orders(store: Path, references: set[str]) -> None:
    """The purchase orders the manifest refers to (the import checks models against them)."""
    app = Maillage(StoreLocation.parse(str(store)))
    lines = [
        OrderLine("Latitude 3440", "laptop", 500),
        OrderLine("ThinkPad L14 Gen 4", "laptop", 500),
        OrderLine("iPad 10.9 Wi-Fi", "tablet", 500),
        OrderLine("Galaxy Tab A9+", "tablet", 500),
    ]
    for ref in sorted(references):
        record_purchase_order(app, ref, "Centre-Val de Loire", "DRANE", lines, by="bench")
    app.close()


def _naive(path: Path, count: int) -> float:
    """Seconds for ``count`` devices, one ``save()`` per device, stock SQLite recorder."""
    app = StockApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    try:
        gc.collect()
        with stopwatch() as elapsed:
            for line in manifest(count):
                app.save(Device.announce(*line))
        return elapsed()
    finally:
        app.close()


def run() -> list[Figure]:
    """Import 400,000 devices with the command; time a sample of the naive path."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        csv_path, store = Path(tmp) / "manifest.csv", Path(tmp) / "maillage.sqlite"
        _orders(store, write_manifest(csv_path, DEVICES))
        console.print(f"  manifest: `maillage devices import manifest`, {DEVICES:,} lines…")
        gc.collect()
        with stopwatch() as elapsed, redirect_stdout(io.StringIO()) as out:
            code = main(["devices", "import", "manifest", str(csv_path), "--store", str(store)])
        ours_s = elapsed()
        if code != 0 or f"{DEVICES:,} devices announced" not in out.getvalue():
            raise RuntimeError(f"the import failed ({code}): {out.getvalue()}")
        console.print(f"    {ours_s:.1f} s")
        console.print(f"  manifest: naive path, one save() per device, {NAIVE_SAMPLE:,} devices…")
        naive_s = _naive(Path(tmp) / "naive.sqlite", NAIVE_SAMPLE)
        console.print(
            f"    {naive_s:.1f} s (would take {naive_s * DEVICES / NAIVE_SAMPLE:.0f} s for all)"
        )
    return [
        Figure(
            name=f"manifest import, SQLite ({DEVICES:,} lines, whole command)",
            value=DEVICES / ours_s,
            anchor=NAIVE_SAMPLE / naive_s,
            unit="devices/s",
            anchor_label=f"one save() per device, stock recorder ({NAIVE_SAMPLE:,}-device sample)",
        ),
        Figure(
            name=f"manifest import, SQLite ({DEVICES:,} lines): wall time",
            value=ours_s,
            anchor=TARGET_S,
            unit="s",
            anchor_label="the issue's bound (1 minute)",
            higher_is_better=False,
        ),
    ]
