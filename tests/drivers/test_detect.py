"""Detection on simulated ports: every sensor named with its confidence, streams by listening
and the modem and probe by read-only queries; a silent port is only ever sent those queries."""

from __future__ import annotations

import os
import select
import termios
import time
import tty
from pathlib import Path

from drivers.codecs import at_modem, modbus, sds011, sps30
from drivers.detect import detect, detect_port
from drivers.simulator.ports import Faults, Simulator
from drivers.simulator.scenario import Scenario, build_field

SHORT = Scenario(stops=((300.0, 5.0),), potholes=(), box_excursion=(10.0, 20.0, 5.5))
EXPECTED = {
    "gps": ("nmea", "listened"),
    "imu": ("witmotion", "listened"),
    "pm": ("pms5003", "listened"),
    "thermal": ("mcu90640", "listened"),
    "modem": ("at", "queried"),
    "probe": ("modbus", "queried"),
}


def test_simulated_sensors_are_named(tmp_path: Path) -> None:
    faults = {"imu": Faults(noise=0.3, bit_flip=0.3)}  # a noisy line is still recognised
    sim = Simulator(build_field(SHORT), tmp_path, speed=5, faults=faults)
    paths = sim.start()
    seen: list[str] = []
    try:
        results = detect(
            list(paths.values()), include_system=False, listen_s=1.0,
            on_result=lambda r: seen.append(r.url),
        )  # fmt: skip
    finally:
        sim.stop()
    assert sorted(seen) == sorted(paths.values())
    by_url = {r.url: r for r in results}
    for name, (model, how) in EXPECTED.items():
        r = by_url[paths[name]]
        assert r.found is not None, f"{name}: {r.candidates} {r.error}"
        assert (r.found.channel, r.found.model, r.found.how) == (name, model, how)
        assert r.found.confidence >= (0.5 if name == "imu" else 0.75)
        assert r.found.baudrate == 9600
        assert r.as_json()["sensor"] == name
    imu = by_url[paths["imu"]].found
    assert imu is not None and imu.confidence < 1.0 and imu.checksum_errors > 0


def test_a_silent_port_gets_only_read_only_queries() -> None:
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    try:
        started = time.monotonic()
        result = detect_port(
            os.ttyname(slave), bauds=(9600, 115200), listen_s=0.2, query_wait_s=0.1
        )
        assert time.monotonic() - started < 5
        received = b""
        while select.select([master], [], [], 0)[0]:
            received += os.read(master, 4096)
    finally:
        os.close(master)
        os.close(slave)
    assert result.found is None and not result.error
    allowed = [
        at_modem.command(""), modbus.read_probe(), sds011.query_data(),
        sps30.device_information(),
    ]  # fmt: skip
    rest = received
    while rest:
        match = next((q for q in allowed if rest.startswith(q)), None)
        assert match is not None, f"sent something else: {rest[:20]!r}"
        rest = rest[len(match) :]
    assert received.count(at_modem.command("")) == 4  # two tries at each of two rates


def test_a_port_that_cannot_be_opened_says_why(tmp_path: Path) -> None:
    result = detect_port(str(tmp_path / "ttyUSB9"), listen_s=0.1)
    assert result.found is None and "could not open port" in result.error


def test_alternative_models_are_named_on_simulated_ports(tmp_path: Path) -> None:
    """u-blox UBX and an active SDS011 by listening; an SPS30 and an SDS011 in query mode by
    their read-only queries (device information, "query data") — none is configured."""
    f = build_field(SHORT)
    models = {"gps": "ubx", "pm": "sds011"}
    streaming = Simulator(f, tmp_path / "a", ("gps", "pm"), speed=5, models=models)
    polled = Simulator(f, tmp_path / "b", ("pm",), speed=5, models={"pm": "sps30"})
    quiet = Simulator(f, tmp_path / "c", ("pm",), speed=5, models={"pm": "sds011"})
    quiet.sources["pm"].active = False  # left in query mode: it says nothing unasked
    sims = (streaming, polled, quiet)
    urls = {}
    try:
        for sim, key in zip(sims, ("a", "b", "c"), strict=True):
            urls.update({f"{key}-{name}": path for name, path in sim.start().items()})
        found_on = detect(list(urls.values()), include_system=False, listen_s=1.0)
        results = {r.url: r for r in found_on}
    finally:
        for sim in sims:
            sim.stop()
    expected = {
        "a-gps": ("gps", "ubx", "listened", 9600),
        "a-pm": ("pm", "sds011", "listened", 9600),
        "b-pm": ("pm", "sps30", "queried", 115200),
        "c-pm": ("pm", "sds011", "queried", 9600),
    }
    for key, (channel, model, how, baud) in expected.items():
        found = results[urls[key]].found
        assert found is not None, f"{key}: {results[urls[key]].candidates}"
        named = (found.channel, found.model, found.how, found.baudrate)
        assert named == (channel, model, how, baud)
        assert found.confidence >= 0.75
    # Detection only asked: the SPS30 was never started, the SDS011 never switched.
    assert not polled.sources["pm"].measuring
    assert set(polled.sources["pm"].requests) == {sps30.CMD_DEVICE_INFO}
    assert not quiet.sources["pm"].active
    assert {c for c, _ in quiet.sources["pm"].commands} == {sds011.CMD_QUERY}
    assert all(not setting for _, setting in quiet.sources["pm"].commands)
    assert streaming.sources["gps"].configured == []
