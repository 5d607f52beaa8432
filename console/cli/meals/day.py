"""``maillage meals day plan``: a delivery day's orders over several vans, each order once."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.args import day, positive_int
from console.cli.output import print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.meals import service as meals
from domain.meals.planning import span
from domain.territory.travel import travel_model
from domain.wording import plural


def register(level: Level) -> None:
    """Register ``meals day`` and its actions."""
    cmds = level.group("day", "a delivery day over several vans")
    plan = cmds.command(
        "plan", cmd_day_plan, "assign every order of a day to one round, over N vans", json=True
    )
    plan.add_argument("--municipality", required=True, metavar="INSEE")
    plan.add_argument("--day", required=True, type=day, metavar="YYYY-MM-DD")
    plan.add_argument("--vans", required=True, type=positive_int, metavar="N")
    plan.add_argument(
        "--boxes", type=positive_int, default=4, metavar="N",
        help=f"insulated boxes a van carries ({meals.MEALS_PER_BOX} meals a box; default 4)",
    )  # fmt: skip
    plan.add_argument(
        "--crew", action="append", default=[], metavar="POSTMAN/VEHICLE",
        help="who drives which van, in van order (repeat); vans without one are 'to assign'",
    )  # fmt: skip
    plan.add_argument(
        "--accept-unserved", action="store_true",
        help="record the plan although some orders cannot be served (needs --reason)",
    )  # fmt: skip
    plan.add_argument("--reason", default="", help="why unserved orders are accepted")


def _crew(text: str) -> tuple[str, str]:
    postman, _, vehicle = text.partition("/")
    if not postman.strip():
        raise InvalidInputError(f"crew {text!r} is not POSTMAN/VEHICLE")
    return postman.strip(), vehicle.strip()


@mutating
def cmd_day_plan(args: argparse.Namespace, settings: Settings) -> int:
    if args.accept_unserved and not args.reason.strip():
        raise InvalidInputError("--accept-unserved needs --reason: why these orders go undelivered")
    app = open_store(settings)
    travel, label = travel_model(app)
    done = meals.plan_delivery_day(
        app, args.municipality, args.day, args.vans, args.boxes, settings.user,
        crews=[_crew(c) for c in args.crew],
        accept_unserved=args.reason if args.accept_unserved else None,
        travel=travel, travel_label=label,
    )  # fmt: skip
    rounds: list[dict[str, Any]] = []
    lines = []
    for rnd, plan in done.rounds:
        name = meals.round_label(app, rnd)
        row: dict[str, Any] = {
            "round": name, "status": rnd.status, "stops": len(rnd.stops),
            "meals": sum(s["meals"] for s in rnd.stops),
            "boxes": len({s["box"] for s in rnd.stops}),
        }  # fmt: skip
        if plan is None:
            lines.append(f"{name}: {rnd.status}, kept as it is ({plural(row['stops'], 'stop')})")
        else:
            end = meals.local_clock(args.day, meals.ROUND_START_S + plan.duration_s)
            start = meals.local_clock(args.day, meals.ROUND_START_S)
            row |= {
                "distance_km": round(plan.distance_m / 1000, 2),
                "duration": span(plan.duration_s),
                "loading": start,
                "last_delivery": end,
            }
            lines.append(
                f"{name}: {plural(row['stops'], 'stop')}, {plural(row['meals'], 'meal')} in "
                f"{plural(row['boxes'], 'box')}, "
                f"{row['distance_km']:.1f} km, loading {start} → last delivery {end} "
                f"({row['duration']})"
            )
        rounds.append(row)
    lines += [f"cancelled: {meals.round_name(app, r)}" for r in done.cancelled]
    lines += [f"NOT SERVED (accepted: {args.reason}): {u}" for u in done.unserved]
    lines.append(f"travel times: {done.travel}")
    result = {
        "day": args.day.isoformat(), "rounds": rounds,
        "cancelled": [meals.round_name(app, r) for r in done.cancelled],
        "unserved": [{"file_number": u.file_number, "name": u.name, "why": u.why}
                     for u in done.unserved],
        "travel_times": done.travel,
    }  # fmt: skip
    print_result(args, result, "\n".join(lines))
    return 0
