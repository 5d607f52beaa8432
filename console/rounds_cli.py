"""``maillage meals rounds …`` and ``maillage meals alerts …``: the depot's daily work."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from console.alert_trail import trail_lines
from console.arguments import lat_lon
from console.opening import municipality, open_store, views_caught_up
from console.roles import for_ccas, mutating, scoped
from console.settings import Settings
from domain import clock
from domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from domain.ids import beneficiary_id
from domain.meals.beneficiary import SUSPENSION_REASONS, Beneficiary
from domain.meals.meal_round import OUTCOMES, MealRound
from domain.meals.municipality import Municipality
from domain.meals.ordering import (
    kitchen_counts,
    orders_close_at,
    orders_for,
    orders_open,
    round_manifest,
)
from domain.meals.planning import Plan
from domain.meals.service import optimise_round, plan_round
from domain.meals.welfare_alert import (
    CATEGORIES,
    SEVERITIES,
    WelfareAlert,
)
from domain.meals.welfare_alert import (
    OUTCOMES as ALERT_OUTCOMES,
)
from domain.views.meals import overdue_alerts


def add_round_commands(areas: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    rounds = areas.add_parser("rounds", parents=[common], help="meal rounds of a day")
    cmds = rounds.add_subparsers(
        dest="rounds_command", metavar="ACTION", required=True, parser_class=parser_class
    )

    plan = cmds.add_parser("plan", parents=[common], help="plan a day's round from the orders")
    plan.add_argument("--municipality", required=True, metavar="INSEE")
    plan.add_argument("--day", required=True, type=_day, metavar="YYYY-MM-DD")
    plan.add_argument("--postman", required=True)
    plan.add_argument("--vehicle", required=True)
    plan.add_argument(
        "--optimise",
        action="store_true",
        help="order the stops with the solver (within the municipality's longest-round limit)",
    )
    plan.add_argument("--json", action="store_true")
    plan.set_defaults(handler=cmd_plan)

    opt = cmds.add_parser(
        "optimise", parents=[common], help="re-order a planned round, keeping pinned stops"
    )
    opt.add_argument("round")
    opt.add_argument("--json", action="store_true")
    opt.set_defaults(handler=cmd_optimise)

    pin = cmds.add_parser("pin", parents=[common], help="keep a stop at its place when optimising")
    pin.add_argument("round")
    pin.add_argument("file_number")
    pin.add_argument("--municipality", required=True, metavar="INSEE")
    pin.add_argument("--unpin", action="store_true", help="let the solver move it again")
    pin.set_defaults(handler=cmd_pin)

    lst = cmds.add_parser("list", parents=[common], help="rounds and their progress")
    lst.add_argument("--day", type=_day, metavar="YYYY-MM-DD")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    load = cmds.add_parser(
        "load", parents=[common], help="boxes loaded, with probe and temperature"
    )
    load.add_argument("round")
    load.add_argument("--box", action="append", required=True, type=_box, metavar="BOX=PROBE:°C")
    load.set_defaults(handler=cmd_load)

    probe = cmds.add_parser("probe", parents=[common], help="a probe reading of a box")
    probe.add_argument("round")
    probe.add_argument("--box", required=True)
    probe.add_argument("--temperature", required=True, type=float, metavar="°C")
    probe.add_argument("--at", type=_moment, help="when (ISO time, default now)")
    probe.set_defaults(handler=cmd_probe)

    release = cmds.add_parser("release", parents=[common], help="release a blocked box's meals")
    release.add_argument("round")
    release.add_argument("--box", required=True)
    release.add_argument("--by", required=True)
    release.add_argument("--reason", required=True)
    release.set_defaults(handler=cmd_release)

    stop = cmds.add_parser("stop", parents=[common], help="what happened at a stop")
    stop.add_argument("round")
    stop.add_argument("file_number")
    stop.add_argument("--municipality", required=True, metavar="INSEE")
    stop.add_argument("--outcome", required=True, choices=OUTCOMES)
    stop.add_argument("--reason", default="")
    stop.add_argument("--temperature", type=float, metavar="°C", help="at hand-over")
    stop.add_argument("--called", choices=("contact_person", "ccas", "both"))
    stop.add_argument("--result", choices=("reached", "not_reached"))
    stop.add_argument("--at", type=_moment)
    stop.add_argument("--gps", type=lat_lon, metavar="LAT,LON", help="where it was recorded")
    stop.set_defaults(handler=cmd_stop)

    manifest = cmds.add_parser(
        "manifest", parents=[common], help="the postman's list (only what is needed at the door)"
    )
    manifest.add_argument("round")
    manifest.add_argument("--json", action="store_true")
    manifest.set_defaults(handler=cmd_manifest)

    orders = areas.add_parser(
        "orders", parents=[common], help="a delivery day's orders and kitchen counts"
    )
    orders.add_argument("--municipality", required=True, metavar="INSEE")
    orders.add_argument("--day", required=True, type=_day, metavar="YYYY-MM-DD")
    orders.add_argument("--json", action="store_true")
    orders.set_defaults(handler=cmd_orders)

    suspend = areas.add_parser(
        "suspend", parents=[common], help="a temporary stop (resumes by itself)"
    )
    suspend.add_argument("file_number")
    suspend.add_argument("--municipality", required=True, metavar="INSEE")
    suspend.add_argument("--from", dest="start", required=True, type=_day, metavar="YYYY-MM-DD")
    suspend.add_argument("--resume", required=True, type=_day, metavar="YYYY-MM-DD")
    suspend.add_argument("--reason", required=True, choices=SUSPENSION_REASONS)
    suspend.set_defaults(handler=cmd_suspend)

    extra = areas.add_parser("extra", parents=[common], help="one-off extra meals on a day")
    extra.add_argument("file_number")
    extra.add_argument("--municipality", required=True, metavar="INSEE")
    extra.add_argument("--day", required=True, type=_day, metavar="YYYY-MM-DD")
    extra.add_argument("--meals", type=int, default=1)
    extra.set_defaults(handler=cmd_extra)

    complete = cmds.add_parser("complete", parents=[common], help="close the round")
    complete.add_argument("round")
    complete.set_defaults(handler=cmd_complete)

    alerts = areas.add_parser("alerts", parents=[common], help="welfare alerts and the CCAS inbox")
    acmds = alerts.add_subparsers(
        dest="alerts_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    raise_ = acmds.add_parser(
        "raise", parents=[common], help="report a concern about a beneficiary"
    )
    raise_.add_argument("file_number")
    raise_.add_argument("--municipality", required=True, metavar="INSEE")
    raise_.add_argument("--category", required=True, choices=CATEGORIES)
    raise_.add_argument("--severity", required=True, choices=SEVERITIES)
    raise_.add_argument("--note", required=True)
    raise_.add_argument("--by", required=True)
    raise_.set_defaults(handler=cmd_alert_raise)
    alist = acmds.add_parser("list", parents=[common], help="the inbox")
    alist.add_argument("--municipality", metavar="INSEE")
    alist.add_argument("--open", action="store_true", help="only alerts not closed yet")
    alist.add_argument(
        "--overdue", action="store_true", help="only alerts not acknowledged in time"
    )
    alist.add_argument("--json", action="store_true")
    alist.set_defaults(handler=cmd_alert_list)
    show = acmds.add_parser("show", parents=[common], help="one alert with its note and trail")
    show.add_argument("alert")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_alert_show)
    ack = acmds.add_parser("ack", parents=[common], help="the CCAS takes an alert in hand")
    ack.add_argument("alert")
    ack.add_argument("--by", required=True)
    ack.set_defaults(handler=cmd_alert_ack)
    follow = acmds.add_parser("follow-up", parents=[common], help="record an action taken")
    follow.add_argument("alert")
    follow.add_argument("--by", required=True)
    follow.add_argument("--action", required=True)
    follow.set_defaults(handler=cmd_alert_follow_up)
    close = acmds.add_parser("close", parents=[common], help="settle an alert")
    close.add_argument("alert")
    close.add_argument("--by", required=True)
    close.add_argument("--outcome", required=True, choices=ALERT_OUTCOMES)
    close.set_defaults(handler=cmd_alert_close)


# ----------------------------------------------------------------------------- parsing


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-03-02T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.PARIS)
    return moment


def _box(text: str) -> tuple[str, str, float]:
    box, _, rest = text.partition("=")
    probe, _, temperature = rest.partition(":")
    try:
        return box.strip(), probe.strip(), float(temperature)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not BOX=PROBE:TEMPERATURE") from None


# ----------------------------------------------------------------------------- helpers


def _resolve(app: Any, text: str, table: str, what: str) -> UUID:
    """A full id, or a unique prefix of at least 6 characters, of a row of ``table``."""
    conn = views_caught_up(app)
    try:
        rows = conn.fetchall(
            f"SELECT id FROM {table} WHERE id LIKE ?", (text.strip().lower() + "%",)
        )
    finally:
        conn.close()
    if len(text.strip()) < 6 or not rows:
        raise NotFoundError(f"no {what} with id {text!r} (give at least 6 characters)")
    if len(rows) > 1:
        raise InvalidInputError(f"{len(rows)} {what}s start with {text!r}: give more characters")
    return UUID(rows[0][0])


def _round(app: Any, text: str) -> UUID:
    return _resolve(app, text, "rounds_view", "round")


def _edit_round(
    settings: Settings, text: str, command: Callable[[MealRound], None]
) -> tuple[UUID, MealRound]:
    """Open the store, find the round named by ``text`` and apply ``command`` to it."""
    app = open_store(settings)
    rid = _round(app, text)
    return rid, app.edit(rid, MealRound, command)


def _alert(app: Any, settings: Settings, text: str) -> UUID:
    """The alert named by ``text``; a scoped user only finds its municipality's."""
    aid = _resolve(app, text, "welfare_alerts_view", "welfare alert")
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


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


# ----------------------------------------------------------------------------- rounds


@mutating
def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    town = municipality(app, args.municipality)
    conn = views_caught_up(app)
    try:
        ids = conn.fetchall(
            "SELECT id FROM beneficiaries_view WHERE insee_code = ? AND status = 'active'",
            (town.insee_code,),
        )
    finally:
        conn.close()
    people = [app.get(UUID(r[0]), Beneficiary) for r in ids]
    rnd, plan = plan_round(
        app, town, people, args.day, args.postman, args.vehicle, optimise_order=args.optimise
    )
    meals = sum(s["meals"] for s in rnd.stops)
    result = {
        "round": str(rnd.id),
        "day": rnd.day,
        "stops": len(rnd.stops),
        "meals": meals,
        "optimised": plan is not None,
        **_plan_figures(plan),
    }
    text = f"round {rnd.id} planned: {len(rnd.stops)} stops, {meals} meals"
    _print(args, result, text + _plan_text(plan))
    return 0


@mutating
def cmd_optimise(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rid = _round(app, args.round)
    plan = optimise_round(app, rid)
    result = {"round": str(rid), **_plan_figures(plan)}
    _print(args, result, f"round {rid} optimised" + _plan_text(plan))
    return 0


def _plan_figures(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"feasible": None, "violations": [], "distance_km": None}
    return {
        "feasible": plan.feasible,
        "violations": plan.violations,
        "distance_km": round(plan.distance_m / 1000, 2),
    }


def _plan_text(plan: Plan | None) -> str:
    """The solver's result in words: length, and every constraint it could not meet."""
    if plan is None:
        return ""
    text = f", {plan.distance_m / 1000:.1f} km"
    if not plan.feasible:
        text += f", {len(plan.violations)} constraints not met"
    return text + "".join(f"\n  warning: {v}" for v in plan.violations)


@mutating
def cmd_pin(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rid = _round(app, args.round)
    who = beneficiary_id(municipality(app, args.municipality).insee_code, args.file_number)
    app.edit(rid, MealRound, lambda r: r.pin(who, not args.unpin))
    state = "free" if args.unpin else "pinned at its place"
    print(f"stop of file {args.file_number}: {state}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    conn = views_caught_up(app)
    try:
        query = (
            "SELECT id, day, postman, vehicle, status, stops, meals, meals_delivered, "
            "open_excursions FROM rounds_view"
        )
        rows = conn.fetchall(
            query + (" WHERE day = ?" if args.day else "") + " ORDER BY day, postman",
            (args.day.isoformat(),) if args.day else (),
        )
    finally:
        conn.close()
    keys = (
        "id",
        "day",
        "postman",
        "vehicle",
        "status",
        "stops",
        "meals",
        "meals_delivered",
        "open_excursions",
    )
    records = [dict(zip(keys, r, strict=True)) for r in rows]
    lines = [
        f"{r['id'][:8]}  {r['day']}  {r['postman']:<12} {r['status']:<9} "
        f"{r['meals_delivered']}/{r['meals']} meals"
        for r in records
    ]
    _print(args, records, "\n".join(lines) or "no rounds")
    return 0


@mutating
def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    boxes = {box: (probe, temperature) for box, probe, temperature in args.box}
    rid, rnd = _edit_round(settings, args.round, lambda r: r.load(boxes))
    blocked = [b for b, state in rnd.boxes.items() if state["blocked"]]
    print(
        f"round {rid} loaded: {len(boxes)} boxes"
        + (f"; BLOCKED (above +3 °C): {', '.join(blocked)}" if blocked else "")
    )
    return 0


@mutating
def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    at = args.at or clock.now()
    _, rnd = _edit_round(
        settings, args.round, lambda r: r.record_probe_reading(args.box, args.temperature, at)
    )
    state = "BLOCKED by a cold-chain excursion" if rnd.boxes[args.box]["blocked"] else "ok"
    print(f"box {args.box}: {args.temperature} °C recorded ({state})")
    return 0


@mutating
def cmd_release(args: argparse.Namespace, settings: Settings) -> int:
    _edit_round(settings, args.round, lambda r: r.release_box(args.box, args.by, args.reason))
    print(f"box {args.box} released by {args.by}")
    return 0


@mutating
def cmd_stop(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rid = _round(app, args.round)
    who = beneficiary_id(municipality(app, args.municipality).insee_code, args.file_number)
    contact = {"called": args.called or "", "result": args.result} if args.result else None
    app.edit(
        rid,
        MealRound,
        lambda r: r.record_stop(
            who,
            args.outcome,
            args.at or clock.now(),
            reason=args.reason,
            handover_temperature_c=args.temperature,
            position=args.gps,
            contact=contact,
        ),
    )
    print(f"stop of file {args.file_number}: {args.outcome}")
    return 0


@mutating
def cmd_complete(args: argparse.Namespace, settings: Settings) -> int:
    rid, rnd = _edit_round(settings, args.round, lambda r: r.complete())
    print(f"round {rid} completed: {rnd.meals_delivered()} meals delivered")
    return 0


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rnd = app.get(_round(app, args.round), MealRound)
    stops = [(app.get(s["beneficiary"], Beneficiary), s["meals"], s["box"]) for s in rnd.stops]
    lines = round_manifest(stops)
    text = "\n".join(
        f"{x['stop']:>2}. {x['window']}  {x['name']}, {x['address']}  [{x['access_notes']}]  "
        f"tel {x['phone']}  {x['meals']} meal(s) in {x['box']}"
        for x in lines
    )
    _print(args, lines, f"{rnd.day} · {rnd.postman} · {rnd.vehicle}\n{text}")
    return 0


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
    _print(args, data, "\n".join(text))
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


# ----------------------------------------------------------------------------- alerts


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
    _print(args, records, "\n".join(lines) or "no alerts")
    return 0


@for_ccas
def cmd_alert_show(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    aid = _alert(app, settings, args.alert)
    alert = app.get(aid, WelfareAlert)
    trail = alert.trail(with_notes=not settings.read_only)
    _print(args, {"id": str(aid), **trail}, "\n".join(trail_lines(trail)))
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
