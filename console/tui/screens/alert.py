"""One welfare alert: its note and trail, and the CCAS actions on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar
from uuid import UUID

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static

from console.texts.alerts import trail_lines
from domain.errors import MaillageError
from domain.meals import service as meals
from domain.meals.welfare_alert import OUTCOMES, WelfareAlert


class AlertScreen(ModalScreen[None]):
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
        with Vertical(classes="reading-box"):
            yield Label("[b]Welfare alert[/b]")
            yield Static("reading…", classes="reading-body")
            yield Input(placeholder="What was done (Enter to record)", id="follow-up-input")
            yield OptionList(*OUTCOMES, id="outcome-list")

    def on_mount(self) -> None:
        self.query_one("#follow-up-input").display = False
        self.query_one("#outcome-list").display = False
        self.load()

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

    def _edit(self, command: Callable[..., WelfareAlert], *values: str) -> None:
        """Apply one of the meal service's alert commands; a refusal is a notification."""
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        try:
            command(self.app.store, self.alert_id, *values)
        except MaillageError as e:
            self.notify(str(e), severity="error", title="Not recorded", markup=False)
            return
        self.app.update_views()
        self.load()

    def action_acknowledge(self) -> None:
        self._edit(meals.acknowledge_alert, self._actor())

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
        if event.value.strip():
            self._edit(meals.follow_up_alert, self._actor(), event.value)
        event.input.value = ""

    @on(OptionList.OptionSelected, "#outcome-list")
    def _outcome_chosen(self, event: OptionList.OptionSelected) -> None:
        event.option_list.display = False
        self._edit(meals.close_alert, str(event.option.prompt), self._actor())
