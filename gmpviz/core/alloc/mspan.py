"""The span table: every mspan as one row of a numpy structured array (`mheap.go: type mspan`).

Span metadata lives in :data:`SPAN_DTYPE` rows indexed by span id; the per-object bitmaps
(``allocBits``, ``gcmarkBits``) and the emulator's liveness columns (death time, pending
goroutine-lifetime owners) are one small numpy array per span. Span ids are recycled like the
runtime recycles mspan structs (`mheap.spanalloc`, a fixalloc free list): LIFO, so deterministic.
"""

from __future__ import annotations

import numpy as np

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

#: death time of an object that never dies (LIFE_FOREVER)
DEATH_NEVER = np.iinfo(np.int64).max


class SpanTable:
    """Rows of SPAN_DTYPE plus per-span object arrays; ids are recycled LIFO."""

    __slots__ = (
        "tab",
        "n_ids",
        "free_ids",
        "alloc_bits",
        "mark_bits",
        "death",
        "gcount",
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

    def __init__(self, capacity: int = 256) -> None:
        self.tab = np.zeros(capacity, dtype=SPAN_DTYPE)
        self.n_ids = 0  # ids in [0, n_ids) have been handed out at least once
        self.free_ids: list[int] = []
        self.alloc_bits: list[np.ndarray | None] = []
        self.mark_bits: list[np.ndarray | None] = []
        #: per slot: virtual time at which the object dies (ignoring goroutine owners)
        self.death: list[np.ndarray | None] = []
        #: per slot: goroutine-lifetime allocations still pending (their G has not exited)
        self.gcount: list[np.ndarray | None] = []
        self._bind()

    def _bind(self) -> None:
        t = self.tab
        self.f_start = t["start_page"]
        self.f_npages = t["npages"]
        self.f_spanclass = t["spanclass"]
        self.f_elemsize = t["elemsize"]
        self.f_nelems = t["nelems"]
        self.f_alloc_count = t["alloc_count"]
        self.f_freeindex = t["freeindex"]
        self.f_state = t["state"]
        self.f_owner = t["owner_p"]
        self.f_sweepgen = t["sweepgen"]

    def _grow(self) -> None:
        new = np.zeros(len(self.tab) * 2, dtype=SPAN_DTYPE)
        new[: len(self.tab)] = self.tab
        self.tab = new
        self._bind()

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
        if self.free_ids:
            sid = self.free_ids.pop()
        else:
            sid = self.n_ids
            self.n_ids += 1
            if sid >= len(self.tab):
                self._grow()
            self.alloc_bits.append(None)
            self.mark_bits.append(None)
            self.death.append(None)
            self.gcount.append(None)
        self.tab[sid] = (sid, start_page, npages, spanclass, elemsize, nelems, 0, 0, state, -1, sweepgen, 0)
        self.alloc_bits[sid] = np.zeros(nelems, dtype=bool)
        self.mark_bits[sid] = np.zeros(nelems, dtype=bool)
        self.death[sid] = np.zeros(nelems, dtype=np.int64)
        self.gcount[sid] = np.zeros(nelems, dtype=np.int32)
        return sid

    def free(self, sid: int) -> None:
        """The mspan struct goes back to the free list (`mheap.freeMSpanLocked`)."""
        self.f_state[sid] = SPAN_FREE
        self.f_owner[sid] = -1
        self.f_alloc_count[sid] = 0
        self.alloc_bits[sid] = self.mark_bits[sid] = self.death[sid] = self.gcount[sid] = None
        self.free_ids.append(sid)

    def live_ids(self) -> np.ndarray:
        """Ids of spans that are not free, ascending."""
        return np.flatnonzero(self.f_state[: self.n_ids] != SPAN_FREE)

    def view(self, heap_sweepgen: int) -> np.ndarray:
        """Copy of the live rows with needs_sweep filled in."""
        rows = self.tab[: self.n_ids]
        out = rows[rows["state"] != SPAN_FREE].copy()
        sg = out["sweepgen"]
        out["needs_sweep"] = ((sg == heap_sweepgen - 2) | (sg == heap_sweepgen + 1)) & (
            out["state"] != SPAN_STACK
        )
        return out
