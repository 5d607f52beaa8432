"""Cellular modem AT command replies (3GPP TS 27.007, Quectel extensions) and commands.

Facts from docs/PROTOCOLS.md (mobile network), 3GPP TS 27.007 and the
Zephyr cellular modem driver: replies are text lines ended by CR LF, a command's reply ends
with ``OK``, ``ERROR`` or ``+CME ERROR: n``, and unsolicited lines (``RING``, ``+CREG: stat``...)
can arrive at any time. ``+CSQ: rssi,ber``: dBm = −113 + 2·rssi (99 unknown). ``+CESQ:
rxlev,ber,rscp,ecno,rsrq,rsrp``: RSRP ≈ −141 + rsrp dBm, RSRQ ≈ −20 + rsrq/2 dB (255 unknown).
Quectel ``+QENG: "servingcell",state,"LTE",duplex,MCC,MNC,cellID(hex),PCID,EARFCN,band,UL bw,
DL bw,TAC(hex),RSRP,RSRQ,RSSI,SINR,...`` with ``-`` for not available.

Choices:
- Lines are split at CR or LF; a modem's echo of a command (``AT...`` ended by a lone CR)
  comes out as ``Echo``. Line separators are not counted as dropped bytes; a line with
  non-printable bytes loses everything up to its last such byte (counted as dropped).
- There is no checksum: a corrupted line is undetectable unless it no longer parses; a
  known reply that does not parse is rejected (``frames_rejected``); any other printable
  line comes out as ``InfoLine`` (manufacturer, IMEI, ``+CPIN: READY``...).
- ``+CREG:``/``+CEREG:``/``+CGREG:`` with a single value, or with a quoted area code as
  second value, is the unsolicited form (``stat[,lac,ci[,AcT]]``); otherwise the reply
  to the query (``n,stat[,lac,ci[,AcT]]``).
- SINR in ``+QENG`` is kept as reported (``sinr_raw``): its encoding differs between module
  families (verify). EC2x/EG2x/EG9x report 0..250 for −20..+30 dB in 1/5 dB steps
  (Quectel QENG application note): ``ec2x_sinr_db``; RG50x/RM50x report dB directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.codecs.codec import FRAME, NEED_MORE, REJECTED, Codec, Match, Verdict

MAX_LINE = 1024
"""Longest line accepted (``AT+COPS=?`` lists stay below)."""

_CONTENT = re.compile(rb"[^\r\n]")
_EOL = re.compile(rb"[\r\n]")
_UP_TO_LAST_NON_PRINTABLE = re.compile(rb".*[^\x20-\x7e]", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Ok:
    """Final result: the command succeeded."""


@dataclass(frozen=True, slots=True)
class Error:
    """Final result: the command failed (no detail)."""


@dataclass(frozen=True, slots=True)
class CmeError:
    """Final result ``+CME ERROR:`` with its numeric code, or only text in verbose mode."""

    code: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Echo:
    """The modem echoing a command back (echo on, ``ATE1``)."""

    command: str


@dataclass(frozen=True, slots=True)
class Ring:
    """Unsolicited: incoming call."""


@dataclass(frozen=True, slots=True)
class Csq:
    """``+CSQ``: received signal strength (dBm, None unknown) and bit error rate class 0..7."""

    rssi_dbm: int | None
    """−113 means −113 dBm or less, −51 means −51 dBm or more."""
    ber: int | None


@dataclass(frozen=True, slots=True)
class Cesq:
    """``+CESQ``: extended signal quality; LTE values converted, others raw (None unknown)."""

    rxlev: int | None
    ber: int | None
    rscp: int | None
    ecno: int | None
    rsrq_db: float | None
    rsrp_dbm: int | None


@dataclass(frozen=True, slots=True)
class Cops:
    """``+COPS``: selection mode, operator (name or MCC+MNC per ``format``), access technology."""

    mode: int
    format: int | None
    operator: str | None
    access_technology: int | None
    """0 GSM, 2 UTRAN, 7 E-UTRAN (LTE), 9 E-UTRAN NB-IoT, 12 NR..."""


@dataclass(frozen=True, slots=True)
class Registration:
    """``+CREG``/``+CGREG``/``+CEREG``: registration state (1 home, 5 roaming, 2 searching...)."""

    command: str
    """``CREG``, ``CGREG`` or ``CEREG``."""
    unsolicited: bool
    n: int | None
    """Unsolicited result mode (only in the reply to the query)."""
    stat: int
    area_code: int | None
    """LAC (2G/3G) or TAC (LTE)."""
    cell_id: int | None
    access_technology: int | None

    @property
    def registered(self) -> bool:
        """Registered on the home network or roaming."""
        return self.stat in (1, 5)


@dataclass(frozen=True, slots=True)
class ServingCell:
    """Quectel ``+QENG: "servingcell"``; cell fields only for LTE (None when ``-`` or absent)."""

    state: str
    """SEARCH, LIMSRV, NOCONN or CONNECT."""
    rat: str | None
    duplex: str | None
    mcc: int | None
    mnc: str | None
    """Kept as text: ``02`` and ``2`` are different networks."""
    cell_id: int | None
    pcid: int | None
    earfcn: int | None
    band: int | None
    ul_bandwidth: int | None
    """Quectel code: 0 1.4 MHz, 1 3, 2 5, 3 10, 4 15, 5 20 MHz; likewise below."""
    dl_bandwidth: int | None
    tac: int | None
    rsrp_dbm: int | None
    rsrq_db: int | None
    rssi_dbm: int | None
    sinr_raw: int | None
    """As reported; see ``ec2x_sinr_db`` and the module docstring."""


@dataclass(frozen=True, slots=True)
class InfoLine:
    """Any other line: information replies, unknown unsolicited results."""

    text: str


AtFrame = (
    Ok | Error | CmeError | Echo | Ring | Csq | Cesq | Cops | Registration | ServingCell | InfoLine
)


def ec2x_sinr_db(sinr_raw: int) -> float:
    """SINR in dB for Quectel EC2x/EG2x/EG9x, which report 0..250 for −20..+30 dB."""
    return sinr_raw / 5.0 - 20.0


def command(body: str) -> bytes:
    """``AT<body>`` and the CR that makes the modem run it."""
    return b"AT" + body.encode("ascii") + b"\r"


def csq() -> bytes:
    """Ask for the signal strength."""
    return command("+CSQ")


def cesq() -> bytes:
    """Ask for the extended signal quality (RSRP, RSRQ on LTE)."""
    return command("+CESQ")


def cops() -> bytes:
    """Ask for the current operator."""
    return command("+COPS?")


def creg() -> bytes:
    """Ask for the circuit-switched registration state."""
    return command("+CREG?")


def cereg() -> bytes:
    """Ask for the EPS (LTE) registration state."""
    return command("+CEREG?")


def set_cereg_reporting(n: int = 2) -> bytes:
    """Enable unsolicited ``+CEREG:`` lines (2: with TAC and cell id)."""
    return command(f"+CEREG={n}")


def qeng_servingcell() -> bytes:
    """Ask a Quectel modem for the serving cell (``AT+QENG="servingcell"``)."""
    return command('+QENG="servingcell"')


def echo_off() -> bytes:
    """Stop the modem echoing commands (``ATE0``)."""
    return command("E0")


def _fields(text: str) -> list[str]:
    """Comma-separated values, stripped, quotes kept (a quoted value may contain commas)."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if quoted:
        raise ValueError("unbalanced quotes")
    out.append("".join(current).strip())
    return out


def _unquote(field: str) -> str:
    return field[1:-1] if len(field) >= 2 and field[0] == field[-1] == '"' else field


def _opt_int(field: str, missing: int | None = None, base: int = 10) -> int | None:
    """An integer, or None when empty, ``-`` or the ``missing`` marker (99, 255...)."""
    field = _unquote(field)
    if field in ("", "-"):
        return None
    value = int(field, base)
    return None if value == missing else value


def _csq(fields: list[str]) -> Csq:
    rssi = _opt_int(fields[0], 99)
    if rssi is not None and not 0 <= rssi <= 31:
        raise ValueError("rssi out of range")
    return Csq(None if rssi is None else -113 + 2 * rssi, _opt_int(fields[1], 99))


def _cesq(fields: list[str]) -> Cesq:
    rxlev, ber, rscp, ecno, rsrq, rsrp = fields
    rsrq_raw = _opt_int(rsrq, 255)
    rsrp_raw = _opt_int(rsrp, 255)
    return Cesq(
        _opt_int(rxlev, 99),
        _opt_int(ber, 99),
        _opt_int(rscp, 255),
        _opt_int(ecno, 255),
        None if rsrq_raw is None else -20.0 + rsrq_raw / 2.0,
        None if rsrp_raw is None else -141 + rsrp_raw,
    )


def _cops(fields: list[str]) -> Cops:
    if len(fields) > 4:
        raise ValueError("too many fields")
    mode = int(fields[0])
    operator = _unquote(fields[2]) if len(fields) > 2 else None
    return Cops(
        mode,
        _opt_int(fields[1]) if len(fields) > 1 else None,
        operator or None,
        _opt_int(fields[3]) if len(fields) > 3 else None,
    )


def _registration(name: str, fields: list[str]) -> Registration:
    unsolicited = len(fields) == 1 or fields[1].startswith('"')
    n, rest = (None, fields) if unsolicited else (int(fields[0]), fields[1:])
    return Registration(
        name,
        unsolicited,
        n,
        int(rest[0]),
        _opt_int(rest[1], base=16) if len(rest) > 1 else None,
        _opt_int(rest[2], base=16) if len(rest) > 2 else None,
        _opt_int(rest[3]) if len(rest) > 3 else None,
    )


def _serving_cell(fields: list[str]) -> ServingCell | None:
    if _unquote(fields[0]) != "servingcell":
        return None
    state = _unquote(fields[1])
    rat = _unquote(fields[2]) if len(fields) > 2 else None
    if rat != "LTE":
        return ServingCell(state, rat, *([None] * 14))
    f = fields[3:17]
    if len(f) < 14:
        raise ValueError("short LTE serving cell")
    mnc = _unquote(f[2])
    return ServingCell(
        state,
        rat,
        _unquote(f[0]) or None,
        _opt_int(f[1]),
        None if mnc in ("", "-") else mnc,
        _opt_int(f[3], base=16),
        _opt_int(f[4]),
        _opt_int(f[5]),
        _opt_int(f[6]),
        _opt_int(f[7]),
        _opt_int(f[8]),
        _opt_int(f[9], base=16),
        _opt_int(f[10]),
        _opt_int(f[11]),
        _opt_int(f[12]),
        _opt_int(f[13]),
    )


_REGISTRATIONS = {"+CREG": "CREG", "+CGREG": "CGREG", "+CEREG": "CEREG"}


def parse_line(text: str) -> AtFrame | None:
    """The frame for one printable line (no CR/LF), or None when a known reply is malformed."""
    if text == "OK":
        return Ok()
    if text == "ERROR":
        return Error()
    if text == "RING":
        return Ring()
    if text[:2] in ("AT", "at"):
        return Echo(text)
    head, colon, rest = text.partition(":")
    if not colon or not head.startswith("+"):
        return InfoLine(text)
    try:
        if head == "+CME ERROR":
            code = rest.strip()
            return CmeError(int(code) if code.isdigit() else None, code)
        fields = _fields(rest)
        if head == "+CSQ":
            return _csq(fields) if len(fields) == 2 else None
        if head == "+CESQ":
            return _cesq(fields) if len(fields) == 6 else None
        if head == "+COPS":
            return _cops(fields)
        if head in _REGISTRATIONS:
            return _registration(_REGISTRATIONS[head], fields)
        if head == "+QENG":
            return _serving_cell(fields) or InfoLine(text)
    except (ValueError, IndexError):
        return None
    return InfoLine(text)


class AtCodec(Codec[AtFrame]):
    """Modem lines out of a byte stream: final results, replies, echoes, unsolicited lines."""

    sync = b""
    max_frame_len = MAX_LINE
    gaps_are_garbage = False

    def _find_start(self, view: bytes, pos: int) -> int:
        m = _CONTENT.search(view, pos)
        return -1 if m is None else m.start()

    def _match(self, view: bytes, start: int) -> Match[AtFrame]:
        m = _EOL.search(view, start, start + MAX_LINE)
        if m is None:
            if len(view) - start < MAX_LINE:
                return NEED_MORE
            return (Verdict.NOT_A_FRAME, MAX_LINE, None)  # a line too long: drop a line's worth
        eol = m.start()
        noise = _UP_TO_LAST_NON_PRINTABLE.match(view, start, eol)
        if noise is not None:
            return (Verdict.NOT_A_FRAME, noise.end() - start, None)
        frame = parse_line(view[start:eol].decode("ascii"))
        if frame is None:
            return (REJECTED, eol + 1 - start, None)
        return (FRAME, eol + 1 - start, frame)
