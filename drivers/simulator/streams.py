"""The bytes each simulated sensor sends, from a scenario's field, built with the codecs' encoders.

Streaming sensors (NMEA GPS, IMU, PMS5003, thermal camera) are generators of
``(time s, bytes)`` in time order. The others are ``Responder``s: given the
request bytes received and the time, the reply; some also talk unasked
(``emit``): the u-blox receiver streams NAV-PVT and acknowledges configuration,
the SDS011 streams in active mode and answers queries. The modem, the Modbus
probe and the SPS30 only answer.

Every model of a channel encodes the same ground truth: the NMEA and UBX
receivers the same positions, speeds and headings at the GPS rate; the PMS5003,
SDS011 and SPS30 the same PM2.5 and PM10 (``pm_levels``) once a second, each at
its own resolution (1, 0.1 µg/m³ and float32).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np

from drivers.codecs import modbus, pms5003, sds011, sps30, thermal, ubx, witmotion
from drivers.codecs.nmea import encode_sentence
from drivers.simulator.scenario import Field

START_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""When simulated runs start (GNSS time in the sentences)."""
KNOTS_PER_MPS = 1.0 / 0.514444
OPERATOR = ("208", "01", "Orange F")
"""MCC, MNC and name of the simulated network."""

TimedBytes = tuple[float, bytes]

GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)
GPS_LEAP_S = 18
"""GPS time is ahead of UTC by the leap seconds since 1980 (18 since 2017)."""
WEEK_MS = 7 * 86_400_000
GPS_HEIGHT_M = 52.0
GPS_SATELLITES = 9
SDS011_ID = 0x1234
SDS011_FIRMWARE = (18, 11, 16)
"""Firmware date (yy, mm, dd) the simulated SDS011 reports."""


def _nmea_angle(value_deg: float, lon: bool) -> tuple[str, str]:
    hemisphere = ("E" if value_deg >= 0 else "W") if lon else ("N" if value_deg >= 0 else "S")
    value = abs(value_deg)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return (f"{degrees:03d}{minutes:07.4f}" if lon else f"{degrees:02d}{minutes:07.4f}"), hemisphere


def gps_epochs(
    f: Field, start: datetime = START_UTC
) -> Iterator[tuple[int, float, datetime, float]]:
    """(sample index, time s, UTC moment, heading °) of each GPS solution, at the GPS rate."""
    step = round(f.scenario.imu_hz / f.scenario.gps_hz)
    headings = f.track.heading_deg(f.distance_m[::step])
    for k, i in enumerate(range(0, len(f.time_s), step)):
        t = float(f.time_s[i])
        yield i, t, start + timedelta(seconds=t), float(headings[k])


def gps_stream(f: Field, start: datetime = START_UTC) -> Iterator[TimedBytes]:
    """GGA and RMC sentences (talker GN) at the scenario's GPS rate."""
    for i, t, moment, heading in gps_epochs(f, start):
        hhmmss = moment.strftime("%H%M%S") + f".{moment.microsecond // 10_000:02d}"
        lat, ns = _nmea_angle(float(f.lat_deg[i]), lon=False)
        lon, ew = _nmea_angle(float(f.lon_deg[i]), lon=True)
        knots = float(f.speed_mps[i]) * KNOTS_PER_MPS
        gga = encode_sentence(f"GNGGA,{hhmmss},{lat},{ns},{lon},{ew},1,09,0.9,52.0,M,47.3,M,,")
        rmc = encode_sentence(
            f"GNRMC,{hhmmss},A,{lat},{ns},{lon},{ew},{knots:.2f},{heading:.1f},{moment:%d%m%y},,,A"
        )
        yield t, gga + rmc


def nav_pvt(f: Field, i: int, moment: datetime, heading_deg: float) -> bytes:
    """The UBX NAV-PVT frame of the solution at sample ``i`` (3D fix, GPS time of week)."""
    gps_ms = round(((moment - GPS_EPOCH).total_seconds() + GPS_LEAP_S) * 1000)
    return ubx.encode_nav_pvt(
        itow_ms=gps_ms % WEEK_MS,
        utc=moment,
        fix_type=3,
        fix_ok=True,
        num_sv=GPS_SATELLITES,
        lat_deg=float(f.lat_deg[i]),
        lon_deg=float(f.lon_deg[i]),
        height_m=GPS_HEIGHT_M,
        h_acc_m=1.2,
        speed_mps=float(f.speed_mps[i]),
        heading_deg=heading_deg,
        pdop=1.6,
    )


def ubx_stream(f: Field, start: datetime = START_UTC) -> Iterator[TimedBytes]:
    """NAV-PVT frames at the scenario's GPS rate (a receiver set to output UBX)."""
    for i, t, moment, heading in gps_epochs(f, start):
        yield t, nav_pvt(f, i, moment, heading)


def _int16(value: float) -> int:
    return max(-32768, min(32767, round(value)))


def imu_stream(f: Field) -> Iterator[TimedBytes]:
    """WitMotion acceleration, angular-rate and angle frames at the IMU rate."""
    for i in range(len(f.time_s)):
        ax, ay, az = (float(v) for v in f.accel_g[i])
        accel = witmotion.encode_frame(
            0x51, (_int16(ax / 16 * 32768), _int16(ay / 16 * 32768), _int16(az / 16 * 32768), 2150)
        )
        rate = witmotion.encode_frame(0x52, (0, 0, 0, 2150))
        angle = witmotion.encode_frame(0x53, (0, 0, 0, 0))
        yield float(f.time_s[i]), accel + rate + angle


def pm_levels(f: Field, i: int) -> tuple[float, float, float]:
    """(PM1.0, PM2.5, PM10) µg/m³ at sample ``i``: what every particulate model encodes."""
    pm25 = f.pm25_ugm3(i)
    return pm25 * 0.7, pm25, pm25 * 1.6


def pm_seconds(f: Field) -> range:
    """Sample indexes of the particulate measurements: one a second from the start."""
    return range(0, len(f.time_s), int(f.scenario.imu_hz))


def pm_stream(f: Field) -> Iterator[TimedBytes]:
    """PMS5003 frames once a second (active mode), PM10 ≈ 1.6 × PM2.5."""
    for i in pm_seconds(f):
        values = pm_levels(f, i)
        pm25 = values[1]
        counts = (int(pm25 * 110), int(pm25 * 32), int(pm25 * 6), int(pm25), int(pm25 / 4), 0)
        reading = pms5003.PmsReading(
            *(round(v) for v in values), *(round(v) for v in values), *counts
        )
        yield float(f.time_s[i]), pms5003.encode_reading(reading)


def sds011_stream(f: Field) -> Iterator[TimedBytes]:
    """SDS011 data frames once a second, as the sensor sends them in active mode."""
    for i in pm_seconds(f):
        _, pm25, pm10 = pm_levels(f, i)
        yield float(f.time_s[i]), sds011.encode_reading(pm25, pm10, SDS011_ID)


def thermal_stream(f: Field, rate_hz: float = 2.0) -> Iterator[TimedBytes]:
    """GY-MCU90640 frames: the façade on one half of the image, sky in the top rows."""
    step = int(f.scenario.imu_hz / rate_hz)
    ambient = f.scenario.ambient_c
    rows = np.arange(24)[:, None]
    for i in range(0, len(f.time_s), step):
        side, delta = f.facade_delta_c(i)
        image = np.full((24, 32), ambient + 0.5)
        facade = slice(16, 32) if side == 1 else slice(0, 16)
        image[:, facade] = ambient + delta
        image[rows[:, 0] < 5, :] = ambient - 8.0  # the sky is cold
        yield float(f.time_s[i]), thermal.encode_frame(image, ambient)


# ---------------------------------------------------------------------- sensors that listen


class Responder:
    """A sensor that answers what it is sent and may also talk unasked.

    The simulator calls ``emit(t)`` as scenario time passes (what the sensor says
    on its own by then), ``reply(received, t)`` with the bytes the driver wrote,
    and ``power_cycle()`` when the cable is pulled (volatile settings are lost).
    """

    def reply(self, received: bytes, t_s: float) -> bytes:
        """The bytes sent back for ``received`` at scenario time ``t_s``."""
        return b""

    def emit(self, t_s: float) -> bytes:
        """What the sensor sends unasked up to ``t_s`` (nothing by default)."""
        return b""

    def next_emit_s(self) -> float | None:
        """When it next talks unasked (None: it never will again)."""
        return None

    def power_cycle(self) -> None:
        """Back to the state after power-on: what the sensor keeps in flash stays."""


class _Due:
    """Timed bytes handed out in order as scenario time passes them."""

    def __init__(self, items: Iterator[TimedBytes]) -> None:
        self._items = items
        self._next = next(items, None)

    def take(self, t_s: float) -> bytes:
        out = b""
        while self._next is not None and self._next[0] <= t_s:
            out += self._next[1]
            self._next = next(self._items, None)
        return out

    @property
    def next_s(self) -> float | None:
        return None if self._next is None else self._next[0]


class ModemResponder(Responder):
    """Answers AT commands like an LTE modem at the van's position (echo on until ATE0)."""

    def __init__(self, f: Field) -> None:
        self.field = f
        self.echo = True
        self.pending = b""

    def reply(self, received: bytes, t_s: float) -> bytes:
        self.pending += received
        out = b""
        while b"\r" in self.pending:
            line, _, self.pending = self.pending.partition(b"\r")
            command = line.strip(b"\n ").decode("ascii", "replace")
            if not command:
                continue
            if self.echo:
                out += command.encode() + b"\r\r\n"
            out += self._answer(command.upper(), t_s)
        return out

    def _answer(self, command: str, t_s: float) -> bytes:
        i = self.field.at(t_s)
        rsrp = self.field.rsrp_dbm(i)
        rsrq = -9.0 if rsrp > -100 else -14.5
        mcc, mnc, name = OPERATOR
        if command == "ATE0":
            self.echo = False
            return b"\r\nOK\r\n"
        if command in ("AT", "ATE1"):
            self.echo = self.echo or command == "ATE1"
            return b"\r\nOK\r\n"
        if command == "AT+CSQ":
            rssi = max(0, min(31, round((rsrp + 30 + 113) / 2)))
            return f"\r\n+CSQ: {rssi},99\r\n\r\nOK\r\n".encode()
        if command == "AT+CESQ":
            index_rsrp = max(0, min(97, round(rsrp + 141)))
            index_rsrq = max(0, min(34, round((rsrq + 20) * 2)))
            return f"\r\n+CESQ: 99,99,255,255,{index_rsrq},{index_rsrp}\r\n\r\nOK\r\n".encode()
        if command == "AT+COPS?":
            return f'\r\n+COPS: 0,0,"{name}",7\r\n\r\nOK\r\n'.encode()
        if command in ("AT+CEREG?", "AT+CREG?"):
            return f"\r\n+{command[3:-1]}: 0,1\r\n\r\nOK\r\n".encode()
        if command == 'AT+QENG="SERVINGCELL"':
            sinr = max(-20, min(30, round((rsrp + 110) / 2)))
            rssi = round(rsrp + 20)
            return (
                f'\r\n+QENG: "servingcell","NOCONN","LTE","FDD",{mcc},{mnc},1A2D001,101,'
                f"6300,20,5,5,8A4B,{round(rsrp)},{round(rsrq)},{rssi},{sinr},-\r\n\r\nOK\r\n"
            ).encode()
        return b"\r\nERROR\r\n"


class ProbeResponder(Responder):
    """Answers Modbus RTU "read input registers" for the meal box probe at address 1."""

    def __init__(self, f: Field, address: int = 1) -> None:
        self.field = f
        self.address = address
        self.pending = b""

    def reply(self, received: bytes, t_s: float) -> bytes:
        self.pending = (self.pending + received)[-64:]
        out = b""
        while len(self.pending) >= 8:
            request = self.pending[:8]
            if modbus.crc16(request[:6]) != int.from_bytes(request[6:8], "little"):
                self.pending = self.pending[1:]
                continue
            self.pending = self.pending[8:]
            if request[0] != self.address:
                continue  # another slave's request: stay silent, as on a real bus
            if request[1] != 0x04:
                out += modbus.encode_exception(self.address, request[1], 0x01)
                continue
            temperature = self.field.box_c(t_s)
            out += modbus.encode_reading(self.address, temperature, 55.0 + math.sin(t_s / 60))
        return out


class UbxReceiver(Responder):
    """A u-blox receiver set to output NAV-PVT: streams it, acknowledges every configuration
    message (CFG-…) with ACK-ACK, answers a NAV-PVT poll with the current solution."""

    def __init__(self, f: Field, start: datetime = START_UTC) -> None:
        self.field = f
        self.start = start
        self._due = _Due(ubx_stream(f, start))
        self.pending = b""
        self.configured: list[tuple[int, int, bytes]] = []
        """(class, id, payload) of each configuration message received."""

    def emit(self, t_s: float) -> bytes:
        return self._due.take(t_s)

    def next_emit_s(self) -> float | None:
        return self._due.next_s

    def reply(self, received: bytes, t_s: float) -> bytes:
        self.pending = (self.pending + received)[-4096:]
        out = b""
        while True:
            start = self.pending.find(ubx.SYNC)
            if start < 0:
                self.pending = self.pending[-1:] if self.pending.endswith(b"\xb5") else b""
                return out
            self.pending = self.pending[start:]
            if len(self.pending) < 8:
                return out
            msg_class, msg_id, length = struct.unpack_from("<BBH", self.pending, 2)
            if length > ubx.MAX_PAYLOAD:
                self.pending = self.pending[1:]
                continue
            if len(self.pending) < 8 + length:
                return out
            body, check = self.pending[2 : 6 + length], self.pending[6 + length : 8 + length]
            if bytes(ubx.fletcher(body)) != check:
                self.pending = self.pending[1:]
                continue
            self.pending = self.pending[8 + length :]
            payload = body[4:]
            if msg_class == ubx.CFG:
                self.configured.append((msg_class, msg_id, payload))
                out += ubx.encode(*ubx.ACK_ACK, bytes((msg_class, msg_id)))
            elif (msg_class, msg_id) == ubx.NAV_PVT and not payload:
                out += self._solution(t_s)

    def _solution(self, t_s: float) -> bytes:
        step = round(self.field.scenario.imu_hz / self.field.scenario.gps_hz)
        i = self.field.at(t_s) // step * step
        heading = float(self.field.track.heading_deg(self.field.distance_m[i : i + 1])[0])
        moment = self.start + timedelta(seconds=float(self.field.time_s[i]))
        return nav_pvt(self.field, i, moment, heading)


class Sds011Sensor(Responder):
    """A Nova SDS011: active mode (the factory default) streams a reading a second; query mode
    answers "query data". It answers every command of its protocol; the reporting mode and
    the working period are kept over a power cycle (the sensor stores them), sleep is not.
    """

    def __init__(self, f: Field, active: bool = True, device_id: int = SDS011_ID) -> None:
        self.field = f
        self.active = active
        self.working = True
        self.period_min = 0
        self.device_id = device_id
        self._due = _Due(sds011_stream(f))
        self.pending = b""
        self.commands: list[tuple[int, bool]] = []
        """(command, set) of every valid command received, in order."""

    def emit(self, t_s: float) -> bytes:
        data = self._due.take(t_s)  # taken in every mode: the measurements go on
        return data if self.active and self.working else b""

    def next_emit_s(self) -> float | None:
        return self._due.next_s

    def power_cycle(self) -> None:
        self.working = True

    def reply(self, received: bytes, t_s: float) -> bytes:
        self.pending = (self.pending + received)[-190:]
        out = b""
        while True:
            start = self.pending.find(bytes((sds011.HEAD, sds011.COMMAND)))
            if start < 0:
                self.pending = self.pending[-1:] if self.pending.endswith(b"\xaa") else b""
                return out
            self.pending = self.pending[start:]
            if len(self.pending) < 19:
                return out
            frame, data = self.pending[:19], self.pending[2:17]
            if frame[18] != sds011.TAIL or sum(data) & 0xFF != frame[17]:
                self.pending = self.pending[1:]
                continue
            self.pending = self.pending[19:]
            target = data[13] << 8 | data[14]
            if target not in (sds011.ANY_DEVICE, self.device_id):
                continue
            self.commands.append((data[0], bool(data[1])))
            out += self._answer(data[0], bool(data[1]), data[2], t_s)

    def _answer(self, cmd: int, setting: bool, value: int, t_s: float) -> bytes:
        if not self.working and not (cmd == sds011.CMD_SLEEP_WORK and setting):
            return b""  # asleep: only "work" wakes it
        if cmd == sds011.CMD_QUERY:
            i = self.field.at(math.floor(t_s))
            _, pm25, pm10 = pm_levels(self.field, i)
            return sds011.encode_reading(pm25, pm10, self.device_id)
        if cmd == sds011.CMD_REPORTING_MODE:
            if setting:
                self.active = value == 0
            return self._reply(cmd, setting, 0 if self.active else 1)
        if cmd == sds011.CMD_SLEEP_WORK:
            if setting:
                self.working = value == 1
            return self._reply(cmd, setting, 1 if self.working else 0)
        if cmd == sds011.CMD_PERIOD:
            if setting and value <= 30:
                self.period_min = value
            return self._reply(cmd, setting, self.period_min)
        if cmd == sds011.CMD_FIRMWARE:
            return sds011.encode_reply(cmd, bytes(SDS011_FIRMWARE), self.device_id)
        return b""

    def _reply(self, cmd: int, setting: bool, value: int) -> bytes:
        return sds011.encode_reply(cmd, bytes((int(setting), value, 0)), self.device_id)


SPS30_SERIAL = b"SIM30MAILLAGE001\x00"
SPS30_PRODUCT = b"00080000\x00"
SPS30_WRONG_LENGTH, SPS30_UNKNOWN, SPS30_ILLEGAL, SPS30_NOT_NOW = 0x01, 0x02, 0x04, 0x43
"""State bytes of the SPS30's error replies (datasheet: "not allowed in current state" 0x43)."""


def sps30_values(f: Field, i: int) -> tuple[float, ...]:
    """The ten SPS30 values at sample ``i``: masses (PM1.0, 2.5, 4.0, 10), numbers, size."""
    pm1, pm25, pm10 = pm_levels(f, i)
    return (pm1, pm25, pm25 * 1.3, pm10, pm25 * 6.0, pm25 * 7.0, pm25 * 7.2, pm25 * 7.25,
            pm25 * 7.26, 0.6)  # fmt: skip


class Sps30Sensor(Responder):
    """A Sensirion SPS30 on its UART (SHDLC): idle until "start measurement", then a new
    measurement every second, read with "read values" (an empty reply when none is new)."""

    def __init__(self, f: Field) -> None:
        self.field = f
        self.pending = b""
        self.measuring = False
        self.asleep = False
        self.output_format = sps30.FORMAT_FLOAT
        self._last_second = -1
        self.requests: list[int] = []
        """Command byte of every valid request received, in order."""

    def power_cycle(self) -> None:
        self.measuring = self.asleep = False

    def reply(self, received: bytes, t_s: float) -> bytes:
        self.pending = (self.pending + received)[-sps30.MAX_FRAME :]
        out = b""
        while True:
            start = self.pending.find(sps30.FLAG)
            if start < 0:
                self.pending = b""
                return out
            close = self.pending.find(sps30.FLAG, start + 1)
            if close < 0:
                self.pending = self.pending[start:]
                return out
            content = sps30.unstuff(self.pending[start + 1 : close])
            if content is None or len(content) < 4 or len(content) != 4 + content[2]:
                self.pending = self.pending[close:]  # that flag may open the next frame
                continue
            self.pending = self.pending[close + 1 :]
            if content[0] != 0 or ~sum(content[:-1]) & 0xFF != content[-1]:
                continue  # another address, or a bad checksum: no answer
            self.requests.append(content[1])
            out += self._answer(content[1], content[3:-1], t_s)

    def _answer(self, cmd: int, data: bytes, t_s: float) -> bytes:
        if self.asleep and cmd != sps30.CMD_WAKE:
            return b""  # its UART sleeps too
        if cmd == sps30.CMD_START:
            if len(data) != 2:
                return sps30.encode_reply(cmd, state=SPS30_WRONG_LENGTH)
            if data[0] != 0x01 or data[1] not in (sps30.FORMAT_FLOAT, sps30.FORMAT_UINT16):
                return sps30.encode_reply(cmd, state=SPS30_ILLEGAL)
            if self.measuring:
                return sps30.encode_reply(cmd, state=SPS30_NOT_NOW)
            self.measuring, self.output_format = True, data[1]
            self._last_second = math.floor(t_s)  # the first measurement is a second away
            return sps30.encode_reply(cmd)
        if cmd in (sps30.CMD_STOP, sps30.CMD_FAN_CLEANING, sps30.CMD_SLEEP):
            allowed = self.measuring if cmd != sps30.CMD_SLEEP else not self.measuring
            if not allowed:
                return sps30.encode_reply(cmd, state=SPS30_NOT_NOW)
            if cmd == sps30.CMD_STOP:
                self.measuring = False
            self.asleep = cmd == sps30.CMD_SLEEP
            return sps30.encode_reply(cmd)
        if cmd == sps30.CMD_WAKE:
            self.asleep = False
            return sps30.encode_reply(cmd)
        if cmd == sps30.CMD_READ:
            return self._read(t_s)
        if cmd == sps30.CMD_DEVICE_INFO:
            info = {0x00: SPS30_PRODUCT, 0x03: SPS30_SERIAL}.get(data[0] if data else -1)
            if info is None:
                return sps30.encode_reply(cmd, state=SPS30_ILLEGAL)
            return sps30.encode_reply(cmd, info)
        if cmd == sps30.CMD_RESET:
            self.power_cycle()
            return sps30.encode_reply(cmd)
        return sps30.encode_reply(cmd, state=SPS30_UNKNOWN)

    def _read(self, t_s: float) -> bytes:
        if not self.measuring:
            return sps30.encode_reply(sps30.CMD_READ, state=SPS30_NOT_NOW)
        second = math.floor(t_s)
        if second <= self._last_second:
            return sps30.encode_reply(sps30.CMD_READ)  # no new measurement yet
        self._last_second = second
        values = sps30_values(self.field, self.field.at(second))
        if self.output_format == sps30.FORMAT_UINT16:
            ints = [round(v) for v in values[:-1]] + [round(values[-1] * 1000)]  # size in nm
            return sps30.encode_reply(sps30.CMD_READ, struct.pack(">10H", *ints))
        return sps30.encode_reading(sps30.Sps30Reading(*values))
