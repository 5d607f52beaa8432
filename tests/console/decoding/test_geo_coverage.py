"""The simulated weak coverage zone is found by street in every run (it was missed in 3 runs
of 4 by 500 m districts, where it is 22 % of its district)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.decoding.journal import decode_journal, write_field_journal
from domain.sensing.combine import SessionResults, combine
from domain.sensing.processing import process
from domain.sensing.recommendations import Context, recommend
from drivers.simulator.scenario import Scenario, build_field
from drivers.simulator.town import EXTRACT
from tests.conftest import network_of


@pytest.mark.parametrize("seed", [12, 13, 14, 15])
def test_the_weak_zone_is_recommended_on_its_street(seed: int, tmp_path: Path) -> None:
    net = network_of(EXTRACT)
    path = tmp_path / "van.journal"
    write_field_journal(build_field(Scenario(seed=seed)), path)
    obs, _ = decode_journal(path)
    results = process(obs, network=net, network_sha256="0" * 64)
    places = combine([SessionResults("s", 0.0, results)])
    recs = [r for r in recommend(places, Context()) if r.rule == "poor_coverage"]
    assert recs, "the weak coverage zone was not recommended"
    assert {r.street for r in recs} <= {"Rue Chanoineau", "Boulevard Béranger"}
    assert "Rue Chanoineau" in {r.street for r in recs}  # the zone's centre is on it
