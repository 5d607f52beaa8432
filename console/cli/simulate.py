"""``maillage simulate``: pseudo-terminals that behave like the van's sensors."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from console.cli.args import (
    positive_float,
)
from console.cli.tree import Level
from console.roles import store_free
from console.settings import Settings
from domain.errors import InvalidInputError


def register(level: Level) -> None:
    """Register ``simulate``."""
    sim = level.command(
        "simulate",
        cmd_simulate,
        "pseudo-terminals that behave like the van's sensors",
        description="Open one pseudo-terminal per sensor, print their paths and write the "
        "scenario's streams until it ends or Ctrl-C. ports.json and ground_truth.json (with "
        "the model of each port) are written in the directory. Record a port whose model is "
        "not the channel's default as KIND:MODEL=PATH (e.g. pm:sds011=DIR/pm).",
    )
    sim.add_argument("--scenario", type=Path, metavar="FILE", help="a scenario JSON file")
    sim.add_argument("--speed", type=positive_float, default=1.0, help="× real time")
    sim.add_argument("--dir", type=Path, metavar="DIR", help="where the ports' links go")
    sim.add_argument(
        "--sensors", type=_sensor_list, metavar="LIST", help="e.g. gps,imu,pm (default: all)"
    )
    sim.add_argument(
        "--faults",
        action="append",
        type=_faults,
        default=[],
        metavar="SENSOR:KEY=VALUE,...",
        help="faults of a sensor (repeat): noise, bit_flip, truncate, dropout (chances per "
        "chunk), unplug_at and unplugged_for (scenario seconds)",
    )
    sim.add_argument(
        "--gps",
        choices=("nmea", "ubx"),
        help="the GPS speaks NMEA 0183 or u-blox UBX NAV-PVT (default: the scenario's, nmea)",
    )
    sim.add_argument(
        "--pm",
        choices=("pms5003", "sds011", "sps30"),
        help="the particulate sensor (default: the scenario's, pms5003)",
    )
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument(
        "--json", action="store_true", help="print the ports and their models as one JSON line"
    )


def _sensor_list(text: str) -> tuple[str, ...]:
    from drivers.simulator.ports import SENSORS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SENSORS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown sensors {', '.join(unknown) or text!r}: choose from {', '.join(SENSORS)}"
        )
    return names


_FAULT_KEYS = {
    "noise": "noise",
    "bit_flip": "bit_flip",
    "truncate": "truncate",
    "dropout": "dropout",
    "unplug_at": "unplug_at_s",
    "unplugged_for": "unplugged_for_s",
}


def _faults(text: str) -> tuple[str, dict[str, float]]:
    sensor, sep, rest = text.partition(":")
    values: dict[str, float] = {}
    try:
        for item in rest.split(","):
            key, _, value = item.partition("=")
            values[_FAULT_KEYS[key.strip()]] = float(value)
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SENSOR:KEY=VALUE,... with KEY one of {', '.join(_FAULT_KEYS)}"
        ) from None
    if not sep or not sensor.strip():
        raise argparse.ArgumentTypeError(f"{text!r} names no sensor (SENSOR:KEY=VALUE,...)")
    return sensor.strip(), values


@store_free
def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from drivers.simulator.ports import SENSORS, Faults, Simulator
    from drivers.simulator.scenario import Scenario, build_field

    try:
        scenario = Scenario.load(args.scenario) if args.scenario else Scenario()
    except (OSError, ValueError, TypeError) as e:
        raise InvalidInputError(f"cannot read the scenario {args.scenario}: {e}") from None
    sensors = args.sensors or SENSORS
    faults: dict[str, Faults] = {}
    for sensor, values in args.faults:
        if sensor not in sensors:
            raise InvalidInputError(f"--faults names {sensor!r}, which is not simulated")
        faults[sensor] = Faults(**values)
    models = {k: v for k, v in (("gps", args.gps), ("pm", args.pm)) if v is not None}
    directory = args.dir or Path(tempfile.mkdtemp(prefix="maillage-sim-"))
    f = build_field(scenario)
    try:
        sim = Simulator(
            f, directory, sensors, speed=args.speed, faults=faults, seed=args.seed, models=models
        )
    except ValueError as e:
        raise InvalidInputError(f"cannot simulate the scenario {args.scenario}: {e}") from None
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        paths = sim.start()
        if args.json:
            print(
                json.dumps({"dir": str(directory), "ports": paths, "models": sim.models}),
                flush=True,
            )
        else:
            for name, path in paths.items():
                print(f"{name:<8} {path}  ({sim.models[name]})", flush=True)
            print(
                f"ports.json and ground_truth.json in {directory}; scenario of "
                f"{f.duration_s:,.0f} s at {args.speed:g}× (Ctrl-C to stop)",
                flush=True,
            )
        end = time.monotonic() + f.duration_s / args.speed + 1.0
        while not stop.wait(0.2):
            if sim.finished.is_set() or time.monotonic() >= end:
                break
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not args.json:
        print("simulation stopped" if stop.is_set() else "scenario ended", file=sys.stderr)
    return 0
