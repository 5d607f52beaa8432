"""Erasing a beneficiary: recorded, key gone, views purged, rebuilds stay purged, counts kept."""

from __future__ import annotations

from datetime import date

from domain.application import Maillage
from domain.clock import FixedClock
from domain.meals.beneficiary import Beneficiary
from domain.meals.municipality import Contract, Municipality, PriceBracket
from domain.meals.service import erase_beneficiary
from domain.meals.views import beneficiary_list
from domain.personal import ERASED
from domain.store import StoreLocation, ViewConnection
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def rows(conn: ViewConnection, app: Maillage) -> list[tuple[str, ...]]:
    """The view's beneficiaries as people read them (personal data opened)."""
    found = [
        (r["file_number"], r["name"], r["address"], r["regime"], r["status"])
        for r in beneficiary_list(conn, app.subject_keys)
    ]
    conn.commit()
    return found


def test_erasure_purges_the_views_and_survives_a_rebuild(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    town = Municipality.register(
        "37261", "Tours", "D", "c", Contract((PriceBracket("low", None, 450, 150),))
    )
    jeanne = Beneficiary.register(
        "37261",
        "F1",
        town.id,
        {"name": "Jeanne Moreau", "address": "12 rue Colbert"},
        47.39,
        0.69,
        "low",
    )
    louis = Beneficiary.register(
        "37261", "F2", town.id, {"name": "Louis Girard"}, 47.39, 0.69, "low"
    )
    for b in (jeanne, louis):
        b.prescribe_diet("no_salt", "minced", [], [])
        b.set_weekly_pattern({0: 1})
        b.activate(date(2026, 3, 2))
    app.save(town, jeanne, louis)

    with Projector(app, all_views()) as projector:
        projector.catch_up()
        (row,) = [
            r
            for r in beneficiary_list(projector.conn, app.subject_keys)
            if r["file_number"] == "F1"
        ]
        projector.conn.commit()
        assert (row["name"], row["status"], row["regime"]) == ("Jeanne Moreau", "active", "no_salt")

        erase_beneficiary(app, jeanne.id, by="DPO of Tours")
        erase_beneficiary(app, jeanne.id, by="DPO of Tours")  # finishing twice is harmless
        projector.catch_up()
        live = rows(projector.conn, app)
        projector.rebuild()
        rebuilt = rows(projector.conn, app)

    assert (
        live
        == rebuilt
        == [
            ("F1", ERASED, ERASED, ERASED, "active"),
            ("F2", "Louis Girard", "", "no_salt", "active"),
        ]
    )
    reader = Maillage(location)
    erased = reader.get(jeanne.id, Beneficiary)
    assert erased.erased_by == "DPO of Tours"
    assert erased.personal.erased and erased.meals_on(date(2026, 3, 9)) == 1  # the schedule stays
    everything = b"".join(
        bytes(n.state) for n in reader.recorder.select_notifications(start=1, limit=1000)
    )
    assert b"Jeanne" not in everything and b"Colbert" not in everything
