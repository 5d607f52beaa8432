"""Run the ``bench/bench_*.py`` benchmarks and print each figure beside its anchor."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table

from bench.common import Figure

BENCH_DIR = Path(__file__).resolve().parent
PREFIX = "bench_"

console = Console()


def discover() -> list[str]:
    """Names of every benchmark module present in ``bench/`` (``bench_bulk.py`` → ``bulk``)."""
    return sorted(
        m.name.removeprefix(PREFIX)
        for m in pkgutil.iter_modules([str(BENCH_DIR)])
        if m.name.startswith(PREFIX)
    )


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform's guess elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """What the figures were measured on: they mean little without it."""
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count() or "?"),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "NumPy": _version("numpy"),
        "eventsourcing": _version("eventsourcing"),
        "OS": f"{platform.system()} {platform.release()}",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def fmt(value: float) -> str:
    """A rate for people: thousands separators, three significant digits above a million."""
    if value >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def ratio(figure: Figure) -> str:
    """How many times better than the anchor, to two or three significant digits."""
    r = figure.ratio
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×" if r < 100 else f"{r:,.0f}×"


def table(figures: Sequence[Figure]) -> Table:
    """The figures as a rich table."""
    out = Table(title="maillage benchmarks", title_justify="left")
    out.add_column("benchmark")
    out.add_column("maillage", justify="right")
    out.add_column("anchor", justify="right")
    out.add_column("unit")
    out.add_column("anchor is")
    out.add_column("ratio", justify="right", style="bold")
    for f in figures:
        out.add_row(f.name, fmt(f.value), fmt(f.anchor), f.unit, f.anchor_label, ratio(f))
    return out


def markdown(figures: Sequence[Figure], info: dict[str, str], names: Sequence[str]) -> str:
    """The machine and the figures as a Markdown page, with how to reproduce them."""
    command = "python -m bench" + "".join(f" {n}" for n in names)
    lines = [
        "# Benchmarks",
        "",
        f"Reproduce with `python -m bench` (this page: `{command} --markdown FILE`). "
        "Every figure comes from one run; each anchor was measured in the same run, "
        "on the same machine, doing the same work the plain way.",
        "",
        f"## Run of {info['date']}",
        "",
        *(f"- **{key}**: {value}" for key, value in info.items() if key != "date"),
        "",
        "| benchmark | maillage | anchor | unit | anchor is | ratio |",
        "|---|--:|--:|---|---|--:|",
        *(
            f"| {f.name} | {fmt(f.value)} | {fmt(f.anchor)} | {f.unit} | {f.anchor_label} "
            f"| {ratio(f)} |"
            for f in figures
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks (all by default), print the table, optionally write Markdown."""
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(available)}"
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="also write the results to FILE (replaced)"
    )
    args = parser.parse_args(argv)
    names = [n.removeprefix(PREFIX) for n in args.names] or available
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)} (there are: {', '.join(available)})")

    info = machine()
    console.print(" · ".join(f"[bold]{k}[/] {v}" for k, v in info.items()))
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{PREFIX}{name}")
            run = cast(Callable[[], list[Figure]], module.run)
            got = run()
        except Exception:
            console.print_exception()
            failed.append(name)
            continue
        console.print(f"  [dim]{name}: {time.perf_counter() - started:.0f} s in all[/]")
        figures.extend(got)

    console.print()
    console.print(table(figures))
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/]")
    if args.markdown is not None and figures:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(figures, info, [n for n in names if n not in failed]))
        console.print(f"written to {args.markdown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
