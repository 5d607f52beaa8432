"""A capture journal left open by a recorder that was killed: read it, seal it, say what it holds.

A recorder holds an exclusive ``flock`` on its journal while it records (``lock_journal``);
the kernel drops it when the process dies, so a journal nobody holds is one whose recorder is
gone. ``seal`` then makes the journal whole again, the way the recorder's own close would
have:

- a torn last record (the process died while the record was being written) is moved, byte
  for byte, to ``NAME.torn`` beside the journal, and the journal is cut where it began;
- the complete records written after the last closed chunk get a NOTE (who closed it, why,
  where the torn bytes went) and a CHUNK record, so every complete record is in a chunk
  whose SHA-256 the session can record, export and verify.

A journal damaged in its middle is refused: that is not what a killed writer leaves.
Nothing else is rewritten, and sealing twice changes nothing the second time.

``Recovered`` is what the sealed journal holds: its chunks, the torn tail, and per channel
the bytes, notes (disconnected, connected), gaps and counters derived from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.journal import (
    CHUNK,
    DATA,
    HEADER_BYTES,
    MAGIC,
    NOTE,
    SYNC,
    ChunkInfo,
    Record,
    encode_record,
    read_journal,
)
from drivers.readings import models_of

TORN_SUFFIX = ".torn"
SEALED_NOTE = "closed after an interruption"
"""How the NOTE that ``seal`` writes begins (a second ``seal`` finds it)."""
_HEAD = struct.Struct("<BQqBI")
_CHUNK = struct.Struct("<II32s")


class JournalBusy(Exception):
    """A recorder holds the journal: it is still recording."""


class JournalDamaged(ValueError):
    """The journal is damaged in its middle (not only a torn tail): it is not sealed."""


# ---------------------------------------------------------------------- the recorder's lock


def lock_journal(path: Path) -> int:
    """Take the journal's exclusive lock for a recorder; returns the descriptor to keep open.

    Raises ``JournalBusy`` if another recorder (or a ``seal``) holds it.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalBusy(f"{path} is held by a recorder") from None
    return fd


def unlock_journal(fd: int) -> None:
    """Let the journal go (closing the descriptor drops the lock)."""
    with contextlib.suppress(OSError):
        os.close(fd)


# ---------------------------------------------------------------------- what a journal holds


@dataclass(frozen=True)
class TornTail:
    """The incomplete last record of a killed writer, kept in ``kept_as`` beside the journal."""

    offset: int
    """Where it began in the journal (the journal now ends there, or goes on with the seal)."""
    size: int
    kept_as: str
    """File name of the copy of its bytes (``NAME.torn``)."""
    channel: str | None
    """The channel it was written for, when its header survived (None: unknown)."""
    utc_ns: int | None
    """Its UTC stamp, when its header survived."""


@dataclass(frozen=True)
class JournalGap:
    """A stretch with nothing from a channel, as the journal shows it (UTC ns)."""

    channel: str
    since_ns: int
    until_ns: int
    reason: str


@dataclass
class Recovered:
    """What a sealed journal holds."""

    path: Path
    chunks: list[ChunkInfo]
    sealed: ChunkInfo | None
    """The chunk ``seal`` closed now (None: every record was already in a chunk)."""
    torn: TornTail | None
    records: int
    """Complete records, the seal's NOTE included."""
    first_utc_ns: int
    last_utc_ns: int
    """UTC stamp of the last record the recorder wrote (the seal's own records aside)."""
    channel_bytes: dict[str, bytes] = field(default_factory=dict)
    channel_last_ns: dict[str, int] = field(default_factory=dict)
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(UTC ns, text) of every NOTE the recorder wrote, in order."""

    def counters(self, kinds: dict[str, str]) -> dict[str, dict[str, int]]:
        """Counters of each channel (``kinds``: channel name → sensor kind) from its bytes.

        The bytes are decoded with the model of that kind that makes the most frames of
        them (the session names the kind, not the model); reconnections come from the notes.
        """
        out: dict[str, dict[str, int]] = {}
        for name, kind in kinds.items():
            data = self.channel_bytes.get(name, b"")
            best = None
            for m in models_of(kind):
                codec = m.codec()
                codec.feed(data)
                if best is None or codec.frames > best.frames:
                    best = codec
            out[name] = {
                "frames": best.frames if best else 0,
                "checksum_errors": best.checksum_errors if best else 0,
                "bytes_dropped": best.bytes_dropped if best else len(data),
                "frames_rejected": best.frames_rejected if best else 0,
                "reconnects": self._reconnects(name),
                "bytes_read": len(data),
            }
        return out

    def _states(self, channel: str) -> list[tuple[int, str]]:
        prefix = f"{channel} "
        out = []
        for utc, text in self.notes:
            if text.startswith(prefix):
                state = text[len(prefix) :].split(":", 1)[0].strip()
                if state in ("connected", "disconnected"):
                    out.append((utc, state))
        return out

    def _reconnects(self, channel: str) -> int:
        count, was_up, down = 0, False, False
        for _, state in self._states(channel):
            if state == "disconnected":
                down = True
            else:
                count += down and was_up
                was_up, down = True, False
        return count

    def gaps(self, channels: list[str]) -> list[JournalGap]:
        """Gaps the notes show (disconnected → connected), one still open when the recorder
        died, and the torn tail's: the lost record's channel, or every channel if unknown."""
        out = []
        for name in channels:
            opened: int | None = None
            was_up = False
            for utc, state in self._states(name):
                if state == "disconnected" and opened is None:
                    opened = utc
                elif state == "connected":
                    if opened is not None:
                        why = "unplugged" if was_up else "not connected at the start"
                        out.append(JournalGap(name, opened, utc, why))
                    opened, was_up = None, True
            if opened is not None:
                why = "unplugged" if was_up else "not connected at the start"
                out.append(
                    JournalGap(name, opened, max(opened, self.last_utc_ns), f"{why}, until the "
                               "recorder was interrupted")
                )  # fmt: skip
        torn = self.torn
        if torn is not None:
            lost = [torn.channel] if torn.channel in channels else channels
            for name in lost:
                since = self.channel_last_ns.get(name, self.last_utc_ns)
                until = max(since, torn.utc_ns or since)
                reason = (
                    f"torn record of {torn.size} bytes at offset {torn.offset} "
                    "(recorder interrupted)"
                )
                out.append(JournalGap(name, since, until, reason))
        return out


def torn_copy(path: Path) -> Path:
    """Where the torn tail of ``path`` is kept."""
    return path.with_name(path.name + TORN_SUFFIX)


def _torn_header(data: bytes, channels: dict[int, str]) -> tuple[str | None, int | None]:
    """(channel name, UTC ns) of a torn record whose header survived, else (None, None)."""
    if len(data) < HEADER_BYTES or not data.startswith(SYNC):
        return None, None
    kind, _, utc, channel, _ = _HEAD.unpack_from(data, len(SYNC))
    return (channels.get(channel) if kind == DATA else None), utc


def _write_file(path: Path, data: bytes) -> None:
    """``data`` into ``path`` whole or not at all (a temporary file, synced, renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _append(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def seal(path: Path, note: str) -> Recovered:
    """Seal the journal of an interrupted recorder (see the module docstring) and read it.

    ``note`` says who closes it and why (it goes into the journal's NOTE). Raises
    ``JournalBusy`` while a recorder holds it, ``JournalDamaged`` for damage in its middle,
    ``drivers.journal.JournalError`` if it is not a journal, ``OSError`` from the disk.
    """
    fd = lock_journal(path)
    try:
        records, report = read_journal(path)
        if report.damaged or report.bad_chunks:
            where = report.damaged[0][0] if report.damaged else report.bad_chunks[0]
            what = "at offset" if report.damaged else "in chunk"
            raise JournalDamaged(f"{path} is damaged {what} {where}, not only at its end")
        copy = torn_copy(path)
        torn_bytes = b""
        if report.truncated_at is not None:
            with path.open("rb") as f:
                f.seek(report.truncated_at)
                torn_bytes = f.read()
            if report.truncated_at == 0:  # died before its header was whole: no record at all
                torn_bytes = b""
                with path.open("wb") as f:
                    f.write(MAGIC)
                    f.flush()
                    os.fsync(f.fileno())
            else:
                _write_file(copy, torn_bytes)
                os.truncate(path, report.truncated_at)
                with path.open("rb+") as f:
                    os.fsync(f.fileno())
            records, report = read_journal(path)
        last_chunk_at = report.chunks[-1].end if report.chunks else -1
        open_records = [r for r in records if r.offset > last_chunk_at]
        if torn_bytes or open_records:
            why = (
                f"; torn record of {len(torn_bytes)} bytes at offset {report.size} kept in "
                f"{copy.name}"
                if torn_bytes
                else ""
            )
            text = f"{SEALED_NOTE} by {note}{why}"
            _seal_open(path, open_records, report.size, len(report.chunks), text)
            records, report = read_journal(path)
        if not report.intact:
            raise JournalDamaged(f"{path} does not read back whole after sealing")
        return _recovered(path, records, report.chunks, report.channels, copy, last_chunk_at)
    finally:
        unlock_journal(fd)


def _seal_open(path: Path, open_records: list[Record], size: int, seq: int, text: str) -> None:
    """Append a NOTE and the CHUNK record closing every record after the last chunk."""
    start = open_records[0].offset if open_records else size
    with path.open("rb") as f:
        f.seek(start)
        body = f.read(size - start)
    note = encode_record(NOTE, time.monotonic_ns(), time.time_ns(), 255, text.encode())
    body += note
    closing = encode_record(
        CHUNK,
        time.monotonic_ns(),
        time.time_ns(),
        255,
        _CHUNK.pack(seq, len(open_records) + 1, hashlib.sha256(body).digest()),
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        _append(fd, note + closing)
    finally:
        os.close(fd)


def _recovered(
    path: Path,
    records: list[Record],
    chunks: list[ChunkInfo],
    channels: dict[int, str],
    copy: Path,
    sealed_after: int,
) -> Recovered:
    seal_note = next(
        (r for r in records if r.kind == NOTE and r.data.startswith(SEALED_NOTE.encode())), None
    )
    ours = [r for r in records if r is not seal_note]
    torn = None
    if seal_note is not None and copy.is_file():
        data = copy.read_bytes()
        channel, utc = _torn_header(data, channels)
        torn = TornTail(seal_note.offset, len(data), copy.name, channel, utc)
    sealed = next((c for c in chunks if c.start > sealed_after), None)
    if seal_note is not None and sealed is None:  # sealed by an earlier close
        sealed = next((c for c in chunks if c.start <= seal_note.offset < c.end), None)
    out = Recovered(
        path,
        chunks,
        sealed,
        torn,
        len(records),
        ours[0].utc_ns if ours else 0,
        ours[-1].utc_ns if ours else 0,
    )
    parts: dict[str, list[bytes]] = {}
    for r in ours:
        if r.kind == DATA:
            name = channels.get(r.channel, str(r.channel))
            parts.setdefault(name, []).append(r.data)
            out.channel_last_ns[name] = r.utc_ns
        elif r.kind == NOTE:
            out.notes.append((r.utc_ns, r.data.decode("utf-8", "replace")))
    out.channel_bytes = {name: b"".join(p) for name, p in parts.items()}
    return out
