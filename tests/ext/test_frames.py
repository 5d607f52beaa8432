"""Bulk frame decoders (ext.frames) against plain-Python decoders and the NMEA codec."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ext import frames

# --------------------------------------------------------------------------- WitMotion


def wit_frame(kind: int, values: tuple[int, int, int, int]) -> bytes:
    """``55 TYPE D0..D7 SUM`` with four int16 little-endian values."""
    body = bytes([0x55, kind]) + struct.pack("<4h", *values)
    return body + bytes([sum(body) & 0xFF])


@dataclass
class WitReference:
    """What a plain-Python WitMotion decoder finds: rows per type and the counters."""

    accel: list[tuple[int, int, float, float, float, float]] = field(default_factory=list)
    gyro: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    angle: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    frames: int = 0
    other: int = 0
    checksum_errors: int = 0
    dropped: int = 0
    consumed: int = 0


def reference_witmotion(data: bytes) -> WitReference:
    """Byte-by-byte scan: 0x55 + type 0x50..0x5F + 8 bytes + SUM; bad ones drop one byte."""
    ref = WitReference()
    i = 0
    n = len(data)
    while i < n:
        if data[i] != 0x55 or (i + 1 < n and not 0x50 <= data[i + 1] <= 0x5F):
            ref.dropped += 1
            i += 1
            continue
        if i + 11 > n:
            break
        frame = data[i : i + 11]
        if sum(frame[:10]) & 0xFF != frame[10]:
            ref.checksum_errors += 1
            ref.dropped += 1
            i += 1
            continue
        a, b, c, d = struct.unpack("<4h", frame[2:10])
        kind = frame[1]
        if kind == 0x51:
            g = 16 / 32768
            ref.accel.append((i, ref.frames, a * g, b * g, c * g, d / 100))
        elif kind == 0x52:
            dps = 2000 / 32768
            ref.gyro.append((i, ref.frames, a * dps, b * dps, c * dps))
        elif kind == 0x53:
            deg = 180 / 32768
            ref.angle.append((i, ref.frames, a * deg, b * deg, c * deg))
        else:
            ref.other += 1
        ref.frames += 1
        i += 11
    ref.consumed = i
    return ref


def assert_wit_equal(got: frames.ImuArrays, ref: WitReference, base: int = 0) -> None:
    acc = np.array(ref.accel, dtype=np.float64).reshape(-1, 6)
    gyr = np.array(ref.gyro, dtype=np.float64).reshape(-1, 5)
    ang = np.array(ref.angle, dtype=np.float64).reshape(-1, 5)
    np.testing.assert_array_equal(got.accel_offset, acc[:, 0] + base)
    np.testing.assert_array_equal(got.accel_index, acc[:, 1])
    np.testing.assert_allclose(got.accel_g, acc[:, 2:5], rtol=1e-15)
    np.testing.assert_allclose(got.temperature_c, acc[:, 5], rtol=1e-15)
    np.testing.assert_array_equal(got.gyro_offset, gyr[:, 0] + base)
    np.testing.assert_array_equal(got.gyro_index, gyr[:, 1])
    np.testing.assert_allclose(got.gyro_dps, gyr[:, 2:5], rtol=1e-15)
    np.testing.assert_array_equal(got.angle_offset, ang[:, 0] + base)
    np.testing.assert_array_equal(got.angle_index, ang[:, 1])
    np.testing.assert_allclose(got.angle_deg, ang[:, 2:5], rtol=1e-15)
    assert (got.frames, got.other_frames) == (ref.frames, ref.other)
    assert (got.checksum_errors, got.bytes_dropped, got.consumed) == (
        ref.checksum_errors,
        ref.dropped,
        ref.consumed,
    )


int16 = st.integers(-32768, 32767)
words = st.tuples(int16, int16, int16, int16)
wit_piece = st.one_of(
    st.tuples(st.just("frame"), st.integers(0x50, 0x5A), words),
    st.tuples(st.just("frame"), st.sampled_from([0x51, 0x52, 0x53]), words),
    st.tuples(st.just("garbage"), st.binary(max_size=15), st.just(None)),
    st.tuples(st.just("corrupt"), st.integers(0, 10), words),
    st.tuples(st.just("cut"), st.integers(1, 10), words),
)


def build_wit_stream(pieces: list[tuple[str, object, object]]) -> bytes:
    out = bytearray()
    for kind, a, b in pieces:
        if kind == "frame":
            out += wit_frame(a, b)  # type: ignore[arg-type]
        elif kind == "garbage":
            out += a  # type: ignore[operator]
        elif kind == "corrupt":  # one byte changed: a bad checksum (or a broken start)
            f = bytearray(wit_frame(0x51, b))  # type: ignore[arg-type]
            f[a] ^= 0x20  # type: ignore[index]
            out += f
        else:  # a frame cut short (unplugged mid-frame)
            out += wit_frame(0x52, b)[:a]  # type: ignore[arg-type, index]
    return bytes(out)


@settings(max_examples=100, deadline=None)
@given(st.lists(wit_piece, max_size=40))
def test_witmotion_matches_the_plain_python_decoder(pieces: list) -> None:
    data = build_wit_stream(pieces)
    assert_wit_equal(frames.decode_witmotion(data), reference_witmotion(data))


@settings(max_examples=100, deadline=None)
@given(st.lists(wit_piece, max_size=40), st.integers(0, 1000))
def test_witmotion_vertical_is_the_full_decoders_z_and_frame_ends(pieces: list, base: int) -> None:
    data = build_wit_stream(pieces)
    full = frames.decode_witmotion(data, base_offset=base)
    end, az, consumed = frames.decode_witmotion_vertical(data, base_offset=base)
    assert end.dtype == az.dtype == np.float64 and consumed == full.consumed
    np.testing.assert_array_equal(end, full.accel_offset + frames.WIT_FRAME_LEN)
    np.testing.assert_array_equal(az, full.accel_g[:, 2])


@settings(max_examples=60, deadline=None)
@given(st.lists(wit_piece, max_size=30), st.data())
def test_witmotion_chunk_by_chunk_gives_the_same_frames(pieces: list, data: st.DataObject) -> None:
    stream = build_wit_stream(pieces)
    cut = data.draw(st.integers(0, len(stream)))
    first = frames.decode_witmotion(stream[:cut])
    rest = stream[first.consumed :]
    second = frames.decode_witmotion(rest, base_offset=first.consumed)
    whole = frames.decode_witmotion(stream)
    np.testing.assert_array_equal(
        np.concatenate([first.accel_offset, second.accel_offset]), whole.accel_offset
    )
    np.testing.assert_array_equal(np.concatenate([first.accel_g, second.accel_g]), whole.accel_g)
    np.testing.assert_array_equal(
        np.concatenate([first.angle_offset, second.angle_offset]), whole.angle_offset
    )
    assert first.frames + second.frames == whole.frames
    assert first.bytes_dropped + second.bytes_dropped == whole.bytes_dropped
    assert first.consumed + second.consumed == whole.consumed


@settings(max_examples=60, deadline=None)
@given(st.lists(wit_piece, max_size=40))
def test_witmotion_matches_the_driver_codec(pieces: list) -> None:
    codecs = pytest.importorskip("drivers.codecs.witmotion")
    data = build_wit_stream(pieces)
    codec = codecs.WitCodec()
    decoded = codec.feed(data)
    got = frames.decode_witmotion(data)
    acc = [f for f in decoded if isinstance(f, codecs.Acceleration)]
    gyr = [f for f in decoded if isinstance(f, codecs.AngularRate)]
    ang = [f for f in decoded if isinstance(f, codecs.Angle)]
    np.testing.assert_array_equal(
        got.accel_g, np.array([(f.ax_g, f.ay_g, f.az_g) for f in acc]).reshape(-1, 3)
    )
    np.testing.assert_array_equal(got.temperature_c, [f.temperature_c for f in acc])
    np.testing.assert_array_equal(
        got.gyro_dps, np.array([(f.wx_dps, f.wy_dps, f.wz_dps) for f in gyr]).reshape(-1, 3)
    )
    np.testing.assert_array_equal(
        got.angle_deg, np.array([(f.roll_deg, f.pitch_deg, f.yaw_deg) for f in ang]).reshape(-1, 3)
    )
    assert got.other_frames == sum(isinstance(f, codecs.WitOther) for f in decoded)
    assert (got.frames, got.checksum_errors, got.bytes_dropped) == (
        codec.frames,
        codec.checksum_errors,
        codec.bytes_dropped,
    )
    assert got.consumed == len(data) - codec.buffered


def test_witmotion_scales_are_pinned() -> None:
    data = (
        wit_frame(0x51, (2048, -2048, 16384, 2534))
        + wit_frame(0x52, (16384, -16384, 0, 0))
        + wit_frame(0x53, (16384, -8192, 32767, 0))
    )
    got = frames.decode_witmotion(data)
    np.testing.assert_array_equal(got.accel_g, [[1.0, -1.0, 8.0]])
    np.testing.assert_array_equal(got.temperature_c, [25.34])
    np.testing.assert_array_equal(got.gyro_dps, [[1000.0, -1000.0, 0.0]])
    np.testing.assert_allclose(got.angle_deg, [[90.0, -45.0, 180.0 * 32767 / 32768]])
    np.testing.assert_array_equal(got.accel_index, [0])
    np.testing.assert_array_equal(got.gyro_index, [1])
    np.testing.assert_array_equal(got.angle_offset, [22])
    assert got.consumed == 33 and got.bytes_dropped == 0


def test_witmotion_counts_garbage_bad_checksums_and_keeps_the_tail() -> None:
    bad = bytearray(wit_frame(0x51, (1, 2, 3, 4)))
    bad[10] ^= 1
    data = b"\x00\x55\x30" + bytes(bad) + wit_frame(0x53, (1, 2, 3, 4)) + b"\x55\x51\x00"
    got = frames.decode_witmotion(data)
    assert got.checksum_errors == 1
    assert got.bytes_dropped == 3 + 11  # garbage, then the bad frame one byte at a time
    assert got.consumed == len(data) - 3
    assert got.angle_deg.shape == (1, 3)


def test_witmotion_empty_input_and_other_bytes_like_objects() -> None:
    empty = frames.decode_witmotion(b"")
    assert empty.accel_g.shape == (0, 3) and empty.consumed == 0
    frame = wit_frame(0x51, (1, 2, 3, 4))
    for data in (bytearray(frame), memoryview(frame), np.frombuffer(frame, dtype=np.uint8)):
        assert frames.decode_witmotion(data).accel_g.shape == (1, 3)


# --------------------------------------------------------------------------- thermal


def thermal_frame(pixels_cc: np.ndarray, ambient_cc: int, *, from_word: int = 0) -> bytes:
    """A GY-MCU90640 frame; checksum = 16-bit sum of the words from ``from_word`` to 770."""
    words = np.empty(772, dtype=np.uint16)
    words[0] = 0x5A5A
    words[1] = 0x0602
    words[2:770] = pixels_cc.astype(np.int16).ravel().view(np.uint16)
    words[770] = np.int16(ambient_cc).view(np.uint16)
    words[771] = int(words[from_word:771].astype(np.int64).sum()) & 0xFFFF
    return words.astype("<u2").tobytes()


def reference_thermal(data: bytes, from_word: int = 0) -> tuple[list, int, int, int]:
    """(frames as (offset, image °C, ambient °C), checksum errors, bytes dropped, consumed)."""
    out = []
    bad = dropped = 0
    i = 0
    while i < len(data):
        if data[i] != 0x5A or data[i + 1 : i + 2] not in (b"", b"\x5a"):
            dropped += 1
            i += 1
            continue
        if len(data) - i >= 4 and data[i + 2 : i + 4] != b"\x02\x06":  # size word: false sync
            dropped += 1
            i += 1
            continue
        if i + 1544 > len(data):
            break
        words = struct.unpack("<772H", data[i : i + 1544])
        if sum(words[from_word:771]) & 0xFFFF != words[771]:
            bad += 1
            dropped += 1
            i += 1
            continue
        signed = struct.unpack("<769h", data[i + 4 : i + 4 + 1538])
        image = np.array(signed[:768], dtype=np.float64).reshape(24, 32) / 100
        out.append((i, image.astype(np.float32), np.float32(signed[768] / 100)))
        i += 1544
    return out, bad, dropped, i


def test_thermal_checksum_rule_is_pinned() -> None:
    """Our choice: the 16-bit sum of the 771 words before it, header and size included.

    A frame of zero pixels and zero ambient therefore has checksum 0x5A5A + 0x0602 = 0x605C.
    """
    frame = thermal_frame(np.zeros((24, 32)), 0)
    assert frame[:4] == b"\x5a\x5a\x02\x06"
    assert frame[-2:] == b"\x5c\x60"
    assert frames.THERMAL_CHECKSUM_FROM_WORD == 0
    assert frames.decode_thermal(frame).frames == 1
    # the same frame checksummed over pixels and ambient only is refused by default...
    other = thermal_frame(np.full((24, 32), 2000), 1500, from_word=2)
    assert frames.decode_thermal(other).checksum_errors == 1
    # ...and accepted when the caller says that is the device's rule
    assert frames.decode_thermal(other, checksum_from_word=2).frames == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["frame", "garbage", "corrupt", "cut"]),
            st.integers(0, 2**32 - 1),
        ),
        max_size=6,
    )
)
def test_thermal_matches_the_plain_python_decoder(pieces: list[tuple[str, int]]) -> None:
    stream = bytearray()
    for kind, seed in pieces:
        rng = np.random.default_rng(seed)
        frame = thermal_frame(rng.integers(-4000, 12000, (24, 32)), int(rng.integers(-2000, 4000)))
        if kind == "frame":
            stream += frame
        elif kind == "garbage":
            stream += (
                rng.choice([0x5A, 0x00, 0x33], size=int(rng.integers(0, 20)))
                .astype(np.uint8)
                .tobytes()
            )
        elif kind == "corrupt":
            f = bytearray(frame)
            f[int(rng.integers(2, 1544))] ^= 0x04
            stream += f
        else:
            stream += frame[: int(rng.integers(1, 1544))]
    data = bytes(stream)
    got = frames.decode_thermal(data)
    ref, bad, dropped, consumed = reference_thermal(data)
    assert got.frames == len(ref)
    assert (got.checksum_errors, got.bytes_dropped, got.consumed) == (bad, dropped, consumed)
    np.testing.assert_array_equal(got.offset, [r[0] for r in ref])
    if ref:
        np.testing.assert_array_equal(got.image_c, np.stack([r[1] for r in ref]))
        np.testing.assert_array_equal(got.ambient_c, [r[2] for r in ref])
    assert got.image_c.shape == (len(ref), 24, 32) and got.image_c.dtype == np.float32


def test_thermal_matches_the_driver_codec() -> None:
    codecs = pytest.importorskip("drivers.codecs.thermal")
    rng = np.random.default_rng(2)
    stream = bytearray()
    for k in range(12):
        frame = codecs.encode_frame(rng.uniform(-40, 120, (24, 32)), float(rng.uniform(-20, 40)))
        if k % 4 == 1:
            frame = frame[:700] + bytes([frame[700] ^ 0x10]) + frame[701:]  # bad checksum
        if k % 4 == 2:
            stream += b"\x5a\x5a\x03\x06\x5a"  # false sync: wrong size word
        stream += frame
    stream += codecs.encode_frame(np.zeros((24, 32)), 0.0)[:900]
    data = bytes(stream)
    codec = codecs.ThermalCodec()
    decoded = codec.feed(data)
    got = frames.decode_thermal(data)
    assert got.frames == len(decoded) == 9
    np.testing.assert_array_equal(got.image_c, np.stack([f.pixels_c for f in decoded]))
    np.testing.assert_array_equal(got.ambient_c, np.float32([f.ambient_c for f in decoded]))
    assert (got.checksum_errors, got.bytes_dropped) == (codec.checksum_errors, codec.bytes_dropped)
    assert got.consumed == len(data) - codec.buffered


def test_thermal_pixels_are_row_major_and_signed() -> None:
    pixels = np.arange(768, dtype=np.int64).reshape(24, 32) - 300
    got = frames.decode_thermal(b"\x00" + thermal_frame(pixels, -512), base_offset=100)
    np.testing.assert_allclose(got.image_c[0], (pixels / 100).astype(np.float32))
    assert got.ambient_c[0] == np.float32(-5.12)
    assert got.offset.tolist() == [101] and got.bytes_dropped == 1


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 5),
    st.integers(1, 6),
    st.integers(2, 9),
    st.integers(0, 5),
    st.integers(0, 2**32 - 1),
)
def test_half_means_equal_numpy_means_of_thermal_pixels(
    frames_n: int, rows: int, width: int, first: int, seed: int
) -> None:
    first = first % rows
    centi = np.random.default_rng(seed).integers(-32768, 32768, (frames_n, rows, width))
    images = (centi / 100.0).astype(np.float32)  # as decode_thermal makes them
    got = frames.half_means(images, first)
    half = width // 2
    below = images[:, first:, :].astype(np.float64)
    assert got.shape == (frames_n, 2)
    np.testing.assert_array_equal(got[:, 0], below[:, :, :half].mean(axis=(1, 2)))
    np.testing.assert_array_equal(got[:, 1], below[:, :, half:].mean(axis=(1, 2)))


def test_half_means_refuse_an_empty_half() -> None:
    images = np.zeros((2, 24, 32), dtype=np.float32)
    for first in (24, -1):
        with pytest.raises(ValueError, match="no pixel below row"):
            frames.half_means(images, first)
    with pytest.raises(ValueError, match="no pixel below row"):
        frames.half_means(np.zeros((2, 4, 1), dtype=np.float32), 0)


# --------------------------------------------------------------------------- NMEA


def nmea_sentence(body: str) -> bytes:
    """``$body*HH\\r\\n`` with the XOR checksum."""
    raw = body.encode("ascii")
    check = 0
    for byte in raw:
        check ^= byte
    return b"$%s*%02X\r\n" % (raw, check)


def ddmm(value: float, lat: bool) -> str:
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    v = abs(value)
    deg = int(v)
    minutes = (v - deg) * 60
    return f"{deg:0{2 if lat else 3}d}{minutes:07.4f},{hemi}"


times = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.integers(0, 99))
positions = st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9))


@st.composite
def gga(draw: st.DrawFn) -> str:
    h, m, s, cs = draw(times)
    lat, lon = draw(positions)
    fix = draw(st.sampled_from([0, 1, 2, 4, 5, 6]))
    talker = draw(st.sampled_from(["GP", "GN", "GL", "GA", "BD"]))
    pos = f"{ddmm(lat, True)},{ddmm(lon, False)}" if fix else ",,,"
    alt = draw(st.floats(-100, 3000)) if fix else None
    alt_s = "" if alt is None else f"{alt:.1f}"
    return f"{talker}GGA,{h:02d}{m:02d}{s:02d}.{cs:02d},{pos},{fix},08,0.9,{alt_s},M,46.9,M,,"


@st.composite
def rmc(draw: st.DrawFn) -> str:
    h, m, s, cs = draw(times)
    lat, lon = draw(positions)
    knots = draw(st.floats(0, 120))
    day, month, year = draw(st.integers(1, 28)), draw(st.integers(1, 12)), draw(st.integers(0, 99))
    status = draw(st.sampled_from("AV"))
    return (
        f"GNRMC,{h:02d}{m:02d}{s:02d}.{cs:02d},{status},{ddmm(lat, True)},{ddmm(lon, False)},"
        f"{knots:.3f},{draw(st.floats(0, 359.9)):.1f},{day:02d}{month:02d}{year:02d},,,A"
    )


nmea_piece = st.one_of(
    gga().map(nmea_sentence),
    rmc().map(nmea_sentence),
    st.just(nmea_sentence("GPVTG,84.4,T,,M,22.4,N,41.5,K,A")),
    st.just(nmea_sentence("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1")),
    st.just(nmea_sentence("GPGGA,1235")),  # too few fields: rejected
    st.binary(max_size=12),
    gga().map(lambda b: nmea_sentence(b)[:-6] + b"*00\r\n"),  # bad checksum
    rmc().map(lambda b: nmea_sentence(b)[: len(b) // 2]),  # cut short
)


def seconds_of(t: object) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(st.lists(nmea_piece, max_size=25))
def test_nmea_matches_the_driver_codec(pieces: list[bytes]) -> None:
    nmea = pytest.importorskip("drivers.codecs.nmea")
    data = b"".join(pieces)
    codec = nmea.NmeaCodec()
    decoded = codec.feed(data)
    ref_gga = [f for f in decoded if isinstance(f, nmea.Gga)]
    ref_rmc = [f for f in decoded if isinstance(f, nmea.Rmc)]
    got = frames.decode_nmea(data)
    assert len(got.gga) == len(ref_gga) and len(got.rmc) == len(ref_rmc)
    assert got.sentences == codec.frames
    assert got.other_sentences == codec.frames - len(ref_gga) - len(ref_rmc)
    assert got.rejected == codec.frames_rejected
    assert got.checksum_errors == codec.checksum_errors
    assert got.bytes_dropped == codec.bytes_dropped
    assert got.consumed == len(data) - codec.buffered

    def opt(v: float | None) -> float:
        return np.nan if v is None else v

    g = got.gga
    np.testing.assert_allclose(g.time_s, [seconds_of(f.time_utc) for f in ref_gga], atol=1e-6)
    np.testing.assert_array_equal(g.lat_deg, [opt(f.lat_deg) for f in ref_gga])
    np.testing.assert_array_equal(g.lon_deg, [opt(f.lon_deg) for f in ref_gga])
    np.testing.assert_array_equal(g.fix_quality, [f.fix_quality for f in ref_gga])
    np.testing.assert_array_equal(g.num_sv, [f.num_sv for f in ref_gga])
    np.testing.assert_array_equal(g.hdop, [opt(f.hdop) for f in ref_gga])
    np.testing.assert_array_equal(g.altitude_m, [opt(f.altitude_msl_m) for f in ref_gga])
    r = got.rmc
    np.testing.assert_allclose(r.time_s, [seconds_of(f.time_utc) for f in ref_rmc], atol=1e-6)
    np.testing.assert_array_equal(r.lat_deg, [opt(f.lat_deg) for f in ref_rmc])
    np.testing.assert_array_equal(r.lon_deg, [opt(f.lon_deg) for f in ref_rmc])
    np.testing.assert_array_equal(r.speed_mps, [opt(f.speed_mps) for f in ref_rmc])
    np.testing.assert_array_equal(r.course_deg, [opt(f.course_deg) for f in ref_rmc])
    np.testing.assert_array_equal(r.valid, [f.valid for f in ref_rmc])
    np.testing.assert_array_equal(
        r.date,
        [0 if f.date_utc is None else int(f.date_utc.strftime("%Y%m%d")) for f in ref_rmc],
    )


def test_nmea_known_good_lines() -> None:
    data = (
        b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
        b"$GNGGA,203415.000,6325.6138,N,01021.4290,E,1,8,2.42,72.5,M,41.5,M,,*7C\r\n"
    )
    got = frames.decode_nmea(data)
    assert got.checksum_errors == 0 and got.rejected == 0 and got.consumed == len(data)
    np.testing.assert_allclose(got.gga.time_s, [12 * 3600 + 35 * 60 + 19, 20 * 3600 + 34 * 60 + 15])
    np.testing.assert_allclose(got.gga.lat_deg, [48 + 7.038 / 60, 63 + 25.6138 / 60], rtol=1e-15)
    np.testing.assert_allclose(got.gga.lon_deg, [11 + 31.0 / 60, 10 + 21.4290 / 60], rtol=1e-15)
    assert got.gga.fix_quality.tolist() == [1, 1] and got.gga.num_sv.tolist() == [8, 8]
    np.testing.assert_array_equal(got.gga.altitude_m, [545.4, 72.5])


def test_nmea_rmc_speed_in_metres_per_second_and_southern_west() -> None:
    line = nmea_sentence("GNRMC,081836.50,A,3751.65,S,14507.36,W,10.0,360.0,130998,011.3,E,A")
    got = frames.decode_nmea(line).rmc
    assert got.speed_mps[0] == pytest.approx(10.0 * 1852 / 3600, rel=1e-15)
    assert got.lat_deg[0] == pytest.approx(-(37 + 51.65 / 60))
    assert got.lon_deg[0] == pytest.approx(-(145 + 7.36 / 60))
    assert got.date[0] == 19980913 and bool(got.valid[0])  # two-digit years: 1980..2079


def test_nmea_empty_fields_are_nan_and_minus_one() -> None:
    line = nmea_sentence("GPGGA,,,,,,0,,,,,,,,")
    got = frames.decode_nmea(line).gga
    assert np.isnan(got.time_s[0]) and np.isnan(got.lat_deg[0]) and np.isnan(got.hdop[0])
    assert got.fix_quality[0] == 0 and got.num_sv[0] == -1


def test_nmea_unfinished_sentence_is_left_for_the_next_chunk() -> None:
    line = nmea_sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
    got = frames.decode_nmea(b"xx" + line + line[:20])
    assert len(got.gga) == 1 and got.consumed == 2 + len(line) and got.bytes_dropped == 2
    assert got.gga.offset.tolist() == [2]
    assert frames.decode_nmea(b"").consumed == 0
