"""The span table: every mspan as one row of a numpy structured array (`mheap.go: type mspan`).

Span metadata lives in :data:`SPAN_DTYPE` rows indexed by span id; the per-object bitmaps
(``allocBits``, ``gcmarkBits``) and the emulator's liveness columns (death time, pending
goroutine-lifetime owners) are one small numpy array per span. Span ids are recycled like the
runtime recycles mspan structs (`mheap.spanalloc`, a fixalloc free list): LIFO, so deterministic.
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import MIN_SIZE_FOR_MALLOC_HEADER, NUM_SPAN_CLASSES, PAGE_SIZE

from .sizeclasses import CLASS_TO_ALLOCNPAGES, CLASS_TO_SIZE

# Span states of the table (what a span heatmap colours); not the runtime's mSpanState, which only
# has dead / in use / manual: the cached / partial / full distinction comes from where the span is.
SPAN_FREE = 0  # mSpanDead: pages back in the page heap, id free for reuse
SPAN_MCACHE = 1  # in use, cached by owner_p's mcache (mcache.alloc[spc])
SPAN_PARTIAL = 2  # in use, in its mcentral's partial set (has free slots)
SPAN_FULL = 3  # in use, in its mcentral's full set
SPAN_LARGE = 4  # in use, one large object (size class 0)
SPAN_STACK = 5  # mSpanManual: stack memory (stackpool span or a large stack)
SPAN_STATE_NAMES = ("free", "mcache", "partial", "full", "large", "stack")

#: spanclass column of manual (stack) spans; SpanAlloc events carry it too
SPANCLASS_MANUAL = -1

SPAN_DTYPE = np.dtype(
    [
        ("id", "<i4"),
        ("start_page", "<i8"),  # page index from the heap base (startAddr = base + start_page*8 KiB)
        ("npages", "<i4"),
        ("spanclass", "<i2"),  # sizeclass<<1 | noscan; SPANCLASS_MANUAL for stacks
        ("elemsize", "<i4"),  # bytes per slot (npages*8 KiB for large spans, stack size for stacks)
        ("nelems", "<i4"),
        ("alloc_count", "<i4"),
        ("freeindex", "<i4"),
        ("state", "u1"),  # SPAN_*
        ("owner_p", "<i2"),  # caching P for SPAN_MCACHE, else -1
        ("sweepgen", "<i8"),  # raw mspan.sweepgen
        ("needs_sweep", "u1"),  # 1 if sweepgen says "needs sweeping" (sg-2) or "stale cached" (sg+1)
    ]
)

#: mspan.go: heapBitsInSpan, scan spans of objects <= 512 B keep their pointer bitmap at the span end:
#: nbytes/PtrSize/8 bytes, i.e. 1/64 of the span on 64-bit
HEAP_BITS_DIV = 64
#: internal/buildcfg/exp.go: GreenTeaGC is on by default in Go 1.26 (GOEXPERIMENT=nogreenteagc turns it off)
GREEN_TEA_GC = True
#: mgcmark_greenteagc.go: spanInlineMarkBits = scans [63]uint8 + owned uint8 + marks [63]uint8 + class uint8
SPAN_INLINE_MARK_BITS_BYTES = 128
#: mgcmark_greenteagc.go: gcUsesSpanInlineMarkBits, heapBitsInSpan && size >= 16
INLINE_MARK_BITS_MIN_SIZE = 16


def span_nelems(sizeclass: int, noscan: int, green_tea: bool = GREEN_TEA_GC) -> int:
    """mheap.go: initSpan's nelems. Small scan spans keep their pointer bitmap at the end; with the
    Green Tea GC (Go 1.26's default) spans of 16..512-byte objects also keep spanInlineMarkBits."""
    nbytes = CLASS_TO_ALLOCNPAGES[sizeclass] * PAGE_SIZE
    size = CLASS_TO_SIZE[sizeclass]
    reserve = 0
    if green_tea and size <= MIN_SIZE_FOR_MALLOC_HEADER and size >= INLINE_MARK_BITS_MIN_SIZE:
        reserve += SPAN_INLINE_MARK_BITS_BYTES
    if not noscan and size <= MIN_SIZE_FOR_MALLOC_HEADER:
        reserve += nbytes // HEAP_BITS_DIV
    return (nbytes - reserve) // size


#: nelems per span class (spanclass = sizeclass<<1 | noscan); large spans (class 0) hold one object
SPANCLASS_NELEMS: tuple[int, ...] = tuple(
    span_nelems(spc >> 1, spc & 1) if spc >> 1 else 1 for spc in range(NUM_SPAN_CLASSES)
)


#: death time of an object that never dies (LIFE_FOREVER)
DEATH_NEVER = np.iinfo(np.int64).max


#: the slot kind ``elemsize << 1 | scan`` (one int: a cheaper dict key than a tuple) of stack spans
#: and of never-used slot ranges
_STACK_KIND = 0

_FIELDS = (
    "start_page",
    "npages",
    "spanclass",
    "elemsize",
    "nelems",
    "alloc_count",
    "freeindex",
    "state",
    "owner_p",
    "sweepgen",
)


class SpanTable:
    """Span metadata as one Python list per SPAN_DTYPE column (the hot path reads and writes single
    fields; a list item costs a fifth of a numpy scalar access), and the per-object columns of all
    spans in shared numpy arrays ("slot arenas"): span ``sid`` owns slots
    ``[f_off[sid], f_off[sid] + f_nelems[sid])``. A mark phase is then one numpy pass over every
    object of the heap. :meth:`view` copies the live rows into a SPAN_DTYPE array. Ids are recycled
    LIFO, slot ranges are recycled by size.

    Views returned by :meth:`bits` and friends are only valid until the next :meth:`new`.
    """

    __slots__ = (
        "n_ids",
        "free_ids",
        "alloc_bits",
        "mark_bits",
        "slot_alloc",
        "slot_mark",
        "slot_death",
        "death_bytes",
        "death_view",
        "slot_gcount",
        "slot_elem",
        "slot_scan",
        "slot_top",
        "_slot_pool",
        "_slot_kind",
        "freelist",
        "f_off",
        "f_start",
        "f_npages",
        "f_spanclass",
        "f_elemsize",
        "f_nelems",
        "f_alloc_count",
        "f_freeindex",
        "f_state",
        "f_owner",
        "f_sweepgen",
    )

    def __init__(self, slot_capacity: int = 1 << 14) -> None:
        self.n_ids = 0  # ids in [0, n_ids) have been handed out at least once
        self.free_ids: list[int] = []
        #: allocBits and gcmarkBits of every span, one byte per slot, as bytearrays (a span's
        #: count, find or clear is a bytearray method, a third of a numpy call) and as bool
        #: numpy views of the same memory (slot_alloc, slot_mark) for whole-heap work
        self.alloc_bits = bytearray(slot_capacity)
        self.mark_bits = bytearray(slot_capacity)
        self.slot_alloc = np.frombuffer(self.alloc_bits, dtype=bool)
        self.slot_mark = np.frombuffer(self.mark_bits, dtype=bool)
        #: virtual time at which the object dies (ignoring goroutine owners): native int64s in a
        #: bytearray, seen as the numpy array slot_death and as the byte memoryview death_view, so
        #: that a run of slots is set by one store of bytes (a third of the cost of a numpy slice
        #: assignment of a Python int; a memoryview takes bytes without the copy a bytearray makes)
        self.death_bytes = bytearray(slot_capacity * 8)
        self.slot_death = np.frombuffer(self.death_bytes, dtype=np.int64)
        self.death_view = memoryview(self.death_bytes)
        #: goroutine-lifetime allocations still pending (their G has not exited)
        self.slot_gcount = np.zeros(slot_capacity, dtype=np.int32)
        #: bytes per slot for heap spans, 0 for stacks and unused slots (bytes marked = dot product)
        self.slot_elem = np.zeros(slot_capacity, dtype=np.int64)
        self.slot_scan = np.zeros(slot_capacity, dtype=bool)  # slot of a scan (pointerful) span
        self.slot_top = 0
        #: recycled slot ranges: nelems -> kind of the range (elemsize << 1 | scan) -> offsets
        self._slot_pool: dict[int, dict[int, list[int]]] = {}
        #: slot offset -> the kind (elemsize << 1 | scan) its slot_elem/slot_scan columns hold (a
        #: recycled range of the same kind needs no rewrite)
        self._slot_kind: dict[int, int] = {}
        #: span id -> its free slots at and above freeindex (absolute slot indexes), listed by the
        #: first non-contiguous nextFreeFast after a sweep; dropped by the next sweep or free()
        self.freelist: dict[int, np.ndarray] = {}
        self.f_off: list[int] = []
        self.f_start: list[int] = []
        self.f_npages: list[int] = []
        self.f_spanclass: list[int] = []
        self.f_elemsize: list[int] = []
        self.f_nelems: list[int] = []
        self.f_alloc_count: list[int] = []
        self.f_freeindex: list[int] = []
        self.f_state: list[int] = []
        self.f_owner: list[int] = []
        self.f_sweepgen: list[int] = []

    def _columns(self) -> tuple[list[int], ...]:
        return (
            self.f_start,
            self.f_npages,
            self.f_spanclass,
            self.f_elemsize,
            self.f_nelems,
            self.f_alloc_count,
            self.f_freeindex,
            self.f_state,
            self.f_owner,
            self.f_sweepgen,
        )

    def _grow_slots(self, need: int) -> None:
        cap = len(self.slot_alloc)
        while cap < need:
            cap *= 2
        for name in ("slot_gcount", "slot_elem", "slot_scan"):
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        # a bytearray cannot grow while numpy views export it: copy into a bigger one
        for bits, view in (("alloc_bits", "slot_alloc"), ("mark_bits", "slot_mark")):
            new = bytearray(cap)
            new[: len(getattr(self, bits))] = getattr(self, bits)
            setattr(self, bits, new)
            setattr(self, view, np.frombuffer(new, dtype=bool))
        death = bytearray(cap * 8)
        death[: len(self.death_bytes)] = self.death_bytes
        self.death_bytes = death
        self.slot_death = np.frombuffer(death, dtype=np.int64)
        self.death_view = memoryview(death)

    def _take_slots(self, nelems: int, kind: int) -> int:
        """A slot range of nelems, preferring a recycled one of the same kind (no rewrite)."""
        kinds = self._slot_pool.get(nelems)
        if kinds:
            pool = kinds.get(kind)
            if pool:
                return pool.pop()
            for pool in kinds.values():
                if pool:
                    return pool.pop()
        off = self.slot_top
        self.slot_top = off + nelems
        if self.slot_top > len(self.slot_alloc):
            self._grow_slots(self.slot_top)
        return off

    def new(
        self,
        start_page: int,
        npages: int,
        spanclass: int,
        elemsize: int,
        nelems: int,
        state: int,
        sweepgen: int,
    ) -> int:
        """mheap.go: initSpan on a recycled or fresh mspan; returns the span id."""
        kind = _STACK_KIND if state == SPAN_STACK else elemsize << 1 | (spanclass & 1 ^ 1)
        pool = None
        kinds = self._slot_pool.get(nelems)
        if kinds:
            pool = kinds.get(kind)  # _take_slots' first choice, inline (once per span)
        off = pool.pop() if pool else self._take_slots(nelems, kind)
        free_ids = self.free_ids
        if free_ids:
            sid = free_ids.pop()
            self.f_off[sid] = off
            self.f_start[sid] = start_page
            self.f_npages[sid] = npages
            self.f_spanclass[sid] = spanclass
            self.f_elemsize[sid] = elemsize
            self.f_nelems[sid] = nelems
            self.f_alloc_count[sid] = 0
            self.f_freeindex[sid] = 0
            self.f_state[sid] = state
            self.f_owner[sid] = -1
            self.f_sweepgen[sid] = sweepgen
        else:
            sid = self.n_ids
            self.n_ids += 1
            self.f_off.append(off)
            self.f_start.append(start_page)
            self.f_npages.append(npages)
            self.f_spanclass.append(spanclass)
            self.f_elemsize.append(elemsize)
            self.f_nelems.append(nelems)
            self.f_alloc_count.append(0)
            self.f_freeindex.append(0)
            self.f_state.append(state)
            self.f_owner.append(-1)
            self.f_sweepgen.append(sweepgen)
        # allocBits, gcmarkBits and goroutine counts of a recycled range are clear (see free())
        if self._slot_kind.get(off, _STACK_KIND) != kind:
            elem, scan = kind >> 1, bool(kind & 1)
            if nelems == 1:  # one-object spans (large objects, the biggest classes): scalar writes
                self.slot_elem[off] = elem
                self.slot_scan[off] = scan
            else:
                self.slot_elem[off : off + nelems] = elem
                self.slot_scan[off : off + nelems] = scan
            self._slot_kind[off] = kind
        return sid

    def free(self, sid: int) -> None:
        """The mspan struct goes back to the free list (`mheap.freeMSpanLocked`).

        The span's allocBits, gcmarkBits and goroutine owner counts must already be clear: a heap
        span is freed by the sweep that found no object marked (and a goroutine-owned object is
        always marked), a stack span once its last stack is freed (stacks are never marked). Its
        slot_elem/slot_scan columns stay until new() reuses the range for another kind.
        """
        off, n = self.f_off[sid], self.f_nelems[sid]
        if sid in self.freelist:
            del self.freelist[sid]
        kinds = self._slot_pool.get(n)
        if kinds is None:
            kinds = self._slot_pool[n] = {}
        kind = self._slot_kind.get(off, _STACK_KIND)
        pool = kinds.get(kind)
        if pool is None:
            kinds[kind] = [off]
        else:
            pool.append(off)
        self.f_state[sid] = SPAN_FREE
        self.f_owner[sid] = -1
        self.f_alloc_count[sid] = 0
        self.free_ids.append(sid)

    # --- per-span views into the slot arenas -----------------------------------------------------

    def bits(self, sid: int) -> np.ndarray:
        """allocBits of span sid (a view)."""
        off = self.f_off[sid]
        return self.slot_alloc[off : off + self.f_nelems[sid]]

    def marks(self, sid: int) -> np.ndarray:
        """gcmarkBits of span sid (a view)."""
        off = self.f_off[sid]
        return self.slot_mark[off : off + self.f_nelems[sid]]

    def deaths(self, sid: int) -> np.ndarray:
        off = self.f_off[sid]
        return self.slot_death[off : off + self.f_nelems[sid]]

    def gcounts(self, sid: int) -> np.ndarray:
        off = self.f_off[sid]
        return self.slot_gcount[off : off + self.f_nelems[sid]]

    def pooled_slots_clear(self) -> bool:
        """Every recycled slot range is free of alloc bits, mark bits and owners (free()'s contract)."""
        for n, kinds in self._slot_pool.items():
            for off in (off for offs in kinds.values() for off in offs):
                end = off + n
                if self.alloc_bits.find(1, off, end) >= 0 or self.mark_bits.find(1, off, end) >= 0:
                    return False
                if self.slot_gcount[off:end].any():
                    return False
        return True

    def live_ids(self) -> list[int]:
        """Ids of spans that are not free, ascending."""
        return [sid for sid, st in enumerate(self.f_state) if st != SPAN_FREE]

    def view(self, heap_sweepgen: int) -> np.ndarray:
        """Copy of the live rows as SPAN_DTYPE, with needs_sweep filled in."""
        n = self.n_ids
        rows = np.zeros(n, dtype=SPAN_DTYPE)
        rows["id"] = np.arange(n)
        for name, col in zip(_FIELDS, self._columns()):
            rows[name] = col
        out = rows[rows["state"] != SPAN_FREE]
        sg = out["sweepgen"]
        out["needs_sweep"] = ((sg == heap_sweepgen - 2) | (sg == heap_sweepgen + 1)) & (
            out["state"] != SPAN_STACK
        )
        return out
