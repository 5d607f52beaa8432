"""``maillage devices …``: orders, the device lifecycle, shipments, kits, counts and queries.

Every action of the device service has a command; serials come as arguments
or from ``--serials-file`` (one per line, blank lines and ``#`` comments
ignored). Who did it is ``--by``, by default the user running the command.
Queries read the views (brought up to date first) and print JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from console.devices_import import add_import_commands
from console.opening import open_store, views_caught_up
from console.roles import mutating
from console.settings import Settings
from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.devices import service
from domain.devices.custody import custody_chain
from domain.devices.device import CHARTER_SIGNERS, HOLDER_ROLES, STATUSES
from domain.devices.establishment import Establishment
from domain.devices.inventory_count import DEFAULT_MAX_INTERVAL, overdue_locations
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.devices.purchase_order import OrderLine, PurchaseOrder
from domain.devices.shipment import SHIPMENT_STATUSES, Shipment
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, NotFoundError
from domain.ids import establishment_id, kit_id, purchase_order_id, shipment_id
from domain.store import ViewConnection
from domain.views.devices import (
    device_by_serial,
    establishments_progress,
    find_devices,
    kits,
    last_counted,
    orders_progress,
    reservations,
    serials_at,
    shipments,
)

Handler = Callable[[argparse.Namespace, Settings], int]


# ----------------------------------------------------------------------------- parser


def add_devices_commands(
    commands: Any, common: argparse.ArgumentParser, parser_class: type
) -> None:
    """Register the ``devices`` command and its areas and actions."""
    devices = commands.add_parser(
        "devices",
        parents=[common],
        help="device shipments: orders, devices, shipments, kits, counts",
    )
    areas = devices.add_subparsers(
        dest="devices_area", metavar="AREA", required=True, parser_class=parser_class
    )
    _order_commands(areas, common, parser_class)
    _lifecycle_commands(areas, common)
    _shipment_commands(areas, common, parser_class)
    _kit_commands(areas, common, parser_class)
    _query_commands(areas, common)
    add_import_commands(areas, common, parser_class)


def _sub(
    parent: Any, name: str, common: argparse.ArgumentParser, text: str, handler: Handler
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = parent.add_parser(
        name, parents=[common], help=text, description=text
    )
    parser.set_defaults(handler=handler)
    return parser


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", help="who does it, recorded in the log (default: the user)")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _serials(parser: argparse.ArgumentParser, what: str = "SERIAL") -> None:
    parser.add_argument("serials", nargs="*", metavar=what, help="serials (or --serials-file)")
    parser.add_argument(
        "--serials-file",
        type=Path,
        metavar="FILE",
        help="one per line; blank lines and # comments ignored",
    )


def _order_commands(areas: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    orders = areas.add_parser("orders", parents=[common], help="purchase orders and receptions")
    cmds = orders.add_subparsers(
        dest="orders_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    add = _sub(cmds, "add", common, "record a region's purchase order", cmd_order_add)
    add.add_argument("reference")
    add.add_argument("--region", required=True)
    add.add_argument("--buyer", required=True)
    add.add_argument(
        "--line",
        action="append",
        required=True,
        type=_order_line,
        metavar="MODEL:KIND:QTY",
        help="an order line (repeat), e.g. 'Latitude 3440:laptop:1200'",
    )
    _by(add)
    _json(add)
    amend = _sub(
        cmds, "amend", common, "change an order line's quantity or add one", cmd_order_amend
    )
    amend.add_argument("reference")
    amend.add_argument("--line", required=True, type=_order_line, metavar="MODEL:KIND:QTY")
    amend.add_argument("--reason", required=True)
    _by(amend)
    _json(amend)
    receive = _sub(
        cmds, "receive", common, "a manufacturer's delivery note arrives at a depot", cmd_receive
    )
    receive.add_argument("order")
    receive.add_argument("note", help="the delivery note's reference")
    _serials(receive)
    receive.add_argument("--depot", required=True)
    _by(receive)
    _json(receive)
    lst = _sub(cmds, "list", common, "orders: ordered, received, delivered", cmd_order_list)
    _json(lst)
    show = _sub(
        cmds, "show", common, "one order line by line, with its delivery notes", cmd_order_show
    )
    show.add_argument("order")
    _json(show)


def _lifecycle_commands(areas: Any, common: argparse.ArgumentParser) -> None:
    stage = _sub(areas, "stage", common, "image devices and record their enrolment ids", cmd_stage)
    _serials(stage, "SERIAL=ENROLMENT")
    stage.add_argument("--image", required=True, metavar="VERSION", help="the master image")
    _by(stage)
    _json(stage)
    allocate = _sub(
        areas, "allocate", common, "set staged devices aside for a school", cmd_allocate
    )
    _serials(allocate)
    allocate.add_argument("--uai", required=True)
    _by(allocate)
    _json(allocate)

    hand = _sub(
        areas, "hand-over", common, "hand a delivered device to a pupil or teacher", cmd_hand_over
    )
    hand.add_argument("serial")
    hand.add_argument("--holder", required=True, help="pseudonymous reference, never a name")
    hand.add_argument("--holder-role", required=True, choices=HOLDER_ROLES)
    hand.add_argument("--minor", action="store_true", help="a pupil under 18 (a parent signs)")
    hand.add_argument(
        "--charter-signed-by",
        choices=CHARTER_SIGNERS,
        help="the charter is signed on the spot (otherwise the hand-over waits for it)",
    )
    _by(hand)
    sign = _sub(areas, "sign-charter", common, "the holder's charter is signed", cmd_sign_charter)
    sign.add_argument("serial")
    sign.add_argument("--signed-by", required=True, choices=CHARTER_SIGNERS)
    _by(sign)
    ret = _sub(areas, "return", common, "the holder gives the device back", cmd_return)
    ret.add_argument("serial")
    ret.add_argument("--reason", required=True)
    _by(ret)
    good = _sub(areas, "for-good", common, "end of cycle: holders keep these devices", cmd_for_good)
    _serials(good)
    _by(good)
    faulty = _sub(areas, "faulty", common, "report a fault", cmd_faulty)
    faulty.add_argument("serial")
    faulty.add_argument("--fault", required=True)
    _by(faulty)
    repair = _sub(areas, "repair", common, "faulty devices leave for a repairer", cmd_repair)
    _serials(repair)
    repair.add_argument("--repairer", required=True)
    repair.add_argument("--reference", required=True, help="the repair ticket (RMA)")
    _by(repair)
    repaired = _sub(areas, "repaired", common, "a repaired device is back at a depot", cmd_repaired)
    repaired.add_argument("serial")
    repaired.add_argument("--depot", required=True)
    repaired.add_argument("--image", metavar="VERSION", help="re-imaged with this version")
    repaired.add_argument("--enrolment", help="its new enrolment id")
    _by(repaired)
    lost = _sub(areas, "lost", common, "devices that cannot be found", cmd_lost)
    _serials(lost)
    lost.add_argument("--circumstances", required=True)
    _by(lost)
    stolen = _sub(areas, "stolen", common, "a stolen device (police report required)", cmd_stolen)
    stolen.add_argument("serial")
    stolen.add_argument(
        "--police-report", default="", metavar="REFERENCE", help="required: the report's reference"
    )
    stolen.add_argument("--circumstances", required=True)
    _by(stolen)
    recover = _sub(areas, "recover", common, "a lost or stolen device turned up", cmd_recover)
    recover.add_argument("serial")
    recover.add_argument("--depot", required=True)
    _by(recover)

    count = _sub(areas, "count", common, "count the devices at a depot or school", cmd_count)
    place = count.add_mutually_exclusive_group(required=True)
    place.add_argument("--depot")
    place.add_argument("--uai")
    _serials(count)
    _by(count)
    _json(count)


def _shipment_commands(areas: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    ships = areas.add_parser("shipments", parents=[common], help="shipments from depot to school")
    cmds = ships.add_subparsers(
        dest="shipments_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    prepare = _sub(cmds, "prepare", common, "open a shipment for a school", cmd_ship_prepare)
    prepare.add_argument("reference")
    prepare.add_argument("--uai", required=True)
    prepare.add_argument("--depot", required=True)
    _by(prepare)
    _json(prepare)
    pack = _sub(cmds, "pack", common, "scan devices into the shipment", cmd_ship_pack)
    pack.add_argument("reference")
    _serials(pack)
    _by(pack)
    _json(pack)
    seal = _sub(cmds, "seal", common, "close it with a numbered seal", cmd_ship_seal)
    seal.add_argument("reference")
    seal.add_argument("--seal", required=True, metavar="NUMBER")
    _by(seal)
    dispatch = _sub(cmds, "dispatch", common, "it leaves the depot", cmd_ship_dispatch)
    dispatch.add_argument("reference")
    dispatch.add_argument("--carrier", required=True)
    _by(dispatch)
    deliver = _sub(cmds, "deliver", common, "it arrives; a recipient signs", cmd_ship_deliver)
    deliver.add_argument("reference")
    deliver.add_argument("--recipient", required=True, help="who signs the delivery note")
    deliver.add_argument(
        "--missing", action="append", default=[], metavar="SERIAL", help="did not arrive (repeat)"
    )
    _by(deliver)
    _json(deliver)
    lost = _sub(cmds, "lost", common, "the whole shipment went missing", cmd_ship_lost)
    lost.add_argument("reference")
    lost.add_argument("--circumstances", required=True)
    _by(lost)
    lst = _sub(cmds, "list", common, "shipments and their status", cmd_ship_list)
    lst.add_argument("--uai")
    lst.add_argument("--status", choices=SHIPMENT_STATUSES)
    _json(lst)
    show = _sub(cmds, "show", common, "one shipment and its serials", cmd_ship_show)
    show.add_argument("reference")
    _json(show)


def _kit_commands(areas: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    kit = areas.add_parser("kits", parents=[common], help="mobile classroom kits")
    cmds = kit.add_subparsers(
        dest="kits_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    assemble = _sub(cmds, "assemble", common, "put delivered devices on a cart", cmd_kit_assemble)
    assemble.add_argument("reference")
    assemble.add_argument("--uai", required=True)
    assemble.add_argument("--cart", required=True)
    _serials(assemble)
    _by(assemble)
    _json(assemble)
    reserve = _sub(cmds, "reserve", common, "book the kit for a class", cmd_kit_reserve)
    reserve.add_argument("reference")
    reserve.add_argument("--class", dest="class_name", required=True)
    reserve.add_argument("--start", required=True, type=_moment, metavar="YYYY-MM-DDTHH:MM")
    reserve.add_argument("--end", required=True, type=_moment, metavar="YYYY-MM-DDTHH:MM")
    _by(reserve)
    _json(reserve)
    cancel = _sub(cmds, "cancel", common, "cancel a booked reservation", cmd_kit_cancel)
    cancel.add_argument("reference")
    cancel.add_argument("reservation")
    cancel.add_argument("--reason", required=True)
    _by(cancel)
    out = _sub(cmds, "check-out", common, "the class takes the kit", cmd_kit_check_out)
    out.add_argument("reference")
    out.add_argument("reservation")
    _by(out)
    back = _sub(cmds, "check-in", common, "the kit comes back: scan its devices", cmd_kit_check_in)
    back.add_argument("reference")
    _serials(back)
    _by(back)
    _json(back)
    lst = _sub(cmds, "list", common, "kits, their devices and what is missing", cmd_kit_list)
    lst.add_argument("--uai")
    _json(lst)
    cal = _sub(cmds, "calendar", common, "reservations, earliest first", cmd_kit_calendar)
    cal.add_argument("--kit")
    cal.add_argument("--uai")
    cal.add_argument("--from", dest="start", type=_day, metavar="YYYY-MM-DD")
    cal.add_argument("--to", dest="end", type=_day, metavar="YYYY-MM-DD", help="inclusive")
    cal.add_argument("--all", action="store_true", help="also cancelled and returned ones")
    _json(cal)


def _query_commands(areas: Any, common: argparse.ArgumentParser) -> None:
    lst = _sub(areas, "list", common, "devices, filtered", cmd_list)
    lst.add_argument("--status", choices=STATUSES)
    lst.add_argument("--uai", help="allocated to this school")
    lst.add_argument("--order")
    lst.add_argument("--holder", help="held by this pupil or teacher (reference)")
    lst.add_argument("--limit", type=_positive, metavar="N")
    _json(lst)
    show = _sub(areas, "show", common, "one device and its chain of custody", cmd_show)
    show.add_argument("serial")
    _json(show)
    school = _sub(
        areas, "establishment", common, "a school's devices: by status, delivered X of Y",
        cmd_establishment,
    )  # fmt: skip
    school.add_argument("uai")
    _json(school)
    overdue = _sub(
        areas, "overdue-counts", common, "places not counted for too long", cmd_overdue_counts
    )
    overdue.add_argument(
        "--max-days",
        type=_positive,
        default=DEFAULT_MAX_INTERVAL.days,
        help=f"longest interval between two counts (default {DEFAULT_MAX_INTERVAL.days})",
    )
    _json(overdue)


# ----------------------------------------------------------------------------- parsing


def _order_line(text: str) -> OrderLine:
    model, sep1, rest = text.rpartition(":")
    model, sep2, kind = model.rpartition(":")
    try:
        quantity = int(rest)
    except ValueError:
        quantity = None
    if not (sep1 and sep2 and model.strip()) or quantity is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODEL:KIND:QUANTITY")
    return OrderLine(model.strip(), kind.strip(), quantity)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def _moment(text: str) -> datetime:
    """An ISO time; without a time zone it is Paris time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-03-02T09:30") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def read_lines(path: Path) -> list[str]:
    """The meaningful lines of a serials file: trimmed, without blanks and ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"serials file {path} does not exist") from None
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"serials file {path} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise InvalidInputError(f"cannot read serials file {path}: {e.strerror}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def given_serials(args: argparse.Namespace) -> list[str]:
    """Serials typed as arguments, then those of ``--serials-file``."""
    from_file = read_lines(args.serials_file) if args.serials_file is not None else []
    return [*args.serials, *from_file]


_ENROLMENT_SPLIT = re.compile(r"\s*[=,;\t ]\s*")


def enrolments(items: list[str]) -> dict[str, str]:
    """``SERIAL=ENROLMENT`` items (also ``SERIAL,ENROLMENT`` or separated by spaces)."""
    out: dict[str, str] = {}
    for item in items:
        parts = _ENROLMENT_SPLIT.split(item.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise InvalidInputError(f"{item!r} is not SERIAL=ENROLMENT_ID")
        serial = parts[0].strip().upper()
        if serial in out:
            raise InvalidInputError(f"staging: serial given twice: {serial}")
        out[serial] = parts[1].strip()
    if not out:
        raise InvalidInputError("staging: no serial given")
    return out


# ----------------------------------------------------------------------------- helpers


def _who(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.by) if args.by is not None else settings.user


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def _local(iso: str | datetime | None) -> str:
    """A UTC time as Paris wall time for people."""
    if iso is None:
        return ""
    moment = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso)
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def _exists(app: Maillage, aggregate_id: Any, kind: type, message: str) -> Any:
    """The aggregate, or ``NotFoundError(message)`` naming what the user typed."""
    try:
        return app.get(aggregate_id, kind)
    except NotFoundError:
        raise NotFoundError(message) from None


def _order(app: Maillage, reference: str) -> PurchaseOrder:
    return _exists(
        app,
        purchase_order_id(reference),
        PurchaseOrder,
        f"no order {reference.strip()} is recorded",
    )


def _shipment(app: Maillage, reference: str) -> Shipment:
    ref = reference.strip().upper()
    return _exists(app, shipment_id(ref), Shipment, f"no shipment {ref} was prepared")


def _kit(app: Maillage, reference: str) -> MobileClassroomKit:
    ref = reference.strip().upper()
    return _exists(app, kit_id(ref), MobileClassroomKit, f"no kit {ref} was assembled")


def _school(app: Maillage, uai: str) -> Establishment:
    code = normalise_uai(uai)
    return _exists(
        app,
        establishment_id(code),
        Establishment,
        f"no establishment with UAI {code} is registered",
    )


def _query(settings: Settings) -> tuple[Maillage, ViewConnection]:
    app = open_store(settings)
    return app, views_caught_up(app)


def _order_text(order: dict[str, Any]) -> str:
    lines = [
        f"order {order['reference']} ({order['region']}, {order['buyer']}): "
        f"{order['status'].replace('_', ' ')}; {order['received']} of {order['ordered']} received, "
        f"delivered {order['delivered']} of {order['ordered']}"
    ]
    for x in order["lines"]:
        lines.append(
            f"  {x['model']} ({x['kind']}): {x['received']} of {x['ordered']} received, "
            f"delivered {x['delivered']} of {x['ordered']}"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- orders


@mutating
def cmd_order_add(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    order = service.record_purchase_order(
        app, args.reference, args.region, args.buyer, args.line, _who(args, settings)
    )
    result = {
        "order": order.reference,
        "lines": [x.__dict__ for x in order.reception()],
        "ordered": sum(x.ordered for x in order.reception()),
    }
    _print(args, result, f"order {order.reference} recorded: {result['ordered']} devices ordered")
    return 0


@mutating
def cmd_order_amend(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _order(app, args.reference)
    line: OrderLine = args.line
    order = service.amend_order_line(
        app, args.reference, line.model, line.kind, line.quantity, args.reason, _who(args, settings)
    )
    result = {"order": order.reference, "lines": [x.__dict__ for x in order.reception()]}
    _print(args, result, f"order {order.reference}: {line.model} now {line.quantity} ordered")
    return 0


@mutating
def cmd_receive(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    _order(app, args.order)
    order = service.receive_delivery_note(
        app, args.order, args.note, serials, args.depot, _who(args, settings)
    )
    reception = order.reception()
    result = {
        "order": order.reference,
        "note": args.note.strip(),
        "devices": len(serials),
        "status": order.status,
        "lines": [{**x.__dict__, "label": x.label} for x in reception],
    }
    text = [f"delivery note {args.note.strip()}: {len(serials)} devices received at {args.depot}"]
    text += [f"  {x.model}: {x.label}" for x in reception]
    _print(args, result, "\n".join(text))
    return 0


def cmd_order_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        orders = [o.as_json() for o in orders_progress(conn)]
    finally:
        conn.close()
    _print(args, orders, "\n".join(_order_text(o) for o in orders) or "no order recorded")
    return 0


def cmd_order_show(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        found = orders_progress(conn, args.order.strip())
    finally:
        conn.close()
    if not found:
        raise NotFoundError(f"no order {args.order.strip()} is recorded")
    order = found[0].as_json()
    notes = [
        f"  note {n['note']}: {n['quantity']} {n['model']} on {_local(n['at'])} by {n['by']}"
        for n in order["delivery_notes"]
    ]
    _print(args, order, "\n".join([_order_text(order), *notes]))
    return 0


# ----------------------------------------------------------------------------- lifecycle


@mutating
def cmd_stage(args: argparse.Namespace, settings: Settings) -> int:
    pairs = enrolments(given_serials(args))
    app = open_store(settings)
    n = service.stage(app, pairs, args.image, _who(args, settings))
    _print(args, {"staged": n, "image": args.image}, f"{n} devices staged with {args.image}")
    return 0


@mutating
def cmd_allocate(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    school = _school(app, args.uai)
    n = service.allocate(app, serials, school.uai, _who(args, settings))
    result = {"allocated": n, "uai": school.uai}
    _print(args, result, f"{n} devices allocated to {school.uai} {school.name}")
    return 0


def _device_done(verb: str) -> Callable[[Any], str]:
    return lambda d: f"device {d.serial} {verb}: now {d.status.replace('_', ' ')}"


@mutating
def cmd_hand_over(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.hand_over(
        app,
        args.serial,
        args.holder,
        args.holder_role,
        args.minor,
        _who(args, settings),
        args.charter_signed_by,
    )
    print(_device_done(f"handed to {args.holder_role} {device.holder}")(device))
    return 0


@mutating
def cmd_sign_charter(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.sign_charter(app, args.serial, args.signed_by, _who(args, settings))
    print(_device_done("charter signed")(device))
    return 0


@mutating
def cmd_return(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_returned(app, args.serial, args.reason, _who(args, settings))
    print(_device_done("returned")(device))
    return 0


@mutating
def cmd_for_good(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.give_for_good(app, serials, _who(args, settings))
    print(f"{n} devices handed over for good")
    return 0


@mutating
def cmd_faulty(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_faulty(app, args.serial, args.fault, _who(args, settings))
    print(_device_done("reported faulty")(device))
    return 0


@mutating
def cmd_repair(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.send_to_repair(app, serials, args.repairer, args.reference, _who(args, settings))
    print(f"{n} devices sent to {args.repairer} under {args.reference}")
    return 0


@mutating
def cmd_repaired(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_repaired(
        app, args.serial, args.depot, _who(args, settings), args.image, args.enrolment
    )
    print(_device_done(f"back from repair at {args.depot}")(device))
    return 0


@mutating
def cmd_lost(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.report_lost(app, serials, args.circumstances, _who(args, settings))
    print(f"{n} devices reported lost")
    return 0


@mutating
def cmd_stolen(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_stolen(
        app, args.serial, args.police_report, args.circumstances, _who(args, settings)
    )
    print(_device_done(f"reported stolen (police report {device.police_report_reference})")(device))
    return 0


@mutating
def cmd_recover(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.recover(app, args.serial, args.depot, _who(args, settings))
    print(_device_done(f"recovered at {args.depot}")(device))
    return 0


@mutating
def cmd_count(args: argparse.Namespace, settings: Settings) -> int:
    scanned = given_serials(args)
    app = open_store(settings)
    if args.uai is not None:
        kind, ref = "establishment", _school(app, args.uai).uai
    else:
        kind, ref = "depot", args.depot.strip()
    conn = views_caught_up(app)
    try:
        candidates = serials_at(conn, kind, ref)
    finally:
        conn.close()
    count = service.count_inventory(
        app, kind, ref, scanned, _who(args, settings), candidate_serials=candidates
    )
    result = {
        "location": count.location,
        "expected": len(count.expected),
        "scanned": len(count.scanned),
        "missing": count.missing,
        "unexpected": count.unexpected,
        "misplaced": count.misplaced,
        "unknown": count.unknown,
        "clean": count.is_clean,
    }
    text = [
        f"count at {count.location}: {len(count.scanned)} scanned, {len(count.expected)} expected"
        + (" — everything in its place" if count.is_clean else "")
    ]
    text += [f"  missing     {s}" for s in count.missing]
    text += [f"  misplaced   {s}  (the log places it: {w})" for s, w in count.misplaced.items()]
    text += [f"  unexpected  {s}  (unknown to the log here)" for s in count.unknown]
    _print(args, result, "\n".join(text))
    return 0


# ----------------------------------------------------------------------------- shipments


@mutating
def cmd_ship_prepare(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    school = _school(app, args.uai)
    shipment = service.prepare_shipment(
        app, args.reference, school.uai, args.depot, _who(args, settings)
    )
    result = {"shipment": shipment.reference, "uai": shipment.uai, "status": shipment.status}
    _print(args, result, f"shipment {shipment.reference} for {school.uai} {school.name} opened")
    return 0


@mutating
def cmd_ship_pack(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    _shipment(app, args.reference)
    shipment = service.pack(app, args.reference, serials, _who(args, settings))
    result = {
        "shipment": shipment.reference,
        "packed": len(serials),
        "devices": len(shipment.serials),
    }
    _print(
        args,
        result,
        f"shipment {shipment.reference}: {len(serials)} packed, {len(shipment.serials)} inside",
    )
    return 0


@mutating
def cmd_ship_seal(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _shipment(app, args.reference)
    shipment = service.seal(app, args.reference, args.seal, _who(args, settings))
    print(f"shipment {shipment.reference} sealed with {shipment.seal_number}")
    return 0


@mutating
def cmd_ship_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _shipment(app, args.reference)
    shipment = service.dispatch(app, args.reference, args.carrier, _who(args, settings))
    print(f"shipment {shipment.reference} dispatched with {shipment.carrier}")
    return 0


@mutating
def cmd_ship_deliver(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    shipment = _shipment(app, args.reference)
    arrived = None
    if args.missing:
        missing = {s.strip().upper() for s in args.missing}
        strangers = sorted(missing - set(shipment.serials))
        if strangers:
            raise InvalidInputError(
                f"shipment {shipment.reference} does not contain {', '.join(strangers)}"
            )
        arrived = [s for s in shipment.serials if s not in missing]
    shipment = service.deliver(app, args.reference, args.recipient, _who(args, settings), arrived)
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
    _print(args, result, text)
    return 0


@mutating
def cmd_ship_lost(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _shipment(app, args.reference)
    shipment = service.report_shipment_lost(
        app, args.reference, args.circumstances, _who(args, settings)
    )
    print(f"shipment {shipment.reference} lost with its {len(shipment.serials)} devices")
    return 0


def _shipment_line(s: dict[str, Any]) -> str:
    seal = f" seal {s['seal_number']}" if s["seal_number"] else ""
    missing = f", {s['missing']} missing" if s["missing"] else ""
    return (
        f"{s['reference']:<14} {s['uai']}  {s['status'].replace('_', ' '):<19} "
        f"{s['devices']} devices, {s['delivered']} delivered{missing}{seal}"
    )


def cmd_ship_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        uai = normalise_uai(args.uai) if args.uai else None
        found = shipments(conn, uai=uai, status=args.status)
    finally:
        conn.close()
    _print(args, found, "\n".join(_shipment_line(s) for s in found) or "no shipment")
    return 0


def cmd_ship_show(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        found = shipments(conn, reference=args.reference.strip().upper())
    finally:
        conn.close()
    if not found:
        raise NotFoundError(f"no shipment {args.reference.strip().upper()} was prepared")
    s = found[0]
    text = [_shipment_line(s), f"  from {s['depot']}, prepared {_local(s['prepared_at'])}"]
    text += [f"  {x['serial']:<16} {x['state']}" for x in s["items"]]
    _print(args, s, "\n".join(text))
    return 0


# ----------------------------------------------------------------------------- kits


@mutating
def cmd_kit_assemble(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    school = _school(app, args.uai)
    kit = service.kit_assemble(
        app, args.reference, school.uai, args.cart, serials, _who(args, settings)
    )
    result = {"kit": kit.reference, "uai": kit.uai, "cart": kit.cart_id, "serials": kit.serials}
    _print(args, result, f"kit {kit.reference}: {len(kit.serials)} devices on cart {kit.cart_id}")
    return 0


@mutating
def cmd_kit_reserve(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _kit(app, args.reference)
    rid = service.kit_reserve(
        app, args.reference, args.class_name, args.start, args.end, _who(args, settings)
    )
    result = {
        "kit": args.reference.strip().upper(),
        "reservation": rid,
        "start": args.start.astimezone(UTC).isoformat(),
        "end": args.end.astimezone(UTC).isoformat(),
    }
    text = f"reservation {rid}: {args.class_name} from {_local(args.start)} to {_local(args.end)}"
    _print(args, result, text)
    return 0


@mutating
def cmd_kit_cancel(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _kit(app, args.reference)
    service.kit_cancel(app, args.reference, args.reservation, args.reason, _who(args, settings))
    print(f"reservation {args.reservation.strip().upper()} cancelled")
    return 0


@mutating
def cmd_kit_check_out(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _kit(app, args.reference)
    kit = service.kit_check_out(app, args.reference, args.reservation, _who(args, settings))
    print(f"kit {kit.reference} checked out for {kit.checked_out_reservation}")
    return 0


@mutating
def cmd_kit_check_in(args: argparse.Namespace, settings: Settings) -> int:
    scanned = given_serials(args)
    app = open_store(settings)
    _kit(app, args.reference)
    missing = service.kit_check_in(app, args.reference, scanned, _who(args, settings))
    ref = args.reference.strip().upper()
    result = {"kit": ref, "scanned": len(scanned), "missing": missing}
    text = f"kit {ref} checked in: " + (f"missing {', '.join(missing)}" if missing else "complete")
    _print(args, result, text)
    return 0


def cmd_kit_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        found = kits(conn, uai=normalise_uai(args.uai) if args.uai else None)
    finally:
        conn.close()
    text = [
        f"{k['reference']:<10} {k['uai']}  cart {k['cart_id']:<10} {k['status']:<12} "
        f"{k['devices']} devices"
        + (f", missing: {', '.join(k['missing_serials'])}" if k["missing"] else "")
        for k in found
    ]
    _print(args, found, "\n".join(text) or "no kit")
    return 0


def _paris_midnight(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).isoformat()


def cmd_kit_calendar(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
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
        f"{_local(r['start_at'])} → {_local(r['end_at'])[11:]}  {r['kit_reference']:<10} "
        f"{r['class_name']:<12} {r['status'].replace('_', ' '):<12} {r['reservation_id']}"
        for r in found
    ]
    _print(args, found, "\n".join(text) or "no reservation")
    return 0


# ----------------------------------------------------------------------------- queries


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
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
    _print(args, [r.as_json() for r in rows], "\n".join(text) or "no device")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    app, conn = _query(settings)
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
        text.append(f"  {_local(s.when)}  {s.what}")
        text.append(f"      by {s.by} · {s.where}" + (f" · {refs}" if refs else ""))
    _print(args, result, "\n".join(text))
    return 0


def cmd_establishment(args: argparse.Namespace, settings: Settings) -> int:
    code = normalise_uai(args.uai)
    _, conn = _query(settings)
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
    text += [f"  shipment {_shipment_line(s)}" for s in sent]
    text += [f"  kit {k['reference']} {k['status']} ({k['devices']} devices)" for k in school_kits]
    _print(args, result, "\n".join(text))
    return 0


def cmd_overdue_counts(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = _query(settings)
    try:
        last = last_counted(conn)
    finally:
        conn.close()
    moments = {p: datetime.fromisoformat(at) if at else None for p, at in last.items()}
    overdue = overdue_locations(moments, clock.now(), timedelta(days=args.max_days))
    result = [{"location": p, "last_counted": last[p]} for p in overdue]
    text = [
        f"{p:<40} " + (f"last counted {_local(last[p])}" if last[p] else "never counted")
        for p in overdue
    ]
    _print(args, result, "\n".join(text) or "every place was counted in time")
    return 0
