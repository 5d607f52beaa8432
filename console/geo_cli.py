"""``maillage sessions process``, ``maillage geo recommend|export`` and ``maillage reports add``.

The console reads the journal and the results files (drivers and files meet the domain
here) and hands values to ``domain.sensing``: processing, combining sessions, rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from console.arguments import lat_lon
from console.decode import decode_journal
from console.opening import open_store, views_caught_up
from console.recording import journal_dir
from console.roles import mutating, scoped
from console.settings import Settings
from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError
from domain.meals.beneficiary import Beneficiary
from domain.sensing import service
from domain.sensing.combine import SessionResults, combine
from domain.sensing.exports import csv_text, geojson, html_report
from domain.sensing.field_report import REPORT_KINDS, FieldReport, iter_reports
from domain.sensing.processing import (
    PIPELINE_VERSION,
    Parameters,
    process,
    results_bytes,
    summary,
)
from domain.sensing.recommendations import (
    Context,
    Recommendation,
    default_rules,
    parse_rules,
    recommend,
)
from domain.sensing.sensor_session import SensorSession


def results_path(journal: Path, sha256: str) -> Path:
    """Where a journal's results go: beside it, named by their SHA-256 (never overwritten)."""
    return journal.with_name(f"{journal.name}.results-{sha256[:16]}.json")


# ---------------------------------------------------------------------- sessions process


def add_process_command(cmds: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register ``process`` under ``maillage sessions``."""
    p = cmds.add_parser(
        "process",
        parents=[common],
        help="turn a stopped session's journal into segment indicators (SessionProcessed)",
    )
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix of it")
    p.add_argument(
        "--journal", type=Path, metavar="PATH", help="the journal (default: journals dir)"
    )
    p.add_argument("--journal-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=cmd_sessions_process)


def process_session(
    app: Maillage, session_id: UUID, journal: Path, by: str, params: Parameters | None = None
) -> tuple[SensorSession, dict[str, Any], Path, bool]:
    """Decode, process, write the results file, record ``SessionProcessed``.

    Returns the session, the results, the results file and whether an event was recorded
    (False: this exact result was already recorded).
    """
    session = app.get(session_id, SensorSession)
    if session.status != "stopped":
        raise InvalidInputError(
            f"session {session_id} is {session.status}: stop it before processing"
        )
    if not journal.is_file():
        raise NotFoundError(f"the journal of session {session_id} is not at {journal} (--journal)")
    obs, chunks = decode_journal(journal)
    read = [{"seq": c.seq, "sha256": c.sha256} for c in chunks]
    mine = [{"seq": int(c["seq"]), "sha256": str(c["sha256"])} for c in session.chunks]
    if read != mine:
        raise InvalidInputError(
            f"{journal} is not the journal session {session_id} recorded (its chunks differ)"
        )
    p = params or Parameters()
    results = process(obs, p)
    data = results_bytes(results)
    sha = hashlib.sha256(data).hexdigest()
    target = results_path(journal, sha)
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    recorded = False

    def record(s: SensorSession) -> None:
        nonlocal recorded
        recorded = s.record_processing(
            PIPELINE_VERSION, p.as_dict(), read, sha, target.name, summary(results), by
        )

    app.edit(session_id, SensorSession, record)
    return app.get(session_id, SensorSession), results, target, recorded


@mutating
def cmd_sessions_process(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sid = service.find_session(app, args.session)
    session = app.get(sid, SensorSession)
    journal = args.journal or journal_dir(settings, args.journal_dir) / session.journal_name
    session, results, target, recorded = process_session(app, sid, journal, settings.user)
    out = {
        "session": str(sid),
        "pipeline_version": PIPELINE_VERSION,
        "results_file": str(target),
        "results_sha256": session.latest_processing["results_sha256"],  # type: ignore[index]
        "recorded": recorded,
        "summary": summary(results),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        s = out["summary"]
        verb = "processed" if recorded else "already processed (same results)"
        print(
            f"session {sid} {verb}: {s['length_m'] / 1000:.2f} km, {s['segments']} segments, "
            f"{s['potholes']} potholes → {target}"
        )
    return 0


# ---------------------------------------------------------------------- geo


def add_geo_commands(commands: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register ``geo recommend``, ``geo export`` and ``reports add``."""
    geo = commands.add_parser(
        "geo", parents=[common], help="segment maps, exports, recommendations"
    )
    cmds = geo.add_subparsers(
        dest="geo_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    rec = cmds.add_parser("recommend", parents=[common], help="ranked recommendations with reasons")
    rec.add_argument("--municipality", metavar="INSEE", help="count only its beneficiaries' homes")
    rec.add_argument("--budget", type=_euros, metavar="EUR", help="yearly road budget")
    rec.add_argument("--rules", type=Path, metavar="FILE", help="TOML rules (default: shipped)")
    rec.add_argument(
        "--journal-dir", type=Path, metavar="DIR", help="where journals and results are"
    )
    rec.add_argument("--json", action="store_true", help="print JSON for scripts")
    rec.set_defaults(handler=cmd_geo_recommend)
    exp = cmds.add_parser("export", parents=[common], help="segments as GeoJSON, CSV or HTML")
    exp.add_argument("--format", required=True, choices=("geojson", "csv", "html"))
    exp.add_argument("--output", required=True, type=Path, metavar="FILE")
    exp.add_argument("--segment", type=int, choices=(10, 100), default=100, help="metres")
    exp.add_argument("--municipality", metavar="INSEE")
    exp.add_argument("--budget", type=_euros, metavar="EUR")
    exp.add_argument("--rules", type=Path, metavar="FILE")
    exp.add_argument("--journal-dir", type=Path, metavar="DIR")
    exp.add_argument("--json", action="store_true")
    exp.set_defaults(handler=cmd_geo_export)

    reports = commands.add_parser("reports", parents=[common], help="postmen's field reports")
    rcmds = reports.add_subparsers(
        dest="reports_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    add = rcmds.add_parser("add", parents=[common], help="record a field report")
    add.add_argument("--kind", required=True, choices=REPORT_KINDS)
    add.add_argument("--at", required=True, type=lat_lon, metavar="LAT,LON")
    add.add_argument("--count", type=_count, metavar="N")
    add.add_argument("--note", default="")
    add.add_argument("--by", required=True, metavar="NAME")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_reports_add)


def _euros(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in euros") from None
    if not 0 <= value < 1e12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a budget (0 or more euros)")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def processed_sessions(app: Maillage, directory: Path, warn: bool = True) -> list[SessionResults]:
    """Every processed session's latest results, each file checked against its SHA-256."""
    out = []
    for session in service.list_sessions(app):
        done = session.latest_processing
        if done is None:
            continue
        path = directory / done["results_name"]
        try:
            data = path.read_bytes()
        except OSError:
            if warn:
                print(f"maillage: warning: results of {session.id} not at {path}", file=sys.stderr)
            continue
        if hashlib.sha256(data).hexdigest() != done["results_sha256"]:
            if warn:
                print(f"maillage: warning: {path} does not match its SHA-256", file=sys.stderr)
            continue
        out.append(
            SessionResults(str(session.id), session.started_at.timestamp(), json.loads(data))
        )
    return out


def recommendation_context(app: Maillage, insee: str | None) -> Context:
    """Reports, schools and homes (positions only, counted near segments; nothing personal)."""
    reports = list(iter_reports(app))
    conn = views_caught_up(app)
    try:
        schools = [
            (float(a), float(b))
            for a, b in conn.fetchall(
                "SELECT latitude_deg, longitude_deg FROM establishments_view "
                "WHERE latitude_deg IS NOT NULL AND longitude_deg IS NOT NULL"
            )
        ]
        query = "SELECT id FROM beneficiaries_view WHERE status <> 'erased'"
        params: tuple[Any, ...] = ()
        if insee:
            query += " AND insee_code = ?"
            params = (insee,)
        ids = [UUID(str(r[0])) for r in conn.fetchall(query, params)]
    finally:
        conn.close()
    homes = []
    for bid in ids:
        home = app.get(bid, Beneficiary).home
        if not home.erased and isinstance(home.value, dict):
            homes.append((float(home.value["lat"]), float(home.value["lon"])))
    return Context(reports, schools, homes)


def _places_and_recommendations(
    args: argparse.Namespace, settings: Settings, level: str
) -> tuple[list[dict[str, Any]], list[Recommendation], str | None]:
    rules = default_rules()
    if args.rules is not None:
        try:
            rules = parse_rules(args.rules.read_text(encoding="utf-8"))
        except OSError as e:
            raise InvalidInputError(f"cannot read the rules {args.rules}: {e.strerror}") from None
    insee = scoped(settings, args.municipality)
    app = open_store(settings)
    sessions = processed_sessions(app, journal_dir(settings, args.journal_dir))
    places = combine(sessions, level)
    long_places = places if level == "segments_long" else combine(sessions, "segments_long")
    recs = recommend(long_places, recommendation_context(app, insee), rules, args.budget)
    return places, recs, insee


def cmd_geo_recommend(args: argparse.Namespace, settings: Settings) -> int:
    places, recs, _ = _places_and_recommendations(args, settings, "segments_long")
    if args.json:
        print(json.dumps([r.as_dict() for r in recs], indent=2))
        return 0
    if not places:
        print("no processed session: run 'maillage sessions process SESSION' first")
    for r in recs:
        cost = f" · {r.cost_eur:,.0f} EUR" if r.cost_eur is not None else ""
        budget = (
            ""
            if r.within_budget is None
            else (" · in budget" if r.within_budget else " · beyond budget")
        )
        where = f"{r.lat_deg:.5f},{r.lon_deg:.5f}"
        print(f"{r.rank:3d}. {r.title} at {where} (score {r.score:.2f}{cost}{budget})")
        for reason in r.reasons:
            print(f"       - {reason}")
    return 0


def cmd_geo_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.output.exists() and args.output.is_dir():
        raise InvalidInputError(f"{args.output} is a directory")
    level = "segments_long" if args.segment == 100 else "segments"
    places, recs, insee = _places_and_recommendations(args, settings, level)
    if args.format == "geojson":
        text = geojson(places)
    elif args.format == "csv":
        text = csv_text(places)
    else:
        title = f"Géointelligence report{f' — municipality {insee}' if insee else ''}"
        text = html_report(places, recs, title, clock.now().strftime("%Y-%m-%d %H:%M UTC"))
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InvalidInputError(f"cannot write {args.output}: {e.strerror}") from None
    result = {"format": args.format, "output": str(args.output), "segments": len(places)}
    print(json.dumps(result) if args.json else f"{len(places)} segments written to {args.output}")
    return 0


@mutating
def cmd_reports_add(args: argparse.Namespace, settings: Settings) -> int:
    lat, lon = args.at
    report = FieldReport.report(args.kind, lat, lon, args.by, args.count, args.note)
    app = open_store(settings)
    app.save(report)
    out = {"id": str(report.id), "kind": report.kind, "lat": lat, "lon": lon, "count": report.count}
    print(json.dumps(out) if args.json else f"{report.kind} report recorded at {lat:.5f},{lon:.5f}")
    return 0
