# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""One compiled pass over a capture journal's bytes: records checked, channels gathered.

``drivers.journal.iter_journal`` reads a journal one Python ``Record`` at a time, which
is right for tools and tests and far too slow for an eight-hour journal (a million
records). ``walk_journal`` follows the same rules in C over the file's bytes (``bytes``,
``mmap`` or any buffer): a record counts only whole, with a known kind, a length of at
most ``MAX_RECORD_BYTES`` and a matching CRC-32 (``crc32``: zlib's, folded with
carry-less multiplication where the CPU has it); a damaged stretch is skipped to
the next record that checks and reported; a torn last record is the truncated tail; each
CHUNK record is checked against the count and SHA-256 (hashlib's, over a view, no copy)
of the records since the previous one. What it returns holds arrays, not one Python
object per record: per record, and per channel the DATA payloads end to end.

The layout is ``drivers.journal``'s (the tests check the constants agree)::

    record = A5 5A kind:u8 monotonic_ns:u64 utc_ns:i64 channel:u8 length:u32
             data[length] crc32:u32      (crc32 of kind..data, little-endian)
"""

from cpython.bytes cimport PyBytes_AS_STRING
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memchr, memcmp, memcpy

import hashlib
import mmap

import numpy as np


# CRC-32 (zlib's polynomial) by carry-less multiplication where the CPU has it: the fold of
# Gopal, Ozturk et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
# Instruction" (Intel, 2009), with the bit-reflected constants given there, as in Chromium's
# zlib. Whole 16-byte blocks are folded (64 bytes at least), the tail goes to zlib; elsewhere
# zlib does it all. The tests check it against zlib.crc32 for every length up to 4 kB.
cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    #include <zlib.h>
    #if defined(__x86_64__) && defined(__GNUC__)
    #include <immintrin.h>
    #define MAILLAGE_CRC_FOLD 1
    __attribute__((target("pclmul,sse4.1")))
    static uint32_t maillage_crc32_fold(const unsigned char *buf, size_t len, uint32_t crc)
    {
        /* len >= 64 and a multiple of 16; crc already inverted (as the fold wants it) */
        const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
        const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
        const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124LL);
        const __m128i poly = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
        __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8, y5, y6, y7, y8;
        x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
        x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
        x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
        x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
        x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
        x0 = k1k2;
        buf += 64;
        len -= 64;
        while (len >= 64) {  /* fold four blocks at a time */
            x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
            x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
            x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
            x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
            x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
            x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
            x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
            x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
            y5 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
            y6 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
            y7 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
            y8 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
            x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), y5);
            x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), y6);
            x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), y7);
            x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), y8);
            buf += 64;
            len -= 64;
        }
        x0 = k3k4;  /* fold the four into one */
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
        while (len >= 16) {  /* one block at a time */
            x2 = _mm_loadu_si128((const __m128i *)buf);
            x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
            x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
            x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
            buf += 16;
            len -= 16;
        }
        /* 128 bits to 64 */
        x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
        x3 = _mm_setr_epi32(~0, 0, ~0, 0);
        x1 = _mm_srli_si128(x1, 8);
        x1 = _mm_xor_si128(x1, x2);
        x0 = k5k0;
        x2 = _mm_srli_si128(x1, 4);
        x1 = _mm_and_si128(x1, x3);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_xor_si128(x1, x2);
        /* Barrett reduction to 32 bits */
        x0 = poly;
        x2 = _mm_and_si128(x1, x3);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
        x2 = _mm_and_si128(x2, x3);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x1 = _mm_xor_si128(x1, x2);
        return (uint32_t)_mm_extract_epi32(x1, 1);
    }
    static int maillage_crc_fold_ok = -1;
    #endif

    static uint32_t maillage_crc32(const unsigned char *buf, size_t len)
    {
        uint32_t crc = 0;
    #ifdef MAILLAGE_CRC_FOLD
        if (maillage_crc_fold_ok < 0)
            maillage_crc_fold_ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        if (maillage_crc_fold_ok && len >= 64) {
            size_t whole = len & ~(size_t)15;
            crc = ~maillage_crc32_fold(buf, whole, ~crc);
            buf += whole;
            len -= whole;
        }
    #endif
        return (uint32_t)crc32(crc, buf, (unsigned int)len);
    }

    static int maillage_crc32_folds(void)
    {
    #ifdef MAILLAGE_CRC_FOLD
        return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    #else
        return 0;
    #endif
    }
    """
    uint32_t maillage_crc32(const unsigned char* buf, size_t length) nogil
    int maillage_crc32_folds()


cdef enum:
    _HEADER = 24  # sync 2 + kind 1 + monotonic 8 + utc 8 + channel 1 + length 4
    _CRC = 4
    _MAX_RECORD = 1 << 20
    _CHUNK_BODY = 40  # seq u32, records u32, SHA-256
    _DATA = 0
    _CHANNEL = 1
    _NOTE = 2
    _CHUNK = 3

SYNC = b"\xa5\x5a"
HEADER_BYTES = _HEADER
MAX_RECORD_BYTES = _MAX_RECORD
"""Largest data of one record; a longer length field marks a damaged record."""
CHUNK_BODY_BYTES = _CHUNK_BODY
"""A CHUNK record's data: seq u32, records u32, SHA-256; any other length is damage."""
DATA, CHANNEL, NOTE, CHUNK = _DATA, _CHANNEL, _NOTE, _CHUNK


cdef struct _Rec:
    int64_t offset
    uint64_t monotonic_ns
    int64_t utc_ns
    uint32_t length
    uint8_t kind
    uint8_t channel


cdef struct _Chunk:
    int64_t seq
    int64_t start
    int64_t end
    int64_t records
    int64_t first_utc_ns
    int64_t last_utc_ns
    int64_t digest_at
    bint broken  # a damaged stretch inside, or a count that differs: bad without hashing


cdef struct _Walk:
    _Rec* recs
    Py_ssize_t n_recs, cap_recs
    _Chunk* chunks
    Py_ssize_t n_chunks, cap_chunks
    int64_t* damaged  # (offset, bytes skipped) pairs
    Py_ssize_t n_damaged, cap_damaged
    int64_t truncated_at
    int64_t data_records[256]
    int64_t data_bytes[256]


def crc32(data):
    """CRC-32 of ``data`` as the walker computes it (what ``zlib.crc32`` gives, faster)."""
    cdef const uint8_t[::1] view = memoryview(data).cast("B")
    if view.shape[0] == 0:
        return 0
    return maillage_crc32(&view[0], view.shape[0])


CRC32_FOLDS = bool(maillage_crc32_folds())
"""Whether this CPU folds CRC-32 with carry-less multiplication (else zlib does it all)."""


cdef inline uint32_t _u32(const uint8_t* p) noexcept nogil:
    return <uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline uint64_t _u64(const uint8_t* p) noexcept nogil:
    return <uint64_t>_u32(p) | (<uint64_t>_u32(p + 4) << 32)


cdef inline Py_ssize_t _record_end(const uint8_t* d, Py_ssize_t n, Py_ssize_t pos) noexcept nogil:
    """Where the record at ``pos`` ends if it is whole and checks, else -1."""
    cdef uint8_t kind
    cdef uint32_t length
    cdef Py_ssize_t end
    if pos + _HEADER > n or d[pos] != 0xA5 or d[pos + 1] != 0x5A:
        return -1
    kind = d[pos + 2]
    length = _u32(d + pos + 20)
    if kind > _CHUNK or length > _MAX_RECORD or (kind == _CHUNK and length != _CHUNK_BODY):
        return -1
    end = pos + _HEADER + length + _CRC
    if end > n:
        return -1
    if maillage_crc32(d + pos + 2, _HEADER - 2 + length) != _u32(d + end - _CRC):
        return -1
    return end


cdef Py_ssize_t _next_good(const uint8_t* d, Py_ssize_t n, Py_ssize_t start,
                           Py_ssize_t* end) noexcept nogil:
    """Offset of the next record that checks at or after ``start`` (-1: none left)."""
    cdef const uint8_t* p
    while start < n:
        p = <const uint8_t*>memchr(d + start, 0xA5, n - start)
        if p == NULL:
            return -1
        start = p - d
        end[0] = _record_end(d, n, start)
        if end[0] >= 0:
            return start
        start += 1
    return -1


cdef int _grow(void** buffer, Py_ssize_t* cap, Py_ssize_t item) noexcept nogil:
    """Double a C array's room; -1 when memory runs out."""
    cdef Py_ssize_t new_cap = cap[0] * 2 + 64
    cdef void* grown = realloc(buffer[0], new_cap * item)
    if grown == NULL:
        return -1
    buffer[0] = grown
    cap[0] = new_cap
    return 0


cdef int _walk(const uint8_t* d, Py_ssize_t n, Py_ssize_t pos, _Walk* w) noexcept nogil:
    """The record-by-record pass (the rules of ``iter_journal``); -1 when memory runs out."""
    cdef Py_ssize_t end = -1, resume
    cdef int64_t chunk_start = pos, chunk_records = 0, first_utc = 0, last_utc = 0, utc
    cdef uint8_t kind, channel
    cdef _Rec* r
    cdef _Chunk* c
    w.truncated_at = -1
    while pos < n:
        end = _record_end(d, n, pos)
        if end < 0:
            resume = _next_good(d, n, pos + 1, &end)
            if resume < 0:
                w.truncated_at = pos
                return 0
            if w.n_damaged == w.cap_damaged and _grow(
                    <void**>&w.damaged, &w.cap_damaged, 2 * sizeof(int64_t)) < 0:
                return -1
            w.damaged[2 * w.n_damaged] = pos
            w.damaged[2 * w.n_damaged + 1] = resume - pos
            w.n_damaged += 1
            chunk_records = -1  # the chunk cannot match any more
            pos = resume
        kind = d[pos + 2]
        if kind == _CHUNK:
            if w.n_chunks == w.cap_chunks and _grow(
                    <void**>&w.chunks, &w.cap_chunks, sizeof(_Chunk)) < 0:
                return -1
            c = &w.chunks[w.n_chunks]
            w.n_chunks += 1
            c.seq = _u32(d + pos + _HEADER)
            c.records = _u32(d + pos + _HEADER + 4)
            c.digest_at = pos + _HEADER + 8
            c.start, c.end = chunk_start, pos
            c.first_utc_ns, c.last_utc_ns = first_utc, last_utc
            c.broken = chunk_records != c.records
            chunk_start, chunk_records = end, 0
        else:
            utc = <int64_t>_u64(d + pos + 11)
            if chunk_records == 0:
                first_utc = utc
            last_utc = utc
            if chunk_records >= 0:
                chunk_records += 1
            if w.n_recs == w.cap_recs and _grow(<void**>&w.recs, &w.cap_recs, sizeof(_Rec)) < 0:
                return -1
            r = &w.recs[w.n_recs]
            w.n_recs += 1
            channel = d[pos + 19]
            r.offset, r.kind, r.channel, r.utc_ns = pos, kind, channel, utc
            r.monotonic_ns = _u64(d + pos + 3)
            r.length = <uint32_t>(end - pos - _HEADER - _CRC)
            if kind == _DATA:
                w.data_records[channel] += 1
                w.data_bytes[channel] += r.length
        pos = end
    return 0


def populated_bytes(Py_ssize_t n):
    """A writable uint8 array of ``n`` bytes (not zeroed) whose pages are mapped at once.

    Fresh memory costs a page fault per 4 kB page as it is first written; an anonymous map
    with ``MAP_POPULATE`` has the kernel map them all in one call, about a third cheaper for
    the hundreds of MB a journal's channels take. (Not a NumPy ``empty``: NumPy advises huge
    pages, and where the kernel compacts memory on such faults, THP defrag "madvise", that
    costs more than the copy itself.) A plain ``bytearray`` where the flag does not exist.
    """
    if n < 0:
        raise ValueError(f"a buffer cannot hold {n} bytes")
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if n == 0 or not populate:
        return np.frombuffer(bytearray(n), dtype=np.uint8)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate
    return np.frombuffer(mmap.mmap(-1, n, flags=flags), dtype=np.uint8)


cdef class ChannelData:
    """One channel's DATA records, in file order, their data end to end.

    ``payload`` (uint8 array) holds every record's data, empty records included (they add
    nothing), or is None for a walk that gathers nothing; ``ends`` (int64) is where each
    record's data ends in the channel's stream; ``utc_ns``, ``monotonic_ns`` (int64,
    uint64) its stamps; ``offset`` (int64) where the record starts in the file.
    """

    cdef readonly int channel
    cdef readonly object payload, ends, utc_ns, monotonic_ns, offset

    def __len__(self):
        return len(self.ends)

    def __repr__(self):
        total = int(self.ends[len(self.ends) - 1]) if len(self.ends) else 0
        return f"ChannelData(channel={self.channel}, records={len(self)}, bytes={total})"


cdef class JournalWalk:
    """What one pass over a journal found.

    Records (every one but CHUNK records, file order): ``offset``, ``kind``, ``channel``,
    ``monotonic_ns``, ``utc_ns``, ``length`` arrays; ``records`` their number.
    Chunks (one per CHUNK record that checks): ``chunk_seq``, ``chunk_start`` (offset after
    the previous CHUNK record, or the first record), ``chunk_end`` (the CHUNK record's
    offset), ``chunk_records`` (the count it states), ``chunk_first_utc_ns``,
    ``chunk_last_utc_ns``, ``chunk_sha256`` ((n, 32) uint8, as stated) and ``chunk_bad``
    (its count or SHA-256 does not match the records before it).
    ``damaged``: (offset, bytes skipped) of each damaged stretch skipped; ``truncated_at``:
    where a torn tail starts (None: the file ends on a whole record). ``channel_names``:
    number → name from the CHANNEL records (the last one wins); ``data``: number →
    :class:`ChannelData` of each channel with DATA records.
    """

    cdef readonly Py_ssize_t size, records
    cdef readonly object offset, kind, channel, monotonic_ns, utc_ns, length
    cdef readonly object chunk_seq, chunk_start, chunk_end, chunk_records
    cdef readonly object chunk_first_utc_ns, chunk_last_utc_ns, chunk_sha256, chunk_bad
    cdef readonly list damaged
    cdef readonly object truncated_at
    cdef readonly dict channel_names, data

    def __repr__(self):
        return (f"JournalWalk(size={self.size}, records={self.records}, "
                f"chunks={len(self.chunk_seq)}, bad={int(self.chunk_bad.sum())}, "
                f"damaged={len(self.damaged)}, truncated_at={self.truncated_at})")


def walk_journal(data, Py_ssize_t start, bint gather=True):
    """Walk the records of ``data`` (a journal's bytes) from offset ``start`` (after the magic).

    Never raises on bad bytes: whatever does not check is reported in the result.
    ``gather=False`` leaves every ``ChannelData.payload`` None: the caller keeps ``data`` and
    copies the records a block at a time with ``gather_block`` (no channel-sized copies).
    """
    cdef const uint8_t[::1] view = memoryview(data).cast("B")
    cdef Py_ssize_t n = view.shape[0]
    if not 0 <= start <= n:
        raise ValueError(f"start {start} is outside the {n} bytes")
    cdef const uint8_t* d = &view[0] if n else NULL
    cdef _Walk w
    w.recs, w.chunks, w.damaged = NULL, NULL, NULL
    w.n_recs = w.cap_recs = w.n_chunks = w.cap_chunks = w.n_damaged = w.cap_damaged = 0
    cdef Py_ssize_t i
    for i in range(256):
        w.data_records[i] = 0
        w.data_bytes[i] = 0
    cdef int status
    try:
        with nogil:
            status = _walk(d, n, start, &w)
        if status < 0:
            raise MemoryError("no memory left to walk the journal")
        return _result(data, d, n, &w, gather)
    finally:
        free(w.recs)
        free(w.chunks)
        free(w.damaged)


cdef JournalWalk _result(object data, const uint8_t* d, Py_ssize_t n, _Walk* w, bint gather):
    """Arrays out of the C buffers, the channels gathered, the chunks' SHA-256 checked."""
    cdef JournalWalk out = JournalWalk()
    cdef Py_ssize_t m = w.n_recs, i, k
    out.size, out.records = n, m
    out.truncated_at = None if w.truncated_at < 0 else w.truncated_at
    out.damaged = [(w.damaged[2 * i], w.damaged[2 * i + 1]) for i in range(w.n_damaged)]

    out.offset = np.empty(m, dtype=np.int64)
    out.kind = np.empty(m, dtype=np.uint8)
    out.channel = np.empty(m, dtype=np.uint8)
    out.monotonic_ns = np.empty(m, dtype=np.uint64)
    out.utc_ns = np.empty(m, dtype=np.int64)
    out.length = np.empty(m, dtype=np.int64)
    cdef int64_t[::1] r_off = out.offset, r_utc = out.utc_ns, r_len = out.length
    cdef uint8_t[::1] r_kind = out.kind, r_ch = out.channel
    cdef uint64_t[::1] r_mono = out.monotonic_ns
    cdef _Rec* r
    with nogil:
        for i in range(m):
            r = &w.recs[i]
            r_off[i], r_kind[i], r_ch[i] = r.offset, r.kind, r.channel
            r_mono[i], r_utc[i], r_len[i] = r.monotonic_ns, r.utc_ns, r.length

    out.channel_names = {}
    for i in range(m):
        r = &w.recs[i]
        if r.kind == _CHANNEL:
            out.channel_names[r.channel] = (
                d[r.offset + _HEADER : r.offset + _HEADER + r.length].decode("utf-8", "replace")
            )
    out.data = {}
    for k in range(256):
        if w.data_records[k]:
            out.data[k] = _gather(d, w, k, gather)
    _check_chunks(out, data, d, w)
    return out


cdef ChannelData _gather(const uint8_t* d, _Walk* w, int number, bint gather):
    """One channel's records, stamps and places, and its DATA payloads end to end if asked."""
    cdef ChannelData ch = ChannelData()
    cdef Py_ssize_t count = w.data_records[number], total = w.data_bytes[number] if gather else 0
    ch.channel = number
    ch.payload = populated_bytes(total) if gather else None
    ch.ends = np.empty(count, dtype=np.int64)
    ch.utc_ns = np.empty(count, dtype=np.int64)
    ch.monotonic_ns = np.empty(count, dtype=np.uint64)
    ch.offset = np.empty(count, dtype=np.int64)
    cdef uint8_t[::1] payload = ch.payload
    cdef uint8_t* out = &payload[0] if total else NULL
    cdef int64_t[::1] ends = ch.ends, utc = ch.utc_ns, offset = ch.offset
    cdef uint64_t[::1] mono = ch.monotonic_ns
    cdef Py_ssize_t i, j = 0, at = 0
    cdef _Rec* r
    with nogil:
        for i in range(w.n_recs):
            r = &w.recs[i]
            if r.kind != _DATA or r.channel != number:
                continue
            if gather:
                memcpy(out + at, d + r.offset + _HEADER, r.length)
            at += r.length
            ends[j], utc[j], mono[j], offset[j] = at, r.utc_ns, r.monotonic_ns, r.offset
            j += 1
    return ch


def gather_block(data, ChannelData ch not None, Py_ssize_t first, out, Py_ssize_t at, Py_ssize_t limit):
    """Copy the data of ``ch``'s records from record ``first`` into ``out`` after ``at`` bytes.

    Whole records only: the first one always, then more while the block holds less than
    ``limit`` bytes and the next record fits in ``out``; returns (the next record to copy,
    bytes now in ``out``). ``data`` is the journal the walk was made over; ``out`` a
    writable uint8 buffer of at least ``at + MAX_RECORD_BYTES`` bytes.
    """
    cdef const uint8_t[::1] view = memoryview(data).cast("B")
    cdef uint8_t[::1] dest = out
    cdef const int64_t[::1] offset = ch.offset, ends = ch.ends
    cdef Py_ssize_t n = offset.shape[0], size = dest.shape[0], length, i = first
    if not 0 <= first <= n or not 0 <= at <= size:
        raise ValueError(f"record {first} or position {at} out of range")
    if first < n and at + _MAX_RECORD > size:
        raise ValueError(f"the block needs room for {_MAX_RECORD} bytes after {at}")
    with nogil:
        while i < n and (at < limit or i == first):
            length = ends[i] - (ends[i - 1] if i else 0)
            if at + length > size:
                break
            if length:
                if offset[i] + _HEADER + length > view.shape[0]:
                    break  # not the journal this walk was made over
                memcpy(&dest[at], &view[offset[i] + _HEADER], length)
            at += length
            i += 1
    if i < n and i == first:
        raise ValueError("the channel's records are not in the given journal")
    return i, at


cdef void _check_chunks(JournalWalk out, object data, const uint8_t* d, _Walk* w) except *:
    """Each chunk's arrays; its SHA-256 recomputed over the file's bytes unless already bad."""
    cdef Py_ssize_t c = w.n_chunks, i
    out.chunk_seq = np.empty(c, dtype=np.int64)
    out.chunk_start = np.empty(c, dtype=np.int64)
    out.chunk_end = np.empty(c, dtype=np.int64)
    out.chunk_records = np.empty(c, dtype=np.int64)
    out.chunk_first_utc_ns = np.empty(c, dtype=np.int64)
    out.chunk_last_utc_ns = np.empty(c, dtype=np.int64)
    out.chunk_sha256 = np.empty((c, 32), dtype=np.uint8)
    out.chunk_bad = np.zeros(c, dtype=np.bool_)
    cdef int64_t[::1] seq = out.chunk_seq, start = out.chunk_start, end = out.chunk_end
    cdef int64_t[::1] records = out.chunk_records
    cdef int64_t[::1] first = out.chunk_first_utc_ns, last = out.chunk_last_utc_ns
    cdef uint8_t[:, ::1] digest = out.chunk_sha256
    cdef _Chunk* ck
    cdef bytes got
    mv = memoryview(data).cast("B")
    try:
        for i in range(c):
            ck = &w.chunks[i]
            seq[i], start[i], end[i], records[i] = ck.seq, ck.start, ck.end, ck.records
            first[i], last[i] = ck.first_utc_ns, ck.last_utc_ns
            memcpy(&digest[i, 0], d + ck.digest_at, 32)
            if ck.broken:
                out.chunk_bad[i] = True
                continue
            got = hashlib.sha256(mv[ck.start : ck.end]).digest()
            if memcmp(PyBytes_AS_STRING(got), d + ck.digest_at, 32) != 0:
                out.chunk_bad[i] = True
    finally:
        mv.release()
