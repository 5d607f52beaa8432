"""A GPS or particulate channel's journal bytes as arrays, whatever model recorded them.

The session names a channel's kind (``gps``, ``pm``), not its model, so ``best_model`` picks
the model whose codec makes the most frames of the bytes (the default model wins ties).
``gps_fixes`` and ``pm_levels`` then give one row per fix or measurement with the byte offset
of the end of the journal record that completed it (the processing interpolates times on
those offsets): NMEA RMC or u-blox NAV-PVT for the GPS; PMS5003 (atmospheric), SDS011 or
SPS30 for particulates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.codecs import nmea, pms5003, sds011, sps30, ubx
from drivers.sensors import DEFAULT_MODEL, MODELS, SensorModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def models_of(kind: str) -> list[SensorModel]:
    """The models of a channel kind, its default first (it wins ties)."""
    default = MODELS.get(DEFAULT_MODEL.get(kind, ""))
    others = [m for m in MODELS.values() if m.channel == kind and m is not default]
    return ([default] if default else []) + others


def best_model(kind: str, data: bytes) -> SensorModel:
    """The model of ``kind`` whose codec decodes the most frames of ``data``."""
    scored = [(len(m.codec().feed(data)), -n, m) for n, m in enumerate(models_of(kind))]
    return max(scored, key=lambda s: (s[0], s[1]))[2]


def frames_with_ends(
    m: SensorModel, data: bytes, ends: Sequence[int], times_s: Sequence[float] | None = None
) -> tuple[list[Any], IntArray]:
    """Every frame the model's codec decodes, with the end offset of the record holding its
    last byte (not of the record that released it: a frame held behind a broken one keeps
    its own record, hence its own time).

    ``ends``: cumulative end offset of each journal record of the channel in ``data``;
    ``times_s``: each record's stamp (s, any origin): the codec's time budget then abandons a
    broken frame as it did live, at the model's first baud rate.
    """
    codec = m.codec()
    codec.set_baudrate(m.bauds[0])
    frames: list[Any] = []
    frame_ends: list[int] = []
    start = 0
    stamps = times_s if times_s is not None else [None] * len(ends)
    for end, t in zip(ends, stamps, strict=True):
        frames += codec.feed(data[start:end], t)
        frame_ends += codec.frame_ends
        start = end
    record_ends = np.asarray(ends, dtype=np.int64)
    holding = np.searchsorted(record_ends, np.asarray(frame_ends, dtype=np.int64), side="left")
    return frames, record_ends[holding] if len(frames) else np.empty(0, dtype=np.int64)


@dataclass
class Fixes:
    """GNSS fixes: where each ends in the channel's bytes, position and ground speed."""

    end_offset: IntArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    speed_mps: FloatArray


@dataclass
class Levels:
    """Particulate measurements: where each ends in the channel's bytes, PM2.5 and PM10."""

    end_offset: IntArray
    pm25_ugm3: FloatArray
    pm10_ugm3: FloatArray


def gps_fixes(
    data: bytes,
    ends: Sequence[int],
    model: str | None = None,
    times_s: Sequence[float] | None = None,
) -> Fixes:
    """Valid fixes of a GPS channel: RMC with status A (NMEA) or NAV-PVT with fix OK (UBX)."""
    m = MODELS[model] if model else best_model("gps", data)
    frames, at = frames_with_ends(m, data, ends, times_s)
    rows = []
    for frame, end in zip(frames, at.tolist(), strict=True):
        if isinstance(frame, ubx.NavPvt) and frame.fix_ok:
            rows.append((end, frame.lat_deg, frame.lon_deg, frame.speed_mps))
        elif isinstance(frame, nmea.Rmc) and frame.valid and frame.lat_deg is not None:
            rows.append((end, frame.lat_deg, frame.lon_deg, frame.speed_mps or 0.0))
    table = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return Fixes(table[:, 0].astype(np.int64), table[:, 1], table[:, 2], table[:, 3])


def pm_levels(
    data: bytes,
    ends: Sequence[int],
    model: str | None = None,
    times_s: Sequence[float] | None = None,
) -> Levels:
    """PM2.5 and PM10 of a particulate channel (PMS5003 atmospheric values, SDS011, SPS30)."""
    m = MODELS[model] if model else best_model("pm", data)
    frames, at = frames_with_ends(m, data, ends, times_s)
    rows = [
        (end, float(f.pm2_5_ugm3), float(f.pm10_ugm3))
        for f, end in zip(frames, at.tolist(), strict=True)
        if isinstance(f, pms5003.PmsReading | sds011.SdsReading | sps30.Sps30Reading)
    ]
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return Levels(table[:, 0].astype(np.int64), table[:, 1], table[:, 2])
