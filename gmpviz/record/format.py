"""The .gmprec container: self-delimiting, checksummed chunks (see docs/recording-format.md).

    file   = MAGIC u32:version u32:0  chunk*  [INDX chunk [BMRK chunk] FOOTER]
    chunk  = 4s:tag u32:payload_len u32:crc32(tag + payload) payload

Every chunk can be checked on its own, so the temporary file a crash leaves behind is a valid prefix:
the reader scans it up to the last complete chunk. Encoders here are pure functions of their input
(no wall clock, fixed compression levels), so the same events give the same bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..core.trace.events import EVENT_DTYPE
from ..core.trace.stats import COUNTERS_DTYPE
from . import RecordingError

MAGIC = b"\x89GMPREC\n"  # PNG-style: a high byte catches 7-bit transfers, \n catches newline mangling
FORMAT_VERSION = 2  # 2: keyframes hold the live Gs only (g_gap + their columns); 1 (dense) still reads
PREAMBLE = struct.Struct("<8sII")  # magic, format version, reserved
CHUNK_HEAD = struct.Struct("<4sII")  # tag, payload length, crc32
FOOTER = struct.Struct("<8sQQ")  # FOOTER_MAGIC, offset of the INDX chunk, total events
FOOTER_MAGIC = b"GMPEND\x00\x01"
MAX_CHUNK_BYTES = 1 << 30  # a larger length field means corruption, not a real chunk
# Inflated sizes are bounded before any byte is inflated past them (a valid checksum says nothing
# about intent: a 2 MB chunk can inflate to 2 GiB). An event block's size follows from its declared
# count; the other blocks have a fixed ceiling far above what the writer produces.
MAX_CHUNK_EVENTS = 1 << 16  # the writer cuts at CHUNK_EVENTS (16,384)
MAX_COUNTERS_BYTES = 64 << 20  # a CNTR block holds the rows of one event chunk (~100 ms)
MAX_ARRAYS_BYTES = 256 << 20  # a keyframe of the live state, or the index
MAX_HEADER_BYTES = 4 << 20  # JSON header: the scenario text (loader limit 1 MiB) plus settings

TAG_HEAD = b"HEAD"  # JSON header (scenario text, seed, settings, versions)
TAG_EVTS = b"EVTS"  # a block of events, columnar + compressed
TAG_CNTR = b"CNTR"  # counters rows sampled since the previous CNTR
TAG_KEYF = b"KEYF"  # keyframe: the full view state after `event_index` events
TAG_INDX = b"INDX"  # chunk table + marks, only in a finalised file
TAG_BMRK = b"BMRK"  # bookmarks (JSON), optional, between INDX and the footer (record/bookmarks.py)

ZLIB_LEVEL = 6  # measured: see docs/recording-format.md ("Choosing the codec")
EVTS_HEAD = struct.Struct("<QIqq")  # first event index, count, t_first, t_last
KEYF_HEAD = struct.Struct("<Qq")  # event index, t_ns

# column order inside an EVTS body; t_ns is delta-encoded against the previous event
_COLUMNS = EVENT_DTYPE.names
_NARROW = (np.dtype("<i1"), np.dtype("<i2"), np.dtype("<i4"), np.dtype("<i8"))


def inflate(blob: bytes, limit: int, what: str) -> bytes:
    """zlib-inflate `blob` to at most `limit` bytes; RecordingError if it would be more, or is damaged."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(blob, limit + 1)
    except zlib.error as e:
        raise RecordingError(f"corrupt {what}: {e}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise RecordingError(f"corrupt {what}: it inflates to more than the {limit:,} bytes it may hold")
    if not d.eof:
        raise RecordingError(f"corrupt {what}: the compressed data ends early")
    return out


def pack_chunk(tag: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(tag + payload)
    return CHUNK_HEAD.pack(tag, len(payload), crc) + payload


def preamble() -> bytes:
    return PREAMBLE.pack(MAGIC, FORMAT_VERSION, 0)


def check_preamble(data: bytes) -> int:
    """Version of a .gmprec preamble, or RecordingError."""
    if len(data) < PREAMBLE.size:
        raise RecordingError("not a gmpviz recording: the file is too short")
    magic, version, _ = PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise RecordingError("not a gmpviz recording: bad magic bytes")
    if version > FORMAT_VERSION:
        raise RecordingError(
            f"recording format version {version} is newer than this gmpviz reads "
            f"({FORMAT_VERSION}): upgrade gmpviz"
        )
    if version < 1:
        raise RecordingError(f"recording format version {version} is not valid")
    return version


# --- events ---------------------------------------------------------------------------------------
def _narrowest(col: np.ndarray) -> np.dtype:
    if len(col) == 0:
        return _NARROW[0]
    lo, hi = int(col.min()), int(col.max())
    for dt in _NARROW:
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return dt
    return _NARROW[-1]


def encode_events(ev: np.ndarray) -> bytes:
    """Columnar body: per column a dtype code (narrowest signed int that holds it), t_ns as deltas;
    the byte planes of each column are then grouped (shuffle) so zlib sees long runs of equal bytes."""
    n = len(ev)
    codes = bytearray()
    planes = []
    for name in _COLUMNS:
        col = ev[name].astype(np.int64)
        if name == "t_ns":
            col = np.diff(col, prepend=col[:1])
        dt = _narrowest(col)
        codes.append(_NARROW.index(dt))
        narrow = col.astype(dt)
        planes.append(narrow.view(np.uint8).reshape(n, dt.itemsize).T.tobytes())
    body = bytes(codes) + b"".join(planes)
    return zlib.compress(body, ZLIB_LEVEL)


def events_body_limit(count: int) -> int:
    """The largest inflated EVTS body `count` events can have (every column 8 bytes wide)."""
    return len(_COLUMNS) * (1 + 8 * count)


def decode_events(blob: bytes, count: int, t_first: int) -> np.ndarray:
    if not 0 <= count <= MAX_CHUNK_EVENTS:
        raise RecordingError(f"corrupt event block: {count:,} events (at most {MAX_CHUNK_EVENTS:,})")
    body = inflate(blob, events_body_limit(count), "event block")
    ncol = len(_COLUMNS)
    if len(body) < ncol or any(c >= len(_NARROW) for c in body[:ncol]):
        raise RecordingError("corrupt event block: bad column codes")
    dts = [_NARROW[c] for c in body[:ncol]]
    if len(body) != ncol + count * sum(d.itemsize for d in dts):
        raise RecordingError("corrupt event block: wrong length")
    out = np.empty(count, dtype=EVENT_DTYPE)
    pos = ncol
    for name, dt in zip(_COLUMNS, dts):
        size = count * dt.itemsize
        raw = np.frombuffer(body, dtype=np.uint8, count=size, offset=pos)
        col = raw.reshape(dt.itemsize, count).T.copy().view(dt).reshape(count)
        pos += size
        if name == "t_ns":
            col = np.cumsum(col.astype(np.int64))
            col += t_first - (col[0] if count else 0)
        out[name] = col
    return out


def evts_payload(first_index: int, ev: np.ndarray) -> bytes:
    t_first = int(ev["t_ns"][0]) if len(ev) else 0
    t_last = int(ev["t_ns"][-1]) if len(ev) else 0
    return EVTS_HEAD.pack(first_index, len(ev), t_first, t_last) + encode_events(ev)


# --- counters -------------------------------------------------------------------------------------
def encode_counters(rows: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(rows, dtype=COUNTERS_DTYPE).tobytes(), ZLIB_LEVEL)


def decode_counters(blob: bytes) -> np.ndarray:
    raw = inflate(blob, MAX_COUNTERS_BYTES, "counters block")
    if len(raw) % COUNTERS_DTYPE.itemsize:
        raise RecordingError("corrupt counters block: wrong length")
    return np.frombuffer(raw, dtype=COUNTERS_DTYPE).copy()


# --- dicts of arrays (keyframes, index) ------------------------------------------------------------
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


def encode_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    """Deterministic: names sorted, little-endian dtypes, C order; then zlib."""
    out = [_U16.pack(len(arrays))]
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        a = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
        if a.ndim != 1:
            a = a.reshape(-1)
        nb, ds = name.encode(), a.dtype.str.encode()
        out += [_U16.pack(len(nb)), nb, _U16.pack(len(ds)), ds, _U32.pack(len(a)), a.tobytes()]
    return zlib.compress(b"".join(out), ZLIB_LEVEL)


_ALLOWED_KINDS = set("iufb")


def decode_arrays(blob: bytes) -> dict[str, np.ndarray]:
    raw = inflate(blob, MAX_ARRAYS_BYTES, "array block")
    try:
        (n,) = _U16.unpack_from(raw, 0)
        pos = 2
        out = {}
        for _ in range(n):
            (ln,) = _U16.unpack_from(raw, pos)
            name = raw[pos + 2 : pos + 2 + ln].decode()
            pos += 2 + ln
            (ld,) = _U16.unpack_from(raw, pos)
            dstr = raw[pos + 2 : pos + 2 + ld].decode()
            pos += 2 + ld
            dt = np.dtype(dstr)
            if dt.kind not in _ALLOWED_KINDS or dt.itemsize > 16:
                raise RecordingError(f"corrupt array block: dtype {dstr!r}")
            (cnt,) = _U32.unpack_from(raw, pos)
            pos += 4
            size = cnt * dt.itemsize
            if pos + size > len(raw):
                raise RecordingError("corrupt array block: truncated")
            out[name] = np.frombuffer(raw, dtype=dt, count=cnt, offset=pos).copy()
            pos += size
    except (struct.error, UnicodeDecodeError, TypeError) as e:
        raise RecordingError(f"corrupt array block: {e}") from None
    except ValueError as e:  # np.dtype of a mangled string
        if isinstance(e, RecordingError):
            raise
        raise RecordingError(f"corrupt array block: {e}") from None
    return out
