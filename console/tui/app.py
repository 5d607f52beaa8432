"""The maillage console (Textual): one mode per area, a header with store and role.

The app is the composition root of the TUI: it holds the opened store and the
settings, keeps views up to date by polling the log (SQLite has no push
subscription) and offers every interactive command in the command palette.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import ClassVar

from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import get_current_worker

from console.settings import Settings
from console.tui.messages import ViewsUpdated
from console.tui.palette import ConsoleCommands
from console.tui.screens.audit import AuditScreen
from console.tui.screens.dashboard import DashboardScreen
from console.tui.screens.devices import DevicesScreen
from console.tui.screens.meals import MealsScreen
from console.tui.screens.progress import ProgressScreen
from console.tui.screens.sensors import SensorsScreen
from console.tui.screens.store_info import StoreInfoScreen
from console.tui.widgets.virtual_table import VIRTUAL_TABLE_TCSS
from domain.application import Maillage
from domain.views.catalogue import all_views
from domain.views.projector import Projector

HERE = Path(__file__).parent
VIEW_POLL_INTERVAL_S = 2.0
"""How often the console looks for new events in the log to update the views."""

MODE_TITLES: dict[str, str] = {
    "dashboard": "Dashboard",
    "meals": "Meals",
    "devices": "Devices",
    "sensors": "Sensors",
    "audit": "Audit",
}


def header_label(settings: Settings, width: int = 48) -> str:
    """The store as the header shows it: the end of a long path matters most."""
    label = settings.location.label.replace(str(Path.home()), "~", 1)
    if len(label) <= width:
        return label
    kind, _, rest = label.partition(":")
    return f"{kind}:…{rest[-(width - len(kind) - 2) :]}"


MODE_KEYS = Binding.Group("Modes", compact=True)
"""The five mode keys show as one footer entry ("12345 Modes"): key hints fit in 100 columns."""


class MaillageApp(App[int]):
    """Operations console for meal rounds, device shipments and sensor sessions."""

    TITLE = "maillage"
    CSS_PATH: ClassVar[list[str | Path]] = [HERE / "app.tcss", VIRTUAL_TABLE_TCSS]
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "dashboard": DashboardScreen,
        "meals": MealsScreen,
        "devices": DevicesScreen,
        "sensors": SensorsScreen,
        "audit": AuditScreen,
    }
    DEFAULT_MODE: ClassVar[str] = "dashboard"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('dashboard')", "Dashboard", id="mode.dashboard", group=MODE_KEYS),
        Binding("2", "switch_mode('meals')", "Meals", id="mode.meals", group=MODE_KEYS),
        Binding("3", "switch_mode('devices')", "Devices", id="mode.devices", group=MODE_KEYS),
        Binding("4", "switch_mode('sensors')", "Sensors", id="mode.sensors", group=MODE_KEYS),
        Binding("5", "switch_mode('audit')", "Audit", id="mode.audit", group=MODE_KEYS),
        Binding("question_mark,f1", "toggle_help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.commands"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, settings: Settings, store: Maillage) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.sub_title = f"{header_label(settings)} · {settings.role} ({settings.user})"
        self.position = store.last_position()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications are plain text unless a caller says otherwise: they carry names, file
        paths and refusals made of what people typed, never to be read as Rich markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_mount(self) -> None:
        self.set_interval(VIEW_POLL_INTERVAL_S, self.update_views, name="views-poll")

    # ------------------------------------------------------------------ views

    def update_views(self) -> None:
        """Bring the views up to the end of the log in a thread; never blocks the screen."""
        if any(w.group == "rebuild" and w.is_running for w in self.workers):
            return  # the rebuild brings them to the end of the log itself
        self.run_worker(
            self._catch_up, thread=True, exclusive=True, group="projector", exit_on_error=False
        )

    def _catch_up(self) -> None:
        with Projector(self.store, all_views()) as projector:
            applied = projector.catch_up()
        if applied and not get_current_worker().is_cancelled:
            self.post_message(ViewsUpdated(applied, self.store.last_position()))

    def on_views_updated(self, message: ViewsUpdated) -> None:
        self.position = message.position
        # Every mode's screen that exists hears it, not only the one on show.
        for mode in self.MODES:
            for screen in self._screen_stacks.get(mode, []):
                screen.post_message(ViewsUpdated(message.applied, message.position))

    def action_rebuild_views(self) -> None:
        """Drop and rebuild every view, with a progress bar; the console stays usable."""
        progress = ProgressScreen("Rebuilding views from the log")
        self.push_screen(progress)

        def work() -> None:
            def report(view: str, done: int, total: int) -> None:
                self.call_from_thread(progress.report, f"view {view}", done, total)

            with Projector(self.store, all_views()) as projector:
                applied = projector.rebuild(report)
            self.call_from_thread(progress.dismiss)
            self.call_from_thread(
                self.notify, f"Views rebuilt: {applied:,} events applied", title="Views"
            )
            self.post_message(ViewsUpdated(applied, self.store.last_position()))

        self.run_worker(work, thread=True, exclusive=True, group="rebuild", exit_on_error=False)

    # ------------------------------------------------------------------ actions

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action with its name as the command recorded with what it writes.

        Writes made later from a worker are named by the worker
        (``console.cli.tui.worker_command``).
        """
        name = action if isinstance(action, str) else action[0]
        with self.store.command(f"console {type(self.screen).__name__}.{name.split('(')[0]}"):
            return await super().run_action(action, default_namespace, namespaces)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_open_map(self) -> None:
        from console.tui.screens.geo import MapScreen

        self.push_screen(MapScreen())

    def action_store_info(self) -> None:
        self.push_screen(StoreInfoScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title in MODE_TITLES.items():
            yield SystemCommand(
                f"Mode: {title}", f"Show the {title} mode", lambda m=mode: self.switch_mode(m)
            )
        yield SystemCommand(
            "Open map",
            "Processed segments coloured by an indicator (maillage geo export)",
            self.action_open_map,
        )
        yield SystemCommand(
            "Store info",
            "Backend, location, events and views (maillage store info)",
            self.action_store_info,
        )
        yield SystemCommand(
            "Update views",
            "Apply new events to the views now (maillage views update)",
            self.update_views,
        )
        yield SystemCommand(
            "Rebuild views",
            "Drop every view and rebuild it from the log (maillage views rebuild)",
            self.action_rebuild_views,
        )
