"""One sensor's port, read by one dedicated thread: raw bytes out first, then decoded frames.

``PortReader`` opens any pyserial URL (device path, ``/dev/serial/by-id/…``, ``socket://``,
``rfc2217://``, ``loop://``) with ``serial.serial_for_url``, configures the sensor with its
model's setup commands, polls it when the model needs it, and reads until stopped. Every
chunk of bytes read goes to ``on_bytes`` *before* it is decoded (the recorder journals it),
then the frames go to a bounded ring buffer that displays read at their own pace, and to
``on_frames``. When the port fails (unplugged: ``SerialException`` or ``OSError``) the state
turns ``disconnected``, the reader retries every 0.1 s then every 0.25 s (opening a missing
device costs nothing, so a sensor plugged back is read again within a quarter of a second
and the gap recorded is the outage), and once the sensor is back it counts a reconnection,
reports the gap and starts its codec afresh (a frame cut by the unplug is never glued to
the bytes after the replug).

True times: every read is stamped on arrival; ``last_arrivals`` gives, for the frames of
the latest ``on_frames`` call, the UTC time the read holding each frame's last byte arrived
(a frame released late, after its codec abandoned a broken one, keeps its own time). The
codec's time budget is set from the baud rate (``Codec.set_baudrate``).

This module is the only one that touches pyserial besides the detector.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import serial

from drivers.sensors import DEFAULT_POLL_PERIOD_S, SensorModel

READ_TIMEOUT_S = 0.05
"""Longest a read waits: bounds the latency of bytes, polls and stopping."""
READ_SIZE = 65536
REPLY_TIMEOUT_S = 1.0
"""How long a polled sensor has to answer a command before the next one is sent."""
SILENT_AFTER_S = 3.0
"""A connected port that gave nothing for this long is shown as ``silent``."""

CONNECTING, CONNECTED, SILENT, DISCONNECTED, STOPPED, FAILED = (
    "connecting",
    "connected",
    "silent",
    "disconnected",
    "stopped",
    "failed",
)


def utc_now() -> datetime:
    """Now, as an aware UTC datetime (gaps are dated on the wall clock)."""
    return datetime.now(tz=UTC)


@dataclass
class ChannelCounters:
    """Cumulative counts of one channel (written by its reading thread only)."""

    frames: int = 0
    checksum_errors: int = 0
    bytes_dropped: int = 0
    frames_rejected: int = 0
    frames_abandoned: int = 0
    reconnects: int = 0
    bytes_read: int = 0
    polls_unanswered: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Gap:
    """A stretch with nothing from the port: from ``since`` to ``until`` (UTC), and why."""

    since: datetime
    until: datetime
    reason: str


class FrameRing:
    """A bounded, thread-safe buffer of the latest frames; readers ask for what is new."""

    def __init__(self, size: int) -> None:
        self._items: deque[Any] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.total = 0
        """Frames ever pushed (a reader keeps the last total it saw)."""

    def push(self, frames: list[Any]) -> None:
        with self._lock:
            self._items.extend(frames)
            self.total += len(frames)

    def snapshot(self) -> list[Any]:
        """The frames held now, oldest first."""
        with self._lock:
            return list(self._items)

    def since(self, total: int) -> tuple[list[Any], int]:
        """Frames pushed after a reader's last ``total`` (as many as are still held), new total."""
        with self._lock:
            new = min(self.total - total, len(self._items))
            items = list(self._items)[len(self._items) - new :] if new > 0 else []
            return items, self.total


class Poller:
    """Commands for a sensor: setup first, then the poll list every period, one at a time.

    For a model whose commands get replies, the next command waits for the frame that ends
    the reply (``final``) or ``reply_timeout_s``; unanswered commands are counted.
    """

    def __init__(
        self, m: SensorModel, period_s: float, reply_timeout_s: float = REPLY_TIMEOUT_S
    ) -> None:
        self.model = m
        self.period_s = period_s
        self.reply_timeout_s = reply_timeout_s
        self._queue: deque[bytes] = deque(m.setup)
        self._waiting_until: float | None = None
        self._next_poll = 0.0
        self._now_s = 0.0
        self._quiet_until: float | None = None  # model.poll_when_silent_s: no poll before
        self.unanswered = 0

    def next_command(self, now_s: float) -> bytes | None:
        """The command to send now, if any (``now_s`` monotonic)."""
        self._now_s = now_s
        if self._quiet_until is None:
            self._quiet_until = now_s + (self.model.poll_when_silent_s or 0.0)
        if self._waiting_until is not None:
            if now_s < self._waiting_until:
                return None
            self._waiting_until = None
            self.unanswered += 1
        if not self._queue and self.model.poll and now_s >= max(self._next_poll, self._quiet_until):
            self._queue.extend(self.model.poll)
            self._next_poll = now_s + self.period_s
        if not self._queue:
            return None
        command = self._queue.popleft()
        if self.model.replies:
            self._waiting_until = now_s + self.reply_timeout_s
        return command

    def heard(self, frames: list[Any]) -> None:
        """Frames decoded: a final one ends the wait for a reply."""
        if self._waiting_until is not None and any(self.model.final(f) for f in frames):
            self._waiting_until = None
        if frames and self.model.poll_when_silent_s is not None:
            self._quiet_until = self._now_s + self.model.poll_when_silent_s


class PortReader:
    """Reads one port in its own thread; see the module docstring for what it delivers.

    Callbacks run in the reading thread and must be quick (queue the work): ``on_bytes(data)``
    before decoding, ``on_frames(frames)``, ``on_state(state, detail)`` and ``on_gap(gap)``.
    """

    def __init__(
        self,
        name: str,
        url: str,
        m: SensorModel,
        *,
        baudrate: int | None = None,
        poll_period_s: float = DEFAULT_POLL_PERIOD_S,
        on_bytes: Callable[[bytes], None] | None = None,
        on_frames: Callable[[list[Any]], None] | None = None,
        on_state: Callable[[str, str], None] | None = None,
        on_gap: Callable[[Gap], None] | None = None,
        backoff_min_s: float = 0.1,
        backoff_max_s: float = 0.25,
    ) -> None:
        self.name = name
        self.url = url
        self.model = m
        self.baudrate = baudrate or m.bauds[0]
        self.poll_period_s = poll_period_s
        self.on_bytes = on_bytes
        self.on_frames = on_frames
        self.on_state = on_state
        self.on_gap = on_gap
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.codec = m.codec()
        self.codec.set_baudrate(self.baudrate)
        self.ring = FrameRing(m.ring_size)
        self.latest: dict[type, Any] = {}
        """The newest frame of each type (a display reads it without locking)."""
        self.counters = ChannelCounters()
        self.state = CONNECTING
        self.last_error = ""
        self.gaps: list[Gap] = []
        self.last_data_mono = 0.0
        self.last_arrivals: list[datetime] = []
        """UTC arrival of the last byte of each frame of the latest ``on_frames`` call."""
        self._read_ends: list[int] = []
        self._read_utc: list[datetime] = []
        self.silent_after_s = max(SILENT_AFTER_S, 2 * poll_period_s if m.poll else 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"port-{name}", daemon=True)

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading and close the port (returns once the thread has ended)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait_state(self, state: str, timeout_s: float) -> bool:
        """Poll until the reader is in ``state`` (for tests and scripts); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.state != state:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # ------------------------------------------------------------------ the thread

    def _set_state(self, state: str, detail: str = "") -> None:
        if state != self.state:
            self.state = state
            if self.on_state:
                self.on_state(state, detail)

    def _open(self) -> serial.SerialBase:
        return serial.serial_for_url(
            self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT_S, write_timeout=1.0
        )

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as e:  # a bug or a callback failing: say so rather than die quietly
            self.last_error = f"{type(e).__name__}: {_one_line(e)}"
            self._set_state(FAILED, self.last_error)

    def _loop(self) -> None:
        delay = self.backoff_min_s
        lost_at: datetime | None = None
        lost_reason = "not connected at the start"
        connected_before = False
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as e:
                self.last_error = _one_line(e)
                if lost_at is None:
                    lost_at = utc_now()
                self._set_state(DISCONNECTED, self.last_error)
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max_s)
                continue
            delay = self.backoff_min_s
            if lost_at is not None:
                if connected_before:
                    self.counters.reconnects += 1
                self._report_gap(lost_at, utc_now(), lost_reason)
                lost_at = None
            connected_before = True
            try:
                self._set_state(CONNECTED)
                self._read(port)
            except (serial.SerialException, OSError) as e:
                self.last_error = _one_line(e)
                lost_at, lost_reason = utc_now(), "unplugged"
                self._set_state(DISCONNECTED, self.last_error)
            finally:
                with contextlib.suppress(Exception):
                    port.close()
        if lost_at is not None:
            self._report_gap(lost_at, utc_now(), f"{lost_reason}, until the stop")
        self._set_state(STOPPED)

    def _report_gap(self, since: datetime, until: datetime, reason: str) -> None:
        gap = Gap(since, until, reason)
        self.gaps.append(gap)
        if self.on_gap:
            self.on_gap(gap)

    def _arrival(self, stream_end: int) -> datetime:
        """When the read holding the byte before ``stream_end`` (codec offsets) arrived."""
        at = bisect.bisect_left(self._read_ends, stream_end)
        return self._read_utc[min(at, len(self._read_utc) - 1)]

    def _read(self, port: serial.SerialBase) -> None:
        poller = Poller(self.model, self.poll_period_s)
        codec, counters = self.codec, self.counters
        codec.reset()  # a frame cut by the last unplug must not take bytes from this stream
        self.last_data_mono = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            command = poller.next_command(now)
            if command:
                port.write(command)
            data = port.read(READ_SIZE)
            counters.polls_unanswered = poller.unanswered
            if not data:
                if now - self.last_data_mono > self.silent_after_s:
                    self._set_state(SILENT)
                continue
            self.last_data_mono = arrived = time.monotonic()
            if self.state != CONNECTED:
                self._set_state(CONNECTED)
            counters.bytes_read += len(data)
            self._read_ends.append(codec.fed + len(data))
            self._read_utc.append(utc_now())
            if len(self._read_ends) > 512:  # a frame spans a few reads: keep the last 256
                del self._read_ends[:256], self._read_utc[:256]
            if self.on_bytes:
                self.on_bytes(data)  # journal first: raw bytes are the record
            frames = codec.feed(data, arrived)
            counters.frames = codec.frames
            counters.checksum_errors = codec.checksum_errors
            counters.bytes_dropped = codec.bytes_dropped
            counters.frames_rejected = codec.frames_rejected
            counters.frames_abandoned = codec.frames_abandoned
            if frames:
                self.last_arrivals = [self._arrival(end) for end in codec.frame_ends]
                for frame in frames:
                    self.latest[type(frame)] = frame
                self.ring.push(frames)
                poller.heard(frames)
                if self.on_frames:
                    self.on_frames(frames)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
