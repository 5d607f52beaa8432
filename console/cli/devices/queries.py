"""``maillage devices list|show|establishment|overdue-counts``: what the device views say."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from console.cli.args import (
    positive_int,
)
from console.cli.devices.common import (
    local,
    query_views,
)
from console.cli.devices.shipments import shipment_line
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.settings import Settings
from domain import clock
from domain.devices.custody import custody_chain
from domain.devices.device import STATUSES
from domain.devices.inventory_count import DEFAULT_MAX_INTERVAL, overdue_locations
from domain.devices.uai import normalise_uai
from domain.devices.views import (
    device_by_serial,
    establishments_progress,
    find_devices,
    kits,
    last_counted,
    shipments,
)
from domain.errors import NotFoundError
from domain.wording import plural


def register(level: Level) -> None:
    """Register the queries directly under ``devices``."""
    lst = level.command("list", cmd_list, "devices, filtered", json=True)
    lst.add_argument("--status", choices=STATUSES)
    lst.add_argument("--uai", help="allocated to this school")
    lst.add_argument("--order")
    lst.add_argument("--holder", help="held by this pupil or teacher (reference)")
    lst.add_argument("--limit", type=positive_int, metavar="N")
    show = level.command("show", cmd_show, "one device and its chain of custody", json=True)
    show.add_argument("serial")
    school = level.command(
        "establishment", cmd_establishment, "a school's devices: by status, delivered X of Y",
        json=True,
    )  # fmt: skip
    school.add_argument("uai")
    overdue = level.command(
        "overdue-counts", cmd_overdue_counts, "places not counted for too long", json=True
    )
    overdue.add_argument(
        "--max-days",
        type=positive_int,
        default=DEFAULT_MAX_INTERVAL.days,
        help=f"longest interval between two counts (default {DEFAULT_MAX_INTERVAL.days})",
    )


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        rows = find_devices(
            conn,
            status=args.status,
            uai=normalise_uai(args.uai) if args.uai else None,
            order=args.order.strip() if args.order else None,
            holder=args.holder.strip() if args.holder else None,
            limit=args.limit,
        )
    finally:
        conn.close()
    text = [
        f"{r.serial:<16} {r.model:<22} {r.status.replace('_', ' '):<20} "
        f"{r.allocated_uai or '':<9} {r.holder or ''}"
        for r in rows
    ]
    print_result(args, [r.as_json() for r in rows], "\n".join(text) or "no device")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    app, conn = query_views(settings)
    try:
        row = device_by_serial(conn, args.serial)
    finally:
        conn.close()
    steps = custody_chain(app, args.serial)
    result = {"device": row.as_json() if row else None, "custody": [s.as_json() for s in steps]}
    head = (
        f"{row.serial}  {row.model} ({row.kind}), order {row.order_reference}: "
        f"{row.status.replace('_', ' ')}"
        if row
        else args.serial.strip().upper()
    )
    text = [head]
    for s in steps:
        refs = ", ".join(f"{k} {v}" for k, v in s.references.items())
        text.append(f"  {local(s.when)}  {s.what}")
        text.append(f"      by {s.by} · {s.where}" + (f" · {refs}" if refs else ""))
    print_result(args, result, "\n".join(text))
    return 0


def cmd_establishment(args: argparse.Namespace, settings: Settings) -> int:
    code = normalise_uai(args.uai)
    _, conn = query_views(settings)
    try:
        found = establishments_progress(conn, code)
        sent = shipments(conn, uai=code)
        school_kits = kits(conn, uai=code)
    finally:
        conn.close()
    if not found:
        raise NotFoundError(f"no establishment with UAI {code} is registered")
    progress = found[0]
    result = {
        **progress.as_json(),
        "shipments": [
            {k: s[k] for k in ("reference", "status", "devices", "delivered", "missing")}
            for s in sent
        ],
        "kits": [
            {k: x[k] for k in ("reference", "status", "devices", "missing")} for x in school_kits
        ],
    }
    text = [f"{code} {progress.name or '(not registered)'}: {progress.label}"]
    text += [f"  {status.replace('_', ' '):<22} {n}" for status, n in progress.by_status.items()]
    text += [f"  shipment {shipment_line(s)}" for s in sent]
    text += [
        f"  kit {k['reference']} {k['status']} ({plural(k['devices'], 'device')})"
        for k in school_kits
    ]
    print_result(args, result, "\n".join(text))
    return 0


def cmd_overdue_counts(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        last = last_counted(conn)
    finally:
        conn.close()
    moments = {p: datetime.fromisoformat(at) if at else None for p, at in last.items()}
    overdue = overdue_locations(moments, clock.now(), timedelta(days=args.max_days))
    result = [{"location": p, "last_counted": last[p]} for p in overdue]
    text = [
        f"{p:<40} " + (f"last counted {local(last[p])}" if last[p] else "never counted")
        for p in overdue
    ]
    print_result(args, result, "\n".join(text) or "every place was counted in time")
    return 0
