"""Bands and classes of the géointelligence indicators (docs/THRESHOLDS.md), in one place.

Each band list holds the upper bounds of the classes, in the indicator's unit, so
``ext.segments.classify`` gives the class index; ``-1`` means no value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ext import segments

IRI_BOUNDS_M_PER_KM = (1.50, 2.68)
"""US FHWA condition bands: good < 1.50 m/km, fair 1.50–2.68, poor above."""
IRI_CLASSES = ("good", "fair", "poor")

ISO8608_IRI_PER_SQRT_GD = 0.54
"""IRI (m/km) ≈ 0.54·√(Gd(n0) / 10⁻⁶ m³) for ISO 8608 profiles of waviness 2: the Golden Car
run on the simulator's profiles, whose PSD matches the stated Gd (checked by Welch's method in
tests/drivers/test_road_profile.py; fitted 0.529–0.548 over classes A–C and four seeds). An
approximation to name a road class from an IRI; verify against measured profiles."""
ISO8608_GD_BOUNDS_M3 = (32e-6, 128e-6, 512e-6, 2048e-6, 8192e-6, 32768e-6, 131072e-6)
"""Upper bounds of ISO 8608 classes A–G of the displacement PSD at n0 = 0.1 cycle/m."""
ISO8608_IRI_BOUNDS_M_PER_KM = tuple(
    round(ISO8608_IRI_PER_SQRT_GD * (g / 1e-6) ** 0.5, 2) for g in ISO8608_GD_BOUNDS_M3
)
ISO8608_CLASSES = ("A", "B", "C", "D", "E", "F", "G", "H")

PM25_BOUNDS_UGM3 = (10.0, 20.0, 25.0, 50.0, 75.0)
"""ATMO (arrêté du 10 juillet 2020) = EAQI 2017 PM2.5 bands (verify: EEA revision 2024–25)."""
PM10_BOUNDS_UGM3 = (20.0, 40.0, 50.0, 100.0, 150.0)
AIR_CLASSES = ("good", "fair", "moderate", "poor", "very poor", "extremely poor")
AIR_ESTIMATE_NOTE = (
    "mobile measurement: a per-segment estimate over the time the van passed, "
    "not the daily ATMO index of an area"
)

RSRP_BOUNDS_DBM = (-110.0, -100.0, -90.0, -80.0)
"""Common LTE RSRP bands; -105 dBm is the usual outdoor coverage limit."""
COVERAGE_CLASSES = ("very poor", "poor", "fair", "good", "excellent")


def iri_class(iri_m_per_km: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """0 good (< 1.50), 1 fair (1.50–2.68, both included), 2 poor (> 2.68); -1: no estimate.

    The FHWA bands are closed at both ends of fair: 1.50 m/km exactly is fair, not good.
    """
    values = np.asarray(iri_m_per_km, dtype=np.float64)
    good, fair = IRI_BOUNDS_M_PER_KM
    out = (values >= good).astype(np.int64) + (values > fair).astype(np.int64)
    out[np.isnan(values)] = -1
    return out


def iso8608_class(iri_m_per_km: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """ISO 8608 road class estimated from the IRI: 0 A … 7 H (-1: no estimate)."""
    return segments.classify(iri_m_per_km, ISO8608_IRI_BOUNDS_M_PER_KM)


def air_class(pm25_ugm3: npt.ArrayLike, pm10_ugm3: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The worst of the PM2.5 and PM10 sub-indices, 0 good … 5 extremely poor (-1: none)."""
    a = segments.classify(pm25_ugm3, PM25_BOUNDS_UGM3)
    b = segments.classify(pm10_ugm3, PM10_BOUNDS_UGM3)
    out = np.maximum(a, b)
    out[(a < 0) & (b < 0)] = -1
    return out


def coverage_class(rsrp_dbm: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """0 very poor (< -110 dBm) … 4 excellent (≥ -80 dBm); -1: no reading.

    Bands where higher is better: the values and bounds are classified from below, so a
    value exactly on a bound belongs to the better class (-100 dBm is fair).
    """
    values = np.asarray(rsrp_dbm, dtype=np.float64)
    out = np.searchsorted(np.asarray(RSRP_BOUNDS_DBM), values, side="right").astype(np.int64)
    out[np.isnan(values)] = -1
    return out


def class_name(names: tuple[str, ...], index: int) -> str:
    """The name of a class index, or an empty string for no value."""
    return names[index] if 0 <= index < len(names) else ""
