"""``maillage sessions process``, ``maillage geo recommend|export`` and ``maillage reports add``.

The console reads the journal (drivers and files meet the domain here) and hands values to
``domain.sensing``: processing, then the results kept by SHA-256 in the store's results
folder. The geo commands read the segments from the segments view (``domain.views.segments``)
and combine sessions, rank and export; ``--journal-dir`` is only a fallback for sessions
whose results the store's folder lacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

from console.arguments import lat_lon
from console.decode import decode_journal
from console.opening import municipality, open_store, views_caught_up
from console.recording import journal_dir
from console.roles import mutating, scoped
from console.settings import Settings
from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Municipality
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
    reports_near,
)
from domain.sensing.results_store import keep_results, load_results_file, results_dir
from domain.sensing.sensor_session import SensorSession
from domain.store import ViewConnection
from domain.views import segments
from domain.views.projector import Projector
from domain.views.segments import SegmentsView


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
    p.add_argument(
        "--municipality",
        metavar="INSEE",
        help="the municipality its segments belong to (default: its meal round's)",
    )
    p.add_argument("--journal-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=cmd_sessions_process)


def round_municipality(app: Maillage, round_id: UUID) -> str | None:
    """The INSEE code of a meal round's municipality (its stops' beneficiaries'), if known.

    Rounds are planned per municipality; should stops of several ever share a round, the
    one with most stops wins (then the smallest code), so the answer never depends on order.
    """
    try:
        rnd = app.get(round_id, MealRound)
    except NotFoundError:  # a session imported without its round
        return None
    counts: dict[str, int] = {}
    for stop in rnd.stops:
        code = app.get(stop["beneficiary"], Beneficiary).insee_code
        counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda code: (-counts[code], code))


def session_municipality(app: Maillage, session: SensorSession, given: str | None) -> str | None:
    """Where a session's segments belong: its meal round's municipality, else ``given``
    (which must exist), else the one its latest processing recorded."""
    code = municipality(app, given).insee_code if given else None
    if session.round_id is not None:
        from_round = round_municipality(app, session.round_id)
        if from_round is not None:
            if code is not None and code != from_round:
                raise InvalidInputError(
                    f"session {session.id} ran on a meal round of municipality {from_round}, "
                    f"not {code} (--municipality)"
                )
            return from_round
    if code is not None:
        return code
    done = session.latest_processing
    return done.get("municipality") if done else None


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
            f"session {session_id} is {session.status}: stop it before processing"
        )
    insee = session_municipality(app, session, municipality)
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


@mutating
def cmd_sessions_process(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    sid = service.find_session(app, args.session)
    session = app.get(sid, SensorSession)
    journal = args.journal or journal_dir(settings, args.journal_dir) / session.journal_name
    session, results, target, recorded = process_session(
        app, sid, journal, settings.user, municipality=args.municipality
    )
    done = session.latest_processing
    assert done is not None
    out = {
        "session": str(sid),
        "pipeline_version": PIPELINE_VERSION,
        "results_file": str(target),
        "results_sha256": done["results_sha256"],
        "municipality": done.get("municipality"),
        "recorded": recorded,
        "summary": summary(results),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        s = out["summary"]
        verb = "processed" if recorded else "already processed (same results)"
        town = f" for municipality {out['municipality']}" if out["municipality"] else ""
        print(
            f"session {sid} {verb}{town}: {s['length_m'] / 1000:.2f} km, {s['segments']} "
            f"segments, {s['potholes']} potholes → {target}"
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
    rec.add_argument(
        "--municipality", metavar="INSEE", help="only its segments, reports and beneficiaries"
    )
    rec.add_argument("--budget", type=_euros, metavar="EUR", help="yearly road budget")
    rec.add_argument("--rules", type=Path, metavar="FILE", help="TOML rules (default: shipped)")
    rec.add_argument(
        "--journal-dir",
        type=Path,
        metavar="DIR",
        help="also look here for results the store's results folder lacks",
    )
    rec.add_argument("--json", action="store_true", help="print JSON for scripts")
    rec.set_defaults(handler=cmd_geo_recommend)
    exp = cmds.add_parser("export", parents=[common], help="segments as GeoJSON, CSV or HTML")
    exp.add_argument("--format", required=True, choices=("geojson", "csv", "html"))
    exp.add_argument("--output", required=True, type=Path, metavar="FILE")
    exp.add_argument("--segment", type=int, choices=(10, 100), default=100, help="metres")
    exp.add_argument("--municipality", metavar="INSEE", help="only its segments (and named)")
    exp.add_argument("--budget", type=_euros, metavar="EUR")
    exp.add_argument("--rules", type=Path, metavar="FILE")
    exp.add_argument(
        "--journal-dir",
        type=Path,
        metavar="DIR",
        help="also look here for results the store's results folder lacks",
    )
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


@dataclass
class Segments:
    """What the view gives the geo commands: sessions' segments and those left out."""

    sessions: list[SessionResults]
    missing: list[segments.ProcessedSession]


def load_segments(
    conn: ViewConnection,
    insee: str | None,
    levels: tuple[str, ...] = segments.LEVELS,
    fallback: Path | None = None,
) -> Segments:
    """Every processed session's latest segments from the segments view (one municipality's
    with ``insee``); sessions whose results the view lacks are read from ``fallback``
    (``results_name`` there, checked against its SHA-256) or listed as missing."""
    loaded = segments.session_results(conn, insee, levels)
    missing = []
    for info in segments.processed_sessions(conn, insee):
        if info.status == segments.OK:
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


def warn_missing(app: Maillage, missing: list[segments.ProcessedSession]) -> None:
    """One line per session left out, saying where its results were looked for."""
    where = results_dir(app.location)
    for info in missing:
        print(
            f"maillage: warning: session {info.session_id}: {info.status} "
            f"({where / (info.results_sha256 + '.json')}); its segments are left out — "
            "process it again and run 'maillage views rebuild', or give --journal-dir",
            file=sys.stderr,
        )


def recommendation_context(conn: ViewConnection, app: Maillage, insee: str | None) -> Context:
    """Reports, schools and homes (positions only, counted near segments; nothing personal)."""
    reports = list(iter_reports(app))
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
    homes = []
    for bid in ids:
        home = app.get(bid, Beneficiary).home
        if not home.erased and isinstance(home.value, dict):
            homes.append((float(home.value["lat"]), float(home.value["lon"])))
    return Context(reports, schools, homes)


@dataclass
class GeoSelection:
    """The places of one level, the ranked recommendations, the municipality if one."""

    places: list[dict[str, Any]]
    recommendations: list[Recommendation]
    town: Municipality | None


def _places_and_recommendations(
    args: argparse.Namespace, settings: Settings, level: str
) -> GeoSelection:
    rules = default_rules()
    if args.rules is not None:
        try:
            rules = parse_rules(args.rules.read_text(encoding="utf-8"))
        except OSError as e:
            raise InvalidInputError(f"cannot read the rules {args.rules}: {e.strerror}") from None
    insee = scoped(settings, args.municipality)
    app = open_store(settings)
    town = municipality(app, insee) if insee else None
    conn = views_caught_up(app)
    try:
        levels = tuple(sorted({level, "segments_long"}))
        found = load_segments(conn, insee, levels, args.journal_dir)
        context = recommendation_context(conn, app, insee)
    finally:
        conn.close()
    warn_missing(app, found.missing)
    places = combine(found.sessions, level)
    long_places = places if level == "segments_long" else combine(found.sessions, "segments_long")
    if insee:
        context = replace(context, reports=reports_near(context.reports, long_places))
    recs = recommend(long_places, context, rules, args.budget)
    return GeoSelection(places, recs, town)


def cmd_geo_recommend(args: argparse.Namespace, settings: Settings) -> int:
    found = _places_and_recommendations(args, settings, "segments_long")
    if args.json:
        print(json.dumps([r.as_dict() for r in found.recommendations], indent=2))
        return 0
    if not found.places:
        where = f" in municipality {found.town.insee_code}" if found.town else ""
        print(f"no processed session{where}: run 'maillage sessions process SESSION' first")
    for r in found.recommendations:
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


def report_title(town: Municipality | None) -> str:
    """The HTML report's title: the municipality's name and INSEE code when there is one."""
    if town is None:
        return "Géointelligence report"
    return f"Géointelligence report — {town.name} ({town.insee_code})"


def cmd_geo_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.output.exists() and args.output.is_dir():
        raise InvalidInputError(f"{args.output} is a directory")
    level = "segments_long" if args.segment == 100 else "segments"
    found = _places_and_recommendations(args, settings, level)
    places = found.places
    if args.format == "geojson":
        text = geojson(places)
    elif args.format == "csv":
        text = csv_text(places)
    else:
        generated = clock.now().strftime("%Y-%m-%d %H:%M UTC")
        text = html_report(places, found.recommendations, report_title(found.town), generated)
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InvalidInputError(f"cannot write {args.output}: {e.strerror}") from None
    result = {
        "format": args.format,
        "output": str(args.output),
        "segments": len(places),
        "municipality": found.town.insee_code if found.town else None,
    }
    print(json.dumps(result) if args.json else f"{len(places)} segments written to {args.output}")
    return 0


@mutating
def cmd_reports_add(args: argparse.Namespace, settings: Settings) -> int:
    lat, lon = args.at
    # Checked before the store is opened: a refused report leaves no trace, not even a new store.
    report = FieldReport.report(args.kind, lat, lon, args.by, args.count, args.note)
    app = open_store(settings)
    try:
        app.save(report)
    finally:
        app.close()
    out = {"id": str(report.id), "kind": report.kind, "lat": lat, "lon": lon, "count": report.count}
    print(json.dumps(out) if args.json else f"{report.kind} report recorded at {lat:.5f},{lon:.5f}")
    return 0
