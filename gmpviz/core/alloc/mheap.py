"""The page heap: 8 KiB pages in 64 MiB arenas, address-ordered first fit (`mheap.go`, `mpagealloc.go`).

`PageHeap` only knows pages: which are allocated (to a span or to a P's page cache), which are
scavenged (returned to the OS), which span owns each page (the runtime's ``h.spans`` map), and the
per-P page caches (`mpagecache.go`). Spans themselves are built by the allocator on top of it.
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import PAGE_CACHE_PAGES, PAGE_SIZE, PAGES_PER_ARENA, PALLOC_CHUNK_PAGES
from gmpviz.core.workload.budget import EmulatedOOM

_SEARCH_WINDOW = 1024  # pages scanned at once when searching the bitmap

#: malloc.go: mallocinit's first arena hint on linux/amd64, 0x00c0<<32 (Go 1.26 randomizes it; we don't)
HEAP_BASE_ADDR = 0x00C0 << 32


def page_addr(page: int) -> int:
    """mspan.startAddr of a span starting at page index `page` (base + page * 8 KiB)."""
    return HEAP_BASE_ADDR + page * PAGE_SIZE


class PageCache:
    """mpagecache.go: pageCache, 64 pages aligned to 64, one bit per page (1 = free)."""

    __slots__ = ("base", "cache")

    def __init__(self) -> None:
        self.base = -1
        self.cache = 0

    def empty(self) -> bool:
        return self.cache == 0

    def alloc(self, npages: int) -> int:
        """pageCache.alloc / allocN: lowest run of npages free pages, or -1."""
        c = self.cache
        if not c:
            return -1
        if npages == 1:
            i = (c & -c).bit_length() - 1
            self.cache = c & ~(1 << i)
            return self.base + i
        want = (1 << npages) - 1
        # SIMPLIFICATION: a shift loop instead of findBitRange64's bit tricks; same first fit.
        for i in range(PAGE_CACHE_PAGES - npages + 1):
            if (c >> i) & want == want:
                self.cache = c & ~(want << i)
                return self.base + i
        return -1


class PageHeap:
    """mpagealloc.go: pageAlloc as a numpy bitmap, plus arenas, h.spans and scavenged bits."""

    __slots__ = (
        "used",
        "scav",
        "page_span",
        "mapped_pages",
        "arena_pages",
        "search_page",
        "free_pages",
        "released_pages",
        "limit_pages",
    )

    def __init__(self) -> None:
        cap = PALLOC_CHUNK_PAGES
        #: pageAlloc bitmap: True = allocated to a span or held by a P's page cache
        self.used = np.zeros(cap, dtype=bool)
        #: scavenged: backed by no RAM (HeapReleased); only ever set on pages free in pageAlloc or cached
        self.scav = np.zeros(cap, dtype=bool)
        #: mheap.spans: span id owning each page, -1 if none
        self.page_span = np.full(cap, -1, dtype=np.int32)
        self.mapped_pages = 0  # grown into the page allocator (HeapSys + stacks)
        self.arena_pages = 0  # reserved address space, whole 64 MiB arenas
        self.search_page = 0  # pageAlloc.searchAddr: no free page below it
        self.free_pages = 0  # free in pageAlloc (excludes page caches)
        self.released_pages = 0  # scavenged pages (free, cached or not)
        self.limit_pages = -1  # the emulated machine's memory in pages (-1: none; core/workload/budget.py)

    # --- growth ---------------------------------------------------------------------------------

    def grow(self, npages: int) -> int:
        """mheap.grow: map whole 512-page chunks (4 MiB), reserving 64 MiB arenas as needed.

        Returns the pages added. New memory counts as scavenged: it has no RAM behind it yet.
        """
        ask = -(-npages // PALLOC_CHUNK_PAGES) * PALLOC_CHUNK_PAGES
        end = self.mapped_pages + ask
        if 0 <= self.limit_pages < end:  # sysMap fails: no memory behind the address space
            raise EmulatedOOM(ask * PAGE_SIZE, self.mapped_pages * PAGE_SIZE, self.limit_pages * PAGE_SIZE)
        if end > self.arena_pages:
            # SIMPLIFICATION: arenas are contiguous from the heap base (no hint list, no randomized base)
            self.arena_pages = -(-end // PAGES_PER_ARENA) * PAGES_PER_ARENA
        if end > len(self.used):
            cap = len(self.used)
            while cap < end:
                cap *= 2
            self.used = np.concatenate([self.used, np.zeros(cap - len(self.used), dtype=bool)])
            self.scav = np.concatenate([self.scav, np.zeros(cap - len(self.scav), dtype=bool)])
            self.page_span = np.concatenate(
                [self.page_span, np.full(cap - len(self.page_span), -1, np.int32)]
            )
        self.scav[self.mapped_pages : end] = True
        self.mapped_pages = end
        self.free_pages += ask
        self.released_pages += ask
        return ask

    # --- allocation -----------------------------------------------------------------------------

    def _first_free(self) -> int:
        """searchAddr moved up to the first free page (or mapped_pages), in doubling windows."""
        lo, hi = self.search_page, self.mapped_pages
        used = self.used
        w = _SEARCH_WINDOW
        while lo < hi:
            end = min(hi, lo + w)
            seg = used[lo:end]
            i = int(seg.argmin())
            if not seg[i]:
                self.search_page = lo + i
                return lo + i
            lo = end
            w *= 2
        self.search_page = hi
        return hi

    def alloc(self, npages: int) -> int:
        """pageAlloc.alloc: address-ordered first fit; base page or -1 when the heap must grow.

        SIMPLIFICATION: numpy scans from searchAddr in doubling windows instead of the radix tree
        of summaries; the answer (lowest-address fit) is the same.
        """
        lo = self._first_free()
        hi = self.mapped_pages
        if hi - lo < npages:
            return -1
        if npages == 1:
            base = lo
        else:
            base = -1
            used = self.used
            w = _SEARCH_WINDOW
            start = lo
            while start < hi and base < 0:
                end = min(hi, start + w + npages - 1)  # overlap: runs starting in the window are seen whole
                free = ~used[start:end]
                d = np.diff(free.view(np.int8))
                starts = np.flatnonzero(d == 1) + 1
                ends = np.flatnonzero(d == -1) + 1
                if free[0]:
                    starts = np.concatenate(([0], starts))
                if free[-1]:
                    ends = np.concatenate((ends, [len(free)]))
                fits = np.flatnonzero(ends - starts >= npages)
                if len(fits):
                    base = start + int(starts[fits[0]])
                start += w
                w *= 2
            if base < 0:
                return -1
        self.used[base : base + npages] = True
        self.free_pages -= npages
        if base == self.search_page:
            self.search_page = base + npages
        return base

    def alloc_to_cache(self) -> PageCache:
        """pageAlloc.allocToCache: the 64-page aligned block holding the first free page."""
        pc = PageCache()
        first = self._first_free()
        if first >= self.mapped_pages:
            return pc
        base = first // PAGE_CACHE_PAGES * PAGE_CACHE_PAGES
        block = ~self.used[base : base + PAGE_CACHE_PAGES]
        pc.base = base
        pc.cache = int(np.packbits(block, bitorder="little").view("<u8")[0])
        self.used[base : base + PAGE_CACHE_PAGES] = True
        self.free_pages -= int(np.count_nonzero(block))
        self.search_page = base + PAGE_CACHE_PAGES
        return pc

    def flush_cache(self, pc: PageCache) -> None:
        """pageCache.flush: free pages of a P's cache go back to the page allocator."""
        c = pc.cache
        i = 0
        while c:
            if c & 1:
                self.free(pc.base + i, 1)
            c >>= 1
            i += 1
        pc.cache = 0
        pc.base = -1

    def take(self, base: int, npages: int, span_id: int) -> int:
        """Pages become a span's (sysUsed on scavenged ones); returns how many were scavenged."""
        if npages == 1:  # most spans: scalar access beats a one-element reduction
            self.page_span[base] = span_id
            if self.scav[base]:
                self.scav[base] = False
                self.released_pages -= 1
                return 1
            return 0
        sc = self.scav[base : base + npages]
        nscav = 0
        if sc.any():
            nscav = int(sc.sum())
            sc[:] = False
            self.released_pages -= nscav
        self.page_span[base : base + npages] = span_id
        return nscav

    def free(self, base: int, npages: int) -> None:
        """pageAlloc.free: pages are free again (not released: that is the scavenger's job)."""
        self.used[base : base + npages] = False
        self.page_span[base : base + npages] = -1
        self.free_pages += npages
        if base < self.search_page:
            self.search_page = base

    # --- scavenging -----------------------------------------------------------------------------

    def scavenge(self, npages: int) -> int:
        """pageAlloc.scavenge: release up to npages free, unscavenged pages, highest addresses first."""
        if npages <= 0:
            return 0
        hi = self.mapped_pages
        cand = np.flatnonzero(~self.used[:hi] & ~self.scav[:hi])
        if len(cand) == 0:
            return 0
        pick = cand[-npages:]
        self.scav[pick] = True
        self.released_pages += len(pick)
        return len(pick)
