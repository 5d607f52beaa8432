"""The segments view: each processed session's latest 10 m and 100 m segments, read from the
store's results folder by SHA-256; missing or damaged results recorded, never a failure;
rebuilt and replayed views equal the live ones — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import Maillage
from domain.audit.replay import replay
from domain.clock import FixedClock
from domain.errors import InvalidInputError
from domain.sensing import service
from domain.sensing.processing import results_bytes
from domain.sensing.results_store import keep_results, results_dir, results_file
from domain.sensing.sensor_session import SensorSession
from domain.sensing.views import (
    COLUMNS,
    OK,
    RESULTS_DAMAGED,
    RESULTS_MISSING,
    SegmentsView,
    processed_sessions,
    session_results,
)
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector

TOURS = "37261"
BLOIS = "41018"
CHUNK = "c" * 64


def fake_results(iri: list[float | None], lat: float = 47.39) -> dict[str, Any]:
    """Results shaped like the pipeline's: 10 m segments going east and their 100 m roll-up."""
    n = len(iri)
    lon = [0.68 + i * 0.000133 for i in range(n + 1)]
    short = {
        "from_m": [i * 10.0 for i in range(n)],
        "lat0": [lat] * n, "lat1": [lat] * n, "lon0": lon[:-1], "lon1": lon[1:],
        "speed_mps": [8.5] * n, "iri_m_per_km": iri,
        "iri_class": [-1 if v is None else (0 if v < 1.5 else 2) for v in iri],
        "potholes": [i % 2 for i in range(n)], "pm25_ugm3": [12.5] * n, "pm10_ugm3": [None] * n,
        "air_class": [1] * n, "facade_left_warm": [i == 0 for i in range(n)],
    }  # fmt: skip
    long = {
        "from_m": [0.0], "lat0": [lat], "lat1": [lat], "lon0": [lon[0]], "lon1": [lon[-1]],
        "iri_m_per_km": [3.2], "iri_class": [2], "potholes": [n // 2],
    }  # fmt: skip
    return {
        "segment_m": 10.0,
        "long_segment_m": 100.0,
        "parameters": {"rollup": 10},
        "segments": short,
        "segments_long": long,
    }


def stopped_session(app: Maillage, vehicle: str = "VAN-12") -> SensorSession:
    channels = {"imu": ("imu", "/dev/ttyUSB0")}
    s = service.start_session(app, vehicle, channels, f"{vehicle}.journal", by="tech")
    at = s.started_at
    service.record_chunk(app, s.id, 0, CHUNK, 10, 0, 100, at, at + timedelta(seconds=5))
    service.stop_session(app, s.id, {"imu": {"frames": 10}})
    return app.get(s.id, SensorSession)


def record(
    app: Maillage, sid: UUID, results: dict[str, Any], municipality: str | None, keep: bool = True
) -> str:
    """Record a processing of ``results`` (kept in the results folder unless ``keep`` is False)."""
    data = results_bytes(results)
    sha = keep_results(app.location, data)[0] if keep else hashlib.sha256(data).hexdigest()
    app.edit(
        sid,
        SensorSession,
        lambda s: s.record_processing(
            "test-1", {"segment_m": 10.0}, [{"seq": 0, "sha256": CHUNK}], sha,
            f"x.results-{sha[:16]}.json", {"segments": len(results["segments"]["from_m"])},
            "tech", municipality,
        ),
    )  # fmt: skip
    return sha


@pytest.fixture
def app(
    location: StoreLocation,
    fixed_clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Maillage]:
    # A PostgreSQL store keeps its results in the user's data directory: a private one here.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    store = Maillage(location)
    yield store
    store.close()


def caught_up(app: Maillage) -> ViewConnection:
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    return ViewConnection.open(app.location)


def segment_rows(conn: ViewConnection, sid: UUID, level: str) -> list[dict[str, Any]]:
    rows = conn.fetchall(
        f"SELECT {', '.join(COLUMNS)} FROM segments_view WHERE session_id = ? AND level = ? "
        "ORDER BY idx",
        (str(sid), level),
    )
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def expected_rows(results: dict[str, Any], level: str) -> list[dict[str, Any]]:
    cols = results[level]
    out = []
    for i in range(len(cols["from_m"])):
        row = {}
        for c in COLUMNS:
            v = cols[c][i] if c in cols else None
            row[c] = int(v) if isinstance(v, bool) else v
        out.append(row)
    return out


def test_the_view_holds_each_sessions_latest_segments(
    app: Maillage, fixed_clock: FixedClock
) -> None:
    first = stopped_session(app, "VAN-12")
    fixed_clock.advance(timedelta(hours=2))
    second = stopped_session(app, "VAN-7")
    never = stopped_session(app, "VAN-3")  # stopped, never processed
    old = fake_results([1.0, 2.0, None, 3.0])
    record(app, first.id, old, TOURS)
    new = fake_results([1.2, 3.4, 0.9])
    record(app, first.id, new, TOURS)  # processed again: only this one counts
    record(app, second.id, fake_results([5.0, 5.0], lat=47.59), BLOIS)

    conn = caught_up(app)
    try:
        assert segment_rows(conn, first.id, "segments") == expected_rows(new, "segments")
        assert segment_rows(conn, first.id, "segments_long") == expected_rows(new, "segments_long")
        listed = processed_sessions(conn)
        assert [(p.session_id, p.vehicle, p.municipality, p.status) for p in listed] == [
            (str(first.id), "VAN-12", TOURS, OK),
            (str(second.id), "VAN-7", BLOIS, OK),
        ]
        assert listed[0].started_at == first.started_at
        assert (listed[0].segments, listed[0].segments_long) == (3, 1)
        assert str(never.id) not in {p.session_id for p in listed}

        tours = session_results(conn, TOURS)
        assert [s.session for s in tours] == [str(first.id)]
        assert tours[0].start_s == first.started_at.timestamp()
        assert tours[0].results["segments"]["iri_m_per_km"] == [1.2, 3.4, 0.9]
        assert tours[0].results["segments_long"]["potholes"] == [1]
        assert tours[0].results["long_segment_m"] == 100.0
        assert [s.session for s in session_results(conn, BLOIS)] == [str(second.id)]
        assert session_results(conn, "75056") == []
        assert len(session_results(conn)) == 2
        live = SegmentsView().contents(conn)
    finally:
        conn.close()

    with Projector(app, all_views()) as projector:
        projector.rebuild()
        assert SegmentsView().contents(projector.conn) == live
        projector.conn.commit()

    report = replay(app)  # a scratch SQLite store: it finds the results in the live store's folder
    assert report.equal, report.differences
    assert "segments" in report.views


def test_missing_or_damaged_results_are_recorded_not_fatal(app: Maillage) -> None:
    lost = stopped_session(app, "VAN-1")
    spoiled = stopped_session(app, "VAN-2")
    lost_results, spoiled_results = fake_results([2.0, 2.5]), fake_results([4.0])
    lost_sha = record(app, lost.id, lost_results, TOURS, keep=False)
    spoiled_sha = record(app, spoiled.id, spoiled_results, TOURS)
    results_file(app.location, spoiled_sha).write_bytes(b'{"segments": {}}')

    conn = caught_up(app)
    try:
        status = {p.session_id: p.status for p in processed_sessions(conn, TOURS)}
        assert status == {str(lost.id): RESULTS_MISSING, str(spoiled.id): RESULTS_DAMAGED}
        assert session_results(conn) == []
        assert conn.fetchall("SELECT * FROM segments_view") == []
    finally:
        conn.close()
    assert replay(app).equal

    # the right bytes come back (copied from the depot): a rebuild finds them
    keep_results(app.location, results_bytes(lost_results))
    assert keep_results(app.location, results_bytes(spoiled_results))[0] == spoiled_sha
    assert results_dir(app.location).is_dir()
    assert lost_sha == keep_results(app.location, results_bytes(lost_results))[0]
    with Projector(app, all_views()) as projector:
        projector.rebuild()
        found = session_results(projector.conn, TOURS)
        projector.conn.commit()
    assert sorted(s.session for s in found) == sorted([str(lost.id), str(spoiled.id)])


def test_a_processing_recorded_before_municipalities_still_loads(app: Maillage) -> None:
    """Stored ``SessionProcessed`` events without a municipality (older stores) replay."""
    session = stopped_session(app)
    results = fake_results([1.0, 2.0])
    sha = keep_results(app.location, results_bytes(results))[0]
    session.record_processing(
        "test-0", {}, [{"seq": 0, "sha256": CHUNK}], sha, "x.json", {}, "tech"
    )
    [event] = [app.mapper.to_stored_event(e) for e in session.collect_events()]
    state = json.loads(event.state)
    del state["municipality"]
    app.record_stored(
        [StoredEvent(event.originator_id, event.originator_version, event.topic,
                     json.dumps(state).encode())]
    )  # fmt: skip

    assert app.get(session.id, SensorSession).latest_processing["municipality"] is None  # type: ignore[index]
    conn = caught_up(app)
    try:
        [p] = processed_sessions(conn)
        assert (p.status, p.municipality) == (OK, None)
        assert len(session_results(conn)[0].results["segments"]["from_m"]) == 2
        assert session_results(conn, TOURS) == []
    finally:
        conn.close()


def test_recording_the_same_results_for_another_municipality_moves_them(app: Maillage) -> None:
    session = stopped_session(app)
    results = fake_results([1.0])
    record(app, session.id, results, TOURS)
    again = app.get(session.id, SensorSession)
    done = again.latest_processing
    assert done is not None
    args = (done["pipeline_version"], done["parameters"], done["journal_chunks"],
            done["results_sha256"], done["results_name"], done["summary"], "tech")  # fmt: skip
    assert again.record_processing(*args, TOURS) is False  # nothing new
    assert again.record_processing(*args, " 41018 ") is True
    with pytest.raises(InvalidInputError, match="INSEE code"):
        again.record_processing(*args, "Tours")
    app.save(again)
    conn = caught_up(app)
    try:
        assert [p.municipality for p in processed_sessions(conn)] == [BLOIS]
        assert [s.session for s in session_results(conn, BLOIS)] == [str(session.id)]
    finally:
        conn.close()
