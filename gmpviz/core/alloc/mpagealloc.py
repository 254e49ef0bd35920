"""The page allocator (`mpagealloc.go: pageAlloc`): which 8 KiB pages of the mapped heap are free,
which are scavenged (returned to the OS), and an address-ordered first fit over them.

It only knows pages; spans are built on top of it by `mheap.py`, the per-P page caches are
`mpagecache.py`'s.
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import PAGE_CACHE_PAGES, PALLOC_CHUNK_PAGES

from .mpagecache import PageCache

_SEARCH_WINDOW = 1024  # pages scanned at once when searching the bitmap


class PageAlloc:
    """mpagealloc.go: pageAlloc as a numpy bitmap, with its scavenged bits (mgcscavenge.go)."""

    __slots__ = (
        "used",
        "scav",
        "mapped_pages",
        "search_page",
        "free_pages",
        "released_pages",
    )

    def __init__(self) -> None:
        cap = PALLOC_CHUNK_PAGES
        #: pageAlloc bitmap: True = allocated to a span or held by a P's page cache
        self.used = np.zeros(cap, dtype=bool)
        #: scavenged: backed by no RAM (HeapReleased); only ever set on pages free in pageAlloc or cached
        self.scav = np.zeros(cap, dtype=bool)
        self.mapped_pages = 0  # grown into the page allocator (HeapSys + stacks): pageAlloc.end
        self.search_page = 0  # pageAlloc.searchAddr: no free page below it
        self.free_pages = 0  # free in pageAlloc (excludes page caches)
        self.released_pages = 0  # scavenged pages (free, cached or not)

    def grow(self, npages: int) -> None:
        """mpagealloc.go: pageAlloc.grow, npages (whole chunks) more at the end of the mapped heap.

        New memory counts as scavenged: it has no RAM behind it yet.
        """
        end = self.mapped_pages + npages
        if end > len(self.used):
            cap = len(self.used)
            while cap < end:
                cap *= 2
            self.used = np.concatenate([self.used, np.zeros(cap - len(self.used), dtype=bool)])
            self.scav = np.concatenate([self.scav, np.zeros(cap - len(self.scav), dtype=bool)])
        self.scav[self.mapped_pages : end] = True
        self.mapped_pages = end
        self.free_pages += npages
        self.released_pages += npages

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
        """mpagealloc.go: pageAlloc.alloc, address-ordered first fit; base page or -1 when the heap
        must grow.

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

    def free(self, base: int, npages: int) -> None:
        """mpagealloc.go: pageAlloc.free, pages are free again (not released: the scavenger's job)."""
        self.used[base : base + npages] = False
        self.free_pages += npages
        if base < self.search_page:
            self.search_page = base

    def allocToCache(self) -> PageCache:
        """mpagecache.go: pageAlloc.allocToCache, the 64-page aligned block holding the first free page."""
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
        """pageCache.flush into this page allocator."""
        pc.flush(self)

    def sysUsed(self, base: int, npages: int) -> int:
        """mem.go: sysUsed on the scavenged pages of a new span (allocRange's scav count); how many."""
        if npages == 1:  # most spans: scalar access beats a one-element reduction
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
        return nscav

    def free_mask(self) -> np.ndarray:
        """Free (not allocated, not cached) pages of the mapped heap as a bool array (a copy)."""
        return ~self.used[: self.mapped_pages]

    def scavenge(self, npages: int) -> int:
        """mgcscavenge.go: pageAlloc.scavenge, release up to npages free, unscavenged pages, highest
        addresses first."""
        if npages <= 0:
            return 0
        hi = self.mapped_pages
        cand = np.flatnonzero(self.free_mask() & ~self.scav[:hi])
        if len(cand) == 0:
            return 0
        pick = cand[-npages:]
        self.scav[pick] = True
        self.released_pages += len(pick)
        return len(pick)
