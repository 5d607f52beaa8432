"""Capture: journal write throughput against plain file writes, and six sensor channels recorded
at their real rates (time compressed) from the simulator running in its own process."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench.common import Figure, stopwatch
from console.recording.recorder import Recorder, parse_channel
from domain.application import Maillage
from domain.store import StoreLocation
from drivers.journal import JournalWriter, read_journal

RECORDS = 1_000_000
FRAME = bytes(range(33))  # one IMU cycle: acceleration, angular rate and angle frames
SIMULATE = (sys.executable, "-m", "console.cli", "simulate")
SPEED = 10.0
"""Time compression of the simulated round (about 11.5 minutes of sensors)."""

console = Console()


def _journal(path: Path) -> float:
    with stopwatch() as elapsed, JournalWriter(path, chunk_seconds=60.0) as j:
        channel = j.declare("imu")
        for _ in range(RECORDS):
            j.write(channel, FRAME)
    return elapsed()


def _plain(path: Path) -> float:
    with stopwatch() as elapsed, path.open("wb") as f:
        for _ in range(RECORDS):
            f.write(FRAME)
        f.flush()
        os.fsync(f.fileno())
    return elapsed()


def _six_channels(tmp: Path) -> tuple[float, float, dict[str, dict[str, int]], float]:
    """(scenario seconds, wall seconds, counters per channel, CPU share of the recorder)."""
    sim_dir = tmp / "van"
    sim = subprocess.Popen(
        [*SIMULATE, "--speed", str(SPEED), "--dir", str(sim_dir), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert sim.stdout is not None
        ports = json.loads(sim.stdout.readline())["ports"]
        app = Maillage(StoreLocation.parse(str(tmp / "store.sqlite")))
        sensors = ("gps", "imu", "pm", "modem", "thermal", "probe")
        specs = [parse_channel(f"{name}={ports[name]}") for name in sensors]
        recorder = Recorder(app, specs, "VAN-12", "bench", tmp / "journals", poll_period_s=1.0)
        truth = json.loads((sim_dir / "ground_truth.json").read_text())
        wall_s = truth["duration_s"] / SPEED
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.monotonic()
        recorder.start()
        time.sleep(wall_s)  # the scenario runs in real (compressed) time: nothing to wait on
        counters = recorder.stop()
        elapsed = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        _, report = read_journal(recorder.journal_path)  # type: ignore[arg-type]
        if not report.intact:
            raise RuntimeError(f"the journal is damaged: {report}")
        return truth["duration_s"], elapsed, counters, cpu / elapsed
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(10)


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        console.print(f"  capture: {RECORDS:,} records of {len(FRAME)} B, journal vs plain file…")
        journal_s, plain_s = _journal(tmp / "a.journal"), _plain(tmp / "a.raw")
        console.print(f"    journal {journal_s:.2f} s, plain {plain_s:.2f} s")
        console.print(f"  capture: six channels at their real rates, × {SPEED:g}…")
        scenario_s, wall_s, counters, cpu_share = _six_channels(tmp)
    frames = sum(c["frames"] for c in counters.values())
    lost = sum(c["checksum_errors"] + c["bytes_dropped"] for c in counters.values())
    console.print(
        f"    {scenario_s:.0f} s of sensors in {wall_s:.0f} s: {frames:,} frames, "
        f"{lost} checksum errors or dropped bytes, recorder CPU {cpu_share:.0%} of one core"
    )
    for name, c in counters.items():
        console.print(f"    {name}: {c}")
    if lost:
        raise RuntimeError(f"{lost} bytes or frames lost in the six-channel run")
    return [
        Figure(
            name=f"journal writes ({RECORDS:,} × {len(FRAME)} B records)",
            value=RECORDS / journal_s,
            anchor=RECORDS / plain_s,
            unit="records/s",
            anchor_label="plain buffered file writes of the same bytes",
        ),
        Figure(
            name=f"six channels, {scenario_s / 60:.1f} min of sensors at × {SPEED:g}: "
            "recorder CPU (0 frames lost)",
            value=cpu_share * 100,
            anchor=100.0,
            unit="% of one core",
            anchor_label="one core",
            higher_is_better=False,
        ),
    ]
