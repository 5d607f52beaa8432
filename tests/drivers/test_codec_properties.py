"""Properties every codec must have, run over all of them from one registry.

1. No bytes make a codec raise, and its buffer stays shorter than one frame.
2. A valid frame with one bit flipped is never accepted — neither as itself nor as any frame
   (the exceptions per protocol are stated in ``flipped_frame_check``'s docstrings).
3. Feeding a stream in any chunks (down to one byte at a time) gives exactly the frames and
   counters that feeding it whole gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.codecs import at_modem, modbus, nmea, pms5003, sds011, sps30, thermal, ubx, witmotion
from drivers.codecs.codec import Codec

SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
i16 = st.integers(-0x8000, 0x7FFF)


# --- one valid frame of each protocol -------------------------------------------------------


def _opt(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


def _num(low: int, high: int, decimals: int) -> st.SearchStrategy[str]:
    """A decimal number as a receiver prints it, between ``low`` and ``high``."""
    scale = 10**decimals
    return st.integers(low * scale, high * scale).map(
        lambda n: f"{'-' if n < 0 else ''}{abs(n) // scale}.{abs(n) % scale:0{decimals}d}"
    )


_time = st.builds(
    lambda h, m, s, cs: f"{h:02d}{m:02d}{s:02d}.{cs:02d}",
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 99),
)
_minutes = st.integers(0, 599_999).map(lambda m: f"{m // 10_000:02d}.{m % 10_000:04d}")
_lat = st.builds(
    lambda d, m, h: f"{d:02d}{m},{h}", st.integers(0, 89), _minutes, st.sampled_from("NS")
)
_lon = st.builds(
    lambda d, m, h: f"{d:03d}{m},{h}", st.integers(0, 179), _minutes, st.sampled_from("EW")
)
_ddmmyy = st.dates(date(1980, 1, 1), date(2079, 12, 31)).map(lambda d: d.strftime("%d%m%y"))
_gga = st.builds(
    lambda *f: "GGA," + ",".join(f),
    _opt(_time),
    st.one_of(st.just(","), _lat),
    st.one_of(st.just(","), _lon),
    st.integers(0, 8).map(str),
    st.integers(0, 40).map(lambda n: f"{n:02d}"),
    _opt(_num(0, 99, 1)),
    st.builds(lambda a: f"{a},M", _opt(_num(-400, 9000, 1))),
    st.builds(lambda g: f"{g},M", _opt(_num(-100, 100, 1))),
    _opt(_num(0, 99, 1)),
    _opt(st.integers(0, 1023).map(lambda n: f"{n:04d}")),
)
_rmc = st.builds(
    lambda *f: "RMC," + ",".join(f),
    _opt(_time),
    st.sampled_from("AV"),
    st.one_of(st.just(","), _lat),
    st.one_of(st.just(","), _lon),
    _opt(_num(0, 300, 2)),
    _opt(_num(0, 359, 1)),
    _opt(_ddmmyy),
    st.one_of(
        st.just(","), st.builds(lambda v, s: f"{v},{s}", _num(0, 30, 1), st.sampled_from("EW"))
    ),
    st.sampled_from("ADENS"),
)
_vtg = st.builds(
    lambda c, m, kn, kmh, mode: f"VTG,{c},T,{m},M,{kn},N,{kmh},K,{mode}",
    _opt(_num(0, 359, 1)),
    _opt(_num(0, 359, 1)),
    _opt(_num(0, 300, 2)),
    _opt(_num(0, 500, 2)),
    st.sampled_from("ADEN"),
)
_gsa = st.builds(
    lambda mode, fix, svs, dops: f"GSA,{mode},{fix}," + ",".join(svs) + "," + ",".join(dops),
    st.sampled_from("AM"),
    st.integers(1, 3),
    st.lists(_opt(st.integers(1, 99).map(lambda n: f"{n:02d}")), min_size=12, max_size=12),
    st.lists(_opt(_num(0, 99, 2)), min_size=3, max_size=3),
)
nmea_frames = st.builds(
    lambda talker, body: nmea.encode_sentence(talker + body),
    st.sampled_from(["GP", "GN", "GL", "GA", "BD"]),
    st.one_of(_gga, _rmc, _vtg, _gsa),
)
ubx_frames = st.one_of(
    st.binary(min_size=92, max_size=92).map(lambda p: ubx.encode(0x01, 0x07, p)),
    st.builds(
        lambda i, p: ubx.encode(0x05, i, p), st.integers(0, 1), st.binary(min_size=2, max_size=2)
    ),
)
ubx_any_frames = st.one_of(
    ubx_frames,
    st.builds(
        ubx.encode, st.integers(0x02, 0x04) | st.integers(0x06, 0xFF), u8, st.binary(max_size=64)
    ),
)
wit_frames = st.builds(
    witmotion.encode_frame, st.integers(0x50, 0x5F), st.tuples(i16, i16, i16, i16)
)
pms_frames = st.one_of(
    st.builds(
        lambda v: pms5003.encode_reading(pms5003.PmsReading(*v)),
        st.lists(u16, min_size=12, max_size=12),
    ),
    st.builds(pms5003.encode_reply, u8, u8),
)
sds_frames = st.one_of(
    st.builds(lambda a, b, i: sds011.encode_reading(a / 10, b / 10, i), u16, u16, u16),
    st.builds(sds011.encode_reply, u8, st.binary(min_size=3, max_size=3), u16),
)
_f32 = st.floats(width=32, allow_nan=False)
sps30_frames = st.one_of(
    st.builds(
        lambda v: sps30.encode_reading(sps30.Sps30Reading(*v)),
        st.lists(_f32, min_size=10, max_size=10),
    ),
    st.builds(sps30.encode_reply, st.just(sps30.CMD_READ), st.sampled_from([b"", bytes(20)])),
    st.builds(
        sps30.encode_reply,
        u8.filter(lambda cmd: cmd != sps30.CMD_READ),  # read replies have fixed lengths
        st.binary(max_size=48),
        st.one_of(st.just(0), u8),
    ),
)
at_lines = st.sampled_from(
    [
        "OK",
        "ERROR",
        "RING",
        "+CME ERROR: 10",
        "AT+CSQ",
        "+CSQ: 20,99",
        "+CESQ: 99,99,255,255,20,45",
        '+COPS: 0,0,"Orange F",7',
        "+CREG: 0,1",
        '+CEREG: 1,"CBE8","12AED4A",7',
        '+QENG: "servingcell","NOCONN","LTE","FDD",505,02,12AED4A,445,3750,8,3,3,CBE8,-99,-14,-71'
        ",53,30",
        "Quectel",
        "+CSQ: 40,99",
    ]
)
at_frames = st.builds(
    lambda line, end: line.encode() + end, at_lines, st.sampled_from([b"\r\n", b"\r", b"\n"])
)
thermal_frames = st.builds(
    lambda seed, ambient: thermal.encode_frame(
        np.random.default_rng(seed).integers(-4000, 30000, (24, 32)) / 100, ambient / 100
    ),
    st.integers(0, 2**32 - 1),
    i16,
)
modbus_frames = st.one_of(
    st.builds(lambda t, h: modbus.encode_reading(1, t / 10, h / 10), i16, u16),
    st.builds(lambda code: modbus.encode_exception(1, 0x04, code), u8),
    st.builds(
        lambda fn, values: modbus.encode_response(1, fn, tuple(values)),
        st.sampled_from([0x03, 0x04]),
        st.lists(u16, min_size=1, max_size=20),
    ),
)


# --- what a flipped frame may still yield ---------------------------------------------------


def nothing(original: object, flipped: bytes, index: int, decoded: list[object]) -> None:
    """The check value or the framing catches every single bit flip: nothing comes out.

    Every check used here (XOR, 8- or 16-bit sums, Fletcher, word sum) changes when one bit
    of a covered byte changes, and every framing byte has no valid single-flip neighbour.
    A flip that forges a sync inside the frame leaves a candidate shorter than any frame
    (fixed-length protocols), or one whose address is not five letters (NMEA: the fields of
    GGA/RMC/VTG/GSA never are). UBX is the one approximation: a sync forged inside a payload
    would also need a message that fits in the rest of the frame and a matching Fletcher
    checksum, below 2**-30 per flip, which we treat as impossible.
    """
    assert decoded == []


def nothing_or_the_same_nmea(
    original: object, flipped: bytes, index: int, decoded: list[object]
) -> None:
    """NMEA: nothing comes out, or the very sentence when the flip left its content intact.

    The checksum's hex digits are read in either case (a flip of bit 5 of ``A``..``F``
    gives the same value), and a sentence ends at its first line-end byte (a flip of the LF
    after the CR leaves it whole). Any flip of the body, the ``*`` or the value of a hex
    digit yields nothing.
    """
    if index >= len(flipped) - 4:  # the hex digits, the CR, the LF (the frames end CR LF)
        assert decoded in ([], [original])
    else:
        assert decoded == []


def not_the_original_sps30(
    original: object, flipped: bytes, index: int, decoded: list[object]
) -> None:
    """SHDLC: nothing comes out, unless the flip forged a flag (0x7E) inside the frame.

    Then the bytes after the forged flag are judged as a frame of their own: they are accepted
    only if address, length byte and 8-bit checksum all happen to fit (a coincidence the
    protocol cannot rule out). The original frame is never accepted.
    """
    if flipped[index] == sps30.FLAG:
        assert original not in decoded
    else:
        assert decoded == []


def not_the_original_modbus(
    original: object, flipped: bytes, index: int, decoded: list[object]
) -> None:
    """RTU has no delimiter: nothing but an exception frame can come out, never the original.

    A flip of bit 7 of the function code turns a response into the head of an exception
    frame whose CRC-16 is then read from data bytes: a 2**-16 coincidence the protocol cannot
    rule out. A register response can only come out with a CRC that matches its own bytes.
    """
    assert original not in decoded
    assert all(isinstance(frame, modbus.ModbusException) for frame in decoded)


@dataclass(frozen=True)
class Case:
    name: str
    new: Callable[[], Codec[Any]]
    examples: tuple[bytes, bytes, bytes]
    """Three fixed valid frames (or lines) for the deterministic tests."""
    frames: st.SearchStrategy[bytes]
    """One valid frame (the flip property feeds it alone)."""
    flipped_frame_check: Callable[[object, bytes, int, list[object]], None] | None
    """None: the protocol has no check value, so a flipped frame may decode (AT lines)."""
    stream_frames: st.SearchStrategy[bytes] | None = None
    """Frames for streams (default: ``frames``)."""


def _image(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).normal(21.0, 3.0, (24, 32))
    return thermal.encode_frame(pixels, 19.5 + seed)


CASES = [
    Case(
        "nmea",
        nmea.NmeaCodec,
        (
            b"$GNGGA,203415.000,6325.6138,N,01021.4290,E,1,8,2.42,72.5,M,41.5,M,,*7C\r\n",
            b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n",
            b"$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39\r\n",
        ),
        nmea_frames,
        nothing_or_the_same_nmea,
    ),
    Case(
        "ubx",
        ubx.UbxCodec,
        (
            ubx.encode_nav_pvt(itow_ms=1000, num_sv=9, lat_deg=47.39, lon_deg=0.69, pdop=1.2),
            ubx.encode(0x05, 0x01, b"\x06\x08"),
            ubx.poll(0x0A, 0x04),
        ),
        ubx_frames,
        nothing,
        ubx_any_frames,
    ),
    Case(
        "witmotion",
        witmotion.WitCodec,
        (
            bytes.fromhex("55 51 00 40 00 C0 00 08 E6 09 9D"),
            bytes.fromhex("55 52 00 40 00 E0 00 00 00 00 C7"),
            bytes.fromhex("55 53 00 40 00 80 AA 2A 00 00 3C"),
        ),
        wit_frames,
        nothing,
    ),
    Case(
        "pms5003",
        pms5003.PmsCodec,
        (
            pms5003.encode_reading(pms5003.PmsReading(5, 8, 9, 4, 7, 9, 1326, 394, 52, 6, 2, 1)),
            pms5003.encode_reply(0xE1, 0),
            pms5003.encode_reading(pms5003.PmsReading(*range(12))),
        ),
        pms_frames,
        nothing,
    ),
    Case(
        "sds011",
        sds011.SdsCodec,
        (
            bytes.fromhex("AA C0 D4 04 3A 0A A1 60 1D AB"),
            bytes.fromhex("AA C5 06 01 00 00 A1 60 08 AB"),
            sds011.encode_reading(1.0, 2.0),
        ),
        sds_frames,
        nothing,
    ),
    Case(
        "sps30",
        sps30.Sps30Codec,
        (
            sps30.encode_reading(
                sps30.Sps30Reading(1.5, 2.25, 3, 4, 10.5, 12, 12.5, 12.75, 13, 0.5)
            ),
            sps30.encode_reply(sps30.CMD_READ),
            sps30.encode_reply(sps30.CMD_READ, state=0x43),
        ),
        sps30_frames,
        not_the_original_sps30,
    ),
    Case(
        "at_modem",
        at_modem.AtCodec,
        (b"AT+CSQ\r\r\n+CSQ: 20,99\r\n", b"\r\nOK\r\n", b"+CEREG: 5\r\n"),
        at_frames,
        None,
    ),
    Case(
        "thermal", thermal.ThermalCodec, (_image(1), _image(2), _image(3)), thermal_frames, nothing
    ),
    Case(
        "modbus",
        modbus.ModbusCodec,
        (
            modbus.encode_reading(1, 23.1, 45.0),
            modbus.encode_exception(1, 0x04, 0x02),
            modbus.encode_response(1, 0x04, (1, 2, 3)),
        ),
        modbus_frames,
        not_the_original_modbus,
    ),
]
FLIP_CASES = [case for case in CASES if case.flipped_frame_check is not None]


def ids(case: Case) -> str:
    return case.name


def decode_alone(case: Case, frame: bytes) -> object:
    """The single frame ``frame`` decodes to (checks that the generator makes valid frames)."""
    decoded = case.new().feed(frame)
    assert len(decoded) == 1, (frame.hex(" "), decoded)
    return decoded[0]


def flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def state(codec: Codec[Any]) -> tuple[int, ...]:
    return (
        codec.frames,
        codec.checksum_errors,
        codec.frames_rejected,
        codec.bytes_dropped,
        codec.buffered,
    )


# --- 1. nothing raises, memory stays bounded ------------------------------------------------


@st.composite
def mangled_streams(draw: st.DrawFn, frames: st.SearchStrategy[bytes]) -> bytes:
    """Valid frames, random bytes and frames with random edits (overwrite, cut, insert)."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 2))
        if kind == 0:
            parts.append(draw(st.binary(max_size=64)))
            continue
        frame = bytearray(draw(frames))
        if kind == 2:
            for _ in range(draw(st.integers(1, 3))):
                at = draw(st.integers(0, len(frame) - 1))
                edit = draw(st.integers(0, 2))
                if edit == 0:
                    frame[at] = draw(u8)
                elif edit == 1:
                    del frame[at:]
                    break
                else:
                    frame[at:at] = draw(st.binary(min_size=1, max_size=4))
        parts.append(bytes(frame))
    return b"".join(parts)


@pytest.mark.parametrize("case", CASES, ids=ids)
@SETTINGS
@given(data=st.data())
def test_no_bytes_make_a_codec_raise_or_grow(case: Case, data: st.DataObject) -> None:
    stream = data.draw(st.one_of(st.binary(max_size=1024), mangled_streams(case.frames)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    codec = case.new()
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        assert isinstance(codec.feed(stream[start:end]), list)
        assert codec.buffered < codec.max_frame_len
    assert min(state(codec)) >= 0


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_long_run_of_garbage_keeps_the_buffer_bounded(case: Case) -> None:
    rng = np.random.default_rng(7)
    codec = case.new()
    for _ in range(64):
        codec.feed(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
        assert codec.buffered < codec.max_frame_len
    assert codec.bytes_dropped > 60 * 4096 or case.name == "at_modem"


# --- 2. a flipped bit is never accepted ------------------------------------------------------


@pytest.mark.parametrize("case", FLIP_CASES, ids=ids)
@SETTINGS
@given(data=st.data())
def test_a_flipped_bit_is_never_accepted(case: Case, data: st.DataObject) -> None:
    frame = data.draw(case.frames, label="frame")
    original = decode_alone(case, frame)
    bits = data.draw(
        st.lists(st.integers(0, 8 * len(frame) - 1), min_size=1, max_size=16, unique=True)
    )
    for bit in bits:
        flipped = flip(frame, bit)
        codec = case.new()
        case.flipped_frame_check(original, flipped, bit // 8, codec.feed(flipped))  # type: ignore[misc]


@pytest.mark.parametrize("case", FLIP_CASES, ids=ids)
def test_every_bit_of_one_frame_flipped(case: Case) -> None:
    """Exhaustive over the bits of each fixed example frame."""
    for frame in case.examples:
        check_every_flip(case, frame)


def check_every_flip(case: Case, frame: bytes) -> None:
    original = decode_alone(case, frame)
    for bit in range(8 * len(frame)):
        flipped = flip(frame, bit)
        case.flipped_frame_check(original, flipped, bit // 8, case.new().feed(flipped))  # type: ignore[misc]


def test_at_lines_have_no_check_value() -> None:
    """AT replies carry no checksum: a flipped digit is a different, valid reply.

    The strongest true property is the one tested for every codec (no bytes make it raise);
    here we only document the limit.
    """
    assert at_modem.AtCodec().feed(flip(b"+CSQ: 20,99\r\n", 8 * 7)) == [at_modem.Csq(-71, None)]


# --- 3. chunking does not change anything ----------------------------------------------------


@st.composite
def streams(draw: st.DrawFn, frames: st.SearchStrategy[bytes]) -> bytes:
    """Several frames with optional garbage before, between and after them."""
    garbage = st.binary(max_size=12)
    parts = [draw(garbage)]
    for _ in range(draw(st.integers(1, 4))):
        parts += [draw(frames), draw(garbage)]
    return b"".join(parts)


def feed_in_chunks(codec: Codec[Any], stream: bytes, cuts: list[int]) -> list[object]:
    out: list[object] = []
    previous = 0
    for cut in [*sorted(cuts), len(stream)]:
        out += codec.feed(stream[previous:cut])
        previous = cut
    return out


@pytest.mark.parametrize("case", CASES, ids=ids)
@SETTINGS
@given(data=st.data())
def test_any_chunking_gives_the_same_frames_and_counters(case: Case, data: st.DataObject) -> None:
    frames = case.frames if case.stream_frames is None else case.stream_frames
    stream = data.draw(streams(frames))
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    whole = case.new()
    expected = whole.feed(stream)
    chunked = case.new()
    assert feed_in_chunks(chunked, stream, cuts) == expected
    assert state(chunked) == state(whole)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_one_byte_at_a_time_gives_the_same_frames_and_counters(case: Case) -> None:
    """Every byte boundary at once, on a stream of frames, garbage and a bad frame."""
    frames = case.examples
    corrupted = bytearray(frames[1])
    corrupted[-2] ^= 0x04  # in the check value or the terminator
    stream = b"\x00junk" + frames[0] + bytes(corrupted) + frames[1] + b"\xff" + frames[2]
    whole = case.new()
    expected = whole.feed(stream)
    assert len(expected) >= 3
    bytewise = case.new()
    assert feed_in_chunks(bytewise, stream, list(range(len(stream)))) == expected
    assert state(bytewise) == state(whole)
