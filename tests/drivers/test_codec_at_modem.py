"""AT modem codec: replies, final results, echoes and unsolicited lines as typed frames."""

from __future__ import annotations

import pytest

from drivers.codecs.at_modem import (
    MAX_LINE,
    AtCodec,
    Cesq,
    CmeError,
    Cops,
    Csq,
    Echo,
    Error,
    InfoLine,
    Ok,
    Registration,
    Ring,
    ServingCell,
    cereg,
    cesq,
    cops,
    creg,
    csq,
    ec2x_sinr_db,
    echo_off,
    parse_line,
    qeng_servingcell,
    set_cereg_reporting,
)

QENG_REF = (
    '+QENG: "servingcell","NOCONN","LTE","FDD",505,02,12AED4A,445,3750,8,3,3,CBE8,-99,-14,-71,53,30'
)


def test_a_command_exchange_with_echo() -> None:
    codec = AtCodec()
    frames = codec.feed(b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
    assert frames == [Echo("AT+CSQ"), Csq(rssi_dbm=-73, ber=None), Ok()]
    assert (codec.bytes_dropped, codec.frames_rejected) == (0, 0)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+CSQ: 0,0", Csq(-113, 0)),
        ("+CSQ: 31,7", Csq(-51, 7)),
        ("+CSQ: 99,99", Csq(None, None)),
        ("+CESQ: 99,99,255,255,20,45", Cesq(None, None, None, None, -10.0, -96)),
        ("+CESQ: 99,99,255,255,255,255", Cesq(None, None, None, None, None, None)),
        ("+CESQ: 63,0,96,49,34,97", Cesq(63, 0, 96, 49, -3.0, -44)),
        ('+COPS: 0,0,"Orange F",7', Cops(0, 0, "Orange F", 7)),
        ('+COPS: 0,2,"20801",7', Cops(0, 2, "20801", 7)),
        ("+COPS: 2", Cops(2, None, None, None)),
        ("+CREG: 0,1", Registration("CREG", False, 0, 1, None, None, None)),
        ("+CREG: 5", Registration("CREG", True, None, 5, None, None, None)),
        (
            '+CEREG: 2,5,"CBE8","12AED4A",7',
            Registration("CEREG", False, 2, 5, 0xCBE8, 0x12AED4A, 7),
        ),
        (
            '+CEREG: 1,"CBE8","12AED4A",7',
            Registration("CEREG", True, None, 1, 0xCBE8, 0x12AED4A, 7),
        ),
        ("+CGREG: 2", Registration("CGREG", True, None, 2, None, None, None)),
        ("RING", Ring()),
        ("OK", Ok()),
        ("ERROR", Error()),
        ("+CME ERROR: 10", CmeError(10, "10")),
        ("+CME ERROR: SIM not inserted", CmeError(None, "SIM not inserted")),
        ("ATE0", Echo("ATE0")),
        ("Quectel", InfoLine("Quectel")),
        ("+CPIN: READY", InfoLine("+CPIN: READY")),
        (
            '+QENG: "neighbourcell intra","LTE",6300',
            InfoLine('+QENG: "neighbourcell intra","LTE",6300'),
        ),
    ],
)
def test_lines_are_typed_frames(line: str, expected: object) -> None:
    assert parse_line(line) == expected


def test_registered_means_home_or_roaming() -> None:
    assert parse_line("+CREG: 0,1").registered  # type: ignore[union-attr]
    assert parse_line("+CREG: 5").registered  # type: ignore[union-attr]
    assert not parse_line("+CREG: 0,2").registered  # type: ignore[union-attr]


def test_quectel_serving_cell_reference_example() -> None:
    (cell,) = AtCodec().feed(QENG_REF.encode() + b"\r\n")
    assert cell == ServingCell(
        state="NOCONN",
        rat="LTE",
        duplex="FDD",
        mcc=505,
        mnc="02",
        cell_id=0x12AED4A,
        pcid=445,
        earfcn=3750,
        band=8,
        ul_bandwidth=3,
        dl_bandwidth=3,
        tac=0xCBE8,
        rsrp_dbm=-99,
        rsrq_db=-14,
        rssi_dbm=-71,
        sinr_raw=53,
    )


def test_sinr_is_kept_raw_and_converted_only_for_ec2x() -> None:
    """Pinned choice for the reference's "verify": no conversion in the frame (see module)."""
    cell = parse_line(QENG_REF)
    assert isinstance(cell, ServingCell) and cell.sinr_raw == 53
    assert ec2x_sinr_db(53) == pytest.approx(-9.4)
    assert (ec2x_sinr_db(0), ec2x_sinr_db(250)) == (-20.0, 30.0)


def test_serving_cell_dashes_and_other_states() -> None:
    line = '+QENG: "servingcell","LIMSRV","LTE","FDD",208,01,-,-,6300,20,5,5,-,-,-,-,-'
    cell = parse_line(line)
    assert isinstance(cell, ServingCell)
    assert (
        cell.mcc,
        cell.mnc,
        cell.cell_id,
        cell.pcid,
        cell.tac,
        cell.rsrp_dbm,
        cell.sinr_raw,
    ) == (
        208,
        "01",
        None,
        None,
        None,
        None,
        None,
    )
    assert parse_line('+QENG: "servingcell","SEARCH"') == ServingCell(
        "SEARCH", None, *([None] * 14)
    )


@pytest.mark.parametrize(
    "line",
    [
        "+CSQ: 40,99",  # rssi out of range
        "+CSQ: 20",  # one value
        "+CSQ: x,99",
        "+CESQ: 99,99,255,255,20",
        "+COPS: x",
        "+CREG: a,b",
        '+CEREG: 1,"CBE8',  # unbalanced quote
        '+QENG: "servingcell","NOCONN","LTE","FDD",505',  # truncated
    ],
)
def test_malformed_known_replies_are_rejected(line: str) -> None:
    codec = AtCodec()
    assert codec.feed(line.encode() + b"\r\nOK\r\n") == [Ok()]
    assert codec.frames_rejected == 1
    assert codec.bytes_dropped == len(line) + 1


def test_noise_before_a_line_is_dropped_and_counted() -> None:
    codec = AtCodec()
    assert codec.feed(b"\x00\xff\x1bOK\r\n\xfe\r\nRING\r\n") == [Ok(), Ring()]
    assert codec.bytes_dropped == 4


def test_unsolicited_lines_between_reply_lines() -> None:
    codec = AtCodec()
    data = b'AT+COPS?\r\r\n+CEREG: 5\r\n+COPS: 0,0,"SFR",7\r\nRING\r\n\r\nOK\r\n'
    assert codec.feed(data) == [
        Echo("AT+COPS?"),
        Registration("CEREG", True, None, 5, None, None, None),
        Cops(0, 0, "SFR", 7),
        Ring(),
        Ok(),
    ]


def test_a_line_waits_for_its_terminator_and_long_lines_are_dropped() -> None:
    codec = AtCodec()
    assert codec.feed(b"+CSQ: 2") == []
    assert codec.feed(b"0,99\r") == [Csq(-73, None)]
    assert codec.feed(b"X" * (3 * MAX_LINE)) == []
    assert codec.buffered < MAX_LINE
    assert codec.bytes_dropped >= 2 * MAX_LINE


def test_command_builders() -> None:
    assert csq() == b"AT+CSQ\r"
    assert cesq() == b"AT+CESQ\r"
    assert cops() == b"AT+COPS?\r"
    assert creg() == b"AT+CREG?\r"
    assert cereg() == b"AT+CEREG?\r"
    assert set_cereg_reporting() == b"AT+CEREG=2\r"
    assert qeng_servingcell() == b'AT+QENG="servingcell"\r'
    assert echo_off() == b"ATE0\r"
