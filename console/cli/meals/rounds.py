"""``maillage meals rounds …``: a day's meal rounds — plan, optimise, load, probe,
stops, complete."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any
from uuid import UUID

from console.cli.args import (
    day,
    lat_lon,
    moment,
)
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.mailing.ccas import announce_raised
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.meals import service as meals
from domain.meals.meal_round import OUTCOMES, SIGNALS, MealRound
from domain.meals.planning import Plan
from domain.territory.travel import travel_model
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``meals rounds`` and its actions."""
    cmds = level.group("rounds", "meal rounds of a day")
    plan = cmds.command("plan", cmd_plan, "plan a day's round from the orders", json=True)
    plan.add_argument("--municipality", required=True, metavar="INSEE")
    plan.add_argument("--day", required=True, type=day, metavar="YYYY-MM-DD")
    plan.add_argument("--postman", required=True)
    plan.add_argument("--vehicle", required=True)
    plan.add_argument(
        "--optimise",
        action="store_true",
        help="order the stops with the solver (within the municipality's longest-round limit)",
    )
    opt = cmds.command(
        "optimise", cmd_optimise, "re-order a planned round, keeping pinned stops", json=True
    )
    opt.add_argument("round")
    pin = cmds.command("pin", cmd_pin, "keep a stop at its place when optimising")
    pin.add_argument("round")
    pin.add_argument("file_number")
    pin.add_argument("--municipality", required=True, metavar="INSEE")
    pin.add_argument("--unpin", action="store_true", help="let the solver move it again")
    lst = cmds.command("list", cmd_list, "rounds and their progress", json=True)
    lst.add_argument("--day", type=day, metavar="YYYY-MM-DD")
    load = cmds.command("load", cmd_load, "boxes loaded, with probe and temperature")
    load.add_argument("round")
    load.add_argument("--box", action="append", required=True, type=_box, metavar="BOX=PROBE:°C")
    load.add_argument("--at", type=moment, help="when it happened (ISO time, Paris; default now)")
    probe = cmds.command("probe", cmd_probe, "a probe reading of a box")
    probe.add_argument("round")
    probe.add_argument("--box", required=True)
    probe.add_argument("--temperature", required=True, type=float, metavar="°C")
    probe.add_argument("--at", type=moment, help="when (ISO time, default now)")
    release = cmds.command("release", cmd_release, "release a blocked box's meals")
    release.add_argument("round")
    release.add_argument("--box", required=True)
    release.add_argument("--by", required=True)
    release.add_argument("--reason", required=True)
    stop = cmds.command("stop", cmd_stop, "what happened at a stop")
    stop.add_argument("round")
    stop.add_argument("file_number")
    stop.add_argument("--municipality", required=True, metavar="INSEE")
    stop.add_argument("--outcome", required=True, choices=OUTCOMES)
    stop.add_argument("--reason", default="")
    stop.add_argument("--temperature", type=float, metavar="°C", help="at hand-over")
    stop.add_argument(
        "--released-by", default="", metavar="NAME",
        help="who releases meals handed over above +3 °C (with --release-reason)",
    )  # fmt: skip
    stop.add_argument("--release-reason", default="", metavar="TEXT")
    stop.add_argument(
        "--signal", action="append", default=[], choices=SIGNALS,
        help="what was noticed at the door (repeat); sealed with the person's key",
    )  # fmt: skip
    stop.add_argument("--signal-note", default="", metavar="TEXT", help="sealed, like signals")
    stop.add_argument("--called", choices=("contact_person", "ccas", "both"))
    stop.add_argument("--result", choices=("reached", "not_reached"))
    stop.add_argument("--at", type=moment)
    stop.add_argument("--gps", type=lat_lon, metavar="LAT,LON", help="where it was recorded")
    manifest = cmds.command(
        "manifest", cmd_manifest, "the postman's list (only what is needed at the door)", json=True
    )
    manifest.add_argument("round")
    complete = cmds.command("complete", cmd_complete, "close the round")
    complete.add_argument("round")
    complete.add_argument("--at", type=moment, help="when it happened (ISO time, Paris)")
    amend = cmds.command("amend", cmd_amend, "correct a stop's outcome (the original is kept)")
    amend.add_argument("round")
    amend.add_argument("file_number")
    amend.add_argument("--municipality", required=True, metavar="INSEE")
    amend.add_argument("--outcome", required=True, choices=OUTCOMES)
    amend.add_argument("--reason", required=True, help="why (sealed: it is about the person)")


@mutating
def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    travel, travel_label = travel_model(app)
    rnd, plan = meals.plan_day(
        app, args.municipality, args.day, args.postman, args.vehicle,
        optimise_order=args.optimise, travel=travel,
    )  # fmt: skip
    meal_count = sum(s["meals"] for s in rnd.stops)
    result = {
        "round": str(rnd.id),
        "day": rnd.day,
        "stops": len(rnd.stops),
        "meals": meal_count,
        "optimised": plan is not None,
        **_plan_figures(plan),
        "travel_times": travel_label if plan is not None else None,
    }
    text = (
        f"{meals.round_label(app, rnd)} planned: {plural(len(rnd.stops), 'stop')}, "
        f"{plural(meal_count, 'meal')}"
    )
    print_result(args, result, text + _plan_text(plan, travel_label))
    return 0


@mutating
def cmd_optimise(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rid = meals.find_round(app, args.round)
    travel, travel_label = travel_model(app)
    plan = meals.optimise_round(app, rid, travel)
    result = {"round": str(rid), **_plan_figures(plan), "travel_times": travel_label}
    name = meals.round_label(app, app.get(rid, MealRound))
    print_result(args, result, f"{name} optimised" + _plan_text(plan, travel_label))
    return 0


def _plan_figures(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {"feasible": None, "violations": [], "distance_km": None}
    return {
        "feasible": plan.feasible,
        "violations": plan.violations,
        "distance_km": round(plan.distance_m / 1000, 2),
    }


def _plan_text(plan: Plan | None, travel_label: str) -> str:
    """The solver's result in words: length, the travel times it used, and every constraint
    it could not meet."""
    if plan is None:
        return ""
    text = f", {plan.distance_m / 1000:.1f} km ({travel_label})"
    if not plan.feasible:
        text += f", {len(plan.violations)} constraints not met"
    return text + "".join(f"\n  warning: {v}" for v in plan.violations)


@mutating
def cmd_pin(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rid = meals.find_round(app, args.round)
    meals.pin_stop_of_file(app, rid, args.municipality, args.file_number, not args.unpin)
    state = "free" if args.unpin else "pinned at its place"
    print(f"stop of file {args.file_number}: {state}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    records = meals.round_rows(open_store(settings), args.day)
    lines = [
        f"{r['reference']}  {r['name']:<40} {r['status']:<9} "
        f"{r['meals_delivered']}/{r['meals']} meals"
        for r in records
    ]
    print_result(args, records, "\n".join(lines) or "no rounds")
    return 0


@mutating
def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    boxes = {box: (probe, temperature) for box, probe, temperature in args.box}
    rid, rnd = _round(settings, args.round, meals.load_boxes, boxes, args.at)
    blocked = [b for b, state in rnd.boxes.items() if state["blocked"]]
    print(
        f"round {meals.round_ref(rid)} loaded: {plural(len(boxes), 'box')}"
        + (f"; BLOCKED (above +3 °C): {', '.join(blocked)}" if blocked else "")
    )
    return 0


@mutating
def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    _, rnd = _round(settings, args.round, meals.record_probe, args.box, args.temperature, args.at)
    state = "BLOCKED by a cold-chain excursion" if rnd.boxes[args.box]["blocked"] else "ok"
    print(f"box {args.box}: {args.temperature} °C recorded ({state})")
    return 0


@mutating
def cmd_release(args: argparse.Namespace, settings: Settings) -> int:
    _round(settings, args.round, meals.release_box, args.box, args.by, args.reason)
    print(f"box {args.box} released by {args.by}")
    return 0


@mutating
def cmd_stop(args: argparse.Namespace, settings: Settings) -> int:
    contact = {"called": args.called or "", "result": args.result} if args.result else None
    app = open_store(settings)
    done = meals.record_stop_of_file(
        app, meals.find_round(app, args.round), args.municipality, args.file_number,
        args.outcome, at=args.at, reason=args.reason, handover_temperature_c=args.temperature,
        position=args.gps, contact=contact, released_by=args.released_by,
        release_reason=args.release_reason, signals=args.signal, signals_note=args.signal_note,
    )  # fmt: skip
    print(f"stop of file {args.file_number}: {args.outcome}")
    for line in announce_raised(app, done.alerts, by_watch=True):
        print(line)
    return 0


@mutating
def cmd_complete(args: argparse.Namespace, settings: Settings) -> int:
    rid, rnd = _round(settings, args.round, meals.complete_round, args.at)
    print(
        f"round {meals.round_ref(rid)} completed: {plural(rnd.meals_delivered(), 'meal')} delivered"
    )
    return 0


@mutating
def cmd_amend(args: argparse.Namespace, settings: Settings) -> int:
    _round(
        settings, args.round, meals.amend_stop_of_file, args.municipality, args.file_number,
        args.outcome, args.reason, settings.user,
    )  # fmt: skip
    print(f"stop of file {args.file_number} amended: {args.outcome} (the original stays)")
    return 0


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    rnd, lines = meals.manifest(app, meals.find_round(app, args.round))
    text = "\n".join(
        f"{x['stop']:>2}. {x['window']}  {x['name']}, {x['address']}  [{x['access_notes']}]  "
        f"tel {x['phone']}  {plural(x['meals'], 'meal')} in {x['box']}"
        for x in lines
    )
    print_result(args, lines, f"{rnd.day} · {rnd.postman} · {rnd.vehicle}\n{text}")
    return 0


def _box(text: str) -> tuple[str, str, float]:
    box, _, rest = text.partition("=")
    probe, _, temperature = rest.partition(":")
    try:
        return box.strip(), probe.strip(), float(temperature)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not BOX=PROBE:TEMPERATURE") from None


def _round(
    settings: Settings, text: str, command: Callable[..., MealRound], *values: Any, **named: Any
) -> tuple[UUID, MealRound]:
    """Open the store, find the round named by ``text`` and apply one of the service's round
    commands to it."""
    app = open_store(settings)
    rid = meals.find_round(app, text)
    return rid, command(app, rid, *values, **named)
