# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Bulk decoding of recorded sensor streams into arrays, for replaying a journal.

The incremental codecs in ``drivers.codecs`` turn bytes into one frame object at a time,
which is right for a live port and far too slow for an eight-hour journal. The functions
here read a whole byte string at once and fill NumPy arrays, with the same framing rules:
resynchronise after garbage, reject bad checksums, and count what was dropped.

Every decoder takes ``data`` (any bytes-like object) and ``base_offset`` (added to the byte
offsets it reports, so a caller decoding a journal chunk by chunk keeps global offsets). It
stops at the first frame start that needs more bytes than ``data`` holds and reports that
position as ``consumed``: the caller prepends ``data[consumed:]`` to the next chunk. Bytes
before ``consumed`` that are not part of a returned frame are counted in ``bytes_dropped``;
the unfinished tail is not (it is not judged yet).
"""

from libc.math cimport NAN
from libc.stdint cimport int16_t, int64_t, uint8_t, uint16_t
from libc.stdlib cimport strtod
from libc.string cimport memchr

import mmap

import numpy as np

def _bytes_of(data):
    """``data`` (any bytes-like object) as a 1-D byte view, else ValueError."""
    try:
        view = memoryview(data)
    except TypeError:
        raise ValueError(f"data must be bytes-like, not {type(data).__name__}") from None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view.cast("B")


# --------------------------------------------------------------------------- WitMotion IMU

cdef enum:
    _WIT_LEN = 11
    _TH_LEN = 1544
    _TH_ROWS = 24
    _TH_COLS = 32
    _NMEA_MAX = 256

cdef double _KNOT_MPS = 1852.0 / 3600.0

WIT_FRAME_LEN = _WIT_LEN
"""``55 TYPE D0..D7 SUM``: SUM is the low byte of the sum of the first 10 bytes."""
ACCEL_FULL_SCALE_G = 16.0
GYRO_FULL_SCALE_DPS = 2000.0
ANGLE_FULL_SCALE_DEG = 180.0


cdef class ImuArrays:
    """WitMotion frames decoded from a byte stream (types 0x51, 0x52, 0x53).

    For each type: ``*_offset`` is each frame's byte offset (plus ``base_offset``),
    ``*_index`` its ordinal among all good frames of any type (a device sends 0x51, 0x52,
    0x53 in turn, so the index lines them up). Values are float64.

    Counters: ``frames`` (all good frames, any type 0x50..0x5F), ``other_frames`` (good
    frames of types not decoded here: time, magnetometer, pressure, quaternion...),
    ``checksum_errors``, ``bytes_dropped`` (garbage, false starts and bad frames),
    ``consumed`` (bytes judged; the rest is an unfinished frame).
    """

    cdef readonly object accel_offset, accel_index, accel_g, temperature_c
    cdef readonly object gyro_offset, gyro_index, gyro_dps
    cdef readonly object angle_offset, angle_index, angle_deg
    cdef readonly Py_ssize_t frames, other_frames, checksum_errors, bytes_dropped, consumed

    def __repr__(self):
        return (f"ImuArrays(accel={len(self.accel_offset)}, gyro={len(self.gyro_offset)}, "
                f"angle={len(self.angle_offset)}, other={self.other_frames}, "
                f"checksum_errors={self.checksum_errors}, bytes_dropped={self.bytes_dropped}, "
                f"consumed={self.consumed})")


cdef inline double _i16(const uint8_t[::1] d, Py_ssize_t at) noexcept nogil:
    """Signed 16-bit little-endian word at ``at``, as a double."""
    return <double>(<int16_t>(<uint16_t>d[at] | (<uint16_t>d[at + 1] << 8)))


cdef inline Py_ssize_t _wit_next(const uint8_t[::1] d, Py_ssize_t* at, Py_ssize_t* checksum_errors,
                                 Py_ssize_t* dropped) noexcept nogil:
    """Start of the next good frame from ``at[0]`` (moved past it); -1 at the end, with
    ``at[0]`` then where the unfinished tail starts."""
    cdef Py_ssize_t n = d.shape[0]
    cdef Py_ssize_t i = at[0], k
    cdef unsigned int s
    cdef uint8_t t
    while i < n:
        if d[i] != 0x55:
            dropped[0] += 1
            i += 1
            continue
        if i + 1 < n:
            t = d[i + 1]
            if t < 0x50 or t > 0x5F:  # not a frame type: a stray 0x55
                dropped[0] += 1
                i += 1
                continue
        if i + _WIT_LEN > n:
            break  # unfinished frame: left for the next chunk
        s = 0
        for k in range(10):
            s += d[i + k]
        if <uint8_t>(s & 0xFF) != d[i + 10]:
            checksum_errors[0] += 1
            dropped[0] += 1
            i += 1
            continue
        at[0] = i + _WIT_LEN
        return i
    at[0] = i
    return -1


cdef Py_ssize_t _wit_scan(const uint8_t[::1] d, int64_t[::1] starts, uint8_t[::1] kinds,
                          Py_ssize_t* checksum_errors, Py_ssize_t* dropped,
                          Py_ssize_t* consumed) noexcept nogil:
    """Find the good frames: their start offsets and type bytes; returns how many."""
    cdef Py_ssize_t found = 0, at = 0, start
    while True:
        start = _wit_next(d, &at, checksum_errors, dropped)
        if start < 0:
            break
        starts[found] = start
        kinds[found] = d[start + 1]
        found += 1
    consumed[0] = at
    return found


def decode_witmotion(data, int64_t base_offset=0):
    """Decode a WitMotion (WT901/JY901 "Wit standard protocol") byte stream into arrays.

    Frames are ``55 TYPE D0..D7 SUM`` with int16 little-endian values. Scales, from the
    protocol: acceleration raw/32768 × 16 g, temperature raw/100 °C, angular rate
    raw/32768 × 2000 °/s, angles raw/32768 × 180 °. A 0x55 not followed by a type byte
    0x50..0x5F, or a frame whose SUM is wrong, is dropped one byte at a time so that a
    real frame starting inside it is still found.
    """
    cdef const uint8_t[::1] d = _bytes_of(data)
    cdef Py_ssize_t n = d.shape[0]
    starts_arr = np.empty(n // WIT_FRAME_LEN + 1, dtype=np.int64)
    kinds_arr = np.empty(n // WIT_FRAME_LEN + 1, dtype=np.uint8)
    cdef int64_t[::1] starts = starts_arr
    cdef uint8_t[::1] kinds = kinds_arr
    cdef Py_ssize_t checksum_errors = 0, dropped = 0, consumed = 0, found
    with nogil:
        found = _wit_scan(d, starts, kinds, &checksum_errors, &dropped, &consumed)

    kinds_np = kinds_arr[:found]
    cdef Py_ssize_t n_acc = int(np.count_nonzero(kinds_np == 0x51))
    cdef Py_ssize_t n_gyr = int(np.count_nonzero(kinds_np == 0x52))
    cdef Py_ssize_t n_ang = int(np.count_nonzero(kinds_np == 0x53))
    out = ImuArrays()
    out.accel_offset = np.empty(n_acc, dtype=np.int64)
    out.accel_index = np.empty(n_acc, dtype=np.int64)
    out.accel_g = np.empty((n_acc, 3), dtype=np.float64)
    out.temperature_c = np.empty(n_acc, dtype=np.float64)
    out.gyro_offset = np.empty(n_gyr, dtype=np.int64)
    out.gyro_index = np.empty(n_gyr, dtype=np.int64)
    out.gyro_dps = np.empty((n_gyr, 3), dtype=np.float64)
    out.angle_offset = np.empty(n_ang, dtype=np.int64)
    out.angle_index = np.empty(n_ang, dtype=np.int64)
    out.angle_deg = np.empty((n_ang, 3), dtype=np.float64)
    cdef int64_t[::1] a_off = out.accel_offset, a_idx = out.accel_index
    cdef int64_t[::1] g_off = out.gyro_offset, g_idx = out.gyro_index
    cdef int64_t[::1] r_off = out.angle_offset, r_idx = out.angle_index
    cdef double[:, ::1] acc = out.accel_g, gyr = out.gyro_dps, ang = out.angle_deg
    cdef double[::1] temp = out.temperature_c
    cdef double acc_scale = ACCEL_FULL_SCALE_G / 32768.0
    cdef double gyr_scale = GYRO_FULL_SCALE_DPS / 32768.0
    cdef double ang_scale = ANGLE_FULL_SCALE_DEG / 32768.0
    cdef Py_ssize_t j, p, ia = 0, ig = 0, ir = 0
    with nogil:
        for j in range(found):
            p = starts[j]
            if kinds[j] == 0x51:
                a_off[ia] = p + base_offset
                a_idx[ia] = j
                acc[ia, 0] = _i16(d, p + 2) * acc_scale
                acc[ia, 1] = _i16(d, p + 4) * acc_scale
                acc[ia, 2] = _i16(d, p + 6) * acc_scale
                temp[ia] = _i16(d, p + 8) / 100.0
                ia += 1
            elif kinds[j] == 0x52:
                g_off[ig] = p + base_offset
                g_idx[ig] = j
                gyr[ig, 0] = _i16(d, p + 2) * gyr_scale
                gyr[ig, 1] = _i16(d, p + 4) * gyr_scale
                gyr[ig, 2] = _i16(d, p + 6) * gyr_scale
                ig += 1
            elif kinds[j] == 0x53:
                r_off[ir] = p + base_offset
                r_idx[ir] = j
                ang[ir, 0] = _i16(d, p + 2) * ang_scale
                ang[ir, 1] = _i16(d, p + 4) * ang_scale
                ang[ir, 2] = _i16(d, p + 6) * ang_scale
                ir += 1
    out.frames = found
    out.other_frames = found - n_acc - n_gyr - n_ang
    out.checksum_errors = checksum_errors
    out.bytes_dropped = dropped
    out.consumed = consumed
    return out


def decode_witmotion_vertical(data, int64_t base_offset=0, end_out=None, az_out=None):
    """The vertical acceleration of a WitMotion stream only: ``(end_offset, az_g, consumed)``.

    The acceleration frames ``decode_witmotion`` finds (same framing rules), in one pass and
    with no scratch arrays: for each, where it ends (start + 11 + ``base_offset``, a byte
    offset as float64, ready to interpolate a time on) and its z value (g, gravity
    included, float64); ``consumed`` as ``ImuArrays.consumed``. What replaying a long
    journal for the road needs, in a sixth of the memory.

    ``end_out``, ``az_out``: float64 arrays with room for ``len(data) // 11 + 1`` values to
    write into (the results are then their first values): a stream decoded block by block
    fills one pair of arrays, with no copy.
    """
    cdef const uint8_t[::1] d = _bytes_of(data)
    cdef Py_ssize_t cap = d.shape[0] // _WIT_LEN + 1
    if (end_out is None) != (az_out is None):
        raise ValueError("give both end_out and az_out, or neither")
    if end_out is None:
        end_arr = np.empty(cap, dtype=np.float64)
        az_arr = np.empty(cap, dtype=np.float64)
    else:
        end_arr, az_arr = end_out, az_out
        for out in (end_arr, az_arr):
            if (not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.ndim != 1
                    or out.shape[0] < cap):
                raise ValueError(f"end_out and az_out must be float64 arrays of at least {cap}")
    cdef double[::1] end = end_arr, az = az_arr
    cdef double acc_scale = ACCEL_FULL_SCALE_G / 32768.0
    cdef Py_ssize_t checksum_errors = 0, dropped = 0, at = 0, p, ia = 0
    with nogil:
        while True:
            p = _wit_next(d, &at, &checksum_errors, &dropped)
            if p < 0:
                break
            if d[p + 1] == 0x51:
                end[ia] = <double>(p + _WIT_LEN + base_offset)
                az[ia] = _i16(d, p + 6) * acc_scale
                ia += 1
    return end_arr[:ia], az_arr[:ia], at


# --------------------------------------------------------------------------- GY-MCU90640

THERMAL_FRAME_LEN = _TH_LEN
"""``5A 5A``, size word, 768 pixels, ambient, checksum: 772 little-endian 16-bit words."""
THERMAL_ROWS = _TH_ROWS
THERMAL_COLS = _TH_COLS
THERMAL_SIZE_WORD = 0x0602
"""1538: the bytes of 768 pixels and the ambient; any other value is a false sync."""
THERMAL_CHECKSUM_FROM_WORD = 0
"""First word covered by the checksum: 0 = the ``5A 5A`` header itself.

The choice (PROTOCOLS.md says "verify"), the same as ``drivers.codecs.thermal``: the
checksum word is the 16-bit sum, modulo 65536, of the 771 little-endian words before it,
header and size word included (the module's published STM32 host example sums bytes
0..1541 as words). ``decode_thermal(..., checksum_from_word=2)`` sums pixels and ambient
only, should a firmware do that.
"""


cdef Py_ssize_t _POPULATE_FROM = 32 << 20


cdef object _populated(Py_ssize_t n):
    """A writable uint8 array of ``n`` bytes (not zeroed) whose pages are mapped at once.

    For the big outputs (an 8-hour journal's images take 180 MB): an anonymous map with
    ``MAP_POPULATE`` costs one kernel call instead of a page fault per 4 kB page as the
    decoder first writes it. NumPy's ``empty`` for smaller sizes (the allocator reuses memory
    already mapped) and where the flag does not exist.
    """
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if n < _POPULATE_FROM or not populate:
        return np.empty(n, dtype=np.uint8)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate
    return np.frombuffer(mmap.mmap(-1, n, flags=flags), dtype=np.uint8)


cdef class ThermalArrays:
    """GY-MCU90640 frames: ``image_c`` (n, 24, 32) float32 °C row-major as sent,
    ``ambient_c`` (n,) float32 °C, ``offset`` (n,) int64 byte offsets (plus ``base_offset``).
    Counters as for :class:`ImuArrays`.
    """

    cdef readonly object offset, image_c, ambient_c
    cdef readonly Py_ssize_t frames, checksum_errors, bytes_dropped, consumed

    def __repr__(self):
        return (f"ThermalArrays(frames={self.frames}, checksum_errors={self.checksum_errors}, "
                f"bytes_dropped={self.bytes_dropped}, consumed={self.consumed})")


cdef inline uint16_t _u16(const uint8_t[::1] d, Py_ssize_t at) noexcept nogil:
    return <uint16_t>(d[at] | (<uint16_t>d[at + 1] << 8))


def decode_thermal(data, int64_t base_offset=0, int checksum_from_word=THERMAL_CHECKSUM_FROM_WORD,
                   image_out=None):
    """Decode a GY-MCU90640 byte stream: 1544-byte frames, pixels and ambient int16/100 °C.

    A frame starts with ``5A 5A 02 06`` (sync and size word 0x0602); its last word must equal
    the 16-bit sum of words ``checksum_from_word`` .. 770 (see
    ``THERMAL_CHECKSUM_FROM_WORD``). A false sync or a bad frame drops one byte and the scan
    resumes, so a good frame starting inside it is still found (as ``ThermalCodec``).

    ``image_out``: a C-contiguous float32 array (k, 24, 32) with room for every frame found
    (``len(data) // 1544`` is enough) to write the images into, ``image_c`` being then its
    first frames: a stream decoded block by block fills one array, with no copy.
    """
    if not 0 <= checksum_from_word <= 770:
        raise ValueError(f"checksum_from_word must be in 0..770, not {checksum_from_word}")
    cdef const uint8_t[::1] d = _bytes_of(data)
    cdef Py_ssize_t n = d.shape[0]
    starts_arr = np.empty(n // THERMAL_FRAME_LEN + 1, dtype=np.int64)
    cdef int64_t[::1] starts = starts_arr
    cdef Py_ssize_t i = 0, k, found = 0, checksum_errors = 0, dropped = 0
    cdef Py_ssize_t first = 2 * checksum_from_word
    cdef uint16_t s
    with nogil:
        while i < n:
            if (d[i] != 0x5A or (i + 1 < n and d[i + 1] != 0x5A)
                    or (i + 3 < n and (d[i + 2] != 0x02 or d[i + 3] != 0x06))):
                dropped += 1  # not a start, or a size word other than 0x0602: false sync
                i += 1
                continue
            if i + _TH_LEN > n:
                break
            s = 0
            for k in range(first, _TH_LEN - 2, 2):
                s = <uint16_t>(s + _u16(d, i + k))
            if s != _u16(d, i + _TH_LEN - 2):
                checksum_errors += 1
                dropped += 1
                i += 1
                continue
            starts[found] = i
            found += 1
            i += _TH_LEN
    out = ThermalArrays()
    out.offset = starts_arr[:found] + base_offset
    if image_out is None:
        out.image_c = _populated(found * _TH_ROWS * _TH_COLS * 4).view(np.float32).reshape(
            found, _TH_ROWS, _TH_COLS)
    else:
        if (not isinstance(image_out, np.ndarray) or image_out.dtype != np.float32
                or image_out.shape[1:] != (_TH_ROWS, _TH_COLS)
                or not image_out.flags.c_contiguous or image_out.shape[0] < found):
            raise ValueError(f"image_out must be a C-contiguous float32 array of at least "
                             f"({found}, {_TH_ROWS}, {_TH_COLS})")
        out.image_c = image_out[:found]
    out.ambient_c = np.empty(found, dtype=np.float32)
    cdef float[:, :, ::1] img = out.image_c
    cdef float[::1] amb = out.ambient_c
    cdef Py_ssize_t j, p, r, c
    with nogil:
        for j in range(found):
            p = starts[j]
            for r in range(_TH_ROWS):
                for c in range(_TH_COLS):
                    img[j, r, c] = <float>(_i16(d, p + 4 + 2 * (r * _TH_COLS + c)) / 100.0)
            amb[j] = <float>(_i16(d, p + 4 + 2 * _TH_ROWS * _TH_COLS) / 100.0)
    out.frames = found
    out.checksum_errors = checksum_errors
    out.bytes_dropped = dropped
    out.consumed = i
    return out


def half_means(images, Py_ssize_t row_from=0):
    """Mean of the left and the right half of each image below ``row_from``: (frames, 2) float64.

    ``images`` is (frames, rows, columns) float32, as ``ThermalArrays.image_c``; the left half
    is columns ``0:columns // 2``. One pass: each column is summed down the rows in float64,
    then each half's columns are added. For GY-MCU90640 pixels (float32 hundredths of a
    degree) every sum is exact, so the means equal NumPy's ``images[:, row_from:, :half]
    .mean(axis=(1, 2), dtype=np.float64)`` (and the right half's) bit for bit.
    """
    try:
        arr = np.require(np.asarray(images, dtype=np.float32), requirements="C")
    except (TypeError, ValueError):
        raise ValueError("images must be an array of numbers") from None
    if arr.ndim != 3:
        raise ValueError(f"images must be (frames, rows, columns), not of shape {arr.shape}")
    cdef const float[:, :, ::1] img = arr
    cdef Py_ssize_t n = img.shape[0], rows = img.shape[1], width = img.shape[2]
    cdef Py_ssize_t half = width // 2
    if not 0 <= row_from < rows or half == 0:
        raise ValueError(f"no pixel below row {row_from} in halves of images {rows} x {width}")
    out_arr = np.empty((n, 2), dtype=np.float64)
    column_arr = np.empty(width, dtype=np.float64)
    cdef double[:, ::1] out = out_arr
    cdef double[::1] column = column_arr
    cdef double left, right
    cdef double count_left = <double>((rows - row_from) * half)
    cdef double count_right = <double>((rows - row_from) * (width - half))
    cdef Py_ssize_t j, r, c
    cdef const float* row
    with nogil:
        for j in range(n):
            for c in range(width):
                column[c] = 0.0
            for r in range(row_from, rows):
                row = &img[j, r, 0]
                for c in range(width):  # independent sums over whole rows: vectorised
                    column[c] += row[c]
            left = 0.0
            right = 0.0
            for c in range(half):
                left += column[c]
            for c in range(half, width):
                right += column[c]
            out[j, 0] = left / count_left
            out[j, 1] = right / count_right
    return out_arr


# --------------------------------------------------------------------------- NMEA 0183

# The one NMEA grammar of the project: the live codec (``drivers.codecs.nmea.NmeaCodec``,
# through ``nmea_match``) and the bulk decoder (``decode_nmea``) both frame and read
# sentences with the functions below, so they accept the same sentences, read the same
# values and count the same things.
#
# Framing. A sentence is ``$`` body ``*HH`` then optional spaces then its line end: the
# first CR or LF (so CR LF, LF, a lone CR and CR CR LF all end it; the rest of the line end
# is whitespace between sentences). ``HH`` is the XOR of the body in hex, either case. The
# line end is within ``NMEA_MAX_SENTENCE`` bytes of ``$``; a ``$`` before it means the real
# sentence starts there. Bytes between sentences are garbage (``bytes_dropped``) except
# CR, LF and spaces.
#
# Reading. The address is a talker (two capital letters) and a type (three capitals or
# digits), or ``P`` and a proprietary name of any length. GGA, RMC, VTG and GSA are read
# field by field; fields a receiver of an older NMEA version leaves out at the end are
# absent, fields a newer one adds are ignored. Numbers are ``-?digits[.digits]`` only (no
# ``+``, no ``_``, no exponent, no words), integers digits only; a malformed value rejects
# the sentence (counted in ``rejected`` / ``frames_rejected``), except the two tolerated
# quirks: an RMC magnetic variation whose direction is not E/W and a mode or navigation
# status that is not one capital letter are absent. A body byte outside printable ASCII
# rejects the sentence.

NMEA_MAX_SENTENCE = _NMEA_MAX
"""Longest sentence accepted, ``$`` to its first line-end byte included."""
KNOT_MPS = _KNOT_MPS

NMEA_NEED_MORE, NMEA_NOT_A_FRAME, NMEA_BAD_CHECKSUM, NMEA_REJECTED, NMEA_FRAME = 0, 1, 2, 3, 4
"""Verdicts of ``nmea_match`` (the values of ``drivers.codecs.codec.Verdict``)."""
NMEA_GGA, NMEA_RMC, NMEA_VTG, NMEA_GSA, NMEA_OTHER = 1, 2, 3, 4, 5
"""Kinds of sentence ``nmea_match`` returns."""

cdef enum:
    _V_NEED_MORE = 0
    _V_NOT_A_FRAME = 1
    _V_BAD_CHECKSUM = 2
    _V_REJECTED = 3
    _V_FRAME = 4
    _K_GGA = 1
    _K_RMC = 2
    _K_VTG = 3
    _K_GSA = 4
    _K_OTHER = 5
    _MAX_FIELDS = 40  # fields of one sentence whose start and length are kept
    _MAX_IDS = 12

cdef double[23] _POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]


cdef class GgaArrays:
    """GGA sentences: ``offset`` int64 (where the ``$`` is) and ``end_offset`` int64 (just
    past its first line-end byte: the end its time is read at); ``time_s`` float64 seconds
    since UTC midnight; ``lat_deg``, ``lon_deg`` float64 (north, east positive); ``fix_quality`` int16
    (0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 float, 6 dead reckoning); ``num_sv`` int16;
    ``hdop`` and ``altitude_m`` (MSL) float64. Empty fields are NaN, or -1 for integers.
    """

    cdef readonly object offset, end_offset, time_s, lat_deg, lon_deg, fix_quality, num_sv
    cdef readonly object hdop, altitude_m

    def __len__(self):
        return len(self.offset)


cdef class RmcArrays:
    """RMC sentences: ``offset``, ``end_offset``, ``time_s``, ``lat_deg``, ``lon_deg`` as GGA; ``valid``
    bool (status A); ``speed_mps`` and ``course_deg`` float64; ``date`` int32 as
    ``yyyymmdd`` (two-digit years read in 1980..2079, as the codec; 0 when empty). Empty
    fields are NaN.
    """

    cdef readonly object offset, end_offset, time_s, lat_deg, lon_deg, valid, speed_mps
    cdef readonly object course_deg, date

    def __len__(self):
        return len(self.offset)


cdef class NmeaArrays:
    """GGA and RMC sentences of a stream, and the counters.

    ``sentences`` counts every sentence accepted (the codec's ``frames``); ``other_sentences``
    the accepted ones that are not GGA or RMC (VTG, GSA, GSV, proprietary...), which the fast
    path checks but does not return; ``rejected`` sentences have a good checksum but a
    malformed address or field (the codec's ``frames_rejected``).
    """

    cdef readonly GgaArrays gga
    cdef readonly RmcArrays rmc
    cdef readonly Py_ssize_t sentences, other_sentences, rejected, checksum_errors
    cdef readonly Py_ssize_t bytes_dropped, consumed

    def __repr__(self):
        return (f"NmeaArrays(gga={len(self.gga)}, rmc={len(self.rmc)}, "
                f"other={self.other_sentences}, rejected={self.rejected}, "
                f"checksum_errors={self.checksum_errors}, bytes_dropped={self.bytes_dropped}, "
                f"consumed={self.consumed})")


cdef inline int _hex(uint8_t c) noexcept nogil:
    """Value of a hex digit (either case), or -1."""
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    return -1


cdef inline bint _upper(uint8_t c) noexcept nogil:
    return 0x41 <= c <= 0x5A


cdef inline bint _digit(uint8_t c) noexcept nogil:
    return 0x30 <= c <= 0x39


cdef inline bint _blank(uint8_t c) noexcept nogil:
    """CR, LF or space: what may separate sentences without being garbage."""
    return c == 0x0D or c == 0x0A or c == 0x20


cdef int _number(const uint8_t* p, Py_ssize_t n, double* out) noexcept nogil:
    """A decimal field ``-?digits[.digits]`` (a digit at least): 0 empty, 1 parsed, -1 malformed.

    Up to 15 significant digits and 22 decimals the value is ``mantissa / 10**k`` with both
    exact in binary, so the one division is correctly rounded: the same double as Python's
    ``float()`` of the text. Longer fields go through ``strtod`` (correctly rounded too; the
    field is followed by ``,`` or ``*``, where it stops).
    """
    if n == 0:
        return 0
    cdef Py_ssize_t i = 0, significant = 0, frac = 0
    cdef bint neg = False, dot = False, any_digit = False
    cdef double mant = 0.0
    cdef char* end
    if p[0] == 0x2D:  # -
        neg = True
        i = 1
    while i < n:
        if _digit(p[i]):
            any_digit = True
            if mant != 0.0 or p[i] != 0x30:
                significant += 1
            mant = mant * 10.0 + (p[i] - 0x30)
            if dot:
                frac += 1
        elif p[i] == 0x2E and not dot:  # .
            dot = True
        else:
            return -1
        i += 1
    if not any_digit:
        return -1
    if significant > 15 or frac > 22:
        out[0] = strtod(<const char*>p, &end)
        return 1 if end == <char*>(p + n) else -1
    out[0] = -(mant / _POW10[frac]) if neg else mant / _POW10[frac]
    return 1


cdef int _uint(const uint8_t* p, Py_ssize_t n, long* out) noexcept nogil:
    """Unsigned integer field, digits only: 0 empty, 1 parsed, -1 malformed."""
    if n == 0:
        return 0
    if n > 9:
        return -1
    cdef long v = 0
    cdef Py_ssize_t i
    for i in range(n):
        if not _digit(p[i]):
            return -1
        v = v * 10 + (p[i] - 0x30)
    out[0] = v
    return 1


cdef int _time_of_day(const uint8_t* p, Py_ssize_t n, int64_t* out) noexcept nogil:
    """``hhmmss[.s…]`` → microseconds since UTC midnight (decimals past the sixth dropped);
    0 empty, 1 parsed, -1 malformed (a leap second 60 included: it has no time of day)."""
    if n == 0:
        return 0
    if n < 6 or n == 7:
        return -1
    cdef Py_ssize_t i
    for i in range(6):
        if not _digit(p[i]):
            return -1
    if n > 6 and p[6] != 0x2E:
        return -1
    cdef int64_t micro = 0, scale = 100000
    for i in range(7, n):
        if not _digit(p[i]):
            return -1
        if scale:
            micro += (p[i] - 0x30) * scale
            scale //= 10
    cdef int hh = (p[0] - 0x30) * 10 + (p[1] - 0x30)
    cdef int mm = (p[2] - 0x30) * 10 + (p[3] - 0x30)
    cdef int ss = (p[4] - 0x30) * 10 + (p[5] - 0x30)
    if hh > 23 or mm > 59 or ss > 59:
        return -1
    out[0] = ((hh * 60 + mm) * 60 + ss) * <int64_t>1000000 + micro
    return 1


cdef int _angle(const uint8_t* p, Py_ssize_t n, const uint8_t* h, Py_ssize_t hn,
                bint is_lat, double* out) noexcept nogil:
    """``(d)ddmm[.mmmm]`` and its hemisphere → signed degrees; 0 both empty, 1, or -1."""
    if n == 0 and hn == 0:
        return 0
    if hn != 1 or n == 0:
        return -1
    cdef double sign
    if is_lat and h[0] == 0x4E or not is_lat and h[0] == 0x45:  # N E
        sign = 1.0
    elif is_lat and h[0] == 0x53 or not is_lat and h[0] == 0x57:  # S W
        sign = -1.0
    else:
        return -1
    cdef Py_ssize_t dot = 0
    while dot < n and p[dot] != 0x2E:
        dot += 1
    if dot < 3 or dot > 5 or dot + 1 == n:  # 1 to 3 degree digits, 2 minute digits
        return -1
    cdef long deg
    cdef double minutes
    if _uint(p, dot - 2, &deg) != 1 or not _digit(p[dot - 2]) or not _digit(p[dot - 1]):
        return -1
    if _number(p + dot - 2, n - dot + 2, &minutes) != 1 or not (0.0 <= minutes < 60.0):
        return -1
    cdef double value = deg + minutes / 60.0
    if value > (90.0 if is_lat else 180.0):
        return -1
    out[0] = sign * value
    return 1


cdef inline bint _date_ok(long y, long m, long d) noexcept nogil:
    cdef int days
    if m < 1 or m > 12 or d < 1:
        return False
    if m == 2:
        days = 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    elif m == 4 or m == 6 or m == 9 or m == 11:
        days = 30
    else:
        days = 31
    return d <= days


cdef int _date(const uint8_t* p, Py_ssize_t n, long* out) noexcept nogil:
    """``ddmmyy`` → ``yyyymmdd`` (years 1980..2079: GPS began in 1980); 0, 1 or -1."""
    if n == 0:
        return 0
    cdef long dd, mm, yy
    if n != 6 or _uint(p, 2, &dd) != 1 or _uint(p + 2, 2, &mm) != 1 or _uint(p + 4, 2, &yy) != 1:
        return -1
    yy += 1900 if yy >= 80 else 2000
    if not _date_ok(yy, mm, dd):
        return -1
    out[0] = yy * 10000 + mm * 100 + dd
    return 1


cdef inline bint _letter_field(Py_ssize_t n, const uint8_t* p) noexcept nogil:
    """A one-capital-letter field (mode, status): anything else is absent where tolerated."""
    return n == 1 and _upper(p[0])


cdef inline bint _unit(const uint8_t* p, Py_ssize_t n, uint8_t letter) noexcept nogil:
    """A unit field: empty or exactly ``letter``."""
    return n == 0 or n == 1 and p[0] == letter


cdef struct _Sentence:
    # framing
    Py_ssize_t star, length, nf
    Py_ssize_t fs[_MAX_FIELDS]
    Py_ssize_t fl[_MAX_FIELDS]
    int kind
    # values (NaN, -1 or 0 when absent)
    int64_t time_us
    double lat, lon, hdop, alt, geoid, age, speed, course, course_mag, variation, pdop, vdop
    long fix, sv, date, system
    int n_ids
    long ids[_MAX_IDS]
    bint valid
    Py_ssize_t station, mode  # field index of a text value, 0 when absent


cdef inline bint _ok(int got) noexcept nogil:
    return got >= 0


cdef int _read_gga(const uint8_t* b, _Sentence* s) noexcept nogil:
    """GGA fields 1..14 (13 at least: some receivers leave the DGPS station out); 1 or -1."""
    cdef Py_ssize_t* fs = s.fs
    cdef Py_ssize_t* fl = s.fl
    cdef Py_ssize_t nf = s.nf
    if nf < 14:
        return -1
    if not (_ok(_time_of_day(b + fs[1], fl[1], &s.time_us))
            and _ok(_angle(b + fs[2], fl[2], b + fs[3], fl[3], True, &s.lat))
            and _ok(_angle(b + fs[4], fl[4], b + fs[5], fl[5], False, &s.lon))
            and _ok(_uint(b + fs[6], fl[6], &s.fix))):
        return -1
    if (_uint(b + fs[7], fl[7], &s.sv) < 0 or _number(b + fs[8], fl[8], &s.hdop) < 0
            or _number(b + fs[9], fl[9], &s.alt) < 0 or not _unit(b + fs[10], fl[10], 0x4D)
            or _number(b + fs[11], fl[11], &s.geoid) < 0 or not _unit(b + fs[12], fl[12], 0x4D)
            or _number(b + fs[13], fl[13], &s.age) < 0):
        return -1
    if nf > 14 and fl[14]:
        s.station = 14
    return 1


cdef int _read_rmc(const uint8_t* b, _Sentence* s) noexcept nogil:
    """RMC fields 1..12 (those present: at least up to the date, as NMEA 1.5 receivers);
    1 or -1."""
    cdef Py_ssize_t* fs = s.fs
    cdef Py_ssize_t* fl = s.fl
    cdef Py_ssize_t nf = s.nf
    cdef double knots
    cdef int got
    if nf < 10:
        return -1
    if fl[2] != 1 or b[fs[2]] != 0x41 and b[fs[2]] != 0x56:  # A V
        return -1
    s.valid = b[fs[2]] == 0x41
    if not (_ok(_time_of_day(b + fs[1], fl[1], &s.time_us))
            and _ok(_angle(b + fs[3], fl[3], b + fs[4], fl[4], True, &s.lat))
            and _ok(_angle(b + fs[5], fl[5], b + fs[6], fl[6], False, &s.lon))
            and _ok(_number(b + fs[8], fl[8], &s.course))
            and _ok(_date(b + fs[9], fl[9], &s.date))):
        return -1
    got = _number(b + fs[7], fl[7], &knots)
    if got < 0:
        return -1
    if got == 1:
        s.speed = knots * _KNOT_MPS
    if nf > 10:
        got = _number(b + fs[10], fl[10], &s.variation)
        if got < 0:
            return -1
        if nf > 11 and fl[11] == 1 and b[fs[11]] == 0x57:  # W
            s.variation = -s.variation
        elif not (nf > 11 and fl[11] == 1 and b[fs[11]] == 0x45):  # E: else no direction
            s.variation = NAN
    if nf > 12 and _letter_field(fl[12], b + fs[12]):
        s.mode = 12
    return 1


cdef int _read_vtg(const uint8_t* b, _Sentence* s) noexcept nogil:
    """VTG fields 1..9 (NMEA 2.x and later: at least up to the km/h unit); 1 or -1."""
    cdef Py_ssize_t* fs = s.fs
    cdef Py_ssize_t* fl = s.fl
    cdef double knots, kmh
    cdef int got_knots, got_kmh
    if s.nf < 9:
        return -1
    if not (_unit(b + fs[2], fl[2], 0x54) and _unit(b + fs[4], fl[4], 0x4D)
            and _unit(b + fs[6], fl[6], 0x4E) and _unit(b + fs[8], fl[8], 0x4B)):
        return -1
    got_knots = _number(b + fs[5], fl[5], &knots)
    got_kmh = _number(b + fs[7], fl[7], &kmh)
    if got_knots < 0 or got_kmh < 0:
        return -1
    if not (_ok(_number(b + fs[1], fl[1], &s.course)) and _ok(_number(b + fs[3], fl[3], &s.course_mag))):
        return -1
    if got_knots == 1:
        s.speed = knots * _KNOT_MPS
    elif got_kmh == 1:
        s.speed = kmh * (1000.0 / 3600.0)
    if s.nf > 9 and _letter_field(fl[9], b + fs[9]):
        s.mode = 9
    return 1


cdef int _read_gsa(const uint8_t* b, _Sentence* s) noexcept nogil:
    """GSA fields 1..18: selection mode, fix type, 12 satellite slots, PDOP, HDOP, VDOP, and
    the NMEA 4.1 system ID (one hex digit) when present; 1 or -1."""
    cdef Py_ssize_t* fs = s.fs
    cdef Py_ssize_t* fl = s.fl
    cdef Py_ssize_t k
    cdef long sv
    cdef int got
    if s.nf < 18:
        return -1
    if fl[1] == 1 and _upper(b[fs[1]]):
        s.mode = 1
    elif fl[1] != 0:
        return -1
    if _uint(b + fs[2], fl[2], &s.fix) < 0:
        return -1
    for k in range(3, 15):
        got = _uint(b + fs[k], fl[k], &sv)
        if got < 0:
            return -1
        if got == 1:
            s.ids[s.n_ids] = sv
            s.n_ids += 1
    if not (_ok(_number(b + fs[15], fl[15], &s.pdop)) and _ok(_number(b + fs[16], fl[16], &s.hdop))
            and _ok(_number(b + fs[17], fl[17], &s.vdop))):
        return -1
    if s.nf > 18 and fl[18]:
        if fl[18] != 1 or _hex(b[fs[18]]) < 0:
            return -1
        s.system = _hex(b[fs[18]])
    return 1


cdef int _nmea_frame(const uint8_t* b, Py_ssize_t i, Py_ssize_t n, _Sentence* s) noexcept nogil:
    """Frame the sentence whose ``$`` is at ``i``: a verdict; on ``_V_FRAME`` ``s.star`` and
    ``s.length`` are set and the sentence is still to be read (``_nmea_read``)."""
    cdef Py_ssize_t limit = i + _NMEA_MAX, j = i + 1, k, star
    cdef bint cut = limit > n
    cdef uint8_t x = 0, c
    cdef int hi, lo
    if cut:
        limit = n
    while j < limit:
        c = b[j]
        if c == 0x0D or c == 0x0A or c == 0x24:
            break
        x ^= c
        j += 1
    if j >= limit:
        return _V_NEED_MORE if cut else _V_NOT_A_FRAME
    if b[j] == 0x24:  # a later '$' starts the real sentence
        return _V_NOT_A_FRAME
    k = j
    while k > i + 1 and b[k - 1] == 0x20:
        x ^= 0x20
        k -= 1
    star = k - 3
    if star <= i or b[star] != 0x2A:  # *
        return _V_NOT_A_FRAME
    x ^= b[star] ^ b[star + 1] ^ b[star + 2]
    hi = _hex(b[star + 1])
    lo = _hex(b[star + 2])
    if hi < 0 or lo < 0 or x != ((hi << 4) | lo):
        return _V_BAD_CHECKSUM
    s.star = star
    s.length = j + 1 - i
    return _V_FRAME


cdef int _address(const uint8_t* b, Py_ssize_t n) noexcept nogil:
    """The kind of sentence this address names, or 0 when malformed."""
    cdef Py_ssize_t k
    if n >= 2 and b[0] == 0x50:  # P: proprietary, a maker's name of any length
        for k in range(1, n):
            if not (_upper(b[k]) or _digit(b[k])):
                return 0
        return _K_OTHER
    if n != 5 or not (_upper(b[0]) and _upper(b[1])):
        return 0
    for k in range(2, 5):
        if not (_upper(b[k]) or _digit(b[k])):
            return 0
    if b[2] == 0x47 and b[3] == 0x47 and b[4] == 0x41:
        return _K_GGA
    if b[2] == 0x52 and b[3] == 0x4D and b[4] == 0x43:
        return _K_RMC
    if b[2] == 0x56 and b[3] == 0x54 and b[4] == 0x47:
        return _K_VTG
    if b[2] == 0x47 and b[3] == 0x53 and b[4] == 0x41:
        return _K_GSA
    return _K_OTHER


cdef int _nmea_read(const uint8_t* b, Py_ssize_t i, _Sentence* s) noexcept nogil:
    """Split and read a framed sentence: ``_V_FRAME`` (``s.kind`` set) or ``_V_REJECTED``."""
    cdef Py_ssize_t j, star = s.star, nf = 0
    cdef int got
    for j in range(i + 1, star):
        if b[j] < 0x20 or b[j] > 0x7E:
            return _V_REJECTED
    s.fs[0] = i + 1
    for j in range(i + 1, star):
        if b[j] == 0x2C:  # ,
            s.fl[nf] = j - s.fs[nf]
            nf += 1
            if nf == _MAX_FIELDS:
                break
            s.fs[nf] = j + 1
    if nf < _MAX_FIELDS:
        s.fl[nf] = star - s.fs[nf]
        nf += 1
    s.nf = nf
    s.kind = _address(b + s.fs[0], s.fl[0])
    s.time_us = -1
    s.lat = NAN; s.lon = NAN; s.hdop = NAN; s.alt = NAN; s.geoid = NAN; s.age = NAN
    s.speed = NAN; s.course = NAN; s.course_mag = NAN; s.variation = NAN
    s.pdop = NAN; s.vdop = NAN
    s.fix = -1; s.sv = -1; s.date = 0; s.system = -1; s.n_ids = 0; s.valid = False
    s.station = 0; s.mode = 0
    if s.kind == _K_GGA:
        got = _read_gga(b, s)
    elif s.kind == _K_RMC:
        got = _read_rmc(b, s)
    elif s.kind == _K_VTG:
        got = _read_vtg(b, s)
    elif s.kind == _K_GSA:
        got = _read_gsa(b, s)
    elif s.kind == _K_OTHER:
        got = 1
    else:
        got = -1
    return _V_FRAME if got == 1 else _V_REJECTED


cdef inline object _opt_f(double v):
    return None if v != v else v


cdef inline object _opt_i(long v):
    return None if v < 0 else v


cdef object _text(const uint8_t* b, _Sentence* s, Py_ssize_t k):
    if k == 0:
        return None
    return (<const char*>(b + s.fs[k]))[:s.fl[k]].decode("ascii")


cdef object _values(const uint8_t* b, _Sentence* s):
    """The sentence's values as a tuple for ``drivers.codecs.nmea`` to build its frame."""
    cdef object talker
    cdef const char* a = <const char*>(b + s.fs[0])
    if a[0] == 0x50:  # P
        talker, kind = "P", a[1:s.fl[0]].decode("ascii")
    else:
        talker, kind = a[:2].decode("ascii"), a[2:s.fl[0]].decode("ascii")
    time_us = None if s.time_us < 0 else s.time_us
    if s.kind == _K_GGA:
        return (_K_GGA, talker, time_us, _opt_f(s.lat), _opt_f(s.lon), _opt_i(s.fix),
                _opt_i(s.sv), _opt_f(s.hdop), _opt_f(s.alt), _opt_f(s.geoid), _opt_f(s.age),
                _text(b, s, s.station))
    if s.kind == _K_RMC:
        return (_K_RMC, talker, time_us, bool(s.valid), _opt_f(s.lat), _opt_f(s.lon),
                _opt_f(s.speed), _opt_f(s.course), s.date or None, _opt_f(s.variation),
                _text(b, s, s.mode))
    if s.kind == _K_VTG:
        return (_K_VTG, talker, _opt_f(s.course), _opt_f(s.course_mag), _opt_f(s.speed),
                _text(b, s, s.mode))
    if s.kind == _K_GSA:
        return (_K_GSA, talker, _text(b, s, s.mode), _opt_i(s.fix),
                tuple([s.ids[k] for k in range(s.n_ids)]), _opt_f(s.pdop), _opt_f(s.hdop),
                _opt_f(s.vdop), _opt_i(s.system))
    body = (<const char*>(b + s.fs[0]))[:s.star - s.fs[0]].decode("ascii")
    return (_K_OTHER, talker, kind, tuple(body.split(",")[1:]))


def nmea_match(bytes data, Py_ssize_t start):
    """Judge the candidate sentence whose ``$`` is at ``data[start]``: ``(verdict, length,
    values)`` — the live codec's ``_match`` (``drivers.codecs.nmea``).

    ``verdict`` is one of ``NMEA_NEED_MORE`` .. ``NMEA_FRAME``; ``length`` the bytes to take
    (the sentence) or to drop (1 for a false start or a bad checksum); ``values`` is set with
    ``NMEA_FRAME`` only: a tuple whose first item is the kind (``NMEA_GGA`` ...), then the
    talker and the values of the kind's frame in order (times as microseconds since UTC
    midnight, dates as ``yyyymmdd``, absent values None).
    """
    cdef Py_ssize_t n = len(data)
    if not 0 <= start < n or data[start] != 0x24:
        raise ValueError(f"no '$' at {start} in {n} bytes")
    cdef const uint8_t* b = <const uint8_t*><const char*>data
    cdef _Sentence s
    cdef int verdict = _nmea_frame(b, start, n, &s)
    if verdict != _V_FRAME:
        return (verdict, 0 if verdict == _V_NEED_MORE else 1, None)
    verdict = _nmea_read(b, start, &s)
    if verdict != _V_FRAME:
        return (verdict, s.length, None)
    return (_V_FRAME, s.length, _values(b, &s))


def nmea_blank(bytes data, Py_ssize_t start, Py_ssize_t end):
    """How many of ``data[start:end]`` are CR, LF or spaces (not garbage between sentences)."""
    cdef Py_ssize_t n = len(data), k, count = 0
    if not 0 <= start <= end <= n:
        raise ValueError(f"range {start}..{end} is not within {n} bytes")
    cdef const uint8_t* b = <const uint8_t*><const char*>data
    for k in range(start, end):
        if _blank(b[k]):
            count += 1
    return count


def decode_nmea(data, int64_t base_offset=0):
    """Decode the GGA and RMC sentences of an NMEA 0183 byte stream into arrays (any talker).

    The grammar is the module's one (see the NMEA section's comment), shared with the live
    codec: the same sentences are accepted, rejected and counted. Positions are signed
    decimal degrees, speed m/s, time seconds since UTC midnight. ``offset`` is where each
    sentence's ``$`` is (plus ``base_offset``).
    """
    cdef const uint8_t[::1] d = _bytes_of(data)
    cdef Py_ssize_t n = d.shape[0]
    cdef const uint8_t* b = NULL
    if n:
        b = &d[0]
    cdef Py_ssize_t cap = n // 16 + 1  # a sentence is at least 16 bytes long
    g_off = np.empty(cap, dtype=np.int64)
    g_end = np.empty(cap, dtype=np.int64)
    r_end = np.empty(cap, dtype=np.int64)
    g_val = np.empty((cap, 5), dtype=np.float64)
    g_int = np.empty((cap, 2), dtype=np.int16)
    r_off = np.empty(cap, dtype=np.int64)
    r_val = np.empty((cap, 5), dtype=np.float64)
    r_ok = np.empty(cap, dtype=np.uint8)
    r_date = np.empty(cap, dtype=np.int32)
    cdef int64_t[::1] go = g_off, ro = r_off, ge = g_end, re = r_end
    cdef double[:, ::1] gv = g_val, rv = r_val
    cdef int16_t[:, ::1] gi = g_int
    cdef uint8_t[::1] rk = r_ok
    cdef int[::1] rd = r_date
    cdef Py_ssize_t i = 0, ng = 0, nr = 0
    cdef Py_ssize_t sentences = 0, other = 0, rejected = 0, bad = 0, dropped = 0
    cdef int verdict
    cdef _Sentence s
    with nogil:
        while i < n:
            if b[i] != 0x24:  # $
                if not _blank(b[i]):
                    dropped += 1
                i += 1
                continue
            verdict = _nmea_frame(b, i, n, &s)
            if verdict == _V_NEED_MORE:
                break  # unfinished sentence: left for the next chunk
            if verdict != _V_FRAME:
                if verdict == _V_BAD_CHECKSUM:
                    bad += 1
                dropped += 1
                i += 1
                continue
            if _nmea_read(b, i, &s) != _V_FRAME:
                rejected += 1
                dropped += s.length
            elif s.kind == _K_GGA:
                go[ng] = i + base_offset
                ge[ng] = i + s.length + base_offset
                gv[ng, 0] = NAN if s.time_us < 0 else s.time_us / 1e6
                gv[ng, 1] = s.lat
                gv[ng, 2] = s.lon
                gv[ng, 3] = s.hdop
                gv[ng, 4] = s.alt
                gi[ng, 0] = <int16_t>s.fix if s.fix < 32768 else -1
                gi[ng, 1] = <int16_t>s.sv if s.sv < 32768 else -1
                ng += 1
                sentences += 1
            elif s.kind == _K_RMC:
                ro[nr] = i + base_offset
                re[nr] = i + s.length + base_offset
                rv[nr, 0] = NAN if s.time_us < 0 else s.time_us / 1e6
                rv[nr, 1] = s.lat
                rv[nr, 2] = s.lon
                rv[nr, 3] = s.speed
                rv[nr, 4] = s.course
                rk[nr] = s.valid
                rd[nr] = s.date
                nr += 1
                sentences += 1
            else:
                other += 1
                sentences += 1
            i += s.length

    gga_out = GgaArrays()
    gga_out.offset = g_off[:ng].copy()
    gga_out.end_offset = g_end[:ng].copy()
    gga_out.time_s = g_val[:ng, 0].copy()
    gga_out.lat_deg = g_val[:ng, 1].copy()
    gga_out.lon_deg = g_val[:ng, 2].copy()
    gga_out.hdop = g_val[:ng, 3].copy()
    gga_out.altitude_m = g_val[:ng, 4].copy()
    gga_out.fix_quality = g_int[:ng, 0].copy()
    gga_out.num_sv = g_int[:ng, 1].copy()
    rmc_out = RmcArrays()
    rmc_out.offset = r_off[:nr].copy()
    rmc_out.end_offset = r_end[:nr].copy()
    rmc_out.time_s = r_val[:nr, 0].copy()
    rmc_out.lat_deg = r_val[:nr, 1].copy()
    rmc_out.lon_deg = r_val[:nr, 2].copy()
    rmc_out.speed_mps = r_val[:nr, 3].copy()
    rmc_out.course_deg = r_val[:nr, 4].copy()
    rmc_out.valid = r_ok[:nr].astype(bool)
    rmc_out.date = r_date[:nr].copy()
    out = NmeaArrays()
    out.gga = gga_out
    out.rmc = rmc_out
    out.sentences = sentences
    out.other_sentences = other
    out.rejected = rejected
    out.checksum_errors = bad
    out.bytes_dropped = dropped
    out.consumed = i
    return out
