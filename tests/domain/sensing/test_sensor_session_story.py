"""A technician records a session on VAN-12: channels, chunks as the journal closes them, the
IMU unplugged for a minute, counters at the stop; out-of-order or late facts refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, RuleViolationError
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation

SHA = "ab" * 32


def test_a_session_on_a_van(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    session = SensorSession.start(
        "VAN-12",
        {"gps": ("gps", "/dev/ttyUSB0"), "imu": ("imu", "socket://10.0.0.2:4001")},
        "2026-03-02-van12.journal",
        by="K. Nguyen",
    )
    app.save(session)
    t0 = fixed_clock.now()

    def record(s: SensorSession) -> None:
        s.record_chunk(0, SHA, 120, 19, 4096, t0, t0 + timedelta(seconds=60))
        s.record_gap("imu", t0 + timedelta(seconds=70), t0 + timedelta(seconds=130), "unplugged")
        s.record_chunk(1, "cd" * 32, 80, 4096, 7000, t0 + timedelta(seconds=60), t0)

    app.edit(session.id, SensorSession, record)
    fixed_clock.advance(timedelta(minutes=10))
    counters = {"gps": {"frames": 600, "checksum_errors": 1}, "imu": {"frames": 30000}}
    app.edit(session.id, SensorSession, lambda s: s.stop(counters))

    again = app.get(session.id, SensorSession)
    assert again.status == "stopped"
    assert [c["sha256"] for c in again.chunks] == [SHA, "cd" * 32]
    assert again.gaps[0]["channel"] == "imu" and again.gaps[0]["reason"] == "unplugged"
    assert again.counters == counters
    assert again.stopped_at == t0 + timedelta(minutes=10)
    assert again.channels["imu"] == {"sensor": "imu", "port": "socket://10.0.0.2:4001"}

    with pytest.raises(RuleViolationError, match="is stopped: it records no more"):
        again.record_chunk(2, SHA, 1, 7000, 7100, t0, t0)
    assert app.get(session.id, SensorSession).version == again.version


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda s, t: s.record_chunk(1, SHA, 1, 0, 10, t, t), "chunk 1 arrives after chunk -1"),
        (lambda s, t: s.record_chunk(0, "XYZ", 1, 0, 10, t, t), "is not a SHA-256 in hex"),
        (lambda s, t: s.record_chunk(0, SHA, 0, 0, 10, t, t), "byte range 0..10 or count"),
        (lambda s, t: s.record_gap("pm", t, t, "x"), "has no channel 'pm'"),
        (lambda s, t: s.record_gap("gps", t, t - timedelta(seconds=1), "x"), "ends before"),
        (lambda s, t: s.stop({"pm": {"frames": 1}}), "counters for unknown channels: pm"),
    ],
)
def test_bad_facts_are_refused_before_anything_changes(
    command: object, message: str, fixed_clock: FixedClock
) -> None:
    session = SensorSession.start("VAN-12", {"gps": ("gps", "/dev/ttyUSB0")}, "j", by="K")
    with pytest.raises((InvalidInputError, RuleViolationError), match=message):
        command(session, fixed_clock.now())  # type: ignore[operator]
    assert session.version == 1


def test_a_session_needs_known_sensors_and_ports() -> None:
    with pytest.raises(InvalidInputError, match="sensor 'lidar' is not one of"):
        SensorSession.start("VAN-12", {"x": ("lidar", "/dev/ttyUSB0")}, "j", by="K")
    with pytest.raises(InvalidInputError, match="channel gps has no port"):
        SensorSession.start("VAN-12", {"gps": ("gps", " ")}, "j", by="K")
    with pytest.raises(InvalidInputError, match="at least one channel"):
        SensorSession.start("VAN-12", {}, "j", by="K")
