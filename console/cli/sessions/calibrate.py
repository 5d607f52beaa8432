"""``maillage sessions calibrate SESSION --reference FILE.csv``: fit the roughness calibration.

The reference file lists sections of known IRI (``from_m,to_m,iri_m_per_km`` and, for a
session map-matched on a road network, ``osm_way``: offsets along that way). The processed
session's results come from the store's results folder; the fit is printed, with the speed
exponent the body's response followed on the session, to be used as processing parameters.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from console.cli.tree import Level
from console.importing.calibration import read_references
from console.opening import open_store
from console.settings import Settings
from domain.sensing import service


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


def cmd_sessions_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    references = read_references(args.reference)
    app = open_store(settings)
    try:
        sid, fit = service.calibrate_session(app, args.session, references)
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
    print(json.dumps(out) if args.json else "\n".join(fit.lines()))
    return 0
