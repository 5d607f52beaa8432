"""One meal round: its stops in order, each box's temperature curve, and the day's actions.

The operator records what happened at the highlighted stop, enters probe
readings, releases a blocked box, pins stops and asks the solver for a better
order — each through the same domain commands as ``maillage meals rounds …``.
Every command runs in a worker thread (the solver takes seconds) and a refusal
is shown as a notification with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from console.mailing.ccas import announce_raised
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.dialog import DialogScreen
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask, confirm, record
from domain.clock import PARIS
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.cold_chain import CHILLED_LIMIT_C
from domain.meals.meal_round import OUTCOMES, SIGNALS, MealRound
from domain.territory.travel import travel_model
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


NEEDS: dict[str, str] = {
    "load": "planned",
    "outcome": "loaded",
    "probe": "loaded",
    "release": "loaded",
    "complete": "loaded",
    "amend": "loaded completed",
    "pin": "planned",
    "optimise": "planned",
}
"""The round status(es) each recording action needs (the domain checks it again)."""
ROUND_HELP: dict[str, str | tuple[str, str]] = {
    "load": ("load boxes", "Boxes loaded with probe and temperature (maillage meals rounds load)"),
    "outcome": ("record stop", "What happened at the highlighted stop (… rounds stop)"),
    "probe": ("probe reading", "A probe reading of a box (maillage meals rounds probe)"),
    "release": ("release box", "Release a blocked box's meals (maillage meals rounds release)"),
    "complete": ("complete", "Close the round (maillage meals rounds complete)"),
    "pin": ("pin/unpin", "Keep the highlighted stop at its place (maillage meals rounds pin)"),
    "optimise": ("optimise", "Re-order the stops, pins kept (maillage meals rounds optimise)"),
    "amend": ("amend outcome", "Correct a stop's outcome, saying why (… rounds amend)"),
}
"""What each round action does, for the command palette."""


class RoundScreen(DialogScreen[None]):
    """A round's stops and boxes; single keys record the day's events on it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="round.close"),
        Binding("l", "load", "Load", id="round.load"),
        Binding("o", "outcome", "Stop", id="round.outcome"),
        Binding("t", "probe", "Probe", id="round.probe"),
        Binding("r", "release", "Release", id="round.release"),
        Binding("p", "pin", "Pin", id="round.pin"),
        Binding("O", "optimise", "Optimise", id="round.optimise"),
        Binding("c", "complete", "Complete", id="round.complete"),
        Binding("a", "amend", "Amend", id="round.amend"),
    ]

    def __init__(self, round_id: UUID) -> None:
        super().__init__()
        self.round_id = round_id
        self.round: MealRound | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="reading-box round-box"):
            yield Label("[b]Round[/b]", id="round-heading")
            yield Static("reading…", classes="reading-body", markup=False)
            yield OptionList(id="round-stops")
            yield Vertical(id="round-boxes")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#round-stops", OptionList).focus()
        self.load()

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """This round's actions, as its keys offer them (only those its status allows)."""
        return binding_commands(self, ROUND_HELP, "Round")

    @property
    def console(self) -> MaillageApp:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app

    @property
    def body_text(self) -> str:
        """The round's heading line and its excursions (for people and tests)."""
        return str(self.query_one(".reading-body", Static).render())

    # ------------------------------------------------------------------ reading

    @work(thread=True, exclusive=True, group="round-read")
    def load(self) -> None:
        rnd, people = meals.round_with_people(self.console.store, self.round_id)
        show_names = not self.console.settings.read_only
        prompts = [
            _stop_line(n, s, people[s["beneficiary"]], show_names)
            for n, s in enumerate(rnd.stops, 1)
        ]
        self.app.call_from_thread(self._show, rnd, _summary(rnd), prompts)

    def _show(self, rnd: MealRound, summary: str, prompts: list[str]) -> None:
        self.round = rnd
        self.query_one(".reading-body", Static).update(summary)
        stops = self.query_one("#round-stops", OptionList)
        highlighted = stops.highlighted
        stops.clear_options()
        pairs = zip(prompts, rnd.stops, strict=True)
        stops.add_options([Option(Text(p), id=str(s["beneficiary"])) for p, s in pairs])
        stops.highlighted = highlighted if highlighted is not None else 0
        holder = self.query_one("#round-boxes", Vertical)
        holder.remove_children()
        for box in sorted(rnd.boxes):
            curve = [t for _, t in rnd.box_curve(box)]
            hottest = max(curve)
            state = "BLOCKED" if rnd.boxes[box]["blocked"] else "ok"
            flag = "above" if hottest > CHILLED_LIMIT_C else "within"
            holder.mount(
                Label(
                    f"{box}: {plural(len(curve), 'reading')}, max {hottest:.1f} °C "
                    f"({flag} +3 °C) {state}",
                    markup=False,
                )
            )
            holder.mount(Sparkline(curve, classes="box-curve"))
        self.refresh_bindings()

    # ------------------------------------------------------------------ what is allowed

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording is for the depot's roles, and only in the round status it needs."""
        if action not in NEEDS:
            return True
        settings = self.console.settings
        if settings.read_only or settings.role == "ccas" or self.round is None:
            return None  # shown, disabled
        return True if self.round.status in NEEDS[action].split() else None

    def _highlighted_stop(self) -> UUID | None:
        stops = self.query_one("#round-stops", OptionList)
        if stops.highlighted is None or self.round is None:
            return None
        return UUID(str(stops.get_option_at_index(stops.highlighted).id))

    def _boxes_highlighted_first(self, boxes: list[str]) -> tuple[str, ...]:
        """``boxes`` with the highlighted stop's box first: the form's default (a probe or a
        release is about the box of the stop the operator is on, not box-1)."""
        who = self._highlighted_stop()
        if self.round is None or who is None:
            return tuple(boxes)
        box = next((s["box"] for s in self.round.stops if s["beneficiary"] == who), None)
        return tuple(sorted(boxes, key=lambda b: b != box))

    # ------------------------------------------------------------------ actions

    def action_load(self) -> None:
        assert self.round is not None
        boxes = sorted({s["box"] for s in self.round.stops})
        fields: list[Choice | Field] = []
        for box in boxes:
            fields.append(Field(f"{box}-probe", f"{box}: probe", required=True, value=f"P-{box}"))
            fields.append(
                Field(f"{box}-temp", f"{box}: temperature (°C)", required=True, number=True)
            )

        def then(v: FormValues) -> None:
            loaded = {b: (str(v[f"{b}-probe"]), float(v[f"{b}-temp"])) for b in boxes}
            self._write(
                "load", lambda: meals.load_boxes(self.console.store, self.round_id, loaded), _loaded
            )

        ask(self.app, "Boxes loaded", fields, then)

    def action_outcome(self) -> None:
        who = self._highlighted_stop()
        if who is None:
            return
        fields: list[Choice | Field] = [
            Choice("outcome", "Outcome", OUTCOMES),
            Field("reason", "Reason (needed for 'other')"),
            Field("temperature", "Temperature at hand-over (°C, optional)", number=True),
            Choice("called", "If absent: who was called", ("", "contact_person", "ccas", "both")),
            Choice("result", "If absent: result", ("", "reached", "not_reached")),
            Field("released_by", "Above +3 °C at hand-over: released by (name)"),
            Field("release_reason", "Above +3 °C at hand-over: reason"),
            Field("signals", f"Noticed at the door (comma-separated: {', '.join(SIGNALS)})"),
            Field("signals_note", "Note about what was noticed (sealed)"),
        ]

        def then(v: FormValues) -> None:
            contact = {"called": v["called"] or "", "result": v["result"]} if v["result"] else None
            signals = [x.strip() for x in str(v["signals"] or "").split(",") if x.strip()]
            self._write(
                "record_outcome",
                lambda: meals.record_stop(
                    self.console.store,
                    self.round_id,
                    who,
                    v["outcome"],
                    reason=v["reason"] or "",
                    handover_temperature_c=v["temperature"],
                    contact=contact,
                    released_by=v["released_by"] or "",
                    release_reason=v["release_reason"] or "",
                    signals=signals,
                    signals_note=v["signals_note"] or "",
                ),
                lambda done: "\n".join(
                    [
                        f"stop recorded: {v['outcome'].replace('_', ' ')}",
                        *announce_raised(self.console.store, done.alerts, by_watch=True),
                    ]
                ),
            )

        ask(self.app, "What happened at this stop", fields, then)

    def action_amend(self) -> None:
        """Correct the highlighted stop's recorded outcome, saying why (the original stays)."""
        who = self._highlighted_stop()
        if who is None:
            return
        fields: list[Choice | Field] = [
            Choice("outcome", "Correct outcome", OUTCOMES),
            Field("reason", "Why (sealed: it is about the person)", required=True),
        ]

        def then(v: FormValues) -> None:
            by = self.console.settings.user
            self._write(
                "amend",
                lambda: meals.amend_stop(
                    self.console.store, self.round_id, who, v["outcome"], v["reason"], by
                ),
                f"stop amended: {v['outcome'].replace('_', ' ')}",
            )

        ask(self.app, "Amend a stop's outcome", fields, then)

    def action_probe(self) -> None:
        assert self.round is not None
        boxes = self._boxes_highlighted_first(sorted(self.round.boxes))
        fields: list[Choice | Field] = [
            Choice("box", "Box", boxes),
            Field("temperature", "Probe temperature (°C)", required=True, number=True),
        ]

        def then(v: FormValues) -> None:
            box, temperature = v["box"], v["temperature"]
            self._write(
                "probe",
                lambda: meals.record_probe(self.console.store, self.round_id, box, temperature),
                f"{box}: {temperature} °C recorded",
            )

        ask(self.app, "Probe reading", fields, then)

    def action_release(self) -> None:
        assert self.round is not None
        blocked = self._boxes_highlighted_first(
            sorted(b for b, s in self.round.boxes.items() if s["blocked"])
        )
        if not blocked:
            self.notify("no box is blocked on this round", title="Nothing to release")
            return
        fields: list[Choice | Field] = [
            Choice("box", "Blocked box", blocked),
            Field("by", "Decided by (name and function)", required=True),
            Field("reason", "Reason", required=True),
        ]

        def then(v: FormValues) -> None:
            box, by, reason = v["box"], v["by"], v["reason"]
            question = f"Release the meals of {box} (blocked by a cold-chain excursion)?"
            confirm(
                self.app,
                question,
                lambda: self._write(
                    "release",
                    lambda: meals.release_box(self.console.store, self.round_id, box, by, reason),
                    f"{box} released by {by}",
                ),
            )

        ask(self.app, "Release a blocked box", fields, then)

    def action_pin(self) -> None:
        who = self._highlighted_stop()
        if who is None or self.round is None:
            return
        pinned = not next(s["pinned"] for s in self.round.stops if s["beneficiary"] == who)
        store = self.console.store
        self._write(
            "pin",
            lambda: meals.pin_stop(store, self.round_id, who, pinned),
            "stop pinned" if pinned else "stop freed",
        )

    def action_complete(self) -> None:
        assert self.round is not None
        question = f"Close the round of {self.round.day} ({self.round.postman})?"
        confirm(
            self.app,
            question,
            lambda: self._write(
                "complete",
                lambda: meals.complete_round(self.console.store, self.round_id),
                "round completed",
            ),
        )

    def action_optimise(self) -> None:
        self.notify("the solver is looking for a better order…", title="Optimising")
        store = self.console.store

        def optimise() -> str:
            travel, label = travel_model(store)
            return _optimised(meals.optimise_round(store, self.round_id, travel), label)

        self._write("optimise", optimise, lambda said: said)

    def _write(
        self, name: str, command: Callable[[], Any], said: str | Callable[[Any], str]
    ) -> None:
        """Record in a worker and say what was recorded; the round is read again after."""

        def write() -> str:
            result = command()
            return said if isinstance(said, str) else said(result)

        record(self.console, name, write, then=self.load, on=self)


def _loaded(rnd: MealRound) -> str:
    blocked = [b for b, state in rnd.boxes.items() if state["blocked"]]
    text = f"round loaded: {plural(len(rnd.boxes), 'box')}"
    return text + (f"; BLOCKED (above +3 °C): {', '.join(blocked)}" if blocked else "")


def _optimised(plan: meals.Plan, travel: str) -> str:
    broken = f", {len(plan.violations)} constraints not met" if plan.violations else ""
    return f"optimised: {plan.distance_m / 1000:.1f} km ({travel}){broken}"


def _summary(rnd: MealRound) -> str:
    lines = [f"{rnd.day} · {rnd.postman} · {rnd.vehicle} · {rnd.status}"]
    for e in rnd.excursions:
        at = e["at"].astimezone(PARIS).strftime("%H:%M %Z")
        decision = e["decision"]
        decided = f"released by {decision['by']}: {decision['reason']}" if decision else "BLOCKED"
        lines.append(f"excursion {e['box']} {e['temperature_c']} °C at {at} — {decided}")
    return "\n".join(lines)


def _stop_line(n: int, stop: dict[str, Any], person: Beneficiary, show_name: bool) -> str:
    """One stop: position, pin, box, meals, outcome and time; the name only for the depot."""
    when = ""
    if isinstance(stop.get("at"), datetime):
        when = stop["at"].astimezone(PARIS).strftime("%H:%M %Z")
    name = ""
    if show_name:
        name = person.personal.field("name")
    pin = "◆" if stop["pinned"] else " "
    outcome = (stop["outcome"] or "—").replace("_", " ")
    return (
        f"{n:>2}. {pin} {person.file_number:<10} {name[:22]:<22} {stop['box']:<6} "
        f"{plural(stop['meals'], 'meal'):<7}  {outcome:<14} {when}"
    )
