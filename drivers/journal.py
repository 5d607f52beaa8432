"""The capture journal: raw sensor bytes on disk, append-only, as they came off the ports.

Raw samples are not events (DESIGN.md, "The event store"): a session's bytes go
to one journal file, and only each closed chunk's SHA-256 is recorded in the
event log. Decoding happens later and can be redone at will.

File layout (all integers little-endian)::

    file    = MAGIC record*
    record  = b"\\xa5\\x5a" kind:u8 monotonic_ns:u64 utc_ns:i64 channel:u8 length:u32
              data[length] crc32:u32        (crc32 of kind..data)

Record kinds: DATA (raw bytes of a channel), CHANNEL (declares channel number →
name), NOTE (a UTF-8 line: disconnected, reconnected, …) and CHUNK (closes a
chunk: seq:u32, records:u32, SHA-256 of every byte of the chunk's records before
it). Each record carries its own CRC, so after ``kill -9`` every complete record
is readable and the torn tail is reported, not guessed at. The writer hands its
buffer to the OS at least every ``flush_interval_s`` (0.5 s) and forces it to
the disk (``fsync``) at each chunk close and on close, so a killed process loses
under a second of data; a power cut loses at most the open chunk.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ext import journal_walk

MAGIC = b"MAILLAGE-JOURNAL/1\n"
SYNC = b"\xa5\x5a"
_HEAD = struct.Struct("<BQqBI")  # kind, monotonic_ns, utc_ns, channel, length
_CRC = struct.Struct("<I")
_CHUNK = struct.Struct("<II32s")  # seq, records, sha256
HEADER_BYTES = len(SYNC) + _HEAD.size
MAX_RECORD_BYTES = 1 << 20
"""Largest data of one record (a thermal frame is 1.5 kB; anything near this is corrupt)."""

DATA, CHANNEL, NOTE, CHUNK = 0, 1, 2, 3
KINDS = (DATA, CHANNEL, NOTE, CHUNK)


@dataclass(frozen=True, slots=True)
class Record:
    """One record read back: when it was taken (both clocks), on which channel, its bytes."""

    kind: int
    monotonic_ns: int
    utc_ns: int
    channel: int
    data: bytes
    offset: int
    """Byte offset of the record in the file."""


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """A closed chunk: its sequence number, byte range, record count and SHA-256 (hex)."""

    seq: int
    start: int
    end: int
    records: int
    sha256: str
    first_utc_ns: int
    last_utc_ns: int


def encode_record(kind: int, monotonic_ns: int, utc_ns: int, channel: int, data: bytes) -> bytes:
    """The bytes of one record (pure: the writer and the tests build records the same way)."""
    body = _HEAD.pack(kind, monotonic_ns, utc_ns, channel, len(data)) + data
    return SYNC + body + _CRC.pack(zlib.crc32(body))


class JournalWriter:
    """Appends records to a journal file from any number of reading threads.

    ``on_chunk_closed`` is called (in the writing thread) with each closed
    chunk, after its bytes are on disk: the recorder passes it to the session.
    """

    def __init__(
        self,
        path: Path,
        *,
        chunk_seconds: float = 60.0,
        chunk_bytes: int = 8 << 20,
        flush_interval_s: float = 0.5,
        on_chunk_closed: Callable[[ChunkInfo], None] | None = None,
    ) -> None:
        self.path = path
        self.chunk_seconds = chunk_seconds
        self.chunk_bytes = chunk_bytes
        self.flush_interval_s = flush_interval_s
        self.on_chunk_closed = on_chunk_closed
        self.chunks: list[ChunkInfo] = []
        self.channels: dict[str, int] = {}
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
        self._buffer = bytearray(MAGIC)
        self._offset = 0  # bytes already handed to the OS
        self._chunk = _OpenChunk(start=len(MAGIC))
        self._closed = False
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="journal-flush", daemon=True)
        self._flusher.start()

    # ------------------------------------------------------------------ writing

    def declare(self, name: str) -> int:
        """The channel number of ``name`` (declared in the journal the first time)."""
        with self._lock:
            if name not in self.channels:
                if len(self.channels) >= 255:
                    raise ValueError("a journal holds at most 255 channels")
                number = len(self.channels)
                self.channels[name] = number
                self._append(CHANNEL, number, name.encode())
            return self.channels[name]

    def write(self, channel: int, data: bytes) -> None:
        """Raw bytes read from a channel's port, stamped with both clocks now."""
        if len(data) > MAX_RECORD_BYTES:
            for i in range(0, len(data), MAX_RECORD_BYTES):
                self.write(channel, data[i : i + MAX_RECORD_BYTES])
            return
        with self._lock:
            self._append(DATA, channel, data)

    def note(self, text: str, channel: int = 255) -> None:
        """A line about the capture itself (a sensor unplugged, back, reconfigured)."""
        with self._lock:
            self._append(NOTE, channel, text.encode())

    def _append(self, kind: int, channel: int, data: bytes) -> None:
        if self._closed:
            raise ValueError(f"journal {self.path} is closed")
        now_mono, now_utc = time.monotonic_ns(), time.time_ns()
        record = encode_record(kind, now_mono, now_utc, channel, data)
        self._chunk.add(record, now_mono, now_utc)
        self._buffer += record
        if (
            self._chunk.size >= self.chunk_bytes
            or now_mono - self._chunk.opened_mono >= self.chunk_seconds * 1e9
        ):
            self._close_chunk()

    def _close_chunk(self) -> ChunkInfo | None:
        """Write the CHUNK record of the open chunk and force everything to disk."""
        chunk = self._chunk
        if chunk.records == 0:
            return None
        info = ChunkInfo(
            seq=len(self.chunks),
            start=chunk.start,
            end=chunk.start + chunk.size,
            records=chunk.records,
            sha256=chunk.sha.hexdigest(),
            first_utc_ns=chunk.first_utc,
            last_utc_ns=chunk.last_utc,
        )
        closing = encode_record(
            CHUNK,
            time.monotonic_ns(),
            time.time_ns(),
            255,
            _CHUNK.pack(info.seq, info.records, bytes.fromhex(info.sha256)),
        )
        self._buffer += closing
        self._chunk = _OpenChunk(start=info.end + len(closing))
        self._write_out(sync=True)
        self.chunks.append(info)
        if self.on_chunk_closed:
            self.on_chunk_closed(info)
        return info

    # ------------------------------------------------------------------ flushing

    def _write_out(self, sync: bool) -> None:
        if self._buffer:
            view = memoryview(self._buffer)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self._offset += len(self._buffer)
            self._buffer = bytearray()
        if sync:
            os.fsync(self._fd)

    def flush(self) -> None:
        """Hand what is buffered to the OS (survives a killed process, not a power cut)."""
        with self._lock:
            if not self._closed:
                self._write_out(sync=False)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush()

    def close(self) -> list[ChunkInfo]:
        """Close the open chunk, sync the file and stop; returns every chunk closed."""
        self._stop.set()
        self._flusher.join()
        with self._lock:
            if not self._closed:
                self._close_chunk()
                self._write_out(sync=True)
                self._closed = True
                os.close(self._fd)
        return list(self.chunks)

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class _OpenChunk:
    start: int
    size: int = 0
    records: int = 0
    first_utc: int = 0
    last_utc: int = 0
    opened_mono: int = field(default_factory=time.monotonic_ns)
    sha: hashlib._Hash = field(default_factory=hashlib.sha256)

    def add(self, record: bytes, mono: int, utc: int) -> None:
        if self.records == 0:
            self.first_utc, self.opened_mono = utc, mono
        self.sha.update(record)
        self.size += len(record)
        self.records += 1
        self.last_utc = utc


# ---------------------------------------------------------------------- reading


@dataclass
class ReadReport:
    """What reading a journal found besides the records."""

    records: int = 0
    chunks: list[ChunkInfo] = field(default_factory=list)
    channels: dict[int, str] = field(default_factory=dict)
    bad_chunks: list[int] = field(default_factory=list)
    """Sequence numbers of chunks whose SHA-256 does not match their records."""
    damaged: list[tuple[int, str]] = field(default_factory=list)
    """(offset, what) of every damaged stretch skipped in the middle of the file."""
    truncated_at: int | None = None
    """Offset where a torn last record starts (None: the file ends on a whole record)."""
    size: int = 0

    @property
    def intact(self) -> bool:
        return not (self.bad_chunks or self.damaged or self.truncated_at is not None)


class JournalError(ValueError):
    """The file is not a maillage journal at all."""


def read_journal(path: Path) -> tuple[list[Record], ReadReport]:
    """Every complete record of the journal, and what was found damaged or torn.

    The pure-Python reader: one ``Record`` per record. ``scan_journal`` reads the same
    records (and fills the same report) in one compiled pass, as arrays.
    """
    records = list(iter_journal(path, report := ReadReport()))
    return records, report


def iter_journal(path: Path, report: ReadReport) -> Iterator[Record]:
    """Records in file order; ``report`` is filled as they are read.

    A record is accepted only whole and with a matching CRC. A damaged stretch
    is skipped to the next record that checks (and reported); a torn record at
    the very end is the truncated tail of a killed writer.
    """
    data = path.read_bytes()
    report.size = len(data)
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):  # killed before the header was complete
            report.truncated_at = 0
            return
        raise JournalError(f"{path} is not a maillage capture journal")
    pos = len(MAGIC)
    chunk_start, chunk_sha, chunk_records, first_utc, last_utc = pos, hashlib.sha256(), 0, 0, 0
    while pos < len(data):
        rec, end = _record_at(data, pos)
        if rec is None:
            resume = _next_good(data, pos + 1)
            if resume is None:
                report.truncated_at = pos
                return
            report.damaged.append((pos, f"{resume - pos} bytes skipped"))
            pos, chunk_sha = resume, hashlib.sha256()  # the chunk cannot match any more
            chunk_records = -1
            continue
        if rec.kind == CHUNK:
            seq, count, digest = _CHUNK.unpack(rec.data)
            info = ChunkInfo(seq, chunk_start, pos, count, digest.hex(), first_utc, last_utc)
            report.chunks.append(info)
            if chunk_records != count or chunk_sha.digest() != digest:
                report.bad_chunks.append(seq)
            chunk_start, chunk_sha, chunk_records = end, hashlib.sha256(), 0
        else:
            if chunk_records == 0:
                first_utc = rec.utc_ns
            last_utc = rec.utc_ns
            if chunk_records >= 0:
                chunk_records += 1
            chunk_sha.update(data[pos:end])
            if rec.kind == CHANNEL:
                report.channels[rec.channel] = rec.data.decode("utf-8", "replace")
            report.records += 1
            yield rec
        pos = end


def _record_at(data: bytes, pos: int) -> tuple[Record | None, int]:
    """The record starting at ``pos`` if it is whole and checks, and where it ends."""
    if data[pos : pos + 2] != SYNC or pos + HEADER_BYTES > len(data):
        return None, pos
    kind, mono, utc, channel, length = _HEAD.unpack_from(data, pos + 2)
    end = pos + HEADER_BYTES + length + _CRC.size
    if kind not in KINDS or length > MAX_RECORD_BYTES or end > len(data):
        return None, pos
    if kind == CHUNK and length != _CHUNK.size:  # a CHUNK record is seq, count and digest
        return None, pos
    (crc,) = _CRC.unpack_from(data, end - _CRC.size)
    if zlib.crc32(data[pos + 2 : end - _CRC.size]) != crc:
        return None, pos
    return Record(kind, mono, utc, channel, data[pos + HEADER_BYTES : end - _CRC.size], pos), end


def _next_good(data: bytes, start: int) -> int | None:
    """Offset of the next record that checks after ``start`` (None: none left)."""
    pos = data.find(SYNC, start)
    while pos != -1:
        if _record_at(data, pos)[0] is not None:
            return pos
        pos = data.find(SYNC, pos + 1)
    return None


def _map_file(path: Path) -> bytes | mmap.mmap:
    """The file's bytes mapped read-only (no copy; the pages are mapped at once)."""
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        populate = getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED | populate, prot=mmap.PROT_READ)


def _walk(
    path: Path, data: bytes | mmap.mmap, gather: bool
) -> tuple[journal_walk.JournalWalk, ReadReport]:
    report = ReadReport(size=len(data))
    head = data[: len(MAGIC)]
    if head != MAGIC and not MAGIC.startswith(head):
        raise JournalError(f"{path} is not a maillage capture journal")
    walk = journal_walk.walk_journal(data, len(MAGIC) if head == MAGIC else len(data), gather)
    if head != MAGIC:  # killed before the header was complete
        report.truncated_at = 0
        return walk, report
    report.records = walk.records
    report.channels = dict(walk.channel_names)
    report.damaged = [(at, f"{skipped} bytes skipped") for at, skipped in walk.damaged]
    report.truncated_at = walk.truncated_at
    columns = zip(
        walk.chunk_seq.tolist(),
        walk.chunk_start.tolist(),
        walk.chunk_end.tolist(),
        walk.chunk_records.tolist(),
        [bytes(d).hex() for d in walk.chunk_sha256],
        walk.chunk_first_utc_ns.tolist(),
        walk.chunk_last_utc_ns.tolist(),
        walk.chunk_bad.tolist(),
        strict=True,
    )
    for seq, start, end, count, digest, first, last, bad in columns:
        report.chunks.append(ChunkInfo(seq, start, end, count, digest, first, last))
        if bad:
            report.bad_chunks.append(seq)
    return walk, report


def scan_journal(path: Path) -> tuple[journal_walk.JournalWalk, ReadReport]:
    """Every record of the journal checked in one compiled pass, as arrays, and the report.

    The same rules and the same ``ReadReport`` as ``read_journal`` (its reference in the
    tests), with no Python object per record: ``JournalWalk.data`` holds each channel's
    DATA bytes end to end with every record's stamps and offsets, for the bulk decoders.
    """
    data = _map_file(path)
    try:
        return _walk(path, data, gather=True)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def map_journal(
    path: Path,
) -> tuple[bytes | mmap.mmap, journal_walk.JournalWalk, ReadReport]:
    """``scan_journal`` without copying any channel's bytes: the file stays mapped.

    For decoding a block at a time (``ext.journal_walk.gather_block``) straight from the
    file: the map is returned with the walk and closes when the last reference goes.
    """
    data = _map_file(path)
    walk, report = _walk(path, data, gather=False)
    return data, walk, report


def chunk_sha256(path: Path, chunk: ChunkInfo) -> str:
    """SHA-256 of a chunk's bytes as they are in the file now (to verify a copied journal)."""
    with path.open("rb") as f:
        f.seek(chunk.start)
        return hashlib.sha256(f.read(chunk.end - chunk.start)).hexdigest()
