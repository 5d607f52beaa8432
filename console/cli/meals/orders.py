"""``maillage meals orders|suspend|extra``: what a delivery day's orders hold, and changing them."""

from __future__ import annotations

import argparse

from console.cli.args import (
    day,
)
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.meals import service as meals
from domain.meals.beneficiary import SUSPENSION_REASONS
from domain.wording import plural


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
    found = meals.day_orders(open_store(settings), args.municipality, args.day)
    data = {
        "day": found.day.isoformat(),
        "orders_open": found.orders_open,
        "orders_close_at": found.orders_close_at.isoformat(),
        "meals": found.meals,
        "orders": [
            {
                "file_number": file_number,
                "meals": o.meals,
                "meal_days": [d.isoformat() for d, _ in o.meals_by_day],
            }
            for file_number, o in found.orders
        ],
        "kitchen": [{"regime": r, "texture": t, "meals": n} for (r, t), n in found.kitchen.items()],
    }
    print_result(args, data, "\n".join(found.lines()))
    return 0


@mutating
def cmd_suspend(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    meals.suspend(app, args.municipality, args.file_number, args.start, args.resume, args.reason)
    print(f"file {args.file_number} suspended from {args.start}, resumes on {args.resume}")
    return 0


@mutating
def cmd_extra(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    meals.add_extra_meals(app, args.municipality, args.file_number, args.day, args.meals)
    print(f"{plural(args.meals, 'extra meal')} for file {args.file_number} on {args.day}")
    return 0
