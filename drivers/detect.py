"""Which sensor is on which port: listen at the usual baud rates, ask only read-only questions.

For each port (``serial.tools.list_ports`` plus any URL given) and each usual baud rate, the
detector listens for ``listen_s`` and feeds every streaming model's codec with what comes.
A model's confidence weighs several pieces of evidence, each reported in ``reasons``: the
share of the judged bytes its codec turned into valid frames (the frame cut at the start of
listening and the unfinished one at the end are not judged), the share of framed candidates
whose check value passed (random bytes, or a wrong baud rate, pass one in 256 at best), 45 %
each, and the mix of frame kinds (a receiver sends several sentence types), 10 %, all scaled
down while it has seen fewer than its ``min_frames``. So a real receiver at its true rate
that also sends bytes the codec does not decode (a u-blox mixing UBX into its NMEA) is still
named, where the share alone sat at the edge of the threshold. When nothing streams, it sends the
models' read-only queries (modem ``AT``, a Modbus read of input registers, an SDS011 query,
the SPS30 device information) and names the one that answers. It never sends a command that
changes what a device keeps in its memory (see ``drivers.sensors``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import serial
from serial.tools import list_ports

from drivers.sensors import DETECTION_BAUDS, MODELS, SensorModel

LISTEN_S = 1.5
EXTEND = 3.0
"""A model that has begun to show frames may be listened to this many times longer."""
FOUND_AT = 0.5
"""Lowest confidence that names a sensor."""
QUERY_WAIT_S = 0.6
QUERY_TRIES = 2
QUERY_ORDER = ("at", "modbus", "sds011", "sps30")
"""Text first: ``AT`` is harmless to anything; binary queries could prefix a modem's line."""


@dataclass(frozen=True)
class Candidate:
    """How well one model explains what a port said."""

    model: str
    channel: str
    label: str
    baudrate: int
    confidence: float
    """0..1: share of the bytes read that formed valid frames, or share of queries answered."""
    frames: int
    bytes_read: int
    bytes_dropped: int
    checksum_errors: int
    how: str
    """``listened`` (it streams) or ``queried`` (it answered a read-only query)."""
    reasons: tuple[str, ...] = ()
    """The evidence behind ``confidence``, one phrase each."""


@dataclass
class PortDetection:
    """What was found on one port."""

    url: str
    description: str = ""
    found: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "description": self.description,
            "sensor": self.found.channel if self.found else None,
            "model": self.found.model if self.found else None,
            "baudrate": self.found.baudrate if self.found else None,
            "confidence": round(self.found.confidence, 3) if self.found else 0.0,
            "found": asdict(self.found) if self.found else None,
            "candidates": [asdict(c) for c in self.candidates],
            "error": self.error,
            "seconds": round(self.seconds, 2),
        }


def system_ports() -> list[tuple[str, str]]:
    """(device, description) of the serial ports the system knows."""
    return [(p.device, p.description or "") for p in list_ports.comports()]


def frame_kind(frame: Any) -> str:
    """A frame's kind for the mix of evidence: its type, and a sentence's own type."""
    sub = getattr(frame, "sentence_type", None)
    return type(frame).__name__ + (f" {sub}" if sub else "")


def score(
    m: SensorModel, baud: int, codec: Any, proofs: int, total: int, kinds: set[str], how: str
) -> Candidate:
    """How well ``m`` explains ``total`` bytes its ``codec`` was fed: a candidate whose
    ``reasons`` name the evidence (see the module's doc)."""
    cut = min(codec.bytes_dropped, codec.max_frame_len)  # the frame listening began in
    judged = max(0, total - codec.buffered - cut)
    used = max(0, total - codec.bytes_dropped - codec.buffered)
    share = min(1.0, used / judged) if judged else 0.0
    candidates = codec.frames + codec.checksum_errors + codec.frames_rejected
    checks = codec.frames / candidates if candidates else 0.0
    mix = min(1.0, (len(kinds) - 1) / 2) if kinds else 0.0  # 3 kinds or more: all of it
    enough = min(1.0, proofs / m.min_frames)
    confidence = enough * (0.45 * share + 0.45 * checks + 0.1 * mix)
    reasons = (
        f"{proofs} frame(s) proving it (needs {m.min_frames})",
        f"{share:.0%} of {judged} judged bytes in valid frames",
        f"{codec.frames} of {candidates} framed candidates passed their check",
        f"{len(kinds)} kind(s) of frame" + (f": {', '.join(sorted(kinds)[:6])}" if kinds else ""),
    )
    return Candidate(
        m.name, m.channel, m.label, baud, round(confidence, 3), proofs, total,
        codec.bytes_dropped, codec.checksum_errors, how, reasons,
    )  # fmt: skip


def _listen(
    port: serial.SerialBase, models: list[SensorModel], baud: int, listen_s: float
) -> list[Candidate]:
    """Feed what the port says for ``listen_s`` to every model's codec (stop early when sure).

    A slow sensor (a particulate sensor sends about one frame a second) that has begun to
    show frames gets up to ``EXTEND`` times longer to reach its ``min_frames``.
    """
    codecs = {m.name: m.codec() for m in models}
    proofs = dict.fromkeys(codecs, 0)
    kinds: dict[str, set[str]] = {name: set() for name in codecs}
    total = 0
    started = time.monotonic()
    while (now := time.monotonic()) < started + EXTEND * listen_s:
        if now >= started + listen_s and not any(0 < proofs[m.name] < m.min_frames for m in models):
            break
        data = port.read(4096)
        if not data:
            continue
        total += len(data)
        for m in models:
            proven = [f for f in codecs[m.name].feed(data) if m.proves(f)]
            proofs[m.name] += len(proven)
            kinds[m.name].update(frame_kind(f) for f in proven)
        best = max(
            (score(m, baud, codecs[m.name], proofs[m.name], total, kinds[m.name], "listened")
             for m in models),
            key=lambda c: c.confidence,
        )  # fmt: skip
        if best.frames >= 2 * MODELS[best.model].min_frames and best.confidence >= 0.9:
            break
    return [
        score(m, baud, codecs[m.name], proofs[m.name], total, kinds[m.name], "listened")
        for m in models
    ]


def _query(
    port: serial.SerialBase, m: SensorModel, baud: int, wait_s: float = QUERY_WAIT_S
) -> Candidate | None:
    """Send the model's read-only queries; a reply that proves the model names it."""
    for attempt in range(QUERY_TRIES):
        codec = m.codec()
        total = 0
        for q in m.queries:
            port.write(q)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                data = port.read(4096)
                total += len(data)
                frames = codec.feed(data) if data else []
                if any(m.proves(f) for f in frames):
                    confidence = 1.0 if attempt == 0 else 0.75
                    reason = f"answered a read-only query (attempt {attempt + 1})"
                    return Candidate(
                        m.name, m.channel, m.label, baud, confidence, codec.frames, total,
                        codec.bytes_dropped, codec.checksum_errors, "queried", (reason,),
                    )  # fmt: skip
    return None


def detect_port(
    url: str,
    description: str = "",
    *,
    bauds: tuple[int, ...] = DETECTION_BAUDS,
    listen_s: float = LISTEN_S,
    query: bool = True,
    query_wait_s: float = QUERY_WAIT_S,
    models: tuple[SensorModel, ...] | None = None,
) -> PortDetection:
    """Name the sensor on ``url`` (or say none was recognised), trying each baud rate."""
    started = time.monotonic()
    result = PortDetection(url, description)
    chosen = tuple(MODELS.values()) if models is None else models
    for baud in bauds:
        streaming = [m for m in chosen if m.streams and baud in m.bauds]
        querying = sorted(
            (m for m in chosen if query and m.queries and baud in m.bauds),
            key=lambda m: QUERY_ORDER.index(m.name) if m.name in QUERY_ORDER else 99,
        )
        if not streaming and not querying:
            continue
        try:
            port = serial.serial_for_url(url, baudrate=baud, timeout=0.05, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as e:
            result.error = " ".join(str(e).split()) or type(e).__name__
            break
        try:
            with contextlib.suppress(serial.SerialException, OSError):
                port.reset_input_buffer()
            heard = _listen(port, streaming, baud, listen_s) if streaming else []
            result.candidates += [c for c in heard if c.frames]
            best = max(heard, key=lambda c: c.confidence, default=None)
            if best is not None and best.confidence >= FOUND_AT:
                result.found = best
                break
            if best is None or best.frames == 0:  # nothing streams: ask, read-only
                for m in querying:
                    answer = _query(port, m, baud, query_wait_s)
                    if answer is not None:
                        result.candidates.append(answer)
                        result.found = answer
                        break
                if result.found:
                    break
        except (serial.SerialException, OSError) as e:
            result.error = " ".join(str(e).split()) or type(e).__name__
            break
        finally:
            with contextlib.suppress(Exception):
                port.close()
    result.candidates.sort(key=lambda c: -c.confidence)
    result.seconds = time.monotonic() - started
    return result


def detect(
    urls: list[str] | tuple[str, ...] = (),
    *,
    include_system: bool = True,
    listen_s: float = LISTEN_S,
    query: bool = True,
    bauds: tuple[int, ...] = DETECTION_BAUDS,
    on_result: Callable[[PortDetection], None] | None = None,
) -> list[PortDetection]:
    """Detect every system port and every URL given, all ports at once (one thread each).

    ``on_result`` hears each port's result as soon as it is known (in that port's thread).
    """
    ports: dict[str, str] = {}
    if include_system:
        ports.update(system_ports())
    for url in urls:
        ports.setdefault(url, "")
    results: dict[str, PortDetection] = {}

    def one(url: str, description: str) -> None:
        results[url] = detect_port(url, description, bauds=bauds, listen_s=listen_s, query=query)
        if on_result is not None:
            on_result(results[url])

    threads = [
        threading.Thread(target=one, args=item, name=f"detect-{n}", daemon=True)
        for n, item in enumerate(ports.items())
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[url] for url in ports]
