"""How the audit's answers read, the same in ``maillage audit state|events`` and the Audit mode:
Paris times, who wrote an event, an aggregate's state in lines (personal values masked)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from domain.audit.command_record import CommandInfo
from domain.audit.time_travel import (
    AggregateState,
)
from domain.text import visible
from domain.wording import local_time


def paris(moment: datetime | None) -> str:
    """A timestamp as the console shows it: Europe/Paris, to the second, with its zone ("?"
    when unknown)."""
    return "?" if moment is None else local_time(moment, seconds=True)


UUID_IN_TEXT = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ISO_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _value_text(value: Any) -> str:
    """A stored value for people: another aggregate named as the log browser names it (its
    first 8 hex digits, what ``--aggregate`` takes), times in Paris with their zone."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           separators=(", ", ": "))  # fmt: skip
    text = UUID_IN_TEXT.sub(lambda m: m.group(1), text)
    return ISO_IN_TEXT.sub(
        lambda m: local_time(datetime.fromisoformat(m.group().replace("Z", "+00:00")), True),
        text,
    )


def state_lines(state: AggregateState) -> list[str]:
    """The state for people: where and when it reflects, then its attributes one per line."""
    when = "before the first event" if state.at is None else paris(state.at)
    point = f"position {state.position:,} ({when})"
    lines = [f"{state.aggregate_type} {state.aggregate_id.hex[:8]}"]
    if not state.exists:
        lines.append(
            f"did not exist yet at {point}: its first event is at position {state.first_position:,}"
        )
        return lines
    last = state.last_event
    assert last is not None
    lines += [
        f"as of {point}: version {state.version} of {state.versions}",
        f"last event: {last.event_type} at position {last.position:,}, {paris(last.timestamp)}",
        f"created {paris(state.created_on)} · modified {paris(state.modified_on)}",
    ]
    width = max((len(k) for k in state.attributes), default=0)
    lines += [f"  {k:<{width}}  {visible(_value_text(v))}" for k, v in state.attributes.items()]
    return lines


def by_text(by: CommandInfo | None) -> str:
    """Who wrote an event: role, user and command, or a dash (written without an actor)."""
    return "—" if by is None else visible(f"{by.user} ({by.role}) · {by.command}")
