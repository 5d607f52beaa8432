"""Sensirion SPS30 particulate sensor over UART: SHDLC framing, requests and replies.

Facts from docs/PROTOCOLS.md (particulate matter), the Linux kernel's
``sps30_serial.c`` and the SPS30 datasheet: a request is ``7E ADR CMD LEN DATA.. CHK 7E``, a
reply ``7E ADR CMD STATE LEN DATA.. CHK 7E``; CHK is the bitwise NOT of the low byte of the sum
of ADR through the last data byte; between the flags ``7E 7D 11 13`` are sent as ``7D`` and the
byte XOR 0x20 (``5E 5D 31 33``). Commands: 0x00 start measurement (data 01 03 = float output,
01 05 = uint16), 0x01 stop, 0x03 read values, 0x10 sleep, 0x11 wake up, 0x56 start fan
cleaning, 0xD0 device information, 0xD3 reset. A read reply holds ten big-endian float32 —
mass PM1.0, PM2.5, PM4.0, PM10 (µg/m³), number PM0.5, PM1.0, PM2.5, PM4.0, PM10 (#/cm³),
typical particle size (µm) — or ten uint16 in integer mode; an empty read reply means no new
data; STATE ≠ 0 is an error.

Choices: replies from another address are ignored (false frames); a frame whose length byte
does not match its content, or with a bad escape, is a false sync. A frame's closing flag is
left to open the next one (HDLC lets one flag close a frame and open the next), so a reply
that lost its closing flag is still read, and the next with it; two flags in a row are a
separator, not garbage. No SPS30 reply holds more than ``MAX_DATA`` bytes (the ten floats of
a reading): a longer length byte is a false sync, so a broken frame holds nothing long. Every
reply comes out typed: ``Sps30Reading``, ``Sps30NoData``, ``Sps30Error``, ``Sps30Ack``
(empty reply to any other command) or ``Sps30Reply`` (raw data, e.g. device information).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.codecs.codec import (
    BAD_CHECKSUM,
    FRAME,
    NEED_MORE,
    NOT_A_FRAME,
    REJECTED,
    SEPARATOR,
    Codec,
    Match,
)

FLAG, ESCAPE = 0x7E, 0x7D
_STUFFED = {0x7E: b"\x7d\x5e", 0x7D: b"\x7d\x5d", 0x11: b"\x7d\x31", 0x13: b"\x7d\x33"}
_UNSTUFFED = {0x5E: 0x7E, 0x5D: 0x7D, 0x31: 0x11, 0x33: 0x13}

CMD_START, CMD_STOP, CMD_READ = 0x00, 0x01, 0x03
CMD_SLEEP, CMD_WAKE, CMD_FAN_CLEANING = 0x10, 0x11, 0x56
CMD_DEVICE_INFO, CMD_RESET = 0xD0, 0xD3
FORMAT_FLOAT, FORMAT_UINT16 = 0x03, 0x05

MAX_DATA = 48
"""Longest reply data of an SPS30: 40 bytes of a float reading, 32 of a serial number (+ NUL)."""
MAX_FRAME = 2 + 2 * (5 + MAX_DATA)
"""Flags plus every byte of the longest reply escaped."""

_FLOATS = struct.Struct(">10f")
_UINT16S = struct.Struct(">10H")


@dataclass(frozen=True, slots=True)
class Sps30Reading:
    """Mass (µg/m³) and number (#/cm³) concentrations, typical particle size (µm)."""

    pm1_0_ugm3: float
    pm2_5_ugm3: float
    pm4_0_ugm3: float
    pm10_ugm3: float
    n0_5_per_cm3: float
    n1_0_per_cm3: float
    n2_5_per_cm3: float
    n4_0_per_cm3: float
    n10_per_cm3: float
    typical_size_um: float


@dataclass(frozen=True, slots=True)
class Sps30NoData:
    """Empty reply to "read values": no new measurement since the last read."""


@dataclass(frozen=True, slots=True)
class Sps30Error:
    """A reply with a non-zero state byte (bit 7: device error flag; low bits: error code)."""

    command: int
    state: int


@dataclass(frozen=True, slots=True)
class Sps30Ack:
    """Empty successful reply to a command other than "read values"."""

    command: int


@dataclass(frozen=True, slots=True)
class Sps30Reply:
    """Successful reply with data to another command (device information...)."""

    command: int
    data: bytes


Sps30Frame = Sps30Reading | Sps30NoData | Sps30Error | Sps30Ack | Sps30Reply


def stuff(content: bytes) -> bytes:
    """Escape the flag, escape and XON/XOFF bytes (what goes between the two flags)."""
    return b"".join(_STUFFED.get(b, bytes((b,))) for b in content)


def unstuff(stuffed: bytes) -> bytes | None:
    """The original bytes, or None when an escape is dangling or unknown."""
    if ESCAPE not in stuffed:
        return stuffed
    out = bytearray()
    escaped = False
    for b in stuffed:
        if escaped:
            original = _UNSTUFFED.get(b)
            if original is None:
                return None
            out.append(original)
            escaped = False
        elif b == ESCAPE:
            escaped = True
        else:
            out.append(b)
    return None if escaped else bytes(out)


def _check(content: bytes) -> int:
    return ~sum(content) & 0xFF


def request(cmd: int, data: bytes = b"", address: int = 0) -> bytes:
    """A complete request frame (MOSI) with stuffing."""
    content = bytes((address, cmd, len(data))) + data
    return bytes((FLAG,)) + stuff(content + bytes((_check(content),))) + bytes((FLAG,))


def start_measurement(output_format: int = FORMAT_FLOAT) -> bytes:
    """Start measuring (float output: ``7E 00 00 02 01 03 F9 7E``)."""
    return request(CMD_START, bytes((0x01, output_format)))


def stop_measurement() -> bytes:
    """Back to idle (``7E 00 01 00 FE 7E``)."""
    return request(CMD_STOP)


def read_values() -> bytes:
    """Ask for the latest measurement (``7E 00 03 00 FC 7E``)."""
    return request(CMD_READ)


def sleep() -> bytes:
    """Enter sleep mode (from idle only)."""
    return request(CMD_SLEEP)


def wake_up() -> bytes:
    """Leave sleep mode; send a lone ``FF`` first so the UART wakes, then this frame."""
    return request(CMD_WAKE)


def start_fan_cleaning() -> bytes:
    """Run the fan at full speed for ~10 s (while measuring)."""
    return request(CMD_FAN_CLEANING)


def device_information(kind: int = 0x03) -> bytes:
    """Ask for product type (0x00) or serial number (0x03)."""
    return request(CMD_DEVICE_INFO, bytes((kind,)))


def reset() -> bytes:
    """Soft reset."""
    return request(CMD_RESET)


def encode_reply(cmd: int, data: bytes = b"", state: int = 0, address: int = 0) -> bytes:
    """A complete reply frame (MISO) with stuffing (for simulators and tests)."""
    content = bytes((address, cmd, state, len(data))) + data
    return bytes((FLAG,)) + stuff(content + bytes((_check(content),))) + bytes((FLAG,))


def encode_reading(reading: Sps30Reading) -> bytes:
    """The reply to "read values" carrying ``reading`` as ten float32 (for simulators and tests)."""
    values = (
        reading.pm1_0_ugm3,
        reading.pm2_5_ugm3,
        reading.pm4_0_ugm3,
        reading.pm10_ugm3,
        reading.n0_5_per_cm3,
        reading.n1_0_per_cm3,
        reading.n2_5_per_cm3,
        reading.n4_0_per_cm3,
        reading.n10_per_cm3,
        reading.typical_size_um,
    )
    return encode_reply(CMD_READ, _FLOATS.pack(*values))


def _decode(cmd: int, state: int, data: bytes) -> Sps30Frame | None:
    if state != 0:
        return Sps30Error(cmd, state)
    if cmd == CMD_READ:
        if not data:
            return Sps30NoData()
        if len(data) == _FLOATS.size:
            return Sps30Reading(*_FLOATS.unpack(data))
        if len(data) == _UINT16S.size:
            return Sps30Reading(*map(float, _UINT16S.unpack(data)))
        return None
    return Sps30Reply(cmd, data) if data else Sps30Ack(cmd)


class Sps30Codec(Codec[Sps30Frame]):
    """SPS30 replies out of a byte stream (SHDLC, one flag at each end of every frame)."""

    sync = bytes((FLAG,))
    max_frame_len = MAX_FRAME

    def __init__(self, address: int = 0) -> None:
        super().__init__()
        self.address = address

    def _match(self, view: bytes, start: int) -> Match[Sps30Frame]:
        close = view.find(FLAG, start + 1, start + MAX_FRAME)
        if close < 0:
            return NEED_MORE if len(view) - start < MAX_FRAME else NOT_A_FRAME
        if close == start + 1:  # the previous frame's closing flag, then this one's opening
            return _SEPARATOR
        content = unstuff(view[start + 1 : close])
        if content is None or len(content) < 5 or len(content) != 5 + content[3]:
            return NOT_A_FRAME
        if content[3] > MAX_DATA:
            return NOT_A_FRAME
        if content[0] != self.address:
            return NOT_A_FRAME
        if _check(content[:-1]) != content[-1]:
            return BAD_CHECKSUM
        frame = _decode(content[1], content[2], content[4:-1])
        if frame is None:
            return (REJECTED, close - start, None)
        return (FRAME, close - start, frame)  # the closing flag may open the next frame


_SEPARATOR: Match[Sps30Frame] = (SEPARATOR, 1, None)
