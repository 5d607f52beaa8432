"""Port readers over real pseudo-terminals from the simulator: every sensor model configured,
polled and decoded with raw bytes delivered before frames; an unplugged sensor comes back with
its gap reported; any pyserial URL (socket://, loop://) works; the poller and ring buffer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.channel import FrameRing, Gap, Poller, PortReader
from drivers.codecs import at_modem, modbus, nmea, pms5003, sds011, sps30, thermal, ubx, witmotion
from drivers.codecs.nmea import encode_sentence
from drivers.sensors import MODELS, default_model, model
from drivers.simulator.ports import Faults, Simulator
from drivers.simulator.scenario import Field, Scenario, build_field
from tests.polling import poll_until

SHORT = Scenario(stops=((300.0, 5.0),), potholes=(), box_excursion=(10.0, 20.0, 5.5))


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(SHORT)


class Tape:
    """Everything a reader hands out, in the order it was handed out."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def raw(self, data: bytes) -> None:
        with self.lock:
            self.calls.append(("bytes", data))

    def frames(self, frames: list[Any]) -> None:
        with self.lock:
            self.calls.append(("frames", frames))

    def gap(self, gap: Gap) -> None:
        with self.lock:
            self.calls.append(("gap", gap))

    def states(self) -> list[str]:
        return [c[1] for c in self.calls if c[0] == "state"]

    def state(self, state: str, detail: str) -> None:
        with self.lock:
            self.calls.append(("state", state))

    @property
    def raw_bytes(self) -> bytes:
        return b"".join(c[1] for c in self.calls if c[0] == "bytes")

    @property
    def decoded(self) -> list[Any]:
        return [f for c in self.calls if c[0] == "frames" for f in c[1]]


def reader_for(name: str, url: str, tape: Tape, **kw: Any) -> PortReader:
    return PortReader(
        name, url, default_model(name), on_bytes=tape.raw, on_frames=tape.frames,
        on_state=tape.state, on_gap=tape.gap, **kw,
    )  # fmt: skip


WANTED: dict[str, tuple[type, ...]] = {
    "gps": (nmea.Gga, nmea.Rmc),
    "imu": (witmotion.Acceleration, witmotion.AngularRate, witmotion.Angle),
    "pm": (pms5003.PmsReading,),
    "modem": (at_modem.Ok, at_modem.Cesq, at_modem.ServingCell, at_modem.Cops),
    "thermal": (thermal.ThermalFrame,),
    "probe": (modbus.ProbeReading,),
}


@pytest.fixture
def simulator(field: Field, tmp_path: Path) -> Iterator[tuple[Simulator, dict[str, str]]]:
    sim = Simulator(field, tmp_path, speed=5)
    paths = sim.start()
    try:
        yield sim, paths
    finally:
        sim.stop()


def test_every_sensor_is_configured_polled_and_decoded(
    simulator: tuple[Simulator, dict[str, str]],
) -> None:
    _, paths = simulator
    tapes = {name: Tape() for name in paths}
    readers = {n: reader_for(n, p, tapes[n], poll_period_s=0.2) for n, p in paths.items()}
    for r in readers.values():
        r.start()
    try:
        for name, reader in readers.items():
            poll_until(
                lambda r=reader, n=name: all(t in r.latest for t in WANTED[n]),
                f"every frame type of {name}",
            )
        poll_until(lambda: len(readers["probe"].ring.snapshot()) >= 3, "three probe polls")
    finally:
        for r in readers.values():
            r.stop()
    for name, reader in readers.items():
        tape = tapes[name]
        assert reader.state == "stopped" and tape.states()[0] == "connected"
        c = reader.counters
        assert c.frames > 0 and c.checksum_errors == 0 and c.reconnects == 0, name
        assert c.bytes_read == len(tape.raw_bytes)
        # Raw bytes come out before the frames decoded from them, and they are all there is:
        # decoding the delivered bytes again gives the same frames.
        first_frames = next(i for i, call in enumerate(tape.calls) if call[0] == "frames")
        assert tape.calls[first_frames - 1][0] == "bytes"
        again = reader.model.codec().feed(tape.raw_bytes)
        assert len(again) == len(tape.decoded) == c.frames, name
        assert reader.gaps == []
    # The modem was set up (echo off) and polled; the probe answered each poll.
    modem = tapes["modem"].decoded
    assert not any(isinstance(f, at_modem.Echo) for f in modem[modem.index(at_modem.Ok()) + 1 :])
    ops = [f for f in tapes["modem"].decoded if isinstance(f, at_modem.Cops)]
    assert ops[-1].operator == "Orange F"
    assert readers["modem"].counters.polls_unanswered == 0


def test_an_unplugged_sensor_is_retried_and_its_gap_reported(field: Field, tmp_path: Path) -> None:
    faults = {"gps": Faults(unplug_at_s=5.0, unplugged_for_s=10.0)}
    sim = Simulator(field, tmp_path, ("gps",), speed=10, faults=faults)
    paths = sim.start()
    tape = Tape()
    reader = reader_for("gps", paths["gps"], tape, backoff_max_s=0.4)
    reader.start()
    try:
        poll_until(lambda: "disconnected" in tape.states(), "the unplug")
        frames_when_unplugged = reader.counters.frames
        poll_until(lambda: reader.counters.reconnects == 1, "the reconnection")
        poll_until(lambda: reader.counters.frames > frames_when_unplugged + 10, "frames again")
    finally:
        reader.stop()
        sim.stop()
    assert tape.states()[:3] == ["connected", "disconnected", "connected"]
    (gap,) = reader.gaps
    assert gap.reason == "unplugged" and gap.since < gap.until
    assert 0.5 <= (gap.until - gap.since).total_seconds() < 5  # 10 scenario s at 10×
    assert ("gap", gap) in tape.calls
    assert sim.ports["gps"].unplugs


def test_the_recorded_gap_is_the_outage_within_half_a_second(field: Field, tmp_path: Path) -> None:
    """Issue #15: the back-off lost 1.3-3.4 s more than the outage (5 s out, 6.3 s gap)."""
    faults = {"gps": Faults(unplug_at_s=1.0, unplugged_for_s=2.0)}
    sim = Simulator(field, tmp_path, ("gps",), speed=1, faults=faults)
    paths = sim.start()
    tape = Tape()
    reader = reader_for("gps", paths["gps"], tape)  # the default back-off
    reader.start()
    try:
        poll_until(lambda: reader.counters.reconnects == 1, "the reconnection")
        frames_back = reader.counters.frames
        poll_until(lambda: reader.counters.frames > frames_back + 5, "frames again")
    finally:
        reader.stop()
        sim.stop()
    out_at, back_at = sim.ports["gps"].outages_utc[0]  # (stop unplugs it again)
    assert out_at is not None and back_at is not None
    (gap,) = reader.gaps
    outage_s = (back_at - out_at).total_seconds()
    gap_s = (gap.until - gap.since).total_seconds()
    assert abs(gap_s - outage_s) <= 0.5, (gap_s, outage_s)
    assert gap.until >= back_at  # reopened after the port came back, not before


def test_a_port_absent_at_the_start_is_waited_for(tmp_path: Path) -> None:
    tape = Tape()
    reader = reader_for("gps", str(tmp_path / "nothing"), tape, backoff_max_s=0.2)
    reader.start()
    poll_until(lambda: reader.state == "disconnected", "the failed open")
    assert "could not open port" in reader.last_error
    reader.stop()
    (gap,) = reader.gaps
    assert gap.reason == "not connected at the start, until the stop"
    assert reader.counters.reconnects == 0


def test_socket_urls_are_read_and_a_dropped_connection_comes_back() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    sentence = encode_sentence("GPGGA,080000.00,4723.4000,N,00041.3000,E,1,08,0.9,52.0,M,,M,,")
    hang_up = threading.Event()

    def serve() -> None:
        """Stream a sentence every 20 ms, like ser2net in front of a GNSS receiver."""
        for _ in range(2):  # two connections: the second after we hang up the first
            conn, _ = server.accept()
            with conn:
                while not hang_up.wait(0.02):
                    try:
                        conn.sendall(sentence)
                    except OSError:
                        break
                hang_up.clear()

    threading.Thread(target=serve, daemon=True).start()
    tape = Tape()
    reader = reader_for("gps", f"socket://127.0.0.1:{port}", tape, backoff_max_s=0.2)
    reader.start()
    try:
        poll_until(lambda: reader.counters.frames >= 5, "five sentences over TCP")
        hang_up.set()  # the server hangs up
        poll_until(lambda: reader.counters.reconnects == 1, "the reconnection")
        frames = reader.counters.frames
        poll_until(lambda: reader.counters.frames >= frames + 5, "sentences after reconnecting")
        hang_up.set()
    finally:
        reader.stop()
        server.close()
    gga = reader.latest[nmea.Gga]
    assert gga.lat_deg == pytest.approx(47.39) and reader.gaps[0].reason == "unplugged"


def test_loop_urls_echo_the_probe_request_which_is_not_a_reading() -> None:
    tape = Tape()
    reader = reader_for("probe", "loop://", tape, poll_period_s=0.05)
    reader.start()
    try:
        poll_until(lambda: reader.counters.bytes_read >= 16, "two echoed requests")
    finally:
        reader.stop()
    assert tape.raw_bytes.startswith(modbus.read_probe())
    assert reader.counters.frames == 0  # an echoed request is not a response
    assert reader.counters.polls_unanswered >= 1


def test_the_poller_waits_for_replies_and_counts_silence() -> None:
    m = model("at")
    poller = Poller(m, period_s=10.0, reply_timeout_s=1.0)
    assert poller.next_command(0.0) == at_modem.echo_off()  # setup first
    assert poller.next_command(0.5) is None  # waiting for the reply
    poller.heard([at_modem.Echo("ATE0")])  # not a final result
    assert poller.next_command(0.6) is None
    poller.heard([at_modem.Ok()])
    assert poller.next_command(0.7) == at_modem.cesq()
    assert poller.next_command(1.8) == at_modem.qeng_servingcell()  # timed out
    assert poller.unanswered == 1
    poller.heard([at_modem.Error()])
    assert poller.next_command(1.9) == at_modem.cops()
    poller.heard([at_modem.Ok()])
    assert poller.next_command(5.0) is None  # next round of polls in 10 s
    assert poller.next_command(10.7) == at_modem.cesq()

    streaming = Poller(model("pms5003"), period_s=1.0)
    assert streaming.next_command(0.0) == pms5003.active_mode()
    assert streaming.next_command(0.0) is None  # nothing to poll, no reply awaited


def test_a_sensor_that_may_stream_is_polled_only_when_silent() -> None:
    """An SDS011 in active mode streams (never asked); in query mode it is asked each period
    once it has been silent for ``poll_when_silent_s``."""
    m = model("sds011")
    assert (m.poll_period_s, m.poll_when_silent_s) == (1.0, 1.5)
    poller = Poller(m, period_s=m.poll_period_s)
    reading = sds011.SdsReading(8.0, 12.8, 0x1234)
    assert poller.next_command(0.0) is None  # just connected: listen first
    for t in (1.0, 2.0, 3.0, 4.0):  # a reading a second: it streams, nothing is sent
        assert poller.next_command(t) is None
        poller.heard([reading])  # (the reader hears right after it asked for a command)
    assert poller.next_command(5.4) is None
    assert poller.next_command(5.6) == sds011.query_data()  # silent for 1.5 s: ask
    assert poller.next_command(6.0) is None  # the period has not passed
    assert poller.next_command(6.7) == sds011.query_data()  # no answer: ask again each period
    poller.heard([reading])
    assert poller.next_command(7.8) is None and poller.next_command(8.3) == sds011.query_data()
    assert poller.unanswered == 0  # "query data" is not a command that waits for a reply

    sps = Poller(model("sps30"), period_s=1.0, reply_timeout_s=1.0)
    assert sps.next_command(0.0) == sps30.start_measurement()
    sps.heard([sps30.Sps30Ack(sps30.CMD_START)])
    assert sps.next_command(0.1) == sps30.read_values()


def test_the_ring_buffer_keeps_the_newest_frames() -> None:
    ring = FrameRing(4)
    ring.push([1, 2, 3])
    items, seen = ring.since(0)
    assert items == [1, 2, 3] and seen == 3
    ring.push([4, 5, 6])
    assert ring.snapshot() == [3, 4, 5, 6]
    assert ring.since(seen) == ([4, 5, 6], 6)
    assert ring.since(6) == ([], 6)
    ring.push(list(range(10, 20)))
    assert ring.since(6) == ([16, 17, 18, 19], 16)  # only what is still held


def test_no_model_sends_a_command_that_changes_saved_configuration() -> None:
    forbidden = {
        witmotion.save(),
        witmotion.unlock(),
        sds011.set_reporting_mode(True),
        sds011.set_reporting_mode(False),
        *(sds011.set_working_period(n) for n in range(31)),
        pms5003.sleep(),
        thermal.query_mode(),
    }
    for m in MODELS.values():
        for command in (*m.setup, *m.poll, *m.queries):
            assert command not in forbidden, (m.name, command)
            assert not command.startswith(b"\xff\xaa"), m.name  # no WitMotion register write
            if m.name == "sds011":
                assert command[3] == 0, "SDS011 commands only query (D2 = 0)"
            if m.name == "at":
                assert b"&W" not in command and b"+IPR" not in command  # no save, no baud
            if m.name == "ubx":  # CFG-MSG only (kept in RAM): no CFG-CFG save, no CFG-PRT baud
                assert command[2:4] == bytes(ubx.CFG_MSG), command
