"""Plantower PMS5003 particulate sensor: 32-byte data frames and 7-byte commands.

Facts from docs/PROTOCOLS.md (particulate matter), the Linux kernel's
``pms7003.c`` and Pimoroni's pms5003-python: a frame is ``42 4D``, a length word (28), thirteen
big-endian words — PM1.0/PM2.5/PM10 "CF=1", the same "atmospheric" (µg/m³), six particle counts
per 0.1 L (> 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm), a reserved word — and a checksum word, the 16-bit
sum of bytes 0..29. A command is ``42 4D CMD DATAH DATAL`` plus the 16-bit sum of those five.
After a mode or sleep command the sensor answers with a short frame of length 4, ``42 4D 00 04
CMD DATA`` and the checksum word (passive: ``42 4D 00 04 E1 00 01 74``, active ``... E1 01 01 75``,
as in the pypms project and Adafruit's CircuitPython PM2.5 tests), decoded as ``CommandReply``.

Choices: any other length word is a false sync (lengths 4 and 28 differ in two bits, so no
single bit flip turns one kind into the other).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, NOT_A_FRAME, Codec, Match

SYNC = b"\x42\x4d"
DATA_FRAME_LEN = 32
REPLY_FRAME_LEN = 8

CMD_READ, CMD_MODE, CMD_SLEEP = 0xE2, 0xE1, 0xE4

_WORDS = struct.Struct(">13H")


@dataclass(frozen=True, slots=True)
class PmsReading:
    """One measurement: mass concentrations (µg/m³) and particle counts per 0.1 L (per dL)."""

    pm1_0_cf1_ugm3: int
    pm2_5_cf1_ugm3: int
    pm10_cf1_ugm3: int
    pm1_0_ugm3: int
    """Atmospheric environment values (the ones to report outdoors)."""
    pm2_5_ugm3: int
    pm10_ugm3: int
    particles_0_3um_per_dl: int
    """Particles larger than 0.3 µm in 0.1 L of air; likewise for the five below."""
    particles_0_5um_per_dl: int
    particles_1_0um_per_dl: int
    particles_2_5um_per_dl: int
    particles_5_0um_per_dl: int
    particles_10um_per_dl: int


@dataclass(frozen=True, slots=True)
class CommandReply:
    """The sensor's acknowledgement of a command (``command`` and the data byte it applied)."""

    command: int
    data: int


PmsFrame = PmsReading | CommandReply


def _with_sum(body: bytes) -> bytes:
    return body + (sum(body) & 0xFFFF).to_bytes(2, "big")


def command(cmd: int, data: int = 0) -> bytes:
    """``42 4D CMD DATAH DATAL`` and the checksum word."""
    return _with_sum(SYNC + bytes((cmd, (data >> 8) & 0xFF, data & 0xFF)))


def passive_mode() -> bytes:
    """Only measure on request (``42 4D E1 00 00 01 70``)."""
    return command(CMD_MODE, 0)


def active_mode() -> bytes:
    """Stream a frame every second or so (``42 4D E1 00 01 01 71``), the power-on default."""
    return command(CMD_MODE, 1)


def read() -> bytes:
    """Ask for one frame in passive mode (``42 4D E2 00 00 01 71``)."""
    return command(CMD_READ, 0)


def sleep() -> bytes:
    """Stop the fan and laser (``42 4D E4 00 00 01 73``)."""
    return command(CMD_SLEEP, 0)


def wake() -> bytes:
    """Start again (``42 4D E4 00 01 01 74``); the first good frames come ~30 s later."""
    return command(CMD_SLEEP, 1)


def encode_reading(reading: PmsReading) -> bytes:
    """The 32 bytes the sensor sends for ``reading`` (for simulators and tests)."""
    words = (
        reading.pm1_0_cf1_ugm3,
        reading.pm2_5_cf1_ugm3,
        reading.pm10_cf1_ugm3,
        reading.pm1_0_ugm3,
        reading.pm2_5_ugm3,
        reading.pm10_ugm3,
        reading.particles_0_3um_per_dl,
        reading.particles_0_5um_per_dl,
        reading.particles_1_0um_per_dl,
        reading.particles_2_5um_per_dl,
        reading.particles_5_0um_per_dl,
        reading.particles_10um_per_dl,
        0,  # reserved
    )
    return _with_sum(SYNC + b"\x00\x1c" + _WORDS.pack(*words))


def encode_reply(cmd: int, data: int) -> bytes:
    """The 8-byte acknowledgement the sensor sends after a command (for simulators and tests)."""
    return _with_sum(SYNC + b"\x00\x04" + bytes((cmd, data)))


class PmsCodec(Codec[PmsFrame]):
    """PMS5003 (and PMS7003, same frame) output out of a byte stream."""

    sync = SYNC
    max_frame_len = DATA_FRAME_LEN

    def _match(self, view: bytes, start: int) -> Match[PmsFrame]:
        if len(view) - start < 4:
            return NEED_MORE
        length = view[start + 2] << 8 | view[start + 3]
        if length == 28:
            size = DATA_FRAME_LEN
        elif length == 4:
            size = REPLY_FRAME_LEN
        else:
            return NOT_A_FRAME
        if len(view) - start < size:
            return NEED_MORE
        end = start + size - 2
        if sum(view[start:end]) & 0xFFFF != view[end] << 8 | view[end + 1]:
            return BAD_CHECKSUM
        if size == REPLY_FRAME_LEN:
            frame: PmsFrame = CommandReply(view[start + 4], view[start + 5])
        else:
            frame = PmsReading(*_WORDS.unpack_from(view, start + 4)[:12])
        return (FRAME, size, frame)
