"""A sensor session's provenance: what was recorded, on which ports, and how it was processed.

The vehicle and channels, every journal chunk with its SHA-256 and byte range
(so the journal file can be checked byte for byte), the gaps when a sensor was
away, each channel's counters at the stop, and every processing with its
pipeline version, its parameters, the chunks it read and its results' SHA-256
(so the indicators can be recomputed bit for bit and compared).
"""

from __future__ import annotations

import json
from typing import Any

from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.model import Cell, Report, Section
from domain.sensing.sensor_session import SensorSession

KIND = "provenance"


def _canonical(value: Any) -> str:
    """A JSON value as canonical text (sorted keys, no spaces): what a checker compares."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def build_provenance(log: LogAsOf, session_ref: str) -> Report:
    """The provenance report of one sensor session (id or unique prefix), as of the position."""
    session_id = log.find(SensorSession.Started, session_ref, "session")
    history = log.events([session_id])[session_id]
    s = log.get(session_id, SensorSession)
    chunk_positions = [p for p, e in history if type(e).__name__ == "ChunkClosed"]
    processed_positions = [p for p, e in history if type(e).__name__ == "SessionProcessed"]
    recorded = [(int(c["seq"]), str(c["sha256"])) for c in s.chunks]
    processings = getattr(s, "processings", [])

    channels = [(name, ch["sensor"], ch["port"]) for name, ch in sorted(s.channels.items())]
    counters = [
        (name, counter, int(value))
        for name, values in sorted(s.counters.items())
        for counter, value in sorted(values.items())
    ]
    chunks = [
        (
            int(c["seq"]),
            str(c["sha256"]),
            int(c["records"]),
            int(c["start"]),
            int(c["end"]),
            int(c["end"]) - int(c["start"]),
            c["first"],
            c["last"],
            position,
        )
        for c, position in zip(s.chunks, chunk_positions, strict=True)
    ]
    gaps = [
        (
            g["channel"],
            g["since"],
            g["until"],
            round((g["until"] - g["since"]).total_seconds(), 3),
            g["reason"],
        )
        for g in s.gaps
    ]
    runs: list[tuple[Cell, ...]] = []
    for n, (p, position) in enumerate(zip(processings, processed_positions, strict=True), 1):
        read = [(int(c["seq"]), str(c["sha256"])) for c in p["journal_chunks"]]
        runs.append(
            (
                n,
                p["at"],
                position,
                p["by"],
                p["pipeline_version"],
                _canonical(p["parameters"]),
                len(read),
                "yes" if read == recorded else "NO",
                p.get("municipality"),
                p["results_name"],
                p["results_sha256"],
            )
        )
    journal_bytes = int(s.chunks[-1]["end"]) if s.chunks else 0
    summary: tuple[tuple[str, Cell], ...] = (
        ("vehicle", s.vehicle),
        ("meal_round", str(s.round_id) if s.round_id else "none"),
        ("status", s.status),
        ("started_at", s.started_at),
        ("started_by", s.started_by),
        ("stopped_at", s.stopped_at),
        ("journal", s.journal_name),
        ("journal_chunks", len(s.chunks)),
        ("journal_records", sum(int(c["records"]) for c in s.chunks)),
        ("journal_bytes", journal_bytes),
        ("gaps", len(s.gaps)),
        ("processings", len(processings)),
    )
    return Report(
        kind=KIND,
        title=f"Provenance — sensor session {str(s.id)[:8]} on {s.vehicle}",
        subject=(("session", str(s.id)[:8]),),
        stated=log.stated,
        summary=summary,
        sections=(
            Section("Channels", ("channel", "sensor", "port"), channels),
            Section(
                "Journal chunks",
                (
                    "seq",
                    "sha256",
                    "records",
                    "start_byte",
                    "end_byte",
                    "bytes",
                    "first",
                    "last",
                    "position",
                ),
                chunks,
            ),
            Section(
                "Gaps",
                ("channel", "since", "until", "duration_s", "reason"),
                gaps,
                note="" if gaps else "No gap: every channel gave data throughout.",
            ),
            Section(
                "Counters at the stop",
                ("channel", "counter", "value"),
                counters,
                note="" if counters else "The session has not stopped: no counters yet.",
            ),
            Section(
                "Processings",
                (
                    "processing",
                    "time",
                    "position",
                    "by",
                    "pipeline_version",
                    "parameters",
                    "chunks_read",
                    "chunks_match_session",
                    "municipality",
                    "results_name",
                    "results_sha256",
                ),
                runs,
                note="" if runs else "The session was not processed.",
            ),
        ),
        notes=(
            "Each chunk's SHA-256 covers the journal bytes start_byte to end_byte; a copy of "
            "the journal is the one recorded if every chunk hashes the same.",
            "A processing is reproducible: the same chunks, pipeline version and parameters "
            "give results with the same SHA-256.",
        ),
    )
