"""A capture journal turned into the arrays the processing pipeline takes (drivers meet domain).

The high-rate channels (IMU, NMEA, thermal) are decoded in bulk by ``ext.frames``; the
low-rate ones (particulates, modem replies) by their codecs' ``feed``. Every sample gets a
time from the journal's UTC stamps: a record's stamp is when its last byte arrived, so a
frame's time is interpolated on the byte offset of its end between the records' stamps.

``write_field_journal`` writes a simulated run straight into a journal file (no ports), with
the stamps the simulation gives: the tests, the demo and the benchmark use it.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError
from domain.sensing.processing import Observations
from drivers.codecs import at_modem
from drivers.journal import (
    CHANNEL,
    CHUNK,
    DATA,
    KINDS,
    MAGIC,
    MAX_RECORD_BYTES,
    SYNC,
    ChunkInfo,
    JournalError,
    encode_record,
    read_journal,
)
from drivers.simulator import streams
from drivers.simulator.scenario import Field
from ext import frames, segments

FloatArray = npt.NDArray[np.float64]
_HEAD = struct.Struct("<BQqBI")
_HEADER_BYTES = len(SYNC) + _HEAD.size
_CHUNK = struct.Struct("<II32s")


@dataclass
class ChannelBytes:
    """One channel's bytes end to end, with each record's end offset and UTC stamp (ns)."""

    data: bytes = b""
    ends: list[int] = field(default_factory=list)
    utc_ns: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data)

    def joined(self) -> bytes:
        return self.data

    def records(self) -> Iterator[tuple[bytes, int]]:
        """(bytes, UTC ns) of each record, as written."""
        start = 0
        for end, utc in zip(self.ends, self.utc_ns, strict=True):
            yield self.data[start:end], utc
            start = end


@dataclass
class JournalContent:
    """What the pipeline needs from a journal: bytes per channel name and its closed chunks."""

    channels: dict[str, ChannelBytes]
    chunks: list[ChunkInfo]
    intact: bool
    first_utc_ns: int


def read_channels(path: Path) -> JournalContent:
    """Every DATA record grouped by channel name; chunk SHA-256s checked.

    A fast walk over whole records; a damaged or torn journal is read again by
    ``drivers.journal.read_journal``, which skips damaged stretches.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInputError(f"cannot read the journal {path}: {e.strerror}") from None
    if not data.startswith(MAGIC):
        raise InvalidInputError(f"{path} is not a maillage capture journal")
    try:
        return _fast_read(data)
    except _Damaged:
        return _slow_read(path)


class _Damaged(Exception):
    pass


def _gather(
    raw: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], width: int
) -> npt.NDArray[np.uint8]:
    """``width`` bytes at each offset, as rows (for little-endian fields of every header)."""
    return raw[at[:, None] + np.arange(width)]


def _fast_read(data: bytes) -> JournalContent:
    """Find every record at once, then check each chunk whole by its SHA-256.

    Candidate starts are the sync bytes; each candidate's end gives the next record, and the
    chain from the first record is followed through a list of integers (no per-record parsing
    in Python). A chunk's SHA-256 covers every byte of its records, so it stands for their
    CRCs; records after the last chunk (a killed recorder) are checked by CRC one by one.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(data)
    head = len(MAGIC)
    cand = np.flatnonzero((raw[head:-1] == SYNC[0]) & (raw[head + 1 :] == SYNC[1])) + head
    cand = cand[cand + _HEADER_BYTES + 4 <= size]
    if not len(cand) or cand[0] != head:
        raise _Damaged
    lengths = _gather(raw, cand + 20, 4).copy().view("<u4").ravel().astype(np.int64)
    ends = cand + _HEADER_BYTES + lengths + 4
    nxt = np.searchsorted(cand, ends)
    found_next = nxt < len(cand)
    found_next[found_next] = cand[nxt[found_next]] == ends[found_next]
    last_ok = ends == size
    nxt = np.where(found_next, nxt, np.where(last_ok, len(cand), -1)).tolist()
    chain = []
    i, stop = 0, len(cand)
    while 0 <= i < stop:
        chain.append(i)
        i = nxt[i]
    if i != stop:
        raise _Damaged
    idx = np.array(chain, dtype=np.int64)
    pos, lens, end = cand[idx], lengths[idx], ends[idx]
    kind = raw[pos + 2].astype(np.int64)
    channel = raw[pos + 19].astype(np.int64)
    utc = _gather(raw, pos + 11, 8).copy().view("<i8").ravel()
    if np.any(~np.isin(kind, KINDS)) or np.any(lens > MAX_RECORD_BYTES):
        raise _Damaged
    view = memoryview(data)
    chunks: list[ChunkInfo] = []
    chunk_rows = np.flatnonzero(kind == CHUNK).tolist()
    start_row = 0
    for row in chunk_rows:
        body = int(pos[row]) + _HEADER_BYTES
        seq, count, digest = _CHUNK.unpack(data[body : body + _CHUNK.size])
        first = int(pos[start_row])
        if (
            count != row - start_row
            or hashlib.sha256(view[first : int(pos[row])]).digest() != digest
        ):
            raise _Damaged
        first_utc = int(utc[start_row]) if row > start_row else 0
        last_utc = int(utc[row - 1]) if row > start_row else 0
        chunks.append(
            ChunkInfo(seq, first, int(pos[row]), count, digest.hex(), first_utc, last_utc)
        )
        start_row = row + 1
    if start_row < len(chain):  # an open chunk at the end: check its records one by one
        _check_crcs(view, int(pos[start_row]), size)
    names = {
        int(channel[r]): data[int(pos[r]) + _HEADER_BYTES : int(end[r]) - 4].decode(
            "utf-8", "replace"
        )
        for r in np.flatnonzero(kind == CHANNEL).tolist()
    }
    channels: dict[str, ChannelBytes] = {}
    is_data = (kind == DATA) & (lens > 0)
    first_utc_all = int(utc[is_data][0]) if is_data.any() else 0
    for number in np.unique(channel[is_data]).tolist():
        rows = np.flatnonzero(is_data & (channel == number))
        starts = (pos[rows] + _HEADER_BYTES).tolist()
        stops = (end[rows] - 4).tolist()
        joined = b"".join([data[a:b] for a, b in zip(starts, stops, strict=True)])
        channels[names.get(number, str(number))] = ChannelBytes(
            joined, np.cumsum(lens[rows]).tolist(), utc[rows].tolist()
        )
    return JournalContent(channels, chunks, start_row == len(chain), first_utc_all)


def _check_crcs(view: memoryview, pos: int, size: int) -> None:
    while pos < size:
        _, _, _, _, length = _HEAD.unpack_from(view, pos + 2)
        end = pos + _HEADER_BYTES + length + 4
        crc = int.from_bytes(view[end - 4 : end], "little")
        if zlib.crc32(view[pos + 2 : end - 4]) != crc:
            raise _Damaged
        pos = end


def _slow_read(path: Path) -> JournalContent:
    try:
        records, report = read_journal(path)
    except JournalError as e:
        raise InvalidInputError(str(e)) from None
    parts: dict[int, tuple[list[bytes], list[int], list[int]]] = {}
    first_utc, sizes = 0, {}
    for r in records:
        if r.kind == DATA and r.data:
            first_utc = first_utc or r.utc_ns
            got = parts.setdefault(r.channel, ([], [], []))
            sizes[r.channel] = sizes.get(r.channel, 0) + len(r.data)
            got[0].append(r.data)
            got[1].append(sizes[r.channel])
            got[2].append(r.utc_ns)
    channels = {
        report.channels.get(n, str(n)): ChannelBytes(b"".join(p[0]), p[1], p[2])
        for n, p in parts.items()
    }
    good = [c for c in report.chunks if c.seq not in report.bad_chunks]
    return JournalContent(channels, good, report.intact, first_utc)


# ---------------------------------------------------------------------- decoding


def _frame_times_s(ch: ChannelBytes, frame_end: npt.NDArray[np.int64], t0_ns: int) -> FloatArray:
    """Seconds since ``t0_ns`` of frames ending at these byte offsets (interpolated on stamps)."""
    ends = np.asarray(ch.ends, dtype=np.float64)
    stamps = (np.asarray(ch.utc_ns, dtype=np.int64) - t0_ns).astype(np.float64) / 1e9
    if len(ends) > 1 and ends[-1] > ends[0]:
        per_byte = (stamps[-1] - stamps[0]) / (ends[-1] - ends[0])
    else:
        per_byte = 0.0
    xp = np.concatenate(([0.0], ends))
    fp = np.concatenate(([stamps[0] - ends[0] * per_byte], stamps))
    return segments.interp(frame_end.astype(np.float64), xp, fp)


def decode_content(content: JournalContent) -> Observations:
    """The journal's channels decoded into time-stamped arrays (seconds since the first record)."""
    t0 = content.first_utc_ns
    obs = Observations.empty(t0)
    ch = content.channels
    if "gps" in ch and ch["gps"].size:
        nmea = frames.decode_nmea(ch["gps"].joined())
        rmc = nmea.rmc
        keep = rmc.valid & ~np.isnan(rmc.lat_deg) & ~np.isnan(rmc.lon_deg)
        # an RMC sentence ends within 80 bytes of its start: its start offset is close enough
        t = _frame_times_s(ch["gps"], rmc.offset[keep] + 1, t0)
        order = np.argsort(t, kind="stable")
        obs.gps_t_s = t[order]
        obs.gps_lat_deg = rmc.lat_deg[keep][order]
        obs.gps_lon_deg = rmc.lon_deg[keep][order]
        speed = rmc.speed_mps[keep][order]
        obs.gps_speed_mps = np.where(np.isnan(speed), 0.0, speed)
    if "imu" in ch and ch["imu"].size:
        imu = frames.decode_witmotion(ch["imu"].joined())
        obs.imu_t_s = _frame_times_s(ch["imu"], imu.accel_offset + frames.WIT_FRAME_LEN, t0)
        obs.imu_az_g = np.ascontiguousarray(imu.accel_g[:, 2])
    if "thermal" in ch and ch["thermal"].size:
        th = frames.decode_thermal(ch["thermal"].joined())
        obs.thermal_t_s = _frame_times_s(ch["thermal"], th.offset + frames.THERMAL_FRAME_LEN, t0)
        obs.thermal_image_c = th.image_c
        obs.thermal_ambient_c = th.ambient_c.astype(np.float64)
    if "pm" in ch:
        _decode_pm(ch["pm"], t0, obs)
    if "modem" in ch:
        _decode_modem(ch["modem"], t0, obs)
    return obs


_PMS_SYNC = re.compile(rb"\x42\x4d\x00\x1c")
_PMS_LEN = 32
_QENG = re.compile(rb"\+QENG: \"servingcell\"[^\r\n]*")
_COPS = re.compile(rb"\+COPS: [^\r\n]*")


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


def decode_journal(path: Path) -> tuple[Observations, list[ChunkInfo]]:
    """Read and decode a journal: the arrays for the pipeline and the chunks that were read."""
    content = read_channels(path)
    if not content.channels:
        raise InvalidInputError(f"the journal {path} holds no sensor data")
    return decode_content(content), content.chunks


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


def field_records(
    f: Field, record_s: float = 0.1, modem_every_s: float = 10.0
) -> dict[str, list[tuple[float, bytes]]]:
    """One run of a simulated field as journal records per channel: (time s, bytes)."""
    return {
        "gps": _batched(streams.gps_stream(f), record_s),
        "imu": _batched(streams.imu_stream(f), record_s),
        "pm": list(streams.pm_stream(f)),
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
