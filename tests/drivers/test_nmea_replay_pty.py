"""The quirks corpus replayed through a pseudo-terminal into the real port reader, at 9600 and
115200 Bd: every sentence read live as decoded offline, counters included."""

from __future__ import annotations

import os
import termios
import threading
import time
import tomllib
import tty
from pathlib import Path
from typing import Any

import pytest

from drivers.channel import PortReader
from drivers.codecs import nmea
from drivers.sensors import MODELS

CORPUS = tomllib.loads((Path(__file__).parent / "corpus" / "nmea_quirks.toml").read_text())["quirk"]


def corpus_stream() -> bytes:
    """Every corpus sentence as its receiver sends it, twice, with noise between rounds."""
    lines = []
    for q in CORPUS:
        if "raw" in q:
            lines.append(q["raw"].encode("latin-1"))
            continue
        body = q["body"].encode("latin-1")
        digits = b"%02X" % nmea.checksum(body)
        lines.append(
            b"$" + body + b"*" + (digits.lower() if q.get("case") == "lower" else digits)
            + q.get("end", "\r\n").encode()
        )  # fmt: skip
    one = b"".join(lines)
    return one + b"\x00\xff garbage\r\n" + one


@pytest.mark.parametrize("baud", [9600, 115200])
def test_the_corpus_replayed_on_a_pseudo_terminal_reads_as_offline(baud: int) -> None:
    stream = corpus_stream()
    reference = nmea.NmeaCodec()
    expected = reference.feed(stream)
    accepted = sum(1 for q in CORPUS if q["expect"] != "rejected")
    assert len(expected) == 2 * accepted
    assert reference.frames_rejected == 2 * (len(CORPUS) - accepted)
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    got: list[Any] = []
    reader = PortReader("gps", os.ttyname(slave), MODELS["nmea"], baudrate=baud,
                        on_frames=got.extend)  # fmt: skip
    stop = threading.Event()

    def line() -> None:  # the bytes at the line's pace: 10 bits a byte, 64 bytes a write
        for k in range(0, len(stream), 64):
            os.write(master, stream[k : k + 64])
            if stop.wait(64 * 10 / baud):
                return

    reader.start()
    assert reader.wait_state("connected", 10)
    writer = threading.Thread(target=line, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 60
        while (
            reader.counters.frames + reader.counters.frames_rejected
            < reference.frames + reference.frames_rejected
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)  # wait for the condition, bounded
    finally:
        stop.set()
        writer.join()
        reader.stop()
        os.close(master)
        os.close(slave)
    assert got == expected
    c = reader.counters
    assert (c.frames, c.frames_rejected, c.checksum_errors, c.bytes_dropped) == (
        reference.frames, reference.frames_rejected, reference.checksum_errors,
        reference.bytes_dropped,
    )  # fmt: skip
    assert len(reader.last_arrivals) > 0
