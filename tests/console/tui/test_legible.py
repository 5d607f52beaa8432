"""Legible at 100×30: columns take the room there is (key columns whole, text columns giving
way first), and every mode's key hints fit in its footer, none hidden under the palette key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.pilot import Pilot
from textual.widgets import TabbedContent
from textual.widgets._footer import FooterKey

from console.tui.screens.audit import LOG_COLUMNS
from console.tui.screens.meals import COLUMNS
from console.tui.widgets.rows import MIN_TEXT_WIDTH, Column, fitted_widths
from domain.clock import FixedClock

from ..helpers import make_app, wait_for

BENEFICIARIES = COLUMNS["beneficiaries-table"]


def test_columns_take_the_room_there_is() -> None:
    natural = sum(c.width + 2 for c in BENEFICIARIES)
    narrow = fitted_widths(BENEFICIARIES, 98)
    assert sum(w + 2 for w in narrow) == 98 < natural
    assert narrow[0] == BENEFICIARIES[0].width  # the file number stays whole
    assert narrow[1] == BENEFICIARIES[1].width  # so does the short status: the wide give way
    wide = fitted_widths(BENEFICIARIES, 198)
    assert sum(w + 2 for w in wide) > natural
    assert wide[3] > BENEFICIARIES[3].width  # the address has room to show whole


def test_fixed_and_numeric_columns_keep_their_width() -> None:
    widths = fitted_widths(LOG_COLUMNS, 40)
    for column, width in zip(LOG_COLUMNS, widths, strict=True):
        if column.fixed or column.numeric or column is LOG_COLUMNS[0]:
            assert width == column.width


@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.integers(0, 400),
)
def test_fitted_widths_fill_the_room_or_reach_their_bounds(
    widths: list[int], numeric: list[bool], room: int
) -> None:
    columns = [Column(f"c{i}", f"C{i}", w, numeric=numeric[i]) for i, w in enumerate(widths)]
    fitted = fitted_widths(columns, room)
    total = sum(w + 2 for w in fitted)
    flexible = [i for i in range(1, len(columns)) if not numeric[i]]
    for i, (c, w) in enumerate(zip(columns, fitted, strict=True)):
        if i not in flexible:
            assert w == c.width
        assert min(c.width, MIN_TEXT_WIDTH) <= w <= 2 * c.width
    if total != room:  # only when every column that could move has reached its bound
        natural = sum(c.width + 2 for c in columns)
        if room < natural:
            floor = [min(c.width, max(MIN_TEXT_WIDTH, len(c.label))) for c in columns]
            assert all(fitted[i] == floor[i] for i in flexible)
        else:
            assert all(fitted[i] == 2 * columns[i].width or columns[i].width < 12
                       for i in flexible)  # fmt: skip


def footer_hidden(pilot: Pilot) -> list[str]:
    """The key hints of the screen on show that do not fit its footer (cut, or under the
    palette key docked at the right)."""
    keys = list(pilot.app.screen.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    right = palette[0].region.x if palette else pilot.app.size.width
    return [
        f"{k.key_display} {k.description}".strip()
        for k in keys
        if k not in palette and (k.region.width == 0 or k.region.right > right)
    ]


SCREENS = {
    "dashboard": ("1", None),
    "meals-beneficiaries": ("2", "tab-beneficiaries"),
    "meals-rounds": ("2", "tab-rounds"),
    "meals-alerts": ("2", "tab-alerts"),
    "meals-statement": ("2", "tab-statement"),
    "devices": ("3", None),
    "sensors": ("4", None),
    "audit": ("5", None),
}


@pytest.mark.parametrize("screen", SCREENS)
async def test_every_key_hint_fits_at_100_columns(
    demo_store: Path, paris_clock: FixedClock, screen: str
) -> None:
    key, tab = SCREENS[screen]
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key)
        if tab is not None:
            app.screen.query_one(TabbedContent).active = tab

        def laid_out() -> bool:
            keys = list(app.screen.query(FooterKey))
            return bool(keys) and all(k.region.width > 0 for k in keys[:1] + keys[-1:])

        await wait_for(pilot, laid_out, "the footer")
        await app.workers.wait_for_complete()
        # The footer is laid out again as focus settles: wait for every hint to fit, or say
        # which do not once the screen is still.
        try:
            await wait_for(pilot, lambda: laid_out() and not footer_hidden(pilot), "the hints", 10)
        except AssertionError:
            assert footer_hidden(pilot) == []
