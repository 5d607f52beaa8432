"""SPS30 codec: request bytes from the reference, SHDLC stuffing, replies, resync and rejects."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs.sps30 import (
    Sps30Ack,
    Sps30Codec,
    Sps30Error,
    Sps30NoData,
    Sps30Reading,
    Sps30Reply,
    device_information,
    encode_reading,
    encode_reply,
    read_values,
    start_measurement,
    stop_measurement,
    stuff,
    unstuff,
)

VALUES = (1.5, 2.25, 3.0, 4.0, 10.5, 12.0, 12.5, 12.75, 13.0, 0.5)


def hand_built_read_reply(values: tuple[float, ...] = VALUES) -> bytes:
    """``7E 00 03 00 28 <40 bytes> CHK 7E`` with stuffing written out by hand."""
    content = bytes((0x00, 0x03, 0x00, 40)) + struct.pack(">10f", *values)
    content += bytes((~sum(content) & 0xFF,))
    escaped = bytearray()
    for b in content:
        escaped += {0x7E: b"\x7d\x5e", 0x7D: b"\x7d\x5d", 0x11: b"\x7d\x31", 0x13: b"\x7d\x33"}.get(
            b, bytes((b,))
        )
    return b"\x7e" + bytes(escaped) + b"\x7e"


def test_requests_are_the_reference_bytes() -> None:
    assert start_measurement() == bytes.fromhex("7E 00 00 02 01 03 F9 7E")
    assert stop_measurement() == bytes.fromhex("7E 00 01 00 FE 7E")
    assert read_values() == bytes.fromhex("7E 00 03 00 FC 7E")


def test_request_with_a_byte_to_escape() -> None:
    # serial number query: data 03 -> checksum ~(0xD0 + 1 + 3) = 0x2B
    assert device_information(0x03) == bytes.fromhex("7E 00 D0 01 03 2B 7E")
    # start with uint16 output: 00 00 02 01 05 -> ~8 = F7
    assert start_measurement(0x05) == bytes.fromhex("7E 00 00 02 01 05 F7 7E")


def test_stuffing_of_the_four_special_bytes() -> None:
    assert stuff(b"\x7e\x7d\x11\x13\x00") == bytes.fromhex("7D 5E 7D 5D 7D 31 7D 33 00")
    assert unstuff(bytes.fromhex("7D 5E 7D 5D 7D 31 7D 33 00")) == b"\x7e\x7d\x11\x13\x00"
    assert unstuff(b"\x7d\x00") is None  # unknown escape
    assert unstuff(b"\x00\x7d") is None  # dangling escape


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_stuffing_round_trips_and_hides_the_flag(data: bytes) -> None:
    stuffed = stuff(data)
    assert unstuff(stuffed) == data
    assert not {0x7E, 0x11, 0x13} & set(stuffed)


def test_read_reply_with_ten_floats() -> None:
    reply = hand_built_read_reply()
    assert encode_reading(Sps30Reading(*VALUES)) == reply
    codec = Sps30Codec()
    assert codec.feed(reply) == [Sps30Reading(*VALUES)]


def test_stuffed_bytes_inside_a_reply_are_restored() -> None:
    # 3F 7E 7D 11 is a float (about 0.994) made of three bytes that must be escaped
    values = (struct.unpack(">f", bytes((0x3F, 0x7E, 0x7D, 0x11)))[0],) * 10
    reply = hand_built_read_reply(values)
    assert b"\x7d\x5e" in reply and b"\x7d\x31" in reply
    (reading,) = Sps30Codec().feed(reply)
    assert reading == Sps30Reading(*values)


def test_empty_read_reply_means_no_new_data() -> None:
    reply = bytes.fromhex("7E 00 03 00 00 FC 7E")
    assert encode_reply(0x03) == reply
    assert Sps30Codec().feed(reply) == [Sps30NoData()]


def test_state_not_zero_is_an_error_frame() -> None:
    reply = bytes.fromhex("7E 00 03 43 00 B9 7E")  # command not allowed in this state
    assert Sps30Codec().feed(reply) == [Sps30Error(0x03, 0x43)]


def test_integer_output_and_other_replies() -> None:
    uint16 = encode_reply(0x03, struct.pack(">10H", *range(10)))
    info = encode_reply(0xD0, b"ABC123\x00")
    codec = Sps30Codec()
    assert codec.feed(uint16 + encode_reply(0x00) + info) == [
        Sps30Reading(*map(float, range(10))),
        Sps30Ack(0x00),
        Sps30Reply(0xD0, b"ABC123\x00"),
    ]


def test_garbage_before_and_between_is_skipped_and_counted() -> None:
    garbage = b"\x00\x7e\x01\x02\x7e"  # an empty frame, then junk between two flags
    codec = Sps30Codec()
    frames = codec.feed(garbage + hand_built_read_reply() + b"\x13\x11" + encode_reply(0x01))
    assert frames == [Sps30Reading(*VALUES), Sps30Ack(0x01)]
    assert codec.bytes_dropped == len(garbage) + 2
    assert codec.checksum_errors == 0


def test_bad_checksum_is_rejected_counted_and_resynchronised() -> None:
    bad = bytearray(hand_built_read_reply())
    bad[-2] ^= 0x01
    codec = Sps30Codec()
    assert codec.feed(bytes(bad) + encode_reply(0x01)) == [Sps30Ack(0x01)]
    assert codec.checksum_errors == 1


def test_length_mismatch_and_other_address_are_not_frames() -> None:
    wrong_length = bytes.fromhex("7E 00 03 00 05 F7 7E")
    other_address = encode_reply(0x01, address=2)
    codec = Sps30Codec()
    assert codec.feed(wrong_length + other_address) == []
    assert codec.checksum_errors == 0
    assert Sps30Codec(address=2).feed(other_address) == [Sps30Ack(0x01)]


def test_malformed_read_reply_is_rejected() -> None:
    codec = Sps30Codec()
    assert codec.feed(encode_reply(0x03, bytes(12))) == []
    assert codec.frames_rejected == 1
