"""Every recorded sensor session: vehicle, start (Paris time), state, chunks and processing
(``maillage sessions list``); from here a session is exported, a bundle imported, a journal
processed."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from console.tui.actions import sessions as actions
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.reading import ReadingScreen
from domain.sensing import service
from domain.wording import local_time, plural

if TYPE_CHECKING:
    from collections.abc import Iterable

    from console.tui.app import MaillageApp

SESSIONS_HELP: dict[str, str | tuple[str, str]] = {
    "process": ("process the newest", "A stopped session's journal into street sections "
                "(maillage sessions process)"),
}  # fmt: skip
"""What the sessions keys do, for the command palette (export and import are its everyday
entries "Export session bundle…" and "Import session bundle…")."""


class SessionsScreen(ReadingScreen):
    """The sessions, oldest first, each with the first characters of its id to name it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "export", "Export bundle", id="sessions.export"),
        Binding("i", "import_bundle", "Import bundle", id="sessions.import"),
        Binding("p", "process", "Process", id="sessions.process"),
    ]
    heading = "Sensor sessions"

    def read(self, app: MaillageApp) -> str:
        lines = []
        for s in service.list_sessions(app.store):
            start = local_time(s.started_at)
            done = s.latest_processing
            processed = (
                f"processed ({done.get('municipality') or '—'})" if done else "not processed"
            )
            lines.append(
                f"{str(s.id)[:8]}  {s.vehicle:<8} {start}  {s.status:<11} "
                f"{plural(len(s.chunks), 'chunk')}  {processed}"
            )
        return "\n".join(lines) or "no session is recorded"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("import_bundle", "process"):
            return None if self.console.settings.read_only else True
        return True

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return binding_commands(self, SESSIONS_HELP, "Sessions")

    def action_export(self) -> None:
        actions.export_bundle(self.console)

    def action_import_bundle(self) -> None:
        actions.import_bundle(self.console)

    def action_process(self) -> None:
        actions.process(self.console, actions.newest_session(self.console))
