"""u-blox UBX binary protocol: framing, Fletcher checksum, NAV-PVT and ACK decoding, encoders.

Facts from docs/PROTOCOLS.md (GNSS) and PX4-GPSDrivers ``ubx.h``: a frame is
``B5 62 CLASS ID LEN(u16 LE) PAYLOAD CK_A CK_B`` with the 8-bit Fletcher checksum over CLASS
to the end of the payload. NAV-PVT (01 07) has a 92-byte payload (u-blox 8 and later; the
84-byte u-blox 7 variant is not accepted): fixType at 20, flags at 21 (bit 0 gnssFixOK),
numSV 23, lon 24 and lat 28 (1e-7 deg), hMSL 36 (mm), hAcc 40 (mm), gSpeed 60 (mm/s),
headMot 64 (1e-5 deg), pDOP 76 (0.01); the UTC date and time are at 4..11 with validity
bits at 11 and nanoseconds at 16.

Choices: a known message (NAV-PVT, ACK-ACK, ACK-NAK) whose header declares another payload
length is a false sync, judged on the header alone (a bit error in the length of a NAV-PVT
would otherwise hold the next frames until the declared length arrived); other messages come
out as ``UbxMessage`` with their raw payload; payloads longer than ``MAX_PAYLOAD`` are taken
for a false sync, and the codec's time budget (``Codec.set_baudrate``) abandons any other
length that does not arrive in time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from drivers.codecs.codec import (
    BAD_CHECKSUM,
    FRAME,
    NEED_MORE,
    NOT_A_FRAME,
    REJECTED,
    Codec,
    Match,
)

SYNC = b"\xb5\x62"
MAX_PAYLOAD = 2048
"""Longest payload accepted (NAV-SAT with 100+ satellites stays below)."""

NAV, ACK, CFG = 0x01, 0x05, 0x06
NAV_PVT = (NAV, 0x07)
ACK_ACK, ACK_NAK = (ACK, 0x01), (ACK, 0x00)
CFG_MSG, CFG_RATE = (CFG, 0x01), (CFG, 0x08)
NAV_PVT_LEN = 92

_PVT = struct.Struct("<IHBBBBBBIiBBBBiiiiIIiiiiiIIH6x")
"""NAV-PVT fields up to pDOP (offset 78), 92 bytes with the reserved tail."""
_PVT_TAIL = struct.Struct("<ihH")
"""headVeh (84), magDec (88), magAcc (90): read but not kept."""


@dataclass(frozen=True, slots=True)
class NavPvt:
    """NAV-PVT: the receiver's navigation solution (fix_type 0 none, 2 2D, 3 3D, 4 GNSS+DR)."""

    itow_ms: int
    """GPS time of week of the epoch."""
    utc: datetime | None
    """UTC date and time when the receiver marks both valid, else None."""
    fix_type: int
    fix_ok: bool
    num_sv: int
    lat_deg: float
    lon_deg: float
    height_m: float
    """Height above mean sea level."""
    h_acc_m: float
    speed_mps: float
    """Ground speed."""
    heading_deg: float
    """Heading of motion."""
    pdop: float


@dataclass(frozen=True, slots=True)
class Ack:
    """ACK-ACK (``acknowledged``) or ACK-NAK for the configuration message class/id."""

    acknowledged: bool
    msg_class: int
    msg_id: int


@dataclass(frozen=True, slots=True)
class UbxMessage:
    """Any other well-checksummed UBX message, undecoded."""

    msg_class: int
    msg_id: int
    payload: bytes


UbxFrame = NavPvt | Ack | UbxMessage


def fletcher(data: bytes) -> tuple[int, int]:
    """(CK_A, CK_B) of the UBX 8-bit Fletcher algorithm over ``data`` (CLASS to payload end).

    CK_B sums every running CK_A, i.e. the byte at position i counts n - i times.
    """
    n = len(data)
    return sum(data) & 0xFF, sum(map(int.__mul__, range(n, 0, -1), data)) & 0xFF


def encode(msg_class: int, msg_id: int, payload: bytes = b"") -> bytes:
    """A complete UBX frame for a message."""
    body = struct.pack("<BBH", msg_class, msg_id, len(payload)) + payload
    return SYNC + body + bytes(fletcher(body))


def poll(msg_class: int, msg_id: int) -> bytes:
    """The empty-payload request that asks the receiver for one message (NAV-PVT: B5 62 01 07..)."""
    return encode(msg_class, msg_id)


def cfg_rate(measurement_period_ms: int, nav_rate: int = 1, time_ref: int = 1) -> bytes:
    """CFG-RATE: one measurement every ``measurement_period_ms`` (100 = 10 Hz), GPS time."""
    return encode(*CFG_RATE, struct.pack("<HHH", measurement_period_ms, nav_rate, time_ref))


def cfg_msg(msg_class: int, msg_id: int, rate: int) -> bytes:
    """CFG-MSG: output the message on the current port every ``rate`` solutions (0 = off)."""
    return encode(*CFG_MSG, bytes((msg_class, msg_id, rate)))


def encode_nav_pvt(
    *,
    itow_ms: int = 0,
    utc: datetime | None = None,
    fix_type: int = 3,
    fix_ok: bool = True,
    num_sv: int = 0,
    lat_deg: float = 0.0,
    lon_deg: float = 0.0,
    height_m: float = 0.0,
    h_acc_m: float = 0.0,
    speed_mps: float = 0.0,
    heading_deg: float = 0.0,
    pdop: float = 0.0,
) -> bytes:
    """A NAV-PVT frame as a receiver sends it (for simulators and tests); other fields zero."""
    if utc is None:
        date_time, valid, nano = (0, 0, 0, 0, 0, 0), 0, 0
    else:
        utc = utc.astimezone(UTC)
        date_time = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
        valid, nano = 0x03, utc.microsecond * 1000
    payload = _PVT.pack(
        itow_ms,
        *date_time,
        valid,
        0,  # tAcc
        nano,
        fix_type,
        0x01 if fix_ok else 0x00,
        0,  # flags2
        num_sv,
        round(lon_deg * 1e7),
        round(lat_deg * 1e7),
        0,  # height above ellipsoid
        round(height_m * 1000),
        round(h_acc_m * 1000),
        0,  # vAcc
        0,  # velN
        0,  # velE
        0,  # velD
        round(speed_mps * 1000),
        round(heading_deg * 1e5),
        0,  # sAcc
        0,  # headAcc
        round(pdop * 100),
    ) + _PVT_TAIL.pack(0, 0, 0)
    return encode(*NAV_PVT, payload)


def _utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, nano: int
) -> datetime | None:
    try:
        base = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except ValueError:
        return None
    return base + timedelta(seconds=second - min(second, 59), microseconds=nano // 1000)


def _nav_pvt(payload: bytes) -> NavPvt:
    (
        itow,
        year,
        month,
        day,
        hour,
        minute,
        second,
        valid,
        _t_acc,
        nano,
        fix_type,
        flags,
        _flags2,
        num_sv,
        lon,
        lat,
        _height,
        h_msl,
        h_acc,
        _v_acc,
        _vel_n,
        _vel_e,
        _vel_d,
        g_speed,
        head_mot,
        _s_acc,
        _head_acc,
        p_dop,
    ) = _PVT.unpack_from(payload)
    utc = _utc(year, month, day, hour, minute, second, nano) if valid & 0x03 == 0x03 else None
    return NavPvt(
        itow,
        utc,
        fix_type,
        bool(flags & 0x01),
        num_sv,
        lat * 1e-7,
        lon * 1e-7,
        h_msl / 1000.0,
        h_acc / 1000.0,
        g_speed / 1000.0,
        head_mot * 1e-5,
        p_dop / 100.0,
    )


_KNOWN_LENGTHS = {NAV_PVT: NAV_PVT_LEN, ACK_ACK: 2, ACK_NAK: 2}
"""Payload length of the messages decoded here, checked on the header."""


class UbxCodec(Codec[UbxFrame]):
    """UBX frames out of a byte stream (NMEA interleaved on the same port is dropped)."""

    sync = SYNC
    max_frame_len = 8 + MAX_PAYLOAD

    def _match(self, view: bytes, start: int) -> Match[UbxFrame]:
        if len(view) - start < 6:
            return NEED_MORE
        msg_class, msg_id, length = struct.unpack_from("<BBH", view, start + 2)
        known = _KNOWN_LENGTHS.get((msg_class, msg_id))
        if length > MAX_PAYLOAD or (known is not None and length != known):
            return NOT_A_FRAME
        end = start + 6 + length
        if len(view) < end + 2:
            return NEED_MORE
        if bytes(fletcher(view[start + 2 : end])) != view[end : end + 2]:
            return BAD_CHECKSUM
        payload = view[start + 6 : end]
        key = (msg_class, msg_id)
        if key == NAV_PVT:
            frame: UbxFrame = _nav_pvt(payload)
        elif msg_class == ACK:
            if msg_id > 1:
                return (REJECTED, end + 2 - start, None)
            frame = Ack(msg_id == 1, payload[0], payload[1])
        else:
            frame = UbxMessage(msg_class, msg_id, payload)
        return (FRAME, end + 2 - start, frame)
