"""The recorder's store writer when the store is locked: another connection holds SQLite's write
lock (BEGIN IMMEDIATE) while chunks close. The journal goes on, the writes wait and go in once,
in order, when the lock is released; a lock held through the stop is reported write by write,
and ``sessions close`` later records everything the journal holds."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from console.cli import main
from console.identity import assumed
from console.recording.recorder import Recorder, parse_channel
from domain.application import Maillage
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation
from drivers.journal import read_journal
from drivers.simulator.ports import Simulator
from drivers.simulator.scenario import Field, Scenario, build_field
from tests.polling import poll_until

SHORT = Scenario(stops=((300.0, 5.0),), potholes=())
LOCK_TIMEOUT_S = "1"
"""The library's SQLite lock timeout for the recorder's store (the console uses 30 s): each
attempt while the lock is held fails after a second instead of thirty."""
SESSION = "domain.sensing.sensor_session:SensorSession."


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(SHORT)


@pytest.fixture
def gps_port(field: Field, tmp_path: Path) -> Iterator[str]:
    sim = Simulator(field, tmp_path / "sim", ("gps",), speed=5)
    paths = sim.start()
    yield paths["gps"]
    sim.stop()


def open_app(store: Path) -> Maillage:
    return Maillage(StoreLocation.parse(str(store)), env={"SQLITE_LOCK_TIMEOUT": LOCK_TIMEOUT_S})


def recorder_for(store: Path, url: str, tmp_path: Path) -> Recorder:
    return Recorder(
        open_app(store), [parse_channel(f"gps={url}")], "VAN-12", "k.nguyen",
        tmp_path / "journals", chunk_seconds=0.3,
    )  # fmt: skip


class WriteLock:
    """SQLite's write lock held by another connection, as another writer would hold it."""

    def __init__(self, store: Path) -> None:
        self.conn = sqlite3.connect(store, isolation_level=None, timeout=30)

    def hold(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")

    def topics(self, sid: UUID) -> list[str]:
        """The session's stored event topics (read through the lock-holding connection)."""
        rows = self.conn.execute(
            "SELECT topic FROM stored_events WHERE originator_id = ? ORDER BY originator_version",
            (sid.hex,),
        ).fetchall()
        return [str(t).removeprefix(SESSION) for (t,) in rows]


def stored_chunks(store: Path, sid: UUID) -> list[tuple[int, str]]:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        return [(int(c["seq"]), str(c["sha256"])) for c in app.get(sid, SensorSession).chunks]
    finally:
        app.close()


def test_chunks_closed_while_the_store_is_locked_are_recorded_once_when_it_is_back(
    tmp_path: Path, gps_port: str
) -> None:
    store = tmp_path / "van.sqlite"
    recorder = recorder_for(store, gps_port, tmp_path)
    lock = WriteLock(store)
    recorder.start()
    try:
        sid = recorder.session_id
        poll_until(lambda: recorder.events.chunks >= 1, "a first chunk recorded")
        lock.hold()
        recorded_before = recorder.events.chunks
        journal = recorder.journal
        assert journal is not None
        poll_until(
            lambda: (
                recorder.events.store_retries >= 2 and len(journal.chunks) >= recorded_before + 3
            ),
            "retries while three more chunks close",
        )
        # The journal went on; the store has nothing new; the trouble is shown, not reported.
        assert lock.topics(sid).count("ChunkClosed") == recorded_before
        assert "database is locked" in recorder.events.store_trouble
        assert recorder.writes_waiting >= 2
        assert not recorder.events.problems
        closed_while_locked = len(journal.chunks)
        lock.release()
        poll_until(
            lambda: recorder.events.chunks >= closed_while_locked, "the waiting chunks recorded"
        )
        assert recorder.events.store_trouble == ""
    finally:
        recorder.stop()
        lock.conn.close()
    assert not recorder.events.problems
    _, report = read_journal(recorder.journal_path)  # type: ignore[arg-type]
    assert report.intact
    assert stored_chunks(store, sid) == [(c.seq, c.sha256) for c in report.chunks]
    topics = WriteLock(store).topics(sid)
    assert topics.count("ChunkClosed") == len(report.chunks)  # each once
    assert topics[0] == "Started" and topics[-1] == "Stopped" and topics.count("Stopped") == 1


def test_a_session_start_that_met_the_lock_is_saved_when_it_is_released(
    tmp_path: Path, gps_port: str
) -> None:
    """The first write (the session's start) failing must not lose the session: its events
    were taken from the aggregate by the failed save, so a retry must save them again."""
    store = tmp_path / "van.sqlite"
    recorder = recorder_for(store, gps_port, tmp_path)  # the store is open, with its tables
    lock = WriteLock(store)
    lock.hold()
    recorder.start()
    try:
        sid = recorder.session_id
        journal = recorder.journal
        assert journal is not None
        poll_until(
            lambda: recorder.events.store_retries >= 2 and len(journal.chunks) >= 2,
            "the start retried while chunks close",
        )
        assert lock.topics(sid) == []
        lock.release()
        poll_until(lambda: recorder.events.chunks >= 2, "the session and its chunks recorded")
    finally:
        recorder.stop()
        lock.conn.close()
    assert not recorder.events.problems
    _, report = read_journal(recorder.journal_path)  # type: ignore[arg-type]
    assert stored_chunks(store, sid) == [(c.seq, c.sha256) for c in report.chunks]
    assert WriteLock(store).topics(sid).count("Started") == 1


def test_a_lock_held_through_the_stop_is_reported_and_sessions_close_records_it_later(
    tmp_path: Path, gps_port: str
) -> None:
    store = tmp_path / "van.sqlite"
    recorder = recorder_for(store, gps_port, tmp_path)
    lock = WriteLock(store)
    recorder.start()
    sid = recorder.session_id
    try:
        poll_until(lambda: recorder.events.chunks >= 1, "a first chunk recorded")
        lock.hold()
        recorded = recorder.events.chunks
        journal = recorder.journal
        assert journal is not None
        poll_until(lambda: len(journal.chunks) >= recorded + 2, "two chunks closed while locked")
        recorder.stop(timeout_s=1.5)  # the store does not come back in time
    finally:
        lock.release()
        lock.conn.close()
    # Recording went on while the store was away; what was not written is named, one by one.
    _, report = read_journal(recorder.journal_path)  # type: ignore[arg-type]
    assert report.intact and len(report.chunks) >= recorded + 2
    problems = list(recorder.events.problems)
    missing = [c.seq for c in report.chunks if c.seq >= recorded]
    for seq in missing:
        assert any(p.startswith(f"chunk {seq} not recorded (store unavailable") for p in problems)
    assert any(p.startswith("session stop not recorded") for p in problems)
    assert problems[-1] == (
        f"session {str(sid)[:8]} is still 'recording' in the store: once the store is back, "
        f"'maillage sessions close {str(sid)[:8]}' records what its journal holds"
    )
    assert stored_chunks(store, sid) == [(c.seq, c.sha256) for c in report.chunks[:recorded]]
    # Nothing is lost: the journal holds every chunk, and closing the session records them.
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), assumed("k.nguyen"):
        code = main(
            ["--store", str(store), "sessions", "close", str(sid),
             "--journal-dir", str(tmp_path / "journals"), "--reason", "store locked at the stop"]
        )  # fmt: skip
    assert code == 0, err.getvalue()
    assert f"{len(missing)} chunks and 0 gaps recorded" in out.getvalue()
    assert stored_chunks(store, sid) == [(c.seq, c.sha256) for c in report.chunks]
    app = Maillage(StoreLocation.parse(str(store)))
    session = app.get(sid, SensorSession)
    assert session.status == "stopped" and session.interruption is not None
    assert session.counters["gps"]["frames"] == recorder.readers["gps"].counters.frames
    app.close()


def test_a_refusal_is_reported_and_the_next_writes_go_on(tmp_path: Path, gps_port: str) -> None:
    """A write the domain refuses is not retried: it is named, and the writer goes on."""
    store = tmp_path / "van.sqlite"
    recorder = recorder_for(store, gps_port, tmp_path)
    recorder.start()
    try:
        sid = recorder.session_id
        poll_until(lambda: recorder.events.chunks >= 1, "a chunk recorded")
        app = Maillage(StoreLocation.parse(str(store)))
        app.edit(sid, SensorSession, lambda s: s.stop({}))  # stopped behind its back
        app.close()
        poll_until(lambda: bool(recorder.events.problems), "the refusal")
    finally:
        recorder.stop()
    problems = list(recorder.events.problems)
    assert problems[0].startswith("chunk ") and "it records no more" in problems[0]
    assert recorder.events.store_retries == 0
    assert not any("store unavailable" in p for p in problems)
