"""A recording session on the van, shared by ``maillage record`` and the TUI's Sensors mode.

``Recorder`` wires the drivers to the domain: one ``PortReader`` thread per port writes
raw bytes to the capture journal as they arrive (before decoding), the journal hands each
closed chunk back, readers report gaps, and the probe's readings go to a meal round's box.
Every store write (session start, chunks, gaps, probe readings, stop) goes through one
queue consumed by one writer thread, so the store sees one writer, in order, and the
reading threads never wait on the database.

When the store is locked or away, the writer retries the same write (backoff 0.2 s
doubling to 5 s) while the journal goes on recording; the writes behind it wait their turn
and go in, in order, once it is back. A retried write is applied once: before trying again
it looks whether the failed attempt went through after all. Only at the stop, if the store
has not come back within the stop's timeout, does the writer give up: every write not made
is reported by name, and the session is left "recording" with its journal holding every
chunk, so ``maillage sessions close`` can finish it later. The recorder holds the journal's
lock (``drivers.recovery.lock_journal``) while it records, so nobody closes it meanwhile.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from console.settings import Settings, data_dir
from domain import clock
from domain.application import Maillage
from domain.errors import (
    ConcurrentEditError,
    InvalidInputError,
    MaillageError,
    StoreUnavailableError,
)
from domain.meals.cold_chain import is_excursion
from domain.meals.meal_round import MealRound
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.wording import short_id
from drivers import recovery
from drivers.channel import Gap, PortReader
from drivers.codecs import at_modem, modbus, nmea, pms5003, sds011, sps30, thermal, ubx, witmotion
from drivers.journal import ChunkInfo, JournalWriter
from drivers.sensors import CHANNEL_KINDS, DEFAULT_POLL_PERIOD_S, SensorModel, default_model, model

READING_EVERY_S = 60.0
"""A probe reading goes to the round's box once a minute (and at once above +3 °C)."""


# ---------------------------------------------------------------------- what to record


@dataclass(frozen=True)
class ChannelSpec:
    """One channel to record: its name (a sensor kind), the model read on it and its port."""

    name: str
    model: SensorModel
    url: str
    baudrate: int | None = None

    @property
    def kind(self) -> str:
        return self.model.channel


def parse_channel(text: str) -> ChannelSpec:
    """``KIND[:MODEL][@BAUD]=URL``, e.g. ``gps=/dev/ttyACM0`` or ``pm:sds011@9600=/dev/ttyUSB2``."""
    left, sep, url = text.partition("=")
    if not sep or not url.strip():
        raise InvalidInputError(f"{text!r} is not CHANNEL=URL (e.g. gps=/dev/ttyUSB0)")
    left, _, baud_text = left.partition("@")
    kind, _, model_name = left.strip().lower().partition(":")
    if kind not in CHANNEL_KINDS:
        raise InvalidInputError(f"channel {kind!r} is not one of {', '.join(CHANNEL_KINDS)}")
    try:
        m = model(model_name) if model_name else default_model(kind)
    except KeyError as e:
        raise InvalidInputError(str(e.args[0])) from None
    if m.channel != kind:
        raise InvalidInputError(f"{m.name} is a {m.channel} sensor, not a {kind} one")
    baud = None
    if baud_text:
        if not baud_text.isdigit() or int(baud_text) <= 0:
            raise InvalidInputError(f"{baud_text!r} is not a baud rate")
        baud = int(baud_text)
    return ChannelSpec(kind, m, url.strip(), baud)


def journal_dir(settings: Settings, override: Path | None = None) -> Path:
    """Where journals live: ``--journal-dir``, else ``journals/`` beside the SQLite store,
    else ``journals/`` in the data directory (PostgreSQL stores)."""
    if override is not None:
        return override
    location = settings.location
    if location.kind == "sqlite" and location.path is not None:
        return location.path.parent / "journals"
    return data_dir() / "journals"


def expand_urls(items: list[str]) -> list[str]:
    """URLs as given, a simulator's ``ports.json`` replaced by the ports it lists."""
    urls: list[str] = []
    for item in items:
        path = Path(item)
        if item.endswith(".json") and path.is_file():
            try:
                listed = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                raise InvalidInputError(f"{item} is not a ports.json file") from None
            urls += [str(v) for v in (listed.values() if isinstance(listed, dict) else listed)]
        else:
            urls.append(item)
    return urls


class ProbeSchedule:
    """When a probe reading goes to the round: once every ``every_s``, and at once when a
    reading crosses above the cold-chain limit (+3 °C)."""

    def __init__(self, every_s: float = READING_EVERY_S) -> None:
        self.every_s = every_s
        self._last_sent_s: float | None = None
        self._last_c: float | None = None

    def offer(self, temperature_c: float, now_s: float) -> bool:
        """Whether the reading just taken (``now_s`` monotonic) is to be recorded."""
        crossed = is_excursion(temperature_c) and not (
            self._last_c is not None and is_excursion(self._last_c)
        )
        due = self._last_sent_s is None or now_s - self._last_sent_s >= self.every_s
        self._last_c = temperature_c
        if crossed or due:
            self._last_sent_s = now_s
            return True
        return False


# ---------------------------------------------------------------------- the recorder


@dataclass
class RecorderEvents:
    """What the writer thread did, for the status display (appended by that thread)."""

    chunks: int = 0
    gaps: int = 0
    probe_readings: int = 0
    problems: deque[str] = field(default_factory=lambda: deque(maxlen=50))
    """What was not recorded, and why (the command line exits 1 if any)."""
    box_blocked: bool = False
    store_retries: int = 0
    """Failed attempts at a write that were tried again."""
    store_trouble: str = ""
    """Why the store is not answering now ("" once the last write went in)."""


@dataclass(frozen=True)
class StoreWrite:
    """One write to the store: what it is (for messages), how to make it, and how to tell
    whether it is in the store already (after an attempt that failed late)."""

    label: str
    apply: Callable[[Maillage], None]
    done: Callable[[Maillage], bool] = lambda _: False


RETRY_FIRST_S, RETRY_MAX_S = 0.2, 5.0
TRANSIENT = (StoreUnavailableError, ConcurrentEditError)
"""Domain errors that say "try again", unlike a refusal."""


class Recorder:
    """Records ``specs`` for ``vehicle`` into a new journal and a new ``SensorSession``."""

    def __init__(
        self,
        store: Maillage,
        specs: list[ChannelSpec],
        vehicle: str,
        by: str,
        directory: Path,
        *,
        round_id: UUID | None = None,
        box: str | None = None,
        poll_period_s: float = DEFAULT_POLL_PERIOD_S,
        reading_every_s: float = READING_EVERY_S,
        chunk_seconds: float = 60.0,
        flush_interval_s: float = 0.5,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise InvalidInputError("each channel may be given once")
        if (round_id is None) != (box is None):
            raise InvalidInputError("a meal round and its box go together (--round and --box)")
        if round_id is not None and "probe" not in names:
            raise InvalidInputError("probe readings for a round need a probe= channel")
        self.store = store
        self.specs = specs
        self.vehicle = vehicle
        self.by = by
        self.directory = directory
        self.round_id = round_id
        self.box = box
        self.poll_period_s = poll_period_s
        self.chunk_seconds = chunk_seconds
        self.flush_interval_s = flush_interval_s
        self.schedule = ProbeSchedule(reading_every_s)
        self.readers: dict[str, PortReader] = {}
        self.events = RecorderEvents()
        self.session: SensorSession | None = None
        self.journal: JournalWriter | None = None
        self.journal_path: Path | None = None
        self.started_mono = 0.0
        self.stopped = False
        self._ops: queue.Queue[StoreWrite | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="session-writer", daemon=True)
        self._give_up = threading.Event()
        self._abandoned = threading.Event()
        self._current: StoreWrite | None = None
        self._journal_lock: int | None = None
        self._counters: dict[str, dict[str, int]] = {}

    @property
    def session_id(self) -> UUID:
        assert self.session is not None, "the recorder has not started"
        return self.session.id

    # ------------------------------------------------------------------ start and stop

    def start(self) -> None:
        """Open the journal, queue the session's start, start one reading thread per port."""
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        safe_vehicle = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.vehicle)
        name = f"{safe_vehicle}-{stamp}-{uuid4().hex[:8]}.journal"
        session = SensorSession.start(  # checks the vehicle, channels and user first
            self.vehicle,
            {s.name: (s.kind, s.url) for s in self.specs},
            name,
            by=self.by,
            round_id=self.round_id,
        )
        self.journal_path = self.directory / name
        self.session = session
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.journal = JournalWriter(
                self.journal_path,
                chunk_seconds=self.chunk_seconds,
                flush_interval_s=self.flush_interval_s,
                on_chunk_closed=self._chunk_closed,
            )
        except OSError as e:
            self.session = None
            raise InvalidInputError(
                f"cannot write a journal in {self.directory}: {e.strerror or e}"
            ) from None
        self._journal_lock = recovery.lock_journal(self.journal_path)
        started = session.collect_events()  # saved as events: a retry saves them again
        sid = session.id
        self._ops.put(
            StoreWrite(
                "session start",
                lambda app: app.save(*started),
                lambda app: bool(app.recorder.select_events(sid, limit=1)),
            )
        )
        self._writer.start()
        self.started_mono = time.monotonic()
        for spec in self.specs:
            self.readers[spec.name] = self._reader(spec, self.journal.declare(spec.name))
        for reader in self.readers.values():
            reader.start()

    def _reader(self, spec: ChannelSpec, channel: int) -> PortReader:
        journal = self.journal
        assert journal is not None

        def on_bytes(data: bytes) -> None:
            journal.write(channel, data)

        def on_state(state: str, detail: str) -> None:
            if state in ("disconnected", "connected"):
                journal.note(f"{spec.name} {state}" + (f": {detail}" if detail else ""), channel)

        def on_gap(gap: Gap) -> None:
            self._ops.put(
                StoreWrite(
                    f"gap on {spec.name}",
                    lambda app: self._record_gap(app, spec.name, gap),
                    lambda app: any(
                        (g["channel"], g["since"], g["until"]) == (spec.name, gap.since, gap.until)
                        for g in app.get(self.session_id, SensorSession).gaps
                    ),
                )
            )

        on_frames = None
        if spec.kind == "probe" and self.round_id:

            def on_frames(frames: list[Any], name: str = spec.name) -> None:
                self._probe_frames(frames, self.readers[name].last_arrivals)

        return PortReader(
            spec.name,
            spec.url,
            spec.model,
            baudrate=spec.baudrate,
            poll_period_s=spec.model.poll_period_s or self.poll_period_s,
            on_bytes=on_bytes,
            on_frames=on_frames,
            on_state=on_state,
            on_gap=on_gap,
        )

    def stop(self, timeout_s: float = 30.0) -> dict[str, dict[str, int]]:
        """Stop the readers, close the journal, record the stop; returns the counters.

        The store has ``timeout_s`` to take every write still waiting; after that the
        writes not made are reported in ``events.problems``, by name.
        """
        if self.stopped or self.session is None:
            return self._counters
        self.stopped = True
        for reader in self.readers.values():
            reader.stop()
        assert self.journal is not None
        self.journal.close()  # the last chunk closes and is queued
        if self._journal_lock is not None:
            recovery.unlock_journal(self._journal_lock)
            self._journal_lock = None
        counters = {name: r.counters.as_dict() for name, r in self.readers.items()}
        self._counters = counters
        sid = self.session.id
        self._ops.put(
            StoreWrite(
                "session stop",
                lambda app: service.stop_session(app, sid, counters),
                lambda app: app.get(sid, SensorSession).status != "recording",
            )
        )
        self._ops.put(None)
        self._writer.join(timeout_s)
        if self._writer.is_alive():  # the store never came back: stop retrying
            self._give_up.set()
            self._writer.join(5.0)
        if self._writer.is_alive():  # stuck in the store's own lock wait: account for it now
            self._abandoned.set()
            current = self._current
            if current is not None:
                self._not_recorded(current, "the store did not answer in time")
            self._drain("the store did not answer in time")
        if self._abandoned.is_set():
            never_started = any(p.startswith("session start not") for p in self.events.problems)
            self.events.problems.append(
                f"session {short_id(sid)} was never recorded in the store; its journal "
                f"{self.journal_path} holds what was read"
                if never_started
                else f"session {short_id(sid)} is still 'recording' in the store: once the store "
                f"is "
                f"back, 'maillage sessions close {short_id(sid)}' records what its journal holds"
            )
        return counters

    def wait_written(self, timeout_s: float = 10.0) -> bool:
        """Whether every store write queued so far is done (polls; for tests and the TUI)."""
        deadline = time.monotonic() + timeout_s
        while self._ops.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # ------------------------------------------------------------------ from the threads

    def _chunk_closed(self, info: ChunkInfo) -> None:
        """Called by the journal (in a reading thread, under its lock): queue the chunk."""
        sid = self.session_id
        first = datetime.fromtimestamp(info.first_utc_ns / 1e9, tz=UTC)
        last = datetime.fromtimestamp(info.last_utc_ns / 1e9, tz=UTC)

        def op(app: Maillage) -> None:
            service.record_chunk(
                app, sid, info.seq, info.sha256, info.records, info.start, info.end, first, last
            )
            self.events.chunks += 1

        def done(app: Maillage) -> bool:
            recorded = service.chunk_hashes(app.get(sid, SensorSession))
            if recorded.get(info.seq) == info.sha256:
                self.events.chunks += 1
                return True
            return False

        self._ops.put(StoreWrite(f"chunk {info.seq}", op, done))

    def _record_gap(self, app: Maillage, name: str, gap: Gap) -> None:
        service.record_gap(app, self.session_id, name, gap.since, gap.until, gap.reason)
        self.events.gaps += 1

    def _probe_frames(self, frames: list[Any], arrivals: list[datetime]) -> None:
        """Readings to the round's box, each dated by the arrival of its frame's last byte
        (``PortReader.last_arrivals``), never by when the codec released it."""
        now = time.monotonic()
        for i, frame in enumerate(frames):
            if isinstance(frame, modbus.ProbeReading) and self.schedule.offer(
                frame.temperature_c, now
            ):
                at = arrivals[i] if i < len(arrivals) else clock.now()
                t = frame.temperature_c
                self._ops.put(
                    StoreWrite(
                        f"probe reading {t:.1f} °C of box {self.box}",
                        lambda app, at=at, t=t: self._probe_reading(app, t, at),
                        lambda app, at=at: self._probe_recorded(app, at),
                    )
                )

    def _probe_reading(self, app: Maillage, temperature_c: float, at: datetime) -> None:
        assert self.round_id is not None and self.box is not None
        self.events.box_blocked = service.record_probe_reading(
            app, self.round_id, self.box, temperature_c, at
        )
        self.events.probe_readings += 1

    def _probe_recorded(self, app: Maillage, at: datetime) -> bool:
        rnd = app.get(self.round_id, MealRound) if self.round_id else None
        if rnd is not None and any(r["box"] == self.box and r["at"] == at for r in rnd.readings):
            self.events.probe_readings += 1
            return True
        return False

    def _write_loop(self) -> None:
        """The one thread that writes to the store, in the order things happened.

        A refusal by the domain is noted and the next write goes on; a store that does not
        answer is retried (the journal keeps recording meanwhile) until the stop gives up;
        after that nothing more is tried, so the store never gets a write out of order.
        """
        while True:
            write = self._ops.get()
            try:
                if write is None:
                    return
                if self._abandoned.is_set():
                    self._not_recorded(write, "the store was given up on")
                    continue
                self._current = write
                self._apply(write)
            finally:
                self._current = None
                self._ops.task_done()

    def _apply(self, write: StoreWrite) -> None:
        delay_s = RETRY_FIRST_S
        tried = False
        while True:
            try:
                if not (tried and write.done(self.store)):
                    write.apply(self.store)
                self.events.store_trouble = ""
                return
            except TRANSIENT as e:
                failure: Exception = e
            except (MaillageError, IntegrityError) as e:  # refused: note it, go on
                self.events.problems.append(f"{write.label} not recorded: {_one_line(e)}")
                self.events.store_trouble = ""
                return
            except Exception as e:  # the store is locked or away: the same write again
                failure = e
            tried = True
            self.events.store_retries += 1
            self.events.store_trouble = (
                f"store unavailable ({type(failure).__name__}: {_one_line(failure)}), "
                f"retrying {write.label}"
            )
            if self._give_up.wait(delay_s):
                self._abandoned.set()
                self._not_recorded(write, _one_line(failure))
                return
            delay_s = min(delay_s * 2, RETRY_MAX_S)

    def _not_recorded(self, write: StoreWrite, why: str) -> None:
        self.events.problems.append(f"{write.label} not recorded (store unavailable: {why})")

    def _drain(self, why: str) -> None:
        """Report every write still queued (after the writer was given up on)."""
        while True:
            try:
                write = self._ops.get_nowait()
            except queue.Empty:
                return
            if write is not None:
                self._not_recorded(write, why)
            self._ops.task_done()

    @property
    def writes_waiting(self) -> int:
        """Store writes queued and not yet made (the status display shows them)."""
        return self._ops.qsize() + (self._current is not None)

    # ------------------------------------------------------------------ for displays

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started_mono if self.started_mono else 0.0


# ---------------------------------------------------------------------- what a channel says


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def describe(reader: PortReader) -> str:
    """The latest values of a channel in a few words (status lines and panels)."""
    latest = reader.latest
    kind = reader.model.channel
    if kind == "gps":
        return describe_gps(latest)
    if kind == "imu":
        a = latest.get(witmotion.Acceleration)
        return f"az {a.az_g:+.3f} g" if a else "no acceleration yet"
    if kind == "pm":
        pm = _pm(latest)
        return f"PM2.5 {pm[0]:.1f} µg/m³ · PM10 {pm[1]:.1f} µg/m³" if pm else "no reading yet"
    if kind == "modem":
        return describe_modem(latest)
    if kind == "thermal":
        f = latest.get(thermal.ThermalFrame)
        if f is None:
            return "no frame yet"
        return (
            f"{float(f.pixels_c.min()):.1f}…{float(f.pixels_c.max()):.1f} °C · "
            f"ambient {f.ambient_c:.1f} °C"
        )
    if kind == "probe":
        p = latest.get(modbus.ProbeReading)
        if p is None:
            return "no reading yet"
        flag = " ABOVE +3 °C" if is_excursion(p.temperature_c) else ""
        return f"{p.temperature_c:.1f} °C · {p.humidity_pct:.0f} %RH{flag}"
    return ""


def describe_gps(latest: dict[type, Any]) -> str:
    gga, rmc, pvt = latest.get(nmea.Gga), latest.get(nmea.Rmc), latest.get(ubx.NavPvt)
    if pvt is not None and gga is None:
        return (
            f"fix {pvt.fix_type} · {pvt.num_sv} sats · {pvt.lat_deg:.5f}, {pvt.lon_deg:.5f} · "
            f"{pvt.speed_mps * 3.6:.0f} km/h"
        )
    if gga is None:
        return "no fix yet"
    speed = f" · {rmc.speed_mps * 3.6:.0f} km/h" if rmc and rmc.speed_mps is not None else ""
    where = (
        f"{gga.lat_deg:.5f}, {gga.lon_deg:.5f}" if gga.lat_deg is not None else "position unknown"
    )
    return f"fix {gga.fix_quality} · {gga.num_sv} sats · {where}{speed}"


def _pm(latest: dict[type, Any]) -> tuple[float, float] | None:
    for kind in (pms5003.PmsReading, sds011.SdsReading, sps30.Sps30Reading):
        r = latest.get(kind)
        if r is not None:
            return float(r.pm2_5_ugm3), float(r.pm10_ugm3)
    return None


def modem_values(latest: dict[type, Any]) -> tuple[float | None, float | None, str]:
    """(RSRP dBm, RSRQ dB, operator) from the newest serving cell or CESQ and COPS."""
    cell, cesq, cops = (
        latest.get(at_modem.ServingCell),
        latest.get(at_modem.Cesq),
        latest.get(at_modem.Cops),
    )
    rsrp = rsrq = None
    if cell is not None and cell.rsrp_dbm is not None:
        rsrp, rsrq = cell.rsrp_dbm, cell.rsrq_db
    elif cesq is not None:
        rsrp, rsrq = cesq.rsrp_dbm, cesq.rsrq_db
    operator = cops.operator if cops is not None and cops.operator else ""
    return rsrp, rsrq, operator


def describe_modem(latest: dict[type, Any]) -> str:
    rsrp, rsrq, operator = modem_values(latest)
    if rsrp is None:
        return "no signal reading yet"
    quality = f" · RSRQ {rsrq:.1f} dB" if rsrq is not None else ""
    return f"RSRP {rsrp:.0f} dBm{quality}" + (f" · {operator}" if operator else "")
