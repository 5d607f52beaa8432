"""No stall, true times: how long good frames wait behind a corrupted length field, and how
much longer than an unplug the recorded gap is, each against the behaviour before issue #15
measured in the same run (no time budget; back-off doubling from 0.1 s to 5 s)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from bench.common import Figure
from drivers.channel import PortReader
from drivers.codecs import modbus, ubx
from drivers.codecs.codec import Codec
from drivers.sensors import MODELS
from drivers.simulator.ports import Faults, Simulator
from drivers.simulator.scenario import Scenario, build_field

console = Console()
POLL_S = 5.0
"""The probe's poll period (the issue's case: 15 replies held, 75 s)."""
OUTAGES_S = (2.0, 5.0)


def worst_release_delay_s(codec: Codec, records: list[bytes], every_s: float) -> float:
    """Records arriving every ``every_s`` fed with their times: the longest a frame waited
    between the arrival of its last byte and its release (stream seconds)."""
    fed, arrivals, worst = 0, [], 0.0
    for k, record in enumerate(records):
        now = k * every_s
        fed += len(record)
        arrivals.append((fed, now))
        codec.feed(record, now)
        for end in codec.frame_ends:
            arrived = next(t for f, t in arrivals if f >= end)
            worst = max(worst, now - arrived)
    return worst


def probe_records() -> list[bytes]:
    """A probe's replies every 5 s for 100 s; the first byte count hit by a bit error."""
    replies = [modbus.encode_reading(1, 4.0 + 0.1 * k, 50.0) for k in range(20)]
    broken = bytearray(replies[0])
    broken[2] ^= 0x40  # 4 → 68 bytes announced
    return [bytes(broken), *replies[1:]]


def ubx_records() -> list[bytes]:
    """NAV-PVT once a second for 20 s after an unknown message whose length took a bit error."""
    odd = bytearray(ubx.encode(0x0A, 0x04, bytes(30)))
    odd[5] ^= 0x02  # 30 → 542 bytes announced
    good = ubx.encode_nav_pvt(lat_deg=47.39, lon_deg=0.69, num_sv=9)
    return [bytes(odd), *[good] * 20]


def _budgeted(codec: Codec, baud: int) -> Codec:
    codec.set_baudrate(baud)
    return codec


def resync_figures() -> list[Figure]:
    probe = MODELS["modbus"].codec
    cases: list[tuple[str, Callable[[], Codec], Callable[[], Codec], list[bytes], float]] = [
        ("probe byte count, poll 5 s", lambda: _budgeted(probe(), 9600),
         modbus.ModbusCodec, probe_records(), POLL_S),
        ("Modbus count, time budget only", lambda: _budgeted(modbus.ModbusCodec(), 9600),
         modbus.ModbusCodec, probe_records(), POLL_S),
        ("UBX length, 1 Hz, 9600 Bd", lambda: _budgeted(ubx.UbxCodec(), 9600),
         ubx.UbxCodec, ubx_records(), 1.0),
    ]  # fmt: skip
    out = []
    for name, ours, before, records, every in cases:
        mine = worst_release_delay_s(ours(), records, every)
        theirs = worst_release_delay_s(before(), records, every)
        console.print(f"    {name}: held {mine:.1f} s, before {theirs:.1f} s")
        out.append(
            Figure(f"frames held after a corrupted {name}", mine, theirs,
                   "s (worst)", "no time budget, any length (before #15)",
                   higher_is_better=False)
        )  # fmt: skip
    return out


def gap_excess_s(outage_s: float, backoff_max_s: float, tmp: Path) -> float:
    """Recorded gap minus the simulator's outage, for a GPS unplugged ``outage_s``."""
    field = build_field(Scenario(stops=((300.0, 5.0),), potholes=()))
    faults = {"gps": Faults(unplug_at_s=1.0, unplugged_for_s=outage_s)}
    sim = Simulator(field, tmp, ("gps",), speed=1, faults=faults)
    paths = sim.start()
    reader = PortReader("gps", paths["gps"], MODELS["nmea"], backoff_max_s=backoff_max_s)
    reader.start()
    try:
        deadline = time.monotonic() + outage_s + 30
        while reader.counters.reconnects < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        reader.stop()
        sim.stop()
    out_at, back_at = sim.ports["gps"].outages_utc[0]
    assert out_at is not None and back_at is not None and reader.gaps
    gap = reader.gaps[0]
    return (gap.until - gap.since).total_seconds() - (back_at - out_at).total_seconds()


def reconnect_figures() -> list[Figure]:
    out = []
    for outage in OUTAGES_S:
        with tempfile.TemporaryDirectory(prefix="maillage-bench-") as a:
            mine = gap_excess_s(outage, 0.25, Path(a))
        with tempfile.TemporaryDirectory(prefix="maillage-bench-") as b:
            theirs = gap_excess_s(outage, 5.0, Path(b))
        console.print(
            f"    outage {outage:.0f} s: gap longer by {mine:.2f} s, before {theirs:.2f} s"
        )
        out.append(
            Figure(f"reconnect: recorded gap minus a {outage:.0f} s outage", mine,
                   theirs, "s", "back-off 0.1 s doubling to 5 s (before #15)",
                   higher_is_better=False)
        )  # fmt: skip
    return out


def run() -> list[Figure]:
    console.print("  resync: frames held behind a corrupted length, and reconnect gaps…")
    return resync_figures() + reconnect_figures()
