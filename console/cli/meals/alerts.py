"""``maillage meals alerts …``: welfare alerts, from the postman's concern to the CCAS's outcome."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any
from uuid import UUID

from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.mailing.ccas import announce_raised, mail_due_alerts
from console.opening import open_store
from console.roles import for_ccas, mutating, scoped
from console.settings import Settings
from console.texts.alerts import trail_lines
from domain.meals import service as meals
from domain.meals.welfare_alert import (
    CATEGORIES,
    SEVERITIES,
    reference_of,
)
from domain.meals.welfare_alert import (
    OUTCOMES as ALERT_OUTCOMES,
)


def register(level: Level) -> None:
    """Register ``meals alerts`` and its actions."""
    alerts = level.group("alerts", "welfare alerts and the CCAS inbox")
    raise_ = alerts.command("raise", cmd_alert_raise, "report a concern about a beneficiary")
    raise_.add_argument("file_number")
    raise_.add_argument("--municipality", required=True, metavar="INSEE")
    raise_.add_argument("--category", required=True, choices=CATEGORIES)
    raise_.add_argument("--severity", required=True, choices=SEVERITIES)
    raise_.add_argument("--note", required=True)
    raise_.add_argument("--by", required=True)
    alist = alerts.command("list", cmd_alert_list, "the inbox", json=True)
    alist.add_argument("--municipality", metavar="INSEE")
    alist.add_argument("--open", action="store_true", help="only alerts not closed yet")
    alist.add_argument(
        "--overdue", action="store_true", help="only alerts not acknowledged in time"
    )
    show = alerts.command("show", cmd_alert_show, "one alert with its note and trail", json=True)
    show.add_argument("alert")
    ack = alerts.command("ack", cmd_alert_ack, "the CCAS takes an alert in hand")
    ack.add_argument("alert")
    ack.add_argument("--by", required=True)
    follow = alerts.command("follow-up", cmd_alert_follow_up, "record an action taken")
    follow.add_argument("alert")
    follow.add_argument("--by", required=True)
    follow.add_argument("--action", required=True)
    notify = alerts.command("notify", cmd_alert_notify, "mail the CCAS the alerts still due")
    notify.add_argument("--municipality", metavar="INSEE")
    close = alerts.command("close", cmd_alert_close, "settle an alert")
    close.add_argument("alert")
    close.add_argument("--by", required=True)
    close.add_argument("--outcome", required=True, choices=ALERT_OUTCOMES)


@mutating
def cmd_alert_raise(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    alert = meals.raise_alert(
        app, args.municipality, args.file_number, args.category,
        args.severity, args.note, args.by,
    )  # fmt: skip
    print("\n".join(announce_raised(app, [alert], by_watch=False)))
    return 0


@for_ccas
def cmd_alert_list(args: argparse.Namespace, settings: Settings) -> int:
    insee = scoped(settings, args.municipality)
    records = meals.alert_rows(
        open_store(settings), insee, args.open, args.overdue, with_names=not settings.read_only
    )
    lines = [
        f"{r['reference']}  {r['raised']}  {r['category']:<16} {r['severity']:<7} "
        f"{r['status']:<12} {r['concerns']}" + ("  OVERDUE" if r["overdue"] else "")
        for r in records
    ]
    print_result(args, records, "\n".join(lines) or "no alerts")
    return 0


@for_ccas
def cmd_alert_show(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    aid = meals.find_alert(app, args.alert, settings.scope)
    _, trail = meals.alert_trail(app, aid, with_notes=not settings.read_only)
    print_result(args, {"id": str(aid), **trail}, "\n".join(trail_lines(trail)))
    return 0


@mutating
@for_ccas
def cmd_alert_ack(args: argparse.Namespace, settings: Settings) -> int:
    aid = _alert(settings, args.alert, meals.acknowledge_alert, args.by)
    print(f"welfare alert {reference_of(aid)} acknowledged by {args.by}")
    return 0


@mutating
@for_ccas
def cmd_alert_follow_up(args: argparse.Namespace, settings: Settings) -> int:
    aid = _alert(settings, args.alert, meals.follow_up_alert, args.by, args.action)
    print(f"follow-up recorded on welfare alert {reference_of(aid)}")
    return 0


@mutating
@for_ccas
def cmd_alert_close(args: argparse.Namespace, settings: Settings) -> int:
    aid = _alert(settings, args.alert, meals.close_alert, args.outcome, args.by)
    print(f"welfare alert {reference_of(aid)} closed: {args.outcome}")
    return 0


@mutating
def cmd_alert_notify(args: argparse.Namespace, settings: Settings) -> int:
    lines = mail_due_alerts(open_store(settings), args.municipality)
    print("\n".join(lines) or "no alert mail due")
    return 1 if any(line.startswith("warning:") for line in lines) else 0


def _alert(settings: Settings, text: str, command: Callable[..., Any], *values: str) -> UUID:
    """Open the store, find the alert named by ``text`` (within the user's scope) and apply
    one of the service's alert commands to it."""
    app = open_store(settings)
    aid = meals.find_alert(app, text, settings.scope)
    command(app, aid, *values)
    return aid
