"""Packing a shipment by scanning: each serial typed, or read by a barcode scanner acting as a
keyboard (each Enter is one serial), is packed into the shipment at once.

Each scan is one ``service.pack`` call for one serial, run in a worker thread:
the shipment and the device change together or not at all, so an error on one
serial (unknown, wrong state, allocated to another school, already inside)
leaves nothing half-applied and does not hold back the serials scanned before
or after it. Scans are processed strictly in the order they were read.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from console.tui.screens.dialog import DialogScreen
from domain.devices.inputs import serial as normalise_serial
from domain.devices.service import find_shipment, pack
from domain.errors import MaillageError
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


@dataclass
class Scan:
    """One serial read and what became of it."""

    serial: str
    state: str = "waiting"
    """``waiting``, ``packed`` or ``refused``."""
    message: str = ""

    @property
    def line(self) -> str:
        mark = {"waiting": "…", "packed": "✓", "refused": "✗"}[self.state]
        return f"{mark} {self.serial:<16} {self.message}"


class PackingScreen(DialogScreen[None]):
    """Scan serials into one shipment still being packed; Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="packing.close"),
    ]

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference
        self.scans: list[Scan] = []
        self._queue: deque[Scan] = deque()
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Vertical(classes="reading-box packing-box"):
            yield Label(f"[b]Packing shipment {escape(self.reference)}[/b]", id="packing-heading")
            yield Static("reading…", id="packing-summary", markup=False)
            yield Input(placeholder="Scan or type a serial, then Enter", id="packing-input")
            yield Static("", id="packing-scans", markup=False)
            yield Label(
                "Each Enter packs one serial · errors are listed per serial · Escape closes",
                classes="form-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#packing-input", Input).focus()
        self.read_shipment()

    @property
    def console(self) -> MaillageApp:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        return self.app

    @property
    def scans_text(self) -> str:
        """The scanned list as shown (for people and tests)."""
        return str(self.query_one("#packing-scans", Static).render())

    @work(thread=True, exclusive=True, group="packing-read")
    def read_shipment(self) -> None:
        try:
            s = find_shipment(self.console.store, self.reference)
            inside = plural(len(s.serials), "device")
            text = f"for {s.uai} from {s.depot} · {s.status} · {inside} inside"
        except MaillageError as e:
            text = str(e)
        self.app.call_from_thread(self.query_one("#packing-summary", Static).update, text)

    @on(Input.Submitted, "#packing-input")
    def _scanned(self, event: Input.Submitted) -> None:
        event.input.value = ""
        raw = event.value.strip()
        if not raw:
            return
        settings = self.console.settings
        if settings.read_only or settings.role == "ccas":
            self.notify(
                f"the {settings.role} role may not pack shipments",
                severity="error",
                title="Not recorded",
            )
            return
        try:
            scan = Scan(normalise_serial(raw))
        except MaillageError as e:
            self.notify(str(e), severity="error", title="Not recorded")
            return
        self.scans.append(scan)
        self._queue.append(scan)
        self._show_scans()
        self._pack_next()

    @work(thread=True, group="packing")
    def _pack_next(self) -> None:
        """Pack the oldest waiting scan (one worker per scan; the lock keeps them in order)."""
        with self._lock:
            scan = self._queue.popleft()
            try:
                pack(self.console.store, self.reference, [scan.serial], self.console.settings.user)
            except MaillageError as e:
                scan.state, scan.message = "refused", str(e)
                self.app.call_from_thread(
                    self.notify, f"{scan.serial}: {e}", severity="error", title="Not recorded"
                )
            else:
                scan.state, scan.message = "packed", "packed"
        self.app.call_from_thread(self._show_scans)
        if scan.state == "packed":
            self.app.call_from_thread(self.console.update_views)
            self.read_shipment()

    def _show_scans(self) -> None:
        packed = sum(s.state == "packed" for s in self.scans)
        refused = sum(s.state == "refused" for s in self.scans)
        head = f"{len(self.scans)} scanned · {packed} packed · {refused} refused"
        lines = [head, *(s.line for s in reversed(self.scans))]
        self.query_one("#packing-scans", Static).update("\n".join(lines))
