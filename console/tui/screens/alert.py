"""One welfare alert: its note and trail, and the CCAS actions on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Label, OptionList, Static

from console.texts.alerts import trail_lines
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.dialog import DialogScreen
from console.tui.writes import confirm, record
from domain.meals import service as meals
from domain.meals.welfare_alert import OUTCOMES

if TYPE_CHECKING:
    from console.tui.app import MaillageApp

ALERT_HELP: dict[str, str] = {
    "acknowledge": "The CCAS takes the alert in hand (maillage meals alerts ack)",
    "follow_up": "Record an action taken (maillage meals alerts follow-up)",
    "close_alert": "Settle the alert with an outcome (maillage meals alerts close)",
}
"""What each alert action does, for the command palette."""


class AlertScreen(DialogScreen[None]):
    """Shows an alert; `a` acknowledges, `f` adds a follow-up, `c` closes (not for auditors)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="alert.dismiss"),
        Binding("a", "acknowledge", "Acknowledge", id="alert.acknowledge"),
        Binding("f", "follow_up", "Follow-up", id="alert.follow_up"),
        Binding("c", "close_alert", "Close alert", id="alert.close"),
    ]

    AUTO_FOCUS = ""  # no auto-focus: the hidden input must not swallow the single-key bindings

    def __init__(self, alert_id: UUID) -> None:
        super().__init__()
        self.alert_id = alert_id
        self.status = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="reading-box"):
            yield Label("[b]Welfare alert[/b]")
            yield Static("reading…", classes="reading-body")
            yield Input(placeholder="What was done (Enter to record)", id="follow-up-input")
            yield OptionList(*OUTCOMES, id="outcome-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#follow-up-input").display = False
        self.query_one("#outcome-list").display = False
        self.query_one(VerticalScroll).focus()  # the keys work at once, the text scrolls
        self.load()

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """This alert's actions its state allows."""
        return binding_commands(self, ALERT_HELP, "Alert", for_ccas=True)

    @property
    def body_text(self) -> str:
        return str(self.query_one(".reading-body", Static).render())

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        status, trail = meals.alert_trail(
            self.app.store, self.alert_id, with_notes=not self.app.settings.read_only
        )
        self.app.call_from_thread(self._show, status, "\n".join(trail_lines(trail)))

    def _show(self, status: str, text: str) -> None:
        self.status = status
        # A Text, never markup: a note saying "[/]" or "[@click=…]" is shown as typed.
        self.query_one(".reading-body", Static).update(Text(text))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Auditors read only; each action only when the alert's state allows it."""
        from console.tui.app import MaillageApp

        if action not in ("acknowledge", "follow_up", "close_alert"):
            return True
        app = self.app
        if isinstance(app, MaillageApp) and app.settings.read_only:
            return None  # shown, disabled
        allowed = {
            "acknowledge": "raised",
            "follow_up": "acknowledged",
            "close_alert": "acknowledged",
        }
        return True if self.status == allowed[action] else None

    def _actor(self) -> str:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return f"{self.app.settings.user} ({self.app.settings.role})"

    def _edit(self, name: str, command: Callable[[], object], said: str) -> None:
        """Record in a worker; the alert is read again once it is recorded."""

        def write() -> str:
            command()
            return said

        record(self.console, name, write, then=self.load, for_ccas=True, on=self)

    def action_acknowledge(self) -> None:
        store, by = self.console.store, self._actor()
        self._edit(
            "acknowledge",
            lambda: meals.acknowledge_alert(store, self.alert_id, by),
            f"alert acknowledged by {by}",
        )

    @property
    def console(self) -> MaillageApp:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app

    def action_follow_up(self) -> None:
        field = self.query_one("#follow-up-input", Input)
        field.display = True
        field.focus()

    def action_close_alert(self) -> None:
        options = self.query_one("#outcome-list", OptionList)
        options.display = True
        options.focus()

    @on(Input.Submitted, "#follow-up-input")
    def _follow_up_typed(self, event: Input.Submitted) -> None:
        event.input.display = False
        action, store, by = event.value.strip(), self.console.store, self._actor()
        if action:
            self._edit(
                "follow_up",
                lambda: meals.follow_up_alert(store, self.alert_id, by, action),
                "follow-up recorded",
            )
        event.input.value = ""
        self.query_one(VerticalScroll).focus()

    @on(OptionList.OptionSelected, "#outcome-list")
    def _outcome_chosen(self, event: OptionList.OptionSelected) -> None:
        event.option_list.display = False
        self.query_one(VerticalScroll).focus()
        outcome, store, by = str(event.option.prompt), self.console.store, self._actor()
        confirm(
            self.app,
            f"Close this alert as {outcome.replace('_', ' ')}? A closed alert cannot be reopened.",
            lambda: self._edit(
                "close",
                lambda: meals.close_alert(store, self.alert_id, outcome, by),
                f"alert closed: {outcome}",
            ),
        )
