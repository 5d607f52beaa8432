"""People read names and local times: every list, show and report of the command line, run on
the demo store, prints no UUID and no time without its zone; with ``--json``, ids only under
keys that say they are ids, and every time with its offset."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from domain import clock
from tests.console.conftest import DEMO_TODAY

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b", re.I
)
"""A UUID, with its dashes or as 32 hex digits."""
DATE_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
BARE_TIME_RE = re.compile(DATE_TIME + r"(?! ?(?:CET|CEST)\b)(?!:)|\bUTC\b|[+-]00:00\b")
"""A date and time not followed by the zone people read (CET or CEST), or a UTC label."""
OFFSET_RE = re.compile(DATE_TIME + r"(?:Z|[+-]\d{2}:\d{2})$")
ID_KEY_RE = re.compile(r"(^|_)ids?$|^(head|fingerprint)$")
"""JSON keys whose names say they hold ids (``id``, ``round_id``, ``beneficiary_ids``)."""

TOURS = "37261"
DEMO_MONTH = DEMO_TODAY.strftime("%Y-%m")


def _json_of(argv: list[str], store: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    assert main([*argv, "--json", "--store", str(store)]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def outputs(
    demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, str | None]]:
    """Each read command's text and JSON output (None: it has no JSON form) on a copy of the
    demo store, as of the demo's day."""
    store = tmp_path_factory.mktemp("readable") / "demo.sqlite"
    shutil.copy(demo_template, store)
    for folder in ("journals", "results", "territory"):
        if (demo_template.parent / folder).is_dir():
            shutil.copytree(demo_template.parent / folder, store.parent / folder)
    got: dict[str, tuple[str, str | None]] = {}
    with clock.using_clock(clock.FixedClock(DEMO_TODAY)):
        for name, (argv, as_json) in _commands(store).items():
            got[name] = (
                _run(store, argv),
                None if as_json is None else _run(store, argv + as_json),
            )
    return got


def _run(store: Path, argv: list[str]) -> str:
    """One command's stdout and stderr (a failing command fails the test with its error)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([*argv, "--store", str(store)])
        except SystemExit as exit:
            status = exit.code
    assert status == 0, f"{' '.join(argv)}: {err.getvalue()}"
    return out.getvalue() + err.getvalue()


def _first(store: Path, argv: list[str], key: str) -> str:
    """``key`` of the first row of a JSON listing."""
    return str(json.loads(_run(store, [*argv, "--json"]))[0][key])


JSON = ["--json"]


def _commands(store: Path) -> dict[str, tuple[list[str], list[str] | None]]:
    """Every list, show, report and export of the command line, with names found in the demo,
    and how each is asked for JSON (None: it has no JSON form)."""
    rnd = _first(store, ["meals", "rounds", "list"], "reference")
    alert = _first(store, ["meals", "alerts", "list"], "reference")
    session = _first(store, ["sessions", "list"], "id")[:8]
    kit = json.loads(_run(store, ["devices", "kits", "list", "--json"]))[0]
    serial, school = kit["serials"][0], kit["uai"]
    shipment = _first(store, ["devices", "shipments", "list"], "reference")
    order = _first(store, ["devices", "orders", "list"], "reference")
    day = DEMO_TODAY.date().isoformat()
    town = ["--municipality", TOURS]
    month = [*town, "--month", DEMO_MONTH]
    reports = {
        "service-fait": ["audit", "report", "service-fait", *month],
        "cold-chain": ["audit", "report", "cold-chain", rnd],
        "welfare": ["audit", "report", "welfare", *town],
        "custody": ["audit", "report", "custody", serial],
        "provenance": ["audit", "report", "provenance", session],
    }
    return {
        "store info": (["store", "info"], JSON),
        "keys info": (["keys", "info"], JSON),
        "territory show": (["territory", "show"], JSON),
        "beneficiaries list": (["meals", "beneficiaries", "list"], JSON),
        "rounds list": (["meals", "rounds", "list"], JSON),
        "rounds manifest": (["meals", "rounds", "manifest", rnd], JSON),
        "orders": (["meals", "orders", *town, "--day", day], JSON),
        "alerts list": (["meals", "alerts", "list"], JSON),
        "alerts show": (["meals", "alerts", "show", alert], JSON),
        "statement": (["meals", "statement", *month], ["--format", "json"]),
        "statement csv": (["meals", "statement", *month, "--format", "csv"], None),
        "devices list": (["devices", "list"], JSON),
        "devices show": (["devices", "show", serial], JSON),
        "establishment": (["devices", "establishment", school], JSON),
        "overdue counts": (["devices", "overdue-counts"], JSON),
        "orders list": (["devices", "orders", "list"], JSON),
        "order show": (["devices", "orders", "show", order], JSON),
        "shipments list": (["devices", "shipments", "list"], JSON),
        "shipment show": (["devices", "shipments", "show", shipment], JSON),
        "kits list": (["devices", "kits", "list"], JSON),
        "kits calendar": (["devices", "kits", "calendar"], JSON),
        "sessions list": (["sessions", "list"], JSON),
        "sessions show": (["sessions", "show", session], JSON),
        "geo recommend": (["geo", "recommend"], JSON),
        "audit verify": (["audit", "verify"], JSON),
        "audit events": (["audit", "events", "--limit", "400"], JSON),
        "audit events of a round": (["audit", "events", "--aggregate", rnd], JSON),
        "audit state": (["audit", "state", rnd], JSON),
        **{f"report {k}": (argv, None) for k, argv in reports.items()},
        **{f"report {k} html": ([*argv, "--format", "html"], None) for k, argv in reports.items()},
        **{f"report {k} csv": ([*argv, "--format", "csv"], None) for k, argv in reports.items()},
    }


NAMES = [
    "store info", "keys info", "territory show", "beneficiaries list", "rounds list",
    "rounds manifest", "orders", "alerts list", "alerts show", "statement", "statement csv",
    "devices list", "devices show", "establishment", "overdue counts", "orders list",
    "order show", "shipments list", "shipment show", "kits list", "kits calendar",
    "sessions list", "sessions show", "geo recommend", "audit verify", "audit events",
    "audit events of a round", "audit state",
    *(f"report {k}{form}" for k in ("service-fait", "cold-chain", "welfare", "custody",
                                    "provenance") for form in ("", " html", " csv")),
]  # fmt: skip
CSV = {n for n in NAMES if n.endswith(" csv")}
"""Exports for spreadsheets: times as ISO 8601 with their offset, like JSON."""
PATH_RE = re.compile(r"(?<![\w.])/[^\s()\"']+")
"""A file's path: named by the file system (a checkpoint folder is named by the store's id)."""


def _problems_in_text(text: str, csv: bool = False) -> list[str]:
    """UUIDs and times without their zone (``csv``: without their offset) in printed text."""
    text = PATH_RE.sub("PATH", text)
    if csv:  # a row named as an id holds one, as a JSON key would
        text = re.sub(r"(?m)^\w*_id,.*$", "ID ROW", text)
    found = [f"{m.group()!r} in {_line_of(text, m.start())!r}" for m in UUID_RE.finditer(text)]
    if csv:
        return found + [f"{m.group()!r} without its offset in {_line_of(text, m.start())!r}"
                        for m in re.finditer(DATE_TIME + r"[^,\s]*", text)
                        if not OFFSET_RE.match(m.group())]  # fmt: skip
    return found + [
        f"{m.group()!r} in {_line_of(text, m.start())!r}" for m in BARE_TIME_RE.finditer(text)
    ]


def _line_of(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start : end if end >= 0 else None][:160]


def _problems_in_json(value: Any, key: str = "") -> list[str]:
    """UUIDs outside id keys, and times without an offset, anywhere in a JSON document."""
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            if k != "attributes"  # an aggregate's stored state, for scripts (audit state)
            for p in _problems_in_json(v, str(k))
        ]
    if isinstance(value, list):
        return [p for v in value for p in _problems_in_json(v, key)]
    if not isinstance(value, str):
        return []
    found = []
    if not ID_KEY_RE.search(key) and UUID_RE.search(PATH_RE.sub("PATH", value)):
        found.append(f"{key}: UUID in {value[:120]!r}")
    for m in re.finditer(DATE_TIME + r"\S*", value):
        if not OFFSET_RE.match(m.group()) and not re.match(r"\s?(CET|CEST)\b", value[m.end() :]):
            found.append(f"{key}: time without offset {m.group()!r}")
    return found


@pytest.mark.parametrize("name", NAMES)
def test_text_names_things_and_shows_local_times(
    outputs: dict[str, tuple[str, str]], name: str
) -> None:
    text, _ = outputs[name]
    assert text.strip()
    assert _problems_in_text(text, csv=name in CSV) == []


@pytest.mark.parametrize("name", [n for n in NAMES if n not in CSV and "html" not in n])
def test_json_keeps_ids_under_id_keys_and_times_with_their_offset(
    outputs: dict[str, tuple[str, str]], name: str
) -> None:
    _, raw = outputs[name]
    if raw is None:
        pytest.skip(f"{name} has no JSON form (its text is checked)")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        pytest.fail(f"{name} --json does not print JSON: {raw[:200]!r}")
    assert _problems_in_json(data) == []


def test_the_checks_catch_what_they_look_for() -> None:
    """The patterns themselves: what must be caught is, what people read is not."""
    assert _problems_in_text("round 7a075844-bffb-56b1-adf4-039785cc33b3")
    assert _problems_in_text("store 85cfccb5bdfa4641a7d4ac7cd18a431f")
    assert _problems_in_text("made 2026-12-07T00:17:47+00:00")
    assert _problems_in_text("prepared 2026-12-03 04:30")
    assert _problems_in_text("at 2026-12-03 04:30:00 UTC")
    assert not _problems_in_text("raised 2026-12-07 00:17 CET, head 5765e26bfde1ae2b4328ddb7")
    assert not _problems_in_text("started 2026-06-07 08:40:00 CEST")
    assert _problems_in_json({"when": "2026-12-03 04:30"})
    assert _problems_in_json({"round": "7a075844-bffb-56b1-adf4-039785cc33b3"})
    assert not _problems_in_json({"round_id": "7a075844-bffb-56b1-adf4-039785cc33b3"})
    assert not _problems_in_json({"at": "2026-12-03T04:30:00+00:00", "shown": "04:30 CET"})
    assert not _problems_in_text("in /srv/checkpoints/85cfccb5bdfa4641a7d4ac7cd18a431f/x.json")
    assert _problems_in_text("2026-12-03T04:30:00,1", csv=True)
    assert not _problems_in_text("2026-12-03T04:30:00+01:00,1", csv=True)
