"""Issue #18 item 6: hostile manifests — over-long fields, duplicate headers, NUL and escape
bytes, wrong encodings — set lines aside with their numbers, never stop the import with an
internal error; two imports of one manifest at once: the loser says so in one line."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest

from console.cli import main
from domain.application import Maillage
from domain.devices import manifest as manifests
from domain.store import StoreLocation

HEADER = b"serial,model,kind,order_reference\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def store(location: StoreLocation) -> str:
    """A store with an order of 50 laptops, on each backend."""
    path = str(location.path) if location.kind == "sqlite" else location.label
    code, _, err = run("--store", path, "devices", "orders", "add", "CVL-1",
                       "--region", "Centre-Val de Loire", "--buyer", "DE",
                       "--line", "Lenovo 300w:laptop:50")  # fmt: skip
    assert code == 0, err
    return path


def announced(store: str) -> int:
    app = Maillage(StoreLocation.parse(store))
    try:
        return app.count_events()
    finally:
        app.close()


def test_hostile_lines_are_set_aside_with_their_numbers(store: str, tmp_path: Path) -> None:
    good = b"LP%03d,Lenovo 300w,laptop,CVL-1\n"
    path = tmp_path / "manifest.csv"
    path.write_bytes(
        HEADER
        + good % 1
        + b'"'
        + b"X" * 200_000
        + b'",Lenovo 300w,laptop,CVL-1\n'  # line 3: over csv's limit
        + b"Y" * 10_000_000
        + b",Lenovo 300w,laptop,CVL-1\n"  # line 4: a 10 MB serial
        + b"LP\x00002,Lenovo 300w,laptop,CVL-1\n"  # line 5: NUL
        + b"LP\x1b[31m3,Lenovo 300w,laptop,CVL-1\n"  # line 6: an escape sequence
        + b"LP\xe9004,Lenovo 300w,laptop,CVL-1\n"  # line 7: Latin-1, not UTF-8
        + b'"=HYPERLINK(""http://x"")",Lenovo 300w,laptop,CVL-1\n'  # line 8: a formula, kept
        + good % 9
    )
    code, out, err = run("--store", store, "devices", "import", "manifest", str(path))
    assert code == 2 and err.count("\n") == 1 and "internal error" not in err, err
    assert "3 devices announced" in out, out
    with (tmp_path / "manifest.csv.bad-lines.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    problems = {int(r["line"]): r["problem"] for r in rows}
    assert problems[3].startswith("not a CSV line (field larger than field limit")
    assert problems[4] == "the serial has 10,000,000 characters (at most 256)"
    assert problems[5] == "the serial holds a control character (U+0000)"
    assert problems[6] == "the serial holds a control character (U+001B)"
    assert problems[7] == "not UTF-8 text (byte 3)"
    assert set(problems) == {3, 4, 5, 6, 7}
    shown = {int(r["line"]): r["text"] for r in rows}
    assert "\x1b" not in shown[6] and "\\x1b" in shown[6] and len(shown[4]) <= 200


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (b"serial,model,kind,order_reference,serial\n", "names the column(s) serial twice"),
        (b"serial,Model,kind,order_reference,MODEL\n", "names the column(s) model twice"),
        (b"s\xe9rial,model,kind,order_reference\n", "line 1: the manifest's header is not UTF-8"),
    ],
)
def test_a_bad_header_refuses_the_file_before_anything(
    store: str, tmp_path: Path, header: bytes, problem: str
) -> None:
    path = tmp_path / "manifest.csv"
    path.write_bytes(header + b"LP001,Lenovo 300w,laptop,CVL-1,LP999\n")
    before = announced(store)
    code, _, err = run("--store", store, "devices", "import", "manifest", str(path))
    assert code == 2 and problem in err and err.count("\n") == 1, err
    assert announced(store) == before


def test_the_loser_of_two_imports_at_once_says_so_in_one_line(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "manifest.csv"
    path.write_bytes(HEADER + b"".join(b"LP%03d,Lenovo 300w,laptop,CVL-1\n" % i for i in range(5)))
    assert run("--store", store, "devices", "import", "manifest", str(path))[0] == 0
    before = announced(store)
    # The race's window, made certain: this import checks the store before the other one
    # commits (it sees none of the devices), and writes after it.
    monkeypatch.setattr(manifests, "_already_stored", lambda app, ids: {})
    code, _, err = run("--store", store, "devices", "import", "manifest", str(path))
    assert code != 0 and err.count("\n") == 1 and "internal error" not in err, err
    assert "another import announced some of these devices at the same time" in err
    assert announced(store) == before


def test_a_manifest_never_announces_more_than_its_order_line_without_an_amendment(
    store: str, tmp_path: Path
) -> None:
    """Issue #18 item 6: 60 laptops against a line of 50 — 50 announced, the 10 over the line
    set aside with their numbers; after the line is amended (with its reason) they go in."""
    path = tmp_path / "manifest.csv"
    path.write_bytes(HEADER + b"".join(b"LP%03d,Lenovo 300w,laptop,CVL-1\n" % i for i in range(60)))
    code, out, err = run("--store", store, "devices", "import", "manifest", str(path))
    assert code == 2 and err.count("\n") == 1, err
    assert "50 devices announced" in out and "10 set aside (10 over their order line)" in out
    assert "line 52: order CVL-1 allows 50 Lenovo 300w, all already announced" in err
    with (tmp_path / "manifest.csv.bad-lines.csv").open(newline="", encoding="utf-8") as f:
        assert [int(r["line"]) for r in csv.DictReader(f)] == list(range(52, 62))
    # Again: the 50 are already there, the line is still full.
    code, out, _ = run("--store", store, "devices", "import", "manifest", str(path))
    assert code == 2 and "0 devices announced, 50 already announced, 10 set aside" in out
    code, _, err = run("--store", store, "devices", "orders", "amend", "CVL-1",
                       "--line", "Lenovo 300w:laptop:60",
                       "--reason", "ten more for the new class")  # fmt: skip
    assert code == 0, err
    code, out, err = run("--store", store, "devices", "import", "manifest", str(path))
    assert code == 0 and "10 devices announced, 50 already announced, 0 set aside" in out, err
