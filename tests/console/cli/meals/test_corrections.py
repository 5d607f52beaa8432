"""Corrections keep history: a file edited, a re-import that changes a file (dry run first),
a paper round entered with its real times, and an amended stop outcome — in the log and the
reports with both the original and the correction."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from domain import clock
from domain.application import Maillage
from domain.clock import PARIS
from domain.ids import beneficiary_id
from domain.meals.beneficiary import Beneficiary
from domain.store import StoreLocation
from domain.wording import local_time

from ...helpers import GOOD, run, write


def test_edit_and_reimport_keep_the_history(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit = ["meals", "beneficiaries", "edit", "2026-002", "--municipality", "37261"]
    assert run(store, *edit, "--address", "9 rue Nationale", "--window", "09:00-11:00") == 0
    assert "file 2026-002: address, window corrected" in capsys.readouterr().out
    assert run(store, *edit, "--address", "9 rue Nationale") == 0
    assert "nothing to change" in capsys.readouterr().out

    changed = [GOOD[0].replace("02 47 00 00 01", "02 47 99 99 99"), GOOD[1]]
    csv = write(tmp_path, changed)
    imp = ["meals", "beneficiaries", "import", str(csv), "--municipality", "37261"]
    assert run(store, *imp, "--dry-run") == 0
    out = capsys.readouterr().out
    # 2026-002's address and window come back to the file's: the file says so too.
    assert "file 2026-001: phone would change" in out
    assert "file 2026-002: address, window would change" in out
    assert "nothing recorded" in out
    assert run(store, *imp, "--dry-run") == 0  # still to change: the dry run recorded nothing
    assert "file 2026-001: phone would change" in capsys.readouterr().out
    assert run(store, *imp) == 0
    assert "2 changed" in capsys.readouterr().out
    assert run(store, *imp) == 0
    assert "0 changed" in capsys.readouterr().out

    app = Maillage(StoreLocation.parse(store))
    try:
        who = beneficiary_id("37261", "2026-002")
        topics = [e.topic.rsplit(".", 1)[-1] for e in app.recorder.select_events(who)]
        person = app.get(who, Beneficiary)
        assert person.personal.value["address"] == "3 place Plumereau"  # the file's again
        assert topics.count("DetailsCorrected") == 2  # the edit, then the file's values back
    finally:
        app.close()


def test_a_paper_round_with_its_real_times_and_an_amended_outcome(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *plan, "--postman", "L. Petit", "--vehicle", "VAN-12", "--json") == 0
    rid = json.loads(capsys.readouterr().out)["round"][:8]
    load = ["meals", "rounds", "load", rid, "--box", "box-1=probe-7:2.1"]
    assert run(store, *load, "--at", "2026-03-09T08:05") == 0
    probe = ["meals", "rounds", "probe", rid, "--box", "box-1", "--temperature", "2.4"]
    assert run(store, *probe, "--at", "2026-03-09T08:40") == 0
    stop = ["meals", "rounds", "stop", rid]
    town = ["--municipality", "37261"]
    reached = ["--called", "contact_person", "--result", "reached"]
    assert run(store, *stop, "2026-001", *town, "--outcome", "absent", *reached,
               "--at", "2026-03-09T09:10") == 0  # fmt: skip

    # A stop dated before the loading is refused.
    assert run(store, *stop, "2026-002", *town, "--outcome", "put_in_fridge",
               "--at", "2026-03-09T07:50") == 2  # fmt: skip
    assert "cannot come before the loading at 2026-03-09 08:05 CET" in capsys.readouterr().err
    assert run(store, *stop, "2026-002", *town, "--outcome", "put_in_fridge",
               "--at", "2026-03-09T09:25") == 0  # fmt: skip
    done = ["meals", "rounds", "complete", rid]
    assert run(store, *done, "--at", "2026-03-09T09:00") == 2
    assert "before its last stop at 2026-03-09 09:25 CET" in capsys.readouterr().err
    assert run(store, *done, "--at", "2026-03-09T10:00") == 0

    amend = ["meals", "rounds", "amend", rid, "2026-001", *town, "--outcome", "put_in_fridge"]
    assert run(store, *amend, "--reason", "the neighbour let the postman in") == 0
    assert "amended: put_in_fridge (the original stays)" in capsys.readouterr().out

    assert run(store, "audit", "report", "cold-chain", rid, "--role", "auditor") == 0
    report = capsys.readouterr().out
    assert "stop: absent" in report and "stop amended" in report
    assert "absent → put in fridge" in report and "amended later" in report
    # Typed in after the fact: when each was entered shows beside when it happened (the
    # loading, the probe reading, both stops and the completion).
    assert report.count("entered 20") == 5
    assert "2026-03-09 08:05" in report or "08:05" in report
    assert run(store, "audit", "report", "service-fait", *town, "--month", "2026-03",
               "--role", "auditor") == 0  # fmt: skip
    fait = capsys.readouterr().out
    assert "Amended outcomes" in fait and "absent" in fait and "2026-001" in fait
    # The paper round's entries: when each happened beside when the log recorded it.
    entered = fait.split("## Entered after it happened", 1)[1].split("##", 1)[0]
    assert "2026-03-09 09:10 CET" in entered and "2026-03-09 09:25 CET" in entered
    assert "2026-03-09 10:00 CET" in entered  # the completion
    recorded = local_time(clock.now())[:10]
    assert entered.count(recorded) >= 3


def test_a_time_it_happened_after_now_is_refused(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--at`` says when something happened: a time to come is refused in one line, and
    nothing is recorded."""
    plan = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *plan, "--postman", "L. Petit", "--vehicle", "VAN-12", "--json") == 0
    rid = json.loads(capsys.readouterr().out)["round"][:8]
    later = (clock.now() + timedelta(hours=2)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    app = Maillage(StoreLocation.parse(store))
    before = app.last_position()
    app.close()
    assert run(store, "meals", "rounds", "load", rid, "--box", "box-1=probe-7:2.1",
               "--at", later) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is after now" in err and "must be in the past" in err
    app = Maillage(StoreLocation.parse(store))
    assert app.last_position() == before
    app.close()
