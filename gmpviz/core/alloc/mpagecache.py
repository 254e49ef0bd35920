"""The per-P page cache (`mpagecache.go`): 64 pages aligned to 64, taken from the page allocator at
once so that small spans need no global lock in the runtime (and no summary search here)."""

from __future__ import annotations


class PageCache:
    """mpagecache.go: pageCache, 64 pages aligned to 64, one bit per page (1 = free)."""

    __slots__ = ("base", "cache")

    def __init__(self) -> None:
        self.base = -1
        self.cache = 0

    def empty(self) -> bool:
        """mpagecache.go: pageCache.empty."""
        return self.cache == 0

    def alloc(self, npages: int) -> int:
        """mpagecache.go: pageCache.alloc, lowest run of npages free pages, or -1."""
        c = self.cache
        if not c:
            return -1
        if npages == 1:
            i = (c & -c).bit_length() - 1
            self.cache = c & ~(1 << i)
            return self.base + i
        return self.allocN(npages)

    def allocN(self, npages: int) -> int:
        """mpagecache.go: pageCache.allocN, the first fit of npages > 1 pages, or -1.

        As findBitRange64: AND the cache with itself shifted, doubling the run length each time,
        until bit i says pages i .. i+npages-1 are all free; the lowest such bit is the first fit.
        """
        c = self.cache
        x = c
        run = 1  # bit i of x: pages i .. i+run-1 are free
        while run < npages:
            step = min(run, npages - run)
            x &= x >> step
            run += step
        if not x:
            return -1
        i = (x & -x).bit_length() - 1
        self.cache = c & ~(((1 << npages) - 1) << i)
        return self.base + i

    def flush(self, pages) -> None:
        """mpagecache.go: pageCache.flush, the free pages go back to the page allocator `pages`."""
        c = self.cache
        i = 0
        while c:
            if c & 1:
                pages.free(self.base + i, 1)
            c >>= 1
            i += 1
        self.cache = 0
        self.base = -1
