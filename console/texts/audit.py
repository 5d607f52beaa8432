"""How the audit's answers read, the same in ``maillage audit state|events`` and the Audit mode:
Paris times, who wrote an event, an aggregate's state in lines (personal values masked)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.audit.command_record import CommandInfo
from domain.audit.time_travel import (
    AggregateState,
)
from domain.clock import PARIS
from domain.text import visible


def paris(moment: datetime | None) -> str:
    """A timestamp as the console shows it: Europe/Paris, to the second ("?" when unknown)."""
    return "?" if moment is None else moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def state_lines(state: AggregateState) -> list[str]:
    """The state for people: where and when it reflects, then its attributes one per line."""
    when = "before the first event" if state.at is None else f"{paris(state.at)} Paris"
    point = f"position {state.position:,} ({when})"
    lines = [f"{state.aggregate_type} {state.aggregate_id}"]
    if not state.exists:
        lines.append(
            f"did not exist yet at {point}: its first event is at position {state.first_position:,}"
        )
        return lines
    last = state.last_event
    assert last is not None
    lines += [
        f"as of {point}: version {state.version} of {state.versions}",
        f"last event: {last.event_type} at position {last.position:,}, "
        f"{paris(last.timestamp)} Paris",
        f"created {paris(state.created_on)} · modified {paris(state.modified_on)} (Paris)",
    ]
    width = max((len(k) for k in state.attributes), default=0)
    lines += [f"  {k:<{width}}  {visible(_value_text(v))}" for k, v in state.attributes.items()]
    return lines


def by_text(by: CommandInfo | None) -> str:
    """Who wrote an event: role, user and command, or a dash (written without an actor)."""
    return "—" if by is None else visible(f"{by.user} ({by.role}) · {by.command}")
