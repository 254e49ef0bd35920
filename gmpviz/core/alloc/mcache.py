"""Per-P allocation caches (`mcache.go`): one cached span per span class, the tiny block, the
stack cache, and the P's page cache (which the runtime keeps on p).

Functions follow mcache.go's order: ``refill``, ``allocLarge``, ``releaseAll``, ``prepareForSweep``.
"""

from __future__ import annotations

from gmpviz.core.constants import NUM_SPAN_CLASSES, NUM_STACK_ORDERS, PAGE_SIZE
from gmpviz.core.trace.events import EV

from .mpagecache import PageCache
from .mspan import SPAN_LARGE, SPAN_MCACHE

#: mcache.go: the sweepgen a span gets when an mcache takes it (sg+3: cached, to be swept later)
SWEEPGEN_CACHED = 3
#: mcache.go: sg+1, a span cached before this sweep phase began (swept when uncached)
SWEEPGEN_STALE_CACHED = 1
#: the MCacheRefill kind for the raw emit form (a hot kind: tracer.RAW_HOT_KINDS)
_MCACHE_REFILL = int(EV.MCacheRefill)


class MCache:
    """mcache.go: mcache of one P (plus the P's pageCache, which the runtime keeps on p).

    ``a`` is the allocator (mheap_, gcController.heapLive), ``p`` the owning P's id.
    """

    __slots__ = (
        "a",
        "p",
        "alloc",
        "tiny_span",
        "tiny_slot",
        "tiny_offset",
        "flush_gen",
        "stackcache",
        "stackcache_bytes",
        "pcache",
    )

    def __init__(self, a, p: int, flush_gen: int) -> None:
        self.a = a
        self.p = p
        self.alloc = [-1] * NUM_SPAN_CLASSES  # span id per span class, -1 = emptymspan
        self.tiny_span = -1
        self.tiny_slot = 0
        self.tiny_offset = 0
        self.flush_gen = flush_gen
        self.stackcache: list[list[int]] = [[] for _ in range(NUM_STACK_ORDERS)]
        self.stackcache_bytes = [0] * NUM_STACK_ORDERS
        self.pcache = PageCache()

    def refill(self, t_ns: int, m: int, g: int, spc: int) -> int:
        """mcache.go: refill, swap the full span of class spc for one from mcentral.cacheSpan."""
        a = self.a
        h = a.mheap
        sp = h.spans
        p = self.p
        c = h.central[spc]
        old = self.alloc[spc]
        if old >= 0:
            c.uncacheSpan(t_ns, p, m, g, old)
        sid = c.cacheSpan(t_ns, p, m, g)
        sp.f_sweepgen[sid] = h.sweepgen + SWEEPGEN_CACHED
        sp.f_state[sid] = SPAN_MCACHE
        sp.f_owner[sid] = p
        used = sp.f_alloc_count[sid]
        # gcController.update(npages*pageSize - usedBytes): the whole span but its used slots counts as
        # live right away; releaseAll takes back only the free slots, so tail waste stays counted
        a.heap_live += sp.f_npages[sid] * PAGE_SIZE - used * sp.f_elemsize[sid]
        self.alloc[spc] = sid
        # MCacheRefill: spanclass, span, free_slots
        a.ext((t_ns, _MCACHE_REFILL, p, m, g, spc, sid, sp.f_nelems[sid] - used))
        return sid

    def allocLarge(self, t_ns: int, m: int, g: int, npages: int, noscan: int) -> int:
        """mcache.go: allocLarge, a span of npages for one large object (sweep credit first); it goes
        straight to its mcentral's full swept set and counts as live at once."""
        a = self.a
        h = a.mheap
        nbytes = npages * PAGE_SIZE
        spc = noscan  # makeSpanClass(0, noscan)
        if a.deduct_sweep_credit is not None:
            a.deduct_sweep_credit(t_ns, self.p, m, g, nbytes, npages)
        sid = h.alloc(t_ns, self.p, m, g, npages, spc, nbytes, 1, SPAN_LARGE)
        h.central[spc].full[h.sweepgen >> 1 & 1].append(sid)  # fullSwept(sweepgen).push(s)
        a.heap_live += nbytes
        return sid

    def releaseAll(self, t_ns: int) -> int:
        """mcache.go: releaseAll, uncache every span, undo the unused-slot overestimate, drop tiny."""
        a = self.a
        h = a.mheap
        sp = h.spans
        p = self.p
        cached = [sid for sid in self.alloc if sid >= 0]
        a.ev.MCacheFlush(t_ns, p, -1, 0, spans=len(cached))
        stale = h.sweepgen + SWEEPGEN_STALE_CACHED
        for spc, sid in enumerate(self.alloc):
            if sid < 0:
                continue
            if sp.f_sweepgen[sid] != stale:
                a.heap_live -= (sp.f_nelems[sid] - sp.f_alloc_count[sid]) * sp.f_elemsize[sid]
            self.alloc[spc] = -1
            h.central[spc].uncacheSpan(t_ns, p, -1, 0, sid)
        self.tiny_span = -1
        self.tiny_offset = 0
        return len(cached)

    def prepareForSweep(self, t_ns: int) -> None:
        """mcache.go: prepareForSweep, flush once per sweep phase (from acquirep, procresize...)."""
        a = self.a
        sg = a.mheap.sweepgen
        if self.flush_gen == sg:
            return
        self.releaseAll(t_ns)
        a.stackcache_clear(self.p, t_ns)
        self.flush_gen = sg
