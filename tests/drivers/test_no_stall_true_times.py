"""No stall, true times: a broken length holds nothing for long, every frame keeps the time
its last byte arrived, a reply that lost its closing flag loses nothing else, and a frame
cut by an unplug is never glued to the bytes after the replug."""

from __future__ import annotations

import numpy as np

from drivers import readings
from drivers.codecs import modbus, sps30, ubx, witmotion
from drivers.codecs.codec import WAIT_SLACK_S
from drivers.codecs.nmea import NmeaCodec, encode_sentence
from drivers.sensors import MODELS


def probe_replies(temperatures: list[float]) -> list[bytes]:
    return [modbus.encode_reading(1, t, 50.0) for t in temperatures]


def test_a_bit_error_in_the_probe_byte_count_holds_no_reply() -> None:
    """Issue #15: a count of 4 read as 0x44 held up to 15 replies (75 s at a 5 s poll)."""
    replies = probe_replies([4.0, 5.0, 6.0])
    broken = bytearray(replies[0])
    broken[2] ^= 0x40
    codec = MODELS["modbus"].codec()
    got = [codec.feed(bytes(broken)), codec.feed(replies[1]), codec.feed(replies[2])]
    assert [[f.temperature_c for f in frames] for frames in got] == [[], [5.0], [6.0]]
    assert codec.buffered == 0


def test_a_frame_that_cannot_complete_in_its_time_is_abandoned_after_its_sync() -> None:
    """Any length the codec cannot refuse on sight (here 125 registers are allowed) is
    abandoned once the line had time for the longest frame: the next replies come out with
    the offsets of their own records."""
    replies = probe_replies([4.0, 5.0, 6.0, 7.0])
    broken = bytearray(replies[0])
    broken[2] ^= 0x40  # 68 bytes announced: the next replies are taken for its data
    records = [bytes(broken), *replies[1:]]
    codec = modbus.ModbusCodec()
    codec.set_baudrate(9600)
    assert codec.max_wait_s == modbus.MAX_FRAME * 10 / 9600 + WAIT_SLACK_S
    out, ends = [], []
    for k, record in enumerate(records):  # one reply every 5 s, as polled
        out += codec.feed(record, now_s=5.0 * k)
        ends += codec.frame_ends
    assert [f.temperature_c for f in out] == [5.0, 6.0, 7.0]
    assert codec.frames_abandoned == 1
    offsets = np.cumsum([len(r) for r in records])
    assert ends == offsets[1:].tolist()  # each where its own last byte is


def test_offline_frames_keep_the_records_of_their_last_bytes() -> None:
    """``readings.frames_with_ends`` gives each frame the record holding its last byte, and
    abandons as live on the records' stamps: a delayed release is not a later time."""
    m = MODELS["ubx"]
    good = ubx.encode_nav_pvt(lat_deg=47.0, lon_deg=0.7, num_sv=9)
    odd = ubx.encode(0x0A, 0x04, bytes(30))  # an unknown message: any length may be right
    broken = bytearray(odd)
    broken[5] ^= 0x02  # 30 + 512 bytes announced
    records = [bytes(broken), good, good, good]
    data = b"".join(records)
    ends = np.cumsum([len(r) for r in records]).tolist()
    frames, at = readings.frames_with_ends(m, data, ends, [0.0, 1.0, 2.0, 3.0])
    assert [type(f) for f in frames] == [ubx.NavPvt] * 3
    assert at.tolist() == ends[1:]
    held, at_held = readings.frames_with_ends(m, data, ends)  # without stamps: no budget
    assert held == [] and at_held.tolist() == []  # all held behind the broken length


def test_an_sps30_reply_that_lost_its_closing_flag_does_not_lose_the_next() -> None:
    readings_ = [sps30.Sps30Reading(*(float(k + i) for i in range(10))) for k in range(3)]
    replies = [sps30.encode_reading(r) for r in readings_]
    cut = replies[0][:-1]  # the closing 0x7E lost on the line
    codec = sps30.Sps30Codec()
    assert codec.feed(cut + replies[1] + replies[2]) == readings_
    assert codec.bytes_dropped == 0 and codec.checksum_errors == 0


def test_sps30_flags_between_frames_are_not_garbage() -> None:
    reply = sps30.encode_reading(sps30.Sps30Reading(*([1.0] * 10)))
    codec = sps30.Sps30Codec()
    assert len(codec.feed(reply * 3 + b"\x7e\x7e" + reply)) == 4
    assert codec.bytes_dropped == 0


def test_reset_forgets_a_cut_frame_instead_of_gluing_it_to_the_next_stream() -> None:
    frame = witmotion.encode_frame(0x51, (100, -200, 16384, 2500))
    glued = witmotion.WitCodec()
    glued.feed(frame[:6])
    assert len(glued.feed(frame[6:])) == 1  # what a reconnect without reset would make
    codec = witmotion.WitCodec()
    codec.feed(frame[:6])
    codec.reset()  # the port was closed and opened again
    assert codec.feed(frame[6:]) == [] and codec.bytes_dropped == len(frame)
    assert codec.fed == len(frame)


def test_a_reader_late_to_read_loses_no_frame_whose_bytes_were_all_there() -> None:
    """The budget judges a candidate after the new bytes: one that they complete is a frame,
    however late the read (a recorder starved of CPU reads the rest of a frame seconds later)."""
    good = ubx.encode_nav_pvt(lat_deg=47.0, lon_deg=0.7, num_sv=9)
    codec = ubx.UbxCodec()
    codec.set_baudrate(115200)
    assert codec.feed(good[:40], now_s=0.0) == []
    assert len(codec.feed(good[40:], now_s=30.0)) == 1
    assert codec.frames_abandoned == 0


def test_nmea_needs_no_time_budget_a_dollar_ends_any_candidate() -> None:
    codec = NmeaCodec()
    codec.set_baudrate(9600)
    assert codec.max_wait_s is None  # so live counts as the bulk decoder, which has no clock
    gga = encode_sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
    assert codec.feed(b"$GPGGA,12", now_s=0.0) == []
    assert len(codec.feed(gga, now_s=60.0)) == 1  # the broken one is dropped at the next '$'
