"""Read model of géointelligence: every processed session's 10 m and 100 m segments.

A ``SessionProcessed`` event names its results by SHA-256; the view reads them from the
store's content-addressed results folder (``domain.sensing.results_store``), checks the hash
and writes one row per segment with its indicators and classes. Only the latest processing
of a session counts: a new one replaces its rows. A results file that is not there (a store
copied without its ``results/`` folder, a PostgreSQL store read from another machine) is
recorded as ``results missing`` and the session has no rows — the view never fails on it.

The view attaches to the application whose log it reads and looks in *that* store's results
folder, so an audit replay into a scratch store finds the same files as the live views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.sensing.combine import SessionResults
from domain.sensing.results_store import load_results, load_results_file
from domain.sensing.sensor_session import SensorSession
from domain.store import StoreLocation, ViewConnection
from domain.views.view import View, event_state, stored_id, stored_time

if TYPE_CHECKING:
    from domain.application import Maillage

LEVELS = ("segments", "segments_long")
"""The two segment lengths of a result, as its keys name them (10 m and 100 m by default)."""
GEOMETRY = ("from_m", "lat0", "lon0", "lat1", "lon1")
VALUES = (
    "speed_mps",
    "roughness_index",
    "iri_m_per_km",
    "pm25_ugm3",
    "pm10_ugm3",
    "rsrp_dbm",
    "rsrq_db",
    "facade_left_delta_c",
    "facade_right_delta_c",
)
"""Indicators kept as numbers (units in their names); None where not measured."""
COUNTS = ("potholes", "iri_class", "iso8608_class", "air_class", "coverage_class")
"""Whole numbers: potholes per segment and class indices (-1 no value, NULL no sensor)."""
FLAGS = ("facade_left_warm", "facade_right_warm")
"""Yes/no per segment, kept as 0/1."""
STREET_NUMBERS = ("to_m", "length_m")
STREET_WHOLE = ("way_id", "direction")
STREET_TEXT = ("street", "facade_unsurveyed")
"""A map-matched session's rows are street sections: the OSM way, the direction of travel
(1 along the way's nodes, -1 against), the offset range along the way and its length, the
street's name (NULL for sessions processed without a road network); and why the façades
of a segment were not surveyed although the camera saw them (too fast, air too warm)."""
COLUMNS = GEOMETRY + VALUES + COUNTS + FLAGS + STREET_NUMBERS + STREET_WHOLE + STREET_TEXT

OK = "ok"
NOT_PROCESSED = "not processed"
RESULTS_MISSING = "results missing"
RESULTS_DAMAGED = "results damaged"

_STARTED = get_topic(SensorSession.Started)
_PROCESSED = get_topic(SensorSession.SessionProcessed)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class SegmentsView(View):
    """Sessions (vehicle, start, municipality, results status) and their segments' values."""

    name = "segments"
    version = 2  # 2: street section columns (way, direction, offsets, name)
    tables = ("segment_sessions_view", "segments_view")
    topics = (_STARTED, _PROCESSED)

    def __init__(self) -> None:
        self.location: StoreLocation | None = None

    def attach(self, app: Maillage) -> None:
        """The results are read from the folder of the store whose log is applied."""
        self.location = app.location

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS segment_sessions_view ("
            "session_id TEXT PRIMARY KEY, vehicle TEXT NOT NULL, started_at TEXT NOT NULL, "
            "round_id TEXT, status TEXT NOT NULL, municipality TEXT, pipeline_version TEXT, "
            "results_sha256 TEXT, results_name TEXT, processed_at TEXT, "
            "segment_m DOUBLE PRECISION, long_segment_m DOUBLE PRECISION, "
            "segments INTEGER NOT NULL, segments_long INTEGER NOT NULL)"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS segment_sessions_view_municipality "
            "ON segment_sessions_view (municipality)"
        )
        numbers = ", ".join(f"{c} DOUBLE PRECISION" for c in GEOMETRY + VALUES)
        whole = ", ".join(f"{c} INTEGER" for c in COUNTS + FLAGS)
        street = ", ".join(
            [f"{c} DOUBLE PRECISION" for c in STREET_NUMBERS]
            + [f"{c} BIGINT" for c in STREET_WHOLE]
            + [f"{c} TEXT" for c in STREET_TEXT]
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS segments_view ("
            "session_id TEXT NOT NULL, level TEXT NOT NULL, idx INTEGER NOT NULL, "
            f"{numbers}, {whole}, {street}, PRIMARY KEY (session_id, level, idx))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            s = event_state(n)
            sid = str(n.originator_id)
            if n.topic == _STARTED:
                conn.execute(
                    "INSERT INTO segment_sessions_view VALUES "
                    "(?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0)",
                    (
                        sid,
                        s["vehicle"],
                        stored_time(s["started_at"]),
                        stored_id(s["round_id"]) if s.get("round_id") else None,
                        NOT_PROCESSED,
                    ),
                )
            else:
                self._processed(conn, sid, s)

    def _processed(self, conn: ViewConnection, sid: str, s: dict[str, Any]) -> None:
        """Replace the session's segments by those of this (latest) processing."""
        assert self.location is not None, "attach() the view to its application first"
        sha = str(s["results_sha256"])
        loaded = load_results(self.location, sha)
        conn.execute("DELETE FROM segments_view WHERE session_id = ?", (sid,))
        status = {"ok": OK, "missing": RESULTS_MISSING, "damaged": RESULTS_DAMAGED}
        counts = {level: 0 for level in LEVELS}
        lengths: dict[str, float | None] = {level: None for level in LEVELS}
        if loaded.results is not None:
            results = loaded.results
            for level in LEVELS:
                rows = _rows(sid, level, results.get(level) or {})
                conn.executemany(
                    f"INSERT INTO segments_view VALUES ({', '.join('?' * (3 + len(COLUMNS)))})",
                    rows,
                )
                counts[level] = len(rows)
            lengths["segments"] = _float(results.get("segment_m"))
            long_m = results.get("long_segment_m")
            if long_m is None and results.get("segment_m") is not None:
                long_m = results["segment_m"] * results.get("parameters", {}).get("rollup", 10)
            lengths["segments_long"] = _float(long_m)
        conn.execute(
            "UPDATE segment_sessions_view SET status = ?, municipality = ?, "
            "pipeline_version = ?, results_sha256 = ?, results_name = ?, processed_at = ?, "
            "segment_m = ?, long_segment_m = ?, segments = ?, segments_long = ? "
            "WHERE session_id = ?",
            (
                status[loaded.status],
                s.get("municipality"),
                s.get("pipeline_version"),
                sha,
                s.get("results_name"),
                stored_time(s["at"]),
                lengths["segments"],
                lengths["segments_long"],
                counts["segments"],
                counts["segments_long"],
                sid,
            ),
        )


def _rows(sid: str, level: str, cols: dict[str, Any]) -> list[tuple[Any, ...]]:
    """One row per segment of a level's columns (absent columns are NULL)."""
    n = len(cols.get("from_m", ()))
    missing = [None] * n
    geometry_values = [cols.get(c, missing) for c in GEOMETRY + VALUES]
    whole = [cols.get(c, missing) for c in COUNTS + FLAGS]
    street_numbers = [cols.get(c, missing) for c in STREET_NUMBERS]
    street_whole = [cols.get(c, missing) for c in STREET_WHOLE]
    texts = [cols.get(c, missing) for c in STREET_TEXT]
    return [
        (
            sid,
            level,
            i,
            *(_float(col[i]) for col in geometry_values),
            *(_int(col[i]) for col in whole),
            *(_float(col[i]) for col in street_numbers),
            *(_int(col[i]) for col in street_whole),
            *(None if col[i] is None else str(col[i]) for col in texts),
        )
        for i in range(n)
    ]


# ---------------------------------------------------------------------- queries


@dataclass(frozen=True)
class ProcessedSession:
    """A processed session as the view holds it (no segments)."""

    session_id: str
    vehicle: str
    started_at: datetime
    municipality: str | None
    status: str
    results_sha256: str
    results_name: str | None
    segments: int
    segments_long: int


def processed_sessions(
    conn: ViewConnection, municipality: str | None = None
) -> list[ProcessedSession]:
    """Every processed session (any results status), oldest first; one municipality's only
    when ``municipality`` (INSEE code) is given."""
    query = (
        "SELECT session_id, vehicle, started_at, municipality, status, results_sha256, "
        "results_name, segments, segments_long FROM segment_sessions_view WHERE status <> ?"
    )
    params: list[Any] = [NOT_PROCESSED]
    if municipality is not None:
        query += " AND municipality = ?"
        params.append(municipality)
    rows = conn.fetchall(query + " ORDER BY started_at, session_id", params)
    return [
        ProcessedSession(
            str(r[0]), str(r[1]), datetime.fromisoformat(str(r[2])), r[3], str(r[4]), str(r[5]),
            r[6], int(r[7]), int(r[8]),
        )
        for r in rows
    ]  # fmt: skip


def session_results(
    conn: ViewConnection,
    municipality: str | None = None,
    levels: Sequence[str] = LEVELS,
) -> list[SessionResults]:
    """The segments of every session whose results the view holds, as ``combine`` takes them
    (columns per level, segment lengths), oldest first."""
    wanted = [level for level in LEVELS if level in levels]
    query = (
        "SELECT session_id, started_at, segment_m, long_segment_m FROM segment_sessions_view "
        "WHERE status = ?"
    )
    params: list[Any] = [OK]
    if municipality is not None:
        query += " AND municipality = ?"
        params.append(municipality)
    sessions = conn.fetchall(query + " ORDER BY started_at, session_id", params)
    out = []
    for sid, started_at, segment_m, long_segment_m in sessions:
        results: dict[str, Any] = {"segment_m": segment_m, "long_segment_m": long_segment_m}
        for level in wanted:
            rows = conn.fetchall(
                f"SELECT {', '.join(COLUMNS)} FROM segments_view "
                "WHERE session_id = ? AND level = ? ORDER BY idx",
                (sid, level),
            )
            results[level] = {c: [r[k] for r in rows] for k, c in enumerate(COLUMNS)}
        out.append(
            SessionResults(str(sid), datetime.fromisoformat(str(started_at)).timestamp(), results)
        )
    return out


@dataclass
class Segments:
    """What the view gives the geo commands: sessions' segments and those left out."""

    sessions: list[SessionResults]
    missing: list[ProcessedSession]


def load_segments(
    conn: ViewConnection,
    insee: str | None,
    levels: tuple[str, ...] = LEVELS,
    fallback: Path | None = None,
) -> Segments:
    """Every processed session's latest segments from the segments view (one municipality's
    with ``insee``); sessions whose results the view lacks are read from ``fallback``
    (``results_name`` there, checked against its SHA-256) or listed as missing."""
    loaded = session_results(conn, insee, levels)
    missing = []
    for info in processed_sessions(conn, insee):
        if info.status == OK:
            continue
        if fallback is not None and info.results_name:
            name = Path(info.results_name).name  # a name in that folder, never a path
            found = load_results_file(fallback / name, info.results_sha256)
            if found.results is not None:
                loaded.append(
                    SessionResults(info.session_id, info.started_at.timestamp(), found.results)
                )
                continue
        missing.append(info)
    loaded.sort(key=lambda s: (s.start_s, s.session))
    return Segments(loaded, missing)
