"""Modbus RTU codec: CRC check values, the probe request pinned, responses, exceptions, resync."""

from __future__ import annotations

import pytest

from drivers.codecs.modbus import (
    ModbusCodec,
    ModbusException,
    ProbeReading,
    Registers,
    crc16,
    encode_exception,
    encode_reading,
    encode_response,
    read_input_registers,
    read_probe,
)


def with_crc(hex_bytes: str) -> bytes:
    """Frame bytes plus CRC-16/MODBUS computed bit by bit, low byte first."""
    data = bytes.fromhex(hex_bytes)
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return data + crc.to_bytes(2, "little")


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x4B37  # the catalogue check value of CRC-16/MODBUS


def test_probe_request_is_pinned() -> None:
    """Pinned choice for the reference's "verify": function 4, registers 1 (T) and 2 (RH)."""
    assert read_probe() == bytes.fromhex("01 04 00 01 00 02 20 0B")
    assert read_input_registers(0x11, 0x0000, 1) == with_crc("11 04 00 00 00 01")


def test_response_decodes_temperature_and_humidity() -> None:
    codec = ModbusCodec()
    frames = codec.feed(with_crc("01 04 04 00 E7 01 C2") + with_crc("01 04 04 FF 85 03 E8"))
    assert frames == [ProbeReading(1, 23.1, 45.0), ProbeReading(1, -12.3, 100.0)]
    assert encode_reading(1, -12.3, 100.0) == with_crc("01 04 04 FF 85 03 E8")


def test_exception_response_is_an_error_frame() -> None:
    exception = bytes.fromhex("01 84 02 C2 C1")  # illegal data address
    assert encode_exception(1, 0x04, 0x02) == exception
    assert ModbusCodec().feed(exception) == [ModbusException(1, 0x04, 0x02)]


def test_other_register_counts_and_holding_registers() -> None:
    codec = ModbusCodec(address=7)
    data = encode_response(7, 0x04, (1, 2, 3)) + encode_response(7, 0x03, (231, 450))
    assert codec.feed(data) == [Registers(7, 0x04, (1, 2, 3)), ProbeReading(7, 23.1, 45.0)]


def test_echoed_request_and_other_addresses_are_dropped() -> None:
    codec = ModbusCodec()
    other = encode_reading(2, 20.0, 50.0)
    data = read_probe() + other + encode_reading(1, 4.5, 60.0)
    assert codec.feed(data) == [ProbeReading(1, 4.5, 60.0)]
    assert codec.bytes_dropped == len(read_probe()) + len(other)
    assert codec.checksum_errors == 0


def test_bad_crc_is_rejected_and_the_scan_slides_one_byte() -> None:
    bad = bytearray(encode_reading(1, 4.5, 60.0))
    bad[-1] ^= 0xFF
    codec = ModbusCodec()
    assert codec.feed(b"\x01" + bytes(bad) + encode_reading(1, 5.0, 61.0)) == [
        ProbeReading(1, 5.0, 61.0)
    ]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == 1 + len(bad)


@pytest.mark.parametrize("count", [0, 1, 3, 252])
def test_impossible_byte_counts_are_false_syncs(count: int) -> None:
    codec = ModbusCodec()
    assert codec.feed(bytes((1, 4, count)) + bytes(8)) == []
    assert codec.checksum_errors == 0


def test_partial_response_waits() -> None:
    codec = ModbusCodec()
    frame = encode_reading(1, 4.5, 60.0)
    assert codec.feed(frame[:5]) == []
    assert codec.feed(frame[5:]) == [ProbeReading(1, 4.5, 60.0)]
