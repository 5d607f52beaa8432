"""GY-MCU90640 codec: a frame built from the layout, the pinned checksum, commands, resync."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from drivers.codecs.thermal import (
    FRAME_LEN,
    ThermalCodec,
    ThermalFrame,
    command,
    continuous_output,
    encode_frame,
    query_mode,
)


def raw_pixels() -> list[int]:
    """Centi-degrees, row-major: row r, column c holds 2000 + 100 r + c (and one below zero)."""
    values = [2000 + 100 * r + c for r in range(24) for c in range(32)]
    values[5 * 32 + 7] = -1234
    return values


def hand_built(ambient_centi: int = 2345, checksum: str = "word sum") -> bytes:
    body = (
        b"\x5a\x5a\x02\x06" + struct.pack("<768h", *raw_pixels()) + struct.pack("<h", ambient_centi)
    )
    words = struct.unpack(f"<{len(body) // 2}H", body)
    sums = {
        "word sum": sum(words),
        "byte sum": sum(body),
        "word sum without header": sum(words[2:]),
    }
    return body + struct.pack("<H", sums[checksum] & 0xFFFF)


def test_commands_are_the_known_bytes() -> None:
    assert continuous_output() == bytes.fromhex("A5 35 02 DC")
    assert query_mode() == bytes.fromhex("A5 35 01 DB")
    assert command(0x25, 0x01) == bytes.fromhex("A5 25 01 CB")


def test_frame_decodes_to_a_row_major_image_in_celsius() -> None:
    frame = hand_built()
    assert len(frame) == FRAME_LEN == 1544
    (image,) = ThermalCodec().feed(frame)
    assert image.pixels_c.shape == (24, 32) and image.pixels_c.dtype == np.float32
    assert image.pixels_c[0, 0] == pytest.approx(20.0)
    assert image.pixels_c[0, 31] == pytest.approx(20.31)
    assert image.pixels_c[23, 0] == pytest.approx(43.0)
    assert image.pixels_c[5, 7] == pytest.approx(-12.34)
    assert image.ambient_c == 23.45
    assert not image.pixels_c.flags.writeable


def test_checksum_is_the_word_sum_including_header_and_size() -> None:
    """Pinned choice for the reference's "verify" (sources in drivers/codecs/thermal.py)."""
    codec = ThermalCodec()
    assert len(codec.feed(hand_built(checksum="word sum"))) == 1
    assert codec.feed(hand_built(checksum="byte sum")) == []
    assert codec.feed(hand_built(checksum="word sum without header")) == []
    assert codec.checksum_errors == 2


def test_encoder_matches_the_hand_built_frame() -> None:
    pixels = np.array(raw_pixels()).reshape(24, 32) / 100
    assert encode_frame(pixels, 23.45) == hand_built()
    assert ThermalCodec().feed(encode_frame(pixels, -5.0))[0].ambient_c == -5.0


def test_frames_compare_by_value() -> None:
    (a,) = ThermalCodec().feed(hand_built())
    (b,) = ThermalCodec().feed(hand_built())
    (c,) = ThermalCodec().feed(hand_built(ambient_centi=2346))
    assert a == b and a != c and a != "image"
    assert isinstance(a, ThermalFrame)


def test_garbage_and_false_syncs_are_skipped_and_counted() -> None:
    garbage = b"\x5a\x5a\x5a\x00\x06\xa5\x35"  # two false syncs (wrong size word)
    codec = ThermalCodec()
    assert len(codec.feed(garbage + hand_built() + b"\x5a" + hand_built())) == 2
    assert codec.bytes_dropped == len(garbage) + 1


def test_bad_checksum_is_rejected_counted_and_resynchronised() -> None:
    bad = bytearray(hand_built())
    bad[700] ^= 0x10
    codec = ThermalCodec()
    assert len(codec.feed(bytes(bad) + hand_built())) == 1
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == FRAME_LEN


def test_frame_split_across_reads() -> None:
    codec = ThermalCodec()
    frame = hand_built()
    assert codec.feed(frame[:1000]) == []
    assert len(codec.feed(frame[1000:])) == 1
