"""One establishment's devices: a progress bar per stage and the count in each status."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, Static

from console.tui.screens.dialog import DialogScreen
from domain.devices.device import STATUSES
from domain.devices.views import DELIVERED_OR_BEYOND, EstablishmentProgress, establishments_progress
from domain.store import ViewConnection

STAGES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("packed", "Packed or beyond", frozenset({"packed", "in_transit", *DELIVERED_OR_BEYOND})),
    ("shipped", "Shipped (in transit or beyond)", frozenset({"in_transit", *DELIVERED_OR_BEYOND})),
    ("delivered", "Delivered", frozenset(DELIVERED_OR_BEYOND)),
    (
        "handed",
        "Handed to a pupil or teacher",
        frozenset({"pending_acceptance", "handed_over", "handed_over_for_good"}),
    ),
)
"""(id, label, statuses that have reached the stage) among the devices allocated to a school."""


def stage_counts(progress: EstablishmentProgress) -> dict[str, int]:
    """How many of the school's devices have reached each stage."""
    return {
        key: sum(n for status, n in progress.by_status.items() if status in reached)
        for key, _, reached in STAGES
    }


class EstablishmentScreen(DialogScreen[None]):
    """Progress bars per stage, then devices by status; Escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="establishment.close"),
    ]

    def __init__(self, uai: str) -> None:
        super().__init__()
        self.uai = uai
        self.progress: EstablishmentProgress | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="reading-box establishment-box"):
            yield Label(f"[b]Establishment {escape(self.uai)}[/b]", id="establishment-heading")
            for key, label, _ in STAGES:
                yield Label(label, classes="form-label")
                yield ProgressBar(total=None, show_eta=False, id=f"stage-{key}")
            yield Static("reading…", id="establishment-statuses", markup=False)
            yield Label("Escape closes", classes="form-hint")

    def on_mount(self) -> None:
        self.load()

    @property
    def body_text(self) -> str:
        """The heading line and the counts by status (for people and tests)."""
        return str(self.query_one("#establishment-statuses", Static).render())

    @work(thread=True, exclusive=True, group="establishment")
    def load(self) -> None:
        from console.tui.app import MaillageApp

        assert isinstance(self.app, MaillageApp)
        conn = ViewConnection.open(self.app.store.location)
        try:
            found = establishments_progress(conn, self.uai)
        finally:
            conn.close()
        self.app.call_from_thread(self._show, found[0] if found else None)

    def _show(self, progress: EstablishmentProgress | None) -> None:
        self.progress = progress
        text = self.query_one("#establishment-statuses", Static)
        if progress is None:
            text.update(f"no establishment with UAI {self.uai} is registered")
            return
        self.query_one("#establishment-heading", Label).update(
            f"[b]{escape(progress.uai)} {escape(progress.name or '')}[/b]"
        )
        counts = stage_counts(progress)
        for key, _, _ in STAGES:
            bar = self.query_one(f"#stage-{key}", ProgressBar)
            bar.update(total=max(progress.allocated, 1), progress=counts[key])
        order = {s: i for i, s in enumerate(STATUSES)}
        lines = [f"{progress.label} · " + " · ".join(f"{v} {k}" for k, v in counts.items())]
        for status, n in sorted(progress.by_status.items(), key=lambda kv: order.get(kv[0], 99)):
            lines.append(f"  {status.replace('_', ' '):<22} {n:>6}")
        if not progress.by_status:
            lines.append("  no device is allocated to this establishment")
        text.update("\n".join(lines))
