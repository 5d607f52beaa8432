"""Modes whose service is not in this version yet: they say so plainly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Static

from console.screens.mode import ModeScreen


class NotYetScreen(ModeScreen):
    """A mode with nothing to show yet, and what it will hold."""

    HEADING = ""
    PROMISE = ""

    def compose_body(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(
                f"[b]{self.HEADING}[/b]\n\nNothing here yet in this version of maillage.\n"
                f"{self.PROMISE}",
                classes="not-yet",
            )


class SensorsScreen(NotYetScreen):
    HEADING = "Sensors"
    PROMISE = "Ports, detected sensors, recordings and live panels will be shown here."


class AuditScreen(NotYetScreen):
    HEADING = "Audit"
    PROMISE = "The event browser, chain verification and time travel will be shown here."
