"""A simulated session processed into the segments view (SQLite and PostgreSQL), rebuilt and
replayed equal; segments belong to a municipality (its round's, or --municipality) and the
geo commands filter by it; results missing from the store's folder are named, not fatal."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from console.cli import main
from console.decoding.journal import write_field_journal
from console.decoding.process import process_session
from domain.application import Maillage
from domain.audit.replay import replay
from domain.clock import FixedClock
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import MealRound
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.sensing import service
from domain.sensing.results_store import results_file
from domain.sensing.sensor_session import SensorSession
from domain.sensing.views import COLUMNS, RESULTS_MISSING, SegmentsView, processed_sessions
from domain.store import StoreLocation
from domain.views.catalogue import all_views
from domain.views.projector import Projector
from drivers.journal import ChunkInfo
from drivers.simulator.scenario import Scenario, build_field

TOURS, BLOIS = "37261", "41018"


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ChunkInfo]]:
    path = tmp_path_factory.mktemp("geo-view") / "van-1.journal"
    return path, write_field_journal(build_field(Scenario()), path)


def stopped_session(
    app: Maillage, journal: Path, chunks: list[ChunkInfo], round_id: UUID | None = None
) -> UUID:
    channels = {n: (n, f"/dev/sim/{n}") for n in ("gps", "imu", "pm", "modem", "thermal")}
    s = service.start_session(app, "van-1", channels, journal.name, by="tech", round_id=round_id)
    for c in chunks:
        first = datetime.fromtimestamp(c.first_utc_ns / 1e9, UTC)
        last = datetime.fromtimestamp(c.last_utc_ns / 1e9, UTC)
        service.record_chunk(app, s.id, c.seq, c.sha256, c.records, c.start, c.end, first, last)
    service.stop_session(app, s.id, {"gps": {"frames": 1}})
    return s.id


@pytest.fixture
def app(
    location: StoreLocation,
    fixed_clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Maillage]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # PostgreSQL's results
    store = Maillage(location)
    yield store
    store.close()


def test_a_processed_session_is_in_the_view_rebuilt_and_replayed_equal(
    app: Maillage, journal: tuple[Path, list[ChunkInfo]]
) -> None:
    path, chunks = journal
    sid = stopped_session(app, path, chunks)
    session, results, kept, recorded = process_session(app, sid, path, "tech")
    sha = hashlib.sha256(kept.read_bytes()).hexdigest()
    assert recorded and kept == results_file(app.location, sha)

    with Projector(app, all_views()) as projector:
        projector.catch_up()
        conn = projector.conn
        for level in ("segments", "segments_long"):
            rows = conn.fetchall(
                f"SELECT {', '.join(COLUMNS)} FROM segments_view "
                "WHERE session_id = ? AND level = ? ORDER BY idx",
                (str(sid), level),
            )
            cols = results[level]
            assert len(rows) == len(cols["from_m"]) > 0
            for k, name in enumerate(COLUMNS):
                if name in cols:
                    want = [int(v) if isinstance(v, bool) else v for v in cols[name]]
                    assert [r[k] for r in rows] == want, (level, name)
        [info] = processed_sessions(conn)
        assert (info.session_id, info.vehicle, info.status) == (str(sid), "van-1", "ok")
        assert info.started_at == session.started_at
        live = SegmentsView().contents(conn)
        conn.commit()

        projector.rebuild()
        assert SegmentsView().contents(projector.conn) == live
        projector.conn.commit()

    report = replay(app)
    assert report.equal, report.differences


# ---------------------------------------------------------------------- the command line


def towns_and_round(app: Maillage) -> UUID:
    """Tours with two beneficiaries on a planned round, and Blois; returns the round's id."""
    contract = Contract((PriceBracket("std", None, 500, 100),))
    tours = Municipality.register(TOURS, "Tours", "PPDC Tours Nord", "c", contract)
    blois = Municipality.register(BLOIS, "Blois", "PPDC Blois", "c", contract)
    people = [
        Beneficiary.register(TOURS, f"F{i}", tours.id, {"name": f"P{i}"}, 47.39, 0.69, "std")
        for i in range(2)
    ]
    rnd = MealRound.plan(
        date(2026, 3, 9), "PPDC Tours Nord", "L. Petit", "van-1", [(b.id, 1, "B1") for b in people]
    )
    app.save(tours, blois, *people, rnd)
    return rnd.id


def processings(app: Maillage, sid: UUID) -> int:
    return sum(e.topic.endswith("SessionProcessed") for e in app.recorder.select_events(sid))


def test_segments_belong_to_a_municipality_and_the_geo_commands_filter_by_it(
    journal: tuple[Path, list[ChunkInfo]],
    tmp_path: Path,
    fixed_clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "store.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    path, chunks = journal
    round_id = towns_and_round(app)
    on_round = stopped_session(app, path, chunks, round_id)
    free = stopped_session(app, path, chunks)
    base = ["--store", str(store), "--journal", str(path)]

    # the round's municipality is the session's; another one named is refused, nothing recorded
    assert main(["sessions", "process", str(on_round), "--municipality", BLOIS, *base]) == 2
    err = capsys.readouterr().err
    assert f"ran on a meal round of municipality {TOURS}, not {BLOIS}" in err
    assert len(err.strip().splitlines()) == 1 and processings(app, on_round) == 0
    assert main(["sessions", "process", str(on_round), "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out)["municipality"] == TOURS

    # a session without a round: the municipality named must exist
    for bad, why in (("99999", "no municipality with INSEE code 99999"), ("Blois", "INSEE code")):
        assert main(["sessions", "process", str(free), "--municipality", bad, *base]) == 2
        err = capsys.readouterr().err
        assert why in err and len(err.strip().splitlines()) == 1
    assert processings(app, free) == 0
    assert main(["sessions", "process", str(free), "--municipality", BLOIS, *base]) == 0
    assert f"for municipality {BLOIS}" in capsys.readouterr().out
    assert app.get(free, SensorSession).latest_processing["municipality"] == BLOIS  # type: ignore[index]

    # both sessions drove the same loop: unfiltered, every place has two passes; filtered, one
    store_arg = ["--store", str(store)]
    out = tmp_path / "all.geojson"
    assert main(["geo", "export", "--format", "geojson", "--output", str(out), *store_arg]) == 0
    every = json.loads(out.read_text())["features"]
    capsys.readouterr()
    assert every and all(f["properties"]["sessions"] == 2 for f in every)
    for town in (TOURS, BLOIS):
        out = tmp_path / f"{town}.geojson"
        args = ["geo", "export", "--format", "geojson", "--output", str(out), "--json"]
        assert main([*args, "--municipality", town, *store_arg]) == 0
        assert json.loads(capsys.readouterr().out)["municipality"] == town
        features = json.loads(out.read_text())["features"]
        assert features and all(f["properties"]["sessions"] == 1 for f in features)

    ten = tmp_path / "tours-10m.csv"
    args = ["geo", "export", "--format", "csv", "--segment", "10", "--output", str(ten)]
    assert main([*args, "--municipality", TOURS, *store_arg]) == 0
    rows = list(csv.DictReader(io.StringIO(ten.read_text())))
    assert len(rows) > 400 and {(r["length_m"], r["sessions"]) for r in rows} == {("10.0", "1")}

    page = tmp_path / "tours.html"
    args = ["geo", "export", "--format", "html", "--output", str(page), "--municipality", TOURS]
    assert main([*args, *store_arg]) == 0
    html = page.read_text()
    assert "<h1>Géointelligence report — Tours (37261)</h1>" in html and "Blois" not in html

    capsys.readouterr()
    assert main(["geo", "recommend", "--json", "--municipality", TOURS, *store_arg]) == 0
    tours_recs = json.loads(capsys.readouterr().out)
    assert any(r["rule"] == "road_maintenance" for r in tours_recs)
    assert main(["geo", "recommend", "--municipality", "75056", *store_arg]) == 2
    assert "no municipality with INSEE code 75056" in capsys.readouterr().err


def test_results_missing_from_the_store_are_named_and_a_journal_dir_is_a_fallback(
    journal: tuple[Path, list[ChunkInfo]],
    tmp_path: Path,
    fixed_clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "store.sqlite"
    app = Maillage(StoreLocation.parse(str(store)))
    path, chunks = journal
    sid = stopped_session(app, path, chunks)
    _, _, kept, _ = process_session(app, sid, path, "tech")
    base = ["--store", str(store)]
    kept.unlink()  # the store was copied without its results folder

    assert main(["views", "rebuild", *base]) == 0
    capsys.readouterr()
    conn_app = Maillage(StoreLocation.parse(str(store)))
    with Projector(conn_app, all_views()) as projector:
        [info] = processed_sessions(projector.conn)
        projector.conn.commit()
    assert info.status == RESULTS_MISSING

    out = tmp_path / "segments.csv"
    assert main(["geo", "export", "--format", "csv", "--output", str(out), "--json", *base]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["segments"] == 0
    assert f"session {str(sid)[:8]}: results missing" in captured.err and str(kept) in captured.err
    assert main(["audit", "replay", "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out)["equal"] is True

    # the results file beside the journal (checked by hash) stands in for the missing one
    journals = ["--journal-dir", str(path.parent)]
    assert main(["geo", "export", "--format", "csv", "--output", str(out), *journals, *base]) == 0
    captured = capsys.readouterr()
    assert "results missing" not in captured.err
    assert 40 <= len(out.read_text().splitlines()) - 1 <= 46
