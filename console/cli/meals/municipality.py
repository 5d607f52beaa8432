"""``maillage meals municipality add|configure``: municipalities, their contract and service
levels."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace

from console.cli.args import lat_lon, minutes, weekdays
from console.cli.output import print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.meals import service as meals
from domain.meals.municipality import CcasMail, PriceBracket, parse_bracket
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

    rules = town.command(
        "welfare-rules", cmd_welfare_rules, "what the welfare watch raises by itself", json=True
    )
    rules.add_argument("insee", metavar="INSEE")
    rules.add_argument("--absent", type=_alert_kind, metavar="CATEGORY:SEVERITY",
                       help="alert for an absence with nobody reached")  # fmt: skip
    rules.add_argument("--pattern", type=_alert_kind, metavar="CATEGORY:SEVERITY",
                       help="alert for a pattern across days")  # fmt: skip
    rules.add_argument("--uneaten", type=_within, metavar="COUNT/DAYS",
                       help="meal not eaten COUNT times in DAYS days, e.g. 2/7")  # fmt: skip
    rules.add_argument("--absences", type=_within, metavar="COUNT/DAYS",
                       help="absent COUNT times within DAYS days, e.g. 3/30")  # fmt: skip
    mail = town.command("ccas-mail", cmd_ccas_mail, "where the CCAS gets alert mails (SMTP)")
    mail.add_argument("insee", metavar="INSEE")
    mail.add_argument("--smtp", required=True, type=_host_port, metavar="HOST:PORT")
    mail.add_argument("--from", dest="sender", required=True, metavar="ADDRESS")
    mail.add_argument("--to", dest="recipient", required=True, metavar="ADDRESS")


def _alert_kind(text: str) -> tuple[str, str]:
    category, _, severity = text.partition(":")
    if not severity:
        raise argparse.ArgumentTypeError(f"{text!r} is not CATEGORY:SEVERITY")
    return category.strip(), severity.strip()


def _within(text: str) -> tuple[int, int]:
    try:
        count, days = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not COUNT/DAYS, e.g. 2/7") from None
    return count, days


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


@mutating
def cmd_welfare_rules(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    now = meals.find_municipality(app, args.insee).welfare_rules
    changes: dict[str, object] = {}
    if args.absent:
        changes |= dict(zip(("absent_category", "absent_severity"), args.absent, strict=True))
    if args.pattern:
        changes |= dict(zip(("pattern_category", "pattern_severity"), args.pattern, strict=True))
    if args.uneaten:
        changes |= dict(zip(("uneaten_count", "uneaten_days"), args.uneaten, strict=True))
    if args.absences:
        changes |= dict(zip(("absences_count", "absences_days"), args.absences, strict=True))
    town = meals.set_welfare_rules(app, args.insee, replace(now, **changes), settings.user)
    r = town.welfare_rules
    text = (
        f"{town.name}: absent and nobody reached → {r.absent_category}/{r.absent_severity}; "
        f"previous meal not eaten {r.uneaten_count}× in {r.uneaten_days} days or absent "
        f"{r.absences_count}× in {r.absences_days} days → {r.pattern_category}/{r.pattern_severity}"
    )
    print_result(args, asdict(r), text)
    return 0


@mutating
def cmd_ccas_mail(args: argparse.Namespace, settings: Settings) -> int:
    host, port = args.smtp
    town = meals.set_ccas_mail(
        open_store(settings), args.insee, CcasMail(host, port, args.sender, args.recipient),
        settings.user,
    )  # fmt: skip
    print(f"{town.name}: welfare alerts mailed to {args.recipient} through {host}:{port}")
    return 0


def bracket(text: str) -> PriceBracket:
    """An income bracket ``NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS`` (read by the domain,
    as the console reads it)."""
    try:
        return parse_bracket(text)
    except InvalidInputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


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
