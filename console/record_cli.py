"""``maillage record``, ``maillage sensors detect`` and ``maillage simulate``: the van side.

``record`` runs headless for technicians: a status line per channel (a live table on a
terminal, plain lines otherwise), until Ctrl-C or ``--duration``. ``sensors detect`` names
the sensor on each port. ``simulate`` opens pseudo-terminals that behave like the sensors.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from console.opening import open_store
from console.recording import (
    ChannelSpec,
    Recorder,
    describe,
    expand_urls,
    journal_dir,
    parse_channel,
    resolve_round,
)
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.sensing import service
from drivers import detect as detection
from drivers.sensors import DEFAULT_POLL_PERIOD_S

STATUS_EVERY_S = 10.0
"""How often plain status lines are printed when the output is not a terminal."""


def add_record_commands(commands: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register ``record``, ``sensors detect`` and ``simulate``."""
    record = commands.add_parser(
        "record",
        parents=[common],
        help="record a sensor session on a van (until Ctrl-C or --duration)",
        description="Record the van's sensors into a capture journal and a sensor session. "
        "Channels are KIND[:MODEL][@BAUD]=URL with KIND one of gps, imu, pm, modem, thermal, "
        "probe; URL a device path, /dev/serial/by-id/..., socket://, rfc2217:// or loop://.",
    )
    record.add_argument("channels", nargs="+", metavar="KIND=URL", type=_channel)
    record.add_argument("--vehicle", required=True, help="the van, e.g. VAN-12")
    record.add_argument(
        "--round", dest="round_id", metavar="ROUND", help="meal round whose box the probe is in"
    )
    record.add_argument("--box", help="the round's box the probe= channel measures")
    record.add_argument("--duration", type=_seconds, metavar="S", help="stop after S seconds")
    record.add_argument(
        "--journal-dir",
        type=Path,
        metavar="DIR",
        help="where the journal goes (default: journals/ beside the store)",
    )
    record.add_argument(
        "--poll-every",
        type=_seconds,
        default=DEFAULT_POLL_PERIOD_S,
        metavar="S",
        help=f"seconds between polls of the modem and the probe (default {DEFAULT_POLL_PERIOD_S})",
    )
    record.add_argument(
        "--reading-every",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds between probe readings recorded on the round (default 60; a reading "
        "above +3 °C is recorded at once)",
    )
    record.add_argument(
        "--chunk-seconds",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="close a journal chunk (and record its SHA-256) every S seconds (default 60)",
    )
    record.add_argument(
        "--status-every",
        type=_seconds,
        default=STATUS_EVERY_S,
        metavar="S",
        help="seconds between status lines when the output is not a terminal",
    )
    record.add_argument("--json", action="store_true", help="print the summary as JSON")
    record.set_defaults(handler=cmd_record)

    sensors = commands.add_parser("sensors", parents=[common], help="the van's serial sensors")
    sensors_cmds = sensors.add_subparsers(
        dest="sensors_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    det = sensors_cmds.add_parser(
        "detect",
        parents=[common],
        help="name the sensor on each serial port (read-only: listens and asks)",
        description="List the serial ports and the URLs given, try the usual baud rates, "
        "listen and ask read-only questions, and name the sensor on each with a confidence. "
        "A simulator's ports.json may be given instead of URLs.",
    )
    det.add_argument("urls", nargs="*", metavar="URL")
    det.add_argument(
        "--listen", type=_seconds, default=detection.LISTEN_S, metavar="S",
        help=f"seconds of listening per baud rate (default {detection.LISTEN_S})",
    )  # fmt: skip
    det.add_argument(
        "--no-system", action="store_true", help="only the URLs given, not the system's ports"
    )
    det.add_argument("--no-query", action="store_true", help="listen only, never send anything")
    det.add_argument("--json", action="store_true", help="print JSON for scripts")
    det.set_defaults(handler=cmd_detect)

    sim = commands.add_parser(
        "simulate",
        parents=[common],
        help="pseudo-terminals that behave like the van's sensors",
        description="Open one pseudo-terminal per sensor, print their paths and write the "
        "scenario's streams until it ends or Ctrl-C. ports.json and ground_truth.json (with "
        "the model of each port) are written in the directory. Record a port whose model is "
        "not the channel's default as KIND:MODEL=PATH (e.g. pm:sds011=DIR/pm).",
    )
    sim.add_argument("--scenario", type=Path, metavar="FILE", help="a scenario JSON file")
    sim.add_argument("--speed", type=_positive_float, default=1.0, help="× real time")
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
    sim.set_defaults(handler=cmd_simulate)


# ----------------------------------------------------------------------------- argument types


def _channel(text: str) -> ChannelSpec:
    try:
        return parse_channel(text)
    except InvalidInputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 seconds")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0")
    return value


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


# ----------------------------------------------------------------------------- record


@mutating
def cmd_record(args: argparse.Namespace, settings: Settings) -> int:
    out, err = Console(), Console(stderr=True)
    app = open_store(settings)
    round_id = None
    if args.round_id is not None:
        if not args.box:
            raise InvalidInputError("--round needs the --box its probe is in")
        round_id = resolve_round(app, args.round_id)
        service.check_round_box(app, round_id, args.box)
    elif args.box:
        raise InvalidInputError("--box needs the --round it belongs to")
    recorder = Recorder(
        app,
        list(args.channels),
        args.vehicle,
        settings.user,
        journal_dir(settings, args.journal_dir),
        round_id=round_id,
        box=args.box,
        poll_period_s=args.poll_every,
        reading_every_s=args.reading_every,
        chunk_seconds=args.chunk_seconds,
    )
    recorder.start()
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(
            f"session {recorder.session_id} recording {args.vehicle} to {recorder.journal_path}",
            flush=True,
        )
        deadline = time.monotonic() + args.duration if args.duration else None
        if out.is_terminal and not args.json:
            with Live(status_table(recorder), console=out, refresh_per_second=4) as live:
                while not _wait(stop, deadline, 0.25):
                    live.update(status_table(recorder))
        else:
            while not _wait(stop, deadline, args.status_every):
                for line in status_lines(recorder):
                    print(line, flush=True)
    finally:
        counters = recorder.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    summary = {
        "session": str(recorder.session_id),
        "vehicle": args.vehicle,
        "journal": str(recorder.journal_path),
        "chunks": recorder.events.chunks,
        "gaps": recorder.events.gaps,
        "probe_readings": recorder.events.probe_readings,
        "store_retries": recorder.events.store_retries,
        "counters": counters,
        "problems": list(recorder.events.problems),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for line in status_lines(recorder):
            print(line)
        print(
            f"session {recorder.session_id} stopped: {summary['chunks']} chunks, "
            f"{summary['gaps']} gaps, {summary['probe_readings']} probe readings recorded"
        )
    for problem in recorder.events.problems:
        err.print(f"maillage: {problem}", markup=False, highlight=False)
    return 1 if recorder.events.problems else 0


def _wait(stop: threading.Event, deadline: float | None, step_s: float) -> bool:
    """Wait up to ``step_s``; True when it is time to stop."""
    if deadline is not None:
        step_s = max(0.0, min(step_s, deadline - time.monotonic()))
    if stop.wait(step_s):
        return True
    return deadline is not None and time.monotonic() >= deadline


def status_lines(recorder: Recorder) -> list[str]:
    """One plain line per channel: state, counters and the latest values."""
    lines = []
    for name, r in recorder.readers.items():
        c = r.counters
        lines.append(
            f"{name:<8} {r.state:<12} frames {c.frames:>7}  checksum errors {c.checksum_errors}  "
            f"dropped {c.bytes_dropped} B  reconnects {c.reconnects}  {describe(r)}"
        )
    trouble = recorder.events.store_trouble
    if trouble:
        lines.append(f"store    {trouble} ({recorder.writes_waiting} writes waiting)")
    return lines


def status_table(recorder: Recorder) -> Table:
    """The live table a terminal shows while recording."""
    table = Table(
        title=f"{recorder.vehicle} · session {str(recorder.session_id)[:8]} · "
        f"{recorder.elapsed_s:,.0f} s · {recorder.events.chunks} chunks recorded",
        title_justify="left",
    )
    for column in ("channel", "state", "frames", "errors", "dropped B", "reconnects", "latest"):
        table.add_column(column, justify="right" if column in ("frames", "errors") else "left")
    for name, r in recorder.readers.items():
        c = r.counters
        style = {"disconnected": "red", "silent": "yellow"}.get(r.state, "")
        table.add_row(
            name,
            f"[{style}]{r.state}[/]" if style else r.state,
            f"{c.frames:,}",
            str(c.checksum_errors),
            f"{c.bytes_dropped:,}",
            str(c.reconnects),
            describe(r),
        )
    trouble = recorder.events.store_trouble
    if trouble:
        table.caption = f"[yellow]{trouble} ({recorder.writes_waiting} writes waiting)[/]"
    return table


# ----------------------------------------------------------------------------- detect


def cmd_detect(args: argparse.Namespace, settings: Settings) -> int:
    urls = expand_urls(args.urls)
    results = detection.detect(
        urls, include_system=not args.no_system, listen_s=args.listen, query=not args.no_query
    )
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
        return 0
    if not results:
        print("no serial ports found (give URLs to try)")
        return 0
    for r in results:
        if r.found:
            f = r.found
            what = (
                f"{f.channel:<8} {f.label} at {f.baudrate} Bd, confidence {f.confidence:.0%} "
                f"({f.frames} frames, {f.how})"
            )
        else:
            what = "nothing recognised" + (f" ({r.error})" if r.error else "")
        print(f"{r.url}  {what}")
    return 0


# ----------------------------------------------------------------------------- simulate


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
