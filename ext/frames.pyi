from collections.abc import Buffer
from typing import Any

import numpy as np
import numpy.typing as npt

WIT_FRAME_LEN: int
ACCEL_FULL_SCALE_G: float
GYRO_FULL_SCALE_DPS: float
ANGLE_FULL_SCALE_DEG: float
THERMAL_FRAME_LEN: int
THERMAL_ROWS: int
THERMAL_COLS: int
THERMAL_SIZE_WORD: int
THERMAL_CHECKSUM_FROM_WORD: int
NMEA_MAX_SENTENCE: int
KNOT_MPS: float
NMEA_NEED_MORE: int
NMEA_NOT_A_FRAME: int
NMEA_BAD_CHECKSUM: int
NMEA_REJECTED: int
NMEA_FRAME: int
NMEA_GGA: int
NMEA_RMC: int
NMEA_VTG: int
NMEA_GSA: int
NMEA_OTHER: int

class ImuArrays:
    accel_offset: npt.NDArray[np.int64]
    accel_index: npt.NDArray[np.int64]
    accel_g: npt.NDArray[np.float64]
    temperature_c: npt.NDArray[np.float64]
    gyro_offset: npt.NDArray[np.int64]
    gyro_index: npt.NDArray[np.int64]
    gyro_dps: npt.NDArray[np.float64]
    angle_offset: npt.NDArray[np.int64]
    angle_index: npt.NDArray[np.int64]
    angle_deg: npt.NDArray[np.float64]
    frames: int
    other_frames: int
    checksum_errors: int
    bytes_dropped: int
    consumed: int

class ThermalArrays:
    offset: npt.NDArray[np.int64]
    image_c: npt.NDArray[np.float32]
    ambient_c: npt.NDArray[np.float32]
    frames: int
    checksum_errors: int
    bytes_dropped: int
    consumed: int

class GgaArrays:
    offset: npt.NDArray[np.int64]
    end_offset: npt.NDArray[np.int64]
    time_s: npt.NDArray[np.float64]
    lat_deg: npt.NDArray[np.float64]
    lon_deg: npt.NDArray[np.float64]
    fix_quality: npt.NDArray[np.int16]
    num_sv: npt.NDArray[np.int16]
    hdop: npt.NDArray[np.float64]
    altitude_m: npt.NDArray[np.float64]
    def __len__(self) -> int: ...

class RmcArrays:
    offset: npt.NDArray[np.int64]
    end_offset: npt.NDArray[np.int64]
    time_s: npt.NDArray[np.float64]
    lat_deg: npt.NDArray[np.float64]
    lon_deg: npt.NDArray[np.float64]
    valid: npt.NDArray[np.bool_]
    speed_mps: npt.NDArray[np.float64]
    course_deg: npt.NDArray[np.float64]
    date: npt.NDArray[np.int32]
    def __len__(self) -> int: ...

class NmeaArrays:
    gga: GgaArrays
    rmc: RmcArrays
    sentences: int
    other_sentences: int
    rejected: int
    checksum_errors: int
    bytes_dropped: int
    consumed: int

def decode_witmotion(data: Buffer, base_offset: int = 0) -> ImuArrays: ...
def decode_witmotion_vertical(
    data: Buffer,
    base_offset: int = 0,
    end_out: npt.NDArray[np.float64] | None = None,
    az_out: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]: ...
def decode_thermal(
    data: Buffer,
    base_offset: int = 0,
    checksum_from_word: int = ...,
    image_out: npt.NDArray[np.float32] | None = None,
) -> ThermalArrays: ...
def decode_nmea(data: Buffer, base_offset: int = 0) -> NmeaArrays: ...
def nmea_match(data: bytes, start: int) -> tuple[int, int, tuple[Any, ...] | None]: ...
def nmea_blank(data: bytes, start: int, end: int) -> int: ...
def half_means(images: npt.ArrayLike, row_from: int = 0) -> npt.NDArray[np.float64]: ...
