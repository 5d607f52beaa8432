"""Row source for big tables: columns of display strings, their sort orders and a fast text filter.

Nothing here imports Textual, so the same source can be built and measured without a screen.
A table of 400,000 rows costs a few list copies to construct; the search index (one byte per
byte of UTF-8 text plus 8 bytes a row) and each sort order are built on first use, once, and
are safe to build from a thread.
"""

from __future__ import annotations

import math
import operator
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

IndexArray = npt.NDArray[np.intp]
"""Row indices into a `ColumnarRows` (read-only when returned by this module)."""

_ROW_SEP: Final = "\n"
_CELL_SEP: Final = "\x1f"
_STRUCTURAL: Final = str.maketrans({_ROW_SEP: " ", _CELL_SEP: " "})
_CHUNK_ROWS: Final = 32_768
"""Rows joined and case-folded per step: keeps each GIL-holding C call to a few milliseconds."""
_HISTOGRAM_STRIDE: Final = 61
"""Every n-th byte of the index is counted to estimate how common a byte is."""
_DENSE_FACTOR: Final = 128
"""Scan every byte when a needle's rarest byte has more than (index bytes × length / this) hits."""

_NUMBER_CLEANUP: Final = str.maketrans(
    {" ": None, "\u00a0": None, "\u202f": None, "\u2009": None, "_": None, "\u2212": "-"}
)
_MAX_SORT_BYTES: Final = 256 * 2**20
"""Largest fixed-width string array built to sort a column in NumPy."""
_LEADING_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Column:
    """One column: its key in the data, header label, display width in cells and alignment.

    ``numeric`` columns sort by the number their display string starts with (see
    `numeric_sort_key`); all other columns sort by case-folded text.
    """

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"
    numeric: bool = False
    fixed: bool = False
    """Keeps its width whatever the room (a time, a code): ``fitted_widths`` leaves it be."""


MIN_TEXT_WIDTH: Final = 8
"""Narrowest a text column gets when the table is short of room (its label still shows)."""
WIDE_COLUMN: Final = 12
"""Text columns at least this wide (names, addresses, notes) take the room a table has spare."""
MAX_GROWTH: Final = 2.0
"""Widest such a column gets, as a multiple of its width."""


def fitted_widths(columns: Sequence[Column], room: int, padding: int = 1) -> list[int]:
    """Each column's width in cells for a table ``room`` cells wide (``padding`` blank cells on
    each side of every column).

    The first column (what names the row: a file number, a serial), numeric and ``fixed``
    columns keep their width. Short of room, the widest text column gives a cell, then the
    widest again, down to its label (at least ``MIN_TEXT_WIDTH``): short columns (a status, a
    code) stay whole. With room to spare, wide text columns grow in turn, up to ``MAX_GROWTH``
    times their width. Only when even that does not fit does the table scroll sideways.
    """
    widths = [c.width for c in columns]
    flexible = [i for i, c in enumerate(columns) if i > 0 and not (c.numeric or c.fixed)]
    spare = room - sum(w + 2 * padding for w in widths)
    floor = {i: min(columns[i].width, max(MIN_TEXT_WIDTH, len(columns[i].label))) for i in flexible}
    while spare < 0:
        wide = [i for i in flexible if widths[i] > floor[i]]
        if not wide:
            break
        widest = max(wide, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
        spare += 1
    growing = [i for i in flexible if columns[i].width >= WIDE_COLUMN]
    while spare > 0:
        room_left = [i for i in growing if widths[i] < columns[i].width * MAX_GROWTH]
        if not room_left:
            break
        narrowest = min(room_left, key=lambda i: (widths[i] / columns[i].width, i))
        widths[narrowest] += 1
        spare -= 1
    return widths


def numeric_sort_key(text: str) -> float:
    """The number a display string starts with, or NaN when it starts with none.

    Spaces (including no-break and narrow no-break spaces) and underscores are ignored, a
    decimal comma is read as a point (when the string has no point), a Unicode minus is a minus,
    and anything after the number (a unit, a percent sign) is ignored: "1 234,5 km" → 1234.5.
    """
    cleaned = text.translate(_NUMBER_CLEANUP)
    if "," in cleaned:
        cleaned = cleaned.replace(",", "") if "." in cleaned else cleaned.replace(",", ".")
    match = _LEADING_NUMBER.match(cleaned)
    return float(match[0]) if match else math.nan


def searchable(text: str) -> str:
    """The form in which filters compare text: case-folded, with line breaks and the unit
    separator (the index's row and cell separators) read as spaces."""
    return text.translate(_STRUCTURAL).casefold()


def _read_only(array: IndexArray) -> IndexArray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class _SearchIndex:
    """All rows as one UTF-8 byte array, cells separated by \\x1f and rows ended by \\n."""

    haystack: npt.NDArray[np.uint8]
    row_starts: IndexArray
    byte_counts: npt.NDArray[np.int64]
    """Approximate count of each byte value in ``haystack``."""


class ColumnarRows:
    """Rows held column by column as display strings, plus optional row identities.

    ``data`` maps each column key to a sequence (list or NumPy object array) of already
    formatted strings, all of the same length. ``keys`` are the rows' identities (``str(i)``
    when omitted). The source is immutable: build a new one to change the data.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        data: Mapping[str, Sequence[str] | npt.NDArray[np.object_]],
        keys: Sequence[str] | None = None,
    ) -> None:
        self.columns: tuple[Column, ...] = tuple(columns)
        names = [column.key for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"column keys must be unique: {names}")
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"no data for columns {missing}")
        self._cells: list[list[str]] = [
            value.tolist() if isinstance(value, np.ndarray) else list(value)
            for value in (data[name] for name in names)
        ]
        self._keys: list[str] | None = None if keys is None else list(keys)
        lengths = {len(cells) for cells in self._cells}
        if self._keys is not None:
            lengths.add(len(self._keys))
        if len(lengths) > 1:
            raise ValueError(f"columns and keys differ in length: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0
        self._lock = threading.Lock()
        self._orders: dict[tuple[int | None, bool], IndexArray] = {}
        self._index: _SearchIndex | None = None

    @classmethod
    def empty(cls, columns: Sequence[Column] = ()) -> ColumnarRows:
        """A source with the given columns and no rows."""
        return cls(columns, {column.key: [] for column in columns})

    def __len__(self) -> int:
        return self._length

    def cell(self, row_index: int, col_index: int) -> str:
        """The display string of one cell."""
        return self._cells[col_index][row_index]

    def row(self, row_index: int) -> tuple[str, ...]:
        """All display strings of one row, in column order."""
        return tuple(cells[row_index] for cells in self._cells)

    def row_key(self, row_index: int) -> str:
        """The identity of a row."""
        if self._keys is None:
            if not 0 <= row_index < self._length:
                raise IndexError(row_index)
            return str(row_index)
        return self._keys[row_index]

    # -- sorting -----------------------------------------------------------------------------

    def order(self, sort_column: int | None, descending: bool = False) -> IndexArray:
        """Row indices in display order: a stable sort on one column, or source order.

        Text columns compare case-folded strings; ties keep source order in both directions
        (like ``sorted(..., reverse=True)``). Numeric columns compare `numeric_sort_key`, and
        cells without a number come last in both directions, in source order. With no sort
        column, ``descending`` reverses the source order. Both directions are computed and
        cached together (the first call on a column can take a few hundred ms on 400,000
        rows); safe to call from a thread.
        """
        cached = self._orders.get((sort_column, descending))
        if cached is not None:
            return cached
        if sort_column is None:
            ascending = np.arange(self._length, dtype=np.intp)
            orders = (ascending, ascending[::-1].copy())
        elif self.columns[sort_column].numeric:
            orders = self._numeric_orders(sort_column)
        else:
            orders = self._text_orders(sort_column)
        with self._lock:
            for direction, order in zip((False, True), orders, strict=True):
                self._orders.setdefault(
                    (sort_column, direction), _read_only(order.astype(np.intp, copy=False))
                )
            return self._orders[(sort_column, descending)]

    def _numeric_orders(self, col_index: int) -> tuple[IndexArray, IndexArray]:
        """Stable ascending and descending orders of a numeric column, non-numbers last."""
        cells = self._cells[col_index]
        parsed = {text: numeric_sort_key(text) for text in dict.fromkeys(cells)}
        keys = np.fromiter(map(parsed.__getitem__, cells), np.float64, self._length)
        # NaN sorts last in NumPy, and -NaN is NaN: non-numbers stay last either way.
        return np.argsort(keys, kind="stable"), np.argsort(-keys, kind="stable")

    def _text_orders(self, col_index: int) -> tuple[IndexArray, IndexArray]:
        """Stable ascending and descending orders of a text column by case-folded value."""
        cells = self._cells[col_index]
        distinct = list(dict.fromkeys(cells))
        if len(distinct) * 4 <= self._length:
            # Few distinct values (towns, statuses): rank them, then sort rows by rank.
            folded = [text.casefold() for text in distinct]
            rank_of_folded = {text: rank for rank, text in enumerate(sorted(set(folded)))}
            rank_of_cell = {
                text: rank_of_folded[key] for text, key in zip(distinct, folded, strict=True)
            }
            ranks = np.fromiter(map(rank_of_cell.__getitem__, cells), np.intp, self._length)
            return np.argsort(ranks, kind="stable"), np.argsort(-ranks, kind="stable")
        folded = [text.casefold() for text in cells]
        longest = max(map(len, folded), default=0)
        # NumPy's fixed-width strings sort in C without holding the GIL, but they drop trailing
        # NULs and take longest × 4 bytes a row: use Python's sort when either matters.
        if longest * 4 * len(folded) <= _MAX_SORT_BYTES and "\x00" not in "".join(folded):
            keys = np.array(folded, dtype=f"<U{max(longest, 1)}")
            ascending = np.argsort(keys, kind="stable")
            in_order = keys[ascending]
            new_group = in_order[1:] != in_order[:-1]
        else:
            ascending = np.array(sorted(range(len(folded)), key=folded.__getitem__), np.intp)
            in_order = [folded[i] for i in ascending.tolist()]
            new_group = np.fromiter(
                map(operator.ne, in_order, in_order[1:]), bool, max(len(in_order) - 1, 0)
            )
        # Descending: runs of equal values reversed as blocks, each keeping source order.
        group = np.concatenate(([0], np.cumsum(new_group)))
        return ascending, ascending[np.argsort(-group, kind="stable")]

    # -- filtering ---------------------------------------------------------------------------

    @property
    def search_index_ready(self) -> bool:
        """Whether the search index is built (the first `matches` builds it otherwise)."""
        return self._index is not None

    def build_search_index(self) -> None:
        """Build the search index now (idempotent, thread-safe): a few hundred ms on 400,000
        rows of six columns, so the widget starts it in a worker as soon as `/` is pressed."""
        if self._index is not None:
            return
        with self._lock:
            if self._index is None:
                self._index = self._make_index()

    def _make_index(self) -> _SearchIndex:
        chunks: list[bytes] = []
        width = len(self._cells)
        for start in range(0, self._length, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, self._length)
            count = stop - start
            parts = [cells[start:stop] for cells in self._cells]
            if not parts:
                chunks.append(_ROW_SEP.encode() * count)
                continue
            text = _ROW_SEP.join(map(_CELL_SEP.join, zip(*parts, strict=True))) + _ROW_SEP
            if text.count(_ROW_SEP) != count or text.count(_CELL_SEP) != count * (width - 1):
                # Some cell holds a separator: blank them out, as `searchable` does for needles.
                parts = [[cell.translate(_STRUCTURAL) for cell in part] for part in parts]
                text = _ROW_SEP.join(map(_CELL_SEP.join, zip(*parts, strict=True))) + _ROW_SEP
            chunks.append(
                text.encode("ascii").lower() if text.isascii() else text.casefold().encode()
            )
        haystack = np.frombuffer(b"".join(chunks), dtype=np.uint8)
        row_ends = np.flatnonzero(haystack == ord(_ROW_SEP))
        row_starts = np.zeros(self._length, dtype=np.intp)
        row_starts[1:] = row_ends[:-1] + 1
        sample = np.bincount(haystack[::_HISTOGRAM_STRIDE], minlength=256)
        return _SearchIndex(haystack, row_starts, sample.astype(np.int64) * _HISTOGRAM_STRIDE)

    def matches(self, text: str) -> IndexArray:
        """Ascending indices of the rows with a cell containing ``text``, ignoring case.

        Both sides are compared in their `searchable` form. An empty text matches every row.
        """
        needle = searchable(text).encode()
        if not needle:
            return self.order(None)
        self.build_search_index()
        index = self._index
        assert index is not None
        haystack, size = index.haystack, len(index.haystack)
        pattern = np.frombuffer(needle, dtype=np.uint8)
        length = len(pattern)
        if length > size:
            return _read_only(np.empty(0, dtype=np.intp))
        last_start = size - length + 1
        estimates = index.byte_counts[pattern]
        if int(estimates.min()) * _DENSE_FACTOR > size * length:
            # Common bytes only ("e", " "): compare every position, then OR per row.
            hit = np.zeros(size, dtype=bool)
            np.equal(haystack[:last_start], pattern[0], out=hit[:last_start])
            for k in range(1, length):
                hit[:last_start] &= haystack[k : last_start + k] == pattern[k]
            rows = np.flatnonzero(np.logical_or.reduceat(hit, index.row_starts))
        else:
            # Start from the rarest byte's positions and narrow them byte by byte.
            pivot = int(np.argmin(estimates))
            starts = np.flatnonzero(haystack[pivot : last_start + pivot] == pattern[pivot])
            for k in range(length):
                if k != pivot and len(starts):
                    starts = starts[haystack[starts + k] == pattern[k]]
            hit_rows = np.searchsorted(index.row_starts, starts, side="right") - 1
            first = np.ones(len(hit_rows), dtype=bool)
            np.not_equal(hit_rows[1:], hit_rows[:-1], out=first[1:])
            rows = hit_rows[first]
        return _read_only(rows.astype(np.intp, copy=False))


@dataclass(frozen=True, eq=False)
class RowView:
    """One filter and one sort over a `ColumnarRows`: visible position → source row index."""

    rows: ColumnarRows
    indices: IndexArray
    filter_text: str = ""
    sort_column: int | None = None
    descending: bool = False

    @classmethod
    def build(
        cls,
        rows: ColumnarRows,
        filter_text: str = "",
        sort_column: int | None = None,
        descending: bool = False,
    ) -> RowView:
        """Compute the view: the matching rows, in the sort's order (may take tens of ms)."""
        order = rows.order(sort_column, descending)
        if filter_text:
            matching = rows.matches(filter_text)
            if sort_column is None and not descending:
                indices = matching
            else:
                keep = np.zeros(len(rows), dtype=bool)
                keep[matching] = True
                indices = _read_only(order[keep[order]])
        else:
            indices = order
        return cls(rows, indices, filter_text, sort_column, descending)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def total(self) -> int:
        """Row count of the source, before filtering."""
        return len(self.rows)

    def source_index(self, position: int) -> int:
        """Source row index shown at a visible position."""
        return int(self.indices[position])

    def row_key(self, position: int) -> str:
        """Identity of the row shown at a visible position."""
        return self.rows.row_key(self.source_index(position))

    def position_of(self, source_index: int) -> int | None:
        """Visible position of a source row, or None when the filter hides it."""
        found = np.flatnonzero(self.indices == source_index)
        return int(found[0]) if len(found) else None
