"""Detection on simulated ports: every sensor named with its confidence, streams by listening
and the modem and probe by read-only queries; a silent port is only ever sent those queries."""

from __future__ import annotations

import os
import select
import termios
import threading
import time
import tty
from pathlib import Path

import numpy as np

from drivers.codecs import at_modem, modbus, sds011, sps30, ubx, witmotion
from drivers.codecs.nmea import encode_sentence
from drivers.detect import FOUND_AT, detect, detect_port, frame_kind, score
from drivers.sensors import MODELS
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


# --- the evidence behind a score -------------------------------------------------------------


def mixed_receiver_stream(epochs: int) -> bytes:
    """A u-blox at 1 Hz sending NMEA (GGA, RMC, GSA, VTG) and a UBX NAV-PVT each epoch: about
    half the bytes are binary the NMEA codec does not decode."""
    out = b""
    for k in range(epochs):
        hms = f"1200{k % 60:02d}.00"
        out += encode_sentence(f"GNGGA,{hms},4723.40,N,00041.40,E,1,09,0.9,75.0,M,47.1,M,,")
        out += encode_sentence(f"GNRMC,{hms},A,4723.40,N,00041.40,E,0.5,87.1,060126,,,A,V")
        out += encode_sentence("GNGSA,A,3,01,03,07,08,11,,,,,,,,1.6,0.9,1.3,1")
        out += encode_sentence("GNVTG,87.1,T,,M,0.5,N,0.9,K,A")
        out += ubx.encode_nav_pvt(lat_deg=47.39, lon_deg=0.69, num_sv=9) * 3
    return out


def test_a_receiver_at_the_edge_of_the_share_is_named_on_more_evidence() -> None:
    data = mixed_receiver_stream(4)[30:]  # listening began inside a sentence
    m = MODELS["nmea"]
    codec = m.codec()
    frames = codec.feed(data)
    share_only = (len(data) - codec.bytes_dropped - codec.buffered) / len(data)
    assert share_only < FOUND_AT  # what the share alone gave: missed
    kinds = {frame_kind(f) for f in frames}
    got = score(m, 9600, codec, len(frames), len(data), kinds, "listened")
    assert got.confidence >= FOUND_AT
    assert got.reasons[0].startswith(f"{len(frames)} frame(s)")
    assert f"{codec.frames} of {codec.frames} framed candidates passed" in got.reasons[2]
    assert "Gga" in got.reasons[3] and "OtherSentence VTG" not in got.reasons[3]


def test_random_bytes_or_another_protocol_never_reach_the_bar() -> None:
    rng = np.random.default_rng(15)
    noise = rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    imu = b"".join(witmotion.encode_frame(0x51, (k, -k, 2048, 2500)) for k in range(500))
    for data in (noise, imu, noise[:3000] + imu[:2000]):
        for m in MODELS.values():
            if not m.streams or (m.name == "witmotion" and data is not noise):
                continue
            codec = m.codec()
            frames = [f for f in codec.feed(data) if m.proves(f)]
            kinds = {frame_kind(f) for f in frames}
            got = score(m, 9600, codec, len(frames), len(data), kinds, "listened")
            assert got.confidence < FOUND_AT, (m.name, got.reasons)


def test_a_mixed_receiver_on_a_pseudo_terminal_is_named_with_its_reasons() -> None:
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    data = mixed_receiver_stream(8)
    stop = threading.Event()

    def line() -> None:  # the receiver's bursts at 9600 Bd, one epoch a second
        while not stop.is_set():
            for k in range(0, len(data), 96):
                if stop.wait(0.1):
                    return
                os.write(master, data[k : k + 96])

    writer = threading.Thread(target=line, daemon=True)
    writer.start()
    try:
        result = detect_port(os.ttyname(slave), bauds=(9600,), listen_s=1.5, query=False)
    finally:
        stop.set()
        writer.join()
        os.close(master)
        os.close(slave)
    assert result.found is not None and result.found.channel == "gps", result.candidates
    assert result.found.reasons and result.as_json()["found"]["reasons"]
