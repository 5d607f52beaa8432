"""A modal progress bar for long work running in a worker."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar


class ProgressScreen(ModalScreen[None]):
    """Shows what long work is doing; the worker calls ``report`` from its thread."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-box"):
            yield Label(self.title_text, id="progress-title")
            yield Label("starting…", id="progress-step")
            yield ProgressBar(total=None, show_eta=True, id="progress-bar")

    def report(self, step: str, done: int, total: int) -> None:
        self.query_one("#progress-step", Label).update(f"{step}: {done:,} of {total:,}")
        self.query_one("#progress-bar", ProgressBar).update(total=max(total, 1), progress=done)
