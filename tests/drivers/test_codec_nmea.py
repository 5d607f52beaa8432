"""NMEA 0183 codec: the reference's known-good lines, each sentence type, resync and rejects."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from drivers.codecs.nmea import (
    KNOT_MPS,
    MAX_SENTENCE,
    Gga,
    Gsa,
    NmeaCodec,
    OtherSentence,
    Rmc,
    Vtg,
    checksum,
    encode_sentence,
)

GGA_REF = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
GNGGA_REF = b"$GNGGA,203415.000,6325.6138,N,01021.4290,E,1,8,2.42,72.5,M,41.5,M,,*7C\r\n"
RMC = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
VTG = b"$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48\r\n"
GSA = b"$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39\r\n"


def decode(data: bytes) -> tuple[list[object], NmeaCodec]:
    codec = NmeaCodec()
    return list(codec.feed(data)), codec


def test_reference_gga_lines_decode_to_physical_values() -> None:
    frames, codec = decode(GGA_REF + GNGGA_REF)
    assert frames == [
        Gga(
            talker="GP",
            time_utc=time(12, 35, 19, tzinfo=UTC),
            lat_deg=pytest.approx(48 + 7.038 / 60),
            lon_deg=pytest.approx(11 + 31.0 / 60),
            fix_quality=1,
            num_sv=8,
            hdop=0.9,
            altitude_msl_m=545.4,
            geoid_separation_m=46.9,
            dgps_age_s=None,
            dgps_station=None,
        ),
        Gga(
            talker="GN",
            time_utc=time(20, 34, 15, tzinfo=UTC),
            lat_deg=pytest.approx(63 + 25.6138 / 60),
            lon_deg=pytest.approx(10 + 21.4290 / 60),
            fix_quality=1,
            num_sv=8,
            hdop=2.42,
            altitude_msl_m=72.5,
            geoid_separation_m=41.5,
            dgps_age_s=None,
            dgps_station=None,
        ),
    ]
    assert (codec.frames, codec.checksum_errors, codec.bytes_dropped) == (2, 0, 0)


def test_checksum_of_reference_lines() -> None:
    assert checksum(GGA_REF[1:-5]) == 0x47
    assert encode_sentence(GNGGA_REF[1:-5].decode()) == GNGGA_REF


def test_rmc_speed_in_mps_date_and_signed_variation() -> None:
    (rmc,), _ = decode(RMC)
    assert isinstance(rmc, Rmc)
    assert rmc.valid is True
    assert rmc.speed_mps == pytest.approx(22.4 * 0.514444, rel=1e-5)
    assert rmc.course_deg == 84.4
    assert rmc.date_utc == date(1994, 3, 23)
    assert rmc.magnetic_variation_deg == -3.1
    assert rmc.datetime_utc == datetime(1994, 3, 23, 12, 35, 19, tzinfo=UTC)
    assert rmc.mode is None


def test_rmc_southern_western_void_with_mode() -> None:
    line = encode_sentence("GNRMC,000001.50,V,3351.000,S,15112.000,W,,,010126,,,N")
    (rmc,), _ = decode(line)
    assert rmc == Rmc(
        "GN",
        time(0, 0, 1, 500000, tzinfo=UTC),
        False,
        pytest.approx(-(33 + 51 / 60)),
        pytest.approx(-(151 + 12 / 60)),
        None,
        None,
        date(2026, 1, 1),
        None,
        "N",
    )


def test_vtg_speed_from_knots_or_kmh() -> None:
    (vtg,), _ = decode(VTG)
    assert vtg == Vtg("GP", 54.7, 34.4, pytest.approx(5.5 * KNOT_MPS), None)
    (kmh_only,), _ = decode(encode_sentence("GNVTG,,T,,M,,N,36.0,K,A"))
    assert kmh_only == Vtg("GN", None, None, pytest.approx(10.0), "A")


def test_gsa_satellites_and_dops() -> None:
    (gsa,), _ = decode(GSA)
    assert gsa == Gsa("GP", "A", 3, (4, 5, 9, 12, 24), 2.5, 1.3, 2.1, None)
    (v41,), _ = decode(encode_sentence("GNGSA,A,3,01,02,,,,,,,,,,,1.8,1.0,1.5,1"))
    assert v41.system_id == 1 and v41.sv_ids == (1, 2)


def test_empty_fields_are_none() -> None:
    (gga,), codec = decode(encode_sentence("GPGGA,,,,,,0,00,,,M,,M,,"))
    assert gga == Gga("GP", None, None, None, 0, 0, None, None, None, None, None)
    assert codec.frames_rejected == 0


@pytest.mark.parametrize("talker", ["GP", "GN", "GL", "GA", "BD"])
def test_every_talker_is_accepted(talker: str) -> None:
    (gga,), _ = decode(encode_sentence(talker + GGA_REF[3:-5].decode()))
    assert isinstance(gga, Gga) and gga.talker == talker and gga.num_sv == 8


def test_other_types_with_good_checksum_come_out_raw() -> None:
    gsv = encode_sentence("GPGSV,3,1,11,03,03,111,00,04,15,270,00")
    pubx = encode_sentence("PUBX,00,081350.00,4717.113210,N")
    frames, codec = decode(gsv + pubx)
    assert frames == [
        OtherSentence(
            "GP", "GSV", ("3", "1", "11", "03", "03", "111", "00", "04", "15", "270", "00")
        ),
        OtherSentence("P", "UBX", ("00", "081350.00", "4717.113210", "N")),
    ]
    assert codec.frames_rejected == 0


def test_garbage_before_and_between_is_skipped_and_counted() -> None:
    noise = b"\x00\xff\x13garbage "
    partial = b"45.4,M,46.9,M,,*47\r\n"  # tail of a sentence cut at power-up
    frames, codec = decode(noise + partial + GGA_REF + b"\r\n\x7f*" + VTG)
    assert [type(f) for f in frames] == [Gga, Vtg]
    # line ends and spaces between sentences are not garbage
    assert codec.bytes_dropped == len(noise) - 1 + len(partial) - 2 + 2
    assert codec.checksum_errors == 0


def test_bad_checksum_is_rejected_counted_and_the_next_sentence_kept() -> None:
    frames, codec = decode(GGA_REF.replace(b"*47", b"*48") + VTG)
    assert [type(f) for f in frames] == [Vtg]
    assert codec.checksum_errors == 1
    assert codec.bytes_dropped == len(GGA_REF) - 2  # its CR LF is a line end, not garbage


def test_lowercase_checksum_is_accepted_as_gpsd_and_pynmea2_do() -> None:
    frames, codec = decode(GNGGA_REF.replace(b"*7C", b"*7c"))
    assert frames == decode(GNGGA_REF)[0] and codec.checksum_errors == 0


def test_a_later_dollar_starts_the_real_sentence() -> None:
    frames, codec = decode(b"$GPGG" + GGA_REF)
    assert len(frames) == 1 and codec.bytes_dropped == 5


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\r\n", b" \r\n", b"  \n", b"\n\r"])
def test_every_line_end_real_receivers_send_ends_a_sentence(end: bytes) -> None:
    frames, codec = decode(GGA_REF[:-2] + end + VTG)
    assert [type(f) for f in frames] == [Gga, Vtg]
    assert (codec.bytes_dropped, codec.checksum_errors, codec.frames_rejected) == (0, 0, 0)


def test_a_sentence_without_a_line_end_is_not_one() -> None:
    frames, codec = decode(GGA_REF[:-2] + VTG)
    assert [type(f) for f in frames] == [Vtg]
    assert codec.bytes_dropped == len(GGA_REF) - 2


@pytest.mark.parametrize(
    "body",
    [
        "GPGGA,123519,48x7.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",  # bad latitude
        "GPGGA,123519,4807.038,Q,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",  # bad hemisphere
        "GPGGA,123519,4807.038,N,01131.000,E,1,08,nan,545.4,M,46.9,M,,",  # not a number
        "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,inf,M,46.9,M,,",  # not finite
        "GPGGA,123519,4861.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",  # 61 minutes
        "GPGGA,123519,4807.038,N,01131.000,E,1,08",  # too few fields
        "GPRMC,235960,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",  # leap second
        "GPRMC,123519,X,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",  # bad status
        "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,310294,003.1,W",  # 31 February
        "GPVTG,054.7,X,034.4,M,005.5,N,010.2,K",  # bad unit
        "GPGSA,A,3,04,x5,,09,12,,,24,,,,,2.5,1.3,2.1",  # bad satellite id
        "12345,1,2",  # address is not letters
        "GPGGA\xe9,1",  # not ASCII
    ],
)
def test_malformed_payload_with_good_checksum_is_rejected(body: str) -> None:
    line = b"$%s*%02X\r\n" % (body.encode("latin-1"), checksum(body.encode("latin-1")))
    frames, codec = decode(line + VTG)
    assert [type(f) for f in frames] == [Vtg]
    assert (codec.frames_rejected, codec.checksum_errors) == (1, 0)
    assert codec.bytes_dropped == len(line) - 1  # the LF after the CR is a line end


def test_an_endless_line_is_dropped_and_the_buffer_stays_bounded() -> None:
    codec = NmeaCodec()
    for _ in range(100):
        assert codec.feed(b"$GPGGA," + b"1" * 97) == []
        assert codec.buffered < MAX_SENTENCE
    assert codec.feed(b"\r\n" + GGA_REF) != []
    assert codec.bytes_dropped >= 100 * 104 - MAX_SENTENCE
