"""The sensor part of the demo: one van session through Tours, recorded and processed.

The journal is the simulator's ground truth written as the recorder writes it (no ports
needed), dated this morning (or yesterday's, before 10:00 Paris time); the session is
recorded chunk by chunk, stopped and processed for Tours on the streets of the town's
centre (the simulator's OpenStreetMap extract, imported as the road network first), so the
Sensors mode, the map, ``geo recommend`` and the exports have data named by street.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from console.decoding.journal import write_field_journal
from console.decoding.process import process_session
from console.importing.territory import read_extract, source_date, ways_input
from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.sensing import service
from domain.territory import service as territory
from drivers.simulator.scenario import Scenario, build_field
from drivers.simulator.town import EXTRACT

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
    demo_clock = clock.FixedClock(start - timedelta(days=1))
    with clock.using_clock(demo_clock):
        ways, sha = read_extract(EXTRACT)
        date = source_date(EXTRACT, ways.timestamp)
        territory.import_network(app, ways_input(ways), EXTRACT.name, sha, date, TECHNICIAN)
        demo_clock.set(start)
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
