"""SDS011 codec: the datasheet's frames and query command, replies, resync and rejects."""

from __future__ import annotations

import pytest

from drivers.codecs.sds011 import (
    FirmwareVersion,
    ReportingMode,
    SdsCodec,
    SdsReading,
    SdsReply,
    SleepState,
    WorkingPeriod,
    command,
    encode_reading,
    encode_reply,
    query_data,
    query_firmware,
    set_reporting_mode,
    set_working_period,
    sleep,
    wake,
)

DATA = bytes.fromhex("AA C0 D4 04 3A 0A A1 60 1D AB")  # PM2.5 123.6, PM10 261.8, id A160
SLEEP_REPLY = bytes.fromhex("AA C5 06 01 00 00 A1 60 08 AB")


def test_query_command_is_the_reference_bytes() -> None:
    assert query_data() == bytes.fromhex("AA B4 04 00 00 00 00 00 00 00 00 00 00 00 00 FF FF 02 AB")


def test_other_commands_have_the_documented_layout() -> None:
    assert sleep() == bytes.fromhex("AA B4 06 01 00 00 00 00 00 00 00 00 00 00 00 FF FF 05 AB")
    assert wake() == bytes.fromhex("AA B4 06 01 01 00 00 00 00 00 00 00 00 00 00 FF FF 06 AB")
    assert set_reporting_mode(active=False)[2:5] == b"\x02\x01\x01"
    assert set_working_period(5, device_id=0xA160)[2:5] == b"\x08\x01\x05"
    assert set_working_period(5, device_id=0xA160)[15:17] == b"\xa1\x60"
    for cmd in (query_firmware(), command(0x05, True, 0)):
        assert len(cmd) == 19 and cmd[-1] == 0xAB and cmd[-2] == sum(cmd[2:17]) & 0xFF


def test_data_frame_decodes_to_ugm3() -> None:
    codec = SdsCodec()
    assert codec.feed(DATA) == [SdsReading(123.6, 261.8, 0xA160)]
    assert encode_reading(123.6, 261.8, 0xA160) == DATA


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (SLEEP_REPLY, SleepState(working=False, device_id=0xA160)),
        (encode_reply(6, b"\x01\x01\x00", 0xA160), SleepState(working=True, device_id=0xA160)),
        (encode_reply(2, b"\x00\x00\x00", 0xA160), ReportingMode(active=True, device_id=0xA160)),
        (encode_reply(2, b"\x01\x01\x00", 0xA160), ReportingMode(active=False, device_id=0xA160)),
        (encode_reply(8, b"\x01\x05\x00", 0xA160), WorkingPeriod(5, 0xA160)),
        (encode_reply(7, b"\x12\x0b\x0f", 0xA160), FirmwareVersion(2018, 11, 15, 0xA160)),
        (encode_reply(5, b"\x01\x00\x00", 0xA160), SdsReply(5, b"\x01\x00\x00", 0xA160)),
    ],
)
def test_c5_replies_are_parsed(frame: bytes, expected: object) -> None:
    assert SdsCodec().feed(frame) == [expected]


def test_garbage_before_and_between_is_skipped_and_counted() -> None:
    garbage = b"\xaa\xaa\xc1\x00"  # a false sync: AA then neither C0 nor C5
    codec = SdsCodec()
    assert (
        codec.feed(garbage + DATA + b"\xab\xab\xab" + DATA)
        == [SdsReading(123.6, 261.8, 0xA160)] * 2
    )
    assert codec.bytes_dropped == len(garbage) + 3


def test_bad_checksum_or_tail_is_rejected_and_resynchronised() -> None:
    bad_sum = DATA[:8] + b"\x1e" + DATA[9:]
    bad_tail = DATA[:9] + b"\xac"
    codec = SdsCodec()
    assert codec.feed(bad_sum + bad_tail + DATA) == [SdsReading(123.6, 261.8, 0xA160)]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == 20
