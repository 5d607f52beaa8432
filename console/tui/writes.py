"""How the console records something: ask (a form, a confirmation), then write in a thread.

Every write runs in a thread worker (the screen never freezes), is named in the log by
the worker ("console MaillageApp plan round"), and a refusal is a notification saying
why, with nothing recorded. Views move on after each write.
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from console.identity import in_browser
from console.roles import may_run
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.form import Choice, Field, FormScreen, FormValues
from console.tui.screens.progress import ProgressScreen
from domain.errors import MaillageError

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from console.tui.app import MaillageApp

Progress = Callable[[str, int, int], None]
"""What long work calls to move the progress bar: (step, done, total)."""


def refuse(app: App[object], message: str, title: str = "Not recorded") -> None:
    """A refusal as people see it: an error notification, nothing recorded."""
    app.notify(message, severity="error", title=title, markup=False)


def record(
    app: MaillageApp,
    name: str,
    write: Callable[[], str],
    *,
    then: Callable[[], object] | None = None,
    for_ccas: bool = False,
    for_admin: bool = False,
    on: DOMNode | None = None,
) -> None:
    """Run ``write`` (returning what was recorded, in words) in a thread worker named ``name``
    of the screen ``on`` (the app by default): the log names them with what it records."""
    if not may_run(app.settings, True, for_ccas, for_admin):
        refuse(app, f"the {app.settings.role} role may not {name}")
        return

    def and_then() -> None:
        app.update_views()
        if then is not None:
            then()
        elif callable(reload := getattr(app.screen, "reload", None)):
            reload()  # the dialog on show reads what it shows again

    _in_worker(on or app, name, write, "Recorded", "Not recorded", and_then)


def export(app: MaillageApp, name: str, write: Callable[[], str]) -> None:
    """Run ``write`` (a read written to a file, any role) in a thread worker named ``name``."""
    _in_worker(app, name, write, "Written", "Not written", None)


def export_file(
    app: MaillageApp, name: str, output: Path, render: Callable[[], tuple[str, str]]
) -> None:
    """``export`` of one text file: ``render`` gives (what it is, its text), written to
    ``output``; in a console served to a browser, sent to the browser as a download named
    like ``output`` instead, so that nothing of it stays on the server's disk."""
    browser = in_browser()

    def write() -> str:
        what, text = render()
        if browser:
            mime_type = mimetypes.guess_type(output.name)[0] or "text/plain"
            app.call_from_thread(
                app.deliver_binary, io.BytesIO(text.encode("utf-8")),
                save_filename=output.name, mime_type=mime_type,
            )  # fmt: skip
            return f"{what} sent to your browser as {output.name}"
        output.write_text(text, encoding="utf-8")
        return f"{what} written to {output}"

    export(app, name, write)


def _in_worker(
    node: DOMNode,
    name: str,
    work: Callable[[], str],
    done_title: str,
    refused_title: str,
    then: Callable[[], object] | None,
) -> None:
    app = node.app

    def run() -> None:
        try:
            done = work()
        except (MaillageError, OSError) as e:
            app.call_from_thread(refuse, app, _said(e), refused_title)
            return
        except Exception as e:  # a fault: said in one line, the console goes on
            app.call_from_thread(refuse, app, f"{type(e).__name__}: {e}", refused_title)
            raise
        app.call_from_thread(app.notify, done, title=done_title, markup=False)
        if then is not None:
            app.call_from_thread(then)

    node.run_worker(run, name=name, group="console-write", thread=True, exit_on_error=False)


def record_with_progress(
    app: MaillageApp,
    name: str,
    title: str,
    write: Callable[[Progress], str],
    *,
    records: bool = True,
) -> None:
    """``record`` for long work: a progress bar the worker moves, the console usable meanwhile
    (``records=False``: a read written to a file, as ``export``, any role)."""
    if records and not may_run(app.settings, True, False):
        refuse(app, f"the {app.settings.role} role may not {name}")
        return
    progress = ProgressScreen(title)
    app.push_screen(progress)

    def report(step: str, done: int, total: int) -> None:
        app.call_from_thread(progress.report, step, done, total)

    def run() -> str:
        try:
            return write(report)
        finally:
            app.call_from_thread(progress.dismiss)

    (record if records else export)(app, name, run)


def ask(
    app: App[object],
    title: str,
    fields: list[Choice | Field],
    then: Callable[[FormValues], object],
) -> None:
    """A form; ``then`` gets its values once entered (nothing happens on Escape)."""

    def answered(values: FormValues | None) -> None:
        if values is not None:
            then(values)

    app.push_screen(FormScreen(title, fields), answered)


def ask_and_record(
    app: MaillageApp,
    title: str,
    name: str,
    fields: list[Choice | Field],
    write: Callable[[FormValues], str],
    *,
    question: Callable[[FormValues], str] | None = None,
    for_admin: bool = False,
) -> None:
    """A form, then (after a confirmation when ``question`` says what cannot be undone) its
    values recorded by ``write`` in a thread worker named ``name``."""

    def then(values: FormValues) -> None:
        def go() -> None:
            record(app, name, lambda: write(values), for_admin=for_admin)

        if question is None:
            go()
        else:
            confirm(app, question(values), go)

    ask(app, title, fields, then)


def confirm(app: App[object], question: str, then: Callable[[], object]) -> None:
    """Ask before something irreversible; ``then`` runs only on yes."""

    def answered(yes: bool | None) -> None:
        if yes:
            then()

    app.push_screen(ConfirmScreen(question), answered)


def _said(error: BaseException) -> str:
    """An error in one line (a file error names the file, never a traceback)."""
    if isinstance(error, OSError) and error.filename:
        return f"cannot use {error.filename}: {error.strerror}"
    return str(error)
