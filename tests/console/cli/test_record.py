"""``maillage record`` on simulated ports (a sensor unplugged and back, probe readings going to a
meal round's box), ``maillage record`` killed with SIGKILL mid-session, ``maillage sensors
detect`` and ``maillage simulate`` as a technician runs them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import serial

from console.cli import main
from console.identity import assumed
from console.recording.recorder import ProbeSchedule, parse_channel
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.meals.meal_round import MealRound
from domain.sensing.sensor_session import SENSOR_KINDS, SensorSession
from domain.store import StoreLocation
from drivers.codecs.nmea import NmeaCodec
from drivers.codecs.witmotion import WitCodec
from drivers.journal import DATA, chunk_sha256, read_journal
from drivers.sensors import CHANNEL_KINDS, default_model
from drivers.simulator.ports import Faults, Simulator
from drivers.simulator.scenario import Scenario, build_field
from tests.polling import poll_until, recorded_session

SHORT = Scenario(stops=((300.0, 5.0),), potholes=(), box_excursion=(4.0, 6.0, 5.5))
"""The box warms above +3 °C from 4.5 to 9.5 scenario seconds."""


def run(*argv: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@dataclass
class Recorded:
    store: Path
    journals: Path
    session_id: UUID
    round_id: UUID
    paths: dict[str, str]
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    """Six sensors recorded for 5 s; the GPS is unplugged for 1 s; the probe is in box A-1."""
    base = tmp_path_factory.mktemp("van")
    store = base / "van.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    rnd = MealRound.plan(
        date.today(),
        "PPDC Tours Nord",
        "L. Petit",
        "VAN-12",
        [(uuid4(), 1, "A-1"), (uuid4(), 2, "A-2")],
    )
    rnd.load({"A-1": ("probe-A1", 2.0), "A-2": ("probe-A2", 2.1)})
    app.save(rnd)
    app.close()
    faults = {"gps": Faults(unplug_at_s=4.0, unplugged_for_s=4.0)}  # 1 s to 2 s at 4×
    sim = Simulator(build_field(SHORT), base / "sim", speed=4, faults=faults)
    paths = sim.start()
    try:
        with assumed("k.nguyen"):
            code, out, err = run(
                "--store", str(store), "record", "--vehicle", "VAN-12", "--round",
                str(rnd.id)[:8], "--box", "A-1", "--duration", "5", "--chunk-seconds", "1",
                "--poll-every", "0.2", "--status-every", "2",
                *(f"{name}={path}" for name, path in paths.items()),
            )  # fmt: skip
    finally:
        sim.stop()
    match = re.search(r"session ([0-9a-f]{8}) recording", out)
    assert match, out + err
    sid = recorded_session(store, match[1])
    yield Recorded(store, base / "journals", sid, rnd.id, paths, code, out, err)


def test_a_session_is_recorded_on_simulated_ports(recorded: Recorded) -> None:
    assert recorded.code == 0, recorded.err
    app = Maillage(StoreLocation.parse(str(recorded.store)))
    session = app.get(recorded.session_id, SensorSession)
    assert session.status == "stopped" and session.vehicle == "VAN-12"
    assert session.round_id == recorded.round_id and session.started_by == "k.nguyen"
    assert {n: c["sensor"] for n, c in session.channels.items()} == {n: n for n in recorded.paths}
    for name, counts in session.counters.items():
        assert counts["frames"] > 0 and counts["checksum_errors"] == 0, name
    # The GPS was unplugged and came back: one reconnection, one gap.
    assert session.counters["gps"]["reconnects"] == 1
    (gap,) = session.gaps
    assert gap["channel"] == "gps" and gap["reason"] == "unplugged"
    assert 0.5 < (gap["until"] - gap["since"]).total_seconds() < 4.0
    # Every chunk's hash on the session matches the journal's bytes.
    journal = recorded.journals / session.journal_name
    records, report = read_journal(journal)
    assert report.intact and len(session.chunks) >= 3
    assert [c.sha256 for c in report.chunks] == [c["sha256"] for c in session.chunks]
    for info in report.chunks:
        assert chunk_sha256(journal, info) == info.sha256
    notes = [r.data.decode() for r in records if r.kind == 2]
    assert any(n.startswith("gps disconnected") for n in notes)
    # The raw bytes are byte exact: the GPS channel decodes without a checksum error.
    gps = next(n for n, name in report.channels.items() if name == "gps")
    codec = NmeaCodec()
    codec.feed(b"".join(r.data for r in records if r.kind == DATA and r.channel == gps))
    assert codec.frames == session.counters["gps"]["frames"] and codec.checksum_errors == 0
    # The probe fed box A-1: one reading at once, one more as it crossed above +3 °C.
    rnd = app.get(recorded.round_id, MealRound)
    temperatures = [r["temperature_c"] for r in rnd.readings if r["box"] == "A-1"]
    assert len(temperatures) == 2 and temperatures[0] <= 3.0 < temperatures[1]
    assert rnd.boxes["A-1"]["blocked"] and [e["box"] for e in rnd.excursions] == ["A-1"]
    assert "2 probe readings recorded" in recorded.out
    assert re.search(r"^imu +connected +frames +\d+", recorded.out, re.M)  # status lines
    app.close()


def test_probe_readings_go_once_a_minute_and_at_once_above_the_limit() -> None:
    schedule = ProbeSchedule(every_s=60)
    offered = [(0, 2.1), (10, 2.2), (59, 2.4), (61, 2.5), (70, 3.4), (75, 3.9), (90, 2.8),
               (95, 3.1), (130, 3.2), (155, 3.0)]  # fmt: skip
    taken = [t for t, c in offered if schedule.offer(c, t)]
    assert taken == [0, 61, 70, 95, 155]


def test_the_drivers_and_the_domain_agree_on_channel_kinds() -> None:
    assert CHANNEL_KINDS == SENSOR_KINDS
    assert all(default_model(kind).channel == kind for kind in CHANNEL_KINDS)


def test_channel_arguments_name_what_is_wrong() -> None:
    spec = parse_channel("pm:sds011@9600=/dev/serial/by-id/usb-1a86_USB_Serial-if00")
    assert (spec.name, spec.model.name, spec.baudrate) == ("pm", "sds011", 9600)
    assert parse_channel("gps=socket://10.0.0.2:4001").url == "socket://10.0.0.2:4001"
    for text, message in (
        ("lidar=/dev/ttyUSB0", "channel 'lidar' is not one of"),
        ("gps", "is not CHANNEL=URL"),
        ("pm:nmea=/dev/ttyUSB0", "nmea is a gps sensor, not a pm one"),
        ("pm:foo=/dev/ttyUSB0", "unknown sensor model 'foo'"),
        ("gps@fast=/dev/ttyUSB0", "'fast' is not a baud rate"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            parse_channel(text)


def test_record_refuses_bad_requests_before_anything_is_recorded(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite")
    with pytest.raises(SystemExit) as exit_:
        run("--store", store, "record", "--vehicle", "VAN-12", "lidar=/dev/ttyUSB0")
    assert exit_.value.code == 2
    code, _, err = run("--store", store, "record", "--vehicle", "V", "--box", "A-1", "gps=loop://")
    assert code == 2 and "--box needs the --round" in err
    code, _, err = run(
        "--store", store, "--role", "auditor", "record", "--vehicle", "V", "gps=loop://"
    )
    assert code == 2 and "read-only" in err
    code, _, err = run("--store", store, "record", "--vehicle", " ", "gps=loop://")
    assert code == 2 and "needs the vehicle" in err
    (tmp_path / "file").write_text("not a folder")
    code, _, err = run(
        "--store", store, "record", "--vehicle", "V", "--journal-dir", str(tmp_path / "file"),
        "gps=loop://",
    )  # fmt: skip
    assert code == 2 and "cannot write a journal in" in err
    assert not (tmp_path / "journals").exists() or not any((tmp_path / "journals").iterdir())


@pytest.mark.slow
def test_a_killed_recorder_leaves_a_readable_journal_matching_its_session(
    tmp_path: Path,
) -> None:
    sim = Simulator(build_field(SHORT), tmp_path / "sim", ("gps", "imu", "thermal"), speed=5)
    paths = sim.start()
    store = tmp_path / "van.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "--store", str(store), "record",
         "--vehicle", "VAN-12", "--chunk-seconds", "0.3",
         *(f"{name}={path}" for name, path in paths.items())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = child.stdout.readline() if child.stdout else ""
        match = re.search(r"session ([0-9a-f]{8}) recording VAN-12 to (\S+)", first)
        assert match, first + (child.stderr.read() if child.stderr else "")
        journal = Path(match[2])
        sid = recorded_session(store, match[1])
        app = Maillage(StoreLocation.parse(str(store)))

        def chunks_recorded() -> int:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            return len(app.get(sid, SensorSession).chunks)

        poll_until(lambda: chunks_recorded() >= 3, "three chunks recorded on the session")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        sim.stop()
    session = app.get(sid, SensorSession)
    records, report = read_journal(journal)
    assert session.status == "recording"  # it never stopped
    assert not report.damaged and not report.bad_chunks
    assert report.records == len(records) > 0
    recorded = [c["sha256"] for c in session.chunks]
    assert [c.sha256 for c in report.chunks][: len(recorded)] == recorded
    for info in report.chunks[: len(recorded)]:
        assert chunk_sha256(journal, info) == info.sha256
    imu = next(n for n, name in report.channels.items() if name == "imu")
    codec = WitCodec()
    frames = codec.feed(b"".join(r.data for r in records if r.kind == DATA and r.channel == imu))
    assert len(frames) > 100 and codec.checksum_errors == 0
    app.close()


def test_sensors_detect_names_simulated_sensors(tmp_path: Path) -> None:
    sim = Simulator(build_field(SHORT), tmp_path, ("gps", "modem"), speed=5)
    paths = sim.start()
    try:
        code, out, _ = run(
            "sensors", "detect", "--no-system", "--listen", "1", "--json",
            str(tmp_path / "ports.json"),
        )  # fmt: skip
        assert code == 0
        found = {r["url"]: (r["sensor"], r["model"]) for r in json.loads(out)}
        assert found == {paths["gps"]: ("gps", "nmea"), paths["modem"]: ("modem", "at")}
        code, out, _ = run("sensors", "detect", "--no-system", "--listen", "1", paths["gps"])
        assert code == 0 and "GNSS receiver, NMEA 0183 at 9600 Bd, confidence" in out
    finally:
        sim.stop()


@pytest.mark.slow
def test_simulate_prints_its_ports_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"stops": [[300.0, 5.0]], "potholes": []}))
    child = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "simulate", "--scenario", str(scenario),
         "--dir", str(tmp_path / "sim"), "--speed", "5", "--sensors", "gps,probe",
         "--faults", "gps:noise=0.5", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line, child.stderr.read() if child.stderr else ""
        started = json.loads(line)
        assert set(started["ports"]) == {"gps", "probe"}
        assert json.loads((tmp_path / "sim" / "ports.json").read_text()) == started["ports"]
        assert (tmp_path / "sim" / "ground_truth.json").exists()
        port = serial.serial_for_url(started["ports"]["gps"], timeout=0.05)
        codec = NmeaCodec()
        poll_until(lambda: bool(codec.feed(port.read(4096))) and codec.frames >= 5, "sentences")
        port.close()
        assert codec.bytes_dropped > 0  # the noise asked for
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.slow
def test_simulated_ubx_and_sps30_are_detected_then_recorded_with_their_models(
    tmp_path: Path,
) -> None:
    """The technician's way: simulate, detect, record what detection named (KIND:MODEL@BAUD)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "simulate", "--dir", str(tmp_path / "sim"),
         "--speed", "5", "--sensors", "gps,pm", "--gps", "ubx", "--pm", "sps30", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line, child.stderr.read() if child.stderr else ""
        started = json.loads(line)
        assert started["models"] == {"gps": "ubx", "pm": "sps30"}
        truth = json.loads((tmp_path / "sim" / "ground_truth.json").read_text())
        assert truth["models"] == started["models"]
        code, out, _ = run(
            "sensors", "detect", "--no-system", "--listen", "1", "--json",
            str(tmp_path / "sim" / "ports.json"),
        )  # fmt: skip
        assert code == 0
        found = {r["url"]: r for r in json.loads(out)}
        gps, pm = found[started["ports"]["gps"]], found[started["ports"]["pm"]]
        assert (gps["sensor"], gps["model"], gps["found"]["how"]) == ("gps", "ubx", "listened")
        assert (pm["sensor"], pm["model"], pm["found"]["how"]) == ("pm", "sps30", "queried")
        store = tmp_path / "van.sqlite"
        channels = [f"{r['sensor']}:{r['model']}@{r['baudrate']}={r['url']}" for r in (gps, pm)]
        code, out, err = run(
            "--store", str(store), "record", "--vehicle", "VAN-12", "--duration", "3",
            "--chunk-seconds", "1", "--json", *channels,
        )  # fmt: skip
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=20)
    assert code == 0, err
    summary = json.loads(out[out.index("{") :])
    app = Maillage(StoreLocation.parse(str(store)))
    session = app.get(UUID(summary["session"]), SensorSession)
    assert session.status == "stopped"
    gps_counts, pm_counts = session.counters["gps"], session.counters["pm"]
    assert gps_counts["frames"] > 50 and gps_counts["checksum_errors"] == 0
    # The SPS30 was started, then read about once a second (3 s recorded): its own period.
    assert 3 <= pm_counts["frames"] <= 8 and pm_counts["checksum_errors"] == 0
    assert pm_counts["polls_unanswered"] == 0
    app.close()
