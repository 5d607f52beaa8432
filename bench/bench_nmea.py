"""NMEA decoding: maillage's codec against pynmea2 on the same 10 Hz receiver stream."""

from __future__ import annotations

import gc
import math
import operator
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pynmea2
from rich.console import Console

from bench.common import Figure, stopwatch
from drivers.codecs.nmea import Gga, NmeaCodec, Rmc, encode_sentence
from ext import frames

HZ = 10
EPOCHS = 50_000  # 4 sentences per epoch: 200,000 sentences, 83 minutes at 10 Hz
READ_SIZE = 4096  # bytes per read, as a serial port delivers them in bursts
REPEATS = 5
START = (47.39, 0.69)  # Tours
METRES_PER_DEG = 111_320.0

console = Console()


def _ddmm(value_deg: float, width: int) -> str:
    degrees = int(value_deg)
    return f"{degrees:0{width}d}{(value_deg - degrees) * 60:07.4f}"


def receiver_lines(epochs: int = EPOCHS, seed: int = 20250106) -> list[bytes]:
    """What a multi-GNSS receiver sends at 10 Hz: GNGGA, GNRMC, GNVTG, GNGSA per epoch."""
    rng = np.random.default_rng(seed)
    t0 = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    lat, lon = START
    speed, heading, altitude = 0.0, 90.0, 55.0
    satellites = sorted(rng.choice(np.arange(1, 33), 10, replace=False).tolist())
    lines: list[bytes] = []
    for i in range(epochs):
        speed = min(max(speed + rng.normal(0.0, 0.3), 0.0), 25.0)
        heading = (heading + rng.normal(0.0, 1.5)) % 360.0
        altitude += rng.normal(0.0, 0.05)
        lat += speed / HZ * math.cos(math.radians(heading)) / METRES_PER_DEG
        lon += (
            speed
            / HZ
            * math.sin(math.radians(heading))
            / (METRES_PER_DEG * math.cos(math.radians(lat)))
        )
        if rng.random() < 0.002:  # a satellite rises or sets every ~50 s
            satellites[rng.integers(len(satellites))] = int(rng.integers(1, 33))
        hdop = 0.8 + 0.1 * math.sin(i / 3000)
        stamp = t0 + timedelta(seconds=i / HZ)
        hms = stamp.strftime("%H%M%S.") + f"{stamp.microsecond // 10_000:02d}"
        lat_f, lon_f = f"{_ddmm(lat, 2)},N", f"{_ddmm(lon, 3)},E"
        knots, kmh = speed / 0.514444, speed * 3.6
        svs = ",".join(f"{s:02d}" for s in satellites) + ",,"
        lines += [
            encode_sentence(
                f"GNGGA,{hms},{lat_f},{lon_f},1,{len(satellites):02d},{hdop:.2f},"
                f"{altitude:.1f},M,47.3,M,,"
            ),
            encode_sentence(
                f"GNRMC,{hms},A,{lat_f},{lon_f},{knots:.3f},{heading:.2f},{stamp:%d%m%y},,,A"
            ),
            encode_sentence(f"GNVTG,{heading:.2f},T,,M,{knots:.3f},N,{kmh:.3f},K,A"),
            encode_sentence(f"GNGSA,A,3,{svs},{hdop + 0.5:.2f},{hdop:.2f},{hdop + 0.3:.2f}"),
        ]
    return lines


def ours_per_line(lines: Sequence[bytes]) -> list[object]:
    """Our codec fed one sentence at a time (CR LF included)."""
    feed = NmeaCodec().feed
    out: list[object] = []
    for line in lines:
        out += feed(line)
    return out


def ours_stream(stream: bytes) -> list[object]:
    """Our codec fed the raw byte stream in ``READ_SIZE`` reads: splitting is its job."""
    feed = NmeaCodec().feed
    out: list[object] = []
    for i in range(0, len(stream), READ_SIZE):
        out += feed(stream[i : i + READ_SIZE])
    return out


def pynmea2_per_line(texts: Sequence[str]) -> list[object]:
    """The anchor: ``pynmea2.parse`` on each pre-split line (fields stay text until read)."""
    parse = pynmea2.parse
    return [parse(text) for text in texts]


def pynmea2_stream(stream: bytes) -> list[object]:
    """The anchor on the raw stream: decode the same reads, split lines, parse each."""
    parse = pynmea2.parse
    out: list[object] = []
    pending = ""
    for i in range(0, len(stream), READ_SIZE):
        *complete, pending = (pending + stream[i : i + READ_SIZE].decode("ascii")).split("\r\n")
        out += [parse(text) for text in complete]
    return out


_VALUES = {
    pynmea2.GGA: "timestamp latitude longitude gps_qual num_sats horizontal_dil altitude geo_sep"
    " age_gps_data ref_station_id",
    pynmea2.RMC: "datetime status latitude longitude spd_over_grnd true_course mag_variation"
    " mag_var_dir mode_indicator",
    pynmea2.VTG: "true_track mag_track spd_over_grnd_kts spd_over_grnd_kmph faa_mode",
    pynmea2.GSA: "mode mode_fix_type sv_id01 sv_id02 sv_id03 sv_id04 sv_id05 sv_id06 sv_id07"
    " sv_id08 sv_id09 sv_id10 sv_id11 sv_id12 pdop hdop vdop",
}
"""What our frames hold, as pynmea2 attribute names (reading one converts its text)."""
_GETTERS = {kind: operator.attrgetter(*names.split()) for kind, names in _VALUES.items()}


def pynmea2_stream_values(stream: bytes) -> list[object]:
    """The anchor doing our whole job: raw stream, parse, and every value read once."""
    out = pynmea2_stream(stream)
    for sentence in out:
        _GETTERS[type(sentence)](sentence)
    return out


def best_seconds(works: dict[str, Callable[[], list[object]]], expected: int) -> dict[str, float]:
    """Fastest of ``REPEATS`` runs of each, taken in turns so that load hits all alike."""
    for name, work in works.items():  # warm-up, and every way decodes every sentence
        if len(work()) != expected:
            raise RuntimeError(f"{name} did not decode {expected} sentences")
    best = dict.fromkeys(works, math.inf)
    for _ in range(REPEATS):
        for name, work in works.items():
            gc.collect()
            with stopwatch() as elapsed:
                work()
            best[name] = min(best[name], elapsed())
    return best


def check_agreement(ours: Sequence[object], theirs: Sequence[object]) -> None:
    """Both decoders read the same positions, times and speeds from the stream."""
    for mine, other in zip(ours, theirs, strict=True):
        if isinstance(mine, Gga):
            assert isinstance(other, pynmea2.GGA)
            assert math.isclose(mine.lat_deg or 0, other.latitude, abs_tol=1e-9)
            assert math.isclose(mine.lon_deg or 0, other.longitude, abs_tol=1e-9)
            assert mine.time_utc == other.timestamp
        elif isinstance(mine, Rmc):
            assert isinstance(other, pynmea2.RMC)
            assert mine.datetime_utc == other.datetime
            assert math.isclose(mine.speed_mps or 0, other.spd_over_grnd * 0.514444, rel_tol=1e-5)


def run() -> list[Figure]:
    """Sentences per second, our codec and pynmea2, on pre-split lines and on the raw stream."""
    lines = receiver_lines()
    texts = [line[:-2].decode("ascii") for line in lines]
    stream = b"".join(lines)
    n = len(lines)
    ours = ours_stream(stream)
    check_agreement(ours, pynmea2_stream(stream))
    console.print(
        f"  nmea: {n:,} sentences ({len(stream) / 1e6:.1f} MB, GGA/RMC/VTG/GSA at {HZ} Hz), "
        f"decoders agree; best of {REPEATS}…"
    )
    seconds = best_seconds(
        {
            "ours, lines": lambda: ours_per_line(lines),
            "pynmea2, lines": lambda: pynmea2_per_line(texts),
            "ours, stream": lambda: ours_stream(stream),
            "pynmea2, stream": lambda: pynmea2_stream(stream),
            "pynmea2, stream + values": lambda: pynmea2_stream_values(stream),
            "ours, bulk": lambda: range(frames.decode_nmea(stream).sentences),
        },
        n,
    )
    console.print("    " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    return [
        Figure(
            name=f"NMEA decode, pre-split lines ({n:,})",
            value=n / seconds["ours, lines"],
            anchor=n / seconds["pynmea2, lines"],
            unit="sentences/s",
            anchor_label="pynmea2.parse per line (fields left as text)",
        ),
        Figure(
            name=f"NMEA decode, raw stream in {READ_SIZE} B reads",
            value=n / seconds["ours, stream"],
            anchor=n / seconds["pynmea2, stream"],
            unit="sentences/s",
            anchor_label="decode + split + pynmea2.parse (fields left as text)",
        ),
        Figure(
            name="NMEA decode to values, raw stream",
            value=n / seconds["ours, stream"],
            anchor=n / seconds["pynmea2, stream + values"],
            unit="sentences/s",
            anchor_label="the same with pynmea2, every field read once",
        ),
        Figure(
            name="NMEA bulk decode to arrays (ext.frames, same grammar)",
            value=n / seconds["ours, bulk"],
            anchor=n / seconds["pynmea2, stream + values"],
            unit="sentences/s",
            anchor_label="the same with pynmea2, every field read once",
        ),
    ]
