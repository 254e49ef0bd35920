"""The allocator's entry points (`malloc.go`): mallocgc's tiny, small and large paths, plus the
statistics and the mark/sweep-phase hooks the GC drives.

One :class:`Allocator` owns the heap (`mheap.py`: the page allocator of `mpagealloc.py`, the span
table of `mspan.py`, one mcentral per span class from `mcentral.py`), one mcache per P
(`mcache.py`) and the sweeper (`mgcsweep.py`); each of those classes holds its own file's
functions under Go's names. It takes no virtual time: the engine charges CPU time per op. Objects
carry a death time (and pending goroutine owners) so that :meth:`Allocator.mark` can compute what a
GC would find reachable.

Events, enough to fold a span table (see ``model``) from them alone:

* ``Alloc``: one per run of objects into one span. Path SMALL/LARGE: ``count`` objects took
  ``count`` slots. Path TINY: objects packed into an existing 16-byte block (no new slot). A tiny
  object that opens a new block is, as in the runtime's statistics, a SMALL allocation of class 2
  noscan (one slot).
* ``SpanAlloc``: a2 packs ``npages | start_page << 32`` (:func:`span_pages_decode`); spanclass -1
  means a manual (stack) span.
* ``SpanCache``/``SpanUncache``/``SpanSweep``/``SpanFree`` give the state changes; SpanSweep's a2 is
  the live object count after the sweep.

How a GC drives it, in the runtime's order (`mgc.go`)::

    gcStart:           a.set_marking(True, t)        # finishsweep_m first, then allocate black
    mark termination:  marked = a.mark(t)
                       a.heap_live = marked           # gcController.resetLive
                       a.set_marking(False)
                       a.start_sweep_phase()          # gcSweep: sweepgen += 2
                       a.prepare_for_sweep(p, t)      # forEachP: flush mcaches (stale spans swept)
                       a.free_stack_spans(t)
    sweeping:          a.sweepone(t) until it returns 0 (bgsweep), a.deduct_sweep_credit hook

A P that misses the flush is flushed on its next mallocgc (as `acquirep` does in the runtime).
"""

from __future__ import annotations

import sys

import numpy as np

from gmpviz.core.constants import (
    MALLOC_HEADER_SIZE,
    MAX_SMALL_SIZE,
    MIN_SIZE_FOR_MALLOC_HEADER,
    PAGE_SIZE,
    TINY_SIZE,
    TINY_SIZE_CLASS,
)
from gmpviz.core.trace.events import EV, PATH_LARGE, PATH_SMALL, PATH_TINY
from gmpviz.core.trace.tracer import Emitters
from gmpviz.core.workload.ops import LIFE_DURATION, LIFE_FOREVER, LIFE_GOROUTINE, LIFE_SCOPE, LIFE_TEMP

from .mcache import MCache
from .mcentral import CACHE_FULL_UNSWEPT, CACHE_GROW, CACHE_PARTIAL_SWEPT, CACHE_PARTIAL_UNSWEPT
from .mgcsweep import Sweeper
from .mheap import MHeap, span_pages_code, span_pages_decode
from .mspan import (
    DEATH_NEVER,
    GREEN_TEA_GC,
    SPAN_FULL,
    SPAN_LARGE,
    SPAN_MCACHE,
    SPAN_PARTIAL,
    SPAN_STACK,
    SPANCLASS_NELEMS,
    span_nelems,
)
from .sizeclasses import CLASS_TO_SIZE, size_to_class
from .stack import StackMixin

#: runs of set allocBits/gcmarkBits bytes for nextFreeFast, by length (no span has more slots): a
#: table lookup costs less than slicing a memoryview, and a bytearray slice takes a bytearray without
#: the copy it makes of bytes (a third of the cost)
_ONES = tuple(bytearray(b"\x01" * k) for k in range(max(SPANCLASS_NELEMS) + 1))
#: the int64 columns' byte order (SpanTable.death_bytes holds native int64s)
_BYTEORDER = sys.byteorder
#: the Alloc kind for the raw emit form (a hot kind: tracer.RAW_HOT_KINDS)
_ALLOC = int(EV.Alloc)
#: goroutine_exit bookkeeping: merge a goroutine's slot lists per span beyond this many pieces
_G_RECORD_MERGE = 16

__all__ = [
    "CACHE_FULL_UNSWEPT",
    "CACHE_GROW",
    "CACHE_PARTIAL_SWEPT",
    "CACHE_PARTIAL_UNSWEPT",
    "GREEN_TEA_GC",
    "AllocError",
    "Allocator",
    "span_nelems",
    "span_pages_code",
    "span_pages_decode",
]


class AllocError(ValueError):
    """An allocation request the runtime cannot express (negative size or count, no such P)."""


def _slot_indexes(idx) -> np.ndarray:
    """A _record_g piece (a slice or an index array) as an index array."""
    return np.arange(idx.start, idx.stop, dtype=np.int32) if isinstance(idx, slice) else idx


def _tiny_align(size: int) -> int:
    """malloc.go: mallocgcTiny's alignment of the block offset for a pointer-free object."""
    if size & 7 == 0:
        return 8
    if size & 3 == 0:
        return 4
    if size & 1 == 0:
        return 2
    return 1


class Allocator(StackMixin):
    """Go's heap allocator in virtual time: mallocgc's paths over ``mheap`` (mheap.py, with the
    page allocator and the mcentrals), one :class:`MCache` per P and the :class:`Sweeper`; it
    also keeps the statistics the runtime keeps in memstats and gcController (heapLive, heapScan).
    See the module docstring for the event contract."""

    def __init__(self, ext, nprocs: int) -> None:
        self.ext = ext
        #: typed emitters over ext (events.SPEC): ``self.ev.SpanAlloc(t_ns, p, m, g, span=...)``
        self.ev = Emitters(ext)
        self.now = 0
        self.mheap = MHeap(self)
        self.sweeper = Sweeper(self)
        #: the page allocator (mheap_.pages), the mspans and the mcentrals, for readers of the heap
        self.heap = self.mheap.pages
        self.spans = self.mheap.spans
        self.central = self.mheap.central
        self.marking = False  # gcphase != _GCoff: allocate black, keep freed stack spans
        self._marked = False  # mark() ran since the last start_sweep_phase()
        # gcController / memstats
        self.heap_live = 0  # gcController.heapLive (with the refill overestimate)
        #: gcController.heapScan: scannable bytes allocated since the last mark (the GC resets it to
        #: heap_scan_marked at mark termination). SIMPLIFICATION: a scan object's whole size counts
        #: as scannable (the runtime counts up to its last pointer word).
        self.heap_scan = 0
        self.heap_scan_marked = 0  # scannable bytes found live by the last mark()
        self.heap_alloc = 0  # MemStats.HeapAlloc
        self.total_alloc = 0
        self.mallocs = 0  # small + large objects (tiny objects that opened a block included)
        self.frees = 0
        self.tiny_allocs = 0  # tiny objects packed into an existing block (malloc and free)
        #: optional GC hook, deductSweepCredit(t_ns, p, m, g, span_bytes, npages), called before
        #: span allocation in cacheSpan and allocLarge (proportional sweep belongs to the GC)
        self.deduct_sweep_credit = None
        #: goid -> {span id: [slot index arrays]} for LIFE_GOROUTINE objects
        self._g_slots: dict[int, dict[int, list]] = {}
        self.mcaches: list[MCache] = []
        self._init_stacks()
        self.set_procs(nprocs, 0)

    # mheap_ fields under the names the engine and the GC read
    @property
    def sweepgen(self) -> int:
        return self.mheap.sweepgen

    @property
    def pages_in_use(self) -> int:
        return self.mheap.pagesInUse

    @property
    def pages_swept(self) -> int:
        return self.mheap.pagesSwept

    @property
    def spans_by_class(self) -> np.ndarray:
        return np.array(self.mheap.spans_by_class, dtype=np.int64)

    # ============================================================================================
    # procresize
    # ============================================================================================

    def set_procs(self, nprocs: int, t_ns: int) -> None:
        """proc.go: procresize; new Ps get mcaches, removed Ps' caches go back (p.destroy)."""
        if nprocs < 1:
            raise AllocError(f"GOMAXPROCS must be >= 1, got {nprocs}")
        self.now = max(self.now, t_ns)
        while len(self.mcaches) < nprocs:
            self.mcaches.append(MCache(self, len(self.mcaches), self.mheap.sweepgen))
        while len(self.mcaches) > nprocs:
            p = len(self.mcaches) - 1
            self.release_all(p, t_ns)
            self.stackcache_clear(p, t_ns)
            self.mcaches[p].pcache.flush(self.heap)
            self.mcaches.pop()

    # ============================================================================================
    # malloc.go
    # ============================================================================================

    def nextFreeFast(self, sid: int, k: int, death: int, goid: int) -> tuple[int, int]:
        """malloc.go: nextFreeFast / mcache.nextFree k times at once: the first k free slots from freeindex.

        Returns the first and the last of them (slot indexes in the span).

        SIMPLIFICATION: allocCache is not kept as a 64-bit word; scanning allocBits from freeindex
        hands out the same slots in the same order.
        """
        sp = self.spans
        fi = sp.f_freeindex[sid]
        ac = sp.f_alloc_count[sid]
        off = sp.f_off[sid]
        start = off + fi
        if ac == fi:  # every slot below freeindex is allocated, none above: a contiguous run
            if k == 1:  # one slot (large objects, the last slot of a span): scalar indexes
                sp.alloc_bits[start] = 1
                if self.marking:  # gcmarknewobject: allocate black
                    sp.mark_bits[start] = 1
                sp.slot_death[start] = death
            else:
                at = slice(start, start + k)
                sp.alloc_bits[at] = _ONES[k]
                if self.marking:
                    sp.mark_bits[at] = _ONES[k]
                # slot_death[at] = death, as one bytes store into its int64 memory
                sp.death_view[start << 3 : (start + k) << 3] = death.to_bytes(8, _BYTEORDER, signed=True) * k
            if goid:
                # += 1 on slots that were free, which have no owner (check_invariants): = 1
                if k == 1:
                    sp.slot_gcount[start] = 1
                else:
                    sp.slot_gcount[start : start + k] = 1
                self._record_g(goid, sid, slice(fi, fi + k))
            first, last = fi, fi + k - 1
        elif ac + k == sp.f_nelems[sid]:
            # every free slot from freeindex on: the zero bytes of allocBits there, all set by one
            # store of a run (the allocated ones stay set); the free mask picks their other columns
            end = off + sp.f_nelems[sid]
            if sid in sp.freelist:  # what it still lists are these slots
                del sp.freelist[sid]
            free = ~sp.slot_alloc[start:end]
            bits = sp.alloc_bits
            first = bits.find(0, start, end) - off
            last = bits.rfind(0, start, end) - off
            bits[start:end] = _ONES[end - start]
            if self.marking:
                sp.slot_mark[start:end] |= free
            np.copyto(sp.slot_death[start:end], death, where=free)
            if goid:
                np.copyto(sp.slot_gcount[start:end], 1, where=free)  # no owner while free: = 1
                idx = np.flatnonzero(free)
                idx += fi
                self._record_g(goid, sid, idx)
        else:
            # the free slots of a span only change when it is swept, so they are listed once per
            # sweep (as absolute slot indexes) and handed out from the front
            free = sp.freelist.get(sid)
            if free is None:
                free = np.flatnonzero(~sp.slot_alloc[start : off + sp.f_nelems[sid]])
                free += start
            at = free[:k]
            sp.freelist[sid] = free[k:]
            idx = at - off
            first = int(idx[0])
            last = int(idx[-1])
            sp.slot_alloc[at] = True
            if self.marking:
                sp.slot_mark[at] = True
            sp.slot_death[at] = death
            if goid:
                sp.slot_gcount[at] = 1  # no owner while free: = 1
                self._record_g(goid, sid, idx)
        sp.f_freeindex[sid] = last + 1
        sp.f_alloc_count[sid] = ac + k
        return first, last

    def mallocgc(
        self,
        t_ns: int,
        p: int,
        m: int,
        g: int,
        size_bytes: int,
        count: int,
        noscan: int,
        lifetime: int,
        lifetime_ns: int = 0,
    ) -> bool:
        """malloc.go: mallocgc, `count` times. True if a span was fetched or a large object
        allocated: the only times the runtime tests the heap GC trigger."""
        if size_bytes < 0 or count < 0:
            raise AllocError(f"bad allocation: {count} x {size_bytes} bytes")
        if not 0 <= p < len(self.mcaches):
            raise AllocError(f"mallocgc on P{p}, which does not exist (GOMAXPROCS={len(self.mcaches)})")
        if size_bytes == 0 or count == 0:
            return False  # &zerobase: no memory, no statistics
        # SIMPLIFICATION: no heap profile sampling, zeroing or assist credit here (the GC charges assists)
        self.now = t_ns
        mc = self.mcaches[p]
        if mc.flush_gen != self.mheap.sweepgen:
            mc.prepareForSweep(t_ns)
        goid = 0
        if lifetime == LIFE_TEMP:
            death = t_ns
        elif lifetime == LIFE_DURATION:
            death = t_ns + lifetime_ns
        elif lifetime == LIFE_FOREVER:
            death = DEATH_NEVER
        elif lifetime == LIFE_GOROUTINE:
            death = t_ns
            goid = g if g > 0 else 0
            if not goid:
                death = DEATH_NEVER  # no goroutine to outlive: a global
        elif lifetime == LIFE_SCOPE:
            death = t_ns
            goid = lifetime_ns  # the scope's owner key (alloc/hooks.py scope_key), freed by goroutine_exit
        else:
            raise AllocError(f"unknown allocation lifetime {lifetime}")
        if size_bytes <= MAX_SMALL_SIZE - MALLOC_HEADER_SIZE:
            if noscan:
                if size_bytes < TINY_SIZE:
                    return self.mallocgcTiny(t_ns, p, m, g, size_bytes, count, death, goid)
                cls = size_to_class(size_bytes)
                return self.mallocgcSmall(t_ns, p, m, g, cls, 1, size_bytes, count, death, goid)
            if size_bytes <= MIN_SIZE_FOR_MALLOC_HEADER:
                cls = size_to_class(size_bytes)
            else:
                cls = size_to_class(size_bytes + MALLOC_HEADER_SIZE)
            return self.mallocgcSmall(t_ns, p, m, g, cls, 0, size_bytes, count, death, goid)
        return self.mallocgcLarge(t_ns, p, m, g, size_bytes, count, 1 if noscan else 0, death, goid)

    def mallocgcTiny(
        self, t_ns: int, p: int, m: int, g: int, size: int, count: int, death: int, goid: int
    ) -> bool:
        """malloc.go: mallocgcTiny, pointer-free objects < 16 B packed into 16-byte blocks."""
        mc = self.mcaches[p]
        sp = self.spans
        remaining = count
        old_off = TINY_SIZE + 1  # no block: any new block replaces it
        if mc.tiny_span >= 0:
            align = _tiny_align(size)
            off = (mc.tiny_offset + align - 1) // align * align
            n0 = min(remaining, max(0, (TINY_SIZE - off) // size))
            if n0:
                sid, slot = mc.tiny_span, mc.tiny_slot
                at = sp.f_off[sid] + slot
                if death > sp.slot_death[at]:
                    sp.slot_death[at] = death
                if self.marking:
                    sp.mark_bits[at] = 1
                if goid:
                    sp.slot_gcount[at] += 1
                    self._record_g(goid, sid, slice(slot, slot + 1))
                mc.tiny_offset = off + n0 * size
                self.tiny_allocs += n0
                remaining -= n0
                code = PATH_TINY | TINY_SIZE_CLASS << 8 | 1 << 16 | sid << 24
                self.ext((t_ns, _ALLOC, p, m, g, code, n0, n0 * size))  # Alloc: path_class_span, count, bytes
            old_off = mc.tiny_offset
        if not remaining:
            return False
        per_block = TINY_SIZE // size
        if per_block >= 2:
            nblocks = -(-remaining // per_block)
            last_n = remaining - (nblocks - 1) * per_block
        else:
            nblocks = remaining
            last_n = 1
        fill = remaining - nblocks
        refilled = self.mallocgcSmall(
            t_ns, p, m, g, TINY_SIZE_CLASS, 1, size, nblocks, death, goid, per_block, fill
        )
        self.tiny_allocs += fill
        # a new block becomes current if it leaves more room than the old one (size < tinyoffset):
        # with two or more objects per block each new block does, so the last one stays current;
        # with one object per block only the first new block can (then its offset equals size)
        if per_block >= 2:
            mc.tiny_span, mc.tiny_slot = self._last_block
            mc.tiny_offset = last_n * size
        elif size < old_off:
            mc.tiny_span, mc.tiny_slot = self._first_block
            mc.tiny_offset = size
        return refilled

    def mallocgcSmall(
        self,
        t_ns: int,
        p: int,
        m: int,
        g: int,
        cls: int,
        noscan: int,
        size: int,
        count: int,
        death: int,
        goid: int,
        tiny_per_block: int = 0,
        tiny_fill: int = 0,
    ) -> bool:
        """malloc.go: mallocgcSmallNoscan / mallocgcSmallScan*, run by run of one span each.

        tiny_per_block/tiny_fill: this is a run of new tiny blocks, tiny_fill more objects are
        packed into them after their first object (Alloc events with path TINY).
        """
        spc = cls << 1 | noscan
        mc = self.mcaches[p]
        sp = self.spans
        nelems = sp.f_nelems
        alloc_count = sp.f_alloc_count
        ext = self.ext
        code = PATH_SMALL | cls << 8 | noscan << 16
        refilled = False
        remaining = count
        elemsize = CLASS_TO_SIZE[cls]
        while remaining:
            sid = mc.alloc[spc]
            if sid < 0 or alloc_count[sid] == nelems[sid]:
                sid = mc.refill(t_ns, m, g, spc)
                refilled = True
            k = nelems[sid] - alloc_count[sid]
            if k > remaining:
                k = remaining
            first, last = self.nextFreeFast(sid, k, death, goid)
            # Alloc: path_class_span, count, bytes
            ext((t_ns, _ALLOC, p, m, g, code | sid << 24, k, k * size))
            remaining -= k
            if tiny_per_block:
                fill = min(tiny_fill, k * (tiny_per_block - 1))
                if fill:
                    ext(
                        (t_ns, _ALLOC, p, m, g, PATH_TINY | cls << 8 | 1 << 16 | sid << 24, fill, fill * size)
                    )
                    tiny_fill -= fill
                if remaining == count - k:  # first run: remember the first new block
                    self._first_block = (sid, first)
                if not remaining:
                    self._last_block = (sid, last)
        self.mallocs += count
        nbytes = count * elemsize
        self.heap_alloc += nbytes
        self.total_alloc += nbytes
        if not noscan:
            self.heap_scan += count * size  # mcache.scanAlloc
        return refilled

    def mallocgcLarge(
        self, t_ns: int, p: int, m: int, g: int, size: int, count: int, noscan: int, death: int, goid: int
    ) -> bool:
        """malloc.go: mallocgcLarge -> mcache.allocLarge, one span of ceil(size/8 KiB) pages each."""
        npages = -(-size // PAGE_SIZE)
        nbytes = npages * PAGE_SIZE
        mc = self.mcaches[p]
        code = PATH_LARGE | noscan << 16
        ext = self.ext
        for _ in range(count):
            sid = mc.allocLarge(t_ns, m, g, npages, noscan)
            self.nextFreeFast(sid, 1, death, goid)
            ext((t_ns, _ALLOC, p, m, g, code | sid << 24, 1, size))  # Alloc: path_class_span, count, bytes
        self.mallocs += count
        self.heap_alloc += count * nbytes
        self.total_alloc += count * nbytes
        if not noscan:
            self.heap_scan += count * size
        return True

    def _record_g(self, goid: int, sid: int, idx) -> None:
        """Note that goroutine goid owns one more object in each slot of idx (a slice or an array of
        slot indexes within span sid); goroutine_exit takes the counts back."""
        per_span = self._g_slots.setdefault(goid, {})
        pieces = per_span.get(sid)
        if pieces is None:
            per_span[sid] = [idx]
        else:
            pieces.append(idx)
            if len(pieces) > _G_RECORD_MERGE:
                per_span[sid] = [np.concatenate([_slot_indexes(x) for x in pieces])]

    # ============================================================================================
    # mcache.go, mcentral.go, mgcsweep.go under the names the engine and the GC call
    # ============================================================================================

    def refill(self, t_ns: int, p: int, m: int, g: int, spc: int) -> int:
        """mcache.go: refill on P p's mcache."""
        return self.mcaches[p].refill(t_ns, m, g, spc)

    def release_all(self, p: int, t_ns: int = -1) -> int:
        """mcache.go: releaseAll on P p's mcache; the spans it held."""
        return self.mcaches[p].releaseAll(self.now if t_ns < 0 else t_ns)

    def prepare_for_sweep(self, p: int, t_ns: int = -1) -> None:
        """mcache.go: prepareForSweep on P p's mcache (from acquirep, procresize, forEachP)."""
        self.mcaches[p].prepareForSweep(self.now if t_ns < 0 else t_ns)

    @property
    def sweep_done(self) -> bool:
        """mgcsweep.go: isSweepDone."""
        return self.sweeper.isSweepDone()

    def sweepone(self, t_ns: int, p: int = -1, m: int = -1, g: int = 0) -> int:
        """mgcsweep.go: sweepone; pages swept, 0 when nothing is left (bgsweep's unit of work)."""
        return self.sweeper.sweepone(t_ns, p, m, g)

    def finish_sweep(self, t_ns: int) -> int:
        """mgc.go: finishsweep_m; pages swept."""
        return self.sweeper.finishsweep_m(t_ns)

    def _heap_sys_bytes(self) -> int:
        return (self.heap.mapped_pages - self.stack_inuse_pages) * PAGE_SIZE

    def scavenge(
        self, t_ns: int, goal_bytes: int, p: int = -1, m: int = -1, g: int = 0, max_pages: int = -1
    ) -> int:
        """mgcscavenge.go: release free pages until retained memory (mapped - released) <= goal.

        max_pages >= 0 bounds one call (bgscavenge works in small paced steps, ~1% of a CPU; the
        caller paces). Returns the pages released.
        """
        heap = self.heap
        retained = (heap.mapped_pages - heap.released_pages) * PAGE_SIZE
        if goal_bytes < 0 or retained <= goal_bytes:
            return 0
        want = -(-(retained - goal_bytes) // PAGE_SIZE)
        if max_pages >= 0:
            want = min(want, max_pages)
        n = heap.scavenge(want)
        if n:
            self.ev.Scavenge(t_ns, p, m, g, npages=n, released_bytes=heap.released_pages * PAGE_SIZE)
        return n

    # ============================================================================================
    # GC: liveness, mark, sweep phase
    # ============================================================================================

    def goroutine_exit(self, goid: int, t_ns: int) -> None:
        """Objects with LIFE_GOROUTINE allocated by goid lose their last reference."""
        self.now = max(self.now, t_ns)
        per_span = self._g_slots.pop(goid, None)
        if not per_span:
            return
        sp = self.spans
        gcount = sp.slot_gcount
        for sid, pieces in per_span.items():
            if len(pieces) == 1 and type(pieces[0]) is slice:  # one run of distinct slots
                run = pieces[0]
                at = sp.f_off[sid] + run.start
                if run.stop - run.start == 1:
                    gcount[at] -= 1  # one object (a large one, a span's last slot): a scalar
                else:
                    gcount[at : at + run.stop - run.start] -= 1
                continue
            arr = sp.gcounts(sid)  # a view into the slot arena: updated in place
            # a slot may be owned more than once (tiny blocks): count per slot, then subtract
            idx = np.concatenate([_slot_indexes(x) for x in pieces]) if len(pieces) > 1 else pieces[0]
            arr -= np.bincount(idx, minlength=len(arr)).astype(arr.dtype)

    def set_marking(self, on: bool, t_ns: int = -1) -> None:
        """gcStart / gcMarkTermination: while on, new objects are allocated black."""
        if on and not self.marking:
            self.finish_sweep(self.now if t_ns < 0 else t_ns)  # gcStart: finishsweep_m
        self.marking = on

    def mark(self, t_ns: int) -> int:
        """The outcome of a mark phase: gcmarkBits |= allocated & reachable at t_ns; bytes marked."""
        self.now = max(self.now, t_ns)
        self.finish_sweep(t_ns)
        sp = self.spans
        n = sp.slot_top
        # SIMPLIFICATION: reachability comes from each object's lifetime, not from tracing pointers
        elem = sp.slot_elem[:n]
        live = sp.slot_death[:n] > t_ns
        live |= sp.slot_gcount[:n] > 0
        live &= sp.slot_alloc[:n]
        live &= elem > 0  # heap objects only: stack slots are not GC objects
        mb = sp.slot_mark[:n]
        mb |= live
        # the marked slots' bytes, summed as ints (the same totals as summing np.where(mb, elem, 0)
        # over all slots, and over the scan ones, at a quarter of the cost: issue 13)
        total = int(elem[mb].sum())
        self.heap_scan_marked = int(elem[mb & sp.slot_scan[:n]].sum())
        self._marked = True
        return total

    def start_sweep_phase(self) -> None:
        """mgc.go: gcSweep, sweepgen += 2 (the swept sets become the unswept ones), pagesSwept = 0."""
        self.finish_sweep(self.now)  # the previous cycle's sweep always ends first
        if not self._marked:
            # a sweep without a mark would free live objects (and goroutine-owned slots); a GC
            # cycle always marks first, so do it here if the caller did not
            self.mark(self.now)
        self._marked = False
        h = self.mheap
        h.sweepgen += 2
        h.pagesSwept = 0
        self.sweeper.centralIndex = 0  # sweep.centralIndex.clear()
        h.reclaimIndex = 0
        h.reclaimCredit = 0
        for mc in self.mcaches:
            # c.tiny is not a GC root: the runtime drops it in releaseAll during mark termination
            mc.tiny_span = -1
            mc.tiny_offset = 0

    def spans_view(self) -> np.ndarray:
        """The live rows of the span table (SPAN_DTYPE), a copy."""
        return self.spans.view(self.sweepgen)

    def mapped_ready_bytes(self) -> int:
        """mgcpacer.go: mappedReady, mapped memory not released to the OS (O(1), no dict)."""
        heap = self.heap
        return (heap.mapped_pages - heap.released_pages) * PAGE_SIZE

    def heap_free_bytes(self) -> int:
        """mgcpacer.go: heapFree, free heap pages still backed by RAM (HeapIdle - HeapReleased)."""
        heap = self.heap
        return (
            heap.mapped_pages - self.stack_inuse_pages - self.mheap.pagesInUse - heap.released_pages
        ) * PAGE_SIZE

    def memstats(self) -> dict:
        """runtime.MemStats-like numbers, plus gcController.heapLive and the sweeper's page counts.

        Every number is a running total kept as allocation goes; this only packs them into a dict
        (for reports): hot paths read the totals or the O(1) accessors above instead."""
        heap = self.heap
        heap_sys = self._heap_sys_bytes()
        heap_inuse = self.pages_in_use * PAGE_SIZE
        mallocs = self.mallocs + self.tiny_allocs
        frees = self.frees + self.tiny_allocs
        return {
            "HeapAlloc": self.heap_alloc,
            "HeapInuse": heap_inuse,
            "HeapIdle": heap_sys - heap_inuse,
            "HeapReleased": heap.released_pages * PAGE_SIZE,
            "HeapSys": heap_sys,
            "HeapObjects": mallocs - frees,
            "StackInuse": self.stack_inuse_pages * PAGE_SIZE,
            "StackSys": self.stack_inuse_pages * PAGE_SIZE,
            "Mallocs": mallocs,
            "Frees": frees,
            "TotalAlloc": self.total_alloc,
            "HeapLive": self.heap_live,
            "HeapScan": self.heap_scan,
            "PagesInUse": self.pages_in_use,
            "PagesSwept": self.pages_swept,
            "MappedBytes": heap.mapped_pages * PAGE_SIZE,
            "SpansInUseByClass": self.spans_by_class,
        }

    def check_invariants(self) -> None:
        """Raise AssertionError if the heap's books do not balance (for tests; O(heap))."""
        sp = self.spans
        heap = self.heap
        ids = sp.live_ids()
        covered = np.zeros(heap.mapped_pages, dtype=np.int32)
        heap.check()
        scav = heap.scav_mask()
        for sid in ids:
            bits = sp.bits(sid)
            assert sp.f_alloc_count[sid] == int(np.count_nonzero(bits)), f"span {sid} allocCount"
            fi = sp.f_freeindex[sid]
            if sp.f_state[sid] != SPAN_STACK:
                assert bits[:fi].all(), f"span {sid}: a free slot below freeindex"
            s, n = sp.f_start[sid], sp.f_npages[sid]
            covered[s : s + n] += 1
            assert (self.mheap.page_span[s : s + n] == sid).all(), f"span {sid} not in h.spans"
            assert not scav[s : s + n].any(), f"span {sid} holds scavenged pages"
        assert covered.max(initial=0) <= 1, "spans overlap"
        n = sp.slot_top
        assert not ((sp.slot_gcount[:n] > 0) & ~sp.slot_alloc[:n]).any(), "a goroutine-owned object was freed"
        assert (sp.slot_gcount[:n] >= 0).all(), "goroutine owner count below zero"
        assert sp.pooled_slots_clear(), "a freed span's slots still hold alloc/mark bits or owners"
        used = ~heap.free_mask()
        cached = np.zeros(heap.mapped_pages, dtype=bool)
        owners = {}
        for p, mc in enumerate(self.mcaches):
            pc = mc.pcache
            for i in range(64):
                if pc.cache >> i & 1:
                    cached[pc.base + i] = True
            for sid in mc.alloc:
                if sid >= 0:
                    assert sid not in owners, f"span {sid} cached by P{owners[sid]} and P{p}"
                    owners[sid] = p
                    assert sp.f_state[sid] == SPAN_MCACHE and sp.f_owner[sid] == p
        assert (used == ((covered == 1) | cached)).all(), "a page is neither free, cached nor in one span"
        assert heap.free_pages == int(np.count_nonzero(~used))
        heap_pages = sum(sp.f_npages[s] for s in ids if sp.f_state[s] != SPAN_STACK)
        stack_pages = sum(sp.f_npages[s] for s in ids if sp.f_state[s] == SPAN_STACK)
        assert heap_pages == self.pages_in_use and stack_pages == self.stack_inuse_pages
        st = self.memstats()
        assert st["HeapInuse"] + st["HeapIdle"] == st["HeapSys"]
        assert st["HeapSys"] + st["StackInuse"] == heap.mapped_pages * PAGE_SIZE
        assert heap.released_pages == int(np.count_nonzero(scav))
        where = {}
        for spc, c in enumerate(self.central):
            for kind, sets in (("partial", c.partial), ("full", c.full)):
                for s in (*sets[0], *sets[1]):
                    assert s not in where, f"span {s} in two mcentral sets"
                    assert sp.f_state[s] != SPAN_STACK and sp.f_spanclass[s] == spc, (
                        f"span {s} in wrong mcentral"
                    )
                    where[s] = kind
        for sid in ids:
            st_ = sp.f_state[sid]
            if st_ in (SPAN_PARTIAL, SPAN_FULL, SPAN_LARGE):
                assert sid in where, f"span {sid} ({st_}) is in no mcentral set"
                if st_ == SPAN_PARTIAL:
                    assert where[sid] == "partial" and sp.f_alloc_count[sid] < sp.f_nelems[sid]
                else:
                    assert where[sid] == "full"
            else:
                assert sid not in where, f"span {sid} cached or stack but in an mcentral set"
        sg = self.sweepgen
        for sid in ids:
            if sp.f_state[sid] == SPAN_STACK:
                continue
            rel = sp.f_sweepgen[sid] - sg
            if sp.f_state[sid] == SPAN_MCACHE:
                assert rel in (1, 3), f"cached span {sid} has sweepgen sg{rel:+d}"
            else:
                assert rel in (-2, 0), f"span {sid} has sweepgen sg{rel:+d}"
                if rel == -2:
                    assert not self.sweep_done, f"span {sid} unswept after sweeping finished"
        cached_spans = {sid for mc in self.mcaches for sid in mc.alloc if sid >= 0}
        for sid in ids:
            if sp.f_state[sid] == SPAN_MCACHE:
                assert sid in cached_spans, f"span {sid} says mcache but no P caches it"
        alloc_bytes = sum(sp.f_alloc_count[s] * sp.f_elemsize[s] for s in ids if sp.f_state[s] != SPAN_STACK)
        assert alloc_bytes == self.heap_alloc, f"HeapAlloc {self.heap_alloc} != {alloc_bytes}"
