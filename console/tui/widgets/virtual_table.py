"""A table for any number of rows: only the visible lines are drawn, sort and filter run in threads.

`VirtualTable` composes a `TableBody` (a ScrollView drawing a fixed header line and the visible
rows with `render_line`), a `FilterInput` shown by `/`, and a `TableStatus` line. The rows come
from a `ColumnarRows`; the widget knows nothing of what they describe.

Styles live in `virtual_table.tcss`: an App or Screen showing a table lists `VIRTUAL_TABLE_TCSS`
in its ``CSS_PATH`` (widgets cannot load a .tcss file themselves).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events, on
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from console.tui.widgets.rows import Column, ColumnarRows, RowView, fitted_widths

if TYPE_CHECKING:
    from typing import Self

    from textual.app import ComposeResult
    from textual.timer import Timer

__all__ = [
    "VIRTUAL_TABLE_TCSS",
    "Column",
    "ColumnarRows",
    "FilterInput",
    "RowView",
    "TableBody",
    "TableStatus",
    "VirtualTable",
]

VIRTUAL_TABLE_TCSS: Final[Path] = Path(__file__).with_name("virtual_table.tcss")
"""Styles of the table: list it in the ``CSS_PATH`` of any App or Screen that shows one."""

FILTER_DEBOUNCE_S: Final = 0.12
"""Quiet time after the last keystroke before the filter runs."""

VIEW_WORKER_GROUP: Final = "virtual-table-view"
"""Worker group of view (filter + sort) computations; a new one cancels the previous one."""

INDEX_WORKER_GROUP: Final = "virtual-table-index"
"""Worker group building the search index in advance, when `/` is pressed."""

CELL_PADDING: Final = 1
"""Blank cells on each side of every column."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINE_CACHE_SIZE: Final = 1024


def fit_cell(text: str, width: int, align: str = "left") -> str:
    """Pad or cut a display string to exactly ``width`` terminal cells; "…" marks a cut.

    Control characters are shown as spaces so that no cell can break the terminal line.
    """
    text = _CONTROL.sub(" ", text)
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if align == "right" else text + padding


class TableBody(ScrollView, can_focus=True):
    """The scrolled grid: a fixed header line, then one line per visible row, drawn on demand.

    Line 0 of the widget is always the header; line ``y > 0`` shows visible position
    ``scroll_y + y - 1``, so the virtual height is the row count plus one.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--header-sorted",
        "virtual-table--cursor",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("down", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "cursor_first", "First row", show=False, id="table.first_row"),
        Binding("end", "cursor_last", "Last row", show=False, id="table.last_row"),
        Binding("left", "scroll_left", "Scroll left", show=False, id="table.scroll_left"),
        Binding("right", "scroll_right", "Scroll right", show=False, id="table.scroll_right"),
        Binding("enter", "open_row", "Open", id="table.open_row"),
    ]

    def __init__(self, table: VirtualTable, view: RowView) -> None:
        super().__init__()
        self._table = table
        self._view = view
        self.cursor = 0
        """Visible position of the cursor row."""
        self._column_starts: list[int] = [0]
        self._widths: list[int] = []
        """Each column's width now, fitted to the room the table has (``fitted_widths``)."""
        self._line_cache: LRUCache[tuple[int, bool, int, int], Strip] = LRUCache(_LINE_CACHE_SIZE)
        self._header_cache: LRUCache[tuple[int, int, int | None, bool], Strip] = LRUCache(8)
        self._measure_columns()

    @property
    def view(self) -> RowView:
        """The rows shown, in their order."""
        return self._view

    @property
    def page_rows(self) -> int:
        """How many data rows fit below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def on_mount(self) -> None:
        self._update_virtual_size()

    def show_view(self, view: RowView, follow_row: int | None = None) -> None:
        """Show another view; the cursor stays on source row ``follow_row`` when it is visible,
        and goes to the first row otherwise."""
        self._view = view
        self._measure_columns()
        self.clear_line_cache()
        self._update_virtual_size()
        position = None if follow_row is None else view.position_of(follow_row)
        if position is None:
            self.cursor = 0
            self.scroll_to(x=None, y=0, animate=False)
        else:
            self.cursor = position
            self.scroll_cursor_visible()
        self.refresh()

    def clear_line_cache(self) -> None:
        """Forget every rendered line (styles, size or data changed)."""
        self._line_cache.clear()
        self._header_cache.clear()

    def _measure_columns(self) -> None:
        columns = self._view.rows.columns
        room = self.scrollable_content_region.width if self.is_mounted else 0
        self._widths = (
            fitted_widths(columns, room, CELL_PADDING) if room > 0 else [c.width for c in columns]
        )
        widths = (width + 2 * CELL_PADDING for width in self._widths)
        self._column_starts = list(accumulate(widths, initial=0))

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._column_starts[-1], len(self._view) + 1)

    # -- cursor ------------------------------------------------------------------------------

    def move_cursor(self, position: int) -> None:
        """Put the cursor on a visible position (clamped) and scroll it into view."""
        last = len(self._view) - 1
        position = max(0, min(position, last))
        if position != self.cursor:
            self.refresh_line(self.cursor + 1)
            self.cursor = position
            self.refresh_line(position + 1)
        self.scroll_cursor_visible()

    def scroll_cursor_visible(self) -> None:
        """Scroll the least needed for the cursor row to be on screen."""
        top = self.scroll_offset.y
        page = self.page_rows
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_page_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - self.page_rows, animate=False)
        self.move_cursor(self.cursor - self.page_rows)

    def action_cursor_page_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + self.page_rows, animate=False)
        self.move_cursor(self.cursor + self.page_rows)

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(len(self._view) - 1)

    def action_open_row(self) -> None:
        self._table.open_cursor_row()

    def on_click(self, event: events.Click) -> None:
        """A click on a header cell sorts by it; on a row, moves the cursor (twice: opens)."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        if offset.y == 0:
            column = bisect_right(self._column_starts, offset.x + scroll_x) - 1
            if column < len(self._view.rows.columns):
                self._table.sort_by_header(column)
            return
        position = scroll_y + offset.y - 1
        if position < len(self._view):
            self.move_cursor(position)
            if event.chain >= 2:
                self._table.open_cursor_row()

    # -- rendering ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Theme or pseudo-class change: cached lines carry old colours."""
        super().notify_style_update()
        self.clear_line_cache()

    def on_resize(self, event: events.Resize) -> None:
        self._measure_columns()  # the columns take the room there is now
        self._update_virtual_size()
        self.clear_line_cache()
        self.scroll_cursor_visible()

    def on_focus(self, event: events.Focus) -> None:
        self.clear_line_cache()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.clear_line_cache()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the widget: the header, a data row or blank."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            return self._render_header(width, scroll_x)
        position = scroll_y + y - 1
        if position >= len(self._view):
            return Strip.blank(width, self.rich_style)
        row_index = self._view.source_index(position)
        is_cursor = position == self.cursor
        key = (row_index, is_cursor, width, scroll_x)
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._render_row(row_index, is_cursor, width, scroll_x)
            self._line_cache[key] = strip
        return strip

    def _render_row(self, row_index: int, is_cursor: bool, width: int, scroll_x: int) -> Strip:
        rows = self._view.rows
        pad = " " * CELL_PADDING
        text = "".join(
            pad + fit_cell(rows.cell(row_index, col_index), width, column.align) + pad
            for col_index, (column, width) in enumerate(
                zip(rows.columns, self._widths, strict=True)
            )
        )
        style = self.rich_style
        if is_cursor:
            style += self.get_component_rich_style("virtual-table--cursor")
        return Strip([Segment(text, style)], cell_len(text)).crop_extend(
            scroll_x, scroll_x + width, style
        )

    def _render_header(self, width: int, scroll_x: int) -> Strip:
        view = self._view
        key = (width, scroll_x, view.sort_column, view.descending)
        strip = self._header_cache.get(key)
        if strip is not None:
            return strip
        header_style = self.rich_style + self.get_component_rich_style("virtual-table--header")
        sorted_style = self.rich_style + self.get_component_rich_style(
            "virtual-table--header-sorted"
        )
        pad = " " * CELL_PADDING
        segments: list[Segment] = []
        for col_index, column in enumerate(view.rows.columns):
            label, style = column.label, header_style
            if col_index == view.sort_column:
                label, style = f"{label} {'▼' if view.descending else '▲'}", sorted_style
            cells = fit_cell(label, self._widths[col_index], column.align)
            segments.append(Segment(pad + cells + pad, style))
        strip = Strip(segments, self._column_starts[-1]).crop_extend(
            scroll_x, scroll_x + width, header_style
        )
        self._header_cache[key] = strip
        return strip


class FilterInput(Input):
    """The `/` filter line: hidden until asked for, so it never takes single-key bindings."""

    def __init__(self) -> None:
        super().__init__(placeholder="Filter rows…", compact=True, select_on_focus=True)
        self.display = False


class TableStatus(Static):
    """One line under the table: "N of M rows", the filter and the sort."""

    def __init__(self) -> None:
        super().__init__("", markup=False)


class VirtualTable(Vertical):
    """A table of any number of rows, with a cursor, sort by column and a `/` live filter.

    Filtering and sorting run in a thread worker (one group, each request cancels the previous
    one); a result is shown only if it answers the latest request. Keystrokes in the filter are
    debounced by `FILTER_DEBOUNCE_S`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_sort", "Sort", id="table.sort"),
        Binding("S", "toggle_descending", "Reverse", show=False, id="table.sort_descending"),
        Binding("slash", "start_filter", "Filter", key_display="/", id="table.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="table.clear_filter"),
    ]

    class RowOpened(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: VirtualTable, row_key: str, row_index: int) -> None:
            super().__init__()
            self.table = table
            self.row_key = row_key
            """Identity of the row (`ColumnarRows.row_key`)."""
            self.row_index = row_index
            """Index of the row in the `ColumnarRows`."""

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        rows: ColumnarRows | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rows = rows if rows is not None else ColumnarRows.empty()
        self._sort_column: int | None = None
        self._descending = False
        self._typed_filter = ""
        """Text in the filter input, possibly not yet asked for (debounce)."""
        self._wanted_filter = ""
        """Filter of the latest view request."""
        self._generation = 0
        """Number of the latest view request; results of older ones are dropped."""
        self._shown_generation = 0
        self._debounce: Timer | None = None
        self._index_requested: ColumnarRows | None = None
        self.body = TableBody(self, RowView.build(self._rows))
        self.filter_input = FilterInput()
        self.status = TableStatus()

    def compose(self) -> ComposeResult:
        yield self.body
        yield self.filter_input
        yield self.status

    def on_mount(self) -> None:
        self._update_status()

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus the grid (the table itself never holds focus)."""
        self.body.focus(scroll_visible)
        return self

    # -- state -------------------------------------------------------------------------------

    @property
    def rows(self) -> ColumnarRows:
        """The data (all rows, unfiltered)."""
        return self._rows

    @property
    def view(self) -> RowView:
        """What is shown: the rows passing the filter, in sort order."""
        return self.body.view

    @property
    def sort_column(self) -> int | None:
        """Requested sort column (the view may still be computing it)."""
        return self._sort_column

    @property
    def descending(self) -> bool:
        """Requested sort direction."""
        return self._descending

    @property
    def filter_text(self) -> str:
        """Filter of the latest request (typed text still in debounce is not included)."""
        return self._wanted_filter

    @property
    def view_pending(self) -> bool:
        """Whether typed text or a requested view has not reached the screen yet."""
        return self._debounce is not None or self._generation != self._shown_generation

    @property
    def cursor_position(self) -> int:
        """Visible position of the cursor row."""
        return self.body.cursor

    @property
    def cursor_row_index(self) -> int | None:
        """Source index of the cursor row, or None when no row is shown."""
        view = self.view
        return view.source_index(self.body.cursor) if len(view) else None

    @property
    def cursor_row_key(self) -> str | None:
        """Identity of the cursor row, or None when no row is shown."""
        view = self.view
        return view.row_key(self.body.cursor) if len(view) else None

    @property
    def status_text(self) -> str:
        """The status line: "N of M rows", the filter, the sort, and whether work is pending."""
        view = self.view
        parts = [f"{len(view):,} of {view.total:,} rows"]
        if view.filter_text:
            parts.append(f"filter “{view.filter_text}”")
        if view.sort_column is not None:
            label = view.rows.columns[view.sort_column].label
            parts.append(f"sorted by {label} {'▼' if view.descending else '▲'}")
        elif view.descending:
            parts.append("reverse order")
        if self.view_pending:
            parts.append("updating…")
        return " · ".join(parts)

    def _update_status(self) -> None:
        self.status.update(self.status_text)

    # -- data, sort, filter ------------------------------------------------------------------

    def set_rows(self, rows: ColumnarRows) -> None:
        """Replace the data; the sort and the filter are kept (the sort when its column exists).

        The rows show at once in source order, then sorted and filtered when the worker ends.
        """
        self._rows = rows
        if self._sort_column is not None and self._sort_column >= len(rows.columns):
            self._sort_column = None
        self._generation += 1
        self._shown_generation = self._generation
        self.body.show_view(RowView.build(rows))
        if self._wanted_filter or self._sort_column is not None or self._descending:
            self._request_view()
        else:
            self._update_status()

    def sort_by(self, column: int | None, descending: bool = False) -> None:
        """Sort by a column index (None: source order), in a worker."""
        if column is not None and not 0 <= column < len(self._rows.columns):
            raise IndexError(f"no column {column}")
        self._sort_column, self._descending = column, descending
        self._request_view()

    def sort_by_header(self, column: int) -> None:
        """Header click: sort by that column, or reverse it when it is already the sort."""
        if column == self._sort_column:
            self.sort_by(column, not self._descending)
        else:
            self.sort_by(column)

    def set_filter(self, text: str) -> None:
        """Filter now, without debounce; the filter input shows the text."""
        self._cancel_debounce()
        self._typed_filter = text
        if self.filter_input.value != text:
            self.filter_input.value = text
        if text:
            self.filter_input.display = True
        if text != self._wanted_filter:
            self._wanted_filter = text
            self._request_view()

    def open_cursor_row(self) -> None:
        """Post `RowOpened` for the cursor row, if any row is shown."""
        view = self.view
        if len(view):
            position = self.body.cursor
            self.post_message(
                self.RowOpened(self, view.row_key(position), view.source_index(position))
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape is ours only while a filter is on; the single keys rest while typing."""
        if action == "clear_filter":
            return bool(self.filter_input.display or self._wanted_filter or self._typed_filter)
        if action in {"cycle_sort", "toggle_descending", "start_filter"}:
            return not self.filter_input.has_focus
        return True

    def action_cycle_sort(self) -> None:
        """Sort by the next column; after the last one, back to source order."""
        count = len(self._rows.columns)
        if count:
            following = 0 if self._sort_column is None else self._sort_column + 1
            self.sort_by(following if following < count else None, self._descending)

    def action_toggle_descending(self) -> None:
        self.sort_by(self._sort_column, not self._descending)

    def action_start_filter(self) -> None:
        """Show the filter input and focus it; build the search index meanwhile."""
        self.filter_input.display = True
        self.filter_input.focus()
        self._prepare_search_index()

    def action_clear_filter(self) -> None:
        """Empty and hide the filter input, show all rows, give focus back to the grid."""
        self.set_filter("")
        self.filter_input.display = False
        self.body.focus()

    @on(Input.Changed)
    def _filter_typed(self, event: Input.Changed) -> None:
        if event.input is not self.filter_input:
            return
        event.stop()
        self._typed_filter = event.value
        self._cancel_debounce()
        if event.value != self._wanted_filter:
            # Stop-and-restart rather than Timer.reset(): reset counts from the old deadline.
            self._debounce = self.set_timer(FILTER_DEBOUNCE_S, self._debounce_elapsed)
        self._update_status()

    @on(Input.Submitted)
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.filter_input:
            return
        event.stop()
        self.set_filter(event.value)
        if not event.value:
            self.filter_input.display = False
        self.body.focus()

    def _debounce_elapsed(self) -> None:
        self._debounce = None
        if self._typed_filter != self._wanted_filter:
            self._wanted_filter = self._typed_filter
            self._request_view()
        else:
            self._update_status()

    def _cancel_debounce(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None

    def _prepare_search_index(self) -> None:
        rows = self._rows
        if not rows.search_index_ready and self._index_requested is not rows:
            self._index_requested = rows
            self.run_worker(
                rows.build_search_index,
                name="table search index",
                group=INDEX_WORKER_GROUP,
                thread=True,
                exit_on_error=False,
            )

    def _request_view(self) -> None:
        """Compute the view for the current data, filter and sort in a thread."""
        self._generation += 1
        generation = self._generation
        rows, text = self._rows, self._wanted_filter
        column, descending = self._sort_column, self._descending

        def build() -> tuple[int, RowView]:
            return generation, RowView.build(rows, text, column, descending)

        self.run_worker(
            build,
            name=f"table view {generation}",
            group=VIEW_WORKER_GROUP,
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )
        self._update_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.node is not self or worker.group not in {VIEW_WORKER_GROUP, INDEX_WORKER_GROUP}:
            return
        event.stop()
        if event.state is WorkerState.ERROR:
            self.notify(repr(worker.error), title="Cannot update the table", severity="error")
            if worker.name == f"table view {self._generation}":
                self._shown_generation = self._generation  # nothing more is coming
                self._update_status()
        elif event.state is WorkerState.SUCCESS and worker.group == VIEW_WORKER_GROUP:
            generation, view = worker.result
            if generation == self._generation:
                self._show(view)

    def _show(self, view: RowView) -> None:
        """Put a computed view on screen: the cursor follows its row across a sort change."""
        old = self.body.view
        follow = None
        if view.rows is old.rows and view.filter_text == old.filter_text and len(old):
            follow = old.source_index(self.body.cursor)
        self._shown_generation = self._generation
        self.body.show_view(view, follow_row=follow)
        self._update_status()
