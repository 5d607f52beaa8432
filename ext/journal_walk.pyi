from collections.abc import Buffer

import numpy as np
import numpy.typing as npt

SYNC: bytes
HEADER_BYTES: int
MAX_RECORD_BYTES: int
CHUNK_BODY_BYTES: int
DATA: int
CHANNEL: int
NOTE: int
CHUNK: int
CRC32_FOLDS: bool

class ChannelData:
    channel: int
    payload: npt.NDArray[np.uint8] | None
    ends: npt.NDArray[np.int64]
    utc_ns: npt.NDArray[np.int64]
    monotonic_ns: npt.NDArray[np.uint64]
    offset: npt.NDArray[np.int64]
    def __len__(self) -> int: ...

class JournalWalk:
    size: int
    records: int
    offset: npt.NDArray[np.int64]
    kind: npt.NDArray[np.uint8]
    channel: npt.NDArray[np.uint8]
    monotonic_ns: npt.NDArray[np.uint64]
    utc_ns: npt.NDArray[np.int64]
    length: npt.NDArray[np.int64]
    chunk_seq: npt.NDArray[np.int64]
    chunk_start: npt.NDArray[np.int64]
    chunk_end: npt.NDArray[np.int64]
    chunk_records: npt.NDArray[np.int64]
    chunk_first_utc_ns: npt.NDArray[np.int64]
    chunk_last_utc_ns: npt.NDArray[np.int64]
    chunk_sha256: npt.NDArray[np.uint8]
    chunk_bad: npt.NDArray[np.bool_]
    damaged: list[tuple[int, int]]
    truncated_at: int | None
    channel_names: dict[int, str]
    data: dict[int, ChannelData]

def crc32(data: Buffer) -> int: ...
def populated_bytes(n: int) -> npt.NDArray[np.uint8]: ...
def walk_journal(data: Buffer, start: int, gather: bool = True) -> JournalWalk: ...
def gather_block(
    data: Buffer, ch: ChannelData, first: int, out: Buffer, at: int, limit: int
) -> tuple[int, int]: ...
