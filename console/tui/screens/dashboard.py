"""Dashboard mode: the state of the depot at a glance, refreshed as the log grows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Sparkline, Static
from textual.worker import get_current_worker

from console.tui.messages import ViewsUpdated
from console.tui.screens.mode import ModeScreen
from console.tui.widgets.tile import Tile
from domain import clock
from domain.clock import PARIS
from domain.devices.views import device_counts, establishment_count
from domain.meals.views import MealsToday, meals_today
from domain.sensing.service import SessionsSummary, sessions_summary
from domain.store import ViewConnection
from domain.views.activity import events_per_day
from domain.views.projector import Projector
from domain.wording import plural

HISTORY_DAYS = 21


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard shows, read in one go from the views."""

    last_position: int
    views_behind: int
    schools: int
    devices: dict[str, int]
    per_day: list[tuple[str, int]]
    meals: MealsToday
    sessions: SessionsSummary


DEVICE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("announced", ("announced",)),
    ("at the depot", ("received", "staged", "allocated", "packed")),
    ("in transit", ("in_transit",)),
    ("at schools", ("delivered", "pending_acceptance", "handed_over", "returned")),
    ("incidents", ("faulty", "in_repair", "lost", "stolen")),
    ("given for good", ("handed_over_for_good",)),
)
"""Device statuses as the depot thinks of them, for the dashboard tile."""


class DashboardScreen(ModeScreen):
    """Tiles for the log, schools, devices, meals and sensors, and a week-by-week pulse."""

    def compose_body(self) -> ComposeResult:
        with Grid(id="tiles"):
            yield Tile("Event log", "tile-log")
            yield Tile("Schools", "tile-schools")
            yield Tile("Devices", "tile-devices")
            yield Tile("Meals today", "tile-meals")
            yield Tile("Sensors", "tile-sensors")
            yield Tile("Welfare alerts", "tile-alerts")
        with Vertical(id="pulse", classes="tile") as pulse:
            pulse.border_title = f"Events per day, last {HISTORY_DAYS} days"
            yield Sparkline([], id="pulse-sparkline")
            yield Static("", id="pulse-range")

    def on_mount(self) -> None:
        for tile in ("#tile-meals", "#tile-sensors", "#tile-alerts"):
            self.query_one(tile, Tile).show("…", "reading the views")
        self.load()

    @on(ViewsUpdated)
    def _views_moved(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="dashboard")
    def load(self) -> None:
        """Read the figures from the views (in a thread) and show them."""
        store = self.console.store
        last = store.last_position()
        now = clock.now()
        today = now.astimezone(PARIS).date()
        first = today - timedelta(days=HISTORY_DAYS - 1)
        with Projector(store, []) as projector:
            behind = sum(max(0, last - p.position) for p in projector.positions())
        conn = ViewConnection.open(store.location)
        try:
            figures = DashboardFigures(
                last_position=last,
                views_behind=behind,
                schools=establishment_count(conn),
                devices=device_counts(conn),
                per_day=events_per_day(conn, first.isoformat(), today.isoformat()),
                meals=meals_today(conn, today.isoformat(), now, self.console.settings.scope),
                sessions=sessions_summary(store),
            )
        finally:
            conn.close()
        if not get_current_worker().is_cancelled:  # a newer load is under way
            self.app.call_from_thread(self.show, figures)

    def show(self, f: DashboardFigures) -> None:
        if not self.is_attached:  # the console closed while the figures were read
            return
        views = (
            "views up to date" if f.views_behind == 0 else f"views {f.views_behind:,} events behind"
        )
        self.query_one("#tile-log", Tile).show(f"{f.last_position:,} events", views)
        self.query_one("#tile-schools", Tile).show(f"{f.schools:,}", "establishments registered")
        total = sum(f.devices.values())
        groups = {
            label: sum(f.devices.get(status, 0) for status in statuses)
            for label, statuses in DEVICE_GROUPS
        }
        detail = " · ".join(f"{n:,} {label}" for label, n in groups.items() if n) or "none yet"
        self.query_one("#tile-devices", Tile).show(f"{total:,}", detail)
        m = f.meals
        self.query_one("#tile-meals", Tile).show(
            f"{m.meals_delivered:,} of {m.meals_planned:,} delivered",
            f"{plural(m.rounds, 'round')}, {m.rounds_under_way} under way · "
            + (
                f"{m.open_excursions} open cold-chain excursions"
                if m.open_excursions
                else "cold chain OK"
            ),
        )
        self.query_one("#tile-sensors", Tile).show(*_sessions_tile(f.sessions))
        self.query_one("#tile-alerts", Tile).show(
            f"{m.open_alerts} open",
            f"{m.overdue_alerts} not acknowledged in time" if m.overdue_alerts else "none overdue",
        )
        self.query_one("#pulse-sparkline", Sparkline).data = [n for _, n in f.per_day]
        if f.per_day:
            busiest = max(f.per_day, key=lambda d: d[1])
            self.query_one("#pulse-range", Static).update(
                f"{f.per_day[0][0]} → {f.per_day[-1][0]} · busiest {busiest[0]} ({busiest[1]:,})"
            )


def _sessions_tile(s: SessionsSummary) -> tuple[str, str]:
    """The Sensors tile: sessions by processing state and the latest one, in Paris time."""
    if s.total == 0:
        return "no sessions", "record one with 'maillage record' (Sensors mode: 4)"
    states = [f"{s.processed} processed"]
    if s.waiting:
        states.append(f"{s.waiting} to process")
    if s.recording:
        states.append(f"{s.recording} recording")
    latest = ""
    if s.latest_started_at is not None:
        local = s.latest_started_at.astimezone(PARIS)
        latest = f" · latest {s.latest_vehicle} {local:%d/%m %H:%M} {local:%Z}"
    plural = "s" if s.total != 1 else ""
    return f"{s.total} session{plural}", " · ".join(states) + latest
