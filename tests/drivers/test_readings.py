"""A GPS or particulate channel's bytes as arrays whatever the model: u-blox NAV-PVT gives the
NMEA receiver's track, SDS011 and SPS30 the PMS5003's levels, each within its resolution; the
model is recognised from the bytes; each row carries the end of the record that completed it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pytest

from drivers.codecs import sps30
from drivers.readings import best_model, gps_fixes, pm_levels
from drivers.simulator import streams
from drivers.simulator.scenario import Field, Scenario, Zone, build_field

SCENARIO = Scenario(stops=((300.0, 5.0),), potholes=(), hotspot=Zone(47.39640, 0.68815, 120, 45))


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(SCENARIO)


def channel(items: Iterable[tuple[float, bytes]]) -> tuple[bytes, list[int]]:
    """Bytes as a recorder journals them (one record per item) and each record's end."""
    data, ends = b"", []
    for _, chunk in items:
        data += chunk
        ends.append(len(data))
    return data, ends


def sps30_replies(f: Field) -> Iterable[tuple[float, bytes]]:
    """What a recorder reads from an SPS30: the start's acknowledgement, then a reply a second."""
    device = streams.Sps30Sensor(f)
    yield 0.0, device.reply(sps30.start_measurement(), 0.0)
    for second in range(1, int(f.duration_s)):
        yield float(second), device.reply(sps30.read_values(), second + 0.2)


def test_ubx_fixes_are_the_nmea_track(field: Field) -> None:
    ubx_data, ubx_ends = channel(streams.ubx_stream(field))
    nmea_data, nmea_ends = channel(streams.gps_stream(field))
    assert best_model("gps", ubx_data).name == "ubx"
    assert best_model("gps", nmea_data).name == "nmea"
    u, n = gps_fixes(ubx_data, ubx_ends), gps_fixes(nmea_data, nmea_ends)
    assert len(u.lat_deg) == len(n.lat_deg) == len(ubx_ends)
    assert u.end_offset.tolist() == ubx_ends  # one fix per record, at its end
    step = round(SCENARIO.imu_hz / SCENARIO.gps_hz)
    truth = slice(0, len(field.time_s), step)
    assert np.abs(u.lat_deg - field.lat_deg[truth]).max() <= 0.5e-7 + 1e-12
    assert np.abs(u.speed_mps - field.speed_mps[truth]).max() <= 0.0005
    # NMEA carries 1e-4 minutes (~0.2 m) and speed to 0.01 knot, UBX 1e-7°: the same track
    # within half a step of each.
    half_steps = 0.5e-4 / 60 + 0.5e-7 + 1e-12
    assert np.abs(u.lat_deg - n.lat_deg).max() <= half_steps
    assert np.abs(u.lon_deg - n.lon_deg).max() <= half_steps
    assert np.abs(u.speed_mps - n.speed_mps).max() <= 0.005 * 0.514444 + 0.0005 + 1e-9


def test_sds011_and_sps30_levels_are_the_pms5003_levels(field: Field) -> None:
    truth = np.array([streams.pm_levels(field, i)[1:] for i in streams.pm_seconds(field)])
    pms = pm_levels(*channel(streams.pm_stream(field)))
    sds = pm_levels(*channel(streams.sds011_stream(field)))
    sps = pm_levels(*channel(sps30_replies(field)))
    assert best_model("pm", channel(streams.sds011_stream(field))[0]).name == "sds011"
    assert best_model("pm", channel(sps30_replies(field))[0]).name == "sps30"
    assert len(pms.pm25_ugm3) == len(sds.pm25_ugm3) == len(truth)
    assert np.abs(pms.pm25_ugm3 - truth[:, 0]).max() <= 0.5  # whole µg/m³
    assert np.abs(sds.pm25_ugm3 - truth[:, 0]).max() <= 0.05 + 1e-9  # 0.1 µg/m³
    assert np.abs(sds.pm10_ugm3 - truth[:, 1]).max() <= 0.05 + 1e-9
    # The SPS30 read once a second from the first: float32 of the same levels.
    assert np.array_equal(sps.pm25_ugm3, truth[1 : len(sps.pm25_ugm3) + 1, 0].astype(np.float32))
    assert len(sps.pm25_ugm3) == len(truth) - 2
    assert sds.pm25_ugm3.max() == pytest.approx(53.0, abs=0.1)  # the hotspot is there


def test_nothing_decodable_gives_empty_arrays() -> None:
    fixes = gps_fixes(b"\x00" * 100, [50, 100])
    levels = pm_levels(b"", [])
    assert fixes.lat_deg.shape == (0,) and levels.pm25_ugm3.shape == (0,)
