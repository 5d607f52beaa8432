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
from console.opening import find_by_prefix, municipality, open_store, views_caught_up
from console.roles import for_ccas, mutating, scoped
from console.settings import Settings
from console.texts.alerts import trail_lines
from domain import clock
from domain.errors import NotFoundError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Municipality
from domain.meals.views import overdue_alerts
from domain.meals.welfare_alert import (
    CATEGORIES,
    SEVERITIES,
    WelfareAlert,
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
    close = alerts.command("close", cmd_alert_close, "settle an alert")
    close.add_argument("alert")
    close.add_argument("--by", required=True)
    close.add_argument("--outcome", required=True, choices=ALERT_OUTCOMES)


@mutating
def cmd_alert_raise(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = municipality(app, args.municipality)
    who = beneficiary_id(town.insee_code, args.file_number)
    app.get(who, Beneficiary)  # the file must exist
    alert = WelfareAlert.raise_alert(who, town.id, args.category, args.severity, args.note, args.by)
    app.save(alert)
    print(f"welfare alert {alert.id} raised ({args.category}, {args.severity})")
    return 0


@for_ccas
def cmd_alert_list(args: argparse.Namespace, settings: Settings) -> int:
    insee = scoped(settings, args.municipality)
    app = open_store(settings)
    conn = views_caught_up(app)
    try:
        rows = conn.fetchall(
            "SELECT a.id, a.raised_at, a.category, a.severity, a.status, a.outcome, "
            "b.file_number, m.insee_code FROM welfare_alerts_view a "
            "LEFT JOIN beneficiaries_view b ON b.id = a.beneficiary_id "
            "LEFT JOIN welfare_service_levels m ON m.municipality_id = a.municipality_id "
            + ("WHERE m.insee_code = ? " if insee else "")
            + "ORDER BY a.raised_at",
            (insee,) if insee else (),
        )
        overdue = overdue_alerts(conn, clock.now(), insee)
    finally:
        conn.close()
    keys = (
        "id", "raised_at", "category", "severity", "status", "outcome", "file_number", "insee_code"
    )  # fmt: skip
    records = [
        {**dict(zip(keys, r, strict=True)), "overdue": r[0] in overdue}
        for r in rows
        if (not args.open or r[4] != "closed") and (not args.overdue or r[0] in overdue)
    ]
    lines = [
        f"{r['id'][:8]}  {r['raised_at'][:16]}  {r['category']:<16} {r['severity']:<7} "
        f"{r['status']:<12} file {r['file_number']}" + ("  OVERDUE" if r["overdue"] else "")
        for r in records
    ]
    print_result(args, records, "\n".join(lines) or "no alerts")
    return 0


@for_ccas
def cmd_alert_show(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    aid = _alert(app, settings, args.alert)
    alert = app.get(aid, WelfareAlert)
    trail = alert.trail(with_notes=not settings.read_only)
    print_result(args, {"id": str(aid), **trail}, "\n".join(trail_lines(trail)))
    return 0


@mutating
@for_ccas
def cmd_alert_ack(args: argparse.Namespace, settings: Settings) -> int:
    aid = _edit_alert(settings, args.alert, lambda a: a.acknowledge(args.by))
    print(f"welfare alert {aid} acknowledged by {args.by}")
    return 0


@mutating
@for_ccas
def cmd_alert_follow_up(args: argparse.Namespace, settings: Settings) -> int:
    aid = _edit_alert(settings, args.alert, lambda a: a.add_follow_up(args.by, args.action))
    print(f"follow-up recorded on welfare alert {aid}")
    return 0


@mutating
@for_ccas
def cmd_alert_close(args: argparse.Namespace, settings: Settings) -> int:
    aid = _edit_alert(settings, args.alert, lambda a: a.close(args.outcome, args.by))
    print(f"welfare alert {aid} closed: {args.outcome}")
    return 0


def _alert(app: Any, settings: Settings, text: str) -> UUID:
    """The alert named by ``text``; a scoped user only finds its municipality's."""
    aid = find_by_prefix(app, text, "welfare_alerts_view", "welfare alert")
    if settings.scope is not None:
        insee = app.get(app.get(aid, WelfareAlert).municipality_id, Municipality).insee_code
        if insee != settings.scope:  # say nothing of another municipality's alert
            raise NotFoundError(f"no welfare alert with id {text!r} in {settings.scope}")
    return aid


def _edit_alert(settings: Settings, text: str, command: Callable[[WelfareAlert], None]) -> UUID:
    """Open the store, find the alert named by ``text`` and apply ``command`` to it."""
    app = open_store(settings)
    aid = _alert(app, settings, text)
    app.edit(aid, WelfareAlert, command)
    return aid
