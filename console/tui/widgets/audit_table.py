"""A virtual table whose rows after the audit's as-of point are dimmed (the log browser and an
aggregate's events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from textual.strip import Strip

from console.tui.widgets.rows import RowView
from console.tui.widgets.virtual_table import TableBody, VirtualTable


class DimmedBody(TableBody):
    """A table body that dims the rows after the as-of point (``later(row_index)``)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*TableBody.COMPONENT_CLASSES, "audit-table--later"}

    def __init__(self, table: VirtualTable, view: RowView, later: Callable[[int], bool]) -> None:
        super().__init__(table, view)
        self._later = later

    def _render_row(self, row_index: int, is_cursor: bool, width: int, scroll_x: int) -> Strip:
        strip = super()._render_row(row_index, is_cursor, width, scroll_x)
        if is_cursor or not self._later(row_index):
            return strip
        style = self.get_component_rich_style("audit-table--later", partial=True)
        return Strip(Segment.apply_style(list(strip), post_style=style), strip.cell_length)

    def scroll_cursor_visible(self) -> None:
        """As the table's, with ``force``: right after new rows the scrollbars are not laid out
        yet, and an unforced scroll to the cursor would be dropped (the view stays at the top)."""
        top, page = self.scroll_offset.y, self.page_rows
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, force=True)

    def redim(self) -> None:
        """The as-of point moved: draw every row again."""
        self.clear_line_cache()
        self.refresh()


class AuditTable(VirtualTable):
    """A virtual table whose rows after the as-of point are dimmed; ``fixed`` ones keep the
    log's order (no sort, no text filter: the filter bar filters the log)."""

    def __init__(self, later: Callable[[int], bool], *, fixed: bool, id: str) -> None:
        super().__init__(id=id)
        self.fixed = fixed
        self.body = DimmedBody(self, RowView.build(self.rows), later)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.fixed and action in {
            "cycle_sort",
            "toggle_descending",
            "start_filter",
            "clear_filter",
        }:
            return False
        return super().check_action(action, parameters)

    def redim(self) -> None:
        body = self.body
        assert isinstance(body, DimmedBody)
        body.redim()

    def follow(self, row_index: int | None) -> None:
        """Put the cursor on a source row (the table shows them in source order)."""
        if row_index is None:
            return
        position = self.view.position_of(row_index) if self.view.filter_text else row_index
        if position is not None:
            self.body.move_cursor(position)
