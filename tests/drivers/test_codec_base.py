"""The shared codec machinery: scan loop, partial sync bytes, counters, fast frame building."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, Codec, Match, fast_constructor


@dataclass(frozen=True, slots=True)
class Pair:
    """A toy frame: two values."""

    first: int
    second: str


class PairCodec(Codec[Pair]):
    """``AB`` + one digit + one letter + checksum byte (sum of the two): a toy protocol."""

    sync = b"AB"
    max_frame_len = 5

    def _match(self, view: bytes, start: int) -> Match[Pair]:
        if len(view) - start < 5:
            return NEED_MORE
        digit, letter, check = view[start + 2], view[start + 3], view[start + 4]
        if (digit + letter) & 0xFF != check:
            return BAD_CHECKSUM
        return (FRAME, 5, Pair(digit - 0x30, chr(letter)))


def toy(digit: str, letter: str) -> bytes:
    return b"AB" + f"{digit}{letter}".encode() + bytes(((ord(digit) + ord(letter)) & 0xFF,))


def test_the_scan_loop_skips_garbage_waits_and_counts() -> None:
    codec = PairCodec()
    assert codec.feed(b"xyz" + toy("1", "a") + b"A") == [Pair(1, "a")]
    assert codec.buffered == 1  # a trailing 'A' could begin the sync: kept
    assert codec.feed(b"B2") == []
    assert codec.buffered == 3
    assert codec.feed(b"b\x94" + b"Q") == [Pair(2, "b")]
    assert (codec.frames, codec.bytes_dropped, codec.checksum_errors) == (2, 4, 0)


def test_a_bad_checksum_slides_one_byte() -> None:
    codec = PairCodec()
    assert codec.feed(b"AB1a\x00" + toy("3", "c")) == [Pair(3, "c")]
    assert (codec.checksum_errors, codec.bytes_dropped) == (1, 5)


def test_fast_constructor_builds_genuine_frozen_instances() -> None:
    new_pair = fast_constructor(Pair)
    built = new_pair(7, "x")
    assert type(built) is Pair
    assert built == Pair(7, "x") and hash(built) == hash(Pair(7, "x"))
    assert repr(built) == "Pair(first=7, second='x')"
    with pytest.raises(FrozenInstanceError):
        built.first = 8  # type: ignore[misc]


def test_fast_constructor_refuses_classes_without_slots() -> None:
    @dataclass(frozen=True)
    class Plain:
        value: int

    with pytest.raises(TypeError):
        fast_constructor(Plain)
