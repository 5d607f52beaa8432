"""Every report in Markdown, self-contained HTML or CSV, the same way for every kind.

Each format states what the report is of, the log position and chain head it
was made from, when and by whom, and how to check it.

- Markdown: readable as plain text in a terminal (aligned pipe tables).
- HTML: one file, its CSS inline, nothing fetched from anywhere (no scripts,
  links, images or fonts); every value escaped. Prints on A4 landscape.
- CSV (RFC 4180, UTF-8, comma-separated): one table per report, preceded by
  metadata rows, so that a spreadsheet opens it cleanly:

  1. metadata rows of two cells ``field,value``: ``report`` (the kind),
     ``title``, what it is of (e.g. ``municipality``, ``month``),
     ``log_position``, ``chain_head``, ``store_id``, ``made_at``, ``made_by``,
     ``role``, then the summary figures, then ``check`` (how to check it);
  2. one empty row;
  3. the table: a header row whose first column is ``section``, then the union
     of every section's columns in order of first appearance; each row names
     its section and leaves blank the columns its section does not have.

  Numbers are plain (``4.6``, ``412``), amounts in euros with a dot
  (``12.50``), times ISO 8601 in Europe/Paris with their UTC offset; a text
  cell that a spreadsheet would run as a formula is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import Final

from domain.audit.reports.model import Cell, Euros, Report
from domain.clock import PARIS
from domain.meals.billing import euros, spreadsheet_safe
from domain.wording import local_time

FORMATS: Final = ("md", "html", "csv")


def render(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (``md``, ``html`` or ``csv``)."""
    renderers: dict[str, Callable[[Report], str]] = {
        "md": markdown,
        "html": html,
        "csv": csv_text,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}: one of {', '.join(FORMATS)}")
    return renderers[fmt](report)


# ----------------------------------------------------------------------------- cells


def _number(x: float) -> str:
    """A float with up to 3 decimals and at least one (``3.0``, ``2.25``)."""
    text = f"{x:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def human(cell: Cell) -> str:
    """A cell for people: Paris times to the second, French amounts, short numbers."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return local_time(cell, seconds=True)
    if isinstance(cell, Euros):
        return euros(cell.cents)
    if isinstance(cell, float):
        return _number(cell)
    return str(cell)


def machine(cell: Cell) -> str:
    """A cell for spreadsheets: plain numbers, ISO times, amounts with a dot, safe text."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return cell.astimezone(PARIS).isoformat()
    if isinstance(cell, Euros):
        sign = "-" if cell.cents < 0 else ""
        return f"{sign}{abs(cell.cents) // 100}.{abs(cell.cents) % 100:02d}"
    if isinstance(cell, int | float):
        return _number(float(cell)) if isinstance(cell, float) else str(cell)
    return spreadsheet_safe(cell)


def _numeric(cells: Sequence[Cell]) -> bool:
    """A column of numbers or amounts (right-aligned)."""
    present = [c for c in cells if c is not None and c != ""]
    return bool(present) and all(
        isinstance(c, int | float | Euros) and not isinstance(c, bool) for c in present
    )


def _provenance(report: Report) -> list[tuple[str, str]]:
    """The stated facts, labelled for people."""
    s = report.stated
    made = local_time(s.made_at, seconds=True)
    return [
        ("report", report.kind),
        *report.subject,
        ("log position", str(s.position)),
        ("chain head", s.head),
        ("store", s.store_id[:8] if s.store_id else "unknown"),
        ("made", f"{made} by {s.made_by} ({s.role})"),
    ]


# ----------------------------------------------------------------------------- Markdown


_MD_SPECIAL: Final = str.maketrans({c: "\\" + c for c in "\\|<>[]`"})
"""Backslash-escaped in Markdown: table pipes, raw HTML, links and images, code spans — what
a person typed never becomes markup in a viewer; the text still reads well in a terminal."""


def _md(text: str) -> str:
    return " ".join(text.translate(_MD_SPECIAL).split())


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[str]:
    texts = [[_md(human(c)) for c in row] for row in rows]
    right = [_numeric([row[i] for row in rows]) for i in range(len(columns))]
    widths = [max([len(columns[i]), 3, *(len(t[i]) for t in texts)]) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        ("-" * (w + 1) + ":") if r else "-" * (w + 2) for w, r in zip(widths, right, strict=True)
    ]
    return [line(columns), "|" + "|".join(rule) + "|", *map(line, texts)]


def markdown(report: Report) -> str:
    """The report as Markdown that reads well as plain text."""
    out = [f"# {_md(report.title)}", ""]
    out += [f"- {label}: {_md(value)}" for label, value in _provenance(report)]
    out += ["", _md(report.stated.check_hint()), "", "## Summary", ""]
    out += _md_table(("figure", "value"), list(report.summary))
    for section in report.sections:
        out += ["", f"## {_md(section.title)}", ""]
        if section.rows:
            out += _md_table(section.columns, section.rows)
        if section.note:
            out += ([""] if section.rows else []) + [_md(section.note)]
    if report.notes:
        out += ["", "## Notes", ""]
        out += [f"- {_md(n)}" for n in report.notes]
    out += ["", "Times are Europe/Paris."]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- HTML

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2733}
h1{font-size:1.35rem;margin-bottom:.5rem}h2{font-size:1.05rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.3rem 0}
th,td{border-bottom:1px solid #d5dbe3;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef2f7;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
div.wide{overflow-x:auto}div.summary table{width:auto;min-width:50%}
dl.stated{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .9rem;
 background:#f2f5f9;padding:.75rem 1rem;border-radius:.4rem;font-size:.9rem}
dl.stated dt{font-weight:600}dl.stated dd{margin:0}
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
p.check{font-size:.85rem;color:#3d4a59}p.note{color:#5b6775;font-size:.85rem}
footer{margin-top:1.5rem;color:#5b6775;font-size:.8rem}
@media print{body{margin:1cm;font-size:10pt}@page{size:A4 landscape}tr{break-inside:avoid}
 div.wide{overflow:visible}table{font-size:7.5pt}}
"""


def _html_table(columns: Sequence[str], rows: Sequence[Sequence[Cell]], css: str = "wide") -> str:
    def kind(i: int) -> str:
        cells = [row[i] for row in rows]
        if _numeric(cells):
            return ' class="n"'
        present = [c for c in cells if c is not None]
        return ' class="t"' if present and all(isinstance(c, datetime) for c in present) else ""

    kinds = [kind(i) for i in range(len(columns))]
    head = "".join(f"<th{k}>{escape(c)}</th>" for c, k in zip(columns, kinds, strict=True))
    body = "".join(
        "<tr>"
        + "".join(f"<td{k}>{escape(human(c))}</td>" for c, k in zip(row, kinds, strict=True))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="{css}"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS, no external resource)."""
    stated = "".join(
        f"<dt>{escape(label)}</dt>"
        + (
            f'<dd class="hash">{escape(value)}</dd>'
            if label in ("chain head", "store")
            else f"<dd>{escape(value)}</dd>"
        )
        for label, value in _provenance(report)
    )
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
        f'<dl class="stated">{stated}</dl>',
        f'<p class="check">{escape(report.stated.check_hint())}</p>',
        "<h2>Summary</h2>",
        _html_table(("figure", "value"), list(report.summary), css="summary"),
    ]
    for section in report.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        if section.rows:
            parts.append(_html_table(section.columns, section.rows))
        if section.note:
            parts.append(f'<p class="note">{escape(section.note)}</p>')
    if report.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{escape(n)}</li>" for n in report.notes]
        parts.append("</ul>")
    parts.append("<footer>Times are Europe/Paris.</footer></body></html>\n")
    return "".join(parts)


# ----------------------------------------------------------------------------- CSV


def csv_rows(report: Report) -> list[list[str]]:
    """The CSV's rows: metadata ``field,value`` rows, one empty row, then the one table."""
    s = report.stated
    meta: list[tuple[str, Cell]] = [
        ("report", report.kind),
        ("title", report.title),
        *report.subject,
        ("log_position", s.position),
        ("chain_head", s.head),
        ("store_id", s.store_id),
        ("made_at", s.made_at),
        ("made_by", s.made_by),
        ("role", s.role),
        *report.summary,
        ("check", s.check_hint()),
    ]
    rows = [[machine(k), machine(v)] for k, v in meta]
    rows.append([])
    columns: list[str] = []
    for section in report.sections:
        columns += [c for c in section.columns if c not in columns]
    rows.append(["section", *columns])
    for section in report.sections:
        where = [columns.index(c) for c in section.columns]
        for row in section.rows:
            cells = [""] * len(columns)
            for i, cell in zip(where, row, strict=True):
                cells[i] = machine(cell)
            rows.append([machine(section.title), *cells])
    return rows


def csv_text(report: Report) -> str:
    """The report as CSV text (see the module's description of its layout)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(report))
    return buffer.getvalue()


def read_csv_table(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A report's CSV read back: its metadata and its table's rows (for checks and tests)."""
    rows = list(csv.reader(io.StringIO(text)))
    blank = rows.index([])
    meta = {r[0]: r[1] for r in rows[:blank]}
    header = rows[blank + 1]
    return meta, [dict(zip(header, r, strict=True)) for r in rows[blank + 2 :]]
