"""Replay: the demo's views rebuilt from the log in a scratch store equal the live views, on
SQLite and PostgreSQL; a view row edited behind the log's back is found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.demo.builder import build_demo
from domain.application import Maillage
from domain.audit.replay import replay
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector

TODAY = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


@pytest.mark.slow
def test_the_demo_replays_to_the_same_views(location: StoreLocation, tmp_path: Path) -> None:
    app = Maillage(location)
    build_demo(app, TODAY, tmp_path / "journals")
    with Projector(app, all_views()) as projector:
        projector.catch_up()  # the live views, as the console keeps them

    report = replay(app)

    assert report.equal, report.differences
    assert report.position == app.last_position()
    assert report.events_applied > 20_000
    assert set(report.views) == {v.name for v in all_views()}

    # A row changed in a live view (not in the log) is a difference.
    conn = ViewConnection.open(app.location)
    try:
        conn.begin_write()  # a fresh connection's first write transaction keeps its schema
        conn.execute("UPDATE rounds_view SET meals_delivered = meals_delivered + 1")
        conn.commit()
    finally:
        conn.close()
    tampered = replay(app)
    assert not tampered.equal
    assert [(d.view, d.table) for d in tampered.differences] == [("rounds", "rounds_view")]
