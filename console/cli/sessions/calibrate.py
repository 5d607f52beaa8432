"""``maillage sessions calibrate SESSION --reference FILE.csv``: fit the roughness calibration.

The reference file lists sections of known IRI (``from_m,to_m,iri_m_per_km`` and, for a
session map-matched on a road network, ``osm_way``: offsets along that way). The processed
session's results come from the store's results folder; the fit is printed, with the speed
exponent the body's response followed on the session, to be used as processing parameters.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from domain.errors import InvalidInputError, NotFoundError
from domain.sensing import service
from domain.sensing.calibration import Reference, calibrate
from domain.sensing.results_store import load_results
from domain.sensing.sensor_session import SensorSession
from domain.wording import short_id


def register(level: Level) -> None:
    """Register ``sessions calibrate``."""
    p = level.command(
        "calibrate",
        cmd_sessions_calibrate,
        "fit IRI = a·index + b on reference sections of known IRI a session drove",
        json=True,
    )
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix of it")
    p.add_argument("--reference", type=Path, required=True, metavar="FILE.csv")


def read_references(path: Path) -> list[Reference]:
    """Reference sections from CSV; a bad row is named by its line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror or e}") from None
    rows = csv.DictReader(text.splitlines())
    missing = {"from_m", "to_m", "iri_m_per_km"} - set(rows.fieldnames or ())
    if missing:
        raise InvalidInputError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            ref = Reference(
                float(row["from_m"]),
                float(row["to_m"]),
                float(row["iri_m_per_km"]),
                int(row["osm_way"]) if row.get("osm_way") else None,
            )
        except ValueError:
            raise InvalidInputError(f"{path.name} line {line}: not a number") from None
        if not ref.to_m > ref.from_m or ref.iri_m_per_km < 0:
            raise InvalidInputError(f"{path.name} line {line}: to_m ≤ from_m or negative IRI")
        out.append(ref)
    return out


def cmd_sessions_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    references = read_references(args.reference)
    app = open_store(settings)
    try:
        sid = service.find_session(app, args.session)
        done = app.get(sid, SensorSession).latest_processing
        if done is None:
            raise InvalidInputError(f"session {short_id(sid)} is not processed: process it first")
        loaded = load_results(app.location, done["results_sha256"])
        if loaded.results is None:
            raise NotFoundError(
                f"the results of session {short_id(sid)} are {loaded.status} ({loaded.path})"
            )
        fit = calibrate(loaded.results, references)
    finally:
        app.close()
    out = {
        "session": str(sid),
        "iri_per_index": round(fit.a, 4),
        "iri_offset_m_per_km": round(fit.b, 4),
        "r2": round(fit.r2, 4),
        "sections": fit.sections,
        "roughness_alpha": fit.alpha,
        "session_alpha": None if fit.session_alpha is None else round(fit.session_alpha, 3),
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"IRI = {fit.a:.3f} × index {fit.b:+.3f} m/km (r² {fit.r2:.3f}) from {fit.sections} "
        f"reference sections; index = RMS / speed^{fit.alpha:g}"
    )
    if fit.session_alpha is not None:
        print(f"on this session the body's response grew as speed^{fit.session_alpha:.2f}")
    return 0
