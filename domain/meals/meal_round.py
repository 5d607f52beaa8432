"""A meal round: a postman's day of deliveries, from planning to completion.

planned → loaded (boxes, their probes and loading temperatures) → stops
recorded one by one → completed. Probe readings above +3 °C open an excursion
on their box: its meals are blocked at their stops until a named person
releases them with a reason. Both the excursion and the decision are events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.meals.cold_chain import CHILLED_LIMIT_C, is_excursion
from domain.personal import Personal
from domain.wording import local_time

OUTCOMES = ("put_in_fridge", "handed_over", "absent", "refused", "hospitalised", "other")
DELIVERED = ("put_in_fridge", "handed_over")
CONTACT_RESULTS = ("reached", "not_reached")
SIGNALS = ("previous_meal_not_eaten", "fridge_not_used", "mail_piling_up", "person_confused")
"""What the postman may notice at the door (welfare watch); sealed with the person's key."""


class MealRound(MaillageAggregate):
    """One round on one day, its insulated boxes and its ordered stops."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Planned")
    def __init__(
        self,
        day: str,
        depot: str,
        postman: str,
        vehicle: str,
        stops: list[dict[str, Any]],
        van: str = "",
    ) -> None:
        self.day = day
        self.van = van
        self.depot = depot
        self.postman = postman
        self.vehicle = vehicle
        self.stops = stops
        self.status = "planned"
        self.boxes: dict[str, dict[str, Any]] = {}
        self.readings: list[dict[str, Any]] = []
        self.excursions: list[dict[str, Any]] = []

    @classmethod
    def plan(
        cls,
        day: date,
        depot: str,
        postman: str,
        vehicle: str,
        stops: list[tuple[UUID, int, str]],
        van: str = "",
    ) -> MealRound:
        """Plan a round: ``stops`` are (beneficiary id, meals, box) in delivery order; ``van``
        is its letter among the day's vans (A, B…), empty for a lone round."""
        return cls(
            day=day.isoformat(),
            depot=depot.strip(),
            postman=postman.strip(),
            vehicle=vehicle.strip(),
            stops=_stop_rows(stops),
            van=van.strip(),
        )

    # ------------------------------------------------------------------ guards

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise RuleViolationError(
                f"round of {self.day} ({self.postman}) is {self.status}: "
                f"this needs it {' or '.join(statuses)}"
            )

    def _stop_index(self, beneficiary: UUID) -> int:
        for i, stop in enumerate(self.stops):
            if stop["beneficiary"] == beneficiary:
                return i
        raise InvalidInputError(f"no such stop in the round of {self.day}")

    def _box(self, box: str) -> dict[str, Any]:
        if box not in self.boxes:
            raise InvalidInputError(f"box {box!r} was not loaded on the round of {self.day}")
        return self.boxes[box]

    # ------------------------------------------------------------------ planning

    def reorder(self, order: list[UUID]) -> None:
        """Set the delivery order (an operator's choice or a solver's)."""
        self._require("planned")
        if sorted(map(str, order)) != sorted(str(s["beneficiary"]) for s in self.stops):
            raise InvalidInputError("the new order must name every stop of the round exactly once")
        self._reordered(order=list(order))

    @event("Reordered")
    def _reordered(self, order: list[UUID]) -> None:
        position = {b: i for i, b in enumerate(order)}
        self.stops.sort(key=lambda s: position[s["beneficiary"]])

    def pin(self, beneficiary: UUID, pinned: bool = True) -> None:
        """Keep a stop where it is when the round is optimised."""
        self._require("planned")
        self._stop_index(beneficiary)  # the stop must exist
        self._pinned(beneficiary=beneficiary, pinned=pinned)

    @event("Pinned")
    def _pinned(self, beneficiary: UUID, pinned: bool) -> None:
        self.stops[self._stop_index(beneficiary)]["pinned"] = pinned

    def replan(self, stops: list[tuple[UUID, int, str]]) -> None:
        """Give a planned round another set of stops (a day re-planned over its vans)."""
        self._require("planned")
        self._replanned(stops=_stop_rows(stops))

    @event("Replanned")
    def _replanned(self, stops: list[dict[str, Any]]) -> None:
        self.stops = stops

    def cancel(self, reason: str, by: str) -> None:
        """A planned round is not driven (its orders went to other vans); the reason stays."""
        self._require("planned")
        if not reason.strip() or not by.strip():
            raise InvalidInputError("cancelling a round needs who decides and a reason")
        self._cancelled(reason=reason.strip(), by=by.strip())

    @event("Cancelled")
    def _cancelled(self, reason: str, by: str) -> None:
        self.status = "cancelled"

    # ------------------------------------------------------------------ execution

    def load(self, boxes: dict[str, tuple[str, float]], at: datetime | None = None) -> None:
        """Boxes go in the van: box → (probe id, temperature at loading °C); ``at`` is when it
        happened (a paper round entered afterwards), now by default — the event keeps both."""
        self._require("planned")
        missing = {s["box"] for s in self.stops} - set(boxes)
        if missing:
            raise InvalidInputError(f"boxes not loaded: {', '.join(sorted(missing))}")
        at = _when(at)
        self._loaded(
            boxes={b: {"probe": p, "loading_temperature_c": t} for b, (p, t) in boxes.items()},
            at=at,
        )
        for box, (_, temperature_c) in boxes.items():
            if is_excursion(temperature_c):
                self._excursion_opened(box=box, temperature_c=temperature_c, at=at)

    @event("Loaded")
    def _loaded(self, boxes: dict[str, dict[str, Any]], at: datetime) -> None:
        self.status = "loaded"
        self.loaded_at = at
        self.boxes = {b: {**v, "blocked": False, "released": None} for b, v in boxes.items()}

    def record_probe_reading(self, box: str, temperature_c: float, at: datetime) -> None:
        """A probe reading of a box; above +3 °C opens an excursion unless one is open."""
        self._require("loaded")
        _after_loading(self, _when(at), "a probe reading")
        state = self._box(box)
        self._probe_read(box=box, temperature_c=temperature_c, at=at)
        if is_excursion(temperature_c) and not state["blocked"]:
            self._excursion_opened(box=box, temperature_c=temperature_c, at=at)

    @event("ProbeRead")
    def _probe_read(self, box: str, temperature_c: float, at: datetime) -> None:
        self.readings.append({"box": box, "temperature_c": temperature_c, "at": at})

    @event("ExcursionOpened")
    def _excursion_opened(self, box: str, temperature_c: float, at: datetime) -> None:
        self.boxes[box]["blocked"] = True
        self.boxes[box]["released"] = None
        self.excursions.append(
            {"box": box, "temperature_c": temperature_c, "at": at, "decision": None}
        )

    def release_box(self, box: str, by: str, reason: str) -> None:
        """A named person releases a blocked box's meals, with a reason (recorded)."""
        self._require("loaded")
        state = self._box(box)
        if not state["blocked"]:
            raise RuleViolationError(f"box {box!r} is not blocked")
        if not by.strip() or not reason.strip():
            raise InvalidInputError("releasing a box needs the name of who decides and a reason")
        self._released(box=box, by=by.strip(), reason=reason.strip())

    @event("BoxReleased")
    def _released(self, box: str, by: str, reason: str) -> None:
        self.boxes[box]["blocked"] = False
        self.boxes[box]["released"] = {"by": by, "reason": reason}
        for excursion in self.excursions:
            if excursion["box"] == box and excursion["decision"] is None:
                excursion["decision"] = {"by": by, "reason": reason}

    def record_stop(
        self,
        beneficiary: UUID,
        outcome: str,
        at: datetime,
        reason: str = "",
        handover_temperature_c: float | None = None,
        position: tuple[float, float] | None = None,
        contact: dict[str, str] | None = None,
        released_by: str = "",
        release_reason: str = "",
        signals: Sequence[str] = (),
        signals_note: str = "",
    ) -> None:
        """What happened at a stop. Delivering from a blocked box is refused.

        ``contact`` records the procedure when nobody answers: whom was called
        (contact person, CCAS) and the result. A hand-over temperature above +3 °C
        is a reading of the box like a probe's: it opens an excursion on the box,
        and delivering these meals needs a named person to release them with a
        reason (``released_by``, ``release_reason``), recorded before the stop.
        ``signals`` (of ``SIGNALS``) and ``signals_note`` are what the postman noticed at the
        door, sealed with the beneficiary's key.
        """
        self._require("loaded")
        if outcome not in OUTCOMES:
            raise InvalidInputError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        _after_loading(self, _when(at), "a stop")
        stop = self.stops[self._stop_index(beneficiary)]
        if stop["outcome"] is not None:
            raise RuleViolationError("its outcome is already recorded")
        if outcome in DELIVERED and self._box(stop["box"])["blocked"]:
            raise RuleViolationError(
                f"box {stop['box']!r} is blocked by a cold-chain excursion: its meals cannot "
                "be delivered unless someone releases them"
            )
        if outcome == "absent" and (not contact or contact.get("result") not in CONTACT_RESULTS):
            raise InvalidInputError(
                "an absent beneficiary needs the contact procedure: "
                "who was called and the result (reached or not_reached)"
            )
        if outcome == "other" and not reason.strip():
            raise InvalidInputError("outcome 'other' needs a reason")
        unknown = sorted(set(signals) - set(SIGNALS))
        if unknown:
            raise InvalidInputError(f"signal {unknown[0]!r} is not one of {', '.join(SIGNALS)}")
        door = None
        if signals or signals_note.strip():
            door = Personal(
                beneficiary,
                {"signals": sorted(set(signals)), "note": signals_note.strip()},
            )
        warm = handover_temperature_c is not None and is_excursion(handover_temperature_c)
        if warm and outcome in DELIVERED and not (released_by.strip() and release_reason.strip()):
            raise RuleViolationError(
                f"hand-over at {handover_temperature_c:g} °C is above +{CHILLED_LIMIT_C:g} °C: "
                "these meals cannot be delivered unless a named person releases them with a "
                "reason"
            )
        if warm:
            self._excursion_opened(box=stop["box"], temperature_c=handover_temperature_c, at=at)
            if outcome in DELIVERED:
                self._released(
                    box=stop["box"], by=released_by.strip(), reason=release_reason.strip()
                )
        # Free text about the person and the position at their door are theirs: sealed with
        # their key (refused once they are erased).
        self._stop_recorded(
            beneficiary=beneficiary,
            outcome=outcome,
            at=at,
            reason=Personal(beneficiary, reason.strip()) if reason.strip() else "",
            handover_temperature_c=handover_temperature_c,
            position=Personal(beneficiary, list(position)) if position else None,
            contact=contact,
            door=door,
        )

    @event("StopRecorded")
    def _stop_recorded(
        self,
        beneficiary: UUID,
        outcome: str,
        at: datetime,
        reason: str | Personal,
        handover_temperature_c: float | None,
        position: Personal | list[float] | None,
        contact: dict[str, str] | None,
        door: Personal | None = None,
    ) -> None:
        stop = self.stops[self._stop_index(beneficiary)]
        stop.update(
            outcome=outcome,
            at=at,
            reason=reason,
            handover_temperature_c=handover_temperature_c,
            position=position,
            contact=contact,
            door=door,
        )

    def complete(self, at: datetime | None = None) -> None:
        """The round is over (``at``: when, now by default); every stop must have its outcome,
        and the round cannot end before its last stop."""
        self._require("loaded")
        open_stops = [s for s in self.stops if s["outcome"] is None]
        if open_stops:
            count = len(open_stops)
            raise RuleViolationError(
                f"{count} {'stop has' if count == 1 else 'stops have'} no outcome yet"
            )
        at = _when(at)
        last = max(s["at"] for s in self.stops)
        if at < last:
            raise RuleViolationError(
                f"the round cannot end at {_local(at)}, before its last stop at {_local(last)}"
            )
        self._completed(at=at)

    def amend_stop(self, beneficiary: UUID, outcome: str, reason: str, by: str) -> None:
        """Correct a stop's recorded outcome: the original stays in the log and in the stop's
        amendments; who and why are recorded (the reason is about the person: sealed)."""
        self._require("loaded", "completed")
        if outcome not in OUTCOMES:
            raise InvalidInputError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        stop = self.stops[self._stop_index(beneficiary)]
        if stop["outcome"] is None:
            raise RuleViolationError("no outcome is recorded yet: record the stop instead")
        if stop["outcome"] == outcome:
            raise InvalidInputError(f"the stop is already recorded as {outcome}")
        if not reason.strip() or not by.strip():
            raise InvalidInputError("amending a stop needs who decides and a reason")
        self._stop_amended(
            beneficiary=beneficiary, previous=stop["outcome"], outcome=outcome,
            reason=Personal(beneficiary, reason.strip()), by=by.strip(),
        )  # fmt: skip

    @event("StopAmended")
    def _stop_amended(
        self, beneficiary: UUID, previous: str, outcome: str, reason: Personal, by: str
    ) -> None:
        stop = self.stops[self._stop_index(beneficiary)]
        amendments = [*stop.get("amendments", []), {"from": previous, "to": outcome, "by": by,
                                                     "reason": reason}]  # fmt: skip
        stop.update(outcome=outcome, amendments=amendments)

    @event("Completed")
    def _completed(self, at: datetime) -> None:
        self.status = "completed"
        self.completed_at = at

    # ------------------------------------------------------------------ queries

    def meals_delivered(self) -> int:
        return sum(s["meals"] for s in self.stops if s["outcome"] in DELIVERED)

    def box_curve(self, box: str) -> list[tuple[datetime, float]]:
        """A box's temperatures over the round in time order (°C): loading, probe readings and
        the temperatures taken at hand-over of its stops (one curve, whatever took it)."""
        state = self._box(box)
        curve = [(self.loaded_at, float(state["loading_temperature_c"]))]
        curve += [(r["at"], float(r["temperature_c"])) for r in self.readings if r["box"] == box]
        curve += [
            (s["at"], float(s["handover_temperature_c"]))
            for s in self.stops
            if s["box"] == box and s.get("handover_temperature_c") is not None
        ]
        return sorted(curve, key=lambda point: point[0])


def _stop_rows(stops: list[tuple[UUID, int, str]]) -> list[dict[str, Any]]:
    """Checked stop rows of a plan: each beneficiary once, at least one meal, a box each."""
    if not stops:
        raise InvalidInputError("a round needs at least one stop")
    seen: set[UUID] = set()
    rows = []
    for beneficiary, meals, box in stops:
        if beneficiary in seen:
            raise InvalidInputError("a beneficiary is twice in the round")
        if meals < 1:
            raise InvalidInputError(f"a stop carries at least one meal, not {meals}")
        if not box.strip():
            raise InvalidInputError("every stop needs the box its meals travel in")
        seen.add(beneficiary)
        rows.append(
            {"beneficiary": beneficiary, "meals": meals, "box": box.strip(), "pinned": False,
             "outcome": None}
        )  # fmt: skip
    return rows


def _when(at: datetime | None) -> datetime:
    """When something happened: given (a paper round entered afterwards), else now. A given
    time after now is refused: what is recorded has happened."""
    now = clock.now()
    if at is None:
        return now
    if at > now:
        raise InvalidInputError(
            f"{_local(at)} is after now ({_local(now)}): the time something happened must be "
            "in the past"
        )
    return at


def _after_loading(rnd: MealRound, at: datetime, what: str) -> None:
    """A round's events come after its loading (a paper round entered with its real times)."""
    loaded = getattr(rnd, "loaded_at", None)
    if loaded is not None and at < loaded:
        raise RuleViolationError(
            f"{what} at {_local(at)} cannot come before the loading at {_local(loaded)}"
        )


_local = local_time
