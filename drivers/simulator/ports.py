"""Pseudo-terminals that behave like the van's serial sensors, with faults on demand.

Each sensor gets a pseudo-terminal in raw mode and a stable symlink (``DIR/gps``,
``DIR/imu``…) that drivers open like ``/dev/serial/by-id/…``: unplugging closes
the terminal, replugging opens a new one and moves the link, as udev does.
Streaming sensors are written by one thread each, paced by the scenario's
clock divided by ``speed``; polled sensors answer what they are sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from drivers.simulator import streams
from drivers.simulator.scenario import Field

STREAMING: dict[str, Callable[[Field], Iterator[streams.TimedBytes]]] = {
    "gps": streams.gps_stream,
    "imu": streams.imu_stream,
    "pm": streams.pm_stream,
    "thermal": streams.thermal_stream,
}
POLLED: dict[str, Callable[[Field], streams.ModemResponder | streams.ProbeResponder]] = {
    "modem": streams.ModemResponder,
    "probe": streams.ProbeResponder,
}
SENSORS = (*STREAMING, *POLLED)


@dataclass
class Faults:
    """What goes wrong, per written chunk of bytes: probabilities, and an unplug window."""

    noise: float = 0.0
    """Chance of a burst of random bytes before a chunk."""
    bit_flip: float = 0.0
    """Chance of one flipped bit in a chunk."""
    truncate: float = 0.0
    """Chance of a chunk cut short."""
    dropout: float = 0.0
    """Chance of a chunk not sent at all."""
    unplug_at_s: float | None = None
    """Scenario time when the sensor is unplugged (None: never)."""
    unplugged_for_s: float = 5.0

    def corrupt(self, data: bytes, rng: random.Random) -> bytes:
        """``data`` as the line delivers it after the configured faults."""
        if self.dropout and rng.random() < self.dropout:
            return b""
        out = bytearray(data)
        if self.bit_flip and out and rng.random() < self.bit_flip:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        if self.truncate and len(out) > 1 and rng.random() < self.truncate:
            del out[rng.randrange(1, len(out)) :]
        if self.noise and rng.random() < self.noise:
            out[0:0] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24)))
        return bytes(out)


@dataclass
class SimulatedPort:
    """One sensor's pseudo-terminal, its stable link, and what was sent or lost."""

    name: str
    link: Path
    faults: Faults = field(default_factory=Faults)
    master: int = -1
    slave: int = -1
    bytes_sent: int = 0
    bytes_lost: int = 0
    plugged: bool = False
    unplugs: list[tuple[float, float]] = field(default_factory=list)
    """(from s, to s) scenario times when it was unplugged."""

    def plug(self) -> None:
        """Open a new pseudo-terminal in raw mode and point the link at it."""
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave, termios.TCSANOW)
        os.set_blocking(self.master, False)
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(self.slave))
        tmp.replace(self.link)
        self.plugged = True

    def unplug(self) -> None:
        """The cable is pulled: the terminal and its link go away, as udev removes the
        ``/dev/serial/by-id`` link (a link left behind could reach a recycled pty number)."""
        self.plugged = False
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1

    def send(self, data: bytes) -> None:
        """Write what the sensor says; bytes nobody reads in time are lost, as on a wire."""
        if not self.plugged or not data:
            self.bytes_lost += len(data)
            return
        try:
            written = os.write(self.master, data)
        except (BlockingIOError, OSError):
            written = 0
        self.bytes_sent += written
        self.bytes_lost += len(data) - written


class Simulator:
    """Runs a field's sensors on pseudo-terminals under ``directory`` at ``speed`` × real time."""

    def __init__(
        self,
        f: Field,
        directory: Path,
        sensors: tuple[str, ...] = SENSORS,
        speed: float = 1.0,
        faults: dict[str, Faults] | None = None,
        seed: int = 7,
    ) -> None:
        unknown = set(sensors) - set(SENSORS)
        if unknown:
            raise ValueError(f"unknown sensors: {', '.join(sorted(unknown))}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.field = f
        self.directory = directory
        self.speed = speed
        self.rng = random.Random(seed)
        directory.mkdir(parents=True, exist_ok=True)
        self.ports = {
            name: SimulatedPort(name, directory / name, (faults or {}).get(name, Faults()))
            for name in sensors
        }
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._t0 = 0.0
        self._lock = threading.Lock()
        self._streaming_left = sum(name in STREAMING for name in sensors)
        self.finished = threading.Event()

    # ------------------------------------------------------------------ the clock

    def now_s(self) -> float:
        """Scenario time now (seconds since the start, compressed by ``speed``)."""
        return (time.monotonic() - self._t0) * self.speed

    def _wait_until(self, t_s: float) -> bool:
        """Sleep until scenario time ``t_s``; False if the simulator is stopping."""
        delay = t_s / self.speed - (time.monotonic() - self._t0)
        return not self._stop.wait(delay) if delay > 0 else not self._stop.is_set()

    # ------------------------------------------------------------------ running

    def start(self) -> dict[str, str]:
        """Open every port, write ``ports.json`` and ``ground_truth.json``, start the threads."""
        for port in self.ports.values():
            port.plug()
        (self.directory / "ground_truth.json").write_text(
            json.dumps(self.field.truth, indent=2), encoding="utf-8"
        )
        paths = {name: str(port.link) for name, port in self.ports.items()}
        (self.directory / "ports.json").write_text(json.dumps(paths, indent=2), encoding="utf-8")
        self._t0 = time.monotonic()
        for name, port in self.ports.items():
            target = self._stream if name in STREAMING else self._respond
            thread = threading.Thread(target=target, args=(port,), name=f"sim-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return paths

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for port in self.ports.values():
            port.unplug()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the streaming sensors to reach the end of the scenario."""
        return self.finished.wait(timeout_s)

    def _fault_window(self, port: SimulatedPort, t_s: float) -> None:
        """Unplug and replug at the configured scenario times."""
        f = port.faults
        if f.unplug_at_s is None:
            return
        if port.plugged and f.unplug_at_s <= t_s < f.unplug_at_s + f.unplugged_for_s:
            port.unplug()
            port.unplugs.append((t_s, f.unplug_at_s + f.unplugged_for_s))
        elif not port.plugged and t_s >= f.unplug_at_s + f.unplugged_for_s:
            port.plug()

    def _stream(self, port: SimulatedPort) -> None:
        for t_s, data in STREAMING[port.name](self.field):
            if not self._wait_until(t_s):
                return
            self._fault_window(port, t_s)
            port.send(port.faults.corrupt(data, self.rng))
        with self._lock:
            self._streaming_left -= 1
            if self._streaming_left == 0:
                self.finished.set()

    def _respond(self, port: SimulatedPort) -> None:
        responder = POLLED[port.name](self.field)
        while not self._stop.is_set():
            t_s = self.now_s()
            self._fault_window(port, t_s)
            if not port.plugged:
                self._stop.wait(0.01)
                continue
            try:
                ready, _, _ = select.select([port.master], [], [], 0.05)
                received = os.read(port.master, 4096) if ready else b""
            except OSError:
                received = b""
            if received:
                port.send(port.faults.corrupt(responder.reply(received, self.now_s()), self.rng))
