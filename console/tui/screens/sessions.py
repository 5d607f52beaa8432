"""Every recorded sensor session: vehicle, start (Paris time), state, chunks and processing
(``maillage sessions list``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.tui.screens.reading import ReadingScreen
from domain.clock import PARIS
from domain.sensing import service
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class SessionsScreen(ReadingScreen):
    """The sessions, oldest first, each with the first characters of its id to name it."""

    heading = "Sensor sessions"

    def read(self, app: MaillageApp) -> str:
        lines = []
        for s in service.list_sessions(app.store):
            start = s.started_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            done = s.latest_processing
            processed = (
                f"processed ({done.get('municipality') or '—'})" if done else "not processed"
            )
            lines.append(
                f"{str(s.id)[:8]}  {s.vehicle:<8} {start} (Paris)  {s.status:<11} "
                f"{plural(len(s.chunks), 'chunk')}  {processed}"
            )
        return "\n".join(lines) or "no session is recorded"
