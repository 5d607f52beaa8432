"""A welfare alert from the doorstep to its closure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import clock
from domain.application import Maillage
from domain.clock import FixedClock
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import beneficiary_id, municipality_id
from domain.meals.welfare_alert import WelfareAlert
from domain.personal import Erasure
from domain.store import StoreLocation

JEANNE = beneficiary_id("37261", "2026-0042")
TOURS = municipality_id("37261")


def test_an_alert_is_raised_acknowledged_followed_and_closed(
    location: StoreLocation, fixed_clock: FixedClock
) -> None:
    app = Maillage(location)
    alert = WelfareAlert.raise_alert(
        JEANNE,
        TOURS,
        "health",
        "high",
        "Fell last night, bruised arm, alone",
        raised_by="facteur L. Petit",
    )
    app.save(alert)
    (state,) = [e.state for e in app.recorder.select_events(alert.id)]
    assert b"Fell" not in state  # the note is sealed

    fixed_clock.advance(timedelta(hours=5))
    assert alert.is_overdue(fixed_clock.now(), acknowledge_within=timedelta(hours=4))
    with pytest.raises(RuleViolationError, match="follow-ups come after acknowledgement"):
        alert.add_follow_up("CCAS", "called")

    app.edit(alert.id, WelfareAlert, lambda a: a.acknowledge("Mme Durand (CCAS)"))
    app.edit(
        alert.id,
        WelfareAlert,
        lambda a: a.add_follow_up("Mme Durand", "Called her son, GP visit today"),
    )
    app.edit(alert.id, WelfareAlert, lambda a: a.close("referred", "Mme Durand"))

    reader = Maillage(location)
    closed = reader.get(alert.id, WelfareAlert)
    assert closed.status == "closed" and closed.outcome == "referred"
    assert closed.acknowledged_on == fixed_clock.now()
    assert closed.follow_ups[0]["action"].value == "Called her son, GP visit today"  # type: ignore[union-attr]
    assert not closed.is_overdue(fixed_clock.now() + timedelta(days=3), timedelta(hours=4))
    with pytest.raises(RuleViolationError, match="is already closed"):
        closed.acknowledge("someone")

    reader.erase_subject(Erasure(JEANNE, "the person", clock.now(), "DPO"))
    again = Maillage(location).get(alert.id, WelfareAlert)
    assert again.note.erased and again.follow_ups[0]["action"].erased  # type: ignore[union-attr]
    assert again.category == "health" and again.outcome == "referred"


@pytest.mark.parametrize(
    ("category", "severity", "by", "message"),
    [
        ("gossip", "low", "x", "category 'gossip'"),
        ("health", "extreme", "x", "severity 'extreme'"),
        ("health", "low", " ", "who raised it"),
    ],
)
def test_bad_alerts_are_refused(category: str, severity: str, by: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        WelfareAlert.raise_alert(JEANNE, TOURS, category, severity, "note", by)
