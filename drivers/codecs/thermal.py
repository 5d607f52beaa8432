"""GY-MCU90640 thermal camera (MLX90640 32×24 behind an STM32): 1544-byte UART frames, commands.

Facts from docs/PROTOCOLS.md (thermal camera): a frame is 16-bit
little-endian words — ``5A 5A``, a size word, 768 pixel temperatures (int16 / 100 °C,
row-major, 24 rows × 32 columns), the ambient temperature (int16 / 100 °C), a checksum word.
Commands are ``A5 CMD DATA SUM`` with SUM the low byte of the sum of the first three:
continuous output ``A5 35 02 DC``, query mode ``A5 35 01 DB``.

Verified here (the reference says "verify"): the checksum is the 16-bit sum (mod 65536) of
the 771 little-endian words before it, header and size word included, stored little-endian.
Sources: the STM32 host function ``MLX90640_CheckData`` found in several public GY-MCU90640
projects (``sum += RX_BUF[i+1] << 8 | RX_BUF[i]`` for i < 1542, compared with bytes
1542..1543); a firmware clone that starts its sum at 0x5A5A + 0x0602 and adds every pixel and
Ta; the ESPHome component patrick3399/esphome_components ``mcu90640``, which accepts this word
sum (and, for some firmware revisions, a byte sum). One public script reports a module whose
frames fit no simple sum: if all of a module's frames land in ``checksum_errors``, suspect its
firmware before the wiring. The size word is 0x0602 (1538 = 768 pixels + ambient, in bytes).

Choices: any other size word is a false sync. Pixels come as a read-only float32 array (24, 32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from drivers.codecs.codec import BAD_CHECKSUM, FRAME, NEED_MORE, NOT_A_FRAME, Codec, Match

SYNC = b"\x5a\x5a"
ROWS, COLS = 24, 32
PIXELS = ROWS * COLS
SIZE_WORD = 2 * PIXELS + 2  # 0x0602
FRAME_LEN = 4 + SIZE_WORD + 2  # 1544
_SIZE_BYTES = SIZE_WORD.to_bytes(2, "little")

CMD_OUTPUT_MODE = 0x35
OUTPUT_QUERY, OUTPUT_CONTINUOUS = 0x01, 0x02

FloatImage = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class ThermalFrame:
    """One image: pixel temperatures in °C (24 rows × 32 columns) and the ambient temperature."""

    pixels_c: FloatImage
    ambient_c: float

    def __eq__(self, other: object) -> bool:
        """Same ambient and same pixels (arrays alone would compare element by element)."""
        if not isinstance(other, ThermalFrame):
            return NotImplemented
        return self.ambient_c == other.ambient_c and np.array_equal(self.pixels_c, other.pixels_c)

    __hash__ = None  # type: ignore[assignment]


def word_sum(words_le: bytes) -> int:
    """The frame checksum: 16-bit sum of little-endian words."""
    return int(np.frombuffer(words_le, "<u2").sum(dtype=np.uint64)) & 0xFFFF


def command(cmd: int, data: int) -> bytes:
    """``A5 CMD DATA SUM``."""
    return bytes((0xA5, cmd, data, (0xA5 + cmd + data) & 0xFF))


def continuous_output() -> bytes:
    """Stream frames continuously (``A5 35 02 DC``)."""
    return command(CMD_OUTPUT_MODE, OUTPUT_CONTINUOUS)


def query_mode() -> bytes:
    """Stop streaming; one frame per query (``A5 35 01 DB``)."""
    return command(CMD_OUTPUT_MODE, OUTPUT_QUERY)


def encode_frame(pixels_c: npt.ArrayLike, ambient_c: float) -> bytes:
    """The 1544 bytes the module sends for an image (for simulators and tests)."""
    raw = np.rint(np.asarray(pixels_c, dtype=np.float64).reshape(PIXELS) * 100).astype("<i2")
    body = (
        SYNC
        + _SIZE_BYTES
        + raw.tobytes()
        + round(ambient_c * 100).to_bytes(2, "little", signed=True)
    )
    return body + word_sum(body).to_bytes(2, "little")


class ThermalCodec(Codec[ThermalFrame]):
    """GY-MCU90640 frames out of a byte stream."""

    sync = SYNC
    max_frame_len = FRAME_LEN

    def _match(self, view: bytes, start: int) -> Match[ThermalFrame]:
        if len(view) - start < 4:
            return NEED_MORE
        if view[start + 2 : start + 4] != _SIZE_BYTES:
            return NOT_A_FRAME
        if len(view) - start < FRAME_LEN:
            return NEED_MORE
        frame = view[start : start + FRAME_LEN]
        if word_sum(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            return BAD_CHECKSUM
        words = np.frombuffer(frame, "<i2")
        pixels = (words[2 : 2 + PIXELS] / np.float32(100)).astype(np.float32).reshape(ROWS, COLS)
        pixels.flags.writeable = False
        return (FRAME, FRAME_LEN, ThermalFrame(pixels, int(words[2 + PIXELS]) / 100.0))
