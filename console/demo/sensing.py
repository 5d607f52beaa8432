"""The sensor part of the demo: one van session through Tours, recorded and processed.

The journal is the simulator's ground truth written as the recorder writes it (no ports
needed), dated this morning (or yesterday's, before 10:00 Paris time); the session is
recorded chunk by chunk, stopped and processed for Tours, so the Sensors mode, the map,
``geo recommend`` and the exports have data. No road network is put in force: the
simulator's extract covers only the van's loop, not the beneficiaries' homes, and round
planning refuses stops off the network (``maillage territory import-network`` with a real
extract of the town gives street names and road times).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from console.decoding.journal import write_field_journal
from console.decoding.process import process_session
from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.sensing import service
from drivers.simulator.scenario import Scenario, build_field

VEHICLE = "VAN-12"
TECHNICIAN = "A. Roux (technicien)"
INSEE_TOURS = "37261"
_PORTS = {
    "gps": ("gps", "/dev/serial/by-id/usb-u-blox_GNSS-if00"),
    "imu": ("imu", "/dev/serial/by-id/usb-WitMotion_WT901-if00"),
    "pm": ("pm", "/dev/serial/by-id/usb-Plantower_PMS5003-if00"),
    "modem": ("modem", "/dev/serial/by-id/usb-Quectel_EG25-if02"),
    "thermal": ("thermal", "/dev/serial/by-id/usb-GY-MCU90640-if00"),
}


def session_start(now: datetime) -> datetime:
    """This morning's 08:40 (Paris) once the session is over (10:00), else yesterday's."""
    local = now.astimezone(PARIS)
    day = local.date() if local.time() >= time(10, 0) else local.date() - timedelta(days=1)
    return datetime.combine(day, time(8, 40), tzinfo=PARIS)


def build_sensing_demo(app: Maillage, now: datetime, journals: Path) -> None:
    """Record and process one session of VAN-12 around Tours' centre."""
    start = session_start(now)
    field = build_field(Scenario())
    journals.mkdir(parents=True, exist_ok=True)
    journal = journals / f"demo-{VEHICLE}-{start:%Y%m%d-%H%M}.journal"
    journal.unlink(missing_ok=True)  # a demo built again today writes it again
    chunks = write_field_journal(field, journal, start=start)
    demo_clock = clock.FixedClock(start)
    with clock.using_clock(demo_clock):
        session = service.start_session(app, VEHICLE, dict(_PORTS), journal.name, by=TECHNICIAN)
        for c in chunks:
            first = datetime.fromtimestamp(c.first_utc_ns / 1e9, PARIS)
            last = datetime.fromtimestamp(c.last_utc_ns / 1e9, PARIS)
            demo_clock.set(last)
            service.record_chunk(
                app, session.id, c.seq, c.sha256, c.records, c.start, c.end, first, last
            )
        demo_clock.set(start + timedelta(seconds=field.duration_s + 5))
        service.stop_session(app, session.id, {name: {} for name in _PORTS})
        demo_clock.set(start + timedelta(seconds=field.duration_s + 20 * 60))
        process_session(app, session.id, journal, TECHNICIAN, municipality=INSEE_TOURS)
