"""One NMEA grammar: the live codec and the bulk decoder accept, value and count alike.

The corpus (``corpus/nmea_quirks.toml``) holds one sentence of our own per quirk of real
receivers, with the values expected; every one decodes to them live, fed whole or a byte at
a time, and the bulk decoder agrees. The property test feeds both random and real-looking
streams (the corpus, generated sentences, malformed values, garbage, every line end) cut
at random places, and asserts the same frames, values and counters.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import nmea
from ext import frames

CORPUS = tomllib.loads((Path(__file__).parent / "corpus" / "nmea_quirks.toml").read_text())["quirk"]
KINDS = {"Gga": nmea.Gga, "Rmc": nmea.Rmc, "Vtg": nmea.Vtg, "Gsa": nmea.Gsa}
KINDS["OtherSentence"] = nmea.OtherSentence


def line_of(quirk: dict[str, Any]) -> bytes:
    """The bytes of a corpus sentence as its receiver sends them."""
    if "raw" in quirk:
        return quirk["raw"].encode("latin-1")
    body = quirk["body"].encode("latin-1")
    hex_digits = b"%02X" % nmea.checksum(body)
    if quirk.get("case") == "lower":
        hex_digits = hex_digits.lower()
    return b"$" + body + b"*" + hex_digits + quirk.get("end", "\r\n").encode()


def expected(name: str, value: Any) -> Any:
    """A corpus value as the frame holds it."""
    if value == "none":
        return None
    if name == "time_utc":
        return time.fromisoformat(value + "+00:00")
    if name == "date_utc":
        return date.fromisoformat(value)
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-12, abs=1e-12)
    return value


def decode_bulk_in_blocks(data: bytes, cuts: list[int]) -> list[frames.NmeaArrays]:
    """``decode_nmea`` block by block, each block after what the previous left unconsumed
    (as ``console.decode.ChannelBytes.decode_blocks`` does)."""
    out, carry, base, start = [], b"", 0, 0
    for end in [*sorted(set(cuts)), len(data)]:
        block = carry + data[start:end]
        got = frames.decode_nmea(block, base)
        out.append(got)
        carry, base, start = block[got.consumed :], base + got.consumed, end
    return out


def decode_live_in_reads(data: bytes, cuts: list[int]) -> tuple[list[Any], nmea.NmeaCodec]:
    """The live codec fed ``data`` in reads cut at ``cuts``; each frame's stream end is kept
    in ``codec.all_ends``."""
    codec = nmea.NmeaCodec()
    out: list[Any] = []
    ends: list[int] = []
    start = 0
    for end in [*sorted(set(cuts)), len(data)]:
        out += codec.feed(data[start:end])
        ends += codec.frame_ends
        start = end
    codec.all_ends = ends  # type: ignore[attr-defined]
    return out, codec


def seconds_of(t: time | None) -> float:
    if t is None:
        return float("nan")
    micro = (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000 + t.microsecond
    return micro / 1e6  # the bulk's seconds: the same correctly rounded division


def assert_same(live: list[Any], codec: nmea.NmeaCodec, bulk: list[frames.NmeaArrays]) -> None:
    """The live frames and counters equal the bulk arrays and counters (exactly)."""

    def cat(kind: str, name: str) -> np.ndarray:
        return np.concatenate([getattr(getattr(b, kind), name) for b in bulk])

    assert sum(b.sentences for b in bulk) == codec.frames == len(live)
    assert sum(b.rejected for b in bulk) == codec.frames_rejected
    assert sum(b.checksum_errors for b in bulk) == codec.checksum_errors
    assert sum(b.bytes_dropped for b in bulk) == codec.bytes_dropped
    gga = [f for f in live if isinstance(f, nmea.Gga)]
    rmc = [f for f in live if isinstance(f, nmea.Rmc)]
    assert sum(b.other_sentences for b in bulk) == len(live) - len(gga) - len(rmc)
    ends = codec.all_ends  # type: ignore[attr-defined]
    for kind, cls in (("gga", nmea.Gga), ("rmc", nmea.Rmc)):  # ends: where times are read
        live_ends = [e for f, e in zip(live, ends, strict=True) if isinstance(f, cls)]
        np.testing.assert_array_equal(cat(kind, "end_offset"), live_ends)

    def opt(values: list[float | None]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    np.testing.assert_array_equal(cat("gga", "time_s"), [seconds_of(f.time_utc) for f in gga])
    np.testing.assert_array_equal(cat("gga", "lat_deg"), opt([f.lat_deg for f in gga]))
    np.testing.assert_array_equal(cat("gga", "lon_deg"), opt([f.lon_deg for f in gga]))
    np.testing.assert_array_equal(cat("gga", "hdop"), opt([f.hdop for f in gga]))
    np.testing.assert_array_equal(cat("gga", "altitude_m"), opt([f.altitude_msl_m for f in gga]))
    fix = [-1 if f.fix_quality is None else f.fix_quality for f in gga]
    np.testing.assert_array_equal(cat("gga", "fix_quality"), fix)
    np.testing.assert_array_equal(
        cat("gga", "num_sv"), [-1 if f.num_sv is None else f.num_sv for f in gga]
    )
    np.testing.assert_array_equal(cat("rmc", "time_s"), [seconds_of(f.time_utc) for f in rmc])
    np.testing.assert_array_equal(cat("rmc", "lat_deg"), opt([f.lat_deg for f in rmc]))
    np.testing.assert_array_equal(cat("rmc", "lon_deg"), opt([f.lon_deg for f in rmc]))
    np.testing.assert_array_equal(cat("rmc", "speed_mps"), opt([f.speed_mps for f in rmc]))
    np.testing.assert_array_equal(cat("rmc", "course_deg"), opt([f.course_deg for f in rmc]))
    np.testing.assert_array_equal(cat("rmc", "valid"), [f.valid for f in rmc])
    dates = [0 if f.date_utc is None else int(f.date_utc.strftime("%Y%m%d")) for f in rmc]
    np.testing.assert_array_equal(cat("rmc", "date"), dates)


# --- the corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("quirk", CORPUS, ids=[q["name"] for q in CORPUS])
def test_every_quirk_decodes_to_its_values_live_and_offline(quirk: dict[str, Any]) -> None:
    line = line_of(quirk)
    data = line + b"$GPTXT,01,01,02,after*" + b"%02X" % nmea.checksum(b"GPTXT,01,01,02,after")
    data += b"\r\n"
    live, codec = decode_live_in_reads(data, [])
    one_by_one, codec_bytes = decode_live_in_reads(data, list(range(len(data))))
    assert one_by_one == live
    assert (codec_bytes.bytes_dropped, codec_bytes.frames_rejected) == (
        codec.bytes_dropped,
        codec.frames_rejected,
    )
    assert codec.checksum_errors == 0 and codec.bytes_dropped == (
        len(line) - 1 if quirk["expect"] == "rejected" else 0  # all but the LF after the CR
    )
    assert isinstance(live[-1], nmea.OtherSentence) and live[-1].fields[-1] == "after"
    if quirk["expect"] == "rejected":
        assert len(live) == 1 and codec.frames_rejected == 1
    else:
        frame = live[0]
        assert type(frame) is KINDS[quirk["expect"]] and codec.frames_rejected == 0
        for name, value in quirk.get("values", {}).items():
            assert getattr(frame, name) == expected(name, value), name
    assert_same(live, codec, decode_bulk_in_blocks(data, []))


def test_the_issue_reproduction_returns_the_sentence() -> None:
    got = nmea.NmeaCodec().feed(
        b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\r\n"
    )
    assert len(got) == 1 and isinstance(got[0], nmea.Gga) and got[0].num_sv == 8


def test_a_whole_cr_cr_lf_log_is_read_as_recorded() -> None:
    """The issue's receiver: 225 sentences ending CR CR LF gave 0 frames; all are read now."""
    body = "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
    log = (nmea.encode_sentence(body)[:-2] + b"\r\r\n") * 225
    live, codec = decode_live_in_reads(log, list(range(0, len(log), 64)))
    bulk = decode_bulk_in_blocks(log, list(range(0, len(log), 100)))
    assert len(live) == 225 and codec.bytes_dropped == 0
    assert_same(live, codec, bulk)


# --- the property: live == bulk on random and real-looking streams ------------------------

HOSTILE = ["+1", "1_0", "0x1", "1e3", "nan", "inf", "-", ".", " 1", "1.2.3", "9999999999",
           "-0", "2208-1", "1_807.038", "0_9", "\u00e9", "*", "A", ""]  # fmt: skip
"""Values a field may hold on a noisy line or a buggy firmware."""
ENDS = [b"\r\n", b"\n", b"\r", b"\r\r\n", b" \r\n", b"  \n", b"\n\r"]


def sentence(body: str, end: bytes, lower: bool) -> bytes:
    raw = body.encode("latin-1")
    digits = b"%02X" % nmea.checksum(raw)
    return b"$" + raw + b"*" + (digits.lower() if lower else digits) + end


@st.composite
def corpus_sentence(draw: st.DrawFn) -> bytes:
    """A corpus sentence, its value fields perhaps spoiled, with any line end."""
    quirk = draw(st.sampled_from([q for q in CORPUS if "body" in q]))
    fields = quirk["body"].split(",")
    if draw(st.booleans()):
        at = draw(st.integers(1, max(1, len(fields) - 1)))
        if at < len(fields):
            fields[at] = draw(st.sampled_from(HOSTILE))
    if draw(st.integers(0, 9)) == 0:  # a field more or fewer
        fields = fields[:-1] if draw(st.booleans()) else [*fields, "X"]
    return sentence(",".join(fields), draw(st.sampled_from(ENDS)), draw(st.booleans()))


def number(lo: int, hi: int, decimals: int) -> st.SearchStrategy[str]:
    scale = 10**decimals
    return st.integers(lo * scale, hi * scale).map(
        lambda n: f"{'-' if n < 0 else ''}{abs(n) // scale}.{abs(n) % scale:0{decimals}d}"
    )


@st.composite
def generated_sentence(draw: st.DrawFn) -> bytes:
    """A GGA or RMC with random values in range (some empty)."""
    i = st.integers
    hms = f"{draw(i(0, 23)):02d}{draw(i(0, 59)):02d}{draw(i(0, 59)):02d}"
    hms += draw(st.sampled_from(["", ".0", ".25", ".999", ".1234567"]))
    lat = f"{draw(i(0, 89)):02d}{draw(number(0, 59, 5)).zfill(8)},{draw(st.sampled_from('NS'))}"
    lon = f"{draw(i(0, 179)):03d}{draw(number(0, 59, 4)).zfill(7)},{draw(st.sampled_from('EW'))}"
    if draw(st.booleans()):
        body = f"GNGGA,{hms},{lat},{lon},{draw(i(0, 8))},{draw(i(0, 40)):02d},"
        body += f"{draw(number(0, 99, 2))},{draw(number(-400, 9000, 1))},M,"
        body += f"{draw(number(-100, 100, 1))},M,,"
    else:
        day = draw(st.dates()).strftime("%d%m%y")
        body = f"GPRMC,{hms},{draw(st.sampled_from('AV'))},{lat},{lon},{draw(number(0, 300, 3))},"
        body += f"{draw(number(0, 359, 2))},{day},"
        body += f"{draw(number(0, 30, 1))},{draw(st.sampled_from('EWA'))}"
        body += draw(st.sampled_from(["", ",A", ",D,V", ",N"]))
    if draw(st.integers(0, 3)) == 0:
        fields = body.split(",")
        fields[draw(st.integers(1, len(fields) - 1))] = draw(st.sampled_from(HOSTILE))
        body = ",".join(fields)
    return sentence(body, draw(st.sampled_from(ENDS)), draw(st.booleans()))


piece = st.one_of(
    corpus_sentence(),
    generated_sentence(),
    st.binary(max_size=20),
    st.sampled_from([b"$", b"\r\n", b"*", b"$GPGGA,1", b"  "]),
    generated_sentence().map(lambda s: s[: len(s) // 2]),  # cut short
    generated_sentence().map(lambda s: s.replace(b"*", b"*F", 1)[:-1]),  # checksum broken
)


@settings(max_examples=300, deadline=None)
@given(st.lists(piece, max_size=30), st.data())
def test_live_equals_bulk_on_random_and_real_looking_streams(
    pieces: list[bytes], data: Any
) -> None:
    stream = b"".join(pieces)
    reads = data.draw(st.lists(st.integers(0, len(stream)), max_size=8), label="reads")
    blocks = data.draw(st.lists(st.integers(0, len(stream)), max_size=4), label="blocks")
    live, codec = decode_live_in_reads(stream, reads)
    bulk = decode_bulk_in_blocks(stream, blocks)
    assert_same(live, codec, bulk)
    assert sum(b.consumed for b in bulk) == len(stream) - codec.buffered
