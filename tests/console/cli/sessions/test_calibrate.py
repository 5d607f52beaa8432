"""Roughness without a speed bias, and ``maillage sessions calibrate`` on reference sections."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from console.cli import main
from console.decoding.journal import write_field_journal
from console.decoding.process import process_session
from domain.application import Maillage
from domain.sensing import service
from domain.sensing.calibration import fit_speed_exponent
from domain.sensing.processing import Parameters, butter_highpass_sos
from domain.store import StoreLocation
from drivers.simulator.scenario import PROFILE_DX_M, Scenario, build_field
from ext.roughness import accel_roughness, iri_segments_m_per_km
from tests.console.decoding.test_geo_pipeline import _stopped_session


def cruise_response(speed_mps: float, alpha: float) -> tuple[float, float]:
    """(median index, median RMS) per 100 m at a constant speed over one ISO class B road."""
    s = Scenario(seed=4, cruise_mps=speed_mps, stops=(), roughness=((0.0, 64e-6),), potholes=())
    f = build_field(s)
    r = accel_roughness(f.accel_g[:, 2], f.distance_m, f.speed_mps,
                        butter_highpass_sos(4, 0.5, 100.0), 100.0, None, alpha, 3.0)  # fmt: skip
    full = r.count > 500
    return float(np.median(r.index[full])), float(np.median(r.rms_mps2[full]))


def test_the_roughness_index_does_not_depend_on_speed() -> None:
    alpha = Parameters().roughness_alpha
    at = {v: cruise_response(v, alpha) for v in (5.0, 9.0, 14.0)}
    for v in (5.0, 14.0):
        assert at[v][0] == pytest.approx(at[9.0][0], rel=0.08)  # was +28 % / −20 % with alpha 1
    fitted, r2 = fit_speed_exponent(list(at), [rms for _, rms in at.values()])
    assert fitted == pytest.approx(alpha, abs=0.05) and r2 > 0.95


def test_calibrate_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.sqlite"
    field = build_field(Scenario(seed=7, potholes=(), roughness=((0.0, 16e-6), (1500.0, 256e-6),
                                                                 (3000.0, 64e-6))))  # fmt: skip
    journal = tmp_path / "van.journal"
    chunks = write_field_journal(field, journal)
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        sid = service.find_session(app, _stopped_session(store, journal, chunks))
        service.stop_session(app, sid, {"gps": {"frames": 1}})
        process_session(app, sid, journal, "tech")
    finally:
        app.close()
    iri, _ = iri_segments_m_per_km(field.road_m, PROFILE_DX_M, 100.0)
    lines = ["from_m,to_m,iri_m_per_km"]
    lines += [f"{k * 100},{k * 100 + 100},{iri[k]:.3f}" for k in range(2, 40, 3)]
    ref = tmp_path / "reference.csv"
    ref.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["sessions", "calibrate", str(sid)[:8], "--reference", str(ref), "--json",
                 "--store", str(store)]) == 0  # fmt: skip
    fit = json.loads(capsys.readouterr().out)
    assert fit["sections"] == len(lines) - 1 and fit["r2"] > 0.9
    assert fit["iri_per_index"] == pytest.approx(Parameters().iri_per_index, rel=0.2)
    bad = tmp_path / "bad.csv"
    bad.write_text("from_m,to_m,iri_m_per_km\n0,100,high\n")
    assert main(["sessions", "calibrate", str(sid)[:8], "--reference", str(bad),
                 "--store", str(store)]) == 2  # fmt: skip
    assert "bad.csv line 2: not a number" in capsys.readouterr().err
