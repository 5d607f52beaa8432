"""The cold-chain log of a round: every reading, excursion and decision, in time order.

Readings are the boxes' temperatures at loading, the probe readings during the
round and the temperatures taken at hand-over (stops), each with its source.
An excursion opens on a reading above the chilled limit (+3 °C, arrêté du 21
décembre 2009): its box is blocked until a named person releases it with a
reason. An excursion ends at the box's next probe reading at or below the
limit; without one, when the box's last stop was recorded (its meals are out);
without that, at its last reading. Its peak is the highest temperature recorded
for the box (probe or hand-over) from its opening to its end, its duration the
time between. Boxes and stops are named by their numbers, never by who lives there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.model import Cell, Report, Section
from domain.clock import PARIS
from domain.meals.cold_chain import CHILLED_LIMIT_C, is_excursion
from domain.meals.meal_round import DELIVERED, MealRound
from domain.meals.service import round_ref as reference_of
from domain.wording import plural

KIND = "cold-chain"
ENTERED_LATER_S = 300
"""An entry recorded this long after it happened says when it was entered, seconds."""
RULE = f"cold-chain rule (above +{CHILLED_LIMIT_C:g} °C)"
TIMELINE_COLUMNS = (
    "time",
    "position",
    "entry",
    "box",
    "stop",
    "temperature_c",
    "source",
    "by",
    "detail",
)


def build_cold_chain(log: LogAsOf, round_ref: str) -> Report:
    """The cold-chain report of one round (its id or a unique prefix), as of the log's position."""
    round_id = log.find(MealRound.Planned, round_ref, "round")
    history = log.events([round_id])[round_id]
    rnd = log.get(round_id, MealRound)
    stop_of = {s["beneficiary"]: n for n, s in enumerate(rnd.stops, 1)}
    walk = _Walk(rnd, stop_of)
    for position, e in history:
        walk.event(position, e)
    released = sum(1 for x in walk.excursions if x.decided_at is not None)
    blocked = sorted(b for b, state in rnd.boxes.items() if state.get("blocked"))
    temps = [r[3] for r in walk.readings]
    summary: tuple[tuple[str, Cell], ...] = (
        ("depot", rnd.depot),
        ("vehicle", rnd.vehicle),
        ("status", rnd.status),
        ("stops", len(rnd.stops)),
        ("boxes", len(rnd.boxes) or len({s["box"] for s in rnd.stops})),
        ("readings", len(walk.readings)),
        ("highest_reading_c", max(temps) if temps else None),
        ("limit_c", CHILLED_LIMIT_C),
        ("excursions", len(walk.excursions)),
        ("excursions_released", released),
        ("boxes_still_blocked", ", ".join(blocked) or "none"),
    )
    return Report(
        kind=KIND,
        title=f"Cold chain — round of {rnd.day}, {rnd.vehicle} ({str(rnd.id)[:8]})",
        subject=(("round", reference_of(rnd.id)), ("day", rnd.day)),
        stated=log.stated,
        summary=summary,
        sections=(
            Section("Timeline", TIMELINE_COLUMNS, walk.timeline()),
            _excursion_rows(walk),
        ),
        notes=(
            f"Chilled meals stay at or below +{CHILLED_LIMIT_C:g} °C from the kitchen to the "
            "fridge (arrêté du 21 décembre 2009, annex I); a reading above opens an excursion "
            "that blocks the box until a named person releases it with a reason.",
            "Times are when the reading was taken, the stop made or the decision recorded; an "
            "entry typed in later (a paper round) also says when it was entered. Entries at the "
            "same time keep the order of the log (position), and a release never comes before the "
            "excursion it answers.",
            "An excursion ends at the box's next probe reading at or below the limit; without "
            "one, when the box's last stop was recorded; its peak is the highest temperature "
            "recorded for the box (probe or hand-over) until then.",
        ),
    )


Reading = tuple[datetime, int, str, float, str]
"""(time, position, box, temperature °C, source)."""
Row = tuple[Cell, ...]


@dataclass
class _Excursion:
    """One excursion as the round's events tell it, in log order."""

    box: str
    opened: datetime
    position: int
    temperature_c: float
    decided_at: datetime | None = None
    by: str | None = None
    reason: str | None = None


@dataclass
class _Walk:
    """The round's events walked in log order: timeline rows, readings, excursions, stops."""

    rnd: MealRound
    stop_of: dict[Any, int]
    rows: list[tuple[datetime, int, Row]] = field(default_factory=list)
    """(sort time, position, row): a decision never sorts before what it answers."""
    readings: list[Reading] = field(default_factory=list)
    excursions: list[_Excursion] = field(default_factory=list)
    stop_times: dict[str, list[datetime]] = field(default_factory=dict)
    """Box → when each of its stops was recorded."""

    def add(
        self, when: datetime, position: int, *cells: Cell, after: datetime | None = None
    ) -> None:
        """A timeline row at ``when``; ``after``: the earliest it may sort (what it answers)."""
        sort_time = when if after is None else max(when, after)
        self.rows.append((sort_time, position, (when, position, *cells)))

    def reading(self, when: datetime, position: int, box: str, t: float, source: str) -> None:
        """A temperature of a box, from ``loading``, ``probe`` or ``hand-over``."""
        self.readings.append((when, position, box, t, source))

    def event(self, position: int, e: Any) -> None:
        """Take the next event of the round (log order)."""
        kind = type(e).__name__
        if kind == "Planned":
            boxes = len({s["box"] for s in e.stops})
            self.add(e.timestamp, position, "planned", None, None, None, None, None,
                     f"{plural(len(e.stops), 'stop')}, {plural(boxes, 'box')}")  # fmt: skip
        elif kind == "Loaded":
            for box, b in sorted(e.boxes.items()):
                t = float(b["loading_temperature_c"])
                self.reading(e.at, position, box, t, "loading")
                parts = (f"probe {b['probe']}", _flag(t), _entered(e.at, e.timestamp))
                detail = "; ".join(x for x in parts if x)
                self.add(e.at, position, "reading", box, None, t, "loading", None, detail)
        elif kind == "ProbeRead":
            t = float(e.temperature_c)
            self.reading(e.at, position, e.box, t, "probe")
            detail = "; ".join(x for x in (_flag(t), _entered(e.at, e.timestamp)) if x)
            self.add(e.at, position, "reading", e.box, None, t, "probe", None, detail)
        elif kind == "ExcursionOpened":
            t = float(e.temperature_c)
            self.excursions.append(_Excursion(e.box, e.at, position, t))
            stops = ", ".join(str(n) for b, n in self._stops() if b == e.box)
            self.add(e.at, position, "excursion: box blocked", e.box, None, t, None, RULE,
                     f"meals of stops {stops} blocked")  # fmt: skip
        elif kind == "BoxReleased":
            opened = None
            for x in self.excursions:
                if x.box == e.box and x.decided_at is None:
                    x.decided_at, x.by, x.reason = e.timestamp, e.by, e.reason
                    opened = x.opened
            self.add(e.timestamp, position, "box released", e.box, None, None, None, e.by,
                     e.reason, after=opened)  # fmt: skip
        elif kind == "StopRecorded":
            self._stop(position, e)
        elif kind == "Completed":
            self.add(e.at, position, "round completed", None, None, None, None, None,
                     _entered(e.at, e.timestamp) or None)  # fmt: skip
        elif kind == "StopAmended":
            box = next((s["box"] for s in self.rnd.stops if s["beneficiary"] == e.beneficiary), "")
            change = f"{e.previous.replace('_', ' ')} → {e.outcome.replace('_', ' ')}"
            self.add(e.timestamp, position, "stop amended", box, self.stop_of.get(e.beneficiary),
                     None, None, e.by, f"{change} (the original outcome stays above)")  # fmt: skip
        elif kind not in ("Reordered", "Pinned"):  # planning is not the cold chain
            self.add(e.timestamp, position, kind, None, None, None, None, None, None)

    def _stops(self) -> list[tuple[str, int]]:
        return [(s["box"], self.stop_of[s["beneficiary"]]) for s in self.rnd.stops]

    def _stop(self, position: int, e: Any) -> None:
        box = next((s["box"] for s in self.rnd.stops if s["beneficiary"] == e.beneficiary), "")
        self.stop_times.setdefault(box, []).append(e.at)
        t = None if e.handover_temperature_c is None else float(e.handover_temperature_c)
        if t is not None:
            self.reading(e.at, position, box, t, "hand-over")
        delivered = "delivered" if e.outcome in DELIVERED else "not delivered"
        amended = any(
            s["beneficiary"] == e.beneficiary and s.get("amendments") for s in self.rnd.stops
        )
        parts = (
            delivered,
            _flag(t),
            _entered(e.at, e.timestamp),
            "amended later" if amended else "",
        )
        self.add(e.at, position, f"stop: {e.outcome.replace('_', ' ')}", box,
                 self.stop_of.get(e.beneficiary), t, None if t is None else "hand-over", None,
                 "; ".join(x for x in parts if x))  # fmt: skip

    def timeline(self) -> list[Row]:
        return [row for _, _, row in sorted(self.rows, key=lambda r: (r[0], r[1]))]


def _entered(happened: datetime, recorded: datetime) -> str:
    """For something entered after it happened (a paper round): when it was recorded."""
    if abs((recorded - happened).total_seconds()) < ENTERED_LATER_S:
        return ""
    return f"entered {recorded.astimezone(PARIS):%Y-%m-%d %H:%M %Z}"


def _flag(temperature_c: float | None) -> str:
    """``above +3 °C`` for a reading above the chilled limit, else nothing."""
    if temperature_c is None or not is_excursion(float(temperature_c)):
        return ""
    return f"above +{CHILLED_LIMIT_C:g} °C"


def _excursion_rows(walk: _Walk) -> Section:
    """One row per excursion: when it opened, its peak, when and how it ended, the decision."""
    rows: list[Row] = []
    stops = walk._stops()
    for n, x in enumerate(walk.excursions, 1):
        after = [
            r
            for r in sorted(walk.readings)
            if r[2] == x.box and (r[0], r[1]) > (x.opened, x.position)
        ]
        back = next((r for r in after if r[4] != "hand-over" and not is_excursion(r[3])), None)
        emptied = [t for t in walk.stop_times.get(x.box, []) if t >= x.opened]
        if back is not None:
            end, ended = back[0], "probe back at or below the limit"
        elif emptied:
            end, ended = max(emptied), "box emptied (its last stop recorded)"
        else:
            last = [r[0] for r in after]
            end, ended = max([x.opened, *last]), "still above at the last reading"
        during = [r[3] for r in after if r[0] <= end and (back is None or r != back)]
        rows.append(
            (
                n,
                x.box,
                x.opened,
                x.temperature_c,
                max([x.temperature_c, *during]),
                end,
                round((end - x.opened).total_seconds() / 60, 1),
                ended,
                ", ".join(str(stop) for box, stop in stops if box == x.box),
                "released" if x.decided_at is not None else "blocked",
                x.decided_at,
                x.by,
                x.reason,
            )
        )
    return Section(
        "Excursions",
        (
            "excursion",
            "box",
            "opened",
            "opening_temperature_c",
            "peak_c",
            "ended_at",
            "duration_min",
            "ended",
            "stops_of_box",
            "decision",
            "decided_at",
            "decided_by",
            "reason",
        ),
        rows,
        note="" if rows else "No reading above the limit: no excursion.",
    )
