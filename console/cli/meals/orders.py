"""``maillage meals orders|suspend|extra``: what a delivery day's orders hold, and changing them."""

from __future__ import annotations

import argparse
from typing import Any
from uuid import UUID

from console.cli.args import (
    day,
)
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.opening import municipality, open_store, views_caught_up
from console.roles import mutating
from console.settings import Settings
from domain import clock
from domain.errors import RuleViolationError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import SUSPENSION_REASONS, Beneficiary
from domain.meals.ordering import (
    kitchen_counts,
    orders_close_at,
    orders_for,
    orders_open,
)


def register(level: Level) -> None:
    """Register ``meals orders``, ``meals suspend`` and ``meals extra``."""
    orders = level.command(
        "orders", cmd_orders, "a delivery day's orders and kitchen counts", json=True
    )
    orders.add_argument("--municipality", required=True, metavar="INSEE")
    orders.add_argument("--day", required=True, type=day, metavar="YYYY-MM-DD")
    suspend = level.command("suspend", cmd_suspend, "a temporary stop (resumes by itself)")
    suspend.add_argument("file_number")
    suspend.add_argument("--municipality", required=True, metavar="INSEE")
    suspend.add_argument("--from", dest="start", required=True, type=day, metavar="YYYY-MM-DD")
    suspend.add_argument("--resume", required=True, type=day, metavar="YYYY-MM-DD")
    suspend.add_argument("--reason", required=True, choices=SUSPENSION_REASONS)
    extra = level.command("extra", cmd_extra, "one-off extra meals on a day")
    extra.add_argument("file_number")
    extra.add_argument("--municipality", required=True, metavar="INSEE")
    extra.add_argument("--day", required=True, type=day, metavar="YYYY-MM-DD")
    extra.add_argument("--meals", type=int, default=1)


def cmd_orders(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = municipality(app, args.municipality)
    conn = views_caught_up(app)
    try:
        ids = conn.fetchall(
            "SELECT id FROM beneficiaries_view WHERE insee_code = ?", (town.insee_code,)
        )
    finally:
        conn.close()
    people = [app.get(UUID(r[0]), Beneficiary) for r in ids]
    orders = orders_for(people, args.day, town.delivery_weekdays)
    by_id = {b.id: b for b in people}
    counts = kitchen_counts(people, args.day, town.delivery_weekdays)
    now = clock.now()
    data = {
        "day": args.day.isoformat(),
        "orders_open": orders_open(args.day, now),
        "orders_close_at": orders_close_at(args.day).isoformat(),
        "meals": sum(o.meals for o in orders),
        "orders": [
            {
                "file_number": by_id[o.beneficiary_id].file_number,
                "meals": o.meals,
                "meal_days": [d.isoformat() for d, _ in o.meals_by_day],
            }
            for o in orders
        ],
        "kitchen": [{"regime": r, "texture": t, "meals": n} for (r, t), n in counts.items()],
    }
    state = "open" if data["orders_open"] else "closed"
    text = [
        f"{args.day}: {data['meals']} meals for {len(orders)} beneficiaries (orders {state}, "
        f"closing {data['orders_close_at']})"
    ]
    text += [f"  kitchen: {k['regime']} / {k['texture']}: {k['meals']}" for k in data["kitchen"]]
    print_result(args, data, "\n".join(text))
    return 0


def _beneficiary(app: Any, args: argparse.Namespace) -> UUID:
    who = beneficiary_id(municipality(app, args.municipality).insee_code, args.file_number)
    app.get(who, Beneficiary)
    return who


@mutating
def cmd_suspend(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    who = _beneficiary(app, args)
    app.edit(who, Beneficiary, lambda b: b.suspend(args.start, args.resume, args.reason))
    print(f"file {args.file_number} suspended from {args.start}, resumes on {args.resume}")
    return 0


@mutating
def cmd_extra(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    who = _beneficiary(app, args)
    if not orders_open(args.day, clock.now()):
        raise RuleViolationError(
            f"orders for {args.day} closed at {orders_close_at(args.day):%Y-%m-%d %H:%M} (Paris)"
        )
    app.edit(who, Beneficiary, lambda b: b.add_extra_meals(args.day, args.meals))
    print(f"{args.meals} extra meal(s) for file {args.file_number} on {args.day}")
    return 0
