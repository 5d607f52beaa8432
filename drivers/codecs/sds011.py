"""Nova Fitness SDS011 particulate sensor: 10-byte data and reply frames, 19-byte commands.

Facts from docs/PROTOCOLS.md (particulate matter), ESPHome's ``sds011``
component and the Nova "Laser Dust Sensor Control Protocol V1.3": a data frame is
``AA C0 PM25L PM25H PM10L PM10H ID1 ID2 CHK AB`` (values / 10 µg/m³, CHK the low byte of the sum
of bytes 2..7); a reply to a command is ``AA C5 CMD D1 D2 D3 ID1 ID2 CHK AB``; a command is
``AA B4 D1..D15 CHK AB`` with CHK the low byte of the sum of D1..D15, D1 the command (2
reporting mode, 4 query data, 6 sleep/work, 7 firmware version, 8 working period), D2 0 to
query or 1 to set, D3 the value, D14 D15 the device id (``FF FF`` for any device).

Choices: the device id is ``ID1 << 8 | ID2``, as printed by the vendor tool (ID1 first).
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, NOT_A_FRAME, Codec, Match

HEAD, TAIL = 0xAA, 0xAB
DATA, REPLY, COMMAND = 0xC0, 0xC5, 0xB4
FRAME_LEN = 10
ANY_DEVICE = 0xFFFF

CMD_REPORTING_MODE, CMD_QUERY, CMD_SLEEP_WORK, CMD_FIRMWARE, CMD_PERIOD = 2, 4, 6, 7, 8


@dataclass(frozen=True, slots=True)
class SdsReading:
    """One measurement of PM2.5 and PM10 in µg/m³ (0.1 µg/m³ resolution)."""

    pm2_5_ugm3: float
    pm10_ugm3: float
    device_id: int


@dataclass(frozen=True, slots=True)
class ReportingMode:
    """Reply about the reporting mode: active (streams every period) or query (on request)."""

    active: bool
    device_id: int


@dataclass(frozen=True, slots=True)
class SleepState:
    """Reply about sleep/work: ``working`` False means fan and laser are off."""

    working: bool
    device_id: int


@dataclass(frozen=True, slots=True)
class WorkingPeriod:
    """Reply about the working period: 0 = continuous, n = one reading every n minutes."""

    period_min: int
    device_id: int


@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    """Reply with the firmware date."""

    year: int
    month: int
    day: int
    device_id: int


@dataclass(frozen=True, slots=True)
class SdsReply:
    """Any other reply: the command byte and its three data bytes."""

    command: int
    data: bytes
    device_id: int


SdsFrame = SdsReading | ReportingMode | SleepState | WorkingPeriod | FirmwareVersion | SdsReply


def command(
    cmd: int, set_value: bool = False, value: int = 0, device_id: int = ANY_DEVICE
) -> bytes:
    """A 19-byte command: D1 ``cmd``, D2 query (0) or set (1), D3 ``value``, D14 D15 the id."""
    data = bytes((cmd, int(set_value), value)) + bytes(10) + device_id.to_bytes(2, "big")
    return bytes((HEAD, COMMAND)) + data + bytes((sum(data) & 0xFF, TAIL))


def query_data(device_id: int = ANY_DEVICE) -> bytes:
    """Ask for one reading (``AA B4 04 00 .. 00 FF FF 02 AB`` for any device)."""
    return command(CMD_QUERY, device_id=device_id)


def set_reporting_mode(active: bool, device_id: int = ANY_DEVICE) -> bytes:
    """Active (stream) or query (answer ``query_data``) reporting."""
    return command(CMD_REPORTING_MODE, True, 0 if active else 1, device_id)


def sleep(device_id: int = ANY_DEVICE) -> bytes:
    """Stop the fan and laser."""
    return command(CMD_SLEEP_WORK, True, 0, device_id)


def wake(device_id: int = ANY_DEVICE) -> bytes:
    """Start the fan and laser again."""
    return command(CMD_SLEEP_WORK, True, 1, device_id)


def set_working_period(period_min: int, device_id: int = ANY_DEVICE) -> bytes:
    """0 for continuous measurement, else one reading every ``period_min`` minutes (≤ 30)."""
    return command(CMD_PERIOD, True, period_min, device_id)


def query_firmware(device_id: int = ANY_DEVICE) -> bytes:
    """Ask for the firmware version."""
    return command(CMD_FIRMWARE, device_id=device_id)


def _frame(kind: int, payload: bytes) -> bytes:
    return bytes((HEAD, kind)) + payload + bytes((sum(payload) & 0xFF, TAIL))


def encode_reading(pm2_5_ugm3: float, pm10_ugm3: float, device_id: int = 0x1234) -> bytes:
    """The 10-byte data frame the sensor sends (for simulators and tests)."""
    pm25, pm10 = round(pm2_5_ugm3 * 10), round(pm10_ugm3 * 10)
    return _frame(DATA, pm25.to_bytes(2, "little") + pm10.to_bytes(2, "little") + _id(device_id))


def encode_reply(cmd: int, data: bytes, device_id: int = 0x1234) -> bytes:
    """A 10-byte reply frame: command byte, three data bytes, id (for simulators and tests)."""
    return _frame(REPLY, bytes((cmd,)) + data + _id(device_id))


def _id(device_id: int) -> bytes:
    return device_id.to_bytes(2, "big")


def _reply(payload: bytes, device_id: int) -> SdsFrame:
    cmd, _, value = payload[0], payload[1], payload[2]
    if cmd == CMD_REPORTING_MODE:
        return ReportingMode(value == 0, device_id)
    if cmd == CMD_SLEEP_WORK:
        return SleepState(value == 1, device_id)
    if cmd == CMD_PERIOD:
        return WorkingPeriod(value, device_id)
    if cmd == CMD_FIRMWARE:
        return FirmwareVersion(2000 + payload[1], payload[2], payload[3], device_id)
    return SdsReply(cmd, payload[1:4], device_id)


class SdsCodec(Codec[SdsFrame]):
    """SDS011 data and reply frames out of a byte stream."""

    sync = bytes((HEAD,))
    max_frame_len = FRAME_LEN

    def _match(self, view: bytes, start: int) -> Match[SdsFrame]:
        if len(view) - start < 2:
            return NEED_MORE
        kind = view[start + 1]
        if kind != DATA and kind != REPLY:
            return NOT_A_FRAME
        if len(view) - start < FRAME_LEN:
            return NEED_MORE
        if view[start + 9] != TAIL:
            return NOT_A_FRAME
        if sum(view[start + 2 : start + 8]) & 0xFF != view[start + 8]:
            return BAD_CHECKSUM
        device_id = view[start + 6] << 8 | view[start + 7]
        if kind == DATA:
            pm25 = view[start + 2] | view[start + 3] << 8
            pm10 = view[start + 4] | view[start + 5] << 8
            return (FRAME, FRAME_LEN, SdsReading(pm25 / 10.0, pm10 / 10.0, device_id))
        return (FRAME, FRAME_LEN, _reply(view[start + 2 : start + 6], device_id))
