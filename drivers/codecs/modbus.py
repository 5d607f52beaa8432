"""Modbus RTU temperature/humidity probes (SHT20 class, e.g. XY-MD02) on RS-485.

Facts from docs/PROTOCOLS.md (cold-chain probe) and the Modbus application
protocol / serial line specifications: a request is ``ADDR FUNC START(u16 BE) COUNT(u16 BE)
CRC``, a response ``ADDR FUNC BYTECOUNT DATA CRC``, an exception ``ADDR FUNC|0x80 CODE CRC``;
CRC-16/MODBUS (reflected polynomial 0xA001, initial 0xFFFF) is sent low byte first.

Verified here (the reference says "verify per model"): function 0x04 (read input registers),
temperature at register 0x0001 as int16 / 10 °C, humidity at 0x0002 as uint16 / 10 %, i.e.
the request ``01 04 00 01 00 02 20 0B`` at address 1 — as used for the XY-MD02 by public
drivers (t-teja/Sensors ``SHT20/XY-MD02-Modbus.py``: registers 1 and 2, one decimal, function
4; ESP-IDF ``xy_md02_driver``: 0x0001 temperature, 0x0002 humidity in tenths).

Choices: RTU has no delimiter, so a response is recognised by the expected address, the
function (0x03 or 0x04, or 0x83/0x84 for exceptions), an even byte count from 2 to
``2 × max_registers`` (250, 125 registers, by the specification; the probe's model asks for 2,
so a bit error in the count is refused at once instead of holding the next replies) and the
CRC; on a bad CRC the scan slides one byte. A two-register answer is a ``ProbeReading``; other
register counts come out raw as ``Registers``. Requests echoed by a half-duplex adapter have
a byte count of 0 and are dropped as garbage.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, NOT_A_FRAME, Codec, Match

READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS = 0x03, 0x04
EXCEPTION_FLAG = 0x80
TEMPERATURE_REGISTER = 0x0001
MAX_FRAME = 5 + 250


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS of ``data`` (send it little-endian)."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def _with_crc(frame: bytes) -> bytes:
    return frame + crc16(frame).to_bytes(2, "little")


@dataclass(frozen=True, slots=True)
class ProbeReading:
    """The probe's answer to a two-register read: temperature and relative humidity."""

    address: int
    temperature_c: float
    humidity_pct: float


@dataclass(frozen=True, slots=True)
class Registers:
    """An answer with another number of registers (raw unsigned 16-bit values)."""

    address: int
    function: int
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModbusException:
    """The probe refused the request: 1 illegal function, 2 illegal address, 3 illegal value..."""

    address: int
    function: int
    code: int


ModbusFrame = ProbeReading | Registers | ModbusException


def read_input_registers(address: int, first_register: int, count: int) -> bytes:
    """Function 0x04 request for ``count`` registers from ``first_register``."""
    return _with_crc(struct.pack(">BBHH", address, READ_INPUT_REGISTERS, first_register, count))


def read_probe(address: int = 1) -> bytes:
    """Ask a probe for temperature and humidity (``01 04 00 01 00 02 20 0B`` at address 1)."""
    return read_input_registers(address, TEMPERATURE_REGISTER, 2)


def encode_response(address: int, function: int, values: tuple[int, ...]) -> bytes:
    """A register read response (values as unsigned 16-bit; for simulators and tests)."""
    data = struct.pack(f">{len(values)}H", *values)
    return _with_crc(bytes((address, function, len(data))) + data)


def encode_reading(address: int, temperature_c: float, humidity_pct: float) -> bytes:
    """A probe's response to ``read_probe`` (for simulators and tests)."""
    temperature = round(temperature_c * 10) & 0xFFFF
    return encode_response(address, READ_INPUT_REGISTERS, (temperature, round(humidity_pct * 10)))


def encode_exception(address: int, function: int, code: int) -> bytes:
    """An exception response (for simulators and tests)."""
    return _with_crc(bytes((address, function | EXCEPTION_FLAG, code)))


class ModbusCodec(Codec[ModbusFrame]):
    """Responses of the probe at ``address`` out of the bus's byte stream."""

    max_frame_len = MAX_FRAME

    def __init__(self, address: int = 1, max_registers: int = 125) -> None:
        super().__init__()
        self.address = address
        self.max_byte_count = 2 * max_registers
        """A longer byte count is a false sync: the probe is never asked for more."""
        self.sync = bytes((address,))  # type: ignore[misc]

    def _match(self, view: bytes, start: int) -> Match[ModbusFrame]:
        available = len(view) - start
        if available < 3:
            return NEED_MORE
        function = view[start + 1]
        if function in (READ_INPUT_REGISTERS, READ_HOLDING_REGISTERS):
            byte_count = view[start + 2]
            if byte_count < 2 or byte_count > self.max_byte_count or byte_count & 1:
                return NOT_A_FRAME
            size = 5 + byte_count
        elif function in (READ_INPUT_REGISTERS | EXCEPTION_FLAG, READ_HOLDING_REGISTERS | 0x80):
            size = 5
        else:
            return NOT_A_FRAME
        if available < size:
            return NEED_MORE
        end = start + size - 2
        if crc16(view[start:end]) != view[end] | view[end + 1] << 8:
            return BAD_CHECKSUM
        frame: ModbusFrame
        if size == 5:
            frame = ModbusException(self.address, function & 0x7F, view[start + 2])
        elif size == 9:
            temperature, humidity = struct.unpack_from(">hH", view, start + 3)
            frame = ProbeReading(self.address, temperature / 10.0, humidity / 10.0)
        else:
            values = struct.unpack_from(f">{byte_count // 2}H", view, start + 3)
            frame = Registers(self.address, function, values)
        return (FRAME, size, frame)
