"""Reading a Go execution trace's generations: batches, tables, and the events decoded with numpy.

Follows `internal/trace`: `version.ReadHeader`, `readBatch` (batch.go), `readGeneration` and
`readGenerationWithSpill` (generation.go: the string, stack and CPU-sample tables, the Sync batch with
the frequency and the clock snapshot, experimental batches) and `batchCursor.nextEvent`
(batchcursor.go: the timestamps). The events of a generation's ordinary batches are decoded for all
batches at once, without a Python step per event:

* LEB128 varints end at a byte below 0x80, and so does every ordinary event's type byte, so the bytes
  split into "tokens" at those bytes (`np.flatnonzero`). An experimental event's type byte (>= 0x80)
  joins its time-delta token.
* An event is its type token and a fixed count of argument tokens (the spec's `Args`), so the event
  starts of every batch are found by walking all batches in lockstep, one event per step.
* Every token's value is decoded in a few vector passes (one per varint byte), and the times are a
  cumulative sum of the scaled deltas per batch, as `batchCursor.nextEvent` adds them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import os
import stat

import numpy as np

from . import spec as S


class TraceError(ValueError):
    """A trace that cannot be read (not a Go trace, unsupported version, or broken): one line."""


# Bytes of batch data decoded in one vector pass; bounds the transient arrays (~25 bytes per byte).
CHUNK_BYTES = 1 << 20

# Tokens per event for the lockstep walk: the type token plus the varints (experimental types share
# their first token with the time delta). 0 marks a type that is not a timed event.
_NTOK = np.zeros(256, np.int64)
for _t in S.TIMED:
    _NTOK[_t] = S.NARGS[_t] + (1 if _t < 0x80 else 0)


def uvarint(buf, pos: int, end: int) -> tuple[int, int]:
    """binary.Uvarint over buf[pos:end]: (value, next position); TraceError on overflow or the end."""
    x = 0
    s = 0
    for i in range(10):
        if pos + i >= end:
            raise TraceError("unexpected end of data inside a varint")
        b = buf[pos + i]
        if b < 0x80:
            if i == 9 and b > 1:
                raise TraceError("varint overflows a 64-bit integer")
            return x | (b << s), pos + i + 1
        x |= (b & 0x7F) << s
        s += 7
    raise TraceError("varint overflows a 64-bit integer")


@dataclasses.dataclass
class Batch:
    """One batch: its M, base timestamp, experiment, and where its data sits in the file."""

    m: int
    ts: int
    exp: int
    off: int
    size: int
    eog: bool = False  # the in-band EndOfGeneration byte (Go 1.26), not a batch


@dataclasses.dataclass
class Generation:
    """A generation's tables and its ordinary batches (generation.go `generation` and `evTable`)."""

    gen: int = 0
    freq: float = 0.0  # nanoseconds per timestamp unit (frequency in base.go)
    has_clock_snapshot: bool = False
    snap_time: int = 0
    snap_mono: int = 0
    snap_sec: int = 0
    snap_nsec: int = 0
    min_ts: int = 0
    strings: dict = dataclasses.field(default_factory=dict)
    stacks: dict = dataclasses.field(default_factory=dict)  # id -> tuple of PCs
    pcs: dict = dataclasses.field(default_factory=dict)  # pc -> (func string ID, file string ID, line)
    cpu_samples: list = dataclasses.field(default_factory=list)  # (time ns, m, p, g, stack)
    exp_batches: dict = dataclasses.field(default_factory=dict)  # experiment -> [(m, bytes)]
    batch_ms: list = dataclasses.field(default_factory=list)
    batches: dict = dataclasses.field(default_factory=dict)  # m -> [Batch]
    extra_strings: list = dataclasses.field(default_factory=list)  # evTable.extraStrings
    extra_string_ids: dict = dataclasses.field(default_factory=dict)

    def mul(self, ts: int) -> int:
        """frequency.mul: a raw timestamp in nanoseconds (float64 product, truncated as Go's Time())."""
        return _f2i(float(ts) * self.freq)

    def add_extra_string(self, s: str) -> int:
        if not s:
            return 0
        got = self.extra_string_ids.get(s)
        if got is None:
            self.extra_strings.append(s)
            got = self.extra_string_ids[s] = len(self.extra_strings)
        return got

    def extra_string(self, i: int) -> str:
        return self.extra_strings[i - 1] if i else ""

    def string(self, i: int) -> str:
        return "" if i == 0 else self.strings[i]

    def has_string(self, i: int) -> bool:
        return i == 0 or i in self.strings

    def has_stack(self, i: int) -> bool:
        return i == 0 or i in self.stacks

    def alloc_free_info(self) -> dict | None:
        """The AllocFree info batch (traceallocfree.go traceSnapshotMemory): the ID bases, or None."""
        for _m, data in self.exp_batches.get(S.AllocFree, ()):
            if data and data[0] == 1:  # traceAllocFreeInfoBatch
                try:
                    vals, pos = [], 1
                    for _ in range(4):
                        v, pos = uvarint(data, pos, len(data))
                        vals.append(v)
                except TraceError:
                    return None
                return dict(
                    min_page_heap_addr=vals[0], page_size=vals[1], min_heap_align=vals[2], fixed_stack=vals[3]
                )
        return None


def _f2i(x: float) -> int:
    """Go's int64(float64) for the values a sane trace has; out-of-range values saturate."""
    if x != x:
        return 0
    if x >= 9.223372036854776e18:
        return (1 << 63) - 1
    if x <= -9.223372036854776e18:
        return -(1 << 63)
    return int(x)


def open_regular(path: str):
    """`path` opened for reading in binary, or OSError/TraceError (one line): a pipe or a device
    would block or never end, so only regular files are read (opened without blocking, then checked)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise TraceError(f"{path} is a directory")
        if not stat.S_ISREG(mode):
            raise TraceError(f"{path} is not a regular file (a pipe or a device)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class TraceFile:
    """An open trace file: its version and a cursor over its batches (read through mmap)."""

    def __init__(self, path: str):
        self.path = path
        self._f = open_regular(path)
        try:
            self.size = os.fstat(self._f.fileno()).st_size
            if self.size == 0:
                raise TraceError("bad file format: not a Go execution trace? (empty file)")
            self._mm = mmap.mmap(self._f.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._f.close()
            raise
        self.buf = np.frombuffer(self._mm, dtype=np.uint8)
        self.version = read_header(bytes(self._mm[: S.HEADER_LEN]))
        self.pos = S.HEADER_LEN
        self._spill: tuple[int, Batch] | None = None
        self.spill_error: str | None = None
        self.done_bytes = S.HEADER_LEN  # the end of the last complete generation

    def close(self) -> None:
        self.buf = None
        with contextlib.suppress(BufferError):  # a numpy view still alive: the map closes when it goes
            self._mm.close()
        self._f.close()

    def release(self, start: int, end: int) -> None:
        """Drop the pages of [start, end) from memory (they are read once, then not needed)."""
        page = mmap.PAGESIZE
        a = (start // page) * page
        b = (end // page) * page
        if b > a and hasattr(self._mm, "madvise"):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self._mm.madvise(mmap.MADV_DONTNEED, a, b - a)

    # readBatch (batch.go). Returns (batch, gen) or None at a clean end of file.
    def read_batch(self) -> tuple[Batch, int] | None:
        mm, end = self._mm, self.size
        pos = self.pos
        if pos >= end:
            return None
        typ = mm[pos]
        pos += 1
        if typ == S.EvEndOfGeneration:
            self.pos = pos
            return Batch(m=S.NO_ID, ts=0, exp=S.NoExperiment, off=pos - 1, size=1, eog=True), 0
        if typ not in (S.EvEventBatch, S.EvExperimentalBatch):
            raise TraceError(f"expected batch event, got event {typ} at byte {pos - 1}")
        exp = S.NoExperiment
        if typ == S.EvExperimentalBatch:
            if pos >= end:
                raise TraceError("trace ends inside a batch header")
            exp = mm[pos]
            pos += 1
        try:
            gen, pos = uvarint(mm, pos, end)
            m, pos = uvarint(mm, pos, end)
            ts, pos = uvarint(mm, pos, end)
            size, pos = uvarint(mm, pos, end)
        except TraceError as e:
            raise TraceError(f"error reading a batch header at byte {self.pos}: {e}") from None
        if size > S.MaxBatchSize:
            raise TraceError(f"invalid batch size {size}, maximum is {S.MaxBatchSize}")
        if pos + size > end:
            raise TraceError(f"failed to read full batch: read {end - pos} but wanted {size}")
        self.pos = pos + size
        if m >= 1 << 63:  # ThreadID is an int64: ^uint64(0) (no M) reads as -1
            m -= 1 << 64
        return Batch(m=m, ts=ts, exp=exp, off=pos, size=size), gen

    def read_generation(self) -> Generation | None:
        """The next generation, or None at the end. TraceError if it is broken or cut short."""
        if self.version >= S.Go126:
            return self._read_generation_126()
        return self._read_generation_spill()

    def _read_generation_126(self) -> Generation | None:
        g = Generation()
        seen = False
        while True:
            got = self.read_batch()
            if got is None:
                if seen:
                    raise TraceError("incomplete generation found; trace likely truncated")
                return None
            b, gen = got
            seen = True
            if g.gen == 0:
                g.gen = gen
            if b.eog:
                break
            if gen == 0:
                raise TraceError(f"invalid generation number {gen}")
            if gen != g.gen:
                raise TraceError(
                    "broken trace: missing end-of-generation event, or generations are interleaved"
                )
            if g.min_ts == 0 or b.ts < g.min_ts:
                g.min_ts = b.ts
            self._process_batch(g, b)
        self._finish(g, need_snapshot=True)
        return g

    def _read_generation_spill(self) -> Generation | None:
        g = Generation()
        if self._spill is not None:
            g.gen, b = self._spill
            g.min_ts = b.ts
            self._spill = None
            self._process_batch(g, b)
        elif self.pos >= self.size:
            return None
        while True:
            mark = self.pos
            try:
                got = self.read_batch()
            except TraceError as e:
                if g.gen != 0:  # a bad first batch of the next generation: this one stands
                    self.pos = mark
                    self.spill_error = str(e)
                    break
                raise
            if got is None:
                break
            b, gen = got
            if gen == 0:
                raise TraceError(f"invalid generation number {gen}")
            if g.gen == 0:
                g.gen = gen
            if gen == g.gen + 1:
                self._spill = (gen, b)
                break
            if gen != g.gen:
                raise TraceError("generations out of order")
            if g.min_ts == 0 or b.ts < g.min_ts:
                g.min_ts = b.ts
            self._process_batch(g, b)
        self._finish(g, need_snapshot=self.version >= S.Go125)
        return g

    def _finish(self, g: Generation, need_snapshot: bool) -> None:
        if g.freq == 0:
            raise TraceError("no frequency event found")
        if need_snapshot and not g.has_clock_snapshot:
            raise TraceError("no clock snapshot event found")
        # validateStackStrings (generation.go).
        for sid, pcs in g.stacks.items():
            for pc in pcs:
                fr = g.pcs.get(pc)
                if fr is None:
                    raise TraceError(f"found unknown pc {pc:x} for stack {sid}")
                if not g.has_string(fr[0]):
                    raise TraceError(f"found invalid func string ID {fr[0]} for stack {sid}")
                if not g.has_string(fr[1]):
                    raise TraceError(f"found invalid file string ID {fr[1]} for stack {sid}")
        # fixUpCPUSamples: nanoseconds, sorted by time.
        g.cpu_samples = sorted(
            ((g.mul(t), m, p, gg, st) for t, m, p, gg, st in g.cpu_samples), key=lambda s: s[0]
        )
        if self._spill is None:
            self.done_bytes = self.pos
        else:
            self.done_bytes = self._spill[1].off - 1

    # processBatch (generation.go).
    def _process_batch(self, g: Generation, b: Batch) -> None:
        mm = self._mm
        first = mm[b.off] if b.size else -1
        plain = b.exp == S.NoExperiment and b.size > 0
        if plain and first == S.EvStrings:
            self._add_strings(g, b)
        elif plain and first == S.EvStacks:
            self._add_stacks(g, b)
        elif plain and first == S.EvCPUSamples:
            self._add_cpu_samples(g, b)
        elif plain and (
            (first == S.EvFrequency and self.version < S.Go125)
            or (first == S.EvSync and self.version >= S.Go125)
        ):
            self._set_sync(g, b)
        elif b.exp != S.NoExperiment:
            g.exp_batches.setdefault(b.exp, []).append((b.m, bytes(mm[b.off : b.off + b.size])))
        elif b.eog:
            raise TraceError("internal error: unexpectedly processing EndOfGeneration; broken trace?")
        else:
            if b.m not in g.batches:
                g.batch_ms.append(b.m)
                g.batches[b.m] = []
            g.batches[b.m].append(b)

    def _add_strings(self, g: Generation, b: Batch) -> None:
        mm, pos, end = self._mm, b.off + 1, b.off + b.size
        while pos < end:
            if mm[pos] != S.EvString:
                raise TraceError(f"expected string event, got {mm[pos]}")
            sid, pos = uvarint(mm, pos + 1, end)
            n, pos = uvarint(mm, pos, end)
            if n > S.MaxEventTrailerDataSize:
                raise TraceError(f"invalid string size {n}, maximum is {S.MaxEventTrailerDataSize}")
            if pos + n > end:
                raise TraceError(f"failed to read full string: read {end - pos} but wanted {n}")
            if sid in g.strings or sid == 0:
                raise TraceError(f"multiple strings with the same ID: id={sid}")
            g.strings[sid] = bytes(mm[pos : pos + n]).decode("utf-8", "surrogateescape")
            pos += n

    def _add_stacks(self, g: Generation, b: Batch) -> None:
        mm, pos, end = self._mm, b.off + 1, b.off + b.size
        while pos < end:
            if mm[pos] != S.EvStack:
                raise TraceError(f"expected stack event, got {mm[pos]}")
            sid, pos = uvarint(mm, pos + 1, end)
            nframes, pos = uvarint(mm, pos, end)
            if nframes > S.MaxFramesPerStack:
                raise TraceError(f"invalid stack size {nframes}, maximum is {S.MaxFramesPerStack}")
            pcs = []
            for _ in range(nframes):
                pc, pos = uvarint(mm, pos, end)
                func_id, pos = uvarint(mm, pos, end)
                file_id, pos = uvarint(mm, pos, end)
                line, pos = uvarint(mm, pos, end)
                pcs.append(pc)
                if pc not in g.pcs:
                    g.pcs[pc] = (func_id, file_id, line)
            if sid in g.stacks or sid == 0:
                raise TraceError(f"multiple stacks with the same ID: id={sid}")
            g.stacks[sid] = tuple(pcs)

    def _add_cpu_samples(self, g: Generation, b: Batch) -> None:
        mm, pos, end = self._mm, b.off + 1, b.off + b.size
        while pos < end:
            if mm[pos] != S.EvCPUSample:
                raise TraceError(f"expected CPU sample event, got {mm[pos]}")
            pos += 1
            vals = []
            for _ in range(5):
                v, pos = uvarint(mm, pos, end)
                vals.append(v)
            ts, m, p, gid, st = vals
            if m >= 1 << 63:
                m -= 1 << 64
            if p >= 1 << 63:
                p -= 1 << 64
            gid = S.NO_ID if gid == 0 else (gid - (1 << 64) if gid >= 1 << 63 else gid)
            g.cpu_samples.append((ts, m, p, gid, st))

    def _set_sync(self, g: Generation, b: Batch) -> None:
        mm, pos, end = self._mm, b.off, b.off + b.size
        if self.version >= S.Go125:
            pos += 1  # the EvSync byte
        last_ts = b.ts
        while pos < end:
            et = mm[pos]
            pos += 1
            if et == S.EvFrequency:
                if g.freq != 0:
                    raise TraceError("found multiple frequency events")
                f, pos = uvarint(mm, pos, end)
                if f == 0:
                    raise TraceError("no frequency event found")
                g.freq = 1.0 / (float(f) / 1e9)
            elif et == S.EvClockSnapshot and self.version >= S.Go125:
                if g.has_clock_snapshot:
                    raise TraceError("found multiple clock snapshot events")
                g.has_clock_snapshot = True
                tdiff, pos = uvarint(mm, pos, end)
                last_ts += tdiff
                g.snap_time = last_ts
                g.snap_mono, pos = uvarint(mm, pos, end)
                g.snap_sec, pos = uvarint(mm, pos, end)
                g.snap_nsec, pos = uvarint(mm, pos, end)
            else:
                raise TraceError(f"expected frequency or clock snapshot event, got {et}")


def read_header(head: bytes) -> int:
    """version.ReadHeader: "go 1.NN trace\\x00\\x00\\x00" -> NN, for the v2 formats (Go 1.22+)."""
    prefix = b"go 1."
    if not head.startswith(prefix):
        raise TraceError("bad file format: not a Go execution trace?")
    rest = head[len(prefix) :]
    digits = b""
    for c in rest:
        if 48 <= c <= 57 and len(digits) < 4:
            digits += bytes([c])
        else:
            break
    tail = rest[len(digits) :]
    if not digits or not tail.startswith(b" trace\x00\x00\x00"):
        raise TraceError("bad file format: not a Go execution trace?")
    v = int(digits)
    if v in (11, 19, 21):
        raise TraceError(f"trace version go 1.{v} (before Go 1.22) is not supported")
    if v not in S.SUPPORTED_VERSIONS:
        raise TraceError(f"unknown or unsupported trace version go 1.{v}")
    return v


@dataclasses.dataclass
class GenEvents:
    """A generation's ordinary events, grouped by M in `batch_ms` order, in batch order within an M."""

    typ: np.ndarray  # uint8
    time: np.ndarray  # int64, nanoseconds
    args: np.ndarray  # (n, 4) uint64, the arguments after the time delta
    m_bounds: np.ndarray  # int64, len(batch_ms) + 1: M i's events are [m_bounds[i], m_bounds[i+1])
    # A window of a generation (fast.stream_generation): each M's running max time carried from its
    # earlier events, and the M (batch_ms index) of the event before the window (-1: none).
    key: np.ndarray | None = None
    prev_mi: int = -1
    last_mi: int = -1  # set by the fast path: the M of the window's last event


def decode_generation(tf: TraceFile, g: Generation) -> GenEvents:
    """Every ordinary event of generation g, decoded without a Python step per event."""
    parts_typ, parts_time, parts_args = [], [], []
    bounds = [0]
    total = 0
    for m in g.batch_ms:
        batches = [b for b in g.batches[m] if b.size > 0]
        i = 0
        while i < len(batches):
            j, nbytes = i, 0
            while j < len(batches) and (j == i or nbytes + batches[j].size <= CHUNK_BYTES):
                nbytes += batches[j].size
                j += 1
            typ, t, args = _decode_chunk(tf.buf, batches[i:j], g)
            parts_typ.append(typ)
            parts_time.append(t)
            parts_args.append(args)
            total += len(typ)
            i = j
        bounds.append(total)
    if parts_typ:  # field by field, each field's parts let go once copied (memory)
        typ = np.concatenate(parts_typ)
        parts_typ.clear()
        t = np.concatenate(parts_time)
        parts_time.clear()
        args = np.concatenate(parts_args) if len(parts_args) > 1 else parts_args[0]
        parts_args.clear()
    else:
        typ = np.zeros(0, np.uint8)
        t = np.zeros(0, np.int64)
        args = np.zeros((0, 4), np.uint64)
    return GenEvents(typ=typ, time=t, args=args, m_bounds=np.asarray(bounds, np.int64))


def _decode_chunk(buf: np.ndarray, batches: list[Batch], g: Generation):
    sizes = np.fromiter((b.size for b in batches), np.int64, len(batches))
    d = (
        np.concatenate([buf[b.off : b.off + b.size] for b in batches])
        if len(batches) > 1
        else np.array(buf[batches[0].off : batches[0].off + batches[0].size])
    )
    bend = np.cumsum(sizes)
    bstart = bend - sizes
    tpos = np.flatnonzero(d < 0x80).astype(np.int32)  # a chunk is far below 2 GiB
    ntok = len(tpos)
    if ntok == 0 or tpos[-1] != len(d) - 1:
        raise TraceError("found invalid uvarint (a batch ends inside a varint)")
    tstart = np.empty(ntok, np.int32)
    tstart[0] = 0
    tstart[1:] = tpos[:-1] + 1
    bt0 = np.searchsorted(tstart, bstart.astype(np.int32))  # (int32 both: no converted copy of tstart)
    bt1 = np.searchsorted(tstart, bend.astype(np.int32))
    if (
        (bt0 >= ntok).any()
        or (tstart[np.minimum(bt0, ntok - 1)] != bstart).any()
        or (tpos[bt1 - 1] != bend - 1).any()
    ):
        raise TraceError("found invalid uvarint (a batch ends inside a varint)")
    starts, typ = _event_starts(d, tstart, bt0)
    exp = typ >= 0x80
    # Token values: every token's varint (an experimental start token's varint begins after its type).
    vs = tstart.copy()
    vs[starts[exp]] += 1
    length = tpos - vs + 1
    if (length > 10).any():
        raise TraceError("found invalid uvarint")
    val = (d[vs] & 0x7F).astype(np.uint64)
    idx = np.flatnonzero(length > 1)
    shift = 7
    while idx.size:
        byte = d[vs[idx] + (shift // 7)].astype(np.uint64)
        if shift == 63 and (byte > 1).any():
            raise TraceError("found invalid uvarint")
        val[idx] |= (byte & np.uint64(0x7F)) << np.uint64(shift)
        idx = idx[length[idx] > shift // 7 + 1]
        shift += 7
    dt_tok = starts + (~exp).astype(np.int64)
    nargs = S.NARGS[typ] - 1
    n = len(starts)
    args = np.zeros((n, 4), np.uint64)
    for i in range(4):
        sel = np.flatnonzero(nargs > i)  # the events with an i-th argument (its token is theirs)
        if not sel.size:
            break
        if sel.size == n:
            args[:, i] = val[dt_tok + (1 + i)]
        else:
            args[sel, i] = val[dt_tok[sel] + (1 + i)]
    # Times: per batch, int(freq*batch.ts) plus the running sum of int(freq*dt).
    with np.errstate(invalid="ignore", over="ignore"):
        fdt = (val[dt_tok].astype(np.float64) * g.freq).astype(np.int64)
    cs = np.cumsum(fdt)
    first = np.searchsorted(starts, bt0)  # index of each batch's first event
    before = np.where(first > 0, cs[np.maximum(first - 1, 0)], 0)
    base = np.array([g.mul(b.ts) for b in batches], np.int64)
    t = cs - np.repeat(before - base, np.diff(np.append(first, n)))
    return typ, t, args


# The event-start scan as a small automaton over tokens: state k = "k tokens left in this event",
# state 0 = "this token starts an event", which moves to NTOK-1 of its type (0 for a byte that is
# no timed event's type: the type check of the starts found reports it). Blocks of _SCAN_BLOCK
# tokens are scanned side by side for all six entry states (three int8 array operations per token
# column: new = s - 1 + (s == 0) * NTOK), the entry state of each block follows from its
# predecessor's exit, and the starts are the kept states of the true entries that are 0.
_NSTATES = 6
_SCAN_BLOCK = 128
_NTOK8 = np.where(_NTOK == 0, 1, _NTOK).astype(np.int8)  # tokens per event (1 for a bad type)
assert int(_NTOK8.max()) <= _NSTATES


def _event_starts(d: np.ndarray, tstart: np.ndarray, bt0: np.ndarray) -> np.ndarray:
    ntok = len(tstart)
    B = _SCAN_BLOCK
    nb = -(-ntok // B)
    ntk = np.ones(nb * B, np.int8)  # padding: one-token events, which keep state 0 at 0
    ntk[:ntok] = _NTOK8[d[tstart]]
    cols = np.ascontiguousarray(ntk.reshape(nb, B).T)  # (B, nb): each column's token counts
    # Pass 1: each block's exit state for each of the six entry states (only the current column
    # of states is kept: the scan stays in cache however long the chunk).
    s = np.repeat(np.arange(_NSTATES, dtype=np.int8)[:, None], nb, axis=1)
    zb = np.empty((_NSTATES, nb), bool)
    z = zb.view(np.int8)  # (equal writes bools, the product int8s: no casting loop either way)
    for c in range(B):
        np.equal(s, 0, out=zb)
        np.multiply(z, cols[c], out=z)
        s += z
        s -= 1
    entry, st = _block_entries(s)
    # Pass 2: each block scanned again from its true entry state; a token in state 0 starts an event.
    marks = np.empty((B, nb), bool)
    w = np.empty(nb, np.int8)
    for c in range(B):
        m = marks[c]
        np.equal(entry, 0, out=m)
        np.multiply(m.view(np.int8), cols[c], out=w)
        entry += w
        entry -= 1
    mark_all = marks.T.reshape(-1)  # in token order
    # The last event must end with the chunk's last token (the padding would count it down).
    if not (mark_all[ntok] if ntok < len(mark_all) else st == 0):
        raise TraceError("found invalid uvarint (an event runs past the end of its batch)")
    mark = mark_all[:ntok]
    if not mark[bt0].all():
        raise TraceError("found invalid uvarint (an event runs past the end of its batch)")
    starts = np.flatnonzero(mark)
    typ = d[tstart[starts]]
    bad = _NTOK[typ] == 0
    if bad.any():
        t = int(d[tstart[starts[np.argmax(bad)]]])
        if t >= S_MAX_EXP or (S_NUM_EVENTS <= t <= S_MAX_EVENT):
            raise TraceError(f"found invalid event type: {t}")
        raise TraceError(f"found event without a timestamp: type={t}")
    return starts, typ


def _block_entries(exits: np.ndarray) -> tuple[np.ndarray, int]:
    """(each block's true entry state, the state after the last block), the first block entered in
    state 0. exits[e, b] is block b's exit state when entered in state e: a map of the six states,
    and the entries are its prefix compositions applied to 0, by a Hillis-Steele scan (log2 of the
    block count steps over whole arrays, no Python step per block)."""
    comp = np.ascontiguousarray(exits.T).astype(np.intp)  # (nb, 6): comp[b] = exits of blocks <= b
    nb = len(comp)
    step = 1
    while step < nb:
        nxt = comp.copy()
        nxt[step:] = np.take_along_axis(comp[step:], comp[:-step], axis=1)
        comp = nxt
        step *= 2
    entry = np.zeros(nb, np.int8)
    entry[1:] = comp[:-1, 0]
    return entry, int(comp[-1, 0]) if nb else 0


S_MAX_EXP, S_NUM_EVENTS, S_MAX_EVENT = S.MaxExperimentalEvent, S.NumEvents, S.MaxEvent
