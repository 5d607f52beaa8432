"""The alternative sensor models of the simulator, read by the real drivers over pseudo-terminals
and compared with the scenario's ground truth: u-blox NAV-PVT for the GPS, Nova SDS011 (active
and query mode) and Sensirion SPS30 (SHDLC, polled) for particulates; faults on their lines are
counted, never raised; the scenario and the command line choose the model per channel."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drivers.channel import PortReader
from drivers.codecs import sds011, sps30, ubx
from drivers.sensors import model
from drivers.simulator import streams
from drivers.simulator.ports import Faults, Simulator, choose_models
from drivers.simulator.scenario import Field, Scenario, Zone, build_field
from tests.polling import poll_until

START = (47.39640, 0.68815)
"""Where the route starts: the hotspot is put there, so PM levels change from the first second."""
SCENARIO = Scenario(
    stops=((300.0, 5.0),), potholes=(), hotspot=Zone(*START, 120.0, 45.0), pm_model="sds011"
)


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(SCENARIO)


HEARD: dict[int, list[Any]] = {}
"""Every frame each reader delivered (``id(reader)`` → frames; its ring keeps only the last)."""


def heard(reader: PortReader) -> list[Any]:
    return list(HEARD[id(reader)])


def frames_of(reader: PortReader, kind: type) -> list[Any]:
    return [f for f in heard(reader) if isinstance(f, kind)]


@pytest.fixture
def run_sim(field: Field, tmp_path: Path) -> Iterator[Callable[..., tuple[Simulator, dict]]]:
    """Start simulators (stopped at the end of the test)."""
    started: list[Simulator] = []

    def start(sensors: tuple[str, ...], **kw: Any) -> tuple[Simulator, dict[str, str]]:
        sim = Simulator(field, tmp_path / f"sim{len(started)}", sensors, **kw)
        started.append(sim)
        return sim, sim.start()

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def readers() -> Iterator[list[PortReader]]:
    out: list[PortReader] = []
    yield out
    for r in out:
        r.stop()


def read(readers: list[PortReader], name: str, url: str, m: str, **kw: Any) -> PortReader:
    """A real port reader on ``url`` for model ``m`` (its own polling period by default)."""
    sensor = model(m)
    kw.setdefault("poll_period_s", sensor.poll_period_s or 1.0)
    frames: list[Any] = []
    reader = PortReader(name, url, sensor, on_frames=frames.extend, **kw)
    HEARD[id(reader)] = frames
    readers.append(reader)
    reader.start()
    return reader


def pm_truth(f: Field, digits: int) -> list[tuple[float, float]]:
    """(PM2.5, PM10) of each second, rounded as the sensor's encoding rounds them."""
    out = []
    for i in streams.pm_seconds(f):
        _, pm25, pm10 = streams.pm_levels(f, i)
        out.append((round(pm25 * 10**digits) / 10**digits, round(pm10 * 10**digits) / 10**digits))
    return out


def in_order(got: list[Any], truth: list[Any], strictly: bool) -> list[int]:
    """Indexes in ``truth`` of each value of ``got``, increasing; fails if there are none."""
    at, out = 0, []
    for value in got:
        found = next((j for j in range(at, len(truth)) if truth[j] == value), None)
        assert found is not None, f"{value} is not in the ground truth after second {at}"
        out.append(found)
        at = found + 1 if strictly else found
    return out


def test_the_hotspot_makes_the_levels_change_every_second(field: Field) -> None:
    levels = pm_truth(field, 1)[:20]
    assert levels[0][0] == pytest.approx(53.0, abs=0.1)  # the hotspot's centre
    assert len(set(levels)) >= 15 and levels[19][0] < 25


def test_ubx_nav_pvt_carries_the_scenario_positions_speeds_and_headings(
    field: Field, run_sim: Callable[..., Any], readers: list[PortReader]
) -> None:
    sim, paths = run_sim(("gps",), speed=10, models={"gps": "ubx"})
    reader = read(readers, "gps", paths["gps"], "ubx")
    poll_until(lambda: len(frames_of(reader, ubx.NavPvt)) >= 60, "60 NAV-PVT solutions")
    poll_until(lambda: ubx.Ack in reader.latest, "the acknowledgement of CFG-MSG")
    reader.stop()
    # The setup turned NAV-PVT output on with CFG-MSG (RAM only) and the receiver acknowledged it.
    assert sim.sources["gps"].configured == [(ubx.CFG, 0x01, bytes((0x01, 0x07, 1)))]
    assert reader.latest[ubx.Ack] == ubx.Ack(True, ubx.CFG, 0x01)
    step = round(SCENARIO.imu_hz / SCENARIO.gps_hz)
    for pvt in frames_of(reader, ubx.NavPvt):
        assert pvt.utc is not None and pvt.fix_ok and pvt.fix_type == 3 and pvt.num_sv == 9
        i = round((pvt.utc - streams.START_UTC).total_seconds() * SCENARIO.imu_hz)
        assert i % step == 0
        heading = float(field.track.heading_deg(field.distance_m[i : i + 1])[0])
        assert pvt.lat_deg == pytest.approx(field.lat_deg[i], abs=0.5e-7)
        assert pvt.lon_deg == pytest.approx(field.lon_deg[i], abs=0.5e-7)
        assert pvt.speed_mps == pytest.approx(field.speed_mps[i], abs=0.0005)
        assert pvt.heading_deg == pytest.approx(heading, abs=0.5e-5)
        assert pvt.height_m == streams.GPS_HEIGHT_M
        gps_s = (pvt.utc - streams.GPS_EPOCH).total_seconds() + streams.GPS_LEAP_S
        assert pvt.itow_ms == round(gps_s * 1000) % streams.WEEK_MS
    assert reader.counters.checksum_errors == reader.counters.bytes_dropped == 0
    # The same solutions as the NMEA receiver's: positions at the same instants.
    nmea = list(streams.gps_stream(field))
    assert len(nmea) == len(list(streams.ubx_stream(field)))


def test_an_sds011_in_active_mode_streams_and_is_never_asked(
    field: Field, run_sim: Callable[..., Any], readers: list[PortReader]
) -> None:
    sim, paths = run_sim(("pm",), speed=10)  # the scenario says pm_model = "sds011"
    assert sim.models == {"pm": "sds011"}
    reader = read(readers, "pm", paths["pm"], "sds011")
    poll_until(lambda: len(frames_of(reader, sds011.SdsReading)) >= 25, "25 readings")
    reader.stop()
    got = [(r.pm2_5_ugm3, r.pm10_ugm3) for r in frames_of(reader, sds011.SdsReading)]
    truth = pm_truth(field, 1)
    # Every second in order, none missed: the readings are a stretch of the ground truth.
    assert any(got == truth[k : k + len(got)] for k in range(len(truth) - len(got)))
    assert len(set(got)) >= 15
    assert all(r.device_id == streams.SDS011_ID for r in frames_of(reader, sds011.SdsReading))
    assert sim.sources["pm"].commands == []  # it streams: nothing was sent to it
    assert reader.counters.checksum_errors == reader.counters.bytes_dropped == 0


def test_an_sds011_left_in_query_mode_is_asked_read_only_once_silent(
    field: Field, run_sim: Callable[..., Any], readers: list[PortReader]
) -> None:
    sim, paths = run_sim(("pm",), speed=10)
    device = sim.sources["pm"]
    port = paths["pm"]
    # Someone set it to query mode before (the mode is kept in the sensor): it stays silent.
    device.active = False
    reader = read(readers, "pm", port, "sds011")
    poll_until(lambda: len(frames_of(reader, sds011.SdsReading)) >= 3, "three polled readings")
    reader.stop()
    assert device.commands and set(device.commands) == {(sds011.CMD_QUERY, False)}
    assert not device.active  # the driver never changed the stored mode
    got = [(r.pm2_5_ugm3, r.pm10_ugm3) for r in frames_of(reader, sds011.SdsReading)]
    in_order(got, pm_truth(field, 1), strictly=False)
    assert reader.counters.checksum_errors == 0


def test_an_sps30_is_started_then_polled_and_its_floats_are_the_ground_truth(
    field: Field, run_sim: Callable[..., Any], readers: list[PortReader]
) -> None:
    sim, paths = run_sim(("pm",), speed=10, models={"pm": "sps30"})
    reader = read(readers, "pm", paths["pm"], "sps30", poll_period_s=0.05)
    poll_until(lambda: len(frames_of(reader, sps30.Sps30Reading)) >= 8, "eight measurements")
    poll_until(lambda: frames_of(reader, sps30.Sps30NoData), "an empty reply (no new data)")
    reader.stop()
    device = sim.sources["pm"]
    assert device.requests[0] == sps30.CMD_START and device.measuring
    assert set(device.requests[1:]) == {sps30.CMD_READ}
    assert type(heard(reader)[0]) is sps30.Sps30Ack
    readings = frames_of(reader, sps30.Sps30Reading)
    truth = [
        tuple(np.float32(v) for v in streams.sps30_values(field, i))
        for i in streams.pm_seconds(field)
    ]
    seconds = in_order(
        [tuple(np.float32(v) for v in (r.pm1_0_ugm3, r.pm2_5_ugm3, r.pm4_0_ugm3, r.pm10_ugm3,
                                       r.n0_5_per_cm3, r.n1_0_per_cm3, r.n2_5_per_cm3,
                                       r.n4_0_per_cm3, r.n10_per_cm3, r.typical_size_um))
         for r in readings],
        truth,
        strictly=True,
    )  # fmt: skip
    assert len(set(seconds)) == len(readings)  # each measurement read once
    assert reader.counters.checksum_errors == 0 and reader.counters.polls_unanswered == 0


def test_the_sps30_answers_what_its_datasheet_says(field: Field) -> None:
    device = streams.Sps30Sensor(field)
    codec = sps30.Sps30Codec()

    def ask(request: bytes, t_s: float) -> list[Any]:
        return codec.feed(device.reply(request, t_s))

    assert ask(sps30.read_values(), 0.0) == [sps30.Sps30Error(sps30.CMD_READ, 0x43)]  # idle
    assert ask(sps30.device_information(), 0.1) == [
        sps30.Sps30Reply(sps30.CMD_DEVICE_INFO, streams.SPS30_SERIAL)
    ]
    assert ask(b"AT\r" + sps30.start_measurement(), 0.2) == [sps30.Sps30Ack(sps30.CMD_START)]
    assert ask(sps30.start_measurement(), 0.3) == [sps30.Sps30Error(sps30.CMD_START, 0x43)]
    assert ask(sps30.read_values(), 0.9) == [sps30.Sps30NoData()]  # none in the first second
    (reading,) = ask(sps30.read_values(), 1.2)
    assert reading.pm2_5_ugm3 == np.float32(streams.pm_levels(field, field.at(1.0))[1])
    assert ask(sps30.read_values(), 1.5) == [sps30.Sps30NoData()]
    # Stuffed bytes both ways: a request split anywhere is still understood.
    request = sps30.request(sps30.CMD_DEVICE_INFO, b"\x7e\x11")
    assert b"\x7d\x5e" in request and b"\x7d\x31" in request
    half = len(request) // 2
    assert device.reply(request[:half], 2.0) == b""
    assert codec.feed(device.reply(request[half:], 2.0)) == [sps30.Sps30Error(0xD0, 0x04)]
    assert ask(sps30.stop_measurement(), 2.1) == [sps30.Sps30Ack(sps30.CMD_STOP)]
    device.power_cycle()
    assert ask(sps30.read_values(), 3.0) == [sps30.Sps30Error(sps30.CMD_READ, 0x43)]
    assert codec.checksum_errors == 0


def test_the_sds011_keeps_its_mode_over_a_power_cycle_and_sleeps_until_woken(
    field: Field,
) -> None:
    device = streams.Sds011Sensor(field)
    codec = sds011.SdsCodec()
    assert codec.feed(device.reply(sds011.set_reporting_mode(active=False), 0.0)) == [
        sds011.ReportingMode(False, streams.SDS011_ID)
    ]
    assert device.emit(5.0) == b""  # query mode: nothing unasked
    device.power_cycle()
    assert not device.active
    assert codec.feed(device.reply(sds011.sleep(), 5.1)) == [
        sds011.SleepState(False, streams.SDS011_ID)
    ]
    assert device.reply(sds011.query_data(), 5.2) == b""  # asleep
    assert codec.feed(device.reply(sds011.wake(), 5.3)) == [
        sds011.SleepState(True, streams.SDS011_ID)
    ]
    (reading,) = codec.feed(device.reply(sds011.query_data(), 6.4))
    _, pm25, pm10 = streams.pm_levels(field, field.at(6.0))
    assert (reading.pm2_5_ugm3, reading.pm10_ugm3) == (round(pm25 * 10) / 10, round(pm10 * 10) / 10)
    assert device.reply(sds011.query_data(device_id=0x0001), 7.0) == b""  # another sensor's
    assert codec.feed(device.reply(sds011.query_firmware(), 7.1)) == [
        sds011.FirmwareVersion(2018, 11, 16, streams.SDS011_ID)
    ]


@pytest.mark.parametrize(
    ("channel", "name"), [("gps", "ubx"), ("pm", "sds011"), ("pm", "sps30")]
)  # fmt: skip
def test_faults_on_the_line_are_counted_never_raised(
    channel: str, name: str, run_sim: Callable[..., Any], readers: list[PortReader]
) -> None:
    faults = {channel: Faults(noise=0.3, bit_flip=0.3, truncate=0.05)}
    _, paths = run_sim((channel,), speed=20, models={channel: name}, faults=faults)
    reader = read(readers, channel, paths[channel], name, poll_period_s=0.02)
    c = reader.counters
    wanted = 12 if name == "sps30" else 40  # a spoilt SPS30 reply costs a reply timeout
    poll_until(
        lambda: c.frames >= wanted and c.checksum_errors >= 2 and c.bytes_dropped > 0,
        f"{name}: frames, checksum errors and dropped bytes",
    )
    reader.stop()
    assert reader.state == "stopped" and reader.last_error == ""
    good = [f for f in heard(reader) if not isinstance(f, sps30.Sps30Error)]
    assert good  # frames still come through the noise


def test_the_scenario_and_the_caller_choose_the_models(field: Field, tmp_path: Path) -> None:
    assert choose_models(field)["gps"] == "nmea" and choose_models(field)["pm"] == "sds011"
    assert choose_models(field, {"gps": "ubx"})["gps"] == "ubx"
    with pytest.raises(ValueError, match="cannot be simulated as 'bme280': one of pms5003"):
        choose_models(field, {"pm": "bme280"})
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"gps_model": "ubx", "pm_model": "sps30", "potholes": []}))
    loaded = Scenario.load(scenario)
    assert (loaded.gps_model, loaded.pm_model) == ("ubx", "sps30")
    sim = Simulator(field, tmp_path / "sim", ("gps", "pm", "imu"), models={"pm": "sps30"})
    sim.start()
    sim.stop()
    truth = json.loads((tmp_path / "sim" / "ground_truth.json").read_text())
    assert truth["models"] == {"gps": "nmea", "pm": "sps30", "imu": "witmotion"}
    assert truth["hotspot"]["lat_deg"] == START[0]


def test_polled_sensors_keep_the_timing_of_the_stream(field: Field) -> None:
    """The UBX receiver's stream is the same solutions the NMEA one sends, at the same times."""
    ubx_times = [t for t, _ in streams.ubx_stream(field)]
    nmea_times = [t for t, _ in streams.gps_stream(field)]
    assert ubx_times == nmea_times
    t, frame = next(streams.ubx_stream(field))
    length = struct.unpack_from("<H", frame, 4)[0]
    assert (t, frame[2:4], length) == (0.0, bytes(ubx.NAV_PVT), ubx.NAV_PVT_LEN)
    assert math.isclose(ubx.UbxCodec().feed(frame)[0].lat_deg, field.lat_deg[0], abs_tol=0.5e-7)
