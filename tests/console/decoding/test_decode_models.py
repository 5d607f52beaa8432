"""A session recorded with a u-blox UBX GPS, an SDS011 or an SPS30 decodes to the fixes and
levels of the scenario's ground truth, and to those of the same run recorded with the default
models (NMEA, PMS5003) within each encoding's resolution; the model is recognised from the
channel's bytes or named by the caller; 'maillage sessions process' finds the hotspot in a
UBX + SDS011 session where the default models find it."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pytest

from console.cli import main
from console.decoding.journal import decode_journal, write_field_journal
from console.identity import assumed
from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.sensing import service
from domain.sensing.processing import Observations, process, summary
from domain.store import StoreLocation
from drivers.journal import ChunkInfo
from drivers.simulator import streams
from drivers.simulator.scenario import Field, Scenario, build_field

RECORD_S = 0.1
"""How often the simulated recorder writes a GPS record (``write_field_journal``'s default)."""
NMEA_HALF_STEP_DEG = 0.5e-4 / 60
"""NMEA positions carry 1e-4 minute: half a step in degrees."""
UBX_HALF_STEP_DEG = 0.5e-7
"""NAV-PVT positions carry 1e-7°."""
KNOT_MPS = 0.514444


@pytest.fixture(scope="module")
def field() -> Field:
    return build_field(Scenario())


def with_models(f: Field, gps: str, pm: str) -> Field:
    """The same run (same ground truth) with the GPS and particulate sensor of these models."""
    return dataclasses.replace(
        f, scenario=dataclasses.replace(f.scenario, gps_model=gps, pm_model=pm)
    )


@pytest.fixture(scope="module")
def journals(
    field: Field, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], tuple[Path, list[ChunkInfo]]]:
    """One journal of the run per (GPS model, PM model)."""
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for gps, pm in (
        ("nmea", "pms5003"),
        ("ubx", "pms5003"),
        ("nmea", "sds011"),
        ("nmea", "sps30"),
        ("ubx", "sds011"),
    ):
        path = folder / f"{gps}-{pm}.journal"
        out[gps, pm] = path, write_field_journal(with_models(field, gps, pm), path)
    return out


@pytest.fixture(scope="module")
def decoded(
    journals: dict[tuple[str, str], tuple[Path, list[ChunkInfo]]],
) -> dict[tuple[str, str], Observations]:
    return {models: decode_journal(path)[0] for models, (path, _) in journals.items()}


def pm_truth(f: Field) -> np.ndarray:
    """(PM2.5, PM10) µg/m³ of each second's measurement."""
    return np.array([streams.pm_levels(f, i)[1:] for i in streams.pm_seconds(f)])


# ---------------------------------------------------------------------- GPS


def test_ubx_fixes_are_the_truth_and_the_nmea_fixes(
    decoded: dict[tuple[str, str], Observations], field: Field
) -> None:
    u, n = decoded["ubx", "pms5003"], decoded["nmea", "pms5003"]
    step = round(field.scenario.imu_hz / field.scenario.gps_hz)
    truth = slice(0, len(field.time_s), step)
    epochs = len(field.time_s[truth])
    assert len(u.gps_t_s) == epochs and abs(len(u.gps_t_s) - len(n.gps_t_s)) <= 1
    k = min(len(u.gps_t_s), len(n.gps_t_s))
    assert np.abs(u.gps_lat_deg - field.lat_deg[truth]).max() <= UBX_HALF_STEP_DEG + 1e-12
    assert np.abs(u.gps_lon_deg - field.lon_deg[truth]).max() <= UBX_HALF_STEP_DEG + 1e-12
    assert np.abs(u.gps_speed_mps - field.speed_mps[truth]).max() <= 0.0005
    half_steps = NMEA_HALF_STEP_DEG + UBX_HALF_STEP_DEG + 1e-12
    assert np.abs(u.gps_lat_deg[:k] - n.gps_lat_deg[:k]).max() <= half_steps
    assert np.abs(u.gps_lon_deg[:k] - n.gps_lon_deg[:k]).max() <= half_steps
    assert np.abs(u.gps_speed_mps[:k] - n.gps_speed_mps[:k]).max() <= 0.005 * KNOT_MPS + 0.0005
    # A NAV-PVT fix is timed at the end of its record: when the recorder wrote it, at most a
    # record after the solution (two solutions may share a record) and never before the NMEA
    # decoding's time, which is interpolated inside the same record.
    late = u.gps_t_s - field.time_s[truth]
    assert late.min() >= -1e-9 and late.max() <= RECORD_S + 1e-6
    after_nmea = u.gps_t_s[:k] - n.gps_t_s[:k]
    assert after_nmea.min() >= -1e-9 and after_nmea.max() <= 2 * RECORD_S + 1e-6
    assert np.all(np.diff(u.gps_t_s) >= 0)


# ---------------------------------------------------------------------- particulates


def test_sds011_levels_are_the_truth_and_the_pms5003_levels(
    decoded: dict[tuple[str, str], Observations], field: Field
) -> None:
    s, p = decoded["nmea", "sds011"], decoded["nmea", "pms5003"]
    truth = pm_truth(field)
    assert len(s.pm_t_s) == len(p.pm_t_s) == len(truth)
    np.testing.assert_allclose(s.pm_t_s, p.pm_t_s, rtol=0, atol=1e-9)  # one frame a record
    np.testing.assert_allclose(s.pm_t_s, np.arange(len(truth)), rtol=0, atol=1e-6)
    assert np.abs(s.pm25_ugm3 - truth[:, 0]).max() <= 0.05 + 1e-9  # 0.1 µg/m³
    assert np.abs(s.pm10_ugm3 - truth[:, 1]).max() <= 0.05 + 1e-9
    assert np.abs(s.pm25_ugm3 - p.pm25_ugm3).max() <= 0.5 + 0.05 + 1e-9  # PMS5003: whole µg/m³
    assert np.abs(s.pm10_ugm3 - p.pm10_ugm3).max() <= 0.5 + 0.05 + 1e-9


def test_sps30_levels_are_the_truth_and_the_pms5003_levels(
    decoded: dict[tuple[str, str], Observations], field: Field
) -> None:
    s, p = decoded["nmea", "sps30"], decoded["nmea", "pms5003"]
    truth = pm_truth(field)
    # Started at 0 s and read each second from the first: every measurement but the first.
    assert len(s.pm_t_s) == len(p.pm_t_s) - 1 == len(truth) - 1
    np.testing.assert_allclose(s.pm_t_s, p.pm_t_s[1:], rtol=0, atol=1e-9)
    assert np.array_equal(s.pm25_ugm3, truth[1:, 0].astype(np.float32))  # float32 on the wire
    assert np.array_equal(s.pm10_ugm3, truth[1:, 1].astype(np.float32))
    assert np.abs(s.pm25_ugm3 - p.pm25_ugm3[1:]).max() <= 0.5 + 1e-5
    assert np.abs(s.pm10_ugm3 - p.pm10_ugm3[1:]).max() <= 0.5 + 1e-5


def test_other_channels_decode_as_with_the_default_models(
    decoded: dict[tuple[str, str], Observations],
) -> None:
    mixed, default = decoded["ubx", "sds011"], decoded["nmea", "pms5003"]
    for name in ("imu_t_s", "imu_az_g", "thermal_t_s", "rsrp_dbm", "modem_t_s"):
        assert np.array_equal(getattr(mixed, name), getattr(default, name)), name
    assert len(mixed.gps_t_s) and len(mixed.pm_t_s)


# ---------------------------------------------------------------------- the model named


def test_a_model_named_by_the_caller_is_the_one_decoded(
    journals: dict[tuple[str, str], tuple[Path, list[ChunkInfo]]],
    decoded: dict[tuple[str, str], Observations],
) -> None:
    path = journals["ubx", "sds011"][0]
    named, _ = decode_journal(path, {"gps": "ubx", "pm": "sds011"})
    recognised = decoded["ubx", "sds011"]
    for name in ("gps_t_s", "gps_lat_deg", "gps_lon_deg", "pm_t_s", "pm25_ugm3", "pm10_ugm3"):
        assert np.array_equal(getattr(named, name), getattr(recognised, name)), name
    wrong, _ = decode_journal(path, {"gps": "nmea", "pm": "pms5003"})
    assert len(wrong.gps_t_s) == 0 and len(wrong.pm_t_s) == 0  # the name is trusted
    for models, why in (
        ({"gps": "sds011"}, "'sds011' is not a model of the 'gps' channel"),
        ({"pm": "bme680"}, "'bme680' is not a model of the 'pm' channel"),
    ):
        with pytest.raises(InvalidInputError, match=why):
            decode_journal(path, models)


# ---------------------------------------------------------------------- the command line


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians(lat1))
    return 6_371_008.8 * math.radians(math.hypot(lat2 - lat1, (lon2 - lon1) * k))


def _values(col: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in col], dtype=float)


def _stopped_session(store: Path, journal: Path, chunks: list[ChunkInfo]) -> UUID:
    app = Maillage(StoreLocation.parse(str(store)))
    channels = {n: (n, f"/dev/sim/{n}") for n in ("gps", "imu", "pm", "modem", "thermal")}
    s = service.start_session(app, "van-1", channels, journal.name, by="tech")
    for c in chunks:
        first = datetime.fromtimestamp(c.first_utc_ns / 1e9, UTC)
        last = datetime.fromtimestamp(c.last_utc_ns / 1e9, UTC)
        service.record_chunk(app, s.id, c.seq, c.sha256, c.records, c.start, c.end, first, last)
    service.stop_session(app, s.id, {"gps": {"frames": 1}})
    app.close()
    return s.id


def _hotspot_segment(results: dict[str, Any], f: Field) -> int:
    """The segment of the highest PM2.5, checked to be at the scenario's hotspot."""
    segs = results["segments"]
    mid_lat = (_values(segs["lat0"]) + _values(segs["lat1"])) / 2
    mid_lon = (_values(segs["lon0"]) + _values(segs["lon1"])) / 2
    hot = f.truth["hotspot"]
    top = int(np.nanargmax(_values(segs["pm25_ugm3"])))
    assert _dist_m(mid_lat[top], mid_lon[top], hot["lat_deg"], hot["lon_deg"]) < hot["radius_m"] / 2
    assert segs["air_class"][top] >= 3  # poor air at the hotspot
    return top


def test_sessions_process_finds_the_hotspot_of_a_ubx_and_sds011_session(
    journals: dict[tuple[str, str], tuple[Path, list[ChunkInfo]]],
    decoded: dict[tuple[str, str], Observations],
    field: Field,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "store.sqlite"
    path, chunks = journals["ubx", "sds011"]
    sid = _stopped_session(store, path, chunks)
    argv = ["sessions", "process", str(sid), "--journal", str(path), "--json"]
    with assumed("tech"):
        assert main([*argv, "--store", str(store)]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    assert out["recorded"] is True
    results = json.loads(Path(out["results_file"]).read_text())
    default = process(decoded["nmea", "pms5003"])
    _hotspot_segment(default, field)
    top = _hotspot_segment(results, field)
    ours, theirs = out["summary"], summary(default)
    assert ours["pm25_max_ugm3"] == results["segments"]["pm25_ugm3"][top]
    assert abs(ours["pm25_max_ugm3"] - theirs["pm25_max_ugm3"]) <= 0.5 + 0.05
    assert ours["potholes"] == theirs["potholes"]
    # NAV-PVT's 1e-7° keeps the track's length within a metre or two of the route driven;
    # NMEA's 1e-4 minute steps zigzag a little longer.
    driven_m = float(field.distance_m[-1])
    assert abs(ours["length_m"] - driven_m) <= 2.0 < theirs["length_m"] - driven_m
