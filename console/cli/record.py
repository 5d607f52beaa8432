"""``maillage record``: record a sensor session on a van, headless, for technicians.

A status line per channel (a live table on a terminal, plain lines otherwise), until Ctrl-C
or ``--duration``. The recording itself is ``console.recording``."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from console.cli.args import (
    seconds,
)
from console.cli.tree import Level
from console.opening import open_store
from console.recording.recorder import (
    ChannelSpec,
    Recorder,
    describe,
    journal_dir,
    parse_channel,
)
from console.roles import mutating
from console.settings import Settings
from domain.errors import InvalidInputError
from domain.meals.service import find_round
from domain.sensing import service
from domain.wording import plural, short_id
from drivers.sensors import DEFAULT_POLL_PERIOD_S


def register(level: Level) -> None:
    """Register ``record``."""
    record = level.command(
        "record",
        cmd_record,
        "record a sensor session on a van (until Ctrl-C or --duration)",
        description="Record the van's sensors into a capture journal and a sensor session. "
        "Channels are KIND[:MODEL][@BAUD]=URL with KIND one of gps, imu, pm, modem, thermal, "
        "probe; URL a device path, /dev/serial/by-id/..., socket://, rfc2217:// or loop://.",
        json=True,
    )
    record.add_argument("channels", nargs="+", metavar="KIND=URL", type=_channel)
    record.add_argument("--vehicle", required=True, help="the van, e.g. VAN-12")
    record.add_argument(
        "--round", dest="round_id", metavar="ROUND", help="meal round whose box the probe is in"
    )
    record.add_argument("--box", help="the round's box the probe= channel measures")
    record.add_argument("--duration", type=seconds, metavar="S", help="stop after S seconds")
    record.add_argument(
        "--journal-dir",
        type=Path,
        metavar="DIR",
        help="where the journal goes (default: journals/ beside the store)",
    )
    record.add_argument(
        "--poll-every",
        type=seconds,
        default=DEFAULT_POLL_PERIOD_S,
        metavar="S",
        help=f"seconds between polls of the modem and the probe (default {DEFAULT_POLL_PERIOD_S})",
    )
    record.add_argument(
        "--reading-every",
        type=seconds,
        default=60.0,
        metavar="S",
        help="seconds between probe readings recorded on the round (default 60; a reading "
        "above +3 °C is recorded at once)",
    )
    record.add_argument(
        "--chunk-seconds",
        type=seconds,
        default=60.0,
        metavar="S",
        help="close a journal chunk (and record its SHA-256) every S seconds (default 60)",
    )
    record.add_argument(
        "--status-every",
        type=seconds,
        default=STATUS_EVERY_S,
        metavar="S",
        help="seconds between status lines when the output is not a terminal",
    )


STATUS_EVERY_S = 10.0
"""How often plain status lines are printed when the output is not a terminal."""


def _channel(text: str) -> ChannelSpec:
    try:
        return parse_channel(text)
    except InvalidInputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


@mutating
def cmd_record(args: argparse.Namespace, settings: Settings) -> int:
    out, err = Console(), Console(stderr=True)
    app = open_store(settings)
    round_id = None
    if args.round_id is not None:
        if not args.box:
            raise InvalidInputError("--round needs the --box its probe is in")
        round_id = find_round(app, args.round_id)
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
        print(  # the first line: what other commands take to follow the session
            f"session {short_id(recorder.session_id)} recording {args.vehicle} to "
            f"{recorder.journal_path}",
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
            f"session {short_id(recorder.session_id)} stopped: "
            f"{plural(summary['chunks'], 'chunk')}, "
            f"{plural(summary['gaps'], 'gap')}, "
            f"{plural(summary['probe_readings'], 'probe reading')} recorded"
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
