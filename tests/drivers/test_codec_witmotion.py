"""WitMotion codec: frames built by hand from the protocol, commands, resync and rejects."""

from __future__ import annotations

import pytest

from drivers.codecs.witmotion import (
    Acceleration,
    Angle,
    AngularRate,
    WitCodec,
    WitOther,
    command,
    encode_frame,
    g_to_mps2,
    save,
    set_output_rate,
    unlock,
)

ACCEL = bytes.fromhex("55 51 00 40 00 C0 00 08 E6 09 9D")  # 8 g, -8 g, 1 g, 25.34 °C
RATE = bytes.fromhex("55 52 00 40 00 E0 00 00 00 00 C7")  # 1000, -500, 0 °/s
ANGLE = bytes.fromhex("55 53 00 40 00 80 AA 2A 00 00 3C")  # 90°, -180°, 10922 LSB


def test_hand_built_frames_decode_to_physical_values() -> None:
    codec = WitCodec()
    assert codec.feed(ACCEL + RATE + ANGLE) == [
        Acceleration(8.0, -8.0, 1.0, 25.34),
        AngularRate(1000.0, -500.0, 0.0),
        Angle(90.0, -180.0, pytest.approx(10922 / 32768 * 180)),
    ]
    assert (codec.frames, codec.bytes_dropped, codec.checksum_errors) == (3, 0, 0)


def test_acceleration_in_mps2() -> None:
    (accel,) = WitCodec().feed(ACCEL)
    assert g_to_mps2(1.0) == 9.80665
    assert accel.acceleration_mps2 == (8 * 9.80665, -8 * 9.80665, 9.80665)


def test_other_frame_types_come_out_raw() -> None:
    magnetic = encode_frame(0x54, (1, -1, 300, 0))
    assert magnetic[:2] == b"\x55\x54" and len(magnetic) == 11
    assert WitCodec().feed(magnetic) == [WitOther(0x54, bytes.fromhex("0100 FFFF 2C01 0000"))]


def test_encoder_matches_the_hand_built_frame() -> None:
    assert encode_frame(0x51, (16384, -16384, 2048, 2534)) == ACCEL


def test_commands_are_the_known_bytes() -> None:
    assert unlock() == bytes.fromhex("FF AA 69 88 B5")
    assert save() == bytes.fromhex("FF AA 00 00 00")
    assert set_output_rate(10) == bytes.fromhex("FF AA 03 06 00")
    assert set_output_rate(200) == bytes.fromhex("FF AA 03 0B 00")
    assert command(0x1F, 0x1234) == bytes.fromhex("FF AA 1F 34 12")
    with pytest.raises(KeyError):
        set_output_rate(3)


def test_garbage_before_and_between_is_skipped_and_counted() -> None:
    codec = WitCodec()
    garbage = b"\x00\x55\x00\xff"  # a false sync (0x55 then a type outside 0x50..0x5F)
    assert len(codec.feed(garbage + ACCEL + b"\x13\x37" + RATE)) == 2
    assert codec.bytes_dropped == len(garbage) + 2


def test_bad_checksum_is_rejected_counted_and_resynchronised() -> None:
    bad = ACCEL[:-1] + bytes((ACCEL[-1] ^ 0x80,))
    codec = WitCodec()
    assert codec.feed(bad + RATE) == [AngularRate(1000.0, -500.0, 0.0)]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == len(bad)


def test_double_bit_error_can_pass_the_eight_bit_sum() -> None:
    """Documents the limit: -1 in one byte and +1 in another leave the 8-bit sum unchanged."""
    corrupted = bytearray(ACCEL)
    corrupted[3] -= 1  # x: 0x4000 -> 0x3F00
    corrupted[5] += 1  # y: 0xC000 -> 0xC100
    (frame,) = WitCodec().feed(bytes(corrupted))
    assert frame != Acceleration(8.0, -8.0, 1.0, 25.34)
