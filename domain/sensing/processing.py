"""A session's decoded samples turned into indicators per 10 m segment (rolled up to 100 m).

The console decodes the journal (``console.decode``) and hands ``Observations`` here; this
module opens no file. Distance comes from the GNSS track (cumulative haversine); every
other sample gets its distance and speed by interpolation on time between GNSS fixes.
Everything is computed by ``ext`` kernels in a fixed order, so the same observations and
``Parameters`` give bit-identical results (``results_bytes`` → the same SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.errors import InvalidInputError
from domain.sensing import indicators as ind
from domain.sensing import street_sections as streets
from domain.territory.matching import MatchParameters
from domain.territory.network import RoadNetwork
from ext import frames, geodesy, potholes, roughness, segments

PIPELINE_VERSION = "1.1"
"""Changes whenever a change of code changes results for the same journal and parameters."""
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Parameters:
    """Every number the pipeline's results depend on (recorded with each processing)."""

    segment_m: float = 10.0
    rollup: int = 10
    """Short segments per long one (10 m × 10 = 100 m)."""
    highpass_hz: float = 0.5
    """Corner of the 4th-order Butterworth high-pass applied to vertical acceleration."""
    roughness_alpha: float = 0.52
    """Speed normalisation: index = RMS(high-passed a_z, m/s²) / speed^alpha. The van's body
    response on one road grows as speed^0.52 (fitted on the simulator at 5–14 m/s, ISO 8608
    waviness 2: ``calibration.fit_speed_exponent``); 1.0 left +28 % at 5 m/s, −20 % at 14."""
    min_speed_mps: float = 3.0
    """Below this the body's response says nothing of the road (roughness, potholes)."""
    iri_per_index: float = 24.25
    """Calibration IRI = a·index + b (m/km). Default fitted on the simulator's van over
    ISO 8608 sections A–C (reference IRI by the Golden Car on the true profile, 100 m
    sections of two runs, r² = 0.99); a real van must be fitted on reference sections of
    known IRI (``maillage sessions calibrate``)."""
    iri_offset_m_per_km: float = -0.13
    """Fitted with ``iri_per_index`` on the simulator: a placeholder until fitted on a van."""
    pothole_z_thresh_g: float = 1.0
    """Z-THRESH: |a_z − 1 g| above this at speed is a pothole hit. 0.4 g (the kernel's default)
    fires all along rough (ISO class C) sections; 1 g keeps the potholes only (simulator)."""
    pothole_relative_k: float = 4.0
    """A hit must also exceed this × the local deviation of a_z (class D roads: precision
    0.1 → ~0.75 on the simulator, recall kept; smooth roads keep the fixed threshold)."""
    pothole_window_s: float = 2.0
    """The local deviation is taken over this much time before each sample."""
    pothole_merge_m: float = 2.0
    facade_first_row: int = 8
    """Thermal image rows above this are sky/roofs: the façade is read below it."""
    facade_max_ambient_c: float = 10.0
    """Façade readings count only when the air is at most this (cold season / night), so the
    indoor–outdoor difference is about 10 K or more. Sun, wind and rain are not measured on
    board: sessions for façades must be driven at night or overcast, dry, calm."""
    facade_max_speed_mps: float = 10.0
    """At 2 images/s, at most 5 m of façade per image (two or more images per 10 m)."""
    facade_warm_delta_c: float = 3.0
    """Façade minus air above this flags a warm façade (heat loss)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Parameters:
        """Parameters from JSON values; unknown names are refused."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise InvalidInputError(f"unknown pipeline parameters: {', '.join(sorted(unknown))}")
        default = cls()
        out = {}
        for name, value in values.items():
            kind = type(getattr(default, name))
            try:
                out[name] = kind(value)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"parameter {name}: {value!r} is not a {kind.__name__}"
                ) from None
        params = cls(**out)
        if params.segment_m <= 0 or params.rollup < 1:
            raise InvalidInputError("segment_m must be positive and rollup at least 1")
        return params


def _empty() -> FloatArray:
    return np.empty(0, dtype=np.float64)


@dataclass
class Observations:
    """Decoded samples of one session, times in seconds since ``start_utc_ns``."""

    start_utc_ns: int = 0
    gps_t_s: FloatArray = field(default_factory=_empty)
    gps_lat_deg: FloatArray = field(default_factory=_empty)
    gps_lon_deg: FloatArray = field(default_factory=_empty)
    gps_speed_mps: FloatArray = field(default_factory=_empty)
    imu_t_s: FloatArray = field(default_factory=_empty)
    imu_az_g: FloatArray = field(default_factory=_empty)
    """Vertical acceleration, g, gravity included."""
    pm_t_s: FloatArray = field(default_factory=_empty)
    pm25_ugm3: FloatArray = field(default_factory=_empty)
    pm10_ugm3: FloatArray = field(default_factory=_empty)
    modem_t_s: FloatArray = field(default_factory=_empty)
    rsrp_dbm: FloatArray = field(default_factory=_empty)
    rsrq_db: FloatArray = field(default_factory=_empty)
    operator: list[str] = field(default_factory=list)
    """MCC-MNC of the serving cell of each modem reading."""
    thermal_t_s: FloatArray = field(default_factory=_empty)
    thermal_image_c: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.empty((0, 24, 32), dtype=np.float32)
    )
    """(frames, 24 rows, 32 columns); columns 16–31 look at the right side of the road."""
    thermal_ambient_c: FloatArray = field(default_factory=_empty)

    @classmethod
    def empty(cls, start_utc_ns: int) -> Observations:
        return cls(start_utc_ns=start_utc_ns)


# ---------------------------------------------------------------------- filters


def butter_highpass_sos(order: int, corner_hz: float, fs_hz: float) -> FloatArray:
    """Second-order sections of a Butterworth high-pass (bilinear, prewarped), even order.

    The same filter as ``scipy.signal.butter(order, corner_hz, 'highpass', fs=fs_hz,
    output='sos')`` up to how the gain is spread over the sections (tested against it).
    """
    if order % 2 or order < 2:
        raise ValueError("order must be even")
    if not 0 < corner_hz < fs_hz / 2:
        raise ValueError(f"corner {corner_hz} Hz must be between 0 and {fs_hz / 2} Hz")
    k = math.tan(math.pi * corner_hz / fs_hz)
    rows = []
    for i in range(order // 2):
        theta = math.pi * (2 * i + 1) / (2 * order)
        q_inv = 2 * math.sin(theta)  # 1/Q of the pole pair
        norm = 1 + k * q_inv + k * k
        rows.append(
            [
                1 / norm,
                -2 / norm,
                1 / norm,
                1.0,
                2 * (k * k - 1) / norm,
                (1 - k * q_inv + k * k) / norm,
            ]
        )
    return np.array(rows, dtype=np.float64)


# ---------------------------------------------------------------------- the pipeline


@dataclass
class Track:
    """The GNSS track as cumulative distance, and the segment boundaries on the map."""

    t_s: FloatArray
    distance_m: FloatArray
    speed_mps: FloatArray
    n: int
    boundary_lat: FloatArray
    boundary_lon: FloatArray

    def at(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Distance, speed and whether inside the track's time span, for sample times."""
        d = segments.interp(t_s, self.t_s, self.distance_m)
        v = segments.interp(t_s, self.t_s, self.speed_mps)
        inside = (t_s >= self.t_s[0]) & (t_s <= self.t_s[-1])
        return d, v, inside

    def position(self, distance_m: FloatArray, segment_m: float) -> tuple[FloatArray, FloatArray]:
        grid = np.arange(self.n + 1, dtype=np.float64) * segment_m
        grid[-1] = max(grid[-1], float(self.distance_m[-1]))
        return (
            segments.interp(distance_m, grid, self.boundary_lat),
            segments.interp(distance_m, grid, self.boundary_lon),
        )


def build_track(obs: Observations, segment_m: float) -> Track:
    if len(obs.gps_t_s) < 2:
        raise InvalidInputError("the session has fewer than two GNSS fixes: no track to segment")
    cum = geodesy.cumulative_distance_m(obs.gps_lat_deg, obs.gps_lon_deg)
    total = float(cum[-1])
    if total <= 0:
        raise InvalidInputError("the van did not move: no segment to report")
    n = max(1, math.ceil(total / segment_m))
    _, lat = segments.resample_to_grid(cum, obs.gps_lat_deg, segment_m)
    _, lon = segments.resample_to_grid(cum, obs.gps_lon_deg, segment_m)
    if len(lat) == n:  # the track ends inside the last segment
        lat = np.append(lat, obs.gps_lat_deg[-1])
        lon = np.append(lon, obs.gps_lon_deg[-1])
    return Track(obs.gps_t_s, cum, obs.gps_speed_mps, n, lat[: n + 1], lon[: n + 1])


def _col(a: npt.ArrayLike, digits: int) -> list[float | None]:
    """Rounded JSON numbers; NaN becomes null."""
    values = np.round(np.asarray(a, dtype=np.float64), digits)
    missing = np.isnan(values)
    if not missing.any():
        return values.tolist()
    out = values.astype(object)  # the same Python floats as tolist(), then None where NaN
    out[missing] = None
    return out.tolist()


def _ints(a: npt.ArrayLike) -> list[int]:
    values = np.asarray(a)
    if values.dtype.kind in "iub":  # whole numbers already: one conversion, no loop
        return values.astype(np.int64).tolist()
    return [int(x) for x in values.tolist()]


def _rollup_rms(count: npt.NDArray[np.int64], rms: FloatArray, factor: int) -> FloatArray:
    n = len(count)
    pad = (-n) % factor
    c = np.concatenate([count, np.zeros(pad, dtype=np.int64)]).reshape(-1, factor)
    sq = np.concatenate([np.where(count > 0, rms * rms, 0.0), np.zeros(pad)]).reshape(-1, factor)
    total = c.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((sq * c).sum(axis=1) / total)


def _half_means(images: npt.NDArray[np.float32], first_row: int) -> tuple[FloatArray, FloatArray]:
    """Mean of the left and right half of each image from ``first_row`` down (float64).

    One compiled pass; pixels are float32 hundredths of a degree, so every sum is exact and
    equals NumPy's float64 mean of the same pixels bit for bit (NumPy's slicing rules for a
    row outside the image).
    """
    if 0 <= first_row < images.shape[1] and images.shape[2] >= 2:
        halves = frames.half_means(images, first_row)
        return halves[:, 0], halves[:, 1]
    below = images[:, first_row:, :].astype(np.float64)
    half = below.shape[2] // 2
    return below[:, :, :half].mean(axis=(1, 2)), below[:, :, half:].mean(axis=(1, 2))


def _roughness(
    obs: Observations,
    p: Parameters,
    d: FloatArray,
    v: FloatArray,
    inside: Any,
    seg: float,
    n: int,
    high_mps2: FloatArray | None = None,
) -> tuple[dict[str, Any], Any]:
    """Speed, roughness index, estimated IRI and classes per bin, and the kernel's stats
    (``high_mps2``: the high-passed signal when already computed for another level)."""
    fs_hz = 1.0 / float(np.median(np.diff(obs.imu_t_s)))
    sos = butter_highpass_sos(4, p.highpass_hz, fs_hz)
    rough = roughness.accel_roughness(
        obs.imu_az_g,
        d,
        v,
        sos,
        seg,
        n,
        p.roughness_alpha,
        p.min_speed_mps,
        mask=inside,
        high_mps2=high_mps2,
    )
    iri = roughness.calibrated_iri(rough.index, p.iri_per_index, p.iri_offset_m_per_km)
    cols = {
        "speed_mps": _col(rough.mean_speed_mps, 2),
        "roughness_index": _col(rough.index, 5),
        "iri_m_per_km": _col(iri, 3),
        "iri_class": _ints(ind.iri_class(iri)),
        "iso8608_class": _ints(ind.iso8608_class(iri)),
    }
    return cols, rough


def find_potholes(
    obs: Observations,
    p: Parameters,
    d: FloatArray,
    v: FloatArray,
    inside: Any,
    high_mps2: FloatArray | None = None,
) -> Any:
    """Z-THRESH with a threshold relative to the local roughness: a hit must exceed both
    ``pothole_z_thresh_g`` and ``pothole_relative_k`` × the standard deviation of the
    high-passed vertical acceleration over the previous ``pothole_window_s``, so a rough
    (ISO class D) road does not fire all along. ``high_mps2``: that signal, if computed."""
    fs_hz = 1.0 / float(np.median(np.diff(obs.imu_t_s)))
    excess = obs.imu_az_g - 1.0
    if high_mps2 is None:
        sos = butter_highpass_sos(4, p.highpass_hz, fs_hz)
        high_mps2 = roughness.highpass_mps2(obs.imu_az_g, sos)
    high = high_mps2 / roughness.STANDARD_GRAVITY_MPS2
    local = potholes.moving_std(high, max(2, round(p.pothole_window_s * fs_hz)))
    local = np.where(np.isnan(local), np.nanmedian(local) if np.isfinite(local).any() else 0, local)
    threshold = np.maximum(p.pothole_z_thresh_g, p.pothole_relative_k * local)
    scaled = 1.0 + excess * (p.pothole_z_thresh_g / threshold)  # hit ⟺ |a_z − 1| > threshold
    flags = potholes.pothole_flags(
        scaled, np.where(inside, v, 0.0), p.pothole_z_thresh_g, None, None, 10, p.min_speed_mps
    )
    return potholes.pothole_events(flags, obs.imu_az_g, d, p.pothole_merge_m)


def _particulates(
    obs: Observations, d: FloatArray, inside: Any, seg: float, n: int
) -> dict[str, Any]:
    """Mean PM2.5 and PM10 per bin (kernel stats under ``_stats``)."""
    cols: dict[str, Any] = {"_stats": {}}
    for name, values in (("pm25_ugm3", obs.pm25_ugm3), ("pm10_ugm3", obs.pm10_ugm3)):
        st = segments.segment_stats(d, values, seg, n, mask=inside)
        cols[name] = _col(st.mean, 2)
        cols["_stats"][name] = st
    return cols


def _air_class(cols: dict[str, Any]) -> None:
    cols["air_class"] = _ints(ind.air_class(cols["pm25_ugm3"], cols["pm10_ugm3"]))


def _modem(obs: Observations, d: FloatArray, inside: Any, seg: float, n: int) -> dict[str, Any]:
    """Mean RSRP and RSRQ per bin (kernel stats under ``_stats``)."""
    cols: dict[str, Any] = {"_stats": {}}
    for name, values in (("rsrp_dbm", obs.rsrp_dbm), ("rsrq_db", obs.rsrq_db)):
        st = segments.segment_stats(d, values, seg, n, mask=inside & ~np.isnan(values))
        cols[name] = _col(st.mean, 1)
        cols["_stats"][name] = st
    return cols


def _coverage_class(cols: dict[str, Any]) -> None:
    cols["coverage_class"] = _ints(ind.coverage_class(cols["rsrp_dbm"]))


def _per_operator(
    obs: Observations, d: FloatArray, inside: Any, seg: float, n: int, rollup: int
) -> list[dict[str, Any]]:
    """RSRP, RSRQ and coverage class per operator (MCC-MNC) per long bin."""
    operators = sorted(set(obs.operator))
    code = np.array([operators.index(o) for o in obs.operator], dtype=np.int64)
    st = segments.segment_stats(
        d, obs.rsrp_dbm, seg, n, sub=code, n_sub=len(operators), mask=inside
    ).rollup(rollup)
    sq = segments.segment_stats(
        d, obs.rsrq_db, seg, n, sub=code, n_sub=len(operators),
        mask=inside & ~np.isnan(obs.rsrq_db),
    ).rollup(rollup)  # fmt: skip
    return [
        {
            "operator": op,
            "rsrp_dbm_100m": _col(st.mean[:, k], 1),
            "rsrq_db_100m": _col(sq.mean[:, k], 1),
            "coverage_class_100m": _ints(ind.coverage_class(st.mean[:, k])),
        }
        for k, op in enumerate(operators)
    ]


def _facade_stats(
    obs: Observations,
    p: Parameters,
    d: FloatArray,
    v: FloatArray,
    inside: Any,
    seg: float,
    n: int,
    halves: tuple[FloatArray, FloatArray] | None = None,
) -> Any:
    """Façade minus air, left and right, per bin, from the readings taken cold and slow; sub
    2 counts the readings left out because the air was too warm, sub 3 those too fast."""
    left, right = halves or _half_means(obs.thermal_image_c, p.facade_first_row)
    left, right = left - obs.thermal_ambient_c, right - obs.thermal_ambient_c
    warm = obs.thermal_ambient_c > p.facade_max_ambient_c
    fast = v > p.facade_max_speed_mps
    valid = inside & ~warm & ~fast
    m = len(d)
    return segments.segment_stats(
        np.concatenate([d, d, d, d]),
        np.concatenate([left, right, np.zeros(m), np.zeros(m)]),
        seg,
        n,
        sub=np.repeat(np.arange(4, dtype=np.int64), m),
        n_sub=4,
        mask=np.concatenate([valid, valid, inside & warm, inside & ~warm & fast]),
    )


def _facade_cols(c: dict[str, Any], st: Any, p: Parameters) -> None:
    for k, side in enumerate(("left", "right")):
        c[f"facade_{side}_delta_c"] = _col(st.mean[:, k], 2)
        c[f"facade_{side}_warm"] = [
            x is not None and x >= p.facade_warm_delta_c for x in c[f"facade_{side}_delta_c"]
        ]
    c["facade_unsurveyed"] = [
        _unsurveyed(int(ok), int(warm), int(fast), p)
        for ok, warm, fast in zip(
            st.count[:, 0].tolist(), st.count[:, 2].tolist(), st.count[:, 3].tolist(), strict=True
        )
    ]


def _unsurveyed(valid: int, warm: int, fast: int, p: Parameters) -> str | None:
    """Why a bin's façades were not surveyed although the camera took images there."""
    if valid or not (warm or fast):
        return None
    reasons = []
    if fast:
        reasons.append(f"{fast} images faster than {p.facade_max_speed_mps:g} m/s")
    if warm:
        reasons.append(f"{warm} images with the air above {p.facade_max_ambient_c:g} °C")
    return "not surveyed: " + ", ".join(reasons)


def _public(cols: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cols.items() if not k.startswith("_")}


NOTES = {
    "air": ind.AIR_ESTIMATE_NOTE,
    "roughness": "IRI estimated from the accelerometer with the calibration in parameters",
    "facades": "valid only with air ≤ facade_max_ambient_c and speed ≤ "
    "facade_max_speed_mps; drive at night, dry and calm",
}


def process(
    obs: Observations,
    params: Parameters | None = None,
    network: RoadNetwork | None = None,
    network_sha256: str = "",
    match_params: MatchParameters | None = None,
) -> dict[str, Any]:
    """Indicators per segment of the session's track, as JSON values (columns of equal length).

    With a road ``network``: per street section and direction of travel, map-matched
    (``process_streets``); without, per fixed-length piece of the GNSS track.
    """
    p = params or Parameters()
    if network is not None:
        return process_streets(obs, p, network, network_sha256, match_params or MatchParameters())
    track = build_track(obs, p.segment_m)
    n, seg = track.n, p.segment_m
    cols: dict[str, Any] = {
        "from_m": _col(np.arange(n) * seg, 1),
        "lat0": _col(track.boundary_lat[:-1], 7),
        "lon0": _col(track.boundary_lon[:-1], 7),
        "lat1": _col(track.boundary_lat[1:], 7),
        "lon1": _col(track.boundary_lon[1:], 7),
    }
    long_cols: dict[str, Any] = {}
    n_long = -(-n // p.rollup)
    long_bounds = np.minimum(np.arange(n_long + 1) * p.rollup, n)
    long_cols["from_m"] = _col(long_bounds[:-1] * seg, 1)
    for k in ("lat0", "lon0"):
        long_cols[k] = [cols[k][i] for i in long_bounds[:-1]]
    long_cols["lat1"] = _col(track.boundary_lat[long_bounds[1:]], 7)
    long_cols["lon1"] = _col(track.boundary_lon[long_bounds[1:]], 7)
    total_m = float(track.distance_m[-1])
    cols["length_m"] = _col(np.minimum(seg, total_m - np.arange(n) * seg), 1)
    long_cols["length_m"] = _col(
        np.minimum(seg * p.rollup, total_m - long_bounds[:-1] * seg), 1
    )  # the last piece of the track is as long as what is left, not a full segment
    pothole_list: list[dict[str, Any]] = []

    # roughness and potholes, from the IMU's vertical axis
    if len(obs.imu_t_s) > 1:
        d, v, inside = track.at(obs.imu_t_s)
        short, rough = _roughness(obs, p, d, v, inside, seg, n)
        cols.update(short)
        rms_long = _rollup_rms(rough.count, rough.rms_mps2, p.rollup)
        speed_long = _rollup_rms(rough.count, rough.mean_speed_mps, p.rollup)  # ≈ mean speed
        with np.errstate(invalid="ignore", divide="ignore"):
            index_long = rms_long / speed_long**p.roughness_alpha
        iri_long = roughness.calibrated_iri(index_long, p.iri_per_index, p.iri_offset_m_per_km)
        long_cols["roughness_index"] = _col(index_long, 5)
        long_cols["iri_m_per_km"] = _col(iri_long, 3)
        long_cols["iri_class"] = _ints(ind.iri_class(iri_long))
        long_cols["iso8608_class"] = _ints(ind.iso8608_class(iri_long))
        events = find_potholes(obs, p, d, v, inside)
        lat, lon = track.position(events.position_m, seg)
        per_seg = np.zeros(n, dtype=np.int64)
        for i in range(len(events)):
            s = min(int(events.position_m[i] // seg), n - 1)
            per_seg[s] += 1
            pothole_list.append(
                {
                    "position_m": round(float(events.position_m[i]), 2),
                    "lat": round(float(lat[i]), 7),
                    "lon": round(float(lon[i]), 7),
                    "peak_g": round(float(events.peak_g[i]), 4),
                    "hits": int(events.hits[i]),
                    "segment": s,
                    "t_s": round(float(obs.imu_t_s[events.peak[i]]), 3),
                }
            )
        cols["potholes"] = _ints(per_seg)
        long_cols["potholes"] = _ints(np.add.reduceat(per_seg, long_bounds[:-1]))

    # particulates
    if len(obs.pm_t_s):
        d, _, inside = track.at(obs.pm_t_s)
        short = _particulates(obs, d, inside, seg, n)
        cols.update(_public(short))
        for name, st in short["_stats"].items():
            long_cols[name] = _col(st.rollup(p.rollup).mean, 2)
        for c in (cols, long_cols):
            _air_class(c)

    # mobile network, pooled and per operator
    networks: list[dict[str, Any]] = []
    if len(obs.modem_t_s):
        d, _, inside = track.at(obs.modem_t_s)
        short = _modem(obs, d, inside, seg, n)
        cols.update(_public(short))
        for name, st in short["_stats"].items():
            long_cols[name] = _col(st.rollup(p.rollup).mean, 1)
        for c in (cols, long_cols):
            _coverage_class(c)
        networks = _per_operator(obs, d, inside, seg, n, p.rollup)

    # façades: mean of each half of the image below the skyline, minus the air temperature
    if len(obs.thermal_t_s):
        d, v, inside = track.at(obs.thermal_t_s)
        st = _facade_stats(obs, p, d, v, inside, seg, n)
        _facade_cols(cols, st, p)
        _facade_cols(long_cols, st.rollup(p.rollup), p)
        cols["facade_readings"] = _ints(st.count[:, 0])

    return {
        "pipeline_version": PIPELINE_VERSION,
        "parameters": p.as_dict(),
        "start_utc_ns": int(obs.start_utc_ns),
        "duration_s": round(float(track.t_s[-1] - track.t_s[0]), 3),
        "length_m": round(float(track.distance_m[-1]), 2),
        "segment_m": seg,
        "segments": cols,
        "segments_long": long_cols,
        "long_segment_m": seg * p.rollup,
        "potholes": pothole_list,
        "networks": networks,
        "notes": NOTES,
    }


def process_streets(
    obs: Observations,
    p: Parameters,
    network: RoadNetwork,
    network_sha256: str,
    mp: MatchParameters,
) -> dict[str, Any]:
    """Indicators per pass over each street section (10 m and 100 m levels), map-matched."""
    if len(obs.gps_t_s) < 2:
        raise InvalidInputError("the session has fewer than two GNSS fixes: nothing to match")
    m = streets.match_session(network, obs.gps_t_s, obs.gps_lat_deg, obs.gps_lon_deg, mp)
    levels = {"segments": p.segment_m, "segments_long": p.segment_m * p.rollup}
    out_levels: dict[str, dict[str, Any]] = {}
    networks: list[dict[str, Any]] = []
    pothole_list: list[dict[str, Any]] = []
    t_fix = obs.gps_t_s
    streams = {  # each sensor's samples: their fix, inside the fixes, speed (computed once)
        name: (*streets.fix_index(t_fix, t), segments.interp(t, t_fix, obs.gps_speed_mps))
        for name, t in (("imu", obs.imu_t_s), ("pm", obs.pm_t_s), ("modem", obs.modem_t_s),
                        ("thermal", obs.thermal_t_s)) if len(t)
    }  # fmt: skip
    events = high = None
    if len(obs.imu_t_s) > 1:  # potholes and the high-pass once, for both levels
        fs_hz = 1.0 / float(np.median(np.diff(obs.imu_t_s)))
        high = roughness.highpass_mps2(obs.imu_az_g, butter_highpass_sos(4, p.highpass_hz, fs_hz))
        idx, inside, v = streams["imu"]
        dist = segments.interp(obs.imu_t_s, t_fix, m.distance_m)
        events = find_potholes(obs, p, dist, v, inside & m.matched[idx], high)
    halves = _half_means(obs.thermal_image_c, p.facade_first_row) if len(obs.thermal_t_s) else None
    for level, section_m in levels.items():
        passes = streets.section_passes(network, m, section_m)
        n = len(passes)
        cols = streets.geometry_columns(network, passes, _col)

        def locate(name: str, passes: streets.Passes = passes) -> tuple[Any, Any, Any]:
            idx, inside, v = streams[name]
            which = streets.sample_pass(passes.fix_pass, idx, inside)
            return streets.pseudo_distance(which), v, which >= 0

        if events is not None and high is not None:
            d, v, inside = locate("imu")
            rough_cols, _ = _roughness(obs, p, d, v, inside, 1.0, n, high)
            cols.update(rough_cols)
            which = np.floor(d[events.peak]).astype(np.int64) if len(events) else np.zeros(0, int)
            cols["potholes"] = _ints(np.bincount(which[which >= 0], minlength=n)[:n])
            if level == "segments":
                pothole_list = _street_potholes(obs, network, m, events, which, passes)
        if "pm" in streams:
            d, _, inside = locate("pm")
            cols.update(_public(_particulates(obs, d, inside, 1.0, n)))
            _air_class(cols)
        if "modem" in streams:
            d, _, inside = locate("modem")
            cols.update(_public(_modem(obs, d, inside, 1.0, n)))
            _coverage_class(cols)
            if level == "segments_long":
                networks = _per_operator(obs, d, inside, 1.0, n, 1)
        if "thermal" in streams:
            d, v, inside = locate("thermal")
            fst = _facade_stats(obs, p, d, v, inside, 1.0, n, halves)
            _facade_cols(cols, fst, p)
            if level == "segments":
                cols["facade_readings"] = _ints(fst.count[:, 0])
        out_levels[level] = cols
    unmatched = streets.unmatched_report(network, m, t_fix, obs.gps_lat_deg, obs.gps_lon_deg)
    return {
        "pipeline_version": PIPELINE_VERSION,
        "parameters": p.as_dict(),
        "start_utc_ns": int(obs.start_utc_ns),
        "duration_s": round(float(t_fix[-1] - t_fix[0]), 3),
        "length_m": round(float(m.distance_m[-1]), 2),
        "segment_m": p.segment_m,
        "segments": out_levels["segments"],
        "segments_long": out_levels["segments_long"],
        "long_segment_m": p.segment_m * p.rollup,
        "potholes": pothole_list,
        "networks": networks,
        "matching": streets.matching_summary(m, network_sha256, mp, unmatched),
        "notes": {
            **NOTES,
            "sections": "per street section and direction of travel, "
            "map-matched on the road network (matching.network_sha256)",
        },
    }


def _street_potholes(
    obs: Observations,
    network: RoadNetwork,
    m: Any,
    events: Any,
    which: npt.NDArray[np.int64],
    passes: Any,
) -> list[dict[str, Any]]:
    """Each detected pothole on its street: way, offset along it, position, the 10 m row."""
    out = []
    t = obs.imu_t_s[events.peak] if len(events) else np.zeros(0)
    way_off = np.interp(t, obs.gps_t_s, np.nan_to_num(m.way_offset_m))
    for i in range(len(events)):
        row = int(which[i])
        if row < 0:
            continue
        w = int(passes.way[row])
        off = float(np.clip(way_off[i], passes.from_m[row], passes.to_m[row]))
        lat, lon = streets.way_points(network, np.array([w]), np.array([off]))
        out.append(
            {
                "position_m": round(float(events.position_m[i]), 2),
                "way_id": int(network.way_id[w]),
                "street": network.street(w),
                "way_offset_m": round(off, 1),
                "lat": round(float(lat[0]), 7),
                "lon": round(float(lon[0]), 7),
                "peak_g": round(float(events.peak_g[i]), 4),
                "hits": int(events.hits[i]),
                "segment": row,
                "t_s": round(float(t[i]), 3),
            }
        )
    return out


def results_bytes(results: dict[str, Any]) -> bytes:
    """The canonical bytes of results (sorted keys, no spaces): what the SHA-256 covers."""
    return json.dumps(results, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def results_sha256(results: dict[str, Any]) -> str:
    return hashlib.sha256(results_bytes(results)).hexdigest()


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """A few figures of results, small enough for the ``SessionProcessed`` event."""
    segs = results["segments"]
    out: dict[str, Any] = {
        "length_m": results["length_m"],
        "segments": len(segs["from_m"]),
        "potholes": len(results["potholes"]),
    }
    if "iri_class" in results["segments_long"]:
        classes = results["segments_long"]["iri_class"]
        out["long_segments_by_iri_class"] = {
            name: classes.count(i) for i, name in enumerate(ind.IRI_CLASSES)
        }
    if "pm25_ugm3" in segs:
        values = [x for x in segs["pm25_ugm3"] if x is not None]
        out["pm25_max_ugm3"] = max(values) if values else None
    if "rsrp_dbm" in segs:
        values = [x for x in segs["rsrp_dbm"] if x is not None]
        out["rsrp_min_dbm"] = min(values) if values else None
    if "facade_right_warm" in segs:
        out["warm_facade_segments"] = sum(segs["facade_left_warm"]) + sum(segs["facade_right_warm"])
    if "facade_unsurveyed" in segs:
        out["facade_unsurveyed_segments"] = sum(1 for x in segs["facade_unsurveyed"] if x)
    return out
