"""The virtual table: its row source against plain-Python references, then the widget on 400,000
rows driven by Textual's pilot (cursor, `/` filter, sort, Enter, rendering)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot

from console.tui.widgets.rows import Column, ColumnarRows, RowView, numeric_sort_key
from console.tui.widgets.virtual_table import (
    VIRTUAL_TABLE_TCSS,
    FilterInput,
    TableBody,
    VirtualTable,
    fit_cell,
)

# -- references -------------------------------------------------------------------------------


def folded(text: str) -> str:
    """What the filter compares: case-folded, line feeds and unit separators as spaces."""
    return text.replace("\n", " ").replace("\x1f", " ").casefold()


def reference_matches(rows: Sequence[Sequence[str]], needle: str) -> list[int]:
    """Rows with a cell containing the needle, ignoring case: the plain Python way."""
    wanted = folded(needle)
    return [i for i, row in enumerate(rows) if any(wanted in folded(cell) for cell in row)]


def reference_text_order(cells: Sequence[str], descending: bool) -> list[int]:
    return sorted(range(len(cells)), key=lambda i: cells[i].casefold(), reverse=descending)


def source(rows: Sequence[Sequence[str]], width: int) -> ColumnarRows:
    columns = [Column(f"c{j}", f"C{j}", 8) for j in range(width)]
    return ColumnarRows(columns, {f"c{j}": [row[j] for row in rows] for j in range(width)})


# Letters whose case folding is not a simple lower(): ß → ss, final sigma, dotted I, ligature.
ALPHABET = "abcAB zZéÉèßΣσςİﬁ1209,.-\n\x1f\x00"
cell_text = st.text(alphabet=ALPHABET, max_size=8)


@st.composite
def table_and_needle(draw: st.DrawFn) -> tuple[list[tuple[str, ...]], str]:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.tuples(*[cell_text] * width), max_size=40))
    cells = [cell for row in rows for cell in row if cell]
    if cells and draw(st.booleans()):  # a piece of an existing cell, so that most find something
        cell = draw(st.sampled_from(cells))
        start = draw(st.integers(0, len(cell) - 1))
        needle = cell[start : draw(st.integers(start + 1, len(cell)))]
    else:
        needle = draw(st.text(alphabet=ALPHABET, max_size=4))
    return rows, needle


# -- row source -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(table_and_needle())
def test_matches_equal_the_python_reference(case: tuple[list[tuple[str, ...]], str]) -> None:
    rows, needle = case
    width = len(rows[0]) if rows else 1
    got = source(rows, width).matches(needle)
    assert got.tolist() == reference_matches(rows, needle)
    assert got.tolist() == sorted(got.tolist())


def test_matches_on_common_and_rare_needles() -> None:
    """Needles made of very common bytes take the scan-everything path, rare ones the narrowing
    path: both must agree with the reference."""
    rng = np.random.default_rng(7)
    words = ["Lyon", "Besançon", "Ørsted", "STRASSE", "straße", "eee", "e e", "Σίσυφος", ""]
    rows = [tuple(words[k] for k in rng.integers(0, len(words), 3)) for _ in range(5_000)]
    rows[4_999] = ("needle-in-the-last-row", "", "")
    table = source(rows, 3)
    for needle in [
        "e",
        " ",
        "ee",
        "e e",
        "lyon",
        "SSE",
        "ß",
        "strasse",
        "σίσυφοσ",
        "ç",
        "row",
        "x",
    ]:
        assert table.matches(needle).tolist() == reference_matches(rows, needle), needle


def test_empty_needle_matches_every_row_and_empty_table_matches_none() -> None:
    rows = [("a",), ("b",)]
    assert source(rows, 1).matches("").tolist() == [0, 1]
    assert source([], 1).matches("a").tolist() == []


few_distinct = st.lists(st.sampled_from(["b", "B", "a", "é", "É", "", "ß", "ss"]), max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(cell_text, max_size=60), few_distinct), st.booleans())
def test_text_order_is_pythons_stable_sort(cells: list[str], descending: bool) -> None:
    table = ColumnarRows([Column("c", "C", 5)], {"c": cells})
    assert table.order(0, descending).tolist() == reference_text_order(cells, descending)


def test_text_order_with_many_distinct_values_is_pythons_stable_sort() -> None:
    """Mostly distinct values take the fixed-width NumPy sort rather than ranking."""
    rng = np.random.default_rng(3)
    cells = [f"{'AbÉ'[k % 3]}{k:x}" for k in rng.integers(0, 3_000, 2_000)]
    table = ColumnarRows([Column("c", "C", 5)], {"c": cells})
    for descending in (False, True):
        assert table.order(0, descending).tolist() == reference_text_order(cells, descending)


@dataclass(frozen=True)
class Formatted:
    text: str
    value: float  # NaN: not a number


def formatted_numbers() -> st.SearchStrategy[Formatted]:
    """Display strings of known numbers, the way a French console may write them."""
    plain = st.integers(-50, 50).map(lambda n: Formatted(str(n), float(n)))
    thousands = st.integers(1_000, 999_999).map(
        lambda n: Formatted(f"{n:,}".replace(",", "\u202f"), float(n))
    )
    decimal_comma = st.integers(-999, 999).map(
        lambda n: Formatted(f"{n / 10:.1f}".replace(".", ","), n / 10)
    )
    with_unit = st.integers(0, 99).map(lambda n: Formatted(f"{n} %", float(n)))
    unicode_minus = st.integers(1, 9).map(lambda n: Formatted(f"\u2212{n} km", -float(n)))
    junk = st.sampled_from(["", "—", "n/a", "km"]).map(lambda t: Formatted(t, math.nan))
    return st.one_of(plain, thousands, decimal_comma, with_unit, unicode_minus, junk)


@settings(max_examples=200, deadline=None)
@given(st.lists(formatted_numbers(), max_size=60), st.booleans())
def test_numeric_order_sorts_by_value_with_non_numbers_last(
    cells: list[Formatted], descending: bool
) -> None:
    numbers = [i for i, c in enumerate(cells) if not math.isnan(c.value)]
    others = [i for i, c in enumerate(cells) if math.isnan(c.value)]
    expected = sorted(numbers, key=lambda i: cells[i].value, reverse=descending) + others
    table = ColumnarRows(
        [Column("n", "N", 6, "right", numeric=True)], {"n": [c.text for c in cells]}
    )
    assert table.order(0, descending).tolist() == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,5 km", 1234.5),
        ("1,234.5", 1234.5),
        ("\u22123", -3.0),
        ("87 %", 87.0),
        ("2e3", 2000.0),
    ],
)
def test_numeric_sort_key_reads_display_strings(text: str, value: float) -> None:
    assert numeric_sort_key(text) == value


def test_numeric_sort_key_is_nan_without_a_leading_number() -> None:
    assert math.isnan(numeric_sort_key("")) and math.isnan(numeric_sort_key("n/a 3"))


def test_no_sort_column_is_source_order_and_descending_reverses_it() -> None:
    table = source([("b",), ("a",), ("c",)], 1)
    assert table.order(None).tolist() == [0, 1, 2]
    assert table.order(None, descending=True).tolist() == [2, 1, 0]


@settings(max_examples=150, deadline=None)
@given(table_and_needle(), st.booleans())
def test_view_is_the_sorted_order_restricted_to_the_matches(
    case: tuple[list[tuple[str, ...]], str], descending: bool
) -> None:
    rows, needle = case
    width = len(rows[0]) if rows else 1
    view = RowView.build(source(rows, width), needle, 0, descending)
    matching = set(reference_matches(rows, needle))
    expected = [i for i in reference_text_order([r[0] for r in rows], descending) if i in matching]
    assert view.indices.tolist() == expected


def test_row_keys_default_to_the_index_and_lengths_must_agree() -> None:
    table = source([("a",), ("b",)], 1)
    assert [table.row_key(0), table.row_key(1)] == ["0", "1"]
    keyed = ColumnarRows([Column("c", "C", 3)], {"c": ["a", "b"]}, keys=["k-a", "k-b"])
    assert RowView.build(keyed, "b").row_key(0) == "k-b"
    with pytest.raises(ValueError):
        ColumnarRows([Column("c", "C", 3)], {"c": ["a", "b"]}, keys=["only one"])


def test_fit_cell_pads_aligns_and_cuts_in_terminal_cells() -> None:
    assert fit_cell("ab", 4) == "ab  "
    assert fit_cell("ab", 4, "right") == "  ab"
    assert fit_cell("abcdef", 4) == "abc…"
    assert fit_cell("日本語", 4) == "日 …"  # wide characters take two cells
    assert fit_cell("a\nb", 3) == "a b"


def test_every_binding_has_an_id_and_a_description() -> None:
    for widget in (TableBody, VirtualTable):
        for binding in widget.BINDINGS:
            assert isinstance(binding, Binding) and binding.id and binding.description, binding


# -- the widget on 400,000 rows ---------------------------------------------------------------

ROWS = 400_000
COLUMNS = [
    Column("serial", "Serial", 12),
    Column("model", "Model", 15),
    Column("school", "School", 22),
    Column("town", "Town", 14),
    Column("status", "Status", 11),
    Column("qty", "Qty", 7, "right", numeric=True),
]


@dataclass(frozen=True)
class Data:
    columns: dict[str, list[str]]
    keys: list[str]
    search_text: list[str]  # per row, for the reference filter

    def rows(self) -> ColumnarRows:
        return ColumnarRows(COLUMNS, self.columns, keys=self.keys)

    def matches(self, needle: str) -> list[int]:
        wanted = needle.casefold()
        return [i for i, text in enumerate(self.search_text) if wanted in text]


@pytest.fixture(scope="module")
def data() -> Data:
    """400,000 device-like rows (the widget does not care what they are)."""
    rng = np.random.default_rng(20250106)

    def pick(words: list[str]) -> list[str]:
        return [words[k] for k in rng.integers(0, len(words), ROWS).tolist()]

    schools = [f"{kind} {name} {n}" for kind in ("Lycée", "Collège", "École")
               for name in ("Jean Moulin", "Victor Hugo", "Marie Curie", "Louise Michel")
               for n in range(1, 40)]  # fmt: skip
    columns = {
        "serial": [f"SN{i:08d}" for i in range(ROWS)],
        "model": pick(["Latitude 5430", "ThinkPad L14", "iPad 10.2", "Chromebook C340"]),
        "school": pick(schools),
        "town": pick(["Paris", "Lyon", "Besançon", "Saint-Étienne", "Nîmes", "Brest"]),
        "status": pick(["received", "staged", "shipped", "handed over", "returned"]),
        "qty": pick([f"{n:,}".replace(",", "\u202f") for n in range(0, 5_000, 7)]),
    }
    keys = [f"device-{i}" for i in range(ROWS)]
    texts = ["\x1f".join(row).casefold() for row in zip(*columns.values(), strict=True)]
    return Data(columns, keys, texts)


class TableApp(App[None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [VIRTUAL_TABLE_TCSS]

    def __init__(self, rows: ColumnarRows) -> None:
        super().__init__()
        self.rows = rows
        self.opened: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield VirtualTable(self.rows)

    def on_virtual_table_row_opened(self, message: VirtualTable.RowOpened) -> None:
        self.opened.append((message.row_key, message.row_index))


async def settled(pilot: Pilot[None], table: VirtualTable, timeout_s: float = 20.0) -> None:
    """Wait until debounce and workers are done and the view is on screen (bounded)."""
    for _ in range(int(timeout_s / 0.05)):
        if not table.view_pending:
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the table never settled: {table.status_text}")


def line_text(table: VirtualTable, y: int) -> str:
    return table.body.render_line(y).text


def first_style(table: VirtualTable, y: int) -> Style | None:
    return next(iter(table.body.render_line(y))).style


async def test_cursor_keys_move_the_highlighted_row(data: Data) -> None:
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(VirtualTable)
        assert isinstance(app.focused, TableBody)
        assert table.cursor_row_key == "device-0"
        await pilot.press("down", "down", "down")
        assert table.cursor_row_key == "device-3"
        assert first_style(table, 4) != first_style(table, 3)  # the header is line 0
        assert "SN00000003" in line_text(table, 4)
        page = table.body.page_rows
        await pilot.press("pagedown")
        assert table.cursor_row_key == f"device-{3 + page}"
        assert f"SN{3 + page:08d}" in line_text(table, 4)  # the cursor kept its screen line
        await pilot.press("end")
        assert table.cursor_row_key == f"device-{ROWS - 1}"
        assert f"SN{ROWS - 1:08d}" in line_text(table, page)  # last row on the last line
        await pilot.press("up")
        assert table.cursor_row_key == f"device-{ROWS - 2}"
        await pilot.press("home")
        assert table.cursor_row_key == "device-0"
        assert "SN00000000" in line_text(table, 1)


async def test_slash_filters_after_the_debounce_and_escape_clears(data: Data) -> None:
    needle = "sn0001"  # contains "s": typed into the filter, it must not sort
    expected = data.matches(needle)
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(VirtualTable)
        assert not table.filter_input.display
        assert {"s", "S", "slash"} <= app.screen.active_bindings.keys()
        assert "escape" not in app.screen.active_bindings  # free for the app while unfiltered
        await pilot.press("slash")
        assert isinstance(app.focused, FilterInput)
        assert "escape" in app.screen.active_bindings
        assert not {"s", "S", "slash"} & app.screen.active_bindings.keys()  # they are text now
        await pilot.press(*needle)
        await settled(pilot, table)
        assert table.sort_column is None
        assert table.status_text.startswith(f"{len(expected):,} of {ROWS:,} rows")
        assert table.status.visual is not None and str(table.status.content) == table.status_text
        assert table.cursor_row_index == expected[0]
        assert f"SN{expected[0]:08d}" in line_text(table, 1)
        assert f"SN{expected[1]:08d}" in line_text(table, 2)
        await pilot.press("enter")
        assert isinstance(app.focused, TableBody)
        assert table.filter_input.display  # still shows the active filter
        await pilot.press("escape")
        await settled(pilot, table)
        assert table.status_text == f"{ROWS:,} of {ROWS:,} rows"
        assert not table.filter_input.display
        assert isinstance(app.focused, TableBody)


async def test_only_the_latest_filter_reaches_the_screen(data: Data) -> None:
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_filter("e")  # matches nearly everything, slower to apply
        table.set_filter("saint-étienne")
        await settled(pilot, table)
        expected = data.matches("saint-étienne")
        assert table.view.filter_text == "saint-étienne"
        assert table.view.indices.tolist() == expected
        assert "Saint-Étienne" in line_text(table, 1)


async def test_sort_keys_and_header_click(data: Data) -> None:
    models = data.columns["model"]
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("s", "s")  # serial, then model
        await settled(pilot, table)
        assert table.sort_column == 1
        ascending = reference_text_order(models, descending=False)
        assert table.view.indices[:50].tolist() == ascending[:50]
        assert "Model ▲" in line_text(table, 0)
        assert table.status_text.endswith("sorted by Model ▲")
        await pilot.press("S")
        await settled(pilot, table)
        descending = reference_text_order(models, descending=True)
        assert table.view.indices[:50].tolist() == descending[:50]
        assert table.cursor_row_key == "device-0"  # the cursor follows its row across sorts
        # The header cell of "Qty" starts after the other columns, as fitted to the room.
        body = table.query_one(TableBody)
        qty_x = body._column_starts[-2] + 2
        await pilot.click(TableBody, offset=(qty_x, 0))
        await settled(pilot, table)
        assert table.sort_column == 5 and not table.descending
        quantities = [numeric_sort_key(q) for q in data.columns["qty"]]
        first = table.view.indices[:100].tolist()
        assert [quantities[i] for i in first] == sorted(quantities)[:100]


async def test_enter_posts_row_opened_with_the_cursor_row(data: Data) -> None:
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "down", "down", "down", "down", "enter")
        await pilot.pause()
        assert app.opened == [("device-5", 5)]


async def test_render_line_draws_header_and_cells(data: Data) -> None:
    app = TableApp(data.rows())
    async with app.run_test(size=(100, 30)):
        table = app.query_one(VirtualTable)
        header = line_text(table, 0)
        assert all(column.label in header for column in COLUMNS)
        row = line_text(table, 2)
        assert len(row) == table.body.size.width
        for column in COLUMNS:
            cell = fit_cell(data.columns[column.key][1], column.width, column.align)
            assert cell in row


async def test_set_rows_keeps_filter_and_sort_and_an_empty_table_is_quiet() -> None:
    def rows(towns: list[str]) -> ColumnarRows:
        return ColumnarRows([Column("town", "Town", 10)], {"town": towns}, keys=towns)

    app = TableApp(rows(["Brest", "Lyon", "Paris"]))
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.sort_by(0, descending=True)
        table.set_filter("r")
        await settled(pilot, table)
        assert [table.view.row_key(i) for i in range(len(table.view))] == ["Paris", "Brest"]
        table.set_rows(rows(["Rennes", "Arles", "Metz", "Rouen"]))
        await settled(pilot, table)
        assert [table.view.row_key(i) for i in range(len(table.view))] == [
            "Rouen",
            "Rennes",
            "Arles",
        ]
        assert table.status_text == "3 of 4 rows · filter “r” · sorted by Town ▼"
        table.set_rows(ColumnarRows.empty())
        await settled(pilot, table)
        assert table.cursor_row_key is None and table.sort_column is None
        await pilot.press("down", "enter", "s")
        assert app.opened == []
        assert line_text(table, 1).strip() == ""
