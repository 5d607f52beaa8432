"""Géointelligence kernels (ext/): each compiled kernel against its NumPy/SciPy/Python anchor.

Every pair is first checked to agree (same results within the tests' tolerances), then timed:
the kernel as the best of a few calls, the anchor likewise (a single call when it is a slow
Python loop).
"""

from __future__ import annotations

import gc
import hashlib
import math
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from scipy import signal

from bench.common import Figure, stopwatch
from drivers.journal import CHANNEL, CHUNK, DATA, MAGIC, encode_record, read_journal, scan_journal
from ext import filters, frames, potholes, roughness, segments

FloatArray = npt.NDArray[np.float64]

SEED = 20250106
REPEATS = 5
console = Console()


def best_seconds(call: Callable[[], Any], repeats: int = REPEATS) -> float:
    """Fastest of ``repeats`` calls after a warm-up call."""
    call()
    gc.collect()
    best = math.inf
    for _ in range(repeats):
        with stopwatch() as elapsed:
            call()
        best = min(best, elapsed())
    return best


def once_seconds(call: Callable[[], Any]) -> float:
    gc.collect()
    with stopwatch() as elapsed:
        call()
    return elapsed()


def figure(name: str, n: float, kernel_s: float, anchor_s: float, unit: str, label: str) -> Figure:
    console.print(f"    {name}: kernel {kernel_s * 1e3:.2f} ms, anchor {anchor_s * 1e3:.2f} ms")
    return Figure(name=name, value=n / kernel_s, anchor=n / anchor_s, unit=unit, anchor_label=label)


def check(ok: bool, what: str) -> None:
    if not ok:
        raise RuntimeError(f"{what}: the kernel and its anchor disagree")


# ---------------------------------------------------------------- filter


def bench_sosfilt() -> Figure:
    n = 1_000_000
    sos = signal.butter(8, 0.5, btype="highpass", fs=100.0, output="sos")  # 4 sections
    x = 1.0 + np.random.default_rng(SEED).normal(0, 0.1, n)
    check(np.allclose(filters.sosfilt(sos, x), signal.sosfilt(sos, x), rtol=1e-9), "sosfilt")
    return figure(
        "biquad cascade, 4 sections (1,000,000 samples)",
        n,
        best_seconds(lambda: filters.sosfilt(sos, x)),
        best_seconds(lambda: signal.sosfilt(sos, x)),
        "samples/s",
        "scipy.signal.sosfilt",
    )


# ---------------------------------------------------------------- IRI


def numpy_iri_m_per_km(y: FloatArray, dx: float) -> float:
    """The Golden Car as a Python loop over NumPy 4-vectors (slopes vectorised)."""
    st, pr = roughness.golden_car(dx)
    k = roughness.slope_steps(dx)
    slopes = (y[k:] - y[:-k]) / (k * dx)
    j = min(round(11.0 / dx), y.size - 1)
    z0 = (y[j] - y[0]) / (j * dx)
    z = np.array([z0, 0.0, z0, 0.0])
    total = 0.0
    for s in slopes:
        z = st @ z + pr * s
        total += abs(z[0] - z[2])
    return total / slopes.size * 1000.0


def bench_iri() -> Figure:
    dx = 0.25
    n = int(100_000 / dx)  # 100 km
    y = np.cumsum(np.random.default_rng(SEED).normal(0, 0.0015, n))
    y -= np.convolve(y, np.ones(401) / 401, mode="same")  # keep it a road, not a mountain
    got = roughness.iri_m_per_km(y, dx)
    ref = numpy_iri_m_per_km(y, dx)
    check(abs(got - ref) <= 1e-9 * abs(ref), "IRI")
    console.print(f"    IRI of the 100 km profile: {got:.3f} m/km")
    return figure(
        "IRI Golden Car, 100 km at 0.25 m",
        n,
        best_seconds(lambda: roughness.iri_m_per_km(y, dx)),
        once_seconds(lambda: numpy_iri_m_per_km(y, dx)),
        "points/s",
        "Python loop over NumPy ST·z + PR·s",
    )


# ---------------------------------------------------------------- segments and resampling


def van_day(hz: int = 100, hours: int = 8) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(time s, distance m, speed m/s) of an 8-hour round sampled at ``hz``."""
    rng = np.random.default_rng(SEED)
    n = hz * 3600 * hours
    t = np.arange(n) / hz
    speed = np.clip(6.0 + np.cumsum(rng.normal(0, 0.02, n)) % 8 - 2.0, 0.0, None)
    d = np.cumsum(speed / hz)
    return t, d, speed


def numpy_segment_stats(d: FloatArray, v: FloatArray, seg_m: float) -> tuple[FloatArray, ...]:
    key = np.floor(d / seg_m).astype(np.int64)
    n = int(key[-1]) + 1
    count = np.bincount(key, minlength=n)
    total = np.bincount(key, weights=v, minlength=n)
    sum_sq = np.bincount(key, weights=v * v, minlength=n)
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, key, v)
    np.maximum.at(high, key, v)
    with np.errstate(invalid="ignore", divide="ignore"):
        return count, total / count, np.sqrt(sum_sq / count), low, high


def bench_segments(d: FloatArray, az: FloatArray) -> Figure:
    got = segments.segment_stats(d, az, 10.0)
    ref = numpy_segment_stats(d, az, 10.0)
    check(np.array_equal(got.count, ref[0]), "segment counts")
    check(np.allclose(got.rms, ref[2], rtol=1e-12, equal_nan=True), "segment RMS")
    check(np.array_equal(got.max, np.where(ref[0] > 0, ref[4], np.nan), equal_nan=True), "max")
    return figure(
        f"10 m segments: count/mean/RMS/min/max ({d.size:,} samples)",
        d.size,
        best_seconds(lambda: segments.segment_stats(d, az, 10.0)),
        best_seconds(lambda: numpy_segment_stats(d, az, 10.0), 3),
        "samples/s",
        "np.bincount ×3 + np.minimum.at/maximum.at",
    )


def bench_interp(t: FloatArray, d: FloatArray) -> Figure:
    fix_t = t[::10]  # 10 Hz fixes
    fix_d = d[::10]
    check(np.array_equal(segments.interp(t, fix_t, fix_d), np.interp(t, fix_t, fix_d)), "interp")
    return figure(
        f"time → distance, 100 Hz samples between 10 Hz fixes ({t.size:,})",
        t.size,
        best_seconds(lambda: segments.interp(t, fix_t, fix_d)),
        best_seconds(lambda: np.interp(t, fix_t, fix_d)),
        "samples/s",
        "numpy.interp",
    )


# ---------------------------------------------------------------- potholes


def numpy_potholes(
    az: FloatArray, v: FloatArray, d: FloatArray, thr: float, diff: float, sd: float, w: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Vectorised detectors (cumulative-sum window variance), events by gaps: (first, peak)."""
    dev = np.abs(az - 1.0)
    jump = np.zeros(az.size)
    jump[1:] = np.abs(np.diff(az))
    c1 = np.concatenate([[0.0], np.cumsum(az - 1.0)])
    c2 = np.concatenate([[0.0], np.cumsum((az - 1.0) ** 2)])
    std = np.zeros(az.size)
    mean = (c1[w:] - c1[:-w]) / w
    std[w - 1 :] = np.sqrt(np.maximum((c2[w:] - c2[:-w]) / w - mean * mean, 0.0))
    flags = ((dev > thr) | (jump > diff) | (std > sd)) & (v >= 3.0)
    hits = np.flatnonzero(flags)
    if hits.size == 0:
        return hits, hits
    new = np.concatenate([[True], np.diff(d[hits]) > 2.0])
    event = np.cumsum(new) - 1
    order = np.lexsort((-dev[hits], event))
    first_of = np.flatnonzero(np.concatenate([[True], np.diff(event[order]) > 0]))
    return hits[new], hits[order[first_of]]


def bench_potholes(d: FloatArray, speed: FloatArray) -> Figure:
    rng = np.random.default_rng(SEED + 1)
    az = 1.0 + rng.normal(0, 0.05, d.size)
    spots = rng.integers(0, d.size - 10, 400)
    for k in range(4):
        az[spots + k] += [0.9, -0.7, 0.5, -0.3][k]
    thr, diff, sd, w = 0.45, 0.6, 0.3, 10

    def kernel() -> potholes.PotholeEvents:
        return potholes.detect_potholes(az, speed, d, thr, diff, sd, w, 3.0, 2.0)

    got = kernel()
    first, peak = numpy_potholes(az, speed, d, thr, diff, sd, w)
    check(np.array_equal(got.first, first) and np.array_equal(got.peak, peak), "potholes")
    console.print(f"    potholes: {len(got)} events from 400 placed")
    return figure(
        f"potholes Z-THRESH + Z-DIFF + STDEV(Z) + merge ({d.size:,} samples)",
        d.size,
        best_seconds(kernel),
        best_seconds(lambda: numpy_potholes(az, speed, d, thr, diff, sd, w), 3),
        "samples/s",
        "NumPy vectorised (cumsum window variance)",
    )


# ---------------------------------------------------------------- frames


def wit_stream(seconds: int) -> bytes:
    rng = np.random.default_rng(SEED)
    out = bytearray()
    values = rng.integers(-3000, 3000, (seconds * 100, 3, 4))
    for i in range(seconds * 100):
        for t, kind in enumerate((0x51, 0x52, 0x53)):
            head = bytes((0x55, kind)) + struct.pack("<4h", *values[i, t])
            out += head + bytes((sum(head) & 0xFF,))
        if i % 5000 == 0:
            out += b"\x55\x00garbage"
    return bytes(out)


def python_wit_decode(data: bytes) -> int:
    """Plain-Python anchor when the driver codec is not there: count decoded frames."""
    n = i = 0
    unpack = struct.Struct("<4h").unpack_from
    while i + 11 <= len(data):
        if (
            data[i] == 0x55
            and data[i + 1] & 0xF0 == 0x50
            and sum(data[i : i + 10]) & 0xFF == data[i + 10]
        ):
            unpack(data, i + 2)
            n += 1
            i += 11
        else:
            i += 1
    return n


def bench_imu_decode() -> Figure:
    data = wit_stream(600)  # 10 minutes at 100 Hz, three frame types
    got = frames.decode_witmotion(data)
    try:
        from drivers.codecs.witmotion import WitCodec

        def anchor() -> int:
            return len(WitCodec().feed(data))

        label = "drivers WitCodec.feed (pure Python)"
    except ImportError:

        def anchor() -> int:
            return python_wit_decode(data)

        label = "plain-Python decoder"
    check(anchor() == got.frames, "WitMotion frames")
    return figure(
        f"IMU bulk decode, WitMotion ({got.frames:,} frames)",
        got.frames,
        best_seconds(lambda: frames.decode_witmotion(data)),
        once_seconds(anchor),
        "frames/s",
        label,
    )


def pynmea2_decode(data: bytes) -> int:
    """Anchor: pynmea2 on each line, reading the fields the fast path returns."""
    import pynmea2

    n = 0
    for line in data.decode("ascii").splitlines():
        msg = pynmea2.parse(line)
        _ = (msg.timestamp, msg.latitude, msg.longitude)
        n += 1
    return n


def bench_nmea_decode() -> list[Figure]:
    try:
        from drivers.codecs.nmea import NmeaCodec, encode_sentence
    except ImportError:
        return []
    rng = np.random.default_rng(SEED)
    lines = []
    for i in range(36_000):  # an hour at 10 Hz, GGA + RMC
        h, m, s = i // 36000, (i // 600) % 60, (i // 10) % 60
        lat = 4723.4 + rng.uniform(0, 0.5)
        lon = 41.4 + rng.uniform(0, 0.5)
        t = f"{h:02d}{m:02d}{s:02d}.{i % 10}0"
        gga = f"GNGGA,{t},{lat:.5f},N,000{lon:.5f},E,1,12,0.8,75.2,M,47.1,M,,"
        rmc = f"GNRMC,{t},A,{lat:.5f},N,000{lon:.5f},E,12.4,87.1,060125,,,A"
        lines += [encode_sentence(gga), encode_sentence(rmc)]
    data = b"".join(lines)
    got = frames.decode_nmea(data)
    check(len(NmeaCodec().feed(data)) == got.sentences == len(lines), "NMEA sentences")
    name = f"NMEA GGA/RMC bulk decode ({len(lines):,} sentences)"
    kernel_s = best_seconds(lambda: frames.decode_nmea(data))
    out = [
        figure(
            name,
            len(lines),
            kernel_s,
            once_seconds(lambda: NmeaCodec().feed(data)),
            "sentences/s",
            "drivers NmeaCodec.feed (pure Python)",
        )
    ]
    try:
        import pynmea2  # noqa: F401
    except ImportError:
        return out
    check(pynmea2_decode(data) == len(lines), "pynmea2 sentences")
    out.append(
        figure(
            name,
            len(lines),
            kernel_s,
            once_seconds(lambda: pynmea2_decode(data)),
            "sentences/s",
            "pynmea2.parse per line",
        )
    )
    return out


def bench_thermal_decode() -> Figure | None:
    try:
        from drivers.codecs.thermal import ThermalCodec, encode_frame
    except ImportError:
        return None
    rng = np.random.default_rng(SEED)
    data = b"".join(encode_frame(rng.uniform(-5, 30, (24, 32)), 8.0) for _ in range(3600))
    got = frames.decode_thermal(data)
    check(len(ThermalCodec().feed(data)) == got.frames == 3600, "thermal frames")
    return figure(
        "thermal bulk decode, GY-MCU90640 (3,600 frames)",
        3600,
        best_seconds(lambda: frames.decode_thermal(data)),
        once_seconds(lambda: ThermalCodec().feed(data)),
        "frames/s",
        "drivers ThermalCodec.feed (Python + NumPy)",
    )


def journal_bytes(records: int, per_chunk: int = 1000) -> bytes:
    """A journal as the recorder writes it: five channels, records of 0 to 600 bytes, a CHUNK
    record (count and SHA-256) every ``per_chunk`` records."""
    rng = np.random.default_rng(SEED)
    sizes = rng.integers(0, 600, records).tolist()
    channels = rng.integers(0, 5, records).tolist()
    payload = rng.integers(0, 256, 600, dtype=np.uint8).tobytes()
    out = [MAGIC] + [encode_record(CHANNEL, 0, 0, k, f"ch{k}".encode()) for k in range(5)]
    chunk: list[bytes] = []
    t_ns = 1_700_000_000_000_000_000
    for i, (size, ch) in enumerate(zip(sizes, channels, strict=True)):
        chunk.append(encode_record(DATA, i * 10_000_000, t_ns + i * 10_000_000, ch, payload[:size]))
        if len(chunk) == per_chunk or i == records - 1:
            body = b"".join(chunk)
            seq = i // per_chunk
            digest = hashlib.sha256(body).digest()
            out += [
                body,
                encode_record(CHUNK, 0, 0, 255, struct.pack("<II32s", seq, len(chunk), digest)),
            ]
            chunk = []
    return b"".join(out)


def bench_journal_walk() -> Figure:
    """The compiled walker (``scan_journal``) against the Python reader (``read_journal``)."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        path = Path(tmp) / "walk.journal"
        path.write_bytes(journal_bytes(200_000))
        records, expected = read_journal(path)
        walk, report = scan_journal(path)
        check(report == expected and walk.records == len(records), "journal walk")
        n = len(records)
        del records
        return figure(
            f"journal walk, CRC-32 + chunk SHA-256 + channels gathered ({n:,} records)",
            n,
            best_seconds(lambda: scan_journal(path)),
            once_seconds(lambda: read_journal(path)),
            "records/s",
            "drivers read_journal (pure Python)",
        )


def run() -> list[Figure]:
    """Each géointelligence kernel against its anchor; checks agreement before timing."""
    console.print(
        "  geo_kernels: filter, IRI, segments, interpolation, potholes, decoders, journal walk…"
    )
    t, d, speed = van_day()
    az = 1.0 + np.random.default_rng(SEED).normal(0, 0.05, d.size)
    figures = [
        bench_sosfilt(),
        bench_iri(),
        bench_segments(d, az),
        bench_interp(t, d),
        bench_potholes(d, speed),
        bench_imu_decode(),
    ]
    figures += bench_nmea_decode()
    thermal = bench_thermal_decode()
    if thermal is not None:
        figures.append(thermal)
    figures.append(bench_journal_walk())
    return figures
