"""A recording session on a van: which sensors on which ports, and the journal it produced.

The raw bytes stay in the capture journal (``drivers.journal``); the session
records the journal's closed chunks by SHA-256, so a journal copied to the
depot can be checked byte for byte, and the gaps when a sensor was unplugged.
started → chunks and gaps while recording → stopped with each channel's counters.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.wording import short_id

SENSOR_KINDS = ("gps", "imu", "pm", "modem", "thermal", "probe")
"""What a channel can carry (the driver that decodes it)."""
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class SensorSession(MaillageAggregate):
    """One session: its channels, its journal chunks, its gaps and its counters."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Started")
    def __init__(
        self,
        vehicle: str,
        round_id: UUID | None,
        channels: dict[str, dict[str, str]],
        journal_name: str,
        started_at: datetime,
        by: str,
    ) -> None:
        self.vehicle = vehicle
        self.round_id = round_id
        self.channels = channels
        self.journal_name = journal_name
        self.started_at = started_at
        self.started_by = by
        self.status = "recording"
        self.chunks: list[dict[str, Any]] = []
        self.gaps: list[dict[str, Any]] = []
        self.counters: dict[str, dict[str, int]] = {}
        self.stopped_at: datetime | None = None

    @classmethod
    def start(
        cls,
        vehicle: str,
        channels: dict[str, tuple[str, str]],
        journal_name: str,
        by: str,
        round_id: UUID | None = None,
    ) -> SensorSession:
        """A session starts: ``channels`` maps a channel name to (sensor kind, port URL)."""
        if not vehicle.strip():
            raise InvalidInputError("a session needs the vehicle it runs on")
        if not channels:
            raise InvalidInputError("a session records at least one channel")
        for name, (kind, port) in channels.items():
            if kind not in SENSOR_KINDS:
                raise InvalidInputError(
                    f"channel {name}: sensor {kind!r} is not one of {', '.join(SENSOR_KINDS)}"
                )
            if not port.strip():
                raise InvalidInputError(f"channel {name} has no port")
        if not by.strip():
            raise InvalidInputError("a session needs the name of who records it")
        return cls(
            vehicle=vehicle.strip(),
            round_id=round_id,
            channels={n: {"sensor": k, "port": p.strip()} for n, (k, p) in channels.items()},
            journal_name=journal_name,
            started_at=clock.now(),
            by=by.strip(),
        )

    def _require_recording(self) -> None:
        if self.status != "recording":
            raise RuleViolationError(
                f"session {short_id(self.id)} is {self.status}: it records no more"
            )

    def record_chunk(
        self,
        seq: int,
        sha256: str,
        records: int,
        start: int,
        end: int,
        first: datetime,
        last: datetime,
    ) -> None:
        """A journal chunk was closed on disk: its place in the file and its SHA-256."""
        self._require_recording()
        if seq != len(self.chunks):
            raise RuleViolationError(
                f"session {short_id(self.id)}: chunk {seq} arrives after chunk "
                f"{len(self.chunks) - 1}"
            )
        if not _SHA256_RE.match(sha256):
            raise InvalidInputError(f"chunk {seq}: {sha256!r} is not a SHA-256 in hex")
        if not (0 <= start < end and records > 0):
            raise InvalidInputError(f"chunk {seq}: byte range {start}..{end} or count is empty")
        self._chunk_closed(
            seq=seq, sha256=sha256, records=records, start=start, end=end, first=first, last=last
        )

    @event("ChunkClosed")
    def _chunk_closed(
        self,
        seq: int,
        sha256: str,
        records: int,
        start: int,
        end: int,
        first: datetime,
        last: datetime,
    ) -> None:
        self.chunks.append(
            {"seq": seq, "sha256": sha256, "records": records, "start": start, "end": end,
             "first": first, "last": last}
        )  # fmt: skip

    def record_gap(self, channel: str, since: datetime, until: datetime, reason: str) -> None:
        """A channel gave nothing from ``since`` to ``until`` (unplugged, no signal…)."""
        self._require_recording()
        if channel not in self.channels:
            raise InvalidInputError(f"session {short_id(self.id)} has no channel {channel!r}")
        if until < since:
            raise InvalidInputError(f"gap on {channel} ends before it starts")
        self._gap_recorded(channel=channel, since=since, until=until, reason=reason.strip())

    @event("GapRecorded")
    def _gap_recorded(self, channel: str, since: datetime, until: datetime, reason: str) -> None:
        self.gaps.append({"channel": channel, "since": since, "until": until, "reason": reason})

    def stop(self, counters: dict[str, dict[str, int]]) -> None:
        """The recording ends; each channel's counters (frames, errors, bytes dropped, …)."""
        self._require_recording()
        unknown = set(counters) - set(self.channels)
        if unknown:
            raise InvalidInputError(f"counters for unknown channels: {', '.join(sorted(unknown))}")
        self._stopped(at=clock.now(), counters=counters)

    @event("Stopped")
    def _stopped(self, at: datetime, counters: dict[str, dict[str, int]]) -> None:
        self.status = "stopped"
        self.stopped_at = at
        self.counters = counters

    # ------------------------------------------------------------------ after an interruption

    def close_after_interruption(
        self,
        counters: dict[str, dict[str, int]],
        ended_at: datetime,
        by: str,
        reason: str,
        journal: dict[str, Any],
    ) -> None:
        """Stop a session its recorder never stopped (killed, crashed, power cut), from what
        its journal holds: ``counters`` derived from the journal, ``ended_at`` its last record.

        ``journal`` says what closing found (records, chunks, a torn tail and where it went).
        The chunks and gaps the journal adds are recorded first, with ``record_chunk`` and
        ``record_gap``; afterwards the session is stopped like any other.
        """
        if self.status != "recording":
            raise RuleViolationError(
                f"session {short_id(self.id)} is {self.status}: there is nothing to close"
            )
        if not by.strip():
            raise InvalidInputError("closing a session needs the name of who closes it")
        if not reason.strip():
            raise InvalidInputError("closing an interrupted session needs the reason")
        unknown = set(counters) - set(self.channels)
        if unknown:
            raise InvalidInputError(f"counters for unknown channels: {', '.join(sorted(unknown))}")
        if ended_at < self.started_at:
            raise InvalidInputError(f"session {short_id(self.id)} cannot end before it started")
        self._closed_after_interruption(
            at=clock.now(),
            ended_at=ended_at,
            counters=counters,
            by=by.strip(),
            reason=reason.strip(),
            journal=journal,
        )

    @event("ClosedAfterInterruption")
    def _closed_after_interruption(
        self,
        at: datetime,
        ended_at: datetime,
        counters: dict[str, dict[str, int]],
        by: str,
        reason: str,
        journal: dict[str, Any],
    ) -> None:
        self.status = "stopped"
        self.stopped_at = ended_at
        self.counters = counters
        self._interruption = {"closed_at": at, "by": by, "reason": reason, "journal": journal}

    @property
    def interruption(self) -> dict[str, Any] | None:
        """How the session was closed after its recorder was interrupted (None: it stopped)."""
        return getattr(self, "_interruption", None)

    # ------------------------------------------------------------------ processing

    def record_processing(
        self,
        pipeline_version: str,
        parameters: dict[str, Any],
        journal_chunks: list[dict[str, Any]],
        results_sha256: str,
        results_name: str,
        summary: dict[str, Any],
        by: str,
        municipality: str | None = None,
    ) -> bool:
        """The journal was processed into indicators; False if this exact result is recorded.

        Only a stopped session, and only from the journal it recorded: ``journal_chunks``
        (seq, sha256) must be the session's chunks, every one of them. ``municipality``:
        the INSEE code of the municipality its segments belong to (None: not known); the
        same results recorded again for another municipality move them there.
        """
        if self.status != "stopped":
            raise RuleViolationError(
                f"session {short_id(self.id)} is {self.status}: stop it before processing"
            )
        if not by.strip():
            raise InvalidInputError("a processing needs the name of who runs it")
        if not _SHA256_RE.match(results_sha256):
            raise InvalidInputError(f"{results_sha256!r} is not a SHA-256 in hex")
        mine = [(int(c["seq"]), str(c["sha256"])) for c in self.chunks]
        read = [(int(c["seq"]), str(c["sha256"])) for c in journal_chunks]
        if mine != read:
            missing = sorted(set(mine) - set(read))
            what = f"chunk {missing[0][0]} differs or is missing" if missing else "extra chunks"
            raise RuleViolationError(
                f"the journal read is not the one session {short_id(self.id)} recorded: {what}"
            )
        if municipality is not None:
            from domain.meals.municipality import normalise_insee

            municipality = normalise_insee(municipality)
        done = getattr(self, "processings", [])
        if done and (
            done[-1]["pipeline_version"], done[-1]["parameters"], done[-1]["results_sha256"],
            done[-1].get("municipality"),
        ) == (pipeline_version, parameters, results_sha256, municipality):  # fmt: skip
            return False
        self._processed(
            pipeline_version=pipeline_version,
            parameters=parameters,
            journal_chunks=[{"seq": s, "sha256": h} for s, h in read],
            results_sha256=results_sha256,
            results_name=results_name,
            summary=summary,
            at=clock.now(),
            by=by.strip(),
            municipality=municipality,
        )
        return True

    @event("SessionProcessed")
    def _processed(
        self,
        pipeline_version: str,
        parameters: dict[str, Any],
        journal_chunks: list[dict[str, Any]],
        results_sha256: str,
        results_name: str,
        summary: dict[str, Any],
        at: datetime,
        by: str,
        municipality: str | None = None,
    ) -> None:
        if not hasattr(self, "processings"):
            self.processings: list[dict[str, Any]] = []
        self.processings.append(
            {"pipeline_version": pipeline_version, "parameters": parameters,
             "journal_chunks": journal_chunks, "results_sha256": results_sha256,
             "results_name": results_name, "summary": summary, "at": at, "by": by,
             "municipality": municipality}
        )  # fmt: skip

    @property
    def latest_processing(self) -> dict[str, Any] | None:
        """The newest ``SessionProcessed`` values, or None if never processed."""
        done = getattr(self, "processings", [])
        return done[-1] if done else None
