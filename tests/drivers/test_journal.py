"""The capture journal on real files: round trip, chunk hashes, torn tails, damaged bytes, and a
writer process killed with SIGKILL whose every complete record reads back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.journal import (
    CHANNEL,
    DATA,
    MAGIC,
    NOTE,
    ChunkInfo,
    JournalError,
    JournalWriter,
    chunk_sha256,
    read_journal,
)


def write_sample(path: Path, chunk_bytes: int = 1 << 20) -> list[ChunkInfo]:
    closed: list[ChunkInfo] = []
    with JournalWriter(path, chunk_bytes=chunk_bytes, on_chunk_closed=closed.append) as j:
        gps, imu = j.declare("gps"), j.declare("imu")
        assert j.declare("gps") == gps  # declared once
        for i in range(50):
            j.write(gps, f"$GPGGA,{i}*00\r\n".encode())
            j.write(imu, bytes([0x55, 0x51, i]) + bytes(8))
        j.note("imu unplugged", imu)
    return closed


def test_round_trip_in_order_with_channels_and_chunk_hashes(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    closed = write_sample(path, chunk_bytes=1500)
    records, report = read_journal(path)

    assert report.intact
    assert report.channels == {0: "gps", 1: "imu"}
    kinds = [r.kind for r in records]
    assert kinds.count(CHANNEL) == 2 and kinds.count(NOTE) == 1 and kinds.count(DATA) == 100
    gps = [r.data for r in records if r.kind == DATA and r.channel == 0]
    assert gps == [f"$GPGGA,{i}*00\r\n".encode() for i in range(50)]
    assert records[-1].data == b"imu unplugged"
    monotonic = [r.monotonic_ns for r in records]
    assert monotonic == sorted(monotonic)

    assert len(closed) > 2  # small chunks: several closed while writing, one at close
    assert report.chunks == closed
    assert sum(c.records for c in closed) == len(records)
    for chunk in closed:
        assert chunk_sha256(path, chunk) == chunk.sha256


def test_every_torn_tail_keeps_the_complete_records(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    write_sample(path)
    whole = path.read_bytes()
    records, _ = read_journal(path)
    last = records[-1]  # the NOTE before the closing CHUNK record
    for cut in range(last.offset, len(whole)):  # every length through the last records
        path.write_bytes(whole[:cut])
        got, report = read_journal(path)
        if cut == last.offset:
            assert report.truncated_at is None and got == records[:-1]
        else:
            assert got[: len(records) - 1] == records[:-1]
            assert report.truncated_at is not None or got == records
        assert not report.damaged


def test_a_damaged_byte_loses_one_record_and_flags_its_chunk(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    write_sample(path, chunk_bytes=1500)
    records, clean = read_journal(path)
    victim = records[40]
    data = bytearray(path.read_bytes())
    data[victim.offset + 20] ^= 0x04
    path.write_bytes(bytes(data))

    got, report = read_journal(path)
    assert [r.offset for r in got] == [r.offset for r in records if r.offset != victim.offset]
    assert len(report.damaged) == 1 and report.damaged[0][0] == victim.offset
    bad = [c.seq for c in clean.chunks if c.start <= victim.offset < c.end]
    assert report.bad_chunks == bad
    assert not report.intact


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.journal"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(JournalError, match="is not a maillage capture journal"):
        read_journal(path)
    path.write_bytes(MAGIC[:5])  # killed while writing the header
    records, report = read_journal(path)
    assert records == [] and report.truncated_at == 0


@settings(max_examples=150, deadline=None)
@given(tail=st.binary(max_size=300))
def test_garbage_after_a_journal_never_raises(
    tmp_path_factory: pytest.TempPathFactory, tail: bytes
) -> None:
    path = tmp_path_factory.mktemp("j") / "s.journal"
    write_sample(path)
    records, _ = read_journal(path)
    with path.open("ab") as f:
        f.write(tail)
    got, _ = read_journal(path)
    assert got[: len(records)] == records


WRITER = """
import sys, time
from pathlib import Path
from drivers.journal import JournalWriter
j = JournalWriter(Path(sys.argv[1]), chunk_bytes=4096, flush_interval_s=0.2)
ch = j.declare("imu")
if sys.argv[2] == "one":
    j.write(ch, b"only record")
    sys.stdin.read()  # idle until killed: only the periodic flush can put it on disk
else:
    i = 0
    while True:
        j.write(ch, i.to_bytes(4, "little"))
        i += 1
"""


def spawn_writer(path: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until(child: subprocess.Popen[bytes], condition: object, what: str) -> None:
    """Poll ``condition`` (bounded) while the child runs; fail naming what never happened."""
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert child.poll() is None, child.stderr.read() if child.stderr else b""
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


def test_a_killed_writer_loses_nothing_but_its_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "k.journal"
    child = spawn_writer(path, "many")
    try:
        wait_until(
            child, lambda: path.exists() and len(read_journal(path)[1].chunks) >= 3, "3 chunks"
        )
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    records, report = read_journal(path)
    values = [int.from_bytes(r.data, "little") for r in records if r.kind == DATA]
    assert values == list(range(len(values)))  # every complete record, in order, none missing
    assert len(report.chunks) >= 3 and not report.bad_chunks and not report.damaged


def test_a_lone_record_reaches_the_disk_without_further_writes(tmp_path: Path) -> None:
    path = tmp_path / "one.journal"
    child = spawn_writer(path, "one")
    try:
        wait_until(
            child,
            lambda: path.exists() and any(r.data == b"only record" for r in read_journal(path)[0]),
            "the record flushed",
        )
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
