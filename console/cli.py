"""The ``maillage`` command line: every action of the console, scriptable.

Exit status: 0 success, 1 failure while working, 2 bad usage or bad input.
A user error prints one line naming the problem (``--debug`` shows the
traceback); it never prints a traceback otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from console import settings as settings_mod
from console.audit_cli import add_audit_commands
from console.devices_cli import add_devices_commands
from console.geo_cli import add_geo_commands
from console.meals_cli import add_meals_commands
from console.opening import open_store
from console.record_cli import add_record_commands
from console.roles import check_allowed, creates_store, for_ccas, may_create_store, mutating
from console.sessions_cli import add_sessions_commands
from console.settings import Settings
from domain.application import Maillage
from domain.errors import MaillageError, UserError
from domain.store import one_line
from domain.summary import summarise
from domain.views.catalogue import all_views
from domain.views.projector import Projector

if TYPE_CHECKING:
    from console.app import MaillageApp

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

stdout = Console()
stderr = Console(stderr=True)


def package_version() -> str:
    try:
        return version("maillage")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    """argparse with maillage's one-line error format and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"maillage: error: {message}\n")


def _common_options() -> argparse.ArgumentParser:
    """Options accepted before or after the sub-command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        default=argparse.SUPPRESS,
        help="SQLite file or postgresql://user@host:port/db[?schema=s] "
        f"(default: ${settings_mod.STORE_ENV}, else a file in the user data directory)",
    )
    common.add_argument(
        "--role",
        default=argparse.SUPPRESS,
        choices=sorted(settings_mod.ROLES),
        help=f"who is working (default: ${settings_mod.ROLE_ENV}, else operator)",
    )
    common.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        help=f"who is working, recorded with every command (default: ${settings_mod.USER_ENV})",
    )
    common.add_argument(
        "--scope",
        default=argparse.SUPPRESS,
        metavar="INSEE",
        help="the municipality a ccas user works for; its alerts and files only "
        f"(default: ${settings_mod.SCOPE_ENV})",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = _Parser(
        prog="maillage",
        description="Operations console for meal rounds, device shipments and sensor sessions. "
        "Without a command, opens the console (TUI).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"maillage {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="create (or reuse) the demo store and open the console on it",
        description="Create the demo store on first use (or reuse it) and open the console.",
    )
    demo.add_argument(
        "--fresh", action="store_true", help="delete and rebuild the demo store (asks first)"
    )
    demo.add_argument("--yes", action="store_true", help="do not ask before --fresh")
    demo.add_argument("--no-tui", action="store_true", help="build the demo store only")
    demo.set_defaults(handler=cmd_demo)

    store = commands.add_parser("store", parents=[common], help="the event store")
    store_cmds = store.add_subparsers(
        dest="store_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    info = store_cmds.add_parser(
        "info", parents=[common], help="backend, location, events, positions of the views"
    )
    info.add_argument("--json", action="store_true", help="print JSON for scripts")
    info.set_defaults(handler=cmd_store_info)
    init = store_cmds.add_parser(
        "init",
        parents=[common],
        help="create an empty store (the --store location, else the default one)",
        description="Create an empty store at the --store location (else the default one); "
        "an existing store is left as it is.",
    )
    init.set_defaults(handler=cmd_store_init)

    views = commands.add_parser("views", parents=[common], help="read models built from the log")
    views_cmds = views.add_subparsers(
        dest="views_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    for name, handler, text in (
        ("rebuild", cmd_views_rebuild, "drop every view and rebuild it from the whole log"),
        ("update", cmd_views_update, "bring every view up to the end of the log"),
    ):
        sub = views_cmds.add_parser(name, parents=[common], help=text, description=text)
        sub.add_argument(
            "--batch-size", type=_positive_int, default=1000, help="events per transaction"
        )
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        sub.set_defaults(handler=handler)
    add_meals_commands(commands, common, _Parser)
    add_devices_commands(commands, common, _Parser)
    add_audit_commands(commands, common, _Parser)
    add_record_commands(commands, common, _Parser)
    add_sessions_commands(commands, common, _Parser)
    add_geo_commands(commands, common, _Parser)
    return parser


_COMMAND_LEVELS = (
    "command",
    "meals_area",
    "store_command",
    "views_command",
    "town_command",
    "people_command",
    "rounds_command",
    "alerts_command",
    "audit_command",
    "devices_area",
    "import_command",
    "orders_command",
    "shipments_command",
    "kits_command",
    "sensors_command",
    "sessions_command",
    "geo_command",
    "reports_command",
)


def command_path(args: argparse.Namespace) -> str:
    """The sub-commands the user typed, e.g. ``meals rounds load``."""
    return " ".join(str(getattr(args, k)) for k in _COMMAND_LEVELS if getattr(args, k, None))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


# ----------------------------------------------------------------------------- helpers


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def _run_projector(app: Maillage, batch_size: int, rebuild: bool) -> dict[str, Any]:
    with Projector(app, all_views(), batch_size=batch_size) as projector, _progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(view: str, position: int, target: int) -> None:
            if view not in tasks:
                tasks[view] = bar.add_task(f"view {view}", total=target)
            bar.update(tasks[view], completed=position, total=target)

        applied = projector.rebuild(progress) if rebuild else projector.catch_up(progress)
        positions = projector.positions()
    return {
        "applied": applied,
        "views": {p.name: p.position for p in positions},
        "last_position": app.last_position(),
    }


# ----------------------------------------------------------------------------- commands


@for_ccas
def cmd_store_info(args: argparse.Namespace, settings: Settings) -> int:
    summary = summarise(open_store(settings))
    if args.json:
        print(
            json.dumps(
                {**summary.as_json(), "role": settings.role, "user": settings.user}, indent=2
            )
        )
        return EXIT_OK
    table = Table(title="maillage store", show_header=False)
    for label, value in summary.rows():
        table.add_row(label, value)
    stdout.print(table)
    return EXIT_OK


@creates_store
def cmd_store_init(args: argparse.Namespace, settings: Settings) -> int:
    existed = settings.location.exists()
    app = open_store(settings)
    app.close()
    verb = "already exists" if existed else "created"
    stdout.print(f"store {verb}: {settings.location.label}")
    return EXIT_OK


def cmd_views_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    result = _run_projector(app, args.batch_size, rebuild=True)
    _report_views(args, "rebuilt", result)
    return EXIT_OK


@for_ccas
def cmd_views_update(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    result = _run_projector(app, args.batch_size, rebuild=False)
    _report_views(args, "updated", result)
    return EXIT_OK


def _report_views(args: argparse.Namespace, verb: str, result: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(result, indent=2))
        return
    stdout.print(
        f"{len(result['views'])} views {verb}: {result['applied']:,} events applied, "
        f"log position {result['last_position']:,}"
    )


@mutating
@creates_store
def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Build the demo in a new location or in its own demo store (never in a real store),
    again when it was built for another day, then open the console on it."""
    from console.demo import build_demo, discard_demo
    from console.recording import journal_dir
    from domain import clock
    from domain.clock import PARIS
    from domain.demo_store import demo_mark, is_current

    location = settings.location
    journals = journal_dir(settings)
    today = clock.now().astimezone(PARIS).date()
    if location.exists():
        app = open_store(settings)
        mark = demo_mark(app)
        app.close()
        demo_path = location.kind == "sqlite" and location.path == settings_mod.demo_store_path()
        if mark is None and not demo_path:
            raise UserError(
                f"{location.label} is not a demo store: 'maillage demo' builds only in a new "
                "location or in its own demo store, never in a store with real data"
            )
        if args.fresh:
            if (
                not args.yes
                and sys.stdin.isatty()
                and not _confirm(
                    f"Delete the demo store at {location.label} and build it again? [y/N] "
                )
            ):
                stderr.print("nothing changed")
                return EXIT_OK
            discard_demo(location, journals)
        elif mark is None or not is_current(mark, today):
            built = f"built for {mark.built_for}" if mark else "from an earlier version"
            stderr.print(f"the demo store was {built}: building it again for {today}")
            discard_demo(location, journals)
    app = open_store(settings)
    if app.last_position() == 0:
        with _progress_bar() as bar:
            task = bar.add_task("demo data", total=None)

            def progress(_: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            build_demo(app, clock.now(), journals, progress)
        stderr.print(f"demo store created at {location.label}")
    _run_projector(app, 1000, rebuild=False)
    if args.no_tui:
        return EXIT_OK
    return run_tui(settings, app)


def _confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (no answer means no)."""
    try:
        return input(question).strip().lower() in ("y", "yes", "o", "oui")
    except EOFError:
        return False


@for_ccas
def cmd_tui(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    _run_projector(app, 1000, rebuild=False)
    return run_tui(settings, app)


def run_tui(settings: Settings, app: Maillage) -> int:
    result = tui(settings, app).run()
    return int(result or 0)


def tui(settings: Settings, app: Maillage) -> MaillageApp:
    """The console on an open store, each write recorded with the screen and worker that made
    it ("console RoundScreen record_outcome"), or "console" outside a worker."""
    from console.app import MaillageApp

    app.act_as(settings.actor, "console")
    app.command_namer = worker_command
    return MaillageApp(settings, app)


def worker_command() -> str | None:
    """The TUI command writing now: the screen (or widget) and the thread worker doing it."""
    from textual.worker import NoActiveWorker, get_current_worker

    try:
        worker = get_current_worker()
    except NoActiveWorker:  # written from the event loop: the default name applies
        return None
    node = type(worker.node).__name__
    what = worker.name or (worker.group if worker.group != "default" else "")
    return f"console {node} {what}".rstrip()


# ----------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    handler: Callable[[argparse.Namespace, Settings], int] = getattr(args, "handler", cmd_tui)
    try:
        settings = settings_mod.resolve(
            getattr(args, "store", None),
            getattr(args, "role", None),
            getattr(args, "user", None),
            getattr(args, "scope", None),
            demo=args.command == "demo",
        )
        # The command's words are recorded with every write it makes (Maillage.act_as).
        settings = replace(
            settings,
            command=command_path(args) or "console",
            may_create=may_create_store(settings, handler),
        )
        check_allowed(settings, handler, command_path(args))
        return handler(args, settings)
    except MaillageError as e:
        if debug:
            raise
        print(f"maillage: error: {one_line(e, limit=400)}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("maillage: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug:
            raise
        print(
            f"maillage: internal error: {type(e).__name__}: {one_line(e)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def entry_point() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
