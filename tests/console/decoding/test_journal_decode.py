"""Decoding a journal block by block from the mapped file (console.decoding.journal) gives
exactly what decoding each channel's whole stream at once gives, wherever records and blocks
cut frames."""

from __future__ import annotations

import dataclasses
import itertools
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.decoding import journal as decode
from domain.errors import InvalidInputError
from drivers.codecs.thermal import encode_frame
from drivers.journal import DATA, JournalWriter, read_journal
from ext import frames


def wit_stream(rng: np.random.Generator, n: int) -> bytes:
    out = bytearray()
    for i in range(n):
        body = bytes([0x55, 0x51 + i % 3]) + struct.pack("<4h", *rng.integers(-32768, 32767, 4))
        out += body + bytes([sum(body) & 0xFF])
        if rng.random() < 0.05:
            out += rng.integers(0, 256, int(rng.integers(1, 12)), dtype=np.uint8).tobytes()
    return bytes(out)


def nmea_stream(rng: np.random.Generator, n: int) -> bytes:
    out = bytearray()
    for i in range(n):
        lat, lon = 4723.0 + rng.random(), 41.0 + rng.random()
        body = (
            f"GNRMC,08{i // 600 % 60:02d}{i // 10 % 60:02d}.{i % 10}0,A,{lat:09.4f},N,"
            f"{lon:010.4f},E,{rng.random() * 20:.2f},173.2,020326,,,A"
        )
        xor = 0
        for c in body.encode():
            xor ^= c
        out += f"${body}*{xor:02X}\r\n".encode()
        if rng.random() < 0.05:
            out += b"$GNGGA,garbage"
    return bytes(out)


def thermal_stream(rng: np.random.Generator, n: int) -> bytes:
    return b"".join(
        encode_frame(rng.uniform(-10, 40, (24, 32)), float(rng.uniform(0, 10))) for _ in range(n)
    )


def write_journal(path: Path, seed: int) -> dict[str, bytes]:
    """Three channels' streams cut at random places into interleaved records (some empty)."""
    rng = np.random.default_rng(seed)
    streams = {
        "gps": nmea_stream(rng, 120),
        "imu": wit_stream(rng, 900),
        "thermal": thermal_stream(rng, 12),
    }
    pieces: list[tuple[str, bytes]] = []
    for name, data in streams.items():
        cuts = np.sort(rng.integers(0, len(data) + 1, int(rng.integers(1, 60))))
        bounds = [0, *cuts.tolist(), len(data)]
        pieces += [(name, data[a:b]) for a, b in itertools.pairwise(bounds)]
    order = rng.permutation(len(pieces))
    seen: dict[str, int] = {}
    with JournalWriter(path, chunk_bytes=int(rng.integers(500, 20_000))) as journal:
        numbers = {name: journal.declare(name) for name in streams}
        # records of one channel keep their order; channels interleave at random
        queues = {name: [p for n, p in pieces if n == name] for name in streams}
        for k in order.tolist():
            name = pieces[k][0]
            i = seen.get(name, 0)
            seen[name] = i + 1
            journal.write(numbers[name], queues[name][i])
    return streams


@contextmanager
def block_bytes(size: int) -> Iterator[None]:
    """Decode with blocks of ``size`` bytes (the module's setting, restored after)."""
    before = decode._BLOCK_BYTES
    decode._BLOCK_BYTES = size
    try:
        yield
    finally:
        decode._BLOCK_BYTES = before


def assert_same_observations(a: decode.Observations, b: decode.Observations) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5000))
def test_blocks_of_any_size_give_the_whole_streams_frames(
    tmp_path_factory: pytest.TempPathFactory, seed: int, size: int
) -> None:
    path = tmp_path_factory.mktemp("j") / "van.journal"
    streams = write_journal(path, seed)
    with block_bytes(1 << 30):  # one block: each channel's whole stream at once
        whole, _ = decode.decode_journal(path)
    with block_bytes(size):
        blocks, _ = decode.decode_journal(path)
    assert_same_observations(blocks, whole)

    # and the whole stream's frames are the bulk decoders' on the channel's bytes joined
    imu = frames.decode_witmotion(streams["imu"])
    np.testing.assert_array_equal(blocks.imu_az_g, imu.accel_g[:, 2])
    thermal = frames.decode_thermal(streams["thermal"])
    np.testing.assert_array_equal(blocks.thermal_image_c, thermal.image_c)
    rmc = frames.decode_nmea(streams["gps"]).rmc
    assert sorted(blocks.gps_lat_deg.tolist()) == sorted(rmc.lat_deg[rmc.valid].tolist())


def test_channels_bytes_and_records_read_back_from_the_map(tmp_path: Path) -> None:
    path = tmp_path / "van.journal"
    streams = write_journal(path, 7)
    content = decode.read_channels(path)
    records, report = read_journal(path)
    assert content.intact == report.intact and content.chunks == report.chunks
    for name, data in streams.items():
        ch = content.channels[name]
        assert ch.size == len(data) and ch.data.tobytes() == data
        number = {v: k for k, v in report.channels.items()}[name]
        written = [
            (r.data, r.utc_ns) for r in records if r.kind == DATA and r.channel == number and r.data
        ]
        assert list(ch.records()) == written


def test_a_file_that_is_not_a_journal_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.journal"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(InvalidInputError, match="is not a maillage capture journal"):
        decode.read_channels(path)
    with pytest.raises(InvalidInputError, match="cannot read the journal"):
        decode.read_channels(tmp_path / "missing.journal")


def test_numpys_huge_page_advice_is_as_it_was_after_decoding(tmp_path: Path) -> None:
    multiarray = getattr(np, "_core", np).multiarray
    if not hasattr(multiarray, "_set_madvise_hugepage"):
        pytest.skip("this NumPy has no huge-page advice setting")
    path = tmp_path / "van.journal"
    write_journal(path, 3)
    before = multiarray._set_madvise_hugepage(True)
    try:
        for setting in (True, False):
            multiarray._set_madvise_hugepage(setting)
            decode.decode_journal(path)
            assert multiarray._set_madvise_hugepage(setting) is setting
    finally:
        multiarray._set_madvise_hugepage(before)
