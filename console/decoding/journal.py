"""A capture journal turned into the arrays the processing pipeline takes (drivers meet domain).

The high-rate channels (IMU, NMEA, thermal) are decoded in bulk by ``ext.frames``; the
low-rate ones (particulates, modem replies) by their codecs' ``feed``. Every sample gets a
time from the journal's UTC stamps: a record's stamp is when its last byte arrived, so a
frame's time is interpolated on the byte offset of its end between the records' stamps.

The GPS and particulate channels have more than one model: NMEA and PMS5003 (the defaults)
take the bulk paths; a u-blox UBX GPS or an SDS011 or SPS30 sensor, named by the caller or
recognised from the channel's first bytes, is decoded by ``drivers.readings``, each fix or
measurement timed at the end of the record that completed it.

``write_field_journal`` writes a simulated run straight into a journal file (no ports), with
the stamps the simulation gives and the scenario's models: the tests, the demo and the
benchmark use it.
"""

from __future__ import annotations

import hashlib
import re
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError
from domain.sensing.processing import Observations
from drivers import readings
from drivers.codecs import at_modem, sps30, ubx
from drivers.journal import (
    CHANNEL,
    CHUNK,
    DATA,
    MAGIC,
    ChunkInfo,
    JournalError,
    encode_record,
    map_journal,
)
from drivers.sensors import DEFAULT_MODEL, MODELS
from drivers.simulator import streams
from drivers.simulator.scenario import Field
from ext import frames, journal_walk, segments

FloatArray = npt.NDArray[np.float64]
R = TypeVar("R")
_CHUNK = struct.Struct("<II32s")


_BLOCK_BYTES = 1 << 20
"""Bytes of whole records decoded at a time: the block stays in the CPU's cache."""
_SAMPLE_BYTES = 4096
"""Leading bytes of a channel its model is recognised from (tens of frames, about 1 ms)."""


@dataclass
class ChannelBytes:
    """One channel's records in the journal: where their bytes are, and (for the ones with
    bytes) each record's end offset in the channel's stream and UTC stamp (ns)."""

    source: Any
    """The journal's bytes (the file mapped)."""
    walked: journal_walk.ChannelData
    """Every DATA record of the channel (offsets in the file, cumulative ends, stamps)."""
    ends: npt.NDArray[np.int64]
    utc_ns: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.walked.ends[-1]) if len(self.walked) else 0

    @cached_property
    def data(self) -> npt.NDArray[np.uint8]:
        """The channel's bytes end to end (copied once, for the small channels)."""
        out = journal_walk.populated_bytes(self.size + journal_walk.MAX_RECORD_BYTES)
        _, filled = journal_walk.gather_block(self.source, self.walked, 0, out, 0, self.size + 1)
        return out[:filled]

    def joined(self) -> npt.NDArray[np.uint8]:
        return self.data

    def head(self, limit: int = _SAMPLE_BYTES) -> bytes:
        """The channel's first whole records, about ``limit`` bytes (the channel is not copied)."""
        out = np.empty(limit + journal_walk.MAX_RECORD_BYTES, dtype=np.uint8)
        _, filled = journal_walk.gather_block(self.source, self.walked, 0, out, 0, limit)
        return out[:filled].tobytes()

    def records(self) -> Iterator[tuple[bytes, int]]:
        """(bytes, UTC ns) of each record with bytes, as written."""
        start = 0
        for end, utc in zip(self.ends.tolist(), self.utc_ns.tolist(), strict=True):
            yield self.data[start:end].tobytes(), utc
            start = end

    def decode_blocks(self, decode: Callable[[npt.NDArray[np.uint8], int], R]) -> list[R]:
        """``decode(block, base_offset)`` over the channel's stream, a block at a time.

        Each block is whole records copied from the journal after what the previous block
        left unconsumed (an unfinished frame, reported by the decoder as ``consumed``, the
        last element of a tuple or an attribute), with its offset in the stream: the frames
        and offsets are those of decoding the whole stream at once (the ``ext.frames``
        contract for chunks), without a copy of the whole channel.
        """
        room = _BLOCK_BYTES + 2 * journal_walk.MAX_RECORD_BYTES
        block = np.empty(room, dtype=np.uint8)
        out: list[R] = []
        first, kept, base, count = 0, 0, 0, len(self.walked)
        while first < count:
            first, filled = journal_walk.gather_block(
                self.source, self.walked, first, block, kept, _BLOCK_BYTES
            )
            got = decode(block[:filled], base)
            out.append(got)
            used = got[-1] if isinstance(got, tuple) else got.consumed  # type: ignore[attr-defined]
            kept = filled - used
            if kept > journal_walk.MAX_RECORD_BYTES:  # a decoder keeps at most a frame
                raise RuntimeError(f"a decoder left {kept} bytes unconsumed")
            block[:kept] = block[used:filled].copy()
            base += used
        return out


@dataclass
class JournalContent:
    """What the pipeline needs from a journal: bytes per channel name and its closed chunks."""

    channels: dict[str, ChannelBytes]
    chunks: list[ChunkInfo]
    intact: bool
    first_utc_ns: int


def read_channels(path: Path) -> JournalContent:
    """Every DATA record grouped by channel name; chunk SHA-256s checked.

    One compiled pass (``drivers.journal.map_journal``) that copies nothing: the channels'
    bytes are read from the mapped file when decoded. Records that check are kept, even in
    a chunk whose SHA-256 fails; only the chunks that check are returned. Empty records
    carry no byte to time: their stamps are left out.
    """
    try:
        source, walk, report = map_journal(path)
    except OSError as e:
        raise InvalidInputError(f"cannot read the journal {path}: {e.strerror}") from None
    except JournalError as e:
        raise InvalidInputError(str(e)) from None
    channels: dict[str, ChannelBytes] = {}
    first_utc = None
    for number, ch in walk.data.items():
        ends = ch.ends
        filled = np.diff(ends, prepend=0) > 0
        if not filled.any():
            continue
        if not filled.all():
            ends, utc = ends[filled], ch.utc_ns[filled]
        else:
            utc = ch.utc_ns
        name = report.channels.get(number, str(number))
        channels[name] = ChannelBytes(source, ch, ends, utc)
        at = int(ch.offset[filled][0])
        if first_utc is None or at < first_utc[0]:
            first_utc = (at, int(utc[0]))
    good = [c for c in report.chunks if c.seq not in set(report.bad_chunks)]
    return JournalContent(channels, good, report.intact, first_utc[1] if first_utc else 0)


# ---------------------------------------------------------------------- decoding


def _frame_times_s(ch: ChannelBytes, frame_end: npt.NDArray[Any], t0_ns: int) -> FloatArray:
    """Seconds since ``t0_ns`` of frames ending at these byte offsets (interpolated on stamps)."""
    ends = np.asarray(ch.ends, dtype=np.float64)
    stamps = (np.asarray(ch.utc_ns, dtype=np.int64) - t0_ns).astype(np.float64) / 1e9
    if len(ends) > 1 and ends[-1] > ends[0]:
        per_byte = (stamps[-1] - stamps[0]) / (ends[-1] - ends[0])
    else:
        per_byte = 0.0
    xp = np.concatenate(([0.0], ends))
    fp = np.concatenate(([stamps[0] - ends[0] * per_byte], stamps))
    return segments.interp(np.asarray(frame_end, dtype=np.float64), xp, fp)


@contextmanager
def _without_huge_page_advice() -> Iterator[None]:
    """NumPy's huge-page advice off for a while (back as it was after).

    NumPy advises huge pages for every array of 4 MB or more. Where the kernel answers that
    advice by compacting memory on each fault (transparent huge pages with defrag "madvise",
    as here), the fresh arrays of an 8-hour journal cost the kernel about twice what
    decoding them costs; with small pages they cost a fraction.
    """
    setter = getattr(getattr(np, "_core", np).multiarray, "_set_madvise_hugepage", None)
    if setter is None:
        yield
        return
    with _advice_lock:  # decodings may overlap in threads: the first off, the last back
        if not _advice_users:
            _advice_users.append(setter(False))
        _advice_users.append(None)
    try:
        yield
    finally:
        with _advice_lock:
            _advice_users.pop()
            if len(_advice_users) == 1:
                setter(_advice_users.pop())


_advice_lock = threading.Lock()
_advice_users: list[bool | None] = []
"""The setting found by the first decoding that turned the advice off, then one per user."""


def decode_content(
    content: JournalContent, models: Mapping[str, str] | None = None
) -> Observations:
    """The journal's channels decoded into time-stamped arrays (seconds since the first record).

    ``models``: the model of a channel (``drivers.sensors`` names) where the caller knows it;
    the GPS and particulate channels otherwise are recognised from their first bytes.
    """
    known = _checked_models(models or {})
    with _without_huge_page_advice():
        return _decode_content(content, known)


def _checked_models(models: Mapping[str, str]) -> dict[str, str]:
    """The models named for channels, each a known model of that channel's kind."""
    for channel, name in models.items():
        m = MODELS.get(name)
        if m is None or m.channel != channel:
            raise InvalidInputError(f"{name!r} is not a model of the {channel!r} channel")
    return dict(models)


def _model_of(ch: ChannelBytes, kind: str, models: Mapping[str, str]) -> str:
    """The channel's model: the one named, else the one whose codec decodes its first bytes."""
    return models.get(kind) or readings.best_model(kind, ch.head()).name


def _decode_content(content: JournalContent, models: Mapping[str, str]) -> Observations:
    t0 = content.first_utc_ns
    obs = Observations.empty(t0)
    ch = content.channels
    if "gps" in ch and ch["gps"].size:
        gps_model = _model_of(ch["gps"], "gps", models)
        if gps_model == DEFAULT_MODEL["gps"]:
            _decode_nmea(ch["gps"], t0, obs)
        else:
            _decode_fixes(ch["gps"], t0, obs, gps_model)
    if "imu" in ch and ch["imu"].size:
        _decode_imu(ch["imu"], t0, obs)
    if "thermal" in ch and ch["thermal"].size:
        _decode_thermal(ch["thermal"], t0, obs)
    if "pm" in ch:
        pm_model = _model_of(ch["pm"], "pm", models)
        if pm_model == DEFAULT_MODEL["pm"]:
            _decode_pm(ch["pm"], t0, obs)
        else:
            _decode_levels(ch["pm"], t0, obs, pm_model)
    if "modem" in ch:
        _decode_modem(ch["modem"], t0, obs)
    return obs


def _decode_nmea(ch: ChannelBytes, t0: int, obs: Observations) -> None:
    """RMC sentences in bulk: valid fixes with a position, in time order."""
    rmcs = [n.rmc for n in ch.decode_blocks(frames.decode_nmea)]
    end, valid, lat, lon, speed = (
        np.concatenate([getattr(r, k) for r in rmcs])
        for k in ("end_offset", "valid", "lat_deg", "lon_deg", "speed_mps")
    )
    keep = valid & ~np.isnan(lat) & ~np.isnan(lon)
    t = _frame_times_s(ch, end[keep], t0)  # the time its last byte arrived
    order = np.argsort(t, kind="stable")
    obs.gps_t_s = t[order]
    obs.gps_lat_deg = lat[keep][order]
    obs.gps_lon_deg = lon[keep][order]
    speed = speed[keep][order]
    obs.gps_speed_mps = np.where(np.isnan(speed), 0.0, speed)


def _stamps_s(ch: ChannelBytes) -> list[float]:
    """Each record's UTC stamp in seconds (the codecs' time budget runs on them)."""
    return (np.asarray(ch.utc_ns, dtype=np.int64) / 1e9).tolist()


def _decode_fixes(ch: ChannelBytes, t0: int, obs: Observations, model: str) -> None:
    """Another GPS model's fixes (``drivers.readings``), each at the end of its record."""
    fixes = readings.gps_fixes(ch.data.tobytes(), ch.ends.tolist(), model, _stamps_s(ch))
    t = _frame_times_s(ch, fixes.end_offset, t0)
    order = np.argsort(t, kind="stable")
    obs.gps_t_s = t[order]
    obs.gps_lat_deg = fixes.lat_deg[order]
    obs.gps_lon_deg = fixes.lon_deg[order]
    obs.gps_speed_mps = np.nan_to_num(fixes.speed_mps[order], nan=0.0)


def _decode_imu(ch: ChannelBytes, t0: int, obs: Observations) -> None:
    """WitMotion vertical acceleration decoded block by block into one pair of arrays."""
    room = ch.size // frames.WIT_FRAME_LEN + 1 + _BLOCK_BYTES  # the blocks' bound, with a margin
    end, az = np.empty(room, dtype=np.float64), np.empty(room, dtype=np.float64)
    done = 0

    def decode(block: npt.NDArray[np.uint8], base: int) -> tuple[Any, Any, int]:
        nonlocal done
        got = frames.decode_witmotion_vertical(block, base, end[done:], az[done:])
        done += len(got[0])
        return got

    ch.decode_blocks(decode)
    obs.imu_az_g = az[:done]
    obs.imu_t_s = _frame_times_s(ch, end[:done], t0)


def _decode_thermal(ch: ChannelBytes, t0: int, obs: Observations) -> None:
    """GY-MCU90640 frames decoded block by block into one array of images, mapped at once."""
    rows, cols, frame = frames.THERMAL_ROWS, frames.THERMAL_COLS, frames.THERMAL_FRAME_LEN
    room = ch.size // frame + 1
    images = journal_walk.populated_bytes(room * rows * cols * 4).view(np.float32)
    images = images.reshape(room, rows, cols)
    done = 0

    def decode(block: npt.NDArray[np.uint8], base: int) -> frames.ThermalArrays:
        nonlocal done
        got = frames.decode_thermal(block, base, image_out=images[done:])
        done += got.frames
        return got

    pieces = ch.decode_blocks(decode)
    offset = np.concatenate([th.offset for th in pieces])
    obs.thermal_t_s = _frame_times_s(ch, offset + frame, t0)
    obs.thermal_image_c = images[:done]
    obs.thermal_ambient_c = np.concatenate([th.ambient_c for th in pieces]).astype(np.float64)


_PMS_SYNC = re.compile(rb"\x42\x4d\x00\x1c")
_PMS_LEN = 32
_QENG = re.compile(rb"\+QENG: \"servingcell\"[^\r\n]*")


def _decode_pm(ch: ChannelBytes, t0: int, obs: Observations) -> None:
    """PMS5003 frames in bulk: sync ``BM`` + length 28, checksum = sum of the first 30 bytes."""
    data = ch.data
    starts = np.array(
        [m.start() for m in _PMS_SYNC.finditer(data) if m.start() + _PMS_LEN <= len(data)],
        dtype=np.int64,
    )
    if not len(starts):
        return
    raw = np.frombuffer(data, dtype=np.uint8)
    frames_u8 = raw[starts[:, None] + np.arange(_PMS_LEN)].astype(np.int64)
    check = frames_u8[:, 30] * 256 + frames_u8[:, 31]
    ok = frames_u8[:, :30].sum(axis=1) == check
    f = frames_u8[ok]
    obs.pm_t_s = _frame_times_s(ch, starts[ok] + _PMS_LEN, t0)
    obs.pm25_ugm3 = (f[:, 12] * 256 + f[:, 13]).astype(np.float64)  # atmospheric PM2.5
    obs.pm10_ugm3 = (f[:, 14] * 256 + f[:, 15]).astype(np.float64)


def _decode_levels(ch: ChannelBytes, t0: int, obs: Observations, model: str) -> None:
    """Another particulate model's PM2.5 and PM10 (``drivers.readings``), at record ends."""
    levels = readings.pm_levels(ch.data.tobytes(), ch.ends.tolist(), model, _stamps_s(ch))
    if not len(levels.end_offset):
        return
    obs.pm_t_s = _frame_times_s(ch, levels.end_offset, t0)
    obs.pm25_ugm3 = levels.pm25_ugm3
    obs.pm10_ugm3 = levels.pm10_ugm3


def _decode_modem(ch: ChannelBytes, t0: int, obs: Observations) -> None:
    """Serving-cell lines found in the replies, each parsed by the AT codec's line parser."""
    t_end, rsrp, rsrq, ops = [], [], [], []
    for m in _QENG.finditer(ch.data):
        frame = at_modem.parse_line(m.group().decode("ascii", "replace"))
        if isinstance(frame, at_modem.ServingCell) and frame.rsrp_dbm is not None:
            t_end.append(m.end())
            rsrp.append(float(frame.rsrp_dbm))
            rsrq.append(float(frame.rsrq_db) if frame.rsrq_db is not None else np.nan)
            ops.append(f"{frame.mcc}-{frame.mnc}")
    obs.modem_t_s = _frame_times_s(ch, np.array(t_end, dtype=np.int64), t0)
    obs.rsrp_dbm = np.array(rsrp, dtype=np.float64)
    obs.rsrq_db = np.array(rsrq, dtype=np.float64)
    obs.operator = ops


def decode_journal(
    path: Path, models: Mapping[str, str] | None = None
) -> tuple[Observations, list[ChunkInfo]]:
    """Read and decode a journal: the arrays for the pipeline and the chunks that were read.

    ``models``: as for ``decode_content``.
    """
    content = read_channels(path)
    if not content.channels:
        raise InvalidInputError(f"the journal {path} holds no sensor data")
    return decode_content(content, models), content.chunks


# ---------------------------------------------------------------------- simulated journals


def _batched(items: Iterator[streams.TimedBytes], record_s: float) -> list[tuple[float, bytes]]:
    """Stream bytes gathered as a recorder reading every ``record_s`` would write them."""
    out: list[tuple[float, bytes]] = []
    current, parts, last_t = -1, [], 0.0
    for t, data in items:
        slot = int(t / record_s)
        if slot != current and parts:
            out.append((last_t, b"".join(parts)))
            parts = []
        current, last_t = slot, t
        parts.append(data)
    if parts:
        out.append((last_t, b"".join(parts)))
    return out


def _modem_replies(f: Field, every_s: float) -> list[tuple[float, bytes]]:
    """The modem's replies to ``ATE0`` then to the recorder's polls every ``every_s``."""
    responder = streams.ModemResponder(f)
    out = [(0.0, responder.reply(at_modem.echo_off(), 0.0))]
    t = every_s
    while t <= f.duration_s:
        polls = at_modem.cesq() + at_modem.qeng_servingcell() + at_modem.cops()
        out.append((t, responder.reply(polls, t)))
        t += every_s
    return out


def _gps_records(f: Field, record_s: float) -> list[tuple[float, bytes]]:
    """The scenario's GPS: NMEA sentences, or the u-blox's acknowledgement of the recorder's
    setup then its NAV-PVT frames."""
    if f.scenario.gps_model == "nmea":
        return _batched(streams.gps_stream(f), record_s)
    if f.scenario.gps_model == "ubx":
        ack = streams.UbxReceiver(f).reply(ubx.cfg_msg(*ubx.NAV_PVT, 1), 0.0)
        return [(0.0, ack), *_batched(streams.ubx_stream(f), record_s)]
    raise InvalidInputError(f"the scenario's GPS model {f.scenario.gps_model!r} is not simulated")


def _pm_records(f: Field) -> list[tuple[float, bytes]]:
    """The scenario's particulate sensor: PMS5003 or SDS011 (active mode) frames once a second,
    or an SPS30's acknowledgement of "start measurement" then its reply to a read each second."""
    if f.scenario.pm_model == "pms5003":
        return list(streams.pm_stream(f))
    if f.scenario.pm_model == "sds011":
        return list(streams.sds011_stream(f))
    if f.scenario.pm_model == "sps30":
        device = streams.Sps30Sensor(f)
        out = [(0.0, device.reply(sps30.start_measurement(), 0.0))]
        for second in range(1, int(f.duration_s) + 1):
            out.append((float(second), device.reply(sps30.read_values(), float(second))))
        return out
    raise InvalidInputError(f"the scenario's PM model {f.scenario.pm_model!r} is not simulated")


def field_records(
    f: Field, record_s: float = 0.1, modem_every_s: float = 10.0
) -> dict[str, list[tuple[float, bytes]]]:
    """One run of a simulated field as journal records per channel: (time s, bytes).

    The GPS and the particulate sensor speak the scenario's models (``gps_model``,
    ``pm_model``), as a recorder reading them would journal them.
    """
    return {
        "gps": _gps_records(f, record_s),
        "imu": _batched(streams.imu_stream(f), record_s),
        "pm": _pm_records(f),
        "modem": _modem_replies(f, modem_every_s),
        "thermal": list(streams.thermal_stream(f)),
    }


def write_field_journal(
    f: Field,
    path: Path,
    start: datetime = streams.START_UTC,
    laps: int = 1,
    record_s: float = 0.1,
    chunk_s: float = 60.0,
    modem_every_s: float = 10.0,
) -> list[ChunkInfo]:
    """Write ``laps`` repetitions of a simulated run as a journal stamped with simulated time.

    The layout is the recorder's (``drivers.journal``); each lap starts a second after the
    previous one ends, so an 8-hour day can be made from a short run.
    """
    per_channel = field_records(f, record_s, modem_every_s)
    numbers = {name: i for i, name in enumerate(per_channel)}
    lap_s = f.duration_s + 1.0
    merged = sorted(
        (t, numbers[name], data) for name, recs in per_channel.items() for t, data in recs
    )
    start_ns = int(start.timestamp()) * 1_000_000_000
    chunks: list[ChunkInfo] = []
    with path.open("xb") as out:
        out.write(MAGIC)
        offset = len(MAGIC)
        chunk_start, sha, count, first, last, chunk_end_t = (
            offset,
            hashlib.sha256(),
            0,
            0,
            0,
            chunk_s,
        )

        def close_chunk() -> None:
            nonlocal offset, chunk_start, sha, count
            info = ChunkInfo(len(chunks), chunk_start, offset, count, sha.hexdigest(), first, last)
            rec = encode_record(CHUNK, last, last, 255, _CHUNK.pack(info.seq, count, sha.digest()))
            out.write(rec)
            offset += len(rec)
            chunks.append(info)
            chunk_start, sha, count = offset, hashlib.sha256(), 0

        def put(kind: int, utc: int, channel: int, data: bytes) -> None:
            nonlocal offset, count, first, last
            rec = encode_record(kind, utc - start_ns, utc, channel, data)
            out.write(rec)
            sha.update(rec)
            if count == 0:
                first = utc
            count += 1
            last = utc
            offset += len(rec)

        for name, number in numbers.items():
            put(CHANNEL, start_ns, number, name.encode())
        for lap in range(laps):
            base = lap * lap_s
            for t, number, data in merged:
                at = base + t
                if at >= chunk_end_t and count:
                    close_chunk()
                    chunk_end_t = (int(at / chunk_s) + 1) * chunk_s
                put(DATA, start_ns + round(at * 1e9), number, data)
        if count:
            close_chunk()
    return chunks
