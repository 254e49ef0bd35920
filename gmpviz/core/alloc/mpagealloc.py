"""The page allocator (`mpagealloc.go: pageAlloc`): which 8 KiB pages of the mapped heap are free,
which are scavenged (returned to the OS), and an address-ordered first fit over them.

As in the runtime, the heap is cut into 512-page chunks, each with an allocation bitmap
(``pallocBits``, here one Python int per chunk: bit i set = page i allocated) and a scavenged
bitmap; a radix tree of summaries (``pallocSum``: free pages at the start, the longest free run,
free pages at the end) over the chunks lets :meth:`PageAlloc.find` descend to the lowest-address
fit in O(log heap) steps instead of scanning the bitmap.

It only knows pages; spans are built on top of it by `mheap.py`, the per-P page caches are
`mpagecache.py`'s. Functions follow mpagealloc.go's order: ``grow``, ``update``, ``allocRange``,
``find``, ``alloc``, ``free``; then ``allocToCache`` (mpagecache.go) and ``scavenge``
(mgcscavenge.go).
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import PAGE_CACHE_PAGES, PALLOC_CHUNK_PAGES

from .mpagecache import PageCache

#: mpagealloc.go: logPallocChunkPages (512 pages per chunk)
LOG_PALLOC_CHUNK_PAGES = PALLOC_CHUNK_PAGES.bit_length() - 1
#: mpagealloc.go: summaryLevelBits, each summary level has 8x the entries of the one above
SUMMARY_LEVEL_BITS = 3
_FANOUT = 1 << SUMMARY_LEVEL_BITS
_CHUNK_MASK = PALLOC_CHUNK_PAGES - 1
#: a chunk with every page allocated
_FULL = (1 << PALLOC_CHUNK_PAGES) - 1
_CACHE_BLOCK = (1 << PAGE_CACHE_PAGES) - 1


def _max_run(free: int) -> int:
    """pallocBits.summarize's max: the longest run of set bits of `free`.

    runs[k] marks the starts of runs of at least 2**k bits; the longest run is then assembled
    greedily from the largest power down, O(log run) big-int operations.
    """
    if not free:
        return 0
    runs = [free]
    k = 1
    while True:
        nxt = runs[-1] & (runs[-1] >> k)
        if not nxt:
            break
        runs.append(nxt)
        k <<= 1
    n = 1 << (len(runs) - 1)
    cur = runs[-1]
    for j in range(len(runs) - 2, -1, -1):
        cand = cur & (runs[j] >> n)
        if cand:
            cur = cand
            n += 1 << j
    return n


def _find_run(free: int, npages: int) -> int:
    """pallocBits.find: the lowest index where `npages` set bits of `free` start, or -1."""
    if npages == 1:
        r = free
    else:
        r = -1  # all ones: no constraint yet
        have = 0  # r marks the starts of runs of at least `have` bits
        a, alen = free, 1  # a marks the starts of runs of at least alen bits
        n = npages
        while True:
            if n & 1:
                r = a if have == 0 else r & (a >> have)
                have += alen
            n >>= 1
            if not n:
                break
            a &= a >> alen
            alen <<= 1
    if not r:
        return -1
    return (r & -r).bit_length() - 1


def _summarize(used: int) -> tuple[int, int, int]:
    """pallocBits.summarize: (start, max, end) free pages of one chunk."""
    if not used:
        return PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES
    if used == _FULL:
        return 0, 0, 0
    start = (used & -used).bit_length() - 1
    end = PALLOC_CHUNK_PAGES - used.bit_length()
    return start, _max_run(~used & _FULL), end


class PageAlloc:
    """mpagealloc.go: pageAlloc, chunk bitmaps, their radix tree of summaries, scavenged bits.

    Summaries are brought up to date lazily: allocating or freeing marks a chunk dirty, and the
    next search that needs the tree (:meth:`find`) re-summarizes the dirty chunks and merges the
    levels above them (``update``), so a sweep freeing a thousand spans pays once.
    """

    __slots__ = (
        "chunks",
        "scav",
        "mapped_pages",
        "search_page",
        "free_pages",
        "released_pages",
        "summary",
        "_dirty",
    )

    def __init__(self) -> None:
        #: pallocBits per chunk: bit i set = page i allocated to a span or held by a P's page cache
        self.chunks: list[int] = []
        #: scavenged bits per chunk: backed by no RAM (HeapReleased); only set on free or cached pages
        self.scav: list[int] = []
        self.mapped_pages = 0  # grown into the page allocator (HeapSys + stacks): pageAlloc.end
        self.search_page = 0  # pageAlloc.searchAddr: no free page below it
        self.free_pages = 0  # free in pageAlloc (excludes page caches)
        self.released_pages = 0  # scavenged pages (free, cached or not)
        #: summary[l] = (starts, maxes, ends), root level first; level l has 8**(l+1) entries and
        #: the leaf level one entry per chunk (unmapped chunks summarize as no free page)
        self.summary: list[tuple[list[int], list[int], list[int]]] = []
        self._dirty: set[int] = set()

    # --- growth ---------------------------------------------------------------------------------

    def grow(self, npages: int) -> None:
        """mpagealloc.go: pageAlloc.grow, npages (whole chunks) more at the end of the mapped heap.

        New memory counts as scavenged: it has no RAM behind it yet.
        """
        first = len(self.chunks)
        nchunks = npages >> LOG_PALLOC_CHUNK_PAGES
        self.chunks.extend([0] * nchunks)
        self.scav.extend([_FULL] * nchunks)
        self.mapped_pages += npages
        self.free_pages += npages
        self.released_pages += npages
        levels = 1
        while _FANOUT**levels < len(self.chunks):
            levels += 1
        if levels > len(self.summary):
            self.summary = [
                ([0] * _FANOUT ** (lv + 1), [0] * _FANOUT ** (lv + 1), [0] * _FANOUT ** (lv + 1))
                for lv in range(levels)
            ]
            self._dirty.update(range(len(self.chunks)))
        else:
            self._dirty.update(range(first, len(self.chunks)))

    def update(self) -> None:
        """mpagealloc.go: pageAlloc.update, for every dirty chunk: its leaf summary, then the
        summaries above it merged level by level (mergeSummaries)."""
        dirty = self._dirty
        if not dirty:
            return
        summary = self.summary
        chunks = self.chunks
        st, mx, en = summary[-1]
        for ci in dirty:
            st[ci], mx[ci], en[ci] = _summarize(chunks[ci])
        parents = {ci >> SUMMARY_LEVEL_BITS for ci in dirty}
        dirty.clear()
        log_child = LOG_PALLOC_CHUNK_PAGES
        for lv in range(len(summary) - 2, -1, -1):
            cst, cmx, cen = summary[lv + 1]
            pst, pmx, pen = summary[lv]
            child_pages = 1 << log_child
            for pi in parents:
                i0 = pi << SUMMARY_LEVEL_BITS
                start, most, end = cst[i0], cmx[i0], cen[i0]
                for k in range(1, _FANOUT):
                    si = cst[i0 + k]
                    if start == k * child_pages:
                        start += si
                    run = end + si
                    if run > most:
                        most = run
                    mi = cmx[i0 + k]
                    if mi > most:
                        most = mi
                    ei = cen[i0 + k]
                    end = end + child_pages if ei == child_pages else ei
                pst[pi], pmx[pi], pen[pi] = start, most, end
            parents = {pi >> SUMMARY_LEVEL_BITS for pi in parents}
            log_child += SUMMARY_LEVEL_BITS

    def allocRange(self, base: int, npages: int) -> None:
        """mpagealloc.go: pageAlloc.allocRange, mark [base, base+npages) allocated."""
        self._set_range(base, npages, True)
        self.free_pages -= npages

    def _set_range(self, base: int, npages: int, used: bool) -> None:
        chunks = self.chunks
        dirty = self._dirty
        ci = base >> LOG_PALLOC_CHUNK_PAGES
        lo = base & _CHUNK_MASK
        if lo + npages <= PALLOC_CHUNK_PAGES:  # one chunk: most spans
            mask = ((1 << npages) - 1) << lo
            chunks[ci] = chunks[ci] | mask if used else chunks[ci] & ~mask
            dirty.add(ci)
            return
        end = base + npages
        while base < end:
            ci = base >> LOG_PALLOC_CHUNK_PAGES
            lo = base & _CHUNK_MASK
            n = min(end - base, PALLOC_CHUNK_PAGES - lo)
            mask = ((1 << n) - 1) << lo
            chunks[ci] = chunks[ci] | mask if used else chunks[ci] & ~mask
            dirty.add(ci)
            base += n

    # --- allocation -----------------------------------------------------------------------------

    def find(self, npages: int) -> int:
        """mpagealloc.go: pageAlloc.find, the lowest-address run of npages free pages, or -1.

        Walks the summary levels from the root: at each level, over the 8 entries below the one
        chosen above, either a run crossing entry boundaries is long enough (done), or an entry
        holds a long enough run inside (descend into it); at the leaf, the chunk's bitmap.
        """
        self.update()
        summary = self.summary
        if not summary:
            return -1
        levels = len(summary)
        i = 0
        for lv in range(levels):
            st, mx, en = summary[lv]
            log_pages = LOG_PALLOC_CHUNK_PAGES + SUMMARY_LEVEL_BITS * (levels - 1 - lv)
            entry_pages = 1 << log_pages
            i <<= SUMMARY_LEVEL_BITS
            base = size = 0
            descend = False
            for j in range(i, i + _FANOUT):
                s = st[j]
                if not s and not mx[j]:  # no free page in this entry: any run breaks here
                    size = 0
                    continue
                if size + s >= npages:
                    if size == 0:
                        base = j << log_pages
                    size += s
                    break
                if mx[j] >= npages:
                    i = j
                    descend = True
                    break
                if size == 0 or s < entry_pages:
                    size = en[j]
                    base = ((j + 1) << log_pages) - size
                    continue
                size += entry_pages
            if not descend:
                return base if size >= npages else -1
        j = _find_run(~self.chunks[i] & _FULL, npages)
        if j < 0:
            raise AssertionError(f"pageAlloc: bad summary data for chunk {i}")
        return (i << LOG_PALLOC_CHUNK_PAGES) + j

    def _first_free(self) -> int:
        """searchAddr moved up to the first free page (or mapped_pages)."""
        sp = self.search_page
        if sp >= self.mapped_pages:
            return self.mapped_pages
        ci = sp >> LOG_PALLOC_CHUNK_PAGES
        free = ~self.chunks[ci] & _FULL & ~((1 << (sp & _CHUNK_MASK)) - 1)
        if free:  # fast path: a free page in searchAddr's chunk
            first = (ci << LOG_PALLOC_CHUNK_PAGES) + (free & -free).bit_length() - 1
        else:
            first = self.find(1)
            if first < 0:
                first = self.mapped_pages
        self.search_page = first
        return first

    def alloc(self, npages: int) -> int:
        """mpagealloc.go: pageAlloc.alloc, address-ordered first fit; base page or -1 when the heap
        must grow. The scavenged pages of the range are the caller's (:meth:`sysUsed`)."""
        lo = self._first_free()
        if self.mapped_pages - lo < npages:
            return -1
        base = -1
        if npages <= PALLOC_CHUNK_PAGES - (lo & _CHUNK_MASK):
            # fast path: searchAddr's chunk holds the first free page, so a fit inside it is the
            # lowest one (a run crossing into the next chunk starts higher)
            ci = lo >> LOG_PALLOC_CHUNK_PAGES
            j = _find_run(~self.chunks[ci] & _FULL, npages)
            if j >= 0:
                base = (ci << LOG_PALLOC_CHUNK_PAGES) + j
        if base < 0:
            base = self.find(npages)
            if base < 0:
                return -1
        self.allocRange(base, npages)
        if base == self.search_page:
            self.search_page = base + npages
        return base

    def free(self, base: int, npages: int) -> None:
        """mpagealloc.go: pageAlloc.free, pages are free again (not released: the scavenger's job)."""
        self._set_range(base, npages, False)
        self.free_pages += npages
        if base < self.search_page:
            self.search_page = base

    def allocToCache(self) -> PageCache:
        """mpagecache.go: pageAlloc.allocToCache, the 64-page aligned block holding the first free page."""
        pc = PageCache()
        first = self._first_free()
        if first >= self.mapped_pages:
            return pc
        base = first & ~(PAGE_CACHE_PAGES - 1)
        ci = base >> LOG_PALLOC_CHUNK_PAGES
        off = base & _CHUNK_MASK
        used = self.chunks[ci]
        pc.base = base
        pc.cache = ~(used >> off) & _CACHE_BLOCK
        self.chunks[ci] = used | _CACHE_BLOCK << off
        self._dirty.add(ci)
        self.free_pages -= pc.cache.bit_count()
        self.search_page = base + PAGE_CACHE_PAGES
        return pc

    def flush_cache(self, pc: PageCache) -> None:
        """pageCache.flush into this page allocator."""
        pc.flush(self)

    def sysUsed(self, base: int, npages: int) -> int:
        """mem.go: sysUsed on the scavenged pages of a new span (allocRange's scav count); how many."""
        scav = self.scav
        ci = base >> LOG_PALLOC_CHUNK_PAGES
        lo = base & _CHUNK_MASK
        if lo + npages <= PALLOC_CHUNK_PAGES:  # one chunk: most spans
            s = scav[ci]
            if not s:
                return 0
            mask = ((1 << npages) - 1) << lo
            hit = s & mask
            if not hit:
                return 0
            scav[ci] = s & ~mask
            nscav = hit.bit_count()
            self.released_pages -= nscav
            return nscav
        end = base + npages
        nscav = 0
        while base < end:
            ci = base >> LOG_PALLOC_CHUNK_PAGES
            lo = base & _CHUNK_MASK
            n = min(end - base, PALLOC_CHUNK_PAGES - lo)
            s = scav[ci]
            if s:
                mask = ((1 << n) - 1) << lo
                hit = s & mask
                if hit:
                    nscav += hit.bit_count()
                    scav[ci] = s & ~mask
            base += n
        self.released_pages -= nscav
        return nscav

    # --- views ----------------------------------------------------------------------------------

    def _mask(self, words: list[int]) -> np.ndarray:
        raw = b"".join(w.to_bytes(PALLOC_CHUNK_PAGES // 8, "little") for w in words)
        return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little").astype(bool)

    def free_mask(self) -> np.ndarray:
        """Free (not allocated, not cached) pages of the mapped heap as a bool array."""
        return ~self._mask(self.chunks)

    def scav_mask(self) -> np.ndarray:
        """Scavenged pages of the mapped heap as a bool array."""
        return self._mask(self.scav)

    def check(self) -> None:
        """Raise AssertionError if the summaries, counters or searchAddr disagree with the bitmaps
        (for tests; O(heap))."""
        self.update()
        levels = self.summary
        if not levels:
            return
        fresh = PageAlloc()
        fresh.chunks = list(self.chunks)
        fresh.summary = [tuple([0] * len(col) for col in lv) for lv in levels]
        fresh._dirty = set(range(len(self.chunks)))
        fresh.update()
        assert fresh.summary == levels, "pageAlloc: stale summaries"
        free = self.free_mask()
        assert self.free_pages == int(np.count_nonzero(free)), "pageAlloc: free page count"
        assert not free[: self.search_page].any(), "pageAlloc: a free page below searchAddr"

    # --- scavenging -----------------------------------------------------------------------------

    def scavenge(self, npages: int) -> int:
        """mgcscavenge.go: pageAlloc.scavenge, release up to npages free, unscavenged pages, highest
        addresses first."""
        want = npages
        chunks, scav = self.chunks, self.scav
        ci = len(chunks) - 1
        while want > 0 and ci >= 0:
            cand = ~chunks[ci] & ~scav[ci] & _FULL
            if cand:
                n = cand.bit_count()
                if n > want:  # keep only the highest `want` candidates
                    keep = 0
                    for _ in range(want):
                        top = 1 << (cand.bit_length() - 1)
                        keep |= top
                        cand ^= top
                    cand = keep
                    n = want
                scav[ci] |= cand
                want -= n
            ci -= 1
        done = npages - want if npages > 0 else 0
        self.released_pages += done
        return done
