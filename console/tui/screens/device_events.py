"""One device's events and its custody chain, as a reading dialog (Enter on the devices table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.tui.screens.reading import ReadingScreen
from domain.devices.custody import custody_chain
from domain.errors import MaillageError
from domain.wording import local_time, plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


class DeviceEventsScreen(ReadingScreen):
    """The chain of custody of one serial: every step with when, who and where (Paris time)."""

    heading = "Chain of custody"

    def __init__(self, serial: str) -> None:
        super().__init__()
        self.serial = serial

    def read(self, app: MaillageApp) -> str:
        try:
            steps = custody_chain(app.store, self.serial)
        except MaillageError as e:
            return str(e)
        lines = [f"Device {self.serial}: {plural(len(steps), 'step')}"]
        for step in steps:
            local = local_time(step.when)
            refs = ", ".join(f"{k} {v}" for k, v in step.references.items())
            lines.append(f"{local}  {step.event}  {step.what}")
            lines.append(f"    by {step.by} · at {step.where} · {step.status.replace('_', ' ')}")
            if refs:
                lines.append(f"    {refs}")
        return "\n".join(lines)
