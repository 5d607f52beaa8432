"""Audit mode: the event log browsed and scrubbed through time, an aggregate's state as of then.

Left, the event browser: the log up to the position read when the mode opened
(``r`` reads the events written since), newest last, filtered by event type,
aggregate and dates from the filter bar; under it the scrubber, whose position
is the "as of" point. Right, the selected aggregate (Enter on an event) as it
was at that point, above its events, the ones after the point dimmed.

Keys: ``[`` ``]`` step through the listed events, ``{`` ``}`` a day, ``<``
``>`` the selected aggregate's events, ``g`` goes to a position or a date, a
click on the scrubber jumps. Nothing here records anything: auditors use it.

A million events stay light: the browser holds only positions — a ``range``
for the whole log (nothing read), or 8 bytes per listed event for a filter
(read in one statement) — and reads the other cells a page at a time, for the
rows on screen. Every read runs in a thread worker over its own connection; the
screen never waits for the store.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Final
from uuid import UUID

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from console.texts.audit import by_text, paris, state_lines
from console.tui.messages import ViewsUpdated
from console.tui.screens.go_to import GoToScreen
from console.tui.screens.mode import ModeScreen
from console.tui.widgets.audit_table import AuditTable
from console.tui.widgets.rows import Column, ColumnarRows, IndexArray
from console.tui.widgets.scrubber import Scrubber
from console.tui.widgets.virtual_table import VirtualTable
from domain.audit.command_record import CommandInfo, commands_at
from domain.audit.time_travel import (
    AggregateEvent,
    AggregateState,
    LogEntry,
    LogFilter,
    TimeTravel,
    parse_moment,
    parse_types,
)
from domain.audit.verify import chain_head
from domain.clock import PARIS
from domain.errors import MaillageError, NotFoundError

PAGE_ROWS: Final = 200
"""Browser rows read per statement."""
MAX_PAGES: Final = 64
"""Pages of the browser kept in memory (the oldest read goes first)."""

LOG_COLUMNS: Final = (
    Column("position", "Position", 8, "right", numeric=True),
    Column("time", "Time", 23, fixed=True),
    Column("aggregate", "Aggregate", 13),
    Column("event", "Event", 20),
    Column("id", "Id", 8),
)
EVENT_COLUMNS: Final = (
    Column("position", "Position", 8, "right", numeric=True),
    Column("version", "Ver", 4, "right", numeric=True),
    Column("time", "Time", 23, fixed=True),
    Column("event", "Event", 18),
    Column("by", "By", 30),
    Column("summary", "Attributes", 60),
)
LOADING: Final = "…"
GAP: Final = "(no event here)"
"""A position without an event: a rolled-back insert on PostgreSQL, or a deleted row."""


@dataclass(frozen=True)
class Snapshot:
    """What the mode reads: the log up to ``upto``, and the chain head when it was read."""

    upto: int
    head_position: int
    head_link: bytes
    first_position: int
    first_time: datetime | None
    last_time: datetime | None


# ----------------------------------------------------------------------------- rows


class LogRows(ColumnarRows):
    """The listed log as table rows: every position in memory (a ``range`` when nothing is
    filtered), the other cells read a page at a time by ``request(page)`` and handed over
    with ``store_page``. A position without an event shows as a gap."""

    def __init__(self, positions: Sequence[int], request: Callable[[int], None]) -> None:
        super().__init__(LOG_COLUMNS, {column.key: [] for column in LOG_COLUMNS})
        self.positions = positions
        self._length = len(positions)
        self._request = request
        self._pages: dict[int, dict[int, LogEntry]] = {}
        self._identity: np.ndarray | None = None

    def order(self, sort_column: int | None, descending: bool = False) -> IndexArray:
        """Log order only (the table offers no sort): built once, without its reverse."""
        if sort_column is not None or descending:
            raise ValueError("the log is listed in position order only")
        if self._identity is None:
            identity = np.arange(self._length, dtype=np.intp)
            identity.setflags(write=False)
            self._identity = identity
        return self._identity

    def loaded(self, row_index: int) -> bool:
        return row_index // PAGE_ROWS in self._pages

    def entry(self, row_index: int) -> LogEntry | None:
        """The entry of a row if its page was read (None too for a gap)."""
        page = self._pages.get(row_index // PAGE_ROWS)
        return None if page is None else page.get(self.positions[row_index])

    def cell(self, row_index: int, col_index: int) -> str:
        if col_index == 0:
            return f"{self.positions[row_index]:,}"
        if not self.loaded(row_index):
            self._request(row_index // PAGE_ROWS)
            return LOADING
        entry = self.entry(row_index)
        if entry is None:
            return GAP if col_index == 3 else ""
        if col_index == 1:
            return paris(entry.timestamp)
        if col_index == 2:
            return entry.aggregate_type
        if col_index == 3:
            return entry.event_type
        return entry.aggregate_id.hex[:8]

    def row(self, row_index: int) -> tuple[str, ...]:
        return tuple(self.cell(row_index, i) for i in range(len(self.columns)))

    def row_key(self, row_index: int) -> str:
        return str(self.positions[row_index])

    def page_positions(self, page: int) -> Sequence[int]:
        return self.positions[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]

    def has_page(self, page: int) -> bool:
        return page in self._pages

    def store_page(self, page: int, entries: list[LogEntry]) -> None:
        self._pages[page] = {e.position: e for e in entries}
        while len(self._pages) > MAX_PAGES:
            del self._pages[next(iter(self._pages))]

    def index_at_or_before(self, position: int) -> int | None:
        """Row of the last listed position at or before ``position`` (None: none is)."""
        index = bisect_right(self.positions, position) - 1
        return index if index >= 0 else None


def event_rows(
    history: Sequence[AggregateEvent], authors: Mapping[int, CommandInfo] | None = None
) -> ColumnarRows:
    """An aggregate's events as table rows, keyed by position, each with who wrote it."""
    authors = authors or {}
    return ColumnarRows(
        EVENT_COLUMNS,
        {
            "position": [f"{e.position:,}" for e in history],
            "version": [str(e.version) for e in history],
            "time": [paris(e.timestamp) for e in history],
            "event": [e.event_type for e in history],
            "by": [by_text(authors.get(e.position)) for e in history],
            "summary": [e.summary for e in history],
        },
        keys=[str(e.position) for e in history],
    )


# ----------------------------------------------------------------------------- widgets


# ----------------------------------------------------------------------------- the mode

STEP = Binding.Group("Step", compact=True)
DAY = Binding.Group("Day", compact=True)
"""Back and forward, by event or by day, each one footer entry ("[] Step", "{} Day")."""


class AuditScreen(ModeScreen):
    """The event browser, the scrubber, and the selected aggregate as of the scrubber's point."""

    CSS_PATH: ClassVar[str | Path | list[str | Path] | None] = Path(__file__).with_name(
        "audit.tcss"
    )
    AUTO_FOCUS: ClassVar[str | None] = "#audit-log TableBody"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket",
            "step(-1)",
            "Back",
            key_display="[",
            id="audit.step_back",
            group=STEP,
        ),
        Binding(
            "right_square_bracket",
            "step(1)",
            "Forward",
            key_display="]",
            id="audit.step_forward",
            group=STEP,
        ),
        Binding(
            "left_curly_bracket",
            "day(-1)",
            "Day back",
            key_display="{",
            id="audit.day_back",
            group=DAY,
        ),
        Binding(
            "right_curly_bracket",
            "day(1)",
            "Day forward",
            key_display="}",
            id="audit.day_forward",
            group=DAY,
        ),
        Binding(
            "less_than_sign",
            "aggregate_step(-1)",
            "Aggregate's previous event",
            key_display="<",
            show=False,
            id="audit.aggregate_back",
        ),
        Binding(
            "greater_than_sign",
            "aggregate_step(1)",
            "Aggregate's next event",
            key_display=">",
            show=False,
            id="audit.aggregate_forward",
        ),
        Binding("g", "go_to", "Go to", id="audit.go_to"),
        Binding("f,slash", "filters", "Filter", key_display="f", id="audit.filter"),
        Binding(
            "a", "only_aggregate", "This aggregate only", show=False, id="audit.only_aggregate"
        ),
        Binding("x", "clear_filters", "Clear filters", show=False, id="audit.clear_filters"),
        Binding("r", "reload", "Read new", id="audit.reload"),
        Binding("escape", "leave_filters", "Back to the log", show=False, id="audit.leave_filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: Snapshot | None = None
        self.as_of = 0
        """The scrubber's position: the log position the state on the right reflects."""
        self.as_of_time: datetime | None = None
        self.log_filter = LogFilter()
        self.selected: UUID | None = None
        self.history: list[AggregateEvent] = []
        self.state: AggregateState | None = None
        self.newest = 0
        """The newest position the console has seen in the log (for "new events")."""
        self._wanted_pages: set[int] = set()
        """Pages of the browser that rows on screen asked for, not read yet."""
        self._pages_in_flight: set[int] = set()
        self._pages_loading = False

    # ------------------------------------------------------------------ layout

    @property
    def closed_to_role(self) -> bool:
        """The log spans every municipality: a ccas user (scoped to one) does not browse it."""
        return self.console.settings.role == "ccas"

    def compose_body(self) -> ComposeResult:
        if self.closed_to_role:
            yield Static(
                "The Audit mode reads the whole log, every municipality's: it is for auditors "
                "and the depot. Your municipality's alerts are in Meals (2).",
                id="audit-closed",
                markup=False,
            )
            return
        yield Static("reading the log…", id="audit-head", markup=False)
        with Horizontal(id="audit-body"):
            with Vertical(id="audit-left"):
                with Horizontal(id="audit-filters"):
                    yield Input(placeholder="event type", id="filter-type", compact=True)
                    yield Input(placeholder="aggregate id", id="filter-aggregate", compact=True)
                    yield Input(placeholder="since (date)", id="filter-since", compact=True)
                    yield Input(placeholder="until (date)", id="filter-until", compact=True)
                yield AuditTable(self._later_in_log, fixed=True, id="audit-log")
                yield Scrubber(id="audit-scrubber")
                yield Static("", id="audit-asof", markup=False)
            with Vertical(id="audit-right"):
                with VerticalScroll(id="audit-state-box"):
                    yield Static(
                        "Enter on an event shows its aggregate here, as of the scrubber's point.",
                        id="audit-state",
                        markup=False,
                    )
                yield AuditTable(self._later_in_history, fixed=False, id="audit-events")

    @property
    def log_table(self) -> AuditTable:
        return self.query_one("#audit-log", AuditTable)

    @property
    def events_table(self) -> AuditTable:
        return self.query_one("#audit-events", AuditTable)

    @property
    def log_rows(self) -> LogRows | None:
        rows = self.log_table.rows
        return rows if isinstance(rows, LogRows) else None

    @property
    def state_text(self) -> str:
        """What the state pane shows (for people and tests)."""
        return str(self.query_one("#audit-state", Static).render())

    @property
    def head_text(self) -> str:
        return str(self.query_one("#audit-head", Static).render())

    @property
    def as_of_text(self) -> str:
        return str(self.query_one("#audit-asof", Static).render())

    def on_mount(self) -> None:
        if self.closed_to_role:
            return
        self.newest = self.console.position
        self._read_log(self.log_filter, fresh=True)

    # ------------------------------------------------------------------ reading the log

    @work(thread=True, exclusive=True, group="audit-log")
    def _read_log(self, chosen: LogFilter, fresh: bool, aggregate: str | None = None) -> None:
        """Read the snapshot (when ``fresh``) and the positions the filter lets through
        (``aggregate``: an id as typed, resolved here)."""
        store = self.console.store
        try:
            if fresh:
                head_position, head_link = chain_head(store)
                with TimeTravel(store) as reader:
                    first = reader.first_position()
                    snapshot = Snapshot(
                        upto=reader.upto,
                        head_position=head_position,
                        head_link=head_link,
                        first_position=first,
                        first_time=reader.timestamp_at(first),
                        last_time=reader.timestamp_at(reader.upto),
                    )
            else:
                assert self.snapshot is not None
                snapshot = self.snapshot
            with TimeTravel(store, upto=snapshot.upto) as reader:
                if aggregate is not None:
                    chosen = replace(chosen, aggregate_id=reader.resolve_id(aggregate))
                positions = reader.span() if chosen.empty else reader.positions(chosen)
        except MaillageError as e:
            self.app.call_from_thread(self._problem, str(e))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._log_read, snapshot, chosen, positions, fresh)

    def _log_read(
        self, snapshot: Snapshot, chosen: LogFilter, positions: Sequence[int], fresh: bool
    ) -> None:
        self.snapshot = snapshot
        self.log_filter = chosen
        self._wanted_pages.clear()
        self.log_table.set_rows(LogRows(positions, self._want_page))
        if fresh:
            self.newest = max(self.newest, snapshot.upto)
            self._set_as_of(snapshot.upto)
        else:
            self._follow_as_of()
        self._show_head()

    def _show_head(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        parts = [
            f"log read up to position {snap.upto:,} ({paris(snap.last_time)})",
            f"chain head at position {snap.head_position:,}: {snap.head_link.hex()[:16]}…",
        ]
        if self.newest > snap.upto:
            parts.append(f"{self.newest - snap.upto:,} new events: r reads them")
        if not self.log_filter.empty:
            parts.append("filtered")
        self.query_one("#audit-head", Static).update(" · ".join(parts))

    def _problem(self, message: str) -> None:
        self.notify(message, title="Audit", severity="error")

    @on(ViewsUpdated)
    def _log_moved(self, message: ViewsUpdated) -> None:
        if self.closed_to_role:
            return
        self.newest = max(self.newest, message.position)
        self._show_head()

    def action_reload(self) -> None:
        """Read the log again up to its current end (the filter stays)."""
        self._read_log(self.log_filter, fresh=True)

    # ------------------------------------------------------------------ pages of the browser

    def _want_page(self, page: int) -> None:
        """A row on screen needs its page (called while drawing: the read starts soon after)."""
        if page in self._wanted_pages or page in self._pages_in_flight:
            return
        self._wanted_pages.add(page)
        if not self._pages_loading:
            self._pages_loading = True
            self.call_later(self._start_pages)

    def _start_pages(self) -> None:
        rows, snapshot = self.log_rows, self.snapshot
        pages = sorted(p for p in self._wanted_pages if rows is None or not rows.has_page(p))
        self._wanted_pages.clear()
        if rows is None or snapshot is None or not pages:
            self._pages_loading = False
            return
        self._pages_in_flight = set(pages)
        self._read_pages(rows, snapshot.upto, pages)

    @work(thread=True, group="audit-pages")
    def _read_pages(self, rows: LogRows, upto: int, pages: list[int]) -> None:
        try:
            with TimeTravel(self.console.store, upto=upto) as reader:
                read = [(page, reader.entries_at(rows.page_positions(page))) for page in pages]
        except MaillageError as e:
            self.app.call_from_thread(self._problem, str(e))
            read = []
        self.app.call_from_thread(self._pages_read, rows, read)

    def _pages_read(self, rows: LogRows, read: list[tuple[int, list[LogEntry]]]) -> None:
        for page, entries in read:
            rows.store_page(page, entries)
        if rows is self.log_rows:
            self.log_table.redim()
        self._pages_in_flight = set()
        self._pages_loading = False
        if self._wanted_pages:
            self._pages_loading = True
            self._start_pages()

    # ------------------------------------------------------------------ the as-of point

    def _later_in_log(self, row_index: int) -> bool:
        rows = self.log_rows
        return rows is not None and rows.positions[row_index] > self.as_of

    def _later_in_history(self, row_index: int) -> bool:
        return row_index < len(self.history) and self.history[row_index].position > self.as_of

    def _set_as_of(self, position: int) -> None:
        """Move the as-of point: scrubber, cursors, dimming, then the state in a worker."""
        snap = self.snapshot
        if snap is None:
            return
        self.as_of = max(0, min(position, snap.upto))
        self.as_of_time = None
        self.query_one("#audit-scrubber", Scrubber).show(
            snap.first_position, snap.upto, self.as_of, snap.first_time, snap.last_time
        )
        self._follow_as_of()
        self.events_table.redim()
        self.events_table.follow(self._history_index_at(self.as_of))
        self._show_as_of()
        self._read_as_of(self.as_of, self.selected, list(self.history))

    def _follow_as_of(self) -> None:
        rows = self.log_rows
        if rows is not None:
            self.log_table.redim()
            self.log_table.follow(rows.index_at_or_before(self.as_of))

    def _history_index_at(self, position: int) -> int | None:
        index = bisect_right([e.position for e in self.history], position) - 1
        return index if index >= 0 else None

    def _show_as_of(self) -> None:
        snap = self.snapshot
        total = 0 if snap is None else snap.upto
        when = "…" if self.as_of_time is None and self.as_of else paris(self.as_of_time)
        if self.as_of == 0:
            when = "before the first event"
        self.query_one("#audit-asof", Static).update(
            f"as of position {self.as_of:,} of {total:,} · {when}"
        )

    @work(thread=True, exclusive=True, group="audit-as-of")
    def _read_as_of(
        self, position: int, selected: UUID | None, history: list[AggregateEvent]
    ) -> None:
        snap = self.snapshot
        assert snap is not None
        state = None
        try:
            with TimeTravel(self.console.store, upto=snap.upto) as reader:
                moment = reader.timestamp_at(position)
                if selected is not None and history:
                    state = reader.state_at(selected, position=position, events=history)
        except MaillageError as e:
            self.app.call_from_thread(self._problem, str(e))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._as_of_read, position, moment, selected, state)

    def _as_of_read(
        self,
        position: int,
        moment: datetime | None,
        selected: UUID | None,
        state: AggregateState | None,
    ) -> None:
        if position != self.as_of:
            return
        self.as_of_time = moment
        self._show_as_of()
        if selected == self.selected and state is not None:
            self.state = state
            self.query_one("#audit-state", Static).update("\n".join(state_lines(state)))

    @on(Scrubber.Moved)
    def _scrubbed(self, message: Scrubber.Moved) -> None:
        self._set_as_of(message.position)

    def action_step(self, direction: int) -> None:
        """The listed event before or after the as-of point becomes the point."""
        rows = self.log_rows
        if rows is None or not len(rows):
            return
        if direction > 0:
            index = bisect_right(rows.positions, self.as_of)
        else:
            index = bisect_left(rows.positions, self.as_of) - 1
        if 0 <= index < len(rows):
            self._set_as_of(rows.positions[index])
        else:
            self.app.bell()

    def action_aggregate_step(self, direction: int) -> None:
        """The selected aggregate's event before or after the as-of point becomes the point."""
        positions = [e.position for e in self.history]
        if not positions:
            return
        if direction > 0:
            index = bisect_right(positions, self.as_of)
        else:
            index = bisect_left(positions, self.as_of) - 1
        if 0 <= index < len(positions):
            self._set_as_of(positions[index])
        else:
            self.app.bell()

    def action_day(self, direction: int) -> None:
        """Move the as-of point a day (to the last event a day before or after its time)."""
        snap = self.snapshot
        if snap is None:
            return
        base = self.as_of_time or (snap.first_time if self.as_of == 0 else None)
        if base is None:
            return  # its time is still being read
        self._seek(base + timedelta(days=direction))

    @work(thread=True, exclusive=True, group="audit-seek")
    def _seek(self, moment: datetime) -> None:
        snap = self.snapshot
        assert snap is not None
        try:
            with TimeTravel(self.console.store, upto=snap.upto) as reader:
                position = reader.position_at(moment)
        except MaillageError as e:
            self.app.call_from_thread(self._problem, str(e))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_as_of, position)

    def action_go_to(self) -> None:
        self.app.push_screen(GoToScreen(), self._go_to)

    def _go_to(self, answer: str | None) -> None:
        snap = self.snapshot
        if answer is None or snap is None:
            return
        digits = answer.replace(",", "").replace("_", "").replace(" ", "")
        if digits.isdigit():
            position = int(digits)
            if position > snap.upto:
                self._problem(
                    f"position {position:,} is beyond the log read (last position {snap.upto:,})"
                )
                return
            self._set_as_of(position)
            return
        try:
            moment = parse_moment(answer, PARIS, end_of_day=True, what="go to")
        except MaillageError as e:
            self._problem(str(e))
            return
        self._seek(moment)

    # ------------------------------------------------------------------ selecting an aggregate

    @on(VirtualTable.RowOpened, "#audit-log")
    def _log_row_opened(self, message: VirtualTable.RowOpened) -> None:
        """Enter on an event: its aggregate is shown, as of that event."""
        position = int(message.row_key)
        rows = self.log_rows
        entry = None if rows is None else rows.entry(message.row_index)
        self._set_as_of(position)
        self._select(position, None if entry is None else entry.aggregate_id, self.as_of)

    @on(VirtualTable.RowOpened, "#audit-events")
    def _event_row_opened(self, message: VirtualTable.RowOpened) -> None:
        """Enter on one of the aggregate's events: the as-of point goes there."""
        self._set_as_of(int(message.row_key))

    @work(thread=True, exclusive=True, group="audit-select")
    def _select(self, position: int, aggregate_id: UUID | None, as_of: int) -> None:
        snap = self.snapshot
        assert snap is not None
        try:
            with TimeTravel(self.console.store, upto=snap.upto) as reader:
                if aggregate_id is None:
                    found = reader.entries_at([position])
                    if not found:
                        raise NotFoundError(f"no event at position {position:,}")
                    aggregate_id = found[0].aggregate_id
                history = reader.aggregate_events(aggregate_id)
                state = reader.state_at(aggregate_id, position=as_of, events=history)
            authors = commands_at(self.console.store, [e.position for e in history])
        except MaillageError as e:
            self.app.call_from_thread(self._problem, str(e))
            return
        rows = event_rows(history, authors)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._selected, aggregate_id, history, rows, state)

    def _selected(
        self,
        aggregate_id: UUID,
        history: list[AggregateEvent],
        rows: ColumnarRows,
        state: AggregateState,
    ) -> None:
        self.selected, self.history = aggregate_id, history
        self.events_table.set_rows(rows)
        self.events_table.follow(self._history_index_at(self.as_of))
        if state.position == self.as_of:
            self.state = state
            self.query_one("#audit-state", Static).update("\n".join(state_lines(state)))
        else:
            self._read_as_of(self.as_of, aggregate_id, list(history))

    # ------------------------------------------------------------------ filters

    def action_filters(self) -> None:
        self.query_one("#filter-type", Input).focus()

    def action_leave_filters(self) -> None:
        self.log_table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape is ours only in the filter bar; "this aggregate only" needs one selected."""
        if self.closed_to_role:
            return False
        typing = isinstance(self.focused, Input)
        if action == "leave_filters":
            return typing
        if action == "only_aggregate":
            return self.selected is not None
        return True

    @on(Input.Submitted, "#audit-filters Input")
    def _filter_entered(self) -> None:
        self._apply_filters()
        self.log_table.focus()

    def _apply_filters(self) -> None:
        """Read the filter bar and list the log it lets through (in a worker)."""
        snap = self.snapshot
        if snap is None:
            return
        values = {
            name: self.query_one(f"#filter-{name}", Input).value.strip()
            for name in ("type", "aggregate", "since", "until")
        }
        try:
            chosen = LogFilter(
                types=parse_types(values["type"]),
                since=parse_moment(values["since"], PARIS, what="since")
                if values["since"]
                else None,
                until=parse_moment(values["until"], PARIS, end_of_day=True, what="until")
                if values["until"]
                else None,
            )
        except MaillageError as e:
            self._problem(str(e))
            return
        self._read_log(chosen, fresh=False, aggregate=values["aggregate"] or None)

    def action_only_aggregate(self) -> None:
        """List only the selected aggregate's events (again: every aggregate's)."""
        field = self.query_one("#filter-aggregate", Input)
        if self.selected is None:
            return
        field.value = "" if self.log_filter.aggregate_id == self.selected else str(self.selected)
        self._apply_filters()

    def action_clear_filters(self) -> None:
        for name in ("type", "aggregate", "since", "until"):
            self.query_one(f"#filter-{name}", Input).value = ""
        self._apply_filters()

    def filter_by(self, **values: str) -> None:
        """Fill filter fields and apply them (what typing then Enter does)."""
        for name, value in values.items():
            self.query_one(f"#filter-{name}", Input).value = value
        self._apply_filters()
