"""The catalogue of sensor models the van carries: baud rates, codec, setup and poll commands.

A *model* is one protocol on one kind of channel (``gps``, ``imu``, ``pm``, ``modem``,
``thermal``, ``probe``). The port reader (``drivers.channel``) configures a sensor with
``setup``, polls it with ``poll`` every ``poll_period_s`` and decodes with ``codec()``; the
detector (``drivers.detect``) listens at ``bauds`` and sends only ``queries``.

No command here changes a device's saved configuration: no WitMotion save or rate change,
no SDS011 reporting-mode or working-period change (both are stored in the sensor), no u-blox
CFG-CFG save or port (baud) change, no baud change. PMS5003 active mode, GY-MCU90640
continuous output, SPS30 start of measurement, the u-blox CFG-MSG that turns NAV-PVT output
on (kept in the receiver's RAM only) and the modem's ``ATE0`` only last until the sensor is
powered off.

An SDS011 is read in whichever reporting mode it was left: in active mode (the factory
default) it sends a reading a second and is never asked; in query mode it stays silent, so
the reader asks it ("query data", read-only) once it has been silent for
``poll_when_silent_s``. An SPS30 is started, then asked for its values once a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.codecs import at_modem, modbus, pms5003, sds011, sps30, thermal
from drivers.codecs.codec import Codec
from drivers.codecs.nmea import NmeaCodec
from drivers.codecs.ubx import NAV_PVT, UbxCodec, cfg_msg
from drivers.codecs.witmotion import WitCodec

CHANNEL_KINDS = ("gps", "imu", "pm", "modem", "thermal", "probe")
"""What a channel carries (the same names as ``domain.sensing.sensor_session.SENSOR_KINDS``)."""

DEFAULT_POLL_PERIOD_S = 5.0
"""How often polled sensors (modem, Modbus probe) are asked unless told otherwise."""


def _probe_codec() -> modbus.ModbusCodec:
    """The probe is only ever asked for two registers: longer byte counts are false syncs."""
    return modbus.ModbusCodec(max_registers=2)


def _always(_: object) -> bool:
    return True


@dataclass(frozen=True)
class SensorModel:
    """How to talk to one model of sensor."""

    name: str
    """Short id used on the command line (``pms5003``, ``at``...)."""
    channel: str
    """The channel kind it serves (``pm``...)."""
    label: str
    bauds: tuple[int, ...]
    """Usual baud rates, most likely first (the first is the default for recording)."""
    codec: Callable[[], Codec[Any]]
    setup: tuple[bytes, ...] = ()
    """Sent after each (re)connection: volatile settings only."""
    poll: tuple[bytes, ...] = ()
    """Sent every ``poll_period_s`` (one at a time, each after the previous reply)."""
    replies: bool = False
    """Whether each setup or poll command gets a reply to wait for (``final`` ends it)."""
    final: Callable[[object], bool] = _always
    """Whether a decoded frame ends the reply to a command."""
    streams: bool = True
    """Whether it sends frames without being asked (passive detection can find it)."""
    queries: tuple[bytes, ...] = ()
    """Read-only queries the detector may send when nothing streams."""
    proves: Callable[[object], bool] = _always
    """Whether a decoded frame is evidence of this model (detection)."""
    ring_size: int = 512
    """Frames kept in the live ring buffer for displays."""
    min_frames: int = 3
    """Frames the detector needs to be sure of a streaming model (fewer for slow ones)."""
    poll_period_s: float | None = None
    """Its own polling period (a particulate sensor measures once a second); None: the
    recorder's (``--poll-every``)."""
    poll_when_silent_s: float | None = None
    """Poll only after this long without a frame (a sensor that may stream or wait to be
    asked); None: poll every period."""


def _is(*types: type) -> Callable[[object], bool]:
    return lambda frame: isinstance(frame, types)


_AT_FINAL = _is(at_modem.Ok, at_modem.Error, at_modem.CmeError)
_AT_PROOF = _is(
    at_modem.Ok, at_modem.Error, at_modem.CmeError, at_modem.Csq, at_modem.Cesq, at_modem.Cops
)

MODELS: dict[str, SensorModel] = {
    m.name: m
    for m in (
        SensorModel(
            "nmea", "gps", "GNSS receiver, NMEA 0183", (9600, 115200, 38400), NmeaCodec,
            ring_size=64,
        ),
        SensorModel(
            "ubx", "gps", "u-blox GNSS receiver, UBX binary", (9600, 115200, 38400), UbxCodec,
            setup=(cfg_msg(*NAV_PVT, 1),), ring_size=64,
        ),
        SensorModel(
            "witmotion", "imu", "WitMotion IMU (WT901 / JY901)", (9600, 115200), WitCodec,
            ring_size=1536,
        ),
        SensorModel(
            "pms5003", "pm", "Plantower PMS5003 particulate sensor", (9600,), pms5003.PmsCodec,
            setup=(pms5003.active_mode(),), ring_size=32, min_frames=2,
            proves=_is(pms5003.PmsReading),
        ),
        SensorModel(
            "sds011", "pm", "Nova SDS011 particulate sensor", (9600,), sds011.SdsCodec,
            poll=(sds011.query_data(),), queries=(sds011.query_data(),), ring_size=32,
            min_frames=2, poll_period_s=1.0, poll_when_silent_s=1.5,
            proves=_is(sds011.SdsReading, sds011.SdsReply),
        ),
        SensorModel(
            "sps30", "pm", "Sensirion SPS30 particulate sensor (SHDLC)", (115200,),
            sps30.Sps30Codec, setup=(sps30.start_measurement(),), poll=(sps30.read_values(),),
            replies=True, streams=False, queries=(sps30.device_information(),), ring_size=32,
            poll_period_s=1.0,
        ),
        SensorModel(
            "at", "modem", "cellular modem (AT commands)", (115200, 9600), at_modem.AtCodec,
            setup=(at_modem.echo_off(),),
            poll=(at_modem.cesq(), at_modem.qeng_servingcell(), at_modem.cops()),
            replies=True, final=_AT_FINAL, streams=False, queries=(at_modem.command(""),),
            proves=_AT_PROOF, ring_size=64,
        ),
        SensorModel(
            "mcu90640", "thermal", "GY-MCU90640 thermal camera (32×24)", (115200, 460800, 9600),
            thermal.ThermalCodec, setup=(thermal.continuous_output(),), ring_size=4,
        ),
        SensorModel(
            "modbus", "probe", "Modbus RTU temperature probe (XY-MD02 class)", (9600, 19200, 4800),
            _probe_codec, poll=(modbus.read_probe(),), replies=True, streams=False,
            queries=(modbus.read_probe(),),
            proves=_is(modbus.ProbeReading, modbus.Registers, modbus.ModbusException),
            ring_size=32,
        ),
    )
}  # fmt: skip

DEFAULT_MODEL: dict[str, str] = {
    "gps": "nmea",
    "imu": "witmotion",
    "pm": "pms5003",
    "modem": "at",
    "thermal": "mcu90640",
    "probe": "modbus",
}
"""The model a channel is read with when none is named."""

DETECTION_BAUDS = (9600, 115200, 460800, 38400)
"""Baud rates the detector tries, in order (the most common first)."""


def model(name: str) -> SensorModel:
    """The model named ``name``, or a ``KeyError`` listing the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown sensor model {name!r}: one of {', '.join(MODELS)}") from None


def default_model(channel: str) -> SensorModel:
    """The model a channel kind is read with by default."""
    if channel not in DEFAULT_MODEL:
        raise KeyError(f"unknown channel kind {channel!r}: one of {', '.join(CHANNEL_KINDS)}")
    return MODELS[DEFAULT_MODEL[channel]]
