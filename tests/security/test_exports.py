"""Issue #18 item 4: what people typed, in a report exported as Markdown, HTML or CSV, is
shown as typed — no raw HTML, no link, no script, no formula in whatever opens the file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from markdown_it import MarkdownIt

from domain.audit.reports.model import Report, Section, Stated
from domain.audit.reports.render import render

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [call](javascript:alert(3)) "
    '![i](http://x/y.png) `code` a|b =HYPERLINK("http://x")'
)


def hostile_report() -> Report:
    stated = Stated(1, "00" * 32, "store", datetime(2026, 3, 2, 9, 0, tzinfo=UTC), HOSTILE, "op")
    return Report(
        kind="welfare",
        title=f"Alerts of {HOSTILE}",
        subject=(("municipality", HOSTILE),),
        stated=stated,
        summary=(("alerts", 1),),
        sections=(Section("Alerts", ("note", "by"), ((HOSTILE, HOSTILE),), note=HOSTILE),),
        notes=(HOSTILE,),
    )


def test_markdown_shows_hostile_text_without_making_markup() -> None:
    text = render(hostile_report(), "md")
    page = MarkdownIt("commonmark").enable("table").render(text)
    for made in ("<script", "<img", "<a ", 'href="javascript', "<code>"):
        assert made not in page, made
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as typed
    assert "[call](javascript:alert(3))" in page
    rows = [line for line in text.splitlines() if "onerror" in line and line.startswith("|")]
    assert rows and rows[0].count(" | ") == 1  # the pipe inside the text split no cell


def test_html_escapes_every_value() -> None:
    page = render(hostile_report(), "html")
    assert "<script" not in page and "<img" not in page and "javascript:alert" in page
    assert "&lt;script&gt;" in page and 'href="javascript' not in page


def test_csv_never_starts_a_cell_with_a_formula() -> None:
    report = hostile_report()
    formula = Section("Alerts", ("note",), (('=HYPERLINK("http://x")',), ("+1+1",), ("@A1",)))
    text = render(
        Report(report.kind, report.title, report.subject, report.stated, report.summary,
               (formula,)),
        "csv",
    )  # fmt: skip
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not any(c.startswith(("=", "+", "@", "-")) for c in cells)
    assert '\'=HYPERLINK("http://x")' in cells
