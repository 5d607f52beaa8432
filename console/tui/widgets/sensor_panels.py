"""Live panels of the Sensors mode: one per channel, redrawn from the reading threads' buffers.

Panels never hear from the threads: the screen's timer calls ``refresh_from`` at a bounded
rate, and a panel redraws only when its channel has new frames or counters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.color import Color
from rich.markup import escape
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from console.recording.recorder import describe_gps, modem_values
from domain.meals.cold_chain import is_excursion
from drivers.channel import PortReader
from drivers.codecs import modbus, nmea, pms5003, sds011, sps30, thermal, ubx, witmotion

SPARK_SAMPLES = 400
"""Vertical acceleration samples in the sparkline (4 s at 100 Hz)."""

TITLES = {
    "gps": "GPS",
    "imu": "IMU · vertical acceleration",
    "pm": "Particulates",
    "modem": "Mobile network",
    "thermal": "Thermal camera",
    "probe": "Meal box probe",
}

# Black → blue → magenta → orange → yellow → white, a classic thermal palette.
_PALETTE = np.array(
    [[0, 0, 0], [32, 0, 140], [150, 0, 160], [235, 80, 30], [255, 200, 0], [255, 255, 230]],
    dtype=np.float64,
)


def heat_rgb(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """(…, 3) uint8 colours for temperatures scaled from ``low`` (black) to ``high`` (white)."""
    span = max(high - low, 1e-6)
    x = np.clip((values - low) / span, 0.0, 1.0) * (len(_PALETTE) - 1)
    i = np.minimum(x.astype(int), len(_PALETTE) - 2)
    f = (x - i)[..., None]
    return np.rint(_PALETTE[i] * (1 - f) + _PALETTE[i + 1] * f).astype(np.uint8)


def thermal_text(pixels_c: np.ndarray) -> Text:
    """A 24×32 image as 12 lines of 32 half blocks: upper pixel in the foreground colour,
    lower pixel in the background colour."""
    rows, cols = pixels_c.shape
    low, high = float(pixels_c.min()), float(pixels_c.max())
    rgb = heat_rgb(pixels_c, low, high)
    text = Text(no_wrap=True, overflow="crop")
    styles: dict[tuple[int, ...], Style] = {}
    for r in range(0, rows - 1, 2):
        for c in range(cols):
            key = (*rgb[r, c], *rgb[r + 1, c])
            style = styles.get(key)
            if style is None:
                style = styles[key] = Style(
                    color=Color.from_rgb(*key[:3]), bgcolor=Color.from_rgb(*key[3:])
                )
            text.append("▀", style)
        if r + 2 < rows:
            text.append("\n")
    return text


class ChannelPanel(Vertical):
    """One channel's latest values, its counters in the border, a sparkline for the IMU."""

    def __init__(self, kind: str) -> None:
        super().__init__(id=f"panel-{kind}", classes="sensor-panel")
        self.kind = kind
        self.border_title = TITLES[kind]
        self.border_subtitle = "not recording"
        self.body = Static("—", classes="panel-body", markup=False)
        self.spark = Sparkline([], classes="panel-spark") if kind == "imu" else None
        self._seen: tuple[Any, ...] = ()
        self.text = "—"
        """What the body shows, as plain text (for people and tests)."""

    def compose(self) -> ComposeResult:
        if self.spark is not None:
            yield self.spark
        yield self.body

    def clear(self, message: str) -> None:
        self._seen = ()
        self.text = message
        self.body.update(message)
        self.border_subtitle = ""
        if self.spark is not None:
            self.spark.data = []

    def refresh_from(self, reader: PortReader, extra: str = "") -> None:
        """Redraw from the reader's buffers if anything moved since the last time."""
        c = reader.counters
        seen = (reader.ring.total, reader.state, c.checksum_errors, c.bytes_dropped, extra)
        if seen == self._seen:
            return
        self._seen = seen
        self.border_subtitle = reader.state + (
            f": {escape(str(reader.last_error))}" if reader.state == "disconnected" else ""
        )
        body = self._body(reader, extra)
        counts = (
            f"{c.frames:,} frames · {c.checksum_errors} bad · {c.bytes_dropped:,} B dropped · "
            f"{c.reconnects} reconnects"
        )
        text = body if isinstance(body, Text) else Text(body)
        text.append(f"\n{counts}", style="dim")
        self.text = text.plain
        self.body.update(text)

    def _body(self, reader: PortReader, extra: str) -> str | Text:
        latest = reader.latest
        if self.kind == "gps":
            return _gps(latest)
        if self.kind == "imu":
            values = [
                f.az_g for f in reader.ring.snapshot() if isinstance(f, witmotion.Acceleration)
            ][-SPARK_SAMPLES:]
            if self.spark is not None:
                self.spark.data = values
            if not values:
                return "no acceleration yet"
            return f"az {values[-1]:+.3f} g · min {min(values):+.3f} · max {max(values):+.3f}"
        if self.kind == "pm":
            return _pm(latest)
        if self.kind == "modem":
            rsrp, rsrq, operator = modem_values(latest)
            if rsrp is None:
                return "no signal reading yet"
            return (
                f"RSRP {rsrp:.0f} dBm\nRSRQ {rsrq:.1f} dB\n{operator or 'operator unknown'}"
                if rsrq is not None
                else f"RSRP {rsrp:.0f} dBm\n{operator}"
            )
        if self.kind == "thermal":
            frame = latest.get(thermal.ThermalFrame)
            if frame is None:
                return "no frame yet"
            image = thermal_text(np.asarray(frame.pixels_c))
            image.append(
                f"\n{float(frame.pixels_c.min()):.1f}…{float(frame.pixels_c.max()):.1f} °C · "
                f"ambient {frame.ambient_c:.1f} °C"
            )
            return image
        if self.kind == "probe":
            p = latest.get(modbus.ProbeReading)
            if p is None:
                return "no reading yet" + (f"\n{extra}" if extra else "")
            flag = "  ABOVE +3 °C" if is_excursion(p.temperature_c) else ""
            return f"{p.temperature_c:.1f} °C{flag}\n{p.humidity_pct:.0f} %RH" + (
                f"\n{extra}" if extra else ""
            )
        return ""


def _gps(latest: dict[type, Any]) -> str:
    gga, rmc, pvt = latest.get(nmea.Gga), latest.get(nmea.Rmc), latest.get(ubx.NavPvt)
    if gga is None and pvt is None:
        return "no fix yet"
    if gga is not None:
        lat, lon = gga.lat_deg, gga.lon_deg
        fix = f"fix {gga.fix_quality} · {gga.num_sv} satellites"
        speed = rmc.speed_mps if rmc is not None else None
    else:
        lat, lon, speed = pvt.lat_deg, pvt.lon_deg, pvt.speed_mps
        fix = f"fix {pvt.fix_type} · {pvt.num_sv} satellites"
    where = (
        f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}  {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
        if lat is not None and lon is not None
        else describe_gps(latest)
    )
    moving = f"{speed * 3.6:.0f} km/h" if speed is not None else "speed unknown"
    return f"{fix}\n{where}\n{moving}"


def _pm(latest: dict[type, Any]) -> str:
    for kind in (pms5003.PmsReading, sds011.SdsReading, sps30.Sps30Reading):
        r = latest.get(kind)
        if r is not None:
            return (
                f"PM2.5  {float(r.pm2_5_ugm3):6.1f} µg/m³\nPM10   {float(r.pm10_ugm3):6.1f} µg/m³"
            )
    return "no reading yet"
