"""The heap (`mheap.go: mheap_`): spans made of pages from the page allocator, the span map
(``h.spans``), arenas, mcentrals, sweepgen, and the reclaimer.

Functions follow mheap.go's order: ``reclaim``, ``reclaimChunk``, ``alloc``, ``allocManual``,
``setSpans``, ``allocSpan``, ``grow``, ``freeSpan``, ``freeManual``, ``freeSpanLocked``.
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import (
    NUM_SPAN_CLASSES,
    PAGE_CACHE_PAGES,
    PAGE_SIZE,
    PAGES_PER_ARENA,
    PALLOC_CHUNK_PAGES,
)
from gmpviz.core.trace.events import EV, span_pages_code, span_pages_decode  # noqa: F401 - re-exported
from gmpviz.core.workload.budget import EmulatedOOM

from .mcentral import MCentral
from .mpagealloc import LOG_PALLOC_CHUNK_PAGES, PageAlloc
from .mspan import SPAN_PARTIAL, SPAN_STACK, SPANCLASS_MANUAL, SpanTable

#: malloc.go: mallocinit's first arena hint on linux/amd64, 0x00c0<<32 (Go 1.26 randomizes it; we don't)
HEAP_BASE_ADDR = 0x00C0 << 32
#: mheap.go: allocSpan uses the P's page cache for npages < pageCachePages/4
PCACHE_MAX_NPAGES = PAGE_CACHE_PAGES // 4
#: mheap.go: pagesPerReclaimerChunk
RECLAIM_CHUNK_PAGES = 512
#: the kinds of the raw emit form (hot kinds: tracer.RAW_HOT_KINDS)
_SPAN_ALLOC, _SPAN_FREE = int(EV.SpanAlloc), int(EV.SpanFree)


def page_addr(page: int) -> int:
    """mspan.startAddr of a span starting at page index `page` (base + page * 8 KiB)."""
    return HEAP_BASE_ADDR + page * PAGE_SIZE


class MHeap:
    """mheap.go: mheap_, the spans, the page allocator, one mcentral per span class, sweepgen.

    ``a`` is the allocator whose statistics (memstats, gcController) the heap updates.
    """

    __slots__ = (
        "a",
        "pages",
        "spans",
        "page_span",
        "arena_pages",
        "central",
        "sweepgen",
        "pagesInUse",
        "pagesSwept",
        "reclaimIndex",
        "reclaimCredit",
        "spans_by_class",
        "limit_pages",
    )

    def __init__(self, a) -> None:
        self.a = a
        self.pages = PageAlloc()  # mheap_.pages
        self.spans = SpanTable()  # the mspan structs (mheap_.spanalloc)
        #: mheap_.spans (the arenas' spans maps): span id owning each page, -1 if none
        self.page_span = np.full(PALLOC_CHUNK_PAGES, -1, dtype=np.int32)
        self.arena_pages = 0  # reserved address space, whole 64 MiB arenas
        self.central = [MCentral(a, spc) for spc in range(NUM_SPAN_CLASSES)]
        self.sweepgen = 0  # mheap_.sweepgen
        self.pagesInUse = 0  # mheap_.pagesInUse: pages in mSpanInUse spans
        self.pagesSwept = 0  # mheap_.pagesSwept this cycle
        self.reclaimIndex = -1  # mheap_.reclaimIndex (-1: reclaiming done); page index
        self.reclaimCredit = 0  # mheap_.reclaimCredit, pages
        self.spans_by_class = [0] * NUM_SPAN_CLASSES  # in-use spans per span class (a list: scalar updates)
        self.limit_pages = -1  # the emulated machine's memory in pages (-1: none; core/workload/budget.py)

    def reclaim(self, t_ns: int, p: int, m: int, g: int, npages: int) -> None:
        """mheap.go: reclaim, sweep unswept spans with no marked object, in address order, 512
        pages of address space at a time, until npages were freed (the surplus becomes credit)."""
        credit = self.reclaimCredit
        if credit >= npages:
            self.reclaimCredit = credit - npages
            return
        need = npages - credit
        self.reclaimCredit = 0
        while need > 0:
            idx = self.reclaimIndex
            if idx >= self.pages.mapped_pages:
                self.reclaimIndex = -1
                return
            self.reclaimIndex = idx + RECLAIM_CHUNK_PAGES
            found = self.reclaimChunk(t_ns, p, m, g, idx, RECLAIM_CHUNK_PAGES)
            if found <= need:
                need -= found
            else:
                self.reclaimCredit += found - need
                need = 0

    def reclaimChunk(self, t_ns: int, p: int, m: int, g: int, page: int, n: int) -> int:
        """mheap.go: reclaimChunk, sweep the unswept spans starting in [page, page+n) that hold no
        marked object; pages freed.

        SIMPLIFICATION: the spans come from the span map, not the arenas' pageInUse/pageMarks
        bitmaps; same spans, same order.
        """
        sp = self.spans
        sg = self.sweepgen
        ui = 1 - (sg >> 1 & 1)
        sweep = self.a.sweeper.sweep
        found = 0
        chunk = self.page_span[page : page + n]
        for sid in np.unique(chunk[chunk >= 0]).tolist():
            if sp.f_start[sid] < page or sp.f_sweepgen[sid] != sg - 2 or sp.f_state[sid] == SPAN_STACK:
                continue
            off = sp.f_off[sid]
            if sp.mark_bits.find(1, off, off + sp.f_nelems[sid]) >= 0:  # a marked object: not dead
                continue
            c = self.central[sp.f_spanclass[sid]]
            dq = c.partial[ui] if sp.f_state[sid] == SPAN_PARTIAL else c.full[ui]
            dq.remove(sid)
            sp.f_sweepgen[sid] = sg - 1
            found += sp.f_npages[sid]
            sweep(t_ns, p, m, g, sid, False)
        return found

    def alloc(
        self, t_ns: int, p: int, m: int, g: int, npages: int, spc: int, elemsize: int, nelems: int, state: int
    ) -> int:
        """mheap.go: alloc, reclaim at least npages first if sweeping is not done, then allocSpan."""
        # SIMPLIFICATION: no synchronous scavenging here (memory limit / gcPercent goal exceeded)
        if self.reclaimIndex >= 0:
            self.reclaim(t_ns, p, m, g, npages)  # if !isSweepDone() { h.reclaim(npages) }
        return self.allocSpan(t_ns, p, m, g, npages, spc, elemsize, nelems, state)

    def allocManual(self, t_ns: int, p: int, m: int, g: int, npages: int, elemsize: int, nelems: int) -> int:
        """mheap.go: allocManual, a span for stack memory (no reclaim, not in pagesInUse)."""
        return self.allocSpan(t_ns, p, m, g, npages, SPANCLASS_MANUAL, elemsize, nelems, SPAN_STACK)

    def setSpans(self, base: int, npages: int, sid: int) -> None:
        """mheap.go: setSpans, the span map points every page of the span at it."""
        if npages == 1:
            self.page_span[base] = sid
        else:
            self.page_span[base : base + npages] = sid

    def allocSpan(
        self, t_ns: int, p: int, m: int, g: int, npages: int, spc: int, elemsize: int, nelems: int, state: int
    ) -> int:
        """mheap.go: allocSpan: pages from the P's page cache (small spans) or the page allocator,
        growing the heap if needed; initSpan; the span id."""
        pages = self.pages
        a = self.a
        base = -1
        if p >= 0 and npages < PCACHE_MAX_NPAGES:
            mc = a.mcaches[p]
            pc = mc.pcache
            c = pc.cache
            if not c:  # pc.empty()
                mc.pcache = pc = pages.allocToCache()
                c = pc.cache
            if npages == 1 and c:
                # pageCache.alloc(1), inline (most spans are one page): the lowest free page
                low = c & -c
                pc.cache = c ^ low
                base = pc.base + low.bit_length() - 1
            else:
                base = pc.alloc(npages)
        if base < 0:
            base = pages.alloc(npages)
            if base < 0:
                grown = self.grow(npages)
                a.ev.HeapGrow(t_ns, p, m, g, npages=grown, heap_sys_bytes=a._heap_sys_bytes())
                base = pages.alloc(npages)
        sid = self.spans.new(base, npages, spc, elemsize, nelems, state, self.sweepgen)  # initSpan
        if npages > 1 or pages.scav[base >> LOG_PALLOC_CHUNK_PAGES]:  # else no released page to reuse
            pages.sysUsed(base, npages)
        if npages == 1:  # setSpans
            self.page_span[base] = sid
        else:
            self.page_span[base : base + npages] = sid
        if spc == SPANCLASS_MANUAL:
            a.stack_inuse_pages += npages
        else:
            self.pagesInUse += npages
            self.spans_by_class[spc] += 1
        # SpanAlloc: span, spanclass, pages
        a.ext((t_ns, _SPAN_ALLOC, p, m, g, sid, spc, npages | base << 32))
        return sid

    def grow(self, npages: int) -> int:
        """mheap.go: grow, map whole 512-page chunks (4 MiB), reserving 64 MiB arenas as needed.

        Returns the pages added.
        """
        ask = -(-npages // PALLOC_CHUNK_PAGES) * PALLOC_CHUNK_PAGES
        end = self.pages.mapped_pages + ask
        if 0 <= self.limit_pages < end:  # sysMap fails: no memory behind the address space
            raise EmulatedOOM(
                ask * PAGE_SIZE, self.pages.mapped_pages * PAGE_SIZE, self.limit_pages * PAGE_SIZE
            )
        if end > self.arena_pages:
            # SIMPLIFICATION: arenas are contiguous from the heap base (no hint list, no randomized base)
            self.arena_pages = -(-end // PAGES_PER_ARENA) * PAGES_PER_ARENA
        if end > len(self.page_span):
            cap = len(self.page_span)
            while cap < end:
                cap *= 2
            self.page_span = np.concatenate(
                [self.page_span, np.full(cap - len(self.page_span), -1, np.int32)]
            )
        self.pages.grow(ask)
        return ask

    def freeSpan(self, t_ns: int, p: int, m: int, g: int, sid: int) -> None:
        """mheap.go: freeSpan, a heap span's pages go back to the page allocator."""
        sp = self.spans
        self.pagesInUse -= sp.f_npages[sid]
        self.spans_by_class[sp.f_spanclass[sid]] -= 1
        self.freeSpanLocked(t_ns, p, m, g, sid)

    def freeManual(self, t_ns: int, p: int, m: int, g: int, sid: int) -> None:
        """mheap.go: freeManual, a stack span's pages go back to the page allocator."""
        self.a.stack_inuse_pages -= self.spans.f_npages[sid]
        self.freeSpanLocked(t_ns, p, m, g, sid)

    def freeSpanLocked(self, t_ns: int, p: int, m: int, g: int, sid: int) -> None:
        """mheap.go: freeSpanLocked, pages to pageAlloc, the mspan struct to its free list."""
        sp = self.spans
        base = sp.f_start[sid]
        npages = sp.f_npages[sid]
        self.pages.free(base, npages)
        if npages == 1:
            self.page_span[base] = -1
        else:
            self.page_span[base : base + npages] = -1
        sp.free(sid)
        self.a.ext((t_ns, _SPAN_FREE, p, m, g, sid, npages, 0))  # SpanFree: span, npages
