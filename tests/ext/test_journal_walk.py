"""The compiled journal walker (ext.journal_walk via drivers.journal.scan_journal) against the
pure-Python reader (drivers.journal.read_journal), on journals written by JournalWriter: many
channels, empty records, every torn tail, every flipped byte, bad chunks, random bytes."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers import journal
from drivers.journal import (
    CHANNEL,
    CHUNK,
    DATA,
    MAGIC,
    NOTE,
    JournalError,
    JournalWriter,
    encode_record,
    read_journal,
    scan_journal,
)
from ext import journal_walk


def assert_same_as_reference(path: Path) -> journal_walk.JournalWalk:
    """The walk finds exactly the records, channels and report the Python reader finds."""
    records, expected = read_journal(path)
    walk, report = scan_journal(path)
    assert report == expected
    assert walk.records == len(records) == report.records
    assert walk.offset.tolist() == [r.offset for r in records]
    assert walk.kind.tolist() == [r.kind for r in records]
    assert walk.channel.tolist() == [r.channel for r in records]
    assert walk.monotonic_ns.tolist() == [r.monotonic_ns for r in records]
    assert walk.utc_ns.tolist() == [r.utc_ns for r in records]
    assert walk.length.tolist() == [len(r.data) for r in records]
    data = [r for r in records if r.kind == DATA]
    assert sorted(walk.data) == sorted({r.channel for r in data})
    for number, ch in walk.data.items():
        mine = [r for r in data if r.channel == number]
        assert ch.channel == number and len(ch) == len(mine)
        assert ch.payload.dtype == np.uint8 and ch.payload.flags.writeable
        assert ch.payload.tobytes() == b"".join(r.data for r in mine)
        assert ch.ends.tolist() == np.cumsum([len(r.data) for r in mine]).tolist()
        assert ch.utc_ns.tolist() == [r.utc_ns for r in mine]
        assert ch.monotonic_ns.tolist() == [r.monotonic_ns for r in mine]
        assert ch.offset.tolist() == [r.offset for r in mine]
    return walk


def write_many_channels(path: Path, chunk_bytes: int = 700) -> list[journal.ChunkInfo]:
    """Twelve channels, empty records, notes and records of very different sizes."""
    closed: list[journal.ChunkInfo] = []
    with JournalWriter(path, chunk_bytes=chunk_bytes, on_chunk_closed=closed.append) as j:
        numbers = [j.declare(f"ch{k}") for k in range(12)]
        for i in range(60):
            ch = numbers[(i * 7) % len(numbers)]
            j.write(ch, bytes([i]) * (i % 5) * 9)  # every fifth record is empty
            if i % 17 == 0:
                j.note(f"note {i}", ch)
        j.write(numbers[3], bytes(range(256)) * 8)  # one record bigger than a chunk
    return closed


def write_small(path: Path) -> None:
    with JournalWriter(path, chunk_bytes=300) as j:
        a, b = j.declare("gps"), j.declare("imu")
        for i in range(6):
            j.write(a, f"$GPRMC,{i}*00\r\n".encode())
            j.write(b, b"" if i == 2 else bytes([0x55, 0x51, i]) * 3)
        j.note("imu unplugged", b)


def test_layout_constants_agree_with_the_writer() -> None:
    assert journal_walk.SYNC == journal.SYNC
    assert journal_walk.HEADER_BYTES == journal.HEADER_BYTES
    assert journal_walk.MAX_RECORD_BYTES == journal.MAX_RECORD_BYTES
    assert struct.calcsize("<II32s") == journal_walk.CHUNK_BODY_BYTES
    assert (journal_walk.DATA, journal_walk.CHANNEL, journal_walk.NOTE, journal_walk.CHUNK) == (
        DATA,
        CHANNEL,
        NOTE,
        CHUNK,
    )


def test_crc32_is_zlibs_for_every_length_and_alignment() -> None:
    raw = np.random.default_rng(7).integers(0, 256, 4096 + 16, dtype=np.uint8).tobytes()
    assert isinstance(journal_walk.CRC32_FOLDS, bool)
    for start in (0, 1, 7):
        for n in range(4097):
            piece = memoryview(raw)[start : start + n]
            assert journal_walk.crc32(piece) == zlib.crc32(piece), (start, n)
    big = raw * 300  # 1.2 MB: the four-block fold many times over
    assert journal_walk.crc32(big) == zlib.crc32(big)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_crc32_is_zlibs_on_random_bytes(raw: bytes) -> None:
    assert journal_walk.crc32(raw) == zlib.crc32(raw)


def test_many_channels_and_empty_records_match_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    closed = write_many_channels(path)
    walk = assert_same_as_reference(path)
    _, report = scan_journal(path)
    assert report.intact and report.chunks == closed and len(closed) > 3
    assert len(walk.data) == 12 and walk.channel_names == {k: f"ch{k}" for k in range(12)}
    assert (walk.length[walk.kind == DATA] == 0).sum() == 12  # the empty records are there
    assert walk.chunk_bad.tolist() == [False] * len(closed)
    assert [bytes(d).hex() for d in walk.chunk_sha256] == [c.sha256 for c in closed]


def test_every_torn_tail_is_reported_as_the_reader_does(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    write_small(path)
    whole = path.read_bytes()
    truncated = 0
    for cut in range(len(whole) + 1):
        path.write_bytes(whole[:cut])
        assert_same_as_reference(path)
        truncated += scan_journal(path)[1].truncated_at is not None
    assert truncated > len(whole) // 2  # most cuts tear a record


def test_every_flipped_byte_is_reported_as_the_reader_does(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    write_small(path)
    whole = path.read_bytes()
    bad_chunks = damaged = 0
    for at in range(len(MAGIC), len(whole)):
        flipped = bytearray(whole)
        flipped[at] ^= 0x10
        path.write_bytes(bytes(flipped))
        assert_same_as_reference(path)
        report = scan_journal(path)[1]
        assert not report.intact
        bad_chunks += bool(report.bad_chunks)
        damaged += bool(report.damaged)
    assert bad_chunks and damaged


def test_a_chunk_whose_hash_does_not_match_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    closed = write_many_channels(path)
    records, _ = read_journal(path)
    data = bytearray(path.read_bytes())
    victim = closed[2]
    # a CHUNK record that checks (good CRC) but states another SHA-256
    body = struct.pack("<II32s", victim.seq, victim.records, hashlib.sha256(b"other").digest())
    forged = encode_record(CHUNK, 1, 2, 255, body)
    assert len(forged) == len(encode_record(CHUNK, 1, 2, 255, bytes(40)))
    data[victim.end : victim.end + len(forged)] = forged
    path.write_bytes(bytes(data))
    walk = assert_same_as_reference(path)
    report = scan_journal(path)[1]
    assert report.bad_chunks == [victim.seq] and not report.damaged
    assert walk.chunk_bad.tolist() == [c.seq == victim.seq for c in closed]
    assert walk.records == len(records)  # its records still check one by one


def test_a_chunk_with_a_wrong_count_is_bad_and_a_malformed_chunk_record_is_damage(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.journal"
    sha = hashlib.sha256()
    rec = encode_record(DATA, 1, 10, 0, b"abc")
    sha.update(rec)
    wrong_count = encode_record(CHUNK, 2, 11, 255, struct.pack("<II32s", 0, 2, sha.digest()))
    short_chunk = encode_record(CHUNK, 3, 12, 255, b"\x00" * 12)  # not seq, count and digest
    path.write_bytes(MAGIC + rec + wrong_count + short_chunk + rec)
    assert_same_as_reference(path)
    report = scan_journal(path)[1]
    assert report.bad_chunks == [0]
    at = len(MAGIC) + len(rec) + len(wrong_count)
    assert report.damaged == [(at, f"{len(short_chunk)} bytes skipped")]


def test_headers_not_journals_and_empty_files(tmp_path: Path) -> None:
    path = tmp_path / "x.journal"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(JournalError, match="is not a maillage capture journal"):
        scan_journal(path)
    for size in range(len(MAGIC) + 1):  # killed while writing the header, or just after
        path.write_bytes(MAGIC[:size])
        walk = assert_same_as_reference(path)
        assert walk.records == 0 and walk.data == {}


def test_walk_takes_any_buffer_and_checks_its_start(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    write_small(path)
    raw = path.read_bytes()
    a = journal_walk.walk_journal(raw, len(MAGIC))
    for other in (bytearray(raw), memoryview(raw), np.frombuffer(raw, dtype=np.uint8)):
        b = journal_walk.walk_journal(other, len(MAGIC))
        assert b.offset.tolist() == a.offset.tolist() and b.records == a.records
    with pytest.raises(ValueError, match="outside"):
        journal_walk.walk_journal(raw, len(raw) + 1)


record_parts = st.one_of(
    st.binary(max_size=40),  # garbage
    st.tuples(
        st.sampled_from([DATA, DATA, DATA, CHANNEL, NOTE, CHUNK, 4, 200]),
        st.integers(0, 2**64 - 1),
        st.integers(-(2**63), 2**63 - 1),
        st.integers(0, 255),
        st.binary(max_size=60),
    ),
)


def build(parts: list, cut: int | None, flip: int | None) -> bytes:
    """A journal of encoded records (some of unknown kinds or malformed) and garbage."""
    out = bytearray(MAGIC)
    for part in parts:
        if isinstance(part, bytes):
            out += part
        else:
            kind, mono, utc, channel, data = part
            if kind == CHUNK and len(data) != 40 and len(data) % 2:
                data = (data * 40)[:40]  # a well-formed CHUNK record half of the time
            body = struct.pack("<BQqBI", kind, mono, utc, channel, len(data)) + data
            out += journal.SYNC + body + struct.pack("<I", zlib.crc32(body))
    if flip is not None and len(out) > len(MAGIC):
        out[len(MAGIC) + flip % (len(out) - len(MAGIC))] ^= 0x01
    return bytes(out[:cut] if cut is not None else out)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(record_parts, max_size=25),
    st.one_of(st.none(), st.integers(0, 3000)),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_random_journals_never_crash_and_match_the_reader(
    tmp_path_factory: pytest.TempPathFactory, parts: list, cut: int | None, flip: int | None
) -> None:
    path = tmp_path_factory.mktemp("j") / "r.journal"
    path.write_bytes(build(parts, cut, flip))
    assert_same_as_reference(path)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_walker(raw: bytes) -> None:
    for start in (0, min(len(raw), 3)):
        walk = journal_walk.walk_journal(raw, start)
        assert walk.size == len(raw)
        assert walk.truncated_at is None or start <= walk.truncated_at < len(raw)
        assert sum(skipped for _, skipped in walk.damaged) <= len(raw)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 2**32 - 1))
def test_blocks_gathered_from_an_ungathered_walk_are_the_payload(limit: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    raw = bytearray(MAGIC)
    for i in range(int(rng.integers(0, 80))):
        size = int(rng.integers(0, 700))
        raw += encode_record(DATA, i, i, int(rng.integers(0, 3)), rng.bytes(size))
    raw = bytes(raw)
    gathered = journal_walk.walk_journal(raw, len(MAGIC))
    walk = journal_walk.walk_journal(raw, len(MAGIC), gather=False)
    assert sorted(walk.data) == sorted(gathered.data)
    for number, ch in walk.data.items():
        assert ch.payload is None
        np.testing.assert_array_equal(ch.ends, gathered.data[number].ends)
        out = np.empty(limit + journal_walk.MAX_RECORD_BYTES, dtype=np.uint8)
        parts, first = [], 0
        while first < len(ch):
            before = first
            first, filled = journal_walk.gather_block(raw, ch, first, out, 0, limit)
            assert first > before  # one record at least, every time
            parts.append(out[:filled].tobytes())
        assert b"".join(parts) == gathered.data[number].payload.tobytes()


def test_gather_block_refuses_a_small_buffer_and_another_journal() -> None:
    raw = MAGIC + encode_record(DATA, 1, 1, 0, b"abc") + encode_record(DATA, 2, 2, 0, b"de")
    ch = journal_walk.walk_journal(raw, len(MAGIC), gather=False).data[0]
    small = np.empty(10, dtype=np.uint8)
    with pytest.raises(ValueError, match="needs room"):
        journal_walk.gather_block(raw, ch, 0, small, 0, 10)
    out = np.empty(journal_walk.MAX_RECORD_BYTES + 10, dtype=np.uint8)
    with pytest.raises(ValueError, match="not in the given journal"):
        journal_walk.gather_block(raw[:30], ch, 0, out, 0, 10)
    with pytest.raises(ValueError, match="out of range"):
        journal_walk.gather_block(raw, ch, 3, out, 0, 10)
    assert journal_walk.gather_block(raw, ch, 0, out, 0, 1) == (1, 3)
    assert journal_walk.gather_block(raw, ch, 0, out, 0, 100) == (2, 5)
