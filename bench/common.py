"""Shared shape of a benchmark figure and how the runner prints it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure: maillage's value beside the anchor's, same unit.

    ``higher_is_better`` says which way the ratio reads: the printed ratio is
    always "how many times better than the anchor" (above 1 means better).
    """

    name: str
    value: float
    anchor: float
    unit: str
    anchor_label: str
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.value / self.anchor if self.anchor else float("inf")
        return self.anchor / self.value if self.value else float("inf")


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """Measure wall time of a block; call the yielded function for seconds elapsed."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())
