"""``maillage geo recommend|export``: segment maps, exports and ranked recommendations.

The segments come from the segments view (``domain.sensing.views``), combined over sessions;
``--journal-dir`` is only a fallback for sessions whose results the store's folder lacks."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.cli.args import (
    euros,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import scoped
from console.settings import Settings
from domain import clock
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.meals.municipality import Municipality
from domain.meals.service import find_municipality
from domain.sensing import service
from domain.sensing import views as segments
from domain.sensing.exports import csv_text, geojson, html_report
from domain.sensing.recommendations import (
    Recommendation,
    parse_rules,
    ranked_lines,
)
from domain.sensing.results_store import results_dir
from domain.territory import service as territory_service
from domain.wording import local_time, plural, short_id


def register(level: Level) -> None:
    """Register ``geo`` and its actions."""
    cmds = level.group("geo", "segment maps, exports, recommendations")
    rec = cmds.command(
        "recommend", cmd_geo_recommend, "ranked recommendations with reasons", json=True
    )
    rec.add_argument(
        "--municipality", metavar="INSEE", help="only its segments, reports and beneficiaries"
    )
    rec.add_argument("--budget", type=euros, metavar="EUR", help="yearly road budget")
    rec.add_argument("--rules", type=Path, metavar="FILE", help="TOML rules (default: shipped)")
    _journal_dir_option(rec)
    exp = cmds.command("export", cmd_geo_export, "segments as GeoJSON, CSV or HTML", json=True)
    exp.add_argument("--format", required=True, choices=("geojson", "csv", "html"))
    exp.add_argument("--output", required=True, type=Path, metavar="FILE")
    exp.add_argument("--segment", type=int, choices=(10, 100), default=100, help="metres")
    exp.add_argument("--municipality", metavar="INSEE", help="only its segments (and named)")
    exp.add_argument("--budget", type=euros, metavar="EUR")
    exp.add_argument("--rules", type=Path, metavar="FILE")
    _journal_dir_option(exp)


def _journal_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal-dir",
        type=Path,
        metavar="DIR",
        help="also look here for results the store's results folder lacks",
    )


def warn_missing(app: Maillage, missing: list[segments.ProcessedSession]) -> None:
    """One line per session left out, saying where its results were looked for."""
    where = results_dir(app.location)
    for info in missing:
        print(
            f"maillage: warning: session {short_id(info.session_id)}: {info.status} "
            f"({where / (info.results_sha256 + '.json')}); its segments are left out — "
            "process it again and run 'maillage views rebuild', or give --journal-dir",
            file=sys.stderr,
        )


@dataclass
class GeoSelection:
    """The places of one level, the ranked recommendations, the municipality if one."""

    places: list[dict[str, Any]]
    recommendations: list[Recommendation]
    town: Municipality | None
    base: list[tuple[float, float, float, float]]
    """Street segments of the road network around the places (the map's base)."""


def _places_and_recommendations(
    args: argparse.Namespace, settings: Settings, level: str
) -> GeoSelection:
    rules = None
    if args.rules is not None:
        try:
            rules = parse_rules(args.rules.read_text(encoding="utf-8"))
        except OSError as e:
            raise InvalidInputError(f"cannot read the rules {args.rules}: {e.strerror}") from None
    insee = scoped(settings, args.municipality)
    app = open_store(settings)
    town = find_municipality(app, insee) if insee else None
    found = service.places(app, insee, level, args.journal_dir, rules, args.budget)
    warn_missing(app, found.missing)
    network = territory_service.current_network(app)
    base = territory_service.base_lines(network, found.places) if network is not None else []
    return GeoSelection(found.places, found.recommendations, town, base)


def cmd_geo_recommend(args: argparse.Namespace, settings: Settings) -> int:
    found = _places_and_recommendations(args, settings, "segments_long")
    if args.json:
        print(json.dumps([r.as_dict() for r in found.recommendations], indent=2))
        return 0
    if not found.places:
        where = f" in municipality {found.town.insee_code}" if found.town else ""
        print(f"no processed session{where}: run 'maillage sessions process SESSION' first")
    for line in ranked_lines(found.recommendations):
        print(line)
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
        generated = local_time(clock.now())
        text = html_report(
            places, found.recommendations, report_title(found.town), generated, found.base
        )
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
    print(
        json.dumps(result)
        if args.json
        else f"{plural(len(places), 'segment')} written to {args.output}"
    )
    return 0
