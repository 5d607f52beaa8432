"""Views follow the log exactly once, survive a kill, and rebuild to the same rows."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from domain.application import Maillage
from domain.clock import FixedClock
from domain.devices.establishment import Establishment
from domain.devices.service import ManifestLine, SchoolRecord, announce_devices, register_schools
from domain.store import StoreLocation
from domain.views.activity import ActivityView
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def fill(app: Maillage, clock: FixedClock, devices: int, days: int = 3) -> None:
    register_schools(
        app,
        [
            SchoolRecord(
                "0371100V", "Lycée Descartes", "LYC", "10 rue", "37000", "Tours", 47.39, 0.69
            ),
            SchoolRecord(
                "0750655E", "Lycée Henri-IV", "LYC", "23 rue Clovis", "75005", "Paris", 48.85, 2.35
            ),
        ],
    )
    per_day = devices // days
    for d in range(days):
        clock.advance(timedelta(days=1))
        lines = [ManifestLine(f"D{d}N{i:06d}", "iPad", "tablet", "PO-1") for i in range(per_day)]
        announce_devices(app, lines)


def test_catch_up_applies_each_event_once_in_batches(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    fill(app, fixed_clock, devices=3000)
    with Projector(app, all_views(), batch_size=700) as projector:
        seen: list[tuple[str, int, int]] = []
        applied = projector.catch_up(lambda v, p, t: seen.append((v, p, t)))
        again = projector.catch_up()
        counts = dict(
            projector.conn.fetchall("SELECT day, SUM(events) FROM activity_view GROUP BY day")
        )
        devices = projector.conn.fetchone("SELECT COUNT(*) FROM devices_view")
        positions = {p.name: p.position for p in projector.positions()}

    assert applied == 3002 + 3000 + 2  # activity reads all, devices its 3000, schools their 2
    assert again == 0
    assert counts == {"2026-03-02": 2, "2026-03-03": 1000, "2026-03-04": 1000, "2026-03-05": 1000}
    assert devices == (3000,)
    assert set(positions.values()) == {3002} and len(positions) == len(all_views())
    assert ("activity", 700, 3002) in seen and ("activity", 3002, 3002) in seen


def test_later_events_update_views_incrementally(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    fill(app, fixed_clock, devices=300)
    with Projector(app, all_views()) as projector:
        projector.catch_up()
        school = app.get(Establishment.create_id("0371100V"), Establishment)
        school.update_details(
            "Lycée René Descartes", "LYC", "10 rue", "37000", "Tours", 47.39, 0.69
        )
        app.save(school)
        assert projector.catch_up() == 2  # activity and establishments
        row = projector.conn.fetchone("SELECT name FROM establishments_view WHERE uai = '0371100V'")
    assert row == ("Lycée René Descartes",)


def test_rebuilt_views_equal_live_ones(location: StoreLocation, fixed_clock: FixedClock) -> None:
    app = Maillage(location)
    with Projector(app, all_views(), batch_size=64) as live:
        # Live: the projector runs after each step of the history, as the console does.
        fill(app, fixed_clock, devices=150, days=1)
        live.catch_up()
        for step in range(1, 4):
            lines = [ManifestLine(f"S{step}X{i}", "Dell", "laptop", "PO-2") for i in range(97)]
            announce_devices(app, lines)
            live.catch_up()
        school = app.get(Establishment.create_id("0750655E"), Establishment)
        school.update_details(
            "Lycée Henri-IV", "LYC", "23 rue Clovis", "75005", "Paris 5e", 48.85, 2.35
        )
        app.save(school)
        live.catch_up()
        before = {v.name: v.contents(live.conn) for v in live.views}

        live.rebuild()
        after = {v.name: v.contents(live.conn) for v in live.views}

    assert after == before
    assert len(before["devices"]["devices_view"]) == 150 + 3 * 97


def test_a_new_view_version_is_rebuilt_from_the_log(
    sqlite_location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(sqlite_location)
    fill(app, fixed_clock, devices=30)
    with Projector(app, [ActivityView()]) as projector:
        projector.catch_up()
        projector.conn.execute("UPDATE activity_view SET events = 999")  # a stale, wrong view
        projector.conn.commit()

    class ActivityV2(ActivityView):
        version = 2

    with Projector(app, [ActivityV2()]) as projector:
        assert projector.position(ActivityV2()) == 0
        projector.catch_up()
        total = projector.conn.fetchone("SELECT CAST(SUM(events) AS BIGINT) FROM activity_view")
    assert total == (32,)


@pytest.mark.slow
def test_kill_during_catch_up_then_resume_applies_each_event_exactly_once(
    sqlite_location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(sqlite_location)
    fill(app, fixed_clock, devices=60_000)
    last = app.last_position()
    store = str(sqlite_location.path)
    command = [
        sys.executable,
        "-m",
        "console.cli",
        "views",
        "update",
        "--batch-size",
        "20",
        "--store",
        store,
    ]

    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    probe = sqlite3.connect(store, timeout=30)
    deadline = time.monotonic() + 120
    position = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                row = probe.execute(
                    "SELECT position FROM view_positions WHERE view = 'activity'"
                ).fetchone()
            except sqlite3.OperationalError:  # the tracking table is not created yet
                row = None
            position = row[0] if row else 0
            if position >= 2000:
                break
            time.sleep(0.01)  # polling a condition, bounded by the deadline
        assert proc.poll() is None, "the catch-up finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    killed_at = probe.execute(
        "SELECT position FROM view_positions WHERE view = 'activity'"
    ).fetchone()[0]
    assert 0 < killed_at < last, "the kill must land in the middle of the catch-up"
    probe.close()

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr

    with Projector(Maillage(sqlite_location), all_views()) as projector:
        total = projector.conn.fetchone("SELECT CAST(SUM(events) AS BIGINT) FROM activity_view")
        devices = projector.conn.fetchone("SELECT COUNT(*) FROM devices_view")
        assert {p.position for p in projector.positions()} == {last}
    assert total == (last,)  # not one event counted twice or missed
    assert devices == (60_000,)


def test_two_projectors_at_once_still_apply_each_event_once(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    """Two consoles (or a rebuild beside the polling) catch up the same views together."""
    import threading

    app = Maillage(location)
    fill(app, fixed_clock, devices=4000, days=4)
    Projector(app, all_views()).close()  # tables exist before the race
    errors: list[BaseException] = []
    start = threading.Barrier(3, timeout=60)

    def run(rebuild: bool) -> None:
        try:
            with Projector(Maillage(location), all_views(), batch_size=97) as projector:
                start.wait()
                projector.rebuild() if rebuild else projector.catch_up()
        except BaseException as e:  # reported below
            errors.append(e)
            start.abort()

    threads = [threading.Thread(target=run, args=(r,)) for r in (False, False, True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    with Projector(app, all_views()) as projector:
        projector.catch_up()
        total = projector.conn.fetchone("SELECT CAST(SUM(events) AS BIGINT) FROM activity_view")
        devices = projector.conn.fetchone("SELECT COUNT(*) FROM devices_view")
    assert total == (4002,)
    assert devices == (4000,)
