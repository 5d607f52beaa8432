"""``maillage meals``: municipality, CSV import all-or-nothing, list, erase."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from console.cli import main
from domain.personal import ERASED

from ...helpers import GOOD, HEADER, listing, write


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "meals.sqlite")
    assert main(["meals", "municipality", "add", "--store", path, "--insee", "37261",
                 "--name", "Tours", "--depot", "PPDC Tours Nord", "--ccas", "ccas@ville-tours.fr",
                 "--bracket", "low:12000:450:150", "--bracket", "high::790:210"]) == 0  # fmt: skip
    capsys.readouterr()
    return path


def test_import_list_reimport_and_erase(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = write(tmp_path, GOOD)
    assert main(["meals", "beneficiaries", "import", str(csv_file), "--municipality", "37261",
                 "--json", "--store", store]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert (report["read"], report["recorded"], report["errors"]) == (2, 2, [])

    people = listing(store, capsys)
    assert [(p["file_number"], p["name"], p["status"], p["regime"]) for p in people] == [
        ("2026-001", "Jeanne Moreau", "active", "no_salt"),
        ("2026-002", "Louis Girard", "active", "normal"),
    ]

    # The same file again changes nothing.
    assert main(["meals", "beneficiaries", "import", str(csv_file), "--municipality", "37261",
                 "--json", "--store", store]) == 0  # fmt: skip
    again = json.loads(capsys.readouterr().out)
    assert (again["recorded"], again["already_registered"]) == (0, 2)

    assert main(["meals", "beneficiaries", "erase", "2026-001", "--municipality", "37261",
                 "--by", "DPO", "--store", store]) == 0  # fmt: skip
    capsys.readouterr()
    erased = listing(store, capsys)[0]
    assert (erased["file_number"], erased["name"], erased["regime"]) == ("2026-001", ERASED, ERASED)


def test_bad_lines_are_listed_by_number_and_nothing_is_recorded(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        GOOD[0],
        GOOD[1].replace("47.3937", "north"),  # line 3
        "2026-001" + GOOD[1][8:],  # line 4: duplicate file number
        GOOD[1].replace("2026-002", "2026-004").replace(",high,", ",platinum,"),  # line 5
        GOOD[1].replace("2026-002", "2026-005").replace("mon=1;", "monday-ish;"),  # line 6
        "2026-006,,,,,,47.39,0.69,low,normal,normal,,,mon=1,,,,",  # line 7: no name
    ]
    code = main(["meals", "beneficiaries", "import", str(write(tmp_path, bad)),
                 "--municipality", "37261", "--store", store])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert "beneficiaries.csv:3: column latitude is not a number" in captured.err
    assert "beneficiaries.csv:4: file number 2026-001 already on line 2" in captured.err
    assert "beneficiaries.csv:5: column price_bracket is not one of low, high" in captured.err
    assert "beneficiaries.csv:6: column pattern is not like mon=1;wed=1;fri=2" in captured.err
    assert "platinum" not in captured.err and "monday-ish" not in captured.err
    assert "beneficiaries.csv:7: empty required columns: name" in captured.err
    assert "nothing was recorded" in captured.err
    assert "Louis" not in captured.err and "Plumereau" not in captured.err  # no personal data
    assert listing(store, capsys) == []


# Each checked column, a value that breaks its rule (and would be personal data), the rule.
BAD_CELLS = {
    "price_bracket": ("revenu-modeste-Dupont", "column price_bracket is not one of low, high"),
    "latitude": ("chez Mme Dupont", "column latitude is not a number"),
    "longitude": ("999.5", "column longitude is not between -180 and 180"),
    "regime": ("diabete-insulinodependant", "column regime is not one of normal, no_salt"),
    "texture": ("mixee-dysphagie-Dupont", "column texture is not one of normal, minced, mixed"),
    "pattern": ("dialyse-mardi", "column pattern is not like mon=1;wed=1;fri=2"),
    "window_start": ("apres-dialyse", "column window_start is not a time like 09:30"),
    "window_end": ("avant-infirmiere", "column window_end is not a time like 09:30"),
    "service_min": ("lente-Dupont", "column service_min is not a number"),
    "start_date": ("Mme Dupont", "column start_date is not a date like 2026-03-02"),
}


@pytest.mark.parametrize("column", sorted(BAD_CELLS))
def test_import_errors_name_the_column_and_rule_never_the_value(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    value, rule = BAD_CELLS[column]
    cells = dict(zip(HEADER.split(","), next(csv.reader([GOOD[0]])), strict=True))
    cells[column] = value
    line = ",".join(cells[c] for c in HEADER.split(","))
    for args in ([], ["--json"]):
        code = main(["meals", "beneficiaries", "import", str(write(tmp_path, [line])),
                     "--municipality", "37261", "--store", store, *args])  # fmt: skip
        captured = capsys.readouterr()
        assert code == 2
        assert rule in captured.err + captured.out
        for shown in (captured.out, captured.err):
            assert value not in shown and "Dupont" not in shown and "Jeanne" not in shown
    assert listing(store, capsys) == []


def test_unknown_municipality_and_unreadable_file(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["meals", "beneficiaries", "import", str(write(tmp_path, GOOD)),
                 "--municipality", "75056", "--store", store]) == 2  # fmt: skip
    assert "no municipality with INSEE code 75056" in capsys.readouterr().err
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\n2026-009,Hélène").encode("latin-1"))
    assert main(["meals", "beneficiaries", "import", str(latin1), "--municipality", "37261",
                 "--store", store]) == 2  # fmt: skip
    assert "is not UTF-8 text" in capsys.readouterr().err
    assert main(["meals", "beneficiaries", "erase", "nobody", "--municipality", "37261",
                 "--by", "x", "--store", store]) == 2  # fmt: skip
    assert "no beneficiary file nobody in 37261" in capsys.readouterr().err


def test_statement_formats_carry_no_personal_data(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["meals", "beneficiaries", "import", str(write(tmp_path, GOOD)),
                 "--municipality", "37261", "--store", store]) == 0  # fmt: skip
    capsys.readouterr()
    for fmt in ("md", "html", "csv", "json"):
        assert main(["meals", "statement", "--municipality", "37261", "--month", "2026-03",
                     "--format", fmt, "--store", store]) == 0  # fmt: skip
        out = capsys.readouterr().out
        assert "2026-001" in out and "2026-002" in out
        assert "Jeanne" not in out and "Colbert" not in out and "02 47" not in out
    target = tmp_path / "statement.json"
    assert main(["meals", "statement", "--municipality", "37261", "--month", "2026-03",
                 "--format", "json", "--output", str(target), "--store", store]) == 0  # fmt: skip
    data = json.loads(target.read_text())
    assert data["delivered"] == data["billed"] == 0  # no round has been completed
    assert data["planned"] > 0 and data["gaps"] == {"NO_ROUND": data["planned"]}


def test_statement_month_must_be_a_month(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["meals", "statement", "--municipality", "37261", "--month", "March", "--store", store]
        )
    assert exit_info.value.code == 2
    assert "'March' is not a month like 2026-03" in capsys.readouterr().err
