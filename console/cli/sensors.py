"""``maillage sensors detect``: name the sensor on each serial port."""

from __future__ import annotations

import argparse
import json

from console.cli.args import (
    seconds,
)
from console.cli.tree import Level
from console.recording.recorder import (
    expand_urls,
)
from console.roles import store_free
from console.settings import Settings
from drivers import detect as detection


def register(level: Level) -> None:
    """Register ``sensors`` and its actions."""
    sensors = level.group("sensors", "the van's serial sensors")
    det = sensors.command(
        "detect",
        cmd_detect,
        "name the sensor on each serial port (read-only: listens and asks)",
        description="List the serial ports and the URLs given, try the usual baud rates, "
        "listen and ask read-only questions, and name the sensor on each with a confidence. "
        "A simulator's ports.json may be given instead of URLs.",
        json=True,
    )
    det.add_argument("urls", nargs="*", metavar="URL")
    det.add_argument(
        "--listen", type=seconds, default=detection.LISTEN_S, metavar="S",
        help=f"seconds of listening per baud rate (default {detection.LISTEN_S})",
    )  # fmt: skip
    det.add_argument(
        "--no-system", action="store_true", help="only the URLs given, not the system's ports"
    )
    det.add_argument("--no-query", action="store_true", help="listen only, never send anything")


@store_free
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
