"""Pseudo-terminals that behave like the van's serial sensors, with faults on demand.

Each sensor gets a pseudo-terminal in raw mode and a stable symlink (``DIR/gps``,
``DIR/imu``…) that drivers open like ``/dev/serial/by-id/…``: unplugging closes
the terminal, replugging opens a new one and moves the link, as udev does.
Each channel runs one model (``SIMULATED``: the GPS as NMEA or u-blox UBX, the
particulate sensor as a PMS5003, an SDS011 or an SPS30), chosen by the scenario
(``gps_model``, ``pm_model``) or by ``models``; ``ground_truth.json`` names them.
Streaming sensors are written by one thread each, paced by the scenario's
clock divided by ``speed``; the others (``streams.Responder``) read what the
driver writes and answer it, and may talk unasked on the same clock.
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
from datetime import UTC, datetime
from pathlib import Path

from drivers.simulator import streams
from drivers.simulator.scenario import Field

Source = Iterator[streams.TimedBytes] | streams.Responder
"""What a simulated sensor is: a stream of timed bytes, or a responder."""

SIMULATED: dict[str, dict[str, Callable[[Field], Source]]] = {
    "gps": {"nmea": streams.gps_stream, "ubx": streams.UbxReceiver},
    "imu": {"witmotion": streams.imu_stream},
    "pm": {
        "pms5003": streams.pm_stream,
        "sds011": streams.Sds011Sensor,
        "sps30": streams.Sps30Sensor,
    },
    "modem": {"at": streams.ModemResponder},
    "thermal": {"mcu90640": streams.thermal_stream},
    "probe": {"modbus": streams.ProbeResponder},
}
"""Channel → model name (as ``drivers.sensors`` names them) → what simulates it."""
SENSORS = tuple(SIMULATED)


def choose_models(f: Field, models: dict[str, str] | None = None) -> dict[str, str]:
    """The model of each channel: ``models`` first, then the scenario's, then the first one."""
    chosen = {kind: next(iter(choices)) for kind, choices in SIMULATED.items()}
    chosen.update(gps=f.scenario.gps_model, pm=f.scenario.pm_model)
    chosen.update(models or {})
    for kind, name in chosen.items():
        if kind not in SIMULATED:
            raise ValueError(f"unknown sensor {kind!r}: one of {', '.join(SIMULATED)}")
        if name not in SIMULATED[kind]:
            raise ValueError(
                f"the {kind} sensor cannot be simulated as {name!r}: "
                f"one of {', '.join(SIMULATED[kind])}"
            )
    return chosen


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
    outages_utc: list[list[datetime | None]] = field(default_factory=list)
    """[unplugged at, plugged back at] on the wall clock (UTC; None while still out)."""

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
        if self.outages_utc and self.outages_utc[-1][1] is None:
            self.outages_utc[-1][1] = datetime.now(tz=UTC)

    def unplug(self) -> None:
        """The cable is pulled: the terminal and its link go away, as udev removes the
        ``/dev/serial/by-id`` link (a link left behind could reach a recycled pty number)."""
        self.plugged = False
        self.outages_utc.append([datetime.now(tz=UTC), None])
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
        models: dict[str, str] | None = None,
    ) -> None:
        unknown = set(sensors) - set(SENSORS)
        if unknown:
            raise ValueError(f"unknown sensors: {', '.join(sorted(unknown))}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.models = {k: m for k, m in choose_models(f, models).items() if k in sensors}
        """The model each simulated channel runs (``drivers.sensors`` names)."""
        self.sources = {name: SIMULATED[name][self.models[name]](f) for name in sensors}
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
        self._streaming_left = sum(
            not isinstance(src, streams.Responder) or src.next_emit_s() is not None
            for src in self.sources.values()
        )
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
        truth = {**self.field.truth, "models": self.models}
        (self.directory / "ground_truth.json").write_text(
            json.dumps(truth, indent=2), encoding="utf-8"
        )
        paths = {name: str(port.link) for name, port in self.ports.items()}
        (self.directory / "ports.json").write_text(json.dumps(paths, indent=2), encoding="utf-8")
        self._t0 = time.monotonic()
        for name, port in self.ports.items():
            responds = isinstance(self.sources[name], streams.Responder)
            target = self._respond if responds else self._stream
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
        """Unplug and replug at the configured scenario times (a responder loses power)."""
        f = port.faults
        if f.unplug_at_s is None:
            return
        if port.plugged and f.unplug_at_s <= t_s < f.unplug_at_s + f.unplugged_for_s:
            port.unplug()
            port.unplugs.append((t_s, f.unplug_at_s + f.unplugged_for_s))
            source = self.sources[port.name]
            if isinstance(source, streams.Responder):
                source.power_cycle()
        elif not port.plugged and t_s >= f.unplug_at_s + f.unplugged_for_s:
            port.plug()

    def _stream_ended(self) -> None:
        with self._lock:
            self._streaming_left -= 1
            if self._streaming_left == 0:
                self.finished.set()

    def _stream(self, port: SimulatedPort) -> None:
        source = self.sources[port.name]
        assert not isinstance(source, streams.Responder)
        for t_s, data in source:
            if not self._wait_until(t_s):
                return
            self._fault_window(port, t_s)
            port.send(port.faults.corrupt(data, self.rng))
        self._stream_ended()

    def _respond(self, port: SimulatedPort) -> None:
        """Answer what the driver writes; send what the sensor says unasked when it is due."""
        device = self.sources[port.name]
        assert isinstance(device, streams.Responder)
        talking = device.next_emit_s() is not None
        while not self._stop.is_set():
            t_s = self.now_s()
            self._fault_window(port, t_s)
            if talking:
                said = device.emit(t_s)
                if said:
                    port.send(port.faults.corrupt(said, self.rng))
                if device.next_emit_s() is None:
                    talking = False
                    self._stream_ended()
            if not port.plugged:
                self._stop.wait(0.01)
                continue
            wait_s = 0.05
            due = device.next_emit_s()
            if due is not None:
                wait_s = min(wait_s, max(0.0, due / self.speed - (time.monotonic() - self._t0)))
            try:
                ready, _, _ = select.select([port.master], [], [], wait_s)
                received = os.read(port.master, 4096) if ready else b""
            except OSError:
                received = b""
            if received:
                port.send(port.faults.corrupt(device.reply(received, self.now_s()), self.rng))
