"""One shipment: where it goes, its seal and carrier, its serials; the keys move it on."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from console.tui.actions import devices as actions
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.reading import ReadingScreen
from domain.devices import service
from domain.devices.inputs import listing
from domain.wording import plural

if TYPE_CHECKING:
    from collections.abc import Iterable

    from console.tui.app import MaillageApp

SHIPMENT_HELP: dict[str, str] = {
    "pack": "Scan devices into it (maillage devices shipments pack)",
    "seal": "Close it with a numbered seal (maillage devices shipments seal)",
    "dispatch": "It leaves the depot (maillage devices shipments dispatch)",
    "deliver": "It arrives, a recipient signs (maillage devices shipments deliver)",
}
"""What each shipment action does, for the command palette."""


class ShipmentScreen(ReadingScreen):
    """A shipment opened from the Shipments tab."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pack", "Pack", id="shipment.pack"),
        Binding("s", "seal", "Seal", id="shipment.seal"),
        Binding("d", "dispatch", "Dispatch", id="shipment.dispatch"),
        Binding("v", "deliver", "Deliver", id="shipment.deliver"),
    ]
    heading = "Shipment"

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference

    def read(self, app: MaillageApp) -> str:
        s = service.find_shipment(app.store, self.reference)
        return "\n".join(
            [
                f"{s.reference} to {s.uai}, from {s.depot}: {s.status.replace('_', ' ')}",
                f"seal {s.seal_number or '—'} · carrier {s.carrier or '—'} · "
                f"received by {s.recipient or '—'}",
                f"{plural(len(s.serials), 'device')}: {listing(s.serials) or 'none yet'}",
                *([f"missing: {listing(s.missing_serials)}"] if s.missing_serials else []),
            ]
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_record() if action in SHIPMENT_HELP else True

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return binding_commands(self, SHIPMENT_HELP, f"Shipment {self.reference}")

    def action_pack(self) -> None:
        from console.tui.screens.packing import PackingScreen

        self.app.push_screen(PackingScreen(self.reference), lambda _: self.reload())

    def action_seal(self) -> None:
        actions.seal(self.console, self.reference)

    def action_dispatch(self) -> None:
        actions.dispatch(self.console, self.reference)

    def action_deliver(self) -> None:
        actions.deliver(self.console, self.reference)
