"""``maillage audit state`` and ``maillage audit events``: time travel on the command line.

- ``audit state AGGREGATE_ID [--at DATE | --position N]``: the aggregate as it
  was at that point of the log (its newest state without either);
- ``audit events [--type T] [--aggregate ID] [--since DATE] [--until DATE]
  [--limit N]``: the log, oldest first, filtered, each event with who wrote it
  (role, user and command, from the command record covering it).

Both only read, so the auditor may run them. Personal values are never shown:
they read ‹sealed›, or ⌧ erased once the person was erased. Dates are Paris
time unless they state an offset; a day alone means its start for ``--since``
and its end for ``--at`` and ``--until``. Each answer names the log position it
was read up to and the chain head there, so anyone can check it later.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from console.texts.audit import by_text, paris, state_lines
from domain.audit import service as audit
from domain.audit.command_record import CommandInfo
from domain.audit.time_travel import (
    LogEntry,
    LogFilter,
    TimeTravel,
    parse_moment,
    parse_types,
)
from domain.audit.verify import chain_head
from domain.clock import PARIS
from domain.errors import InvalidInputError


def register(level: Level) -> None:
    """Register ``audit state`` and ``audit events``."""
    state = level.command(
        "state",
        cmd_audit_state,
        "an aggregate's state at a log position or a date (personal data masked)",
        json=True,
    )
    state.add_argument(
        "aggregate_id", metavar="AGGREGATE_ID", help="its id, or the first 6+ hex digits of it"
    )
    when = state.add_mutually_exclusive_group()
    when.add_argument("--at", metavar="DATE", help=f"as it was then ({DATE_HELP}; a day: its end)")
    when.add_argument(
        "--position", metavar="N", help="as it was at this log position (0: before any event)"
    )
    events = level.command(
        "events",
        cmd_audit_events,
        "list the event log, oldest first, filtered by type, aggregate and dates",
        json=True,
    )
    events.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="T",
        help="Class.Event, or a class or an event name (repeat or separate with commas)",
    )
    events.add_argument("--aggregate", metavar="ID", help="one aggregate's events only")
    events.add_argument("--since", metavar="DATE", help=f"from this date ({DATE_HELP})")
    events.add_argument(
        "--until", metavar="DATE", help=f"up to this date ({DATE_HELP}; a day: its end)"
    )
    events.add_argument("--limit", metavar="N", help="at most N events")


DATE_HELP = "YYYY-MM-DD or YYYY-MM-DD HH:MM, Paris time unless an offset is given"


def _whole(text: str, option: str, minimum: int) -> int:
    try:
        value = int(text.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise InvalidInputError(f"{option}: {text!r} is not a whole number") from None
    if value < minimum:
        raise InvalidInputError(f"{option}: {value} is below {minimum}")
    return value


def _log_facts(reader: TimeTravel) -> dict[str, Any]:
    """Up to where the log was read and the chain head: what lets anyone check the answer."""
    position, link = chain_head(reader.app)
    return {"read_up_to": reader.upto, "chain_head": {"position": position, "link": link.hex()}}


def _facts_line(facts: dict[str, Any]) -> str:
    head = facts["chain_head"]
    return (
        f"log read up to position {facts['read_up_to']:,} · chain head at position "
        f"{head['position']:,}: {head['link']}"
    )


def _entry_line(entry: LogEntry, by: CommandInfo | None) -> str:
    return (
        f"{entry.position:>10,}  {paris(entry.timestamp)}  {entry.aggregate_id.hex[:8]}  "
        f"{entry.aggregate_type:<22} {entry.event_type:<26} {by_text(by)}"
    )


def _by_json(by: CommandInfo | None) -> dict[str, Any] | None:
    if by is None:
        return None
    return {"role": by.role, "user": by.user, "command": by.command, "scope": by.scope,
            "at": by.at.isoformat(), "record_position": by.position}  # fmt: skip


def cmd_audit_state(args: argparse.Namespace, settings: Settings) -> int:
    position = None if args.position is None else _whole(args.position, "--position", 0)
    at = None if args.at is None else parse_moment(args.at, PARIS, end_of_day=True, what="--at")
    app = open_store(settings)
    try:
        with TimeTravel(app) as reader:
            aggregate_id = reader.resolve_id(args.aggregate_id)
            state = reader.state_at(aggregate_id, position=position, at=at)
            facts = _log_facts(reader)
    finally:
        app.close()
    if args.json:
        print(json.dumps({**state.as_json(), "log": facts}, indent=2, ensure_ascii=False))
    else:
        print("\n".join([*state_lines(state), _facts_line(facts)]))
    return 0


def cmd_audit_events(args: argparse.Namespace, settings: Settings) -> int:
    types = tuple(p for text in args.type for p in parse_types(text))
    since = None if args.since is None else parse_moment(args.since, PARIS, what="--since")
    until = (
        None
        if args.until is None
        else parse_moment(args.until, PARIS, end_of_day=True, what="--until")
    )
    limit = None if args.limit is None else _whole(args.limit, "--limit", 1)
    app = open_store(settings)
    try:
        with TimeTravel(app) as reader:
            aggregate_id = None if args.aggregate is None else reader.resolve_id(args.aggregate)
            chosen = LogFilter(types, aggregate_id, since, until)
            facts = _log_facts(reader)
            listed = audit.with_authors(app, reader.entries(chosen, limit))
            if args.json:
                rows = [{**e.as_json(), "by": _by_json(by)} for e, by in listed]
                print(json.dumps({"events": rows, "log": facts}, indent=2, ensure_ascii=False))
                return 0
            print(
                f"{'POSITION':>10}  {'TIME':<23}  {'AGGREGATE':<8}  {'TYPE':<22} {'EVENT':<26} BY"
            )
            count = 0
            for entry, by in listed:
                print(_entry_line(entry, by))
                count += 1
    finally:
        app.close()
    print(f"{count:,} event{'' if count == 1 else 's'} · {_facts_line(facts)}")
    return 0
