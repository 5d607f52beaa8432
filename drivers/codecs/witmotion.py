"""WitMotion WT901 / JY901 IMUs, "Wit standard protocol": 11-byte frames and config commands.

Facts from docs/PROTOCOLS.md (IMU) and the WitMotion protocol documents:
a frame is ``55 TYPE D0..D7 SUM`` with SUM the low byte of the sum of the first ten bytes and
four int16 little-endian values. 0x51 acceleration (raw / 32768 × 16 g, fourth value
temperature raw / 100 °C), 0x52 angular rate (raw / 32768 × 2000 °/s), 0x53 angle
(raw / 32768 × 180 °). Commands are ``FF AA REG DATAL DATAH``: unlock ``FF AA 69 88 B5``,
save ``FF AA 00 00 00``; register 0x03 sets the output rate (codes from the WT901 manual).

Choices: frames of other types (0x50 time, 0x54 magnetic field, 0x59 quaternion...) come out
as ``WitOther`` with their eight data bytes; a type byte outside 0x50..0x5F is a false sync.
The 8-bit sum catches every single bit flip but not every double one: frames are short and
the rate high, so a rare bad frame gets through now and then; filter downstream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, NOT_A_FRAME, Codec, Match

SYNC = b"\x55"
FRAME_LEN = 11
STANDARD_GRAVITY_MPS2 = 9.80665

ACCELERATION, ANGULAR_RATE, ANGLE = 0x51, 0x52, 0x53
_FULL_SCALE = 32768.0
ACCEL_G_PER_LSB = 16.0 / _FULL_SCALE
RATE_DPS_PER_LSB = 2000.0 / _FULL_SCALE
ANGLE_DEG_PER_LSB = 180.0 / _FULL_SCALE

REG_SAVE, REG_OUTPUT_RATE, REG_UNLOCK = 0x00, 0x03, 0x69
OUTPUT_RATE_CODES = {
    0.2: 0x01,
    0.5: 0x02,
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    200.0: 0x0B,
}
"""Output rate in Hz → value of register 0x03 (WT901 manual, register RRATE)."""

_VALUES = struct.Struct("<4h")


def g_to_mps2(acceleration_g: float) -> float:
    """Acceleration in g → m/s² (standard gravity)."""
    return acceleration_g * STANDARD_GRAVITY_MPS2


@dataclass(frozen=True, slots=True)
class Acceleration:
    """Acceleration along the sensor axes in g, and the sensor's temperature."""

    ax_g: float
    ay_g: float
    az_g: float
    temperature_c: float

    @property
    def acceleration_mps2(self) -> tuple[float, float, float]:
        """(x, y, z) in m/s²."""
        return g_to_mps2(self.ax_g), g_to_mps2(self.ay_g), g_to_mps2(self.az_g)


@dataclass(frozen=True, slots=True)
class AngularRate:
    """Angular rate about the sensor axes in °/s."""

    wx_dps: float
    wy_dps: float
    wz_dps: float


@dataclass(frozen=True, slots=True)
class Angle:
    """Attitude in degrees: roll (about x), pitch (about y), yaw (about z)."""

    roll_deg: float
    pitch_deg: float
    yaw_deg: float


@dataclass(frozen=True, slots=True)
class WitOther:
    """A frame of a type not decoded here, with its eight data bytes."""

    frame_type: int
    data: bytes


WitFrame = Acceleration | AngularRate | Angle | WitOther


def encode_frame(frame_type: int, values: tuple[int, int, int, int]) -> bytes:
    """The 11 bytes of a frame holding four raw int16 values (for simulators and tests)."""
    head = bytes((0x55, frame_type)) + _VALUES.pack(*values)
    return head + bytes((sum(head) & 0xFF,))


def command(register: int, value: int) -> bytes:
    """``FF AA REG DATAL DATAH``: write a 16-bit value to a configuration register."""
    return bytes((0xFF, 0xAA, register, value & 0xFF, (value >> 8) & 0xFF))


def unlock() -> bytes:
    """Unlock configuration (``FF AA 69 88 B5``); send before any other write."""
    return command(REG_UNLOCK, 0xB588)


def save() -> bytes:
    """Save the configuration to flash (``FF AA 00 00 00``)."""
    return command(REG_SAVE, 0x0000)


def set_output_rate(rate_hz: float) -> bytes:
    """Set the output rate; ``rate_hz`` must be one of ``OUTPUT_RATE_CODES``."""
    return command(REG_OUTPUT_RATE, OUTPUT_RATE_CODES[rate_hz])


class WitCodec(Codec[WitFrame]):
    """Wit standard protocol frames out of a byte stream."""

    sync = SYNC
    max_frame_len = FRAME_LEN

    def _match(self, view: bytes, start: int) -> Match[WitFrame]:
        if len(view) - start < 2:
            return NEED_MORE
        frame_type = view[start + 1]
        if frame_type & 0xF0 != 0x50:
            return NOT_A_FRAME
        if len(view) - start < FRAME_LEN:
            return NEED_MORE
        if sum(view[start : start + 10]) & 0xFF != view[start + 10]:
            return BAD_CHECKSUM
        a, b, c, d = _VALUES.unpack_from(view, start + 2)
        frame: WitFrame
        if frame_type == ACCELERATION:
            s = ACCEL_G_PER_LSB
            frame = Acceleration(a * s, b * s, c * s, d / 100.0)
        elif frame_type == ANGULAR_RATE:
            s = RATE_DPS_PER_LSB
            frame = AngularRate(a * s, b * s, c * s)
        elif frame_type == ANGLE:
            s = ANGLE_DEG_PER_LSB
            frame = Angle(a * s, b * s, c * s)
        else:
            frame = WitOther(frame_type, view[start + 2 : start + 10])
        return (FRAME, FRAME_LEN, frame)
