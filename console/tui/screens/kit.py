"""One mobile classroom kit: its cart, serials and reservations; the keys book and lend it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from console.tui.actions import devices as actions
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.reading import ReadingScreen
from domain.clock import PARIS
from domain.devices import service
from domain.devices.inputs import listing
from domain.wording import plural

if TYPE_CHECKING:
    from collections.abc import Iterable

    from console.tui.app import MaillageApp

KIT_HELP: dict[str, str] = {
    "reserve": "Book the kit for a class (maillage devices kits reserve)",
    "check_out": "The class takes the kit (maillage devices kits check-out)",
    "check_in": "The kit comes back, serials scanned (maillage devices kits check-in)",
}
"""What each kit action does, for the command palette."""


class KitScreen(ReadingScreen):
    """A kit opened from the Kits tab."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reserve", "Reserve", id="kit.reserve"),
        Binding("o", "check_out", "Check out", id="kit.check_out"),
        Binding("i", "check_in", "Check in", id="kit.check_in"),
    ]
    heading = "Mobile classroom kit"

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference

    def read(self, app: MaillageApp) -> str:
        kit = service.find_kit(app.store, self.reference)
        lines = [
            f"{kit.reference} at {kit.uai}, cart {kit.cart_id}: {kit.status.replace('_', ' ')}",
            f"{plural(len(kit.serials), 'device')}: {listing(kit.serials)}",
            "Reservations:",
        ]
        for rid, r in kit.reservations.items():
            start = r["start"].astimezone(PARIS).strftime("%d/%m %H:%M")
            end = r["end"].astimezone(PARIS).strftime("%d/%m %H:%M %Z")
            lines.append(f"  {rid}: {r['class_name']} {start} → {end} {r['status']}")
        return "\n".join(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_record() if action in KIT_HELP else True

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return binding_commands(self, KIT_HELP, f"Kit {self.reference}")

    def action_reserve(self) -> None:
        actions.reserve_kit(self.console, self.reference)

    def action_check_out(self) -> None:
        actions.check_out_kit(self.console, self.reference)

    def action_check_in(self) -> None:
        actions.check_in_kit(self.console, self.reference)
