"""``maillage sessions close``: a session left "recording" by a recorder killed with SIGKILL is
closed from its journal — every complete record sealed into a chunk whose SHA-256 the session
records, a torn last record kept aside and recorded as a gap, counters derived from the journal,
the interruption marked with who and why — then processed; closing twice, closing a journal a
recorder still holds, and closing a journal damaged in its middle are refused."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from console.cli import main
from console.identity import assumed
from console.recording.recorder import Recorder, parse_channel
from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, RuleViolationError
from domain.sensing import service
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation
from drivers import recovery
from drivers.codecs import witmotion
from drivers.codecs.nmea import encode_sentence
from drivers.journal import (
    DATA,
    NOTE,
    JournalWriter,
    chunk_sha256,
    encode_record,
    read_journal,
)
from drivers.sensors import default_model
from drivers.simulator.ports import Simulator
from drivers.simulator.scenario import Scenario, build_field
from tests.polling import poll_until, recorded_session

SHORT = Scenario(stops=((300.0, 5.0),), potholes=())
SESSION_TOPIC = "domain.sensing.sensor_session:SensorSession."


def run(*argv: str) -> tuple[int, str, str]:
    """The command line in this process, as the technician a.martin (their proven identity)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), assumed("a.martin"):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def session_events(store: Path, sid: UUID) -> list[str]:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        return [e.topic.removeprefix(SESSION_TOPIC) for e in app.recorder.select_events(sid)]
    finally:
        app.close()


def process_state(pid: int) -> str:
    """The state letter of a process (``T``: stopped by a signal)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def open_after_last_chunk(journal: Path) -> int:
    """Complete records written after the journal's last closed chunk."""
    records, report = read_journal(journal)
    last = report.chunks[-1].end if report.chunks else -1
    return sum(r.offset > last for r in records)


@pytest.mark.slow
def test_a_recorder_killed_mid_session_is_closed_from_its_journal_then_processed(
    tmp_path: Path,
) -> None:
    sim = Simulator(build_field(SHORT), tmp_path / "sim", ("gps", "imu", "pm", "modem"), speed=5)
    paths = sim.start()
    store = tmp_path / "van.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "--store", str(store),
         "record", "--vehicle", "VAN-12", "--chunk-seconds", "0.5", "--poll-every", "0.5",
         *(f"{name}={path}" for name, path in paths.items())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = child.stdout.readline() if child.stdout else ""
        match = re.search(r"session ([0-9a-f]{8}) recording VAN-12 to (\S+)", first)
        assert match, first + (child.stderr.read() if child.stderr else "")
        journal = Path(match[2])
        sid = recorded_session(store, match[1])

        def frozen_when_ready() -> bool:
            """Freeze the recorder (SIGSTOP); keep it frozen if its journal has two closed
            chunks and complete records after them and its session is stored, else thaw it."""
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            os.kill(child.pid, signal.SIGSTOP)
            poll_until(lambda: process_state(child.pid) == "T", "the recorder frozen", 5)
            chunks = len(read_journal(journal)[1].chunks)
            if chunks >= 2 and open_after_last_chunk(journal) > 0 and session_events(store, sid):
                return True
            os.kill(child.pid, signal.SIGCONT)
            return False

        poll_until(frozen_when_ready, "two closed chunks and records after them, the session")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        sim.stop()
    before, report = read_journal(journal)
    assert report.truncated_at is None or report.truncated_at > 0
    left_open = open_after_last_chunk(journal)
    assert left_open > 0
    app = Maillage(StoreLocation.parse(str(store)))
    assert app.get(sid, SensorSession).status == "recording"
    recorded_before = len(app.get(sid, SensorSession).chunks)
    # The account that ran the recorder founded the store: it lets the technician close it.
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--store", str(store), "people", "grant", "a.martin",
                     "--role", "technician"]) == 0  # fmt: skip

    code, out, err = run(
        "--store", str(store), "sessions", "close", str(sid)[:8],
        "--reason", "laptop crashed on the round",
    )  # fmt: skip
    assert code == 0, err
    assert f"session {str(sid)[:8]} closed after an interruption" in out
    session = app.get(sid, SensorSession)
    after, report = read_journal(journal)
    assert report.intact
    # Every complete record of the killed recorder is still there, byte for byte, and in a
    # chunk: the seal added one note and closed them all into one more chunk.
    kept = [(r.offset, r.kind, r.channel, r.data) for r in before]
    assert [(r.offset, r.kind, r.channel, r.data) for r in after][: len(kept)] == kept
    (seal_note,) = after[len(kept) :]
    assert seal_note.kind == NOTE
    assert seal_note.data.decode().startswith(
        "closed after an interruption by a.martin: laptop crashed on the round"
    )
    assert report.chunks[-1].end > seal_note.offset
    assert report.chunks[-1].records == left_open + 1
    # The session has every chunk of the journal, each once, with the journal's SHA-256.
    assert [c["sha256"] for c in session.chunks] == [c.sha256 for c in report.chunks]
    for info in report.chunks:
        assert chunk_sha256(journal, info) == info.sha256
    assert len(session.chunks) > recorded_before
    topics = session_events(store, sid)
    assert topics.count("ChunkClosed") == len(report.chunks)
    assert topics[-1] == "ClosedAfterInterruption" and "Stopped" not in topics
    # Stopped, marked as closed after an interruption, with counters from the journal.
    assert session.status == "stopped"
    assert session.interruption is not None
    assert session.interruption["by"] == "a.martin"
    assert session.interruption["reason"] == "laptop crashed on the round"
    facts = session.interruption["journal"]
    assert facts["records"] == len(after) and facts["chunks"] == len(report.chunks)
    assert facts["sealed_chunk"] == report.chunks[-1].seq
    names = report.channels
    for number, name in names.items():
        data = b"".join(r.data for r in after if r.kind == DATA and r.channel == number)
        codec = default_model(name).codec()
        frames = codec.feed(data)
        counts = session.counters[name]
        assert counts["bytes_read"] == len(data) > 0, name
        assert counts["frames"] == len(frames) > 0 and counts["checksum_errors"] == 0, name
    # It ended with the last record the recorder wrote.
    assert session.stopped_at == datetime.fromtimestamp(before[-1].utc_ns / 1e9, tz=UTC)
    code, out, err = run("--store", str(store), "sessions", "show", str(sid)[:8])
    assert code == 0 and "closed after an interruption" in out and "a.martin" in out
    app.close()

    # The closed session is processed like any stopped one.
    code, out, err = run("--store", str(store), "sessions", "process",
                         str(sid)[:8])  # fmt: skip
    assert code == 0, err
    app = Maillage(StoreLocation.parse(str(store)))
    assert app.get(sid, SensorSession).latest_processing is not None
    stored = app.count_events()
    app.close()

    # Closing again is refused in one line, and changes nothing.
    code, out, err = run("--store", str(store), "sessions", "close",
                         str(sid)[:8])  # fmt: skip
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert f"session {str(sid)[:8]} is already stopped (closed after an interruption)" in err
    app = Maillage(StoreLocation.parse(str(store)))
    assert app.count_events() == stored
    app.close()


def _sentence(i: int) -> bytes:
    return encode_sentence(f"GNGGA,0800{i:02d}.00,4723.4000,N,00041.3000,E,1,09,0.9,52.0,M,,M,,")


def _imu(i: int) -> bytes:
    return witmotion.encode_frame(0x51, (0, 0, 2048 + i, 2150))


@pytest.fixture
def killed(tmp_path: Path) -> tuple[Path, Path, UUID, bytes, bytes]:
    """A journal as a recorder killed while writing leaves it: closed chunks (only the first
    recorded on the session), complete records after them (an unplug note among them) and a
    torn last record on the GPS channel. Returns (store, journal, session, torn, before)."""
    store = tmp_path / "van.sqlite"
    journals = tmp_path / "journals"
    journals.mkdir()
    name = "VAN-12-20260302T080000Z-0a1b2c3d.journal"
    app = Maillage(StoreLocation.parse(str(store)))
    session = service.start_session(
        app, "VAN-12", {"gps": ("gps", "/dev/ttyACM0"), "imu": ("imu", "/dev/ttyUSB0")}, name, "k"
    )
    closed = []
    with JournalWriter(journals / name, chunk_bytes=1500, on_chunk_closed=closed.append) as j:
        gps, imu = j.declare("gps"), j.declare("imu")
        j.note("gps connected", gps)
        j.note("imu connected", imu)
        for i in range(40):
            j.write(gps, _sentence(i))
            j.write(imu, _imu(i))
    assert len(closed) >= 3
    c = closed[0]
    when = clock.now()
    service.record_chunk(app, session.id, c.seq, c.sha256, c.records, c.start, c.end, when, when)
    app.close()
    now = time.time_ns()
    tail = b"".join(
        [
            encode_record(DATA, 1, now, gps, _sentence(40)),
            encode_record(DATA, 2, now + 1_000_000, imu, _imu(40)),
            encode_record(NOTE, 3, now + 2_000_000, imu, b"imu disconnected: [Errno 5] I/O error"),
            encode_record(DATA, 4, now + 3_000_000, gps, _sentence(41)),
        ]
    )
    torn = encode_record(DATA, 5, now + 4_000_000, gps, _sentence(42))[:-9]
    with (journals / name).open("ab") as f:
        f.write(tail + torn)
    before = (journals / name).read_bytes()
    return store, journals / name, session.id, torn, before


def test_a_torn_last_record_is_kept_aside_and_recorded_as_a_gap(
    killed: tuple[Path, Path, UUID, bytes, bytes],
    tmp_path: Path,
    register_laptop: Callable[[Path], None],
) -> None:
    store, journal, sid, torn, before = killed
    torn_at = len(before) - len(torn)
    code, out, err = run(
        "--store", str(store), "sessions", "close", str(sid), "--json"
    )  # fmt: skip
    assert code == 0, err
    assert f'"torn_bytes": {len(torn)}' in out and f'"torn_at": {torn_at}' in out
    # The torn bytes are kept as they were; the journal is cut there, then sealed.
    assert recovery.torn_copy(journal).read_bytes() == torn
    data = journal.read_bytes()
    assert data[:torn_at] == before[:torn_at]
    records, report = read_journal(journal)
    assert report.intact
    note = records[-1]
    assert note.kind == NOTE and note.offset == torn_at
    assert f"torn record of {len(torn)} bytes at offset {torn_at} kept in" in note.data.decode()
    assert report.chunks[-1].records == 5  # four complete records and the note
    app = Maillage(StoreLocation.parse(str(store)))
    session = app.get(sid, SensorSession)
    assert [c["sha256"] for c in session.chunks] == [c.sha256 for c in report.chunks]
    # Gaps: the GPS lost its torn record; the IMU was unplugged and never came back.
    gaps = {g["channel"]: g for g in session.gaps}
    assert set(gaps) == {"gps", "imu"}
    assert gaps["gps"]["reason"] == (
        f"torn record of {len(torn)} bytes at offset {torn_at} (recorder interrupted)"
    )
    assert gaps["imu"]["reason"] == "unplugged, until the recorder was interrupted"
    assert gaps["gps"]["until"] > gaps["gps"]["since"]
    # Counters from what the journal holds (the torn sentence is not in it).
    assert session.counters["gps"]["frames"] == 42
    assert session.counters["gps"]["bytes_read"] == sum(len(_sentence(i)) for i in range(42))
    assert session.counters["imu"]["frames"] == 41
    assert session.counters["imu"]["reconnects"] == session.counters["gps"]["checksum_errors"] == 0
    facts = session.interruption["journal"]  # type: ignore[index]
    assert facts["torn_kept_as"] == journal.name + ".torn"
    assert facts["sealed_chunk"] == report.chunks[-1].seq
    app.close()
    # Sealing again finds the same chunks and the same torn tail, and writes nothing.
    again = recovery.seal(journal, "nobody: a second look")
    assert journal.read_bytes() == data
    assert again.torn is not None and (again.torn.offset, again.torn.size) == (torn_at, len(torn))
    assert again.sealed is not None and again.sealed.seq == report.chunks[-1].seq
    assert again.torn.channel == "gps"
    # The closed session travels to the depot like any other: every chunk verified.
    bundle = tmp_path / "session.bundle"
    code, _, err = run("--store", str(store), "sessions", "export", str(sid), "-o", str(bundle),
                       "--journal-dir", str(journal.parent))  # fmt: skip
    assert code == 0, err
    depot = tmp_path / "depot.sqlite"
    register_laptop(depot)
    code, out, err = run("--store", str(depot), "sessions", "import", str(bundle),
                         "--journal-dir", str(tmp_path / "depot-journals"))  # fmt: skip
    assert code == 0 and f"{len(report.chunks)} chunks verified" in out, err
    app = Maillage(StoreLocation.parse(str(depot)))
    there = app.get(sid, SensorSession)
    assert there.status == "stopped" and there.interruption is not None
    assert (tmp_path / "depot-journals" / journal.name).read_bytes() == data
    app.close()


def test_close_is_refused_while_a_recorder_holds_the_journal(tmp_path: Path) -> None:
    sim = Simulator(build_field(SHORT), tmp_path / "sim", ("gps",), speed=5)
    paths = sim.start()
    store = tmp_path / "van.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    recorder = Recorder(
        app, [parse_channel(f"gps={paths['gps']}")], "VAN-12", "k", tmp_path / "journals",
        chunk_seconds=0.3,
    )  # fmt: skip
    recorder.start()
    try:
        poll_until(lambda: recorder.events.chunks >= 1, "a chunk recorded")
        journal = recorder.journal_path
        assert journal is not None
        code, out, err = run("--store", str(store), "sessions", "close", str(recorder.session_id))
        assert out == ""
        assert code == 2 and "Traceback" not in err
        assert f"session {str(recorder.session_id)[:8]} is still being recorded" in err
        assert not recovery.torn_copy(journal).exists()
        assert not any(
            r.kind == NOTE and r.data.startswith(b"closed after") for r in read_journal(journal)[0]
        )
        assert app.get(recorder.session_id, SensorSession).status == "recording"
    finally:
        recorder.stop()
        sim.stop()
    assert not recorder.events.problems
    assert app.get(recorder.session_id, SensorSession).status == "stopped"
    code, _, err = run("--store", str(store), "sessions", "close", str(recorder.session_id))
    assert code == 2 and "is already stopped: nothing to close" in err
    app.close()


def test_a_journal_damaged_in_its_middle_is_refused_and_left_alone(
    killed: tuple[Path, Path, UUID, bytes, bytes],
) -> None:
    store, journal, sid, _, before = killed
    _, report = read_journal(journal)
    middle = report.chunks[1].start + 30
    damaged = bytearray(before)
    damaged[middle] ^= 0xFF
    journal.write_bytes(bytes(damaged))
    code, out, err = run("--store", str(store), "sessions", "close", str(sid))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"session {str(sid)[:8]} not closed:" in err and "damaged at offset" in err
    assert journal.read_bytes() == bytes(damaged)
    assert not recovery.torn_copy(journal).exists()
    app = Maillage(StoreLocation.parse(str(store)))
    assert app.get(sid, SensorSession).status == "recording"
    app.close()
    code, _, err = run("--store", str(store), "sessions", "close", str(sid), "--reason", " ")
    assert code == 2 and "--reason is empty" in err


def test_closing_checks_the_journal_is_the_sessions_and_guards_its_facts(
    killed: tuple[Path, Path, UUID, bytes, bytes],
) -> None:
    store, journal, sid, _, _ = killed
    app = Maillage(StoreLocation.parse(str(store)))
    session = app.get(sid, SensorSession)
    recorded = session.chunks[0]
    other = service.JournalChunk(
        0, "0" * 64, recorded["records"], recorded["start"], recorded["end"],
        recorded["first"], recorded["last"],
    )  # fmt: skip
    end = session.started_at
    with pytest.raises(RuleViolationError, match="has another chunk 0 session"):
        service.close_interrupted_session(app, sid, [other], [], {}, end, "a", "crash", {})
    with pytest.raises(RuleViolationError, match="lacks chunk 0 session"):
        service.close_interrupted_session(app, sid, [], [], {}, end, "a", "crash", {})
    with pytest.raises(InvalidInputError, match="needs the reason"):
        session.close_after_interruption({}, end, "a", " ", {})
    with pytest.raises(InvalidInputError, match="counters for unknown channels: lidar"):
        session.close_after_interruption({"lidar": {}}, end, "a", "crash", {})
    assert app.get(sid, SensorSession).status == "recording"  # nothing was saved
    session.stop({})
    with pytest.raises(RuleViolationError, match="is stopped: there is nothing to close"):
        session.close_after_interruption({}, end, "a", "crash", {})
    app.close()
    assert read_journal(journal)[1].truncated_at is not None  # the journal was not touched
