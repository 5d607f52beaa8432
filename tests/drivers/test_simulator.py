"""The simulator over real pseudo-terminals: byte-exact streams the codecs decode cleanly, replies
to polls, the ground truth beside the ports, faults, and an unplugged sensor coming back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from drivers.codecs import modbus
from drivers.codecs.at_modem import AtCodec, Cesq
from drivers.codecs.nmea import Gga, NmeaCodec
from drivers.codecs.witmotion import Acceleration, WitCodec
from drivers.simulator.ports import Faults, Simulator
from drivers.simulator.scenario import Field, Scenario, build_field

SHORT = Scenario(stops=((300.0, 5.0),), potholes=(), box_excursion=(10.0, 20.0, 5.5))


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(SHORT)


def read_for(port: serial.Serial, codec: object, until: object, what: str) -> list[object]:
    """Decode what the port gives until ``until(frames)`` holds (bounded)."""
    frames: list[object] = []
    deadline = time.monotonic() + 20
    while not until(frames):  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never got {what}"
        frames += codec.feed(port.read(65536))  # type: ignore[attr-defined]
    return frames


def test_the_field_follows_the_route_and_the_road(field: Field) -> None:
    assert field.track.length_m == pytest.approx(4570, abs=50)
    assert np.all(np.diff(field.distance_m) >= 0)
    assert field.speed_mps.max() <= SHORT.cruise_mps + 1e-9
    stopped = field.speed_mps == 0
    assert stopped.sum() >= 5 * SHORT.imu_hz  # the delivery stop and the end
    assert np.mean(field.accel_g[:, 2]) == pytest.approx(1.0, abs=0.01)  # gravity on z
    # Rougher sections shake the van more (ISO classes A, C and B in that order).
    s = field.distance_m
    moving = field.speed_mps > 5
    a, c = (moving & (s < 1200)), (moving & (s > 1250) & (s < 2000))
    assert field.accel_g[c, 2].std() > 2 * field.accel_g[a, 2].std()


def test_streams_decode_cleanly_and_polls_are_answered(field: Field, tmp_path: Path) -> None:
    sim = Simulator(field, tmp_path, ("gps", "imu", "modem", "probe"), speed=20)
    paths = sim.start()
    try:
        assert json.loads((tmp_path / "ports.json").read_text()) == paths
        truth = json.loads((tmp_path / "ground_truth.json").read_text())
        assert truth["box_excursion"]["peak_c"] == 5.5
        gps = serial.serial_for_url(paths["gps"], timeout=0.05)
        imu = serial.serial_for_url(paths["imu"], timeout=0.05)
        nmea, wit = NmeaCodec(), WitCodec()
        fixes = [
            f
            for f in read_for(gps, nmea, lambda fs: len(fs) >= 40, "40 sentences")
            if isinstance(f, Gga)
        ]
        assert all(47.38 < f.lat_deg < 47.40 and 0.67 < f.lon_deg < 0.70 for f in fixes)
        accel = [
            f
            for f in read_for(imu, wit, lambda fs: len(fs) >= 300, "300 IMU frames")
            if isinstance(f, Acceleration)
        ]
        assert accel and all(0.5 < f.az_g < 1.5 for f in accel)
        assert nmea.checksum_errors == wit.checksum_errors == 0

        modem = serial.serial_for_url(paths["modem"], timeout=0.05)
        modem.write(b"ATE0\rAT+CESQ\r")
        at = AtCodec()
        frames = read_for(modem, at, lambda fs: any(isinstance(f, Cesq) for f in fs), "+CESQ")
        cesq = next(f for f in frames if isinstance(f, Cesq))
        assert cesq.rsrp_dbm == -82

        probe = serial.serial_for_url(paths["probe"], timeout=0.05)
        probe.write(modbus.read_probe())
        (reading,) = read_for(probe, modbus.ModbusCodec(), lambda fs: len(fs) == 1, "a reading")
        assert reading.temperature_c == pytest.approx(field.box_c(sim.now_s()), abs=1.0)
    finally:
        sim.stop()


def test_faults_show_up_as_checksum_errors_and_dropped_bytes(field: Field, tmp_path: Path) -> None:
    faults = {"imu": Faults(noise=0.05, bit_flip=0.05, truncate=0.02)}
    sim = Simulator(field, tmp_path, ("imu",), speed=20, faults=faults)
    paths = sim.start()
    try:
        imu = serial.serial_for_url(paths["imu"], timeout=0.05)
        wit = WitCodec()
        read_for(imu, wit, lambda fs: len(fs) >= 3000, "3000 frames")
        assert wit.checksum_errors > 0 and wit.bytes_dropped > 0
    finally:
        sim.stop()


def test_an_unplugged_sensor_comes_back_on_the_same_link(field: Field, tmp_path: Path) -> None:
    faults = {"gps": Faults(unplug_at_s=10.0, unplugged_for_s=10.0)}
    sim = Simulator(field, tmp_path, ("gps",), speed=20, faults=faults)
    paths = sim.start()
    try:
        gps = serial.serial_for_url(paths["gps"], timeout=0.05)
        deadline = time.monotonic() + 20
        with pytest.raises(serial.SerialException):
            while time.monotonic() < deadline:
                gps.read(4096)  # until the cable is pulled
        gps.close()
        while not sim.ports["gps"].plugged:
            assert time.monotonic() < deadline, "never plugged back"
            time.sleep(0.02)
        again = serial.serial_for_url(paths["gps"], timeout=0.05)
        read_for(again, NmeaCodec(), lambda fs: len(fs) >= 4, "sentences after replug")
        assert sim.ports["gps"].unplugs and sim.ports["gps"].unplugs[0][0] >= 10.0
    finally:
        sim.stop()
