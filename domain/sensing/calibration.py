"""Calibrating the accelerometer's roughness index on reference sections of known IRI.

A response-type system (RoadLab Pro, Roadroid) reads roughness as the body's vertical
response, which depends on the van and its speed: ``fit_speed_exponent`` finds the exponent
the response follows with speed on one session's sections (index = RMS / speed^alpha), and
``calibrate`` fits IRI = a·index + b on reference sections whose IRI was measured (profiler,
or the Golden Car on a surveyed profile). The console reads the reference file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.errors import InvalidInputError
from ext.roughness import fit_calibration


@dataclass(frozen=True)
class Reference:
    """A reference section: along a street (way id) or, without one, along the session's track."""

    from_m: float
    to_m: float
    iri_m_per_km: float
    way_id: int | None = None


@dataclass(frozen=True)
class Calibration:
    """IRI = a·index + b over the reference sections found in the session."""

    a: float
    b: float
    r2: float
    sections: int
    alpha: float
    """The speed exponent the session was processed with."""
    session_alpha: float | None
    """The exponent the body's response followed on this session's sections (None: one speed)."""

    def lines(self) -> list[str]:
        """The fit in words, then the speed exponent the session followed (when it tells)."""
        lines = [
            f"IRI = {self.a:.3f} × index {self.b:+.3f} m/km (r² {self.r2:.3f}) from "
            f"{self.sections} reference sections; index = RMS / speed^{self.alpha:g}"
        ]
        if self.session_alpha is not None:
            lines.append(
                f"on this session the body's response grew as speed^{self.session_alpha:.2f}"
            )
        return lines


def fit_speed_exponent(speed_mps: Any, rms_mps2: Any) -> tuple[float, float]:
    """(alpha, r²) of log RMS = alpha·log speed + c over sections with both values."""
    v = np.asarray(speed_mps, dtype=float)
    r = np.asarray(rms_mps2, dtype=float)
    keep = (v > 0) & (r > 0) & np.isfinite(v) & np.isfinite(r)
    if keep.sum() < 2 or np.ptp(np.log(v[keep])) == 0:
        raise InvalidInputError("fitting the speed exponent needs sections at different speeds")
    x, y = np.log(v[keep]), np.log(r[keep])
    alpha, c = np.polyfit(x, y, 1)
    residual = y - (alpha * x + c)
    spread = float(np.sum((y - y.mean()) ** 2))
    return float(alpha), 1.0 - float(np.sum(residual**2)) / spread if spread else 1.0


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def calibrate(
    results: dict[str, Any], references: list[Reference], level: str = "segments"
) -> Calibration:
    """Fit IRI = a·index + b: each reference's index is the length-weighted mean of the
    session's rows over it (the same way and offsets, or the same track distances)."""
    cols = results[level]
    if "roughness_index" not in cols:
        raise InvalidInputError("the session has no accelerometer: nothing to calibrate")
    ways = cols.get("way_id") or [None] * len(cols["from_m"])
    lengths = cols.get("length_m") or [results["segment_m"]] * len(cols["from_m"])
    xs, ys = [], []
    for ref in references:
        total = weight = 0.0
        for i, index in enumerate(cols["roughness_index"]):
            if index is None or ways[i] != ref.way_id:
                continue
            lo = float(cols["from_m"][i])
            hi = float(cols["to_m"][i]) if "to_m" in cols else lo + float(lengths[i])
            w = _overlap(lo, hi, ref.from_m, ref.to_m)
            total += w * float(index)
            weight += w
        if weight >= 0.5 * (ref.to_m - ref.from_m):
            xs.append(total / weight)
            ys.append(ref.iri_m_per_km)
    if len(xs) < 2:
        raise InvalidInputError(
            f"only {len(xs)} of the {len(references)} reference sections were driven with the "
            "accelerometer on: at least two are needed"
        )
    try:
        a, b, r2 = fit_calibration(np.array(xs), np.array(ys))
    except ValueError as e:
        raise InvalidInputError(str(e)) from None
    alpha = float(results["parameters"]["roughness_alpha"])
    speed = np.array([np.nan if v is None else v for v in cols.get("speed_mps", [])], float)
    index = np.array([np.nan if v is None else v for v in cols["roughness_index"]], float)
    try:
        session_alpha: float | None = fit_speed_exponent(speed, index * speed**alpha)[0]
    except InvalidInputError:
        session_alpha = None
    return Calibration(a, b, r2, len(xs), alpha, session_alpha)
