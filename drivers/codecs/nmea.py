"""NMEA 0183 sentences from GNSS receivers: GGA, RMC, VTG and GSA, any talker.

Facts from docs/PROTOCOLS.md (GNSS) and gpsd's "NMEA Revealed":
``$<talker><type>,f1,...*HH`` ended by CR LF; ``HH`` is the XOR of every byte between ``$``
and ``*`` in hex.

The grammar is ``ext.frames``'s (its NMEA section says it in full): this codec frames and
reads each sentence with ``ext.frames.nmea_match``, the very code the bulk decoder
(``ext.frames.decode_nmea``) runs on a journal, so a sentence recorded live and the same
sentence processed offline are accepted, valued and counted alike. Tolerant where real
receivers differ (CR, LF, CR CR LF or spaces before the line end; either hex case; NMEA
2.x to 4.x field counts; a mode letter where an RMC's variation direction should be; any
talker; proprietary sentences of any length, returned as ``OtherSentence``); strict on
values (a malformed number, time, date or unit rejects the sentence: ``frames_rejected``).

Empty or absent fields decode to ``None``. Latitude and longitude are signed decimal
degrees (north, east positive), speeds m/s, times UTC; a two-digit year is read in
1980..2079 (GPS began in 1980).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache, reduce

from drivers.codecs.codec import Codec, Match, Verdict, fast_constructor
from ext import frames as _grammar

MAX_SENTENCE = _grammar.NMEA_MAX_SENTENCE
"""Longest sentence accepted, ``$`` to its line end (the standard says 82; receivers exceed it)."""

KNOT_MPS = _grammar.KNOT_MPS
KMH_MPS = 1000.0 / 3600.0


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
    return encode_sentence_bytes(body.encode("ascii"))


@lru_cache(maxsize=16)
def _time(micro_of_day: int | None) -> time | None:
    """Microseconds since UTC midnight → time (cached: GGA and RMC repeat an epoch's time)."""
    if micro_of_day is None:
        return None
    seconds, micro = divmod(micro_of_day, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return time(minutes // 60, minutes % 60, second, micro, tzinfo=UTC)


@lru_cache(maxsize=4)
def _date(yyyymmdd: int | None) -> date | None:
    """``yyyymmdd`` → date (cached: it changes once a day)."""
    if yyyymmdd is None:
        return None
    return date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)


_new_gga = fast_constructor(Gga)
_new_rmc = fast_constructor(Rmc)
_new_vtg = fast_constructor(Vtg)
_new_gsa = fast_constructor(Gsa)


def _frame(values: tuple) -> NmeaFrame:  # type: ignore[type-arg]
    """The frame for ``ext.frames.nmea_match``'s values (kind, talker, then the fields)."""
    kind = values[0]
    if kind == _grammar.NMEA_GGA:
        return _new_gga(values[1], _time(values[2]), *values[3:])
    if kind == _grammar.NMEA_RMC:
        _, talker, micro, valid, lat, lon, speed, course, day, variation, mode = values
        return _new_rmc(talker, _time(micro), valid, lat, lon, speed, course, _date(day),
                        variation, mode)  # fmt: skip
    if kind == _grammar.NMEA_VTG:
        return _new_vtg(*values[1:])
    if kind == _grammar.NMEA_GSA:
        return _new_gsa(*values[1:])
    return OtherSentence(*values[1:])


def decode_body(body: bytes) -> NmeaFrame | None:
    """The frame for a body (between ``$`` and ``*``), or None when the grammar rejects it."""
    verdict, _, values = _grammar.nmea_match(encode_sentence_bytes(body), 0)
    return _frame(values) if verdict == _grammar.NMEA_FRAME else None


def encode_sentence_bytes(body: bytes) -> bytes:
    """``$body*HH\\r\\n`` for a body given as bytes."""
    return b"$%s*%02X\r\n" % (body, checksum(body))


_VERDICTS = tuple(Verdict)
_FRAME = Verdict.FRAME
_NMEA_FRAME = _grammar.NMEA_FRAME


class NmeaCodec(Codec[NmeaFrame]):
    """Sentences out of a byte stream; garbage, broken and bad-checksum lines are counted.

    Line ends and spaces between sentences are not garbage (``_gap_garbage``).
    """

    sync = b"$"
    max_frame_len = MAX_SENTENCE
    can_hold_frames = False
    """A ``$`` ends any candidate: no time budget, so live and bulk count alike."""

    def _gap_garbage(self, view: bytes, pos: int, end: int) -> int:
        return end - pos - _grammar.nmea_blank(view, pos, end) if end > pos else 0

    def _match(self, view: bytes, start: int) -> Match[NmeaFrame]:
        verdict, length, values = _grammar.nmea_match(view, start)
        if verdict == _NMEA_FRAME:
            return (_FRAME, length, _frame(values))
        return (_VERDICTS[verdict], length, None)
