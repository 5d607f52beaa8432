"""``maillage serve``: the console served to browsers behind a login (``console.serving``).

TLS is the reverse proxy's job (docs/SECURITY.md, "Deploying the browser access"): serve on
127.0.0.1 behind it and give ``--public-url https://…``. ``--insecure-cookies`` drops the
cookies' ``Secure`` attribute, for a browser on http://127.0.0.1 only (tests, a trial).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from console.cli.output import EXIT_OK
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import STORE_ENV, Settings
from domain.errors import InvalidInputError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def register(level: Level) -> None:
    cmd = level.command(
        "serve",
        cmd_serve,
        "serve the console to browsers behind a login (the CCAS at the town hall)",
        description="Each browser that signs in (login and web password, set with 'maillage "
        "people password') gets its own console process, run as that person with the role "
        "and municipality they were granted. Put a reverse proxy with TLS in front "
        "(docs/SECURITY.md).",
    )
    cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    cmd.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    cmd.add_argument(
        "--idle-minutes",
        type=float,
        default=15.0,
        help="sign a browser out after this long without a request or a keystroke (15)",
    )
    cmd.add_argument(
        "--public-url",
        default="",
        help="the address browsers use, e.g. https://ccas.example.org (the reverse proxy's); "
        "requests from any other origin are refused (default http://HOST:PORT)",
    )
    cmd.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="session cookies without 'Secure', for plain http on 127.0.0.1 only",
    )
    cmd.add_argument(
        "--trust-proxy",
        action="store_true",
        help="take the client's address from X-Forwarded-For (set it only behind your proxy)",
    )


@mutating  # it writes sessions: not for a read-only role (nor ccas, which runs it not)
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from console.serving.server import ConsoleServer, ServeOptions, console_argv
    except ImportError as e:
        raise InvalidInputError(
            f"'maillage serve' needs the [serve] extra (pip install 'maillage[serve]'): {e}"
        ) from None
    if args.insecure_cookies and args.host not in LOOPBACK:
        raise InvalidInputError(
            "--insecure-cookies is for a browser on this machine only: serve on 127.0.0.1, or "
            "put a reverse proxy with TLS in front and keep the cookies Secure"
        )
    if not 0 < args.port < 65536:
        raise InvalidInputError(f"--port {args.port} is not a TCP port (1-65535)")
    if not args.idle_minutes > 0:
        raise InvalidInputError("--idle-minutes must be more than 0")
    if args.public_url and not args.public_url.startswith(("https://", "http://")):
        raise InvalidInputError("--public-url must start with https:// (or http://)")
    options = ServeOptions(
        host=args.host,
        port=args.port,
        idle_minutes=args.idle_minutes,
        public_url=args.public_url,
        secure_cookies=not args.insecure_cookies,
        trust_proxy=args.trust_proxy,
    )
    store = open_store(replace(settings, may_create=False))  # an existing store only
    # The console processes open the same store: given by variable (a PostgreSQL URL with a
    # password never shows in ps).
    os.environ[STORE_ENV] = (
        getattr(args, "store", None) or os.environ.get(STORE_ENV) or str(settings.location.path)
    )
    try:
        ConsoleServer(store, options, console_argv()).serve()
    finally:
        store.close()
    return EXIT_OK
