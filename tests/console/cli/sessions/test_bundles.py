"""``maillage sessions``: list and show, and a session carried from a van's store to the depot's
in one bundle — verified chunk by chunk, recorded under its own id, imported twice with no
change, a damaged bundle refused naming the chunk with nothing recorded."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from console.cli import main
from console.identity import assumed
from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, RuleViolationError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation
from drivers.journal import ChunkInfo, JournalWriter, read_journal


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@dataclass
class Van:
    store: Path
    journal: Path
    session_id: UUID

    def cli(self, *argv: str) -> tuple[int, str, str]:
        with assumed("k.nguyen"):  # the technician's proven identity
            return run("--store", str(self.store), *argv)


def record_session(store: Path, stop: bool = True) -> Van:
    """A session recorded the way the recorder does it: journal chunks, a gap, the stop."""
    app = Maillage(StoreLocation.parse(str(store)))
    journals = store.parent / "journals"
    journals.mkdir(exist_ok=True)
    name = "VAN-12-20260302T080000Z-0a1b2c3d.journal"
    session = service.start_session(
        app, "VAN-12", {"gps": ("gps", "/dev/ttyACM0"), "imu": ("imu", "/dev/ttyUSB0")}, name, "k"
    )
    closed: list[ChunkInfo] = []
    with JournalWriter(journals / name, chunk_bytes=1500, on_chunk_closed=closed.append) as j:
        gps, imu = j.declare("gps"), j.declare("imu")
        for i in range(60):
            j.write(gps, f"$GNGGA,{i:06d}.00,4723.4,N,00041.3,E,1,09,0.9,52,M,,M,,*00\r\n".encode())
            j.write(imu, bytes([0x55, 0x51, i % 256]) + bytes(8))
    for c in closed:
        first = clock.now()
        service.record_chunk(
            app, session.id, c.seq, c.sha256, c.records, c.start, c.end, first, first
        )
    now = clock.now()
    service.record_gap(app, session.id, "imu", now - timedelta(seconds=9), now, "unplugged")
    if stop:
        counters = {"gps": {"frames": 60, "reconnects": 0}, "imu": {"frames": 60, "reconnects": 1}}
        service.stop_session(app, session.id, counters)
    app.close()
    return Van(store, journals / name, session.id)


def registered(depot: Path, public_key: str) -> Path:
    """A depot store that knows the van's laptop key (``laptop_key``, tests/conftest.py)."""
    code, _, err = run("--store", str(depot), "sessions", "keys", "register", "test-laptop",
                       public_key)  # fmt: skip
    assert code == 0, err
    return depot


@pytest.fixture
def van(tmp_path: Path) -> Van:
    (tmp_path / "van").mkdir()
    return record_session(tmp_path / "van" / "van.sqlite")


def events_in(store: Path) -> int:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        return app.count_events()
    finally:
        app.close()


def test_sessions_are_listed_and_shown(van: Van) -> None:
    code, out, _ = van.cli("sessions", "list")
    assert code == 0 and out.startswith(str(van.session_id)[:8])
    assert "VAN-12" in out and "stopped" in out and "  1 gap" in out
    assert re.search(r" \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T ", out)  # Paris time, labelled
    code, out, _ = van.cli("sessions", "list", "--json")
    (row,) = json.loads(out)
    assert row["id"] == str(van.session_id) and row["channels"] == ["gps", "imu"]
    code, out, _ = van.cli("sessions", "show", str(van.session_id)[:8])
    assert code == 0 and f"session {str(van.session_id)[:8]}" in out
    assert "gap imu:" in out and "unplugged" in out and "reconnects 1" in out
    code, out, _ = van.cli("sessions", "show", str(van.session_id), "--json")
    shown = json.loads(out)
    assert shown["status"] == "stopped" and len(shown["chunks"]) >= 3
    code, _, err = van.cli("sessions", "show", "abc")
    assert code == 2 and "at least 6 characters" in err


def test_a_session_goes_from_the_van_to_the_depot_once(
    van: Van, tmp_path: Path, laptop_key: str
) -> None:
    bundle = tmp_path / "session.tar"
    code, out, err = van.cli("sessions", "export", str(van.session_id)[:8], "-o", str(bundle))
    assert code == 0, err
    assert f"exported to {bundle}" in out

    depot = registered(tmp_path / "depot" / "depot.sqlite", laptop_key)
    code, out, err = run("--store", str(depot), "sessions", "import", str(bundle), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["signed_by"] == "test-laptop"
    app = Maillage(StoreLocation.parse(str(van.store)))
    original = app.get(van.session_id, SensorSession)
    app.close()
    assert result["events_recorded"] == original.version and result["events_already_here"] == 0
    copy = tmp_path / "depot" / "journals" / van.journal.name
    assert result["journal"] == str(copy) and result["journal_file"] == "written"
    assert copy.read_bytes() == van.journal.read_bytes()  # rebuilt byte for byte
    assert read_journal(copy)[1].intact

    depot_app = Maillage(StoreLocation.parse(str(depot)))
    imported = depot_app.get(van.session_id, SensorSession)  # the same id at the depot
    assert imported.chunks == original.chunks and imported.gaps == original.gaps
    assert imported.counters == original.counters and imported.status == "stopped"
    events = depot_app.count_events()
    depot_app.close()

    code, out, _ = run("--store", str(depot), "sessions", "import", str(bundle))
    assert code == 0 and "already here: nothing recorded" in out
    assert events_in(depot) == events


def test_a_damaged_bundle_is_refused_and_nothing_is_recorded(
    van: Van, tmp_path: Path, laptop_key: str
) -> None:
    bundle = tmp_path / "session.tar"
    assert van.cli("sessions", "export", str(van.session_id), "-o", str(bundle))[0] == 0
    with tarfile.open(bundle) as tar:
        offset = tar.getmember("chunks/000002.bin").offset_data + 100
    data = bytearray(bundle.read_bytes())
    data[offset] ^= 0x01  # one flipped bit in chunk 2
    bundle.write_bytes(bytes(data))

    depot = registered(tmp_path / "depot" / "depot.sqlite", laptop_key)
    before = events_in(depot)
    code, _, err = run("--store", str(depot), "sessions", "import", str(bundle))
    assert code == 2
    assert "refused, nothing recorded: chunk 2 (chunks/000002.bin) is damaged" in err
    assert len(err.strip().splitlines()) == 1
    assert events_in(depot) == before
    assert not (tmp_path / "depot" / "journals" / van.journal.name).exists()


def test_a_session_exported_while_recording_is_completed_by_a_later_bundle(
    tmp_path: Path, laptop_key: str
) -> None:
    (tmp_path / "van").mkdir()
    van = record_session(tmp_path / "van" / "van.sqlite", stop=False)
    early, late = tmp_path / "early.tar", tmp_path / "late.tar"
    code, out, _ = van.cli("sessions", "export", str(van.session_id), "-o", str(early))
    assert code == 0 and "still recording or interrupted" in out
    app = Maillage(StoreLocation.parse(str(van.store)))
    service.stop_session(app, van.session_id, {"gps": {"frames": 60}})
    app.close()
    assert van.cli("sessions", "export", str(van.session_id), "-o", str(late))[0] == 0

    depot = registered(tmp_path / "depot.sqlite", laptop_key)
    journals = tmp_path / "depot-journals"
    base = ("--store", str(depot), "sessions", "import", "--journal-dir", str(journals), "--json")
    first = json.loads(run(*base, str(early))[1])
    second = json.loads(run(*base, str(late))[1])
    assert second["events_already_here"] == first["events_recorded"]
    assert second["events_recorded"] == 1  # only the stop was new
    assert json.loads(run(*base, str(early))[1])["events_recorded"] == 0  # older: nothing


def test_a_different_history_under_the_same_id_is_refused(van: Van) -> None:
    app = Maillage(StoreLocation.parse(str(van.store)))
    events = service.session_events(app, van.session_id)
    assert service.import_session(app, events).recorded == 0  # its own events: nothing new
    forged = [*events[:-1], {**events[-1], "state": events[-1]["state"].replace("60", "61")}]
    with pytest.raises(RuleViolationError, match="with a different event at version"):
        service.import_session(app, forged)
    foreign = [{**events[0], "topic": "domain.meals.meal_round:MealRound.Planned"}]
    with pytest.raises(InvalidInputError, match="not a sensor session's event"):
        service.import_session(app, foreign)
    app.close()


def test_roles_and_missing_journals(van: Van, tmp_path: Path) -> None:
    bundle = tmp_path / "session.tar"
    code, _, _ = van.cli("--role", "auditor", "sessions", "export", str(van.session_id), "-o",
                         str(bundle))  # fmt: skip
    assert code == 0  # reading is fine
    depot = tmp_path / "depot.sqlite"
    code, _, err = run("--store", str(depot), "--role", "auditor", "sessions", "import",
                       str(bundle))  # fmt: skip
    assert code == 2 and "read-only" in err
    van.journal.unlink()
    code, _, err = van.cli("sessions", "export", str(van.session_id), "-o", str(bundle))
    assert code == 2 and f"is not at {van.journal}" in err
    code, _, err = run("--store", str(depot), "sessions", "import", str(tmp_path / "nope.tar"))
    assert code == 2 and "no bundle at" in err
