"""``maillage meals municipality add|configure``: municipalities, their contract and service
levels."""

from __future__ import annotations

import argparse

from console.cli.args import lat_lon, minutes, weekdays
from console.cli.output import print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.meals import service as meals
from domain.meals.municipality import PriceBracket
from domain.meals.ordering import DAY_NAMES


def register(level: Level) -> None:
    """Register ``meals municipality`` and its actions."""
    town = level.group("municipality", "municipalities and contracts")
    add = town.command(
        "add", cmd_municipality_add, "register a municipality and its contract", json=True
    )
    add.add_argument("--insee", required=True, help="INSEE commune code, e.g. 37261")
    add.add_argument("--name", required=True)
    add.add_argument("--depot", required=True, help="the postal depot that serves it")
    add.add_argument("--ccas", required=True, help="the social centre's contact (address or phone)")
    add.add_argument(
        "--bracket",
        action="append",
        required=True,
        type=bracket,
        metavar="NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS",
        help="an income bracket (repeat; leave MAX_INCOME_EUR empty on the last)",
    )
    configure = town.command(
        "configure",
        cmd_municipality_configure,
        "agreed service levels and the depot's position",
        json=True,
    )
    configure.add_argument("insee", metavar="INSEE")
    configure.add_argument(
        "--acknowledge-within",
        type=minutes,
        metavar="DURATION",
        help="delay for the CCAS to acknowledge a welfare alert, e.g. 4h or 90m",
    )
    configure.add_argument(
        "--max-round",
        type=minutes,
        metavar="DURATION",
        help="longest time from loading to the last delivery (cold chain), e.g. 3h30m",
    )
    configure.add_argument("--depot-position", type=lat_lon, metavar="LAT,LON")
    configure.add_argument(
        "--delivery-days",
        type=weekdays,
        metavar="DAYS",
        help="days meals are delivered, each bringing the meals until the next one: "
        "mon-fri (default: Friday brings the weekend), mon-sat, every-day, or mon,wed,fri",
    )


def bracket(text: str) -> PriceBracket:
    """An income bracket ``NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS``."""
    parts = text.split(":")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS"
        )
    name, max_income, meal, delivery = parts
    try:
        return PriceBracket(name, int(max_income) if max_income else None, int(meal), int(delivery))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: income and prices are whole numbers") from None


@mutating
def cmd_municipality_add(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = meals.register_municipality(
        app, args.insee, args.name, args.depot, args.ccas, args.bracket
    )
    result = {"id": str(town.id), "insee_code": town.insee_code, "name": town.name}
    print_result(args, result, f"municipality {town.name} ({town.insee_code}) registered")
    return 0


@mutating
def cmd_municipality_configure(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = meals.configure_municipality(
        app,
        args.insee,
        settings.user,
        acknowledge_within_min=args.acknowledge_within,
        max_round_min=args.max_round,
        depot_lat_lon=args.depot_position,
        delivery_days=args.delivery_days,
    )
    result = {
        "insee_code": town.insee_code,
        "acknowledge_within_min": town.acknowledge_within_min,
        "max_round_min": town.max_round_min,
        "depot_position": town.depot_lat_lon,
        "delivery_days": [DAY_NAMES[d] for d in town.delivery_weekdays],
    }
    depot = "{:.5f},{:.5f}".format(*town.depot_lat_lon) if town.depot_lat_lon else "not set"
    text = (
        f"{town.name}: alerts acknowledged within {town.acknowledge_within_min} min, "
        f"rounds at most {town.max_round_min} min, depot at {depot}, "
        f"deliveries on {','.join(result['delivery_days'])}"
    )
    print_result(args, result, text)
    return 0
