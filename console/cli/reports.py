"""``maillage reports add``: postmen's field reports (illegal dumping, failing signage, counts)."""

from __future__ import annotations

import argparse
import json

from console.cli.args import (
    count,
    lat_lon,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.sensing.field_report import REPORT_KINDS, check_report, record_report


def register(level: Level) -> None:
    """Register ``reports`` and its actions."""
    reports = level.group("reports", "postmen's field reports")
    add = reports.command("add", cmd_reports_add, "record a field report", json=True)
    add.add_argument("--kind", required=True, choices=REPORT_KINDS)
    add.add_argument("--at", required=True, type=lat_lon, metavar="LAT,LON")
    add.add_argument("--count", type=count, metavar="N")
    add.add_argument("--note", default="")
    add.add_argument("--by", required=True, metavar="NAME")


@mutating
def cmd_reports_add(args: argparse.Namespace, settings: Settings) -> int:
    lat, lon = args.at
    check_report(args.kind, lat, lon, args.by, args.count, args.note)
    app = open_store(settings)
    try:
        report = record_report(app, args.kind, lat, lon, args.by, args.count, args.note)
    finally:
        app.close()
    out = {"id": str(report.id), "kind": report.kind, "lat": lat, "lon": lon, "count": report.count}
    print(json.dumps(out) if args.json else f"{report.kind} report recorded at {lat:.5f},{lon:.5f}")
    return 0
