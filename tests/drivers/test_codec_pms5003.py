"""PMS5003 codec: commands equal the known bytes, a frame built from the datasheet, resync."""

from __future__ import annotations

import struct

from drivers.codecs.pms5003 import (
    CommandReply,
    PmsCodec,
    PmsReading,
    active_mode,
    encode_reading,
    encode_reply,
    passive_mode,
    read,
    sleep,
    wake,
)

VALUES = (5, 8, 9, 4, 7, 9, 1326, 394, 52, 6, 2, 1)


def hand_built_frame(values: tuple[int, ...] = VALUES) -> bytes:
    body = b"\x42\x4d" + struct.pack(">H", 28) + struct.pack(">13H", *values, 0x9700)
    return body + struct.pack(">H", sum(body))


READING = PmsReading(
    pm1_0_cf1_ugm3=5,
    pm2_5_cf1_ugm3=8,
    pm10_cf1_ugm3=9,
    pm1_0_ugm3=4,
    pm2_5_ugm3=7,
    pm10_ugm3=9,
    particles_0_3um_per_dl=1326,
    particles_0_5um_per_dl=394,
    particles_1_0um_per_dl=52,
    particles_2_5um_per_dl=6,
    particles_5_0um_per_dl=2,
    particles_10um_per_dl=1,
)


def test_commands_are_the_known_bytes() -> None:
    assert passive_mode() == bytes.fromhex("42 4D E1 00 00 01 70")
    assert active_mode() == bytes.fromhex("42 4D E1 00 01 01 71")
    assert read() == bytes.fromhex("42 4D E2 00 00 01 71")
    assert sleep() == bytes.fromhex("42 4D E4 00 00 01 73")
    assert wake() == bytes.fromhex("42 4D E4 00 01 01 74")


def test_frame_built_from_the_datasheet_decodes() -> None:
    frame = hand_built_frame()
    assert len(frame) == 32
    codec = PmsCodec()
    assert codec.feed(frame) == [READING]
    assert encode_reading(READING)[:-4] == frame[:-4]  # reserved word aside


def test_mode_replies_decode() -> None:
    passive_reply = bytes.fromhex("42 4D 00 04 E1 00 01 74")
    active_reply = bytes.fromhex("42 4D 00 04 E1 01 01 75")
    assert encode_reply(0xE1, 0) == passive_reply
    assert PmsCodec().feed(passive_reply + active_reply) == [
        CommandReply(0xE1, 0),
        CommandReply(0xE1, 1),
    ]


def test_garbage_before_and_between_is_skipped_and_counted() -> None:
    garbage = b"\x42\x4d\x00\x99\x00\x42"  # a false sync: length 0x99
    codec = PmsCodec()
    assert codec.feed(garbage + hand_built_frame() + b"\x4d\x42" + hand_built_frame()) == [
        READING,
        READING,
    ]
    assert codec.bytes_dropped == len(garbage) + 2


def test_bad_checksum_is_rejected_counted_and_resynchronised() -> None:
    bad = bytearray(hand_built_frame())
    bad[10] ^= 0x04
    codec = PmsCodec()
    assert codec.feed(bytes(bad) + hand_built_frame()) == [READING]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == 32


def test_partial_frame_waits_for_the_rest() -> None:
    codec = PmsCodec()
    frame = hand_built_frame()
    assert codec.feed(frame[:20]) == []
    assert codec.buffered == 20
    assert codec.feed(frame[20:]) == [READING]
    assert codec.buffered == 0
