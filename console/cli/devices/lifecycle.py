"""``maillage devices stage|allocate|hand-over|…|count``: a device's life from the depot to its
holder and back, each command a step of the device service."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from console.cli.args import (
    by_option,
    serials_option,
)
from console.cli.devices.common import (
    given_serials,
    who,
)
from console.cli.output import (
    print_result,
)
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.devices import service
from domain.devices.device import CHARTER_SIGNERS, HOLDER_ROLES
from domain.devices.inputs import enrolments
from domain.devices.views import (
    serials_at,
)
from domain.views.projector import caught_up
from domain.wording import plural


def register(level: Level) -> None:
    """Register the lifecycle actions directly under ``devices``."""
    stage = level.command(
        "stage", cmd_stage, "image devices and record their enrolment ids", json=True
    )
    serials_option(stage, "SERIAL=ENROLMENT")
    stage.add_argument("--image", required=True, metavar="VERSION", help="the master image")
    by_option(stage)
    allocate = level.command(
        "allocate", cmd_allocate, "set staged devices aside for a school", json=True
    )
    serials_option(allocate)
    allocate.add_argument("--uai", required=True)
    by_option(allocate)
    hand = level.command(
        "hand-over", cmd_hand_over, "hand a delivered device to a pupil or teacher"
    )
    hand.add_argument("serial")
    hand.add_argument("--holder", required=True, help="pseudonymous reference, never a name")
    hand.add_argument("--holder-role", required=True, choices=HOLDER_ROLES)
    hand.add_argument("--minor", action="store_true", help="a pupil under 18 (a parent signs)")
    hand.add_argument(
        "--charter-signed-by",
        choices=CHARTER_SIGNERS,
        help="the charter is signed on the spot (otherwise the hand-over waits for it)",
    )
    by_option(hand)
    sign = level.command("sign-charter", cmd_sign_charter, "the holder's charter is signed")
    sign.add_argument("serial")
    sign.add_argument("--signed-by", required=True, choices=CHARTER_SIGNERS)
    by_option(sign)
    ret = level.command("return", cmd_return, "the holder gives the device back")
    ret.add_argument("serial")
    ret.add_argument("--reason", required=True)
    by_option(ret)
    good = level.command("for-good", cmd_for_good, "end of cycle: holders keep these devices")
    serials_option(good)
    by_option(good)
    faulty = level.command("faulty", cmd_faulty, "report a fault")
    faulty.add_argument("serial")
    faulty.add_argument("--fault", required=True)
    by_option(faulty)
    repair = level.command("repair", cmd_repair, "faulty devices leave for a repairer")
    serials_option(repair)
    repair.add_argument("--repairer", required=True)
    repair.add_argument("--reference", required=True, help="the repair ticket (RMA)")
    by_option(repair)
    repaired = level.command("repaired", cmd_repaired, "a repaired device is back at a depot")
    repaired.add_argument("serial")
    repaired.add_argument("--depot", required=True)
    repaired.add_argument("--image", metavar="VERSION", help="re-imaged with this version")
    repaired.add_argument("--enrolment", help="its new enrolment id")
    by_option(repaired)
    lost = level.command("lost", cmd_lost, "devices that cannot be found")
    serials_option(lost)
    lost.add_argument("--circumstances", required=True)
    by_option(lost)
    stolen = level.command("stolen", cmd_stolen, "a stolen device (police report required)")
    stolen.add_argument("serial")
    stolen.add_argument(
        "--police-report", default="", metavar="REFERENCE", help="required: the report's reference"
    )
    stolen.add_argument("--circumstances", required=True)
    by_option(stolen)
    recover = level.command("recover", cmd_recover, "a lost or stolen device turned up")
    recover.add_argument("serial")
    recover.add_argument("--depot", required=True)
    by_option(recover)
    count_ = level.command("count", cmd_count, "count the devices at a depot or school", json=True)
    place = count_.add_mutually_exclusive_group(required=True)
    place.add_argument("--depot")
    place.add_argument("--uai")
    serials_option(count_)
    by_option(count_)


@mutating
def cmd_stage(args: argparse.Namespace, settings: Settings) -> int:
    pairs = enrolments(given_serials(args))
    app = open_store(settings)
    n = service.stage(app, pairs, args.image, who(args, settings))
    print_result(
        args, {"staged": n, "image": args.image}, f"{plural(n, 'device')} staged with {args.image}"
    )
    return 0


@mutating
def cmd_allocate(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    school = service.find_school(app, args.uai)
    n = service.allocate(app, serials, school.uai, who(args, settings))
    result = {"allocated": n, "uai": school.uai}
    print_result(args, result, f"{plural(n, 'device')} allocated to {school.uai} {school.name}")
    return 0


def _device_done(verb: str) -> Callable[[Any], str]:
    return lambda d: f"device {d.serial} {verb}: now {d.status.replace('_', ' ')}"


@mutating
def cmd_hand_over(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.hand_over(
        app,
        args.serial,
        args.holder,
        args.holder_role,
        args.minor,
        who(args, settings),
        args.charter_signed_by,
    )
    print(_device_done(f"handed to {args.holder_role} {device.holder}")(device))
    return 0


@mutating
def cmd_sign_charter(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.sign_charter(app, args.serial, args.signed_by, who(args, settings))
    print(_device_done("charter signed")(device))
    return 0


@mutating
def cmd_return(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_returned(app, args.serial, args.reason, who(args, settings))
    print(_device_done("returned")(device))
    return 0


@mutating
def cmd_for_good(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.give_for_good(app, serials, who(args, settings))
    print(f"{plural(n, 'device')} handed over for good")
    return 0


@mutating
def cmd_faulty(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_faulty(app, args.serial, args.fault, who(args, settings))
    print(_device_done("reported faulty")(device))
    return 0


@mutating
def cmd_repair(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.send_to_repair(app, serials, args.repairer, args.reference, who(args, settings))
    print(f"{plural(n, 'device')} sent to {args.repairer} under {args.reference}")
    return 0


@mutating
def cmd_repaired(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_repaired(
        app, args.serial, args.depot, who(args, settings), args.image, args.enrolment
    )
    print(_device_done(f"back from repair at {args.depot}")(device))
    return 0


@mutating
def cmd_lost(args: argparse.Namespace, settings: Settings) -> int:
    serials = given_serials(args)
    app = open_store(settings)
    n = service.report_lost(app, serials, args.circumstances, who(args, settings))
    print(f"{plural(n, 'device')} reported lost")
    return 0


@mutating
def cmd_stolen(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.report_stolen(
        app, args.serial, args.police_report, args.circumstances, who(args, settings)
    )
    print(_device_done(f"reported stolen (police report {device.police_report_reference})")(device))
    return 0


@mutating
def cmd_recover(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    device = service.recover(app, args.serial, args.depot, who(args, settings))
    print(_device_done(f"recovered at {args.depot}")(device))
    return 0


@mutating
def cmd_count(args: argparse.Namespace, settings: Settings) -> int:
    scanned = given_serials(args)
    app = open_store(settings)
    if args.uai is not None:
        kind, ref = "establishment", service.find_school(app, args.uai).uai
    else:
        kind, ref = "depot", args.depot.strip()
    conn = caught_up(app)
    try:
        candidates = serials_at(conn, kind, ref)
    finally:
        conn.close()
    count = service.count_inventory(
        app, kind, ref, scanned, who(args, settings), candidate_serials=candidates
    )
    result = {
        "location": count.location,
        "expected": len(count.expected),
        "scanned": len(count.scanned),
        "missing": count.missing,
        "unexpected": count.unexpected,
        "misplaced": count.misplaced,
        "unknown": count.unknown,
        "clean": count.is_clean,
    }
    text = [
        f"count at {count.location}: {len(count.scanned)} scanned, {len(count.expected)} expected"
        + (" — everything in its place" if count.is_clean else "")
    ]
    text += [f"  missing     {s}" for s in count.missing]
    text += [f"  misplaced   {s}  (the log places it: {w})" for s, w in count.misplaced.items()]
    text += [f"  unexpected  {s}  (unknown to the log here)" for s in count.unknown]
    print_result(args, result, "\n".join(text))
    return 0
