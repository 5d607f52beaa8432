"""NMEA 0183 sentences from GNSS receivers: GGA, RMC, VTG and GSA, any talker.

Facts from /work/shared/reference/PROTOCOLS.md (GNSS) and gpsd's "NMEA Revealed":
``$<talker><type>,f1,...*HH`` ended by CR LF; ``HH`` is the XOR of every byte between ``$``
and ``*`` written as two uppercase hex digits. Only uppercase is accepted, so a bit flip that
turns ``A`` into ``a`` is a checksum error, and the terminator must be CR LF (or a bare LF),
so no single bit flip of a sentence, its checksum or its terminator yields a sentence.

Choices: an address must be two uppercase letters of talker and three of type (any talker:
GP, GN, GL, GA, BD, GB, GQ...) or ``P`` and a proprietary name. Sentences of other types with a
good checksum are returned as ``OtherSentence`` (raw text fields), so nothing valid is lost.
Empty fields decode to ``None``; a field that does not parse rejects the sentence
(``frames_rejected``). Latitude and longitude are signed decimal degrees (north, east
positive), speeds m/s, times UTC; a two-digit year is read in 1980..2079 (GPS began in 1980).

Speed: checksums come from one prefix-XOR table per ``feed`` (NumPy) rather than a loop per
sentence, frames are built with ``fast_constructor``, and time and position fields are
cached because GGA and RMC repeat them within an epoch (see ``bench/bench_nmea.py``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache, reduce

import numpy as np

from drivers.codecs.codec import (
    BAD_CHECKSUM,
    FRAME,
    NEED_MORE,
    NOT_A_FRAME,
    REJECTED,
    Codec,
    Match,
    fast_constructor,
)

MAX_SENTENCE = 256
"""Longest sentence accepted, ``$`` to LF (the standard says 82; receivers exceed it)."""

KNOT_MPS = 1852.0 / 3600.0
KMH_MPS = 1000.0 / 3600.0

_HEX = {c: i for i, c in enumerate(b"0123456789ABCDEF")}
_UPPER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_UPPER_DIGIT = _UPPER | frozenset(b"0123456789")
_SIGNS = (b"+", b"-")
_T, _M, _N, _K = ((b"", unit) for unit in (b"T", b"M", b"N", b"K"))


@dataclass(frozen=True, slots=True)
class Gga:
    """GGA: time, position and fix quality (0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 float...)."""

    talker: str
    time_utc: time | None
    lat_deg: float | None
    lon_deg: float | None
    fix_quality: int | None
    num_sv: int | None
    hdop: float | None
    altitude_msl_m: float | None
    geoid_separation_m: float | None
    dgps_age_s: float | None
    dgps_station: str | None


@dataclass(frozen=True, slots=True)
class Rmc:
    """RMC: the recommended minimum — date, time, position, speed and course over ground."""

    talker: str
    time_utc: time | None
    valid: bool
    lat_deg: float | None
    lon_deg: float | None
    speed_mps: float | None
    course_deg: float | None
    date_utc: date | None
    magnetic_variation_deg: float | None
    """East positive."""
    mode: str | None
    """A autonomous, D differential, E dead reckoning, M manual, N not valid, S simulator."""

    @property
    def datetime_utc(self) -> datetime | None:
        """Date and time together, when the sentence has both."""
        if self.date_utc is None or self.time_utc is None:
            return None
        return datetime.combine(self.date_utc, self.time_utc, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Vtg:
    """VTG: course (true and magnetic) and speed over ground."""

    talker: str
    course_true_deg: float | None
    course_magnetic_deg: float | None
    speed_mps: float | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class Gsa:
    """GSA: fix type (1 none, 2 2D, 3 3D), satellites used and dilutions of precision."""

    talker: str
    selection_mode: str | None
    """A automatic 2D/3D, M manual."""
    fix_type: int | None
    sv_ids: tuple[int, ...]
    pdop: float | None
    hdop: float | None
    vdop: float | None
    system_id: int | None
    """GNSS of the satellite list (NMEA 4.1 and later), else None."""


@dataclass(frozen=True, slots=True)
class OtherSentence:
    """A sentence with a good checksum of a type not decoded here (GSV, GLL, TXT, PUBX...)."""

    talker: str
    """Two letters, or ``P`` for proprietary sentences."""
    sentence_type: str
    fields: tuple[str, ...]


NmeaFrame = Gga | Rmc | Vtg | Gsa | OtherSentence


def checksum(body: bytes) -> int:
    """XOR of the bytes between ``$`` and ``*``."""
    return reduce(operator.xor, body, 0)


def encode_sentence(body: str) -> bytes:
    """``$body*HH\\r\\n``: the bytes a receiver sends for ``body`` (address and fields)."""
    raw = body.encode("ascii")
    return b"$%s*%02X\r\n" % (raw, checksum(raw))


def _float(field: bytes) -> float | None:
    """A number field; ``nan``, ``inf`` and other words are refused (they end in a letter)."""
    if not field:
        return None
    if field[-1] > 0x39:  # past '9'
        raise ValueError("not a number")
    return float(field)


@lru_cache(maxsize=16)
def _time(field: bytes) -> time | None:
    """``hhmmss[.sss]`` → time (UTC); a leap second (60) is not representable: rejected.

    Cached: a receiver repeats the same epoch's time in GGA and RMC.
    """
    if not field:
        return None
    if len(field) < 6 or field[-1] > 0x39:
        raise ValueError("bad time")
    seconds = float(field[4:])
    whole = int(seconds)
    micro = round((seconds - whole) * 1e6)
    if micro >= 1_000_000:  # .9999995 and more
        whole, micro = whole + 1, 0
    return time(int(field[:2]), int(field[2:4]), whole, micro, tzinfo=UTC)


@lru_cache(maxsize=4)
def _date(field: bytes) -> date | None:
    """``ddmmyy`` → date, year 1980..2079 (cached: it changes once a day)."""
    if not field:
        return None
    if len(field) != 6:
        raise ValueError("bad date")
    yy = int(field[4:6])
    return date(yy + (1900 if yy >= 80 else 2000), int(field[2:4]), int(field[:2]))


def _angle(field: bytes, hemisphere: bytes) -> float | None:
    """``(d)ddmm.mmmm`` and N/S/E/W → signed decimal degrees."""
    if not field and not hemisphere:
        return None
    side = _HEMISPHERES.get(hemisphere)
    if side is None or field[:1] in _SIGNS or field[-1:] > b"9":
        raise ValueError("bad angle")
    sign, limit = side
    dot = field.find(b".")
    if dot < 0:
        dot = len(field)
    minutes = float(field[dot - 2 :])
    degrees = int(field[: dot - 2]) + minutes / 60.0
    if dot < 3 or not 0.0 <= minutes < 60.0 or degrees > limit:
        raise ValueError("angle out of range")
    return sign * degrees


_HEMISPHERES = {b"N": (1.0, 90), b"S": (-1.0, 90), b"E": (1.0, 180), b"W": (-1.0, 180)}


@lru_cache(maxsize=16)
def _position(lat: bytes, ns: bytes, lon: bytes, ew: bytes) -> tuple[float | None, float | None]:
    """(lat_deg, lon_deg) from the four position fields (cached like ``_time``)."""
    if ns not in _NS or ew not in _EW:
        raise ValueError("bad hemisphere")
    return _angle(lat, ns), _angle(lon, ew)


_NS = (b"N", b"S", b"")
_EW = (b"E", b"W", b"")
_new_gga = fast_constructor(Gga)
_new_rmc = fast_constructor(Rmc)
_new_vtg = fast_constructor(Vtg)
_new_gsa = fast_constructor(Gsa)


def _gga(talker: str, f: list[bytes]) -> Gga:
    fix, sv, station = f[6], f[7], f[14]
    lat, lon = _position(f[2], f[3], f[4], f[5])
    return _new_gga(
        talker,
        _time(f[1]),
        lat,
        lon,
        int(fix) if fix else None,
        int(sv) if sv else None,
        _float(f[8]),
        _float(f[9]),
        _float(f[11]),
        _float(f[13]),
        station.decode("ascii") if station else None,
    )


def _rmc(talker: str, f: list[bytes]) -> Rmc:
    status = f[2]
    if status != b"A" and status != b"V":
        raise ValueError("bad status")
    variation = _float(f[10])
    if variation is not None:
        if f[11] == b"W":
            variation = -variation
        elif f[11] != b"E":
            raise ValueError("bad variation side")
    knots = _float(f[7])
    mode = f[12] if len(f) > 12 else b""
    lat, lon = _position(f[3], f[4], f[5], f[6])
    return _new_rmc(
        talker,
        _time(f[1]),
        status == b"A",
        lat,
        lon,
        None if knots is None else knots * KNOT_MPS,
        _float(f[8]),
        _date(f[9]),
        variation,
        mode.decode("ascii") if mode else None,
    )


def _vtg(talker: str, f: list[bytes]) -> Vtg:
    if f[2] not in _T or f[4] not in _M or f[6] not in _N or f[8] not in _K:
        raise ValueError("bad VTG units")
    knots = _float(f[5])
    if knots is not None:
        speed: float | None = knots * KNOT_MPS
    else:
        kmh = _float(f[7])
        speed = None if kmh is None else kmh * KMH_MPS
    mode = f[9] if len(f) > 9 else b""
    return _new_vtg(
        talker, _float(f[1]), _float(f[3]), speed, mode.decode("ascii") if mode else None
    )


def _gsa(talker: str, f: list[bytes]) -> Gsa:
    mode, fix = f[1], f[2]
    system = f[18] if len(f) > 18 else b""
    return _new_gsa(
        talker,
        mode.decode("ascii") if mode else None,
        int(fix) if fix else None,
        tuple([int(sv) for sv in f[3:15] if sv]),
        _float(f[15]),
        _float(f[16]),
        _float(f[17]),
        int(system, 16) if system else None,
    )


_DECODERS = {b"GGA": (_gga, 15), b"RMC": (_rmc, 12), b"VTG": (_vtg, 9), b"GSA": (_gsa, 18)}
"""Sentence type → (decoder, minimum number of fields including the address)."""

_Route = tuple[str, str, Callable[[str, list[bytes]], NmeaFrame] | None, int]
_routes: dict[bytes, _Route] = {}
"""Address → (talker, type, decoder or None, fields needed): grows by one per new address."""


def _route(address: bytes) -> _Route | None:
    """What to do with a sentence of this address; None when the address is malformed."""
    route = _routes.get(address)
    if route is not None:
        return route
    if len(address) == 5 and all(c in _UPPER for c in address):
        decoder, needed = _DECODERS.get(address[2:], (None, 1))
        route = (address[:2].decode(), address[2:].decode(), decoder, needed)
    elif 2 <= len(address) <= 9 and address[0] == 0x50 and all(c in _UPPER_DIGIT for c in address):
        route = ("P", address[1:].decode(), None, 1)  # proprietary: $P + maker + type
    else:
        return None
    if len(_routes) < 4096:
        _routes[address] = route
    return route


def decode_body(body: bytes) -> NmeaFrame | None:
    """The frame for a checksummed body (between ``$`` and ``*``), or None when malformed."""
    fields = body.split(b",")
    route = _route(fields[0])
    if route is None or len(fields) < route[3]:
        return None
    talker, sentence_type, decoder, _ = route
    try:
        if decoder is not None:
            return decoder(talker, fields)
        return OtherSentence(talker, sentence_type, tuple([f.decode("ascii") for f in fields[1:]]))
    except ValueError:  # includes UnicodeDecodeError
        return None


class NmeaCodec(Codec[NmeaFrame]):
    """Sentences out of a byte stream; garbage, broken and bad-checksum lines are counted."""

    sync = b"$"
    max_frame_len = MAX_SENTENCE

    def __init__(self) -> None:
        super().__init__()
        self._xor_upto = b""

    def _prepare(self, view: bytes) -> None:
        # _xor_upto[i] is the XOR of view[0..i]: a body's checksum is two lookups.
        self._xor_upto = _xor_accumulate(np.frombuffer(view, np.uint8)).tobytes()

    def _match(self, view: bytes, start: int) -> Match[NmeaFrame]:
        lf = view.find(b"\n", start + 1, start + MAX_SENTENCE)
        if lf < 0:
            return NEED_MORE if len(view) - start < MAX_SENTENCE else NOT_A_FRAME
        star = lf - 4 if view[lf - 1] == 13 else lf - 3  # CR LF, or a bare LF
        if star <= start or view[star] != 42:  # *
            return NOT_A_FRAME
        body = view[start + 1 : star]
        if 36 in body:  # a later '$' starts the real sentence
            return NOT_A_FRAME
        high = _HEX.get(view[star + 1])
        low = _HEX.get(view[star + 2])
        xor_upto = self._xor_upto
        if high is None or low is None or xor_upto[star - 1] ^ xor_upto[start] != high << 4 | low:
            return BAD_CHECKSUM
        frame = decode_body(body)
        if frame is None:
            return (REJECTED, lf + 1 - start, None)
        return (FRAME, lf + 1 - start, frame)


_xor_accumulate = np.bitwise_xor.accumulate
