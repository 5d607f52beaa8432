"""Virtual table on 400,000 rows: first paint, a page of scrolling and the `/` filter, against
the issue's targets, Textual's stock DataTable and a plain Python scan, in one run.

All apps run headless through Textual's pilot at 160×50 cells. "First paint" runs from entering
`run_test` (app start, rows handed to the widget) until the last visible line of the table has
been drawn with its data.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import PurePath
from typing import ClassVar

import numpy as np
from rich.console import Console
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from bench.common import Figure, stopwatch
from console.tui.widgets.rows import Column, ColumnarRows, RowView
from console.tui.widgets.virtual_table import FILTER_DEBOUNCE_S, VIRTUAL_TABLE_TCSS, VirtualTable

ROWS = 400_000
DATATABLE_ROWS = 20_000
SIZE = (160, 50)
PAGES = 50
FIRST_PAINT_REPEATS = 3
NEEDLES = ("lyon", "sn0012", "jean moulin", "shipped", "besançon", "école", "e", "zz")
TYPED_NEEDLES = ("lyon", "sn0012", "marie curie 3", "e")
PAGE_TARGET_MS = 20.0
FILTER_TARGET_MS = 200.0
TIMEOUT_S = 30.0

COLUMNS = [
    Column("serial", "Serial", 12),
    Column("model", "Model", 16),
    Column("school", "School", 26),
    Column("town", "Town", 15),
    Column("status", "Status", 12),
    Column("qty", "Qty", 7, "right", numeric=True),
]

console = Console()

Data = dict[str, list[str]]


def make_data(rows: int = ROWS, seed: int = 20250106) -> Data:
    """Device-like display strings, six columns, French place names (non-ASCII on purpose)."""
    rng = np.random.default_rng(seed)

    def pick(words: list[str]) -> list[str]:
        return [words[k] for k in rng.integers(0, len(words), rows).tolist()]

    names = ["Jean Moulin", "Victor Hugo", "Marie Curie", "Louise Michel", "Jules Ferry"]
    schools = [f"{kind} {name} {n}" for kind in ("Lycée", "Collège", "École")
               for name in names for n in range(1, 60)]  # fmt: skip
    towns = ["Paris", "Lyon", "Besançon", "Saint-Étienne", "Nîmes", "Brest", "Orléans", "Cœuvres"]
    return {
        "serial": [f"SN{i:08d}" for i in range(rows)],
        "model": pick(["Latitude 5430", "ThinkPad L14", "iPad 10.2", "Chromebook C340"]),
        "school": pick(schools),
        "town": pick(towns),
        "status": pick(["received", "staged", "shipped", "handed over", "returned", "repair"]),
        "qty": pick([f"{n:,}".replace(",", "\u202f") for n in range(0, 5_000, 3)]),
    }


def sliced(data: Data, rows: int) -> Data:
    return {key: values[:rows] for key, values in data.items()}


class PaintProbe:
    """Wraps a widget's `render_line` to note when its last visible line shows its row.

    Rows are numbered by serial, so the last line (line 0 is the header) must show the serial
    of row ``height - 2``.
    """

    def __init__(self, widget: Widget, render_line: Callable[[int], Strip]) -> None:
        self.widget = widget
        self.render_line = render_line
        self.painted_at: float | None = None

    def __call__(self, y: int) -> Strip:
        strip = self.render_line(y)
        last = self.widget.size.height - 1
        if self.painted_at is None and y == last and f"SN{last - 1:08d}" in strip.text:
            self.painted_at = time.perf_counter()
        return strip


class ProbedDataTable(DataTable[str]):
    """Stock DataTable; only `render_line` is observed."""

    probe: PaintProbe | None = None

    def render_line(self, y: int) -> Strip:
        if self.probe is None:
            return super().render_line(y)
        return self.probe(y)


class BenchApp(App[None]):
    CSS_PATH: ClassVar[list[str | PurePath]] = [VIRTUAL_TABLE_TCSS]

    def __init__(self, build: Callable[[], Widget]) -> None:
        super().__init__()
        self.build = build

    def compose(self) -> ComposeResult:
        yield self.build()


def probed_virtual_table(data: Data) -> tuple[Widget, PaintProbe]:
    table = VirtualTable(ColumnarRows(COLUMNS, data, keys=data["serial"]))
    probe = PaintProbe(table.body, table.body.render_line)
    table.body.render_line = probe  # type: ignore[method-assign]
    return table, probe


def probed_datatable(data: Data) -> tuple[Widget, PaintProbe]:
    table = ProbedDataTable(cursor_type="row")
    for column in COLUMNS:
        table.add_column(column.label, width=column.width, key=column.key)
    table.add_rows(zip(*(data[c.key] for c in COLUMNS), strict=True))
    table.probe = PaintProbe(table, partial(DataTable.render_line, table))
    return table, table.probe


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition every 2 ms, for at most TIMEOUT_S."""
    deadline = time.perf_counter() + TIMEOUT_S
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.002)


async def first_paint_ms(make: Callable[[Data], tuple[Widget, PaintProbe]], data: Data) -> float:
    """One app start: from entering run_test (the widget and its rows are built in compose)
    to the last visible line drawn with its row."""
    probes: list[PaintProbe] = []

    def build() -> Widget:
        widget, probe = make(data)
        probes.append(probe)
        return widget

    app = BenchApp(build)
    started = time.perf_counter()
    async with app.run_test(size=SIZE):
        await wait_until(lambda: bool(probes and probes[0].painted_at), "table never painted")
        painted_at = probes[0].painted_at
        assert painted_at is not None
        return (painted_at - started) * 1000


async def interactive(data: Data) -> dict[str, float]:
    """Page renders and typed filters in one live app on all rows."""
    app = BenchApp(lambda: VirtualTable(ColumnarRows(COLUMNS, data, keys=data["serial"])))
    results: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(VirtualTable)
        body = table.body
        height = body.size.height
        page_times: list[float] = []
        for _ in range(PAGES):
            body.action_cursor_page_down()
            body.clear_line_cache()
            with stopwatch() as elapsed:
                for y in range(height):
                    body.render_line(y)
            page_times.append(elapsed() * 1000)
        results["page"] = statistics.median(page_times)
        assert "SN" in body.render_line(height - 1).text

        await pilot.press("home", "slash")
        await app.workers.wait_for_complete()  # the search index, started by "/"
        after_key: list[float] = []
        for needle in TYPED_NEEDLES:
            await pilot.press(*needle[:-1])
            started = time.perf_counter()
            await pilot.press(needle[-1])
            await wait_until(lambda: not table.view_pending, f"filter {needle!r}")
            after_key.append((time.perf_counter() - started) * 1000)
            assert len(table.view) == len(table.rows.matches(needle)), needle
            await pilot.press("escape", "slash")
            await wait_until(lambda: not table.view_pending, "clear filter")
        results["after_key"] = statistics.median(after_key)
    return results


def filter_compute(data: Data) -> dict[str, float]:
    """matches() + view rebuild per needle, against a Python scan of per-row lowered text."""
    rows = ColumnarRows(COLUMNS, data, keys=data["serial"])
    with stopwatch() as index_s:
        rows.build_search_index()
    columns = [data[c.key] for c in COLUMNS]
    with stopwatch() as texts_s:
        texts = ["\x1f".join(row).casefold() for row in zip(*columns, strict=True)]
    ours: list[float] = []
    python: list[float] = []
    for needle in NEEDLES:
        with stopwatch() as elapsed:
            view = RowView.build(rows, needle)
        ours.append(elapsed() * 1000)
        wanted = needle.casefold()
        with stopwatch() as elapsed:
            reference = [i for i, text in enumerate(texts) if wanted in text]
        python.append(elapsed() * 1000)
        if view.indices.tolist() != reference:
            raise AssertionError(f"filter {needle!r} disagrees with the Python scan")
    return {
        "index": index_s() * 1000,
        "texts": texts_s() * 1000,
        "compute": statistics.median(ours),
        "compute_max": max(ours),
        "python": statistics.median(python),
    }


async def measure() -> list[Figure]:
    data = make_data()
    small = sliced(data, DATATABLE_ROWS)
    await first_paint_ms(probed_virtual_table, sliced(data, 1_000))  # warm imports and CSS
    paint_400k = statistics.median(
        [await first_paint_ms(probed_virtual_table, data) for _ in range(FIRST_PAINT_REPEATS)]
    )
    paint_20k = statistics.median(
        [await first_paint_ms(probed_virtual_table, small) for _ in range(FIRST_PAINT_REPEATS)]
    )
    datatable_20k = await first_paint_ms(probed_datatable, small)
    console.print(
        f"  first paint: VirtualTable {paint_400k:.0f} ms on {ROWS:,} rows, "
        f"{paint_20k:.0f} ms on {DATATABLE_ROWS:,}; DataTable {datatable_20k:.0f} ms "
        f"on {DATATABLE_ROWS:,} ({datatable_20k / paint_20k:.0f}× slower)"
    )
    live = await interactive(data)
    computed = filter_compute(data)
    console.print(
        f"  page render {live['page']:.2f} ms (median of {PAGES}); filter after last key "
        f"{live['after_key']:.0f} ms (debounce {FILTER_DEBOUNCE_S * 1000:.0f} ms); compute "
        f"median {computed['compute']:.1f} ms, max {computed['compute_max']:.1f} ms; "
        f"search index {computed['index']:.0f} ms"
    )
    # Medians: page render of PAGES pages, filter after last key (debounce + worker + redraw)
    # of TYPED_NEEDLES, filter compute (matches + view) of NEEDLES. The search index is built
    # once per data set, in a worker started by "/"; its anchor is the per-row lowered text a
    # plain Python filter would need.
    return [
        Figure(
            f"first paint, {ROWS:,} rows",
            paint_400k,
            datatable_20k,
            "ms",
            f"DataTable, {DATATABLE_ROWS:,} rows",
            higher_is_better=False,
        ),
        Figure(
            f"first paint, {DATATABLE_ROWS:,} rows",
            paint_20k,
            datatable_20k,
            "ms",
            "Textual DataTable",
            higher_is_better=False,
        ),
        Figure(
            f"page render after page-down, {ROWS:,} rows",
            live["page"],
            PAGE_TARGET_MS,
            "ms",
            "target",
            higher_is_better=False,
        ),
        Figure(
            f"filter result after last key, {ROWS:,} rows",
            live["after_key"],
            FILTER_TARGET_MS,
            "ms",
            "target",
            higher_is_better=False,
        ),
        Figure(
            f"filter compute, {ROWS:,} rows",
            computed["compute"],
            computed["python"],
            "ms",
            "Python scan",
            higher_is_better=False,
        ),
        Figure(
            f"search index build, {ROWS:,} rows",
            computed["index"],
            computed["texts"],
            "ms",
            "lowered row texts",
            higher_is_better=False,
        ),
    ]


def run() -> list[Figure]:
    """Measure; about half a minute on two cores."""
    return asyncio.run(measure())
