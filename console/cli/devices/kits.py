"""``maillage devices kits …``: mobile classroom kits, their reservations and check-out/in."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta

from console.cli.args import (
    by_option,
    day,
    moment,
    serials_option,
)
from console.cli.devices.common import (
    given_serials,
    local,
    query_views,
    who,
)
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.clock import PARIS
from domain.devices import service
from domain.devices.uai import normalise_uai
from domain.devices.views import (
    kits,
    reservations,
)
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``devices kits`` and its actions."""
    cmds = level.group("kits", "mobile classroom kits")
    assemble = cmds.command(
        "assemble", cmd_kit_assemble, "put delivered devices on a cart", json=True
    )
    assemble.add_argument("reference")
    assemble.add_argument("--uai", required=True)
    assemble.add_argument("--cart", required=True)
    serials_option(assemble)
    by_option(assemble)
    reserve = cmds.command("reserve", cmd_kit_reserve, "book the kit for a class", json=True)
    reserve.add_argument("reference")
    reserve.add_argument("--class", dest="class_name", required=True)
    reserve.add_argument("--start", required=True, type=moment, metavar="YYYY-MM-DDTHH:MM")
    reserve.add_argument("--end", required=True, type=moment, metavar="YYYY-MM-DDTHH:MM")
    by_option(reserve)
    cancel = cmds.command("cancel", cmd_kit_cancel, "cancel a booked reservation")
    cancel.add_argument("reference")
    cancel.add_argument("reservation")
    cancel.add_argument("--reason", required=True)
    by_option(cancel)
    out = cmds.command("check-out", cmd_kit_check_out, "the class takes the kit")
    out.add_argument("reference")
    out.add_argument("reservation")
    by_option(out)
    back = cmds.command(
        "check-in", cmd_kit_check_in, "the kit comes back: scan its devices", json=True
    )
    back.add_argument("reference")
    serials_option(back)
    by_option(back)
    lst = cmds.command("list", cmd_kit_list, "kits, their devices and what is missing", json=True)
    lst.add_argument("--uai")
    cal = cmds.command("calendar", cmd_kit_calendar, "reservations, earliest first", json=True)
    cal.add_argument("--kit")
    cal.add_argument("--uai")
    cal.add_argument("--from", dest="start", type=day, metavar="YYYY-MM-DD")
    cal.add_argument("--to", dest="end", type=day, metavar="YYYY-MM-DD", help="inclusive")
    cal.add_argument("--all", action="store_true", help="also cancelled and returned ones")


@mutating
def cmd_kit_assemble(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    school = service.find_school(app, args.uai)
    kit = service.kit_assemble(
        app, args.reference, school.uai, args.cart, serials, who(args, settings)
    )
    result = {"kit": kit.reference, "uai": kit.uai, "cart": kit.cart_id, "serials": kit.serials}
    print_result(
        args,
        result,
        f"kit {kit.reference}: {plural(len(kit.serials), 'device')} on cart {kit.cart_id}",
    )
    return 0


@mutating
def cmd_kit_reserve(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_kit(app, args.reference)
    rid = service.kit_reserve(
        app, args.reference, args.class_name, args.start, args.end, who(args, settings)
    )
    result = {
        "kit": args.reference.strip().upper(),
        "reservation": rid,
        "start": args.start.astimezone(UTC).isoformat(),
        "end": args.end.astimezone(UTC).isoformat(),
    }
    text = f"reservation {rid}: {args.class_name} from {local(args.start)} to {local(args.end)}"
    print_result(args, result, text)
    return 0


@mutating
def cmd_kit_cancel(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_kit(app, args.reference)
    service.kit_cancel(app, args.reference, args.reservation, args.reason, who(args, settings))
    print(f"reservation {args.reservation.strip().upper()} cancelled")
    return 0


@mutating
def cmd_kit_check_out(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_kit(app, args.reference)
    kit = service.kit_check_out(app, args.reference, args.reservation, who(args, settings))
    print(f"kit {kit.reference} checked out for {kit.checked_out_reservation}")
    return 0


@mutating
def cmd_kit_check_in(args: argparse.Namespace, settings: Settings) -> int:
    scanned = given_serials(args)
    app = open_store(settings)
    service.find_kit(app, args.reference)
    missing = service.kit_check_in(app, args.reference, scanned, who(args, settings))
    ref = args.reference.strip().upper()
    result = {"kit": ref, "scanned": len(scanned), "missing": missing}
    text = f"kit {ref} checked in: " + (f"missing {', '.join(missing)}" if missing else "complete")
    print_result(args, result, text)
    return 0


def cmd_kit_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        found = kits(conn, uai=normalise_uai(args.uai) if args.uai else None)
    finally:
        conn.close()
    text = [
        f"{k['reference']:<10} {k['uai']}  cart {k['cart_id']:<10} {k['status']:<12} "
        f"{plural(k['devices'], 'device')}"
        + (f", missing: {', '.join(k['missing_serials'])}" if k["missing"] else "")
        for k in found
    ]
    print_result(args, found, "\n".join(text) or "no kit")
    return 0


def _paris_midnight(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).isoformat()


def cmd_kit_calendar(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        found = reservations(
            conn,
            kit=args.kit.strip().upper() if args.kit else None,
            uai=normalise_uai(args.uai) if args.uai else None,
            start=_paris_midnight(args.start) if args.start else None,
            end=_paris_midnight(args.end + timedelta(days=1)) if args.end else None,
            include_closed=args.all,
        )
    finally:
        conn.close()
    text = [
        f"{local(r['start_at'])} → {local(r['end_at'])[11:]}  {r['kit_reference']:<10} "
        f"{r['class_name']:<12} {r['status'].replace('_', ' '):<12} {r['reservation_id']}"
        for r in found
    ]
    print_result(args, found, "\n".join(text) or "no reservation")
    return 0
