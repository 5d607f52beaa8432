"""``maillage devices shipments …``: shipments from a depot to a school, from packing
to delivery."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.args import (
    by_option,
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
from domain.devices import service
from domain.devices.shipment import SHIPMENT_STATUSES
from domain.devices.uai import normalise_uai
from domain.devices.views import (
    shipments,
)
from domain.errors import InvalidInputError, NotFoundError
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``devices shipments`` and its actions."""
    cmds = level.group("shipments", "shipments from depot to school")
    prepare = cmds.command("prepare", cmd_ship_prepare, "open a shipment for a school", json=True)
    prepare.add_argument("reference")
    prepare.add_argument("--uai", required=True)
    prepare.add_argument("--depot", required=True)
    by_option(prepare)
    pack = cmds.command("pack", cmd_ship_pack, "scan devices into the shipment", json=True)
    pack.add_argument("reference")
    serials_option(pack)
    by_option(pack)
    seal = cmds.command("seal", cmd_ship_seal, "close it with a numbered seal")
    seal.add_argument("reference")
    seal.add_argument("--seal", required=True, metavar="NUMBER")
    by_option(seal)
    dispatch = cmds.command("dispatch", cmd_ship_dispatch, "it leaves the depot")
    dispatch.add_argument("reference")
    dispatch.add_argument("--carrier", required=True)
    by_option(dispatch)
    deliver = cmds.command("deliver", cmd_ship_deliver, "it arrives; a recipient signs", json=True)
    deliver.add_argument("reference")
    deliver.add_argument("--recipient", required=True, help="who signs the delivery note")
    deliver.add_argument(
        "--missing", action="append", default=[], metavar="SERIAL", help="did not arrive (repeat)"
    )
    by_option(deliver)
    lost = cmds.command("lost", cmd_ship_lost, "the whole shipment went missing")
    lost.add_argument("reference")
    lost.add_argument("--circumstances", required=True)
    by_option(lost)
    lst = cmds.command("list", cmd_ship_list, "shipments and their status", json=True)
    lst.add_argument("--uai")
    lst.add_argument("--status", choices=SHIPMENT_STATUSES)
    show = cmds.command("show", cmd_ship_show, "one shipment and its serials", json=True)
    show.add_argument("reference")


@mutating
def cmd_ship_prepare(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    school = service.find_school(app, args.uai)
    shipment = service.prepare_shipment(
        app, args.reference, school.uai, args.depot, who(args, settings)
    )
    result = {"shipment": shipment.reference, "uai": shipment.uai, "status": shipment.status}
    print_result(
        args, result, f"shipment {shipment.reference} for {school.uai} {school.name} opened"
    )
    return 0


@mutating
def cmd_ship_pack(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    service.find_shipment(app, args.reference)
    shipment = service.pack(app, args.reference, serials, who(args, settings))
    result = {
        "shipment": shipment.reference,
        "packed": len(serials),
        "devices": len(shipment.serials),
    }
    print_result(
        args,
        result,
        f"shipment {shipment.reference}: {len(serials)} packed, {len(shipment.serials)} inside",
    )
    return 0


@mutating
def cmd_ship_seal(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_shipment(app, args.reference)
    shipment = service.seal(app, args.reference, args.seal, who(args, settings))
    print(f"shipment {shipment.reference} sealed with {shipment.seal_number}")
    return 0


@mutating
def cmd_ship_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_shipment(app, args.reference)
    shipment = service.dispatch(app, args.reference, args.carrier, who(args, settings))
    print(f"shipment {shipment.reference} dispatched with {shipment.carrier}")
    return 0


@mutating
def cmd_ship_deliver(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    shipment = service.find_shipment(app, args.reference)
    arrived = None
    if args.missing:
        missing = {s.strip().upper() for s in args.missing}
        strangers = sorted(missing - set(shipment.serials))
        if strangers:
            raise InvalidInputError(
                f"shipment {shipment.reference} does not contain {', '.join(strangers)}"
            )
        arrived = [s for s in shipment.serials if s not in missing]
    shipment = service.deliver(app, args.reference, args.recipient, who(args, settings), arrived)
    result = {
        "shipment": shipment.reference,
        "status": shipment.status,
        "delivered": shipment.delivered_serials,
        "missing": shipment.missing_serials,
    }
    text = f"shipment {shipment.reference} {shipment.status.replace('_', ' ')}: " + (
        f"{len(shipment.delivered_serials)} delivered, signed by {shipment.recipient}"
    )
    if shipment.missing_serials:
        text += f"; missing: {', '.join(shipment.missing_serials)}"
    print_result(args, result, text)
    return 0


@mutating
def cmd_ship_lost(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_shipment(app, args.reference)
    shipment = service.report_shipment_lost(
        app, args.reference, args.circumstances, who(args, settings)
    )
    print(f"shipment {shipment.reference} lost with its {plural(len(shipment.serials), 'device')}")
    return 0


def shipment_line(s: dict[str, Any]) -> str:
    seal = f" seal {s['seal_number']}" if s["seal_number"] else ""
    missing = f", {s['missing']} missing" if s["missing"] else ""
    return (
        f"{s['reference']:<14} {s['uai']}  {s['status'].replace('_', ' '):<19} "
        f"{plural(s['devices'], 'device')}, {s['delivered']} delivered{missing}{seal}"
    )


def cmd_ship_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        uai = normalise_uai(args.uai) if args.uai else None
        found = shipments(conn, uai=uai, status=args.status)
    finally:
        conn.close()
    print_result(args, found, "\n".join(shipment_line(s) for s in found) or "no shipment")
    return 0


def cmd_ship_show(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        found = shipments(conn, reference=args.reference.strip().upper())
    finally:
        conn.close()
    if not found:
        raise NotFoundError(f"no shipment {args.reference.strip().upper()} was prepared")
    s = found[0]
    text = [shipment_line(s), f"  from {s['depot']}, prepared {local(s['prepared_at'])}"]
    text += [f"  {x['serial']:<16} {x['state']}" for x in s["items"]]
    print_result(args, s, "\n".join(text))
    return 0
