"""Processing a stopped session's journal: decode it, hand the arrays to ``domain.sensing``,
keep the results by SHA-256 in the store's results folder (and beside the journal) and record
``SessionProcessed``. Used by ``maillage sessions process``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from console.decoding.journal import decode_journal
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError
from domain.sensing import service
from domain.sensing.processing import (
    PIPELINE_VERSION,
    Parameters,
    process,
    results_bytes,
    summary,
)
from domain.sensing.results_store import keep_results
from domain.sensing.sensor_session import SensorSession
from domain.sensing.views import SegmentsView
from domain.territory import service as territory_service
from domain.views.projector import Projector
from domain.wording import short_id


def results_path(journal: Path, sha256: str) -> Path:
    """Where a journal's results go: beside it, named by their SHA-256 (never overwritten)."""
    return journal.with_name(f"{journal.name}.results-{sha256[:16]}.json")


def process_session(
    app: Maillage,
    session_id: UUID,
    journal: Path,
    by: str,
    params: Parameters | None = None,
    municipality: str | None = None,
) -> tuple[SensorSession, dict[str, Any], Path, bool]:
    """Decode, process, keep the results file, record ``SessionProcessed``.

    The results go to the store's results folder under their SHA-256 (where the segments
    view finds them) and beside the journal. ``municipality``: an INSEE code given by the
    user (checked; a meal round's municipality comes first). Returns the session, the
    results, the store's results file and whether an event was recorded (False: this exact
    result, for this municipality, is the latest recorded).
    """
    session = app.get(session_id, SensorSession)
    if session.status != "stopped":
        raise InvalidInputError(
            f"session {short_id(session_id)} is {session.status}: stop it before processing"
        )
    insee = service.session_municipality(app, session, municipality)
    if not journal.is_file():
        raise NotFoundError(
            f"the journal of session {short_id(session_id)} is not at {journal} (--journal)"
        )
    obs, chunks = decode_journal(journal)
    read = [{"seq": c.seq, "sha256": c.sha256} for c in chunks]
    mine = [{"seq": int(c["seq"]), "sha256": str(c["sha256"])} for c in session.chunks]
    if read != mine:
        raise InvalidInputError(
            f"{journal} is not the journal session {short_id(session_id)} recorded (its chunks "
            f"differ)"
        )
    p = params or Parameters()
    network = territory_service.current_network(app)
    record = territory_service.network_record(app)
    results = process(obs, p, network, record["network_sha256"] if record else "")
    data = results_bytes(results)
    sha, kept = keep_results(app.location, data)
    beside = results_path(journal, sha)
    if not beside.exists():
        tmp = beside.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(beside)
    recorded = False

    def record(s: SensorSession) -> None:
        nonlocal recorded
        recorded = s.record_processing(
            PIPELINE_VERSION, p.as_dict(), read, sha, beside.name, summary(results), by, insee
        )

    app.edit(session_id, SensorSession, record)
    if recorded:  # apply it here, where the results file is (other consoles may lack it)
        with Projector(app, [SegmentsView()]) as projector:
            projector.catch_up()
    return app.get(session_id, SensorSession), results, kept, recorded
