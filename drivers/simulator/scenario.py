"""What the simulated van lives through: a route in a real town, a speed profile with stops, a
road with known roughness and potholes, and the fields its sensors measure along the way.

Everything is computed up front on fixed time grids from a seed, so a scenario
is reproducible and its ground truth (where the potholes are, each section's
roughness, the particulate hotspot, the weak coverage zone, the warm façade,
the meal box's excursion) can be written beside the streams and checked
against what the processing chain finds.

The body's vertical acceleration comes from a quarter-car model of the van
driven over the road profile at the van's speed, so roughness computed
downstream from the IMU relates to the profile the way a real one does.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ext.geodesy import cumulative_distance_m, haversine_m

G_MPS2 = 9.80665
PROFILE_DX_M = 0.05
"""Spacing of the simulated road profile (the IRI's finest standard interval)."""

FloatArray = npt.NDArray[np.float64]

# A loop through the centre of Tours (Indre-et-Loire), along real streets: rue Nationale from
# the Loire to place Jean-Jaurès, boulevard Heurteloup to the station, rue Édouard Vaillant,
# rue Blaise Pascal, boulevard Béranger back west, rue de la Scellerie, rue Colbert.
TOURS_LOOP: tuple[tuple[float, float], ...] = (
    (47.39640, 0.68815),  # rue Nationale at the Loire (pont Wilson)
    (47.39330, 0.68870),
    (47.39060, 0.68900),  # place Jean-Jaurès
    (47.38985, 0.69180),  # boulevard Heurteloup
    (47.38950, 0.69520),  # place du Général Leclerc (station)
    (47.38720, 0.69560),  # rue Édouard Vaillant
    (47.38640, 0.69220),  # rue Blaise Pascal
    (47.38800, 0.68900),
    (47.38930, 0.68420),  # boulevard Béranger
    (47.39000, 0.67980),
    (47.39270, 0.68000),  # rue Chanoineau
    (47.39420, 0.68420),  # rue de la Scellerie
    (47.39530, 0.69050),  # rue Colbert
    (47.39640, 0.69400),
)


@dataclass(frozen=True)
class Pothole:
    """A dip in the road ``depth_m`` deep over ``length_m``, centred ``at_m`` along the route."""

    at_m: float
    depth_m: float = 0.05
    length_m: float = 0.6


@dataclass(frozen=True)
class Zone:
    """A round area on the map: a particulate hotspot, a weak coverage zone."""

    lat_deg: float
    lon_deg: float
    radius_m: float
    strength: float
    """µg/m³ added at the centre (hotspot) or dB lost at the centre (coverage)."""


@dataclass(frozen=True)
class Scenario:
    """A van's round, described by what a test or a demo needs to know in advance."""

    seed: int = 12
    route: tuple[tuple[float, float], ...] = TOURS_LOOP
    laps: int = 1
    cruise_mps: float = 9.0
    accel_mps2: float = 1.0
    stops: tuple[tuple[float, float], ...] = ((600.0, 45.0), (1500.0, 60.0), (2600.0, 45.0))
    """(distance along the route m, dwell s): the postman's deliveries."""
    roughness: tuple[tuple[float, float], ...] = ((0.0, 16e-6), (1200.0, 256e-6), (2000.0, 64e-6))
    """(from distance m, ISO 8608 displacement PSD Gd(n0) m³): road sections, n0 = 0.1 cycle/m."""
    potholes: tuple[Pothole, ...] = (Pothole(900.0), Pothole(1700.0, 0.07), Pothole(3100.0))
    hotspot: Zone = Zone(47.38950, 0.69520, 150.0, 45.0)
    pm25_background_ugm3: float = 8.0
    weak_coverage: Zone = Zone(47.39000, 0.67980, 200.0, 30.0)
    rsrp_background_dbm: float = -82.0
    warm_facade: tuple[float, float, int, float] = (2300.0, 2450.0, 1, 6.0)
    """(from m, to m, side 0 left / 1 right, façade minus ambient °C) of the warm façade."""
    ambient_c: float = 6.0
    box_excursion: tuple[float, float, float] = (300.0, 200.0, 5.5)
    """(start s, duration s, peak °C) of the meal box's excursion above +3 °C."""
    box_base_c: float = 2.2
    imu_hz: float = 100.0
    gps_hz: float = 10.0
    imu_noise_g: float = 0.004
    gps_model: str = "nmea"
    """What the GPS speaks: ``nmea`` (GGA and RMC) or ``ubx`` (u-blox NAV-PVT)."""
    pm_model: str = "pms5003"
    """The particulate sensor: ``pms5003``, ``sds011`` or ``sps30`` (same levels for each)."""

    @classmethod
    def load(cls, path: Path) -> Scenario:
        """A scenario from a JSON file: any field given replaces the default."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if "potholes" in data:
            data["potholes"] = tuple(Pothole(**p) for p in data["potholes"])
        for name in ("hotspot", "weak_coverage"):
            if name in data:
                data[name] = Zone(**data[name])
        for name in ("route", "stops", "roughness"):
            if name in data:
                data[name] = tuple(tuple(x) for x in data[name])
        for name in ("warm_facade", "box_excursion"):
            if name in data:
                data[name] = tuple(data[name])
        return cls(**data)


# ---------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Track:
    """The route as a polyline with its cumulative length, to place a distance on the map."""

    lat_deg: FloatArray
    lon_deg: FloatArray
    cumulative_m: FloatArray

    @classmethod
    def of(cls, route: tuple[tuple[float, float], ...], laps: int) -> Track:
        points = np.array(route * laps + (route[0],), dtype=np.float64)
        lat, lon = points[:, 0], points[:, 1]
        return cls(lat, lon, cumulative_distance_m(lat.copy(), lon.copy()))

    @property
    def length_m(self) -> float:
        return float(self.cumulative_m[-1])

    def position(self, distance_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Latitude and longitude (degrees) at distances along the route (linear per leg)."""
        d = np.clip(distance_m, 0.0, self.length_m)
        return np.interp(d, self.cumulative_m, self.lat_deg), np.interp(
            d, self.cumulative_m, self.lon_deg
        )

    def heading_deg(self, distance_m: FloatArray) -> FloatArray:
        """Course over ground (degrees from north) of the leg each distance lies on."""
        leg = np.clip(
            np.searchsorted(self.cumulative_m, distance_m, side="right") - 1,
            0,
            len(self.lat_deg) - 2,
        )
        p1, p2 = np.radians(self.lat_deg[leg]), np.radians(self.lat_deg[leg + 1])
        dl = np.radians(self.lon_deg[leg + 1] - self.lon_deg[leg])
        y = np.sin(dl) * np.cos(p2)
        x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
        return (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0

    def distance_to(self, lat_deg: float, lon_deg: float, zone: Zone) -> float:
        """Metres from a point to a zone's centre."""
        return haversine_m(lat_deg, lon_deg, zone.lat_deg, zone.lon_deg)


# ---------------------------------------------------------------------- motion


def drive(s: Scenario, track: Track) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Time (s), distance (m) and speed (m/s) at the IMU rate from start to the route's end.

    The van accelerates to its cruising speed, brakes to each stop in time,
    waits there, and goes on; it stops at the end of the route.
    """
    dt = 1.0 / s.imu_hz
    stops = [*sorted((d, w) for d, w in s.stops if d < track.length_m), (track.length_m, 0.0)]
    t, d, v = 0.0, 0.0, 0.0
    times, dists, speeds = [], [], []
    nxt, dwell_left = 0, 0.0
    while True:
        times.append(t)
        dists.append(d)
        speeds.append(v)
        if dwell_left > 0:
            dwell_left -= dt
            t += dt
            if dwell_left <= 0:
                nxt += 1
            continue
        target_d, dwell = stops[nxt]
        remaining = target_d - d
        if remaining <= 0.05 and v <= s.accel_mps2 * dt * 1.5:
            v = 0.0
            if nxt == len(stops) - 1:
                break
            dwell_left = dwell
            t += dt
            continue
        braking = v * v / (2 * s.accel_mps2)
        if remaining <= braking:
            v = max(math.sqrt(max(2 * s.accel_mps2 * max(remaining, 0.0), 0.0)), s.accel_mps2 * dt)
        else:
            v = min(s.cruise_mps, v + s.accel_mps2 * dt)
        d = min(d + v * dt, target_d)
        t += dt
    return np.array(times), np.array(dists), np.array(speeds)


# ---------------------------------------------------------------------- the road


def road_profile(s: Scenario, length_m: float) -> FloatArray:
    """Elevation (m) every ``PROFILE_DX_M`` along the route: ISO 8608 random sections plus potholes.

    Each section's profile is white noise shaped in the frequency domain to the
    displacement PSD Gd(n) = Gd(n0)·(n/n0)⁻², n0 = 0.1 cycle/m, between 0.01 and
    10 cycles/m.
    """
    rng = np.random.default_rng(s.seed)
    n = int(length_m / PROFILE_DX_M) + 2
    x = np.arange(n) * PROFILE_DX_M
    gd = np.zeros(n)
    for start, level in s.roughness:
        gd[x >= start] = level
    freqs = np.fft.rfftfreq(n, PROFILE_DX_M)  # cycles per metre
    band = (freqs >= 0.01) & (freqs <= 10.0)
    profile = np.zeros(n)
    for level in sorted({lvl for _, lvl in s.roughness}):
        psd = np.where(band, level * (np.maximum(freqs, 1e-9) / 0.1) ** -2, 0.0)
        spectrum = (
            np.sqrt(psd * n / (2 * PROFILE_DX_M))
            * (rng.standard_normal(len(freqs)) + 1j * rng.standard_normal(len(freqs)))
            / math.sqrt(2)
        )
        section = np.fft.irfft(spectrum, n)
        profile = np.where(gd == level, section, profile)
    for p in s.potholes:
        inside = np.abs(x - p.at_m) <= p.length_m / 2
        profile[inside] -= (
            p.depth_m * 0.5 * (1 + np.cos(2 * math.pi * (x[inside] - p.at_m) / p.length_m))
        )
    return profile


@dataclass(frozen=True)
class QuarterVan:
    """A quarter of a light van: sprung and unsprung masses (kg), springs (N/m), damper (N·s/m)."""

    sprung_kg: float = 450.0
    unsprung_kg: float = 55.0
    spring_npm: float = 45_000.0
    damper_nspm: float = 3_500.0
    tyre_npm: float = 260_000.0


def body_acceleration(
    van: QuarterVan, road_m: FloatArray, distance_m: FloatArray, dt_s: float, substeps: int = 10
) -> FloatArray:
    """Vertical acceleration (m/s²) of the van's body at each sample, driven over the road.

    Semi-implicit Euler with ``substeps`` per sample; the road height under the
    tyre is interpolated from the profile at the distance travelled.
    """
    h = dt_s / substeps
    zs = vs = zu = vu = 0.0
    out = np.empty(len(distance_m))
    prev = distance_m[0]
    for i, d in enumerate(distance_m):
        acc = 0.0
        for k in range(1, substeps + 1):
            dk = prev + (d - prev) * k / substeps
            y = _interp(road_m, dk)
            fs = van.spring_npm * (zu - zs) + van.damper_nspm * (vu - vs)
            ft = van.tyre_npm * (y - zu)
            acc = fs / van.sprung_kg
            au = (ft - fs) / van.unsprung_kg
            vs += acc * h
            vu += au * h
            zs += vs * h
            zu += vu * h
        out[i] = acc
        prev = d
    return out


def _interp(road_m: FloatArray, d: float) -> float:
    j = d / PROFILE_DX_M
    i = int(j)
    if i >= len(road_m) - 1:
        return float(road_m[-1])
    f = j - i
    return float(road_m[i] * (1 - f) + road_m[i + 1] * f)


# ---------------------------------------------------------------------- the field


@dataclass
class Field:
    """Every sample the sensors will report, on their own time grids, plus the ground truth."""

    scenario: Scenario
    track: Track
    time_s: FloatArray
    distance_m: FloatArray
    speed_mps: FloatArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    accel_g: FloatArray
    """(n, 3) x forward, y left, z up — including gravity on z, at the IMU rate."""
    road_m: FloatArray
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1])

    def at(self, t_s: float) -> int:
        """Index of the IMU sample at time ``t_s`` (clipped to the run)."""
        return int(min(max(t_s * self.scenario.imu_hz, 0), len(self.time_s) - 1))

    def pm25_ugm3(self, i: int) -> float:
        """PM2.5 at sample ``i``: background plus the hotspot's Gaussian bump."""
        zone = self.scenario.hotspot
        r = self.track.distance_to(float(self.lat_deg[i]), float(self.lon_deg[i]), zone)
        return self.scenario.pm25_background_ugm3 + zone.strength * math.exp(
            -((r / zone.radius_m) ** 2)
        )

    def rsrp_dbm(self, i: int) -> float:
        zone = self.scenario.weak_coverage
        r = self.track.distance_to(float(self.lat_deg[i]), float(self.lon_deg[i]), zone)
        return self.scenario.rsrp_background_dbm - zone.strength * math.exp(
            -((r / zone.radius_m) ** 2)
        )

    def facade_delta_c(self, i: int) -> tuple[int, float]:
        """(side, façade minus ambient °C) seen at sample ``i`` (1.5 °C off the warm façade)."""
        start, end, side, delta = self.scenario.warm_facade
        if start <= self.distance_m[i] <= end:
            return side, delta
        return side, 1.5

    def box_c(self, t_s: float) -> float:
        """The meal box's temperature at ``t_s`` (a smooth excursion above +3 °C)."""
        start, duration, peak = self.scenario.box_excursion
        base = self.scenario.box_base_c
        if start <= t_s <= start + duration:
            return base + (peak - base) * math.sin(math.pi * (t_s - start) / duration)
        return base


def build_field(s: Scenario) -> Field:
    """Compute the run: motion, road, body acceleration, positions and the ground truth."""
    track = Track.of(s.route, s.laps)
    t, d, v = drive(s, track)
    road = road_profile(s, track.length_m)
    body = body_acceleration(QuarterVan(), road, d, 1.0 / s.imu_hz)
    rng = np.random.default_rng(s.seed + 1)
    longitudinal = np.gradient(v, t) if len(t) > 1 else np.zeros_like(v)
    accel = np.column_stack(
        (
            longitudinal / G_MPS2,
            np.zeros_like(v),
            1.0 + body / G_MPS2,
        )
    ) + rng.normal(0.0, s.imu_noise_g, (len(t), 3))
    lat, lon = track.position(d)
    f = Field(s, track, t, d, v, lat, lon, accel, road)
    f.truth = ground_truth(f)
    return f


def ground_truth(f: Field) -> dict[str, Any]:
    """What a processing chain should find, in plain JSON values."""
    s = f.scenario
    potholes = []
    for p in s.potholes:
        if p.at_m <= f.track.length_m:
            lat, lon = f.track.position(np.array([p.at_m]))
            potholes.append({**asdict(p), "lat_deg": float(lat[0]), "lon_deg": float(lon[0])})
    sections = [
        {
            "from_m": start,
            "to_m": (s.roughness[i + 1][0] if i + 1 < len(s.roughness) else f.track.length_m),
            "psd_gd_n0_m3": level,
        }
        for i, (start, level) in enumerate(s.roughness)
    ]
    return {
        "route_length_m": f.track.length_m,
        "duration_s": f.duration_s,
        "potholes": potholes,
        "roughness_sections": sections,
        "profile_dx_m": PROFILE_DX_M,
        "hotspot": asdict(s.hotspot),
        "weak_coverage": asdict(s.weak_coverage),
        "warm_facade": {
            "from_m": s.warm_facade[0],
            "to_m": s.warm_facade[1],
            "side": s.warm_facade[2],
            "delta_c": s.warm_facade[3],
        },
        "box_excursion": {
            "start_s": s.box_excursion[0],
            "duration_s": s.box_excursion[1],
            "peak_c": s.box_excursion[2],
        },
        "stops": [{"at_m": d, "dwell_s": w} for d, w in s.stops],
    }
