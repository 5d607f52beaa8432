"""UBX codec: known commands, a NAV-PVT built by hand from the offsets in the spec, resync."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from drivers.codecs.nmea import encode_sentence
from drivers.codecs.ubx import (
    Ack,
    NavPvt,
    UbxCodec,
    UbxMessage,
    cfg_msg,
    cfg_rate,
    encode,
    encode_nav_pvt,
    fletcher,
    poll,
)


def frame(msg_class: int, msg_id: int, payload: bytes) -> bytes:
    """A UBX frame with the checksum computed the way the spec writes it (a running loop)."""
    body = bytes((msg_class, msg_id)) + len(payload).to_bytes(2, "little") + payload
    a = b = 0
    for byte in body:
        a = (a + byte) & 0xFF
        b = (b + a) & 0xFF
    return b"\xb5\x62" + body + bytes((a, b))


def hand_built_nav_pvt() -> bytes:
    """NAV-PVT with every used field written at its documented offset."""
    p = bytearray(92)
    struct.pack_into("<I", p, 0, 123_456_000)  # iTOW
    struct.pack_into("<HBBBBB", p, 4, 2026, 3, 2, 8, 15, 30)  # year..sec
    p[11] = 0x07  # validDate, validTime, fullyResolved
    struct.pack_into("<i", p, 16, 250_000_000)  # nano: 0.25 s
    p[20] = 3  # 3D fix
    p[21] = 0x01  # gnssFixOK
    p[23] = 14  # numSV
    struct.pack_into("<i", p, 24, 6_912_345)  # lon 0.6912345°
    struct.pack_into("<i", p, 28, 473_912_345)  # lat 47.3912345°
    struct.pack_into("<i", p, 36, 55_432)  # hMSL mm
    struct.pack_into("<I", p, 40, 1_250)  # hAcc mm
    struct.pack_into("<i", p, 60, 8_333)  # gSpeed mm/s
    struct.pack_into("<i", p, 64, 27_150_000)  # headMot 1e-5 deg
    struct.pack_into("<H", p, 76, 137)  # pDOP 0.01
    return frame(0x01, 0x07, bytes(p))


EXPECTED = NavPvt(
    itow_ms=123_456_000,
    utc=datetime(2026, 3, 2, 8, 15, 30, 250_000, tzinfo=UTC),
    fix_type=3,
    fix_ok=True,
    num_sv=14,
    lat_deg=pytest.approx(47.3912345, abs=1e-9),
    lon_deg=pytest.approx(0.6912345, abs=1e-9),
    height_m=55.432,
    h_acc_m=1.25,
    speed_mps=8.333,
    heading_deg=pytest.approx(271.5),
    pdop=1.37,
)


def test_poll_nav_pvt_is_the_known_bytes() -> None:
    assert poll(0x01, 0x07) == bytes.fromhex("B5 62 01 07 00 00 08 19")


def test_configuration_messages_are_the_known_bytes() -> None:
    assert cfg_rate(100) == bytes.fromhex("B5 62 06 08 06 00 64 00 01 00 01 00 7A 12")
    assert cfg_msg(0x01, 0x07, 1) == bytes.fromhex("B5 62 06 01 03 00 01 07 01 13 51")


def test_fletcher_matches_the_running_sum_loop() -> None:
    payload = bytes(range(256)) * 3
    assert encode(0x0A, 0x04, payload) == frame(0x0A, 0x04, payload)
    assert fletcher(b"") == (0, 0)


def test_nav_pvt_built_from_the_spec_decodes_to_physical_values() -> None:
    codec = UbxCodec()
    assert codec.feed(hand_built_nav_pvt()) == [EXPECTED]


def test_encoder_round_trips_through_the_decoder() -> None:
    data = encode_nav_pvt(
        itow_ms=123_456_000,
        utc=datetime(2026, 3, 2, 8, 15, 30, 250_000, tzinfo=UTC),
        num_sv=14,
        lat_deg=47.3912345,
        lon_deg=0.6912345,
        height_m=55.432,
        h_acc_m=1.25,
        speed_mps=8.333,
        heading_deg=271.5,
        pdop=1.37,
    )
    assert UbxCodec().feed(data) == [EXPECTED]


def test_no_fix_and_invalid_time() -> None:
    p = bytearray(hand_built_nav_pvt()[6:-2])
    p[11], p[20], p[21] = 0x00, 0, 0x00
    (pvt,) = UbxCodec().feed(frame(0x01, 0x07, bytes(p)))
    assert (pvt.utc, pvt.fix_type, pvt.fix_ok) == (None, 0, False)


def test_acks_and_other_messages() -> None:
    codec = UbxCodec()
    data = frame(0x05, 0x01, b"\x06\x08") + frame(0x05, 0x00, b"\x06\x01") + frame(0x0A, 0x04, b"")
    assert codec.feed(data) == [
        Ack(True, 0x06, 0x08),
        Ack(False, 0x06, 0x01),
        UbxMessage(10, 4, b""),
    ]


def test_garbage_and_interleaved_nmea_are_skipped_and_counted() -> None:
    nmea = encode_sentence("GPTXT,01,01,02,u-blox ag")
    garbage = b"\x00\xb5\x00\x62\xff"
    codec = UbxCodec()
    assert codec.feed(garbage + hand_built_nav_pvt() + nmea + poll(0x0A, 0x04)) == [
        EXPECTED,
        UbxMessage(0x0A, 0x04, b""),
    ]
    assert codec.bytes_dropped == len(garbage) + len(nmea)
    assert codec.checksum_errors == 0


def test_bad_checksum_is_rejected_counted_and_resynchronised() -> None:
    bad = bytearray(hand_built_nav_pvt())
    bad[-1] ^= 0x01
    codec = UbxCodec()
    assert codec.feed(bytes(bad) + hand_built_nav_pvt()) == [EXPECTED]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == len(bad)


def test_known_message_with_wrong_length_is_a_false_sync_judged_on_its_header() -> None:
    codec = UbxCodec()
    short_pvt = frame(0x01, 0x07, bytes(84))  # u-blox 7 layout: not accepted
    echoed_poll = poll(0x01, 0x07)
    data = short_pvt + frame(0x05, 0x01, b"\x06") + echoed_poll
    assert codec.feed(data) == []
    assert (codec.frames_rejected, codec.checksum_errors) == (0, 0)
    assert codec.bytes_dropped == len(data) and codec.buffered == 0


def test_a_bit_error_in_a_nav_pvt_length_holds_nothing() -> None:
    """Issue #15: length 92 read as 1116 (bit 10) held the next eleven NAV-PVT frames."""
    good = hand_built_nav_pvt()
    broken = bytearray(good)
    broken[5] ^= 0x04  # length high byte: 92 + 1024
    codec = UbxCodec()
    assert codec.feed(bytes(broken) + good * 3) == [EXPECTED] * 3
    assert codec.frame_ends == [len(good) * k for k in (2, 3, 4)]


def test_oversized_length_is_a_false_sync() -> None:
    codec = UbxCodec()
    assert codec.feed(b"\xb5\x62\x01\x07\xff\xff" + poll(0x0A, 0x04)) == [
        UbxMessage(0x0A, 0x04, b"")
    ]
    assert codec.bytes_dropped == 6
