"""``maillage devices orders …``: a region's purchase orders and the deliveries
received for them."""

from __future__ import annotations

import argparse

from console.cli.args import (
    by_option,
    serials_option,
)
from console.cli.devices.common import (
    given_serials,
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
from console.texts.orders import order_text
from domain.devices import service
from domain.devices.purchase_order import OrderLine
from domain.devices.views import (
    orders_progress,
)
from domain.errors import NotFoundError
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``devices orders`` and its actions."""
    cmds = level.group("orders", "purchase orders and receptions")
    add = cmds.command("add", cmd_order_add, "record a region's purchase order", json=True)
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
    by_option(add)
    amend = cmds.command(
        "amend", cmd_order_amend, "change an order line's quantity or add one", json=True
    )
    amend.add_argument("reference")
    amend.add_argument("--line", required=True, type=_order_line, metavar="MODEL:KIND:QTY")
    amend.add_argument("--reason", required=True)
    by_option(amend)
    receive = cmds.command(
        "receive", cmd_receive, "a manufacturer's delivery note arrives at a depot", json=True
    )
    receive.add_argument("order")
    receive.add_argument("note", help="the delivery note's reference")
    serials_option(receive)
    receive.add_argument("--depot", required=True)
    by_option(receive)
    cmds.command("list", cmd_order_list, "orders: ordered, received, delivered", json=True)
    show = cmds.command(
        "show", cmd_order_show, "one order line by line, with its delivery notes", json=True
    )
    show.add_argument("order")


@mutating
def cmd_order_add(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    order = service.record_purchase_order(
        app, args.reference, args.region, args.buyer, args.line, who(args, settings)
    )
    result = {
        "order": order.reference,
        "lines": [x.__dict__ for x in order.reception()],
        "ordered": sum(x.ordered for x in order.reception()),
    }
    print_result(
        args,
        result,
        f"order {order.reference} recorded: {plural(result['ordered'], 'device')} ordered",
    )
    return 0


@mutating
def cmd_order_amend(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    service.find_order(app, args.reference)
    line: OrderLine = args.line
    order = service.amend_order_line(
        app, args.reference, line.model, line.kind, line.quantity, args.reason, who(args, settings)
    )
    result = {"order": order.reference, "lines": [x.__dict__ for x in order.reception()]}
    print_result(args, result, f"order {order.reference}: {line.model} now {line.quantity} ordered")
    return 0


@mutating
def cmd_receive(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    service.find_order(app, args.order)
    order = service.receive_delivery_note(
        app, args.order, args.note, serials, args.depot, who(args, settings)
    )
    reception = order.reception()
    result = {
        "order": order.reference,
        "note": args.note.strip(),
        "devices": len(serials),
        "status": order.status,
        "lines": [{**x.__dict__, "label": x.label} for x in reception],
    }
    text = [
        f"delivery note {args.note.strip()}: {plural(len(serials), 'device')} received at "
        f"{args.depot}"
    ]
    text += [f"  {x.model}: {x.label}" for x in reception]
    print_result(args, result, "\n".join(text))
    return 0


def cmd_order_list(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        orders = [o.as_json() for o in orders_progress(conn)]
    finally:
        conn.close()
    print_result(args, orders, "\n".join(order_text(o) for o in orders) or "no order recorded")
    return 0


def cmd_order_show(args: argparse.Namespace, settings: Settings) -> int:
    _, conn = query_views(settings)
    try:
        found = orders_progress(conn, args.order.strip())
    finally:
        conn.close()
    if not found:
        raise NotFoundError(f"no order {args.order.strip()} is recorded")
    order = found[0].as_json()
    print_result(args, order, order_text(order, with_notes=True))
    return 0


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
