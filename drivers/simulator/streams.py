"""The bytes each simulated sensor sends, from a scenario's field, built with the codecs' encoders.

Streaming sensors (GPS, IMU, particulate, thermal camera) are generators of
``(time s, bytes)`` in time order. Polled ones (the modem, the Modbus probe)
are responders: given the request bytes received and the time, the reply.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np

from drivers.codecs import modbus, pms5003, thermal, witmotion
from drivers.codecs.nmea import encode_sentence
from drivers.simulator.scenario import Field

START_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""When simulated runs start (GNSS time in the sentences)."""
KNOTS_PER_MPS = 1.0 / 0.514444
OPERATOR = ("208", "01", "Orange F")
"""MCC, MNC and name of the simulated network."""

TimedBytes = tuple[float, bytes]


def _nmea_angle(value_deg: float, lon: bool) -> tuple[str, str]:
    hemisphere = ("E" if value_deg >= 0 else "W") if lon else ("N" if value_deg >= 0 else "S")
    value = abs(value_deg)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return (f"{degrees:03d}{minutes:07.4f}" if lon else f"{degrees:02d}{minutes:07.4f}"), hemisphere


def gps_stream(f: Field, start: datetime = START_UTC) -> Iterator[TimedBytes]:
    """GGA and RMC sentences (talker GN) at the scenario's GPS rate."""
    step = round(f.scenario.imu_hz / f.scenario.gps_hz)
    headings = f.track.heading_deg(f.distance_m[::step])
    for k, i in enumerate(range(0, len(f.time_s), step)):
        t = float(f.time_s[i])
        moment = start + timedelta(seconds=t)
        hhmmss = moment.strftime("%H%M%S") + f".{moment.microsecond // 10_000:02d}"
        lat, ns = _nmea_angle(float(f.lat_deg[i]), lon=False)
        lon, ew = _nmea_angle(float(f.lon_deg[i]), lon=True)
        knots = float(f.speed_mps[i]) * KNOTS_PER_MPS
        gga = encode_sentence(f"GNGGA,{hhmmss},{lat},{ns},{lon},{ew},1,09,0.9,52.0,M,47.3,M,,")
        rmc = encode_sentence(
            f"GNRMC,{hhmmss},A,{lat},{ns},{lon},{ew},{knots:.2f},{headings[k]:.1f},"
            f"{moment:%d%m%y},,,A"
        )
        yield t, gga + rmc


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


def pm_stream(f: Field) -> Iterator[TimedBytes]:
    """PMS5003 frames once a second (active mode), PM10 ≈ 1.6 × PM2.5."""
    for i in range(0, len(f.time_s), int(f.scenario.imu_hz)):
        pm25 = f.pm25_ugm3(i)
        values = (pm25 * 0.7, pm25, pm25 * 1.6)
        counts = (int(pm25 * 110), int(pm25 * 32), int(pm25 * 6), int(pm25), int(pm25 / 4), 0)
        reading = pms5003.PmsReading(
            *(round(v) for v in values), *(round(v) for v in values), *counts
        )
        yield float(f.time_s[i]), pms5003.encode_reading(reading)


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


# ---------------------------------------------------------------------- polled sensors


class ModemResponder:
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


class ProbeResponder:
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
