"""Goroutine stacks: sizes (`stack.go: newstack, shrinkstack`) and memory (`stackalloc`, `stackfree`).

Stacks below 32 KiB come in four orders (2, 4, 8, 16 KiB) carved from 32 KiB manual spans held in
the global ``stackpool[order]``, fronted by a per-P ``mcache.stackcache[order]``; bigger stacks get a
dedicated manual span (``stackLarge`` keeps freed ones during a GC). A stack id is
``span_id * STACK_SLOTS + slot``.
"""

from __future__ import annotations

from gmpviz.core.constants import (
    FIXED_STACK,
    MAX_STACK_SIZE,
    NUM_STACK_ORDERS,
    PAGE_SHIFT,
    PAGE_SIZE,
    STACK_CACHE_SIZE,
    STACK_NOSPLIT,
)

from .mspan import SPAN_STACK

#: slots per stack id: a stackpool span of order 0 holds 32 KiB / 2 KiB = 16 stacks
STACK_SLOTS = STACK_CACHE_SIZE // FIXED_STACK
_STACK_SPAN_PAGES = STACK_CACHE_SIZE // PAGE_SIZE  # malloc.go: _StackCacheSize >> _PageShift


class StackOverflow(Exception):
    """newstack: the stack would exceed maxstacksize; the runtime throws "stack overflow"."""

    def __init__(self, needed_bytes: int) -> None:
        self.needed_bytes = needed_bytes
        super().__init__(f"goroutine stack exceeds {MAX_STACK_SIZE}-byte limit")


class StackError(ValueError):
    """A stack request the runtime never makes (size not a power of two, unknown stack id)."""


def stack_grow_size(old_bytes: int, needed_bytes: int) -> int:
    """stack.go: newstack, double until the stack holds needed_bytes (used + frame + stackGuard).

    Raises StackOverflow when the new size passes maxstacksize (1e9 bytes on 64-bit).
    """
    new = old_bytes * 2
    while new < needed_bytes:
        new *= 2
    if new > MAX_STACK_SIZE:
        raise StackOverflow(needed_bytes)
    return new


def stack_shrink_size(old_bytes: int, used_bytes: int) -> int:
    """stack.go: shrinkstack, halve if the result is >= fixedStack and hi-sp+stackNosplit < old/4.

    used_bytes is hi - sp (what the goroutine uses); returns old_bytes when no shrink happens.
    """
    new = old_bytes // 2
    if new < FIXED_STACK:
        return old_bytes
    if used_bytes + STACK_NOSPLIT >= old_bytes // 4:
        return old_bytes
    return new


def stack_order(nbytes: int) -> int:
    """stackalloc: order k for fixedStack << k, or -1 for a large stack."""
    if nbytes < FIXED_STACK or nbytes & (nbytes - 1):
        raise StackError(f"stack size {nbytes} is not a power of two >= {FIXED_STACK}")
    if nbytes < FIXED_STACK << NUM_STACK_ORDERS and nbytes < STACK_CACHE_SIZE:
        return (nbytes // FIXED_STACK).bit_length() - 1
    return -1


class StackMixin:
    """stack.go on the Allocator: stackpool, per-P stackcache, stackLarge, freeStackSpans."""

    def _init_stacks(self) -> None:
        #: stackpool[order]: manual spans with at least one free stack (end of the list = front)
        self.stackpool: list[list[int]] = [[] for _ in range(NUM_STACK_ORDERS)]
        #: stackLarge.free[log2(npages)]: freed large-stack spans kept while a GC runs
        self.stack_large: dict[int, list[int]] = {}
        self.stack_inuse_pages = 0  # pages in manual spans (MemStats.StackInuse / 8 KiB)
        self.stacks_in_use = 0

    # --- stackpool ------------------------------------------------------------------------------

    def stackpoolalloc(self, t_ns: int, p: int, order: int) -> int:
        """stack.go: stackpoolalloc, take a stack from the first pool span (allocManual if none)."""
        pool = self.stackpool[order]
        sp = self.spans
        if not pool:
            size = FIXED_STACK << order
            sid = self.mheap.allocManual(t_ns, p, -1, 0, _STACK_SPAN_PAGES, size, STACK_CACHE_SIZE // size)
            pool.append(sid)
        sid = pool[-1]
        bits = sp.bits(sid)
        slot = int(bits.argmin())  # SIMPLIFICATION: lowest free stack, not the manualFreeList head
        bits[slot] = True
        n = sp.f_alloc_count[sid] + 1
        sp.f_alloc_count[sid] = n
        if n == sp.f_nelems[sid]:
            pool.pop()
        return sid * STACK_SLOTS + slot

    def stackpoolfree(self, t_ns: int, p: int, stack_id: int, order: int) -> None:
        """stack.go: stackpoolfree; an empty span goes back to the heap at once unless a GC runs."""
        sid, slot = divmod(stack_id, STACK_SLOTS)
        sp = self.spans
        bits = sp.bits(sid)
        pool = self.stackpool[order]
        n = sp.f_alloc_count[sid]
        if n == sp.f_nelems[sid]:
            pool.append(sid)
        bits[slot] = False
        n -= 1
        sp.f_alloc_count[sid] = n
        if n == 0 and not self.marking:
            pool.remove(sid)
            self.mheap.freeManual(t_ns, p, -1, 0, sid)

    # --- per-P stack cache ----------------------------------------------------------------------

    def stackcacherefill(self, t_ns: int, p: int, order: int) -> None:
        """stack.go: stackcacherefill, pull stacks from the pool until the cache holds half of 32 KiB."""
        mc = self.mcaches[p]
        lst = mc.stackcache[order]
        size = FIXED_STACK << order
        total = mc.stackcache_bytes[order]
        while total < STACK_CACHE_SIZE // 2:
            lst.append(self.stackpoolalloc(t_ns, p, order))
            total += size
        mc.stackcache_bytes[order] = total

    def stackcacherelease(self, t_ns: int, p: int, order: int) -> None:
        """stack.go: stackcacherelease, return stacks to the pool until the cache holds half."""
        mc = self.mcaches[p]
        lst = mc.stackcache[order]
        size = FIXED_STACK << order
        total = mc.stackcache_bytes[order]
        while total > STACK_CACHE_SIZE // 2:
            self.stackpoolfree(t_ns, p, lst.pop(), order)
            total -= size
        mc.stackcache_bytes[order] = total

    def stackcache_clear(self, p: int, t_ns: int = -1) -> None:
        """stack.go: stackcache_clear, every cached stack of P p back to the pool."""
        t_ns = self.now if t_ns < 0 else t_ns
        mc = self.mcaches[p]
        for order in range(NUM_STACK_ORDERS):
            lst = mc.stackcache[order]
            while lst:
                self.stackpoolfree(t_ns, p, lst.pop(), order)
            mc.stackcache_bytes[order] = 0

    # --- public API -----------------------------------------------------------------------------

    def stackalloc(self, t_ns: int, p: int, nbytes: int, m: int = -1, g: int = 0) -> int:
        """stack.go: stackalloc(n): a stack id. p == -1 means no P: straight from stackpool."""
        self.now = t_ns
        order = stack_order(nbytes)
        if order >= 0:
            if p < 0:
                stack_id = self.stackpoolalloc(t_ns, p, order)
            else:
                mc = self.mcaches[p]
                lst = mc.stackcache[order]
                if not lst:
                    self.stackcacherefill(t_ns, p, order)
                stack_id = lst.pop()
                mc.stackcache_bytes[order] -= nbytes
        else:
            npages = nbytes >> PAGE_SHIFT
            log2 = npages.bit_length() - 1
            free = self.stack_large.get(log2)
            if free:
                sid = free.pop()
            else:
                sid = self.mheap.allocManual(t_ns, p, m, g, npages, nbytes, 1)
            self.spans.bits(sid)[0] = True
            self.spans.f_alloc_count[sid] = 1
            stack_id = sid * STACK_SLOTS
        self.stacks_in_use += 1
        self.ev.StackAlloc(t_ns, p, m, g, bytes=nbytes, order=order, span=stack_id // STACK_SLOTS)
        return stack_id

    def stackfree(self, t_ns: int, p: int, stack_id: int, m: int = -1, g: int = 0) -> None:
        """stack.go: stackfree(stk). Large stacks freed during a GC wait in stackLarge."""
        self.now = t_ns
        sid, slot = divmod(stack_id, STACK_SLOTS)
        sp = self.spans
        if (
            sid >= sp.n_ids
            or sp.f_state[sid] != SPAN_STACK
            or slot >= sp.f_nelems[sid]
            or not sp.bits(sid)[slot]
        ):
            raise StackError(f"stackfree of unknown stack id {stack_id}")
        nbytes = sp.f_elemsize[sid]
        order = stack_order(nbytes)
        self.ev.StackFree(t_ns, p, m, g, bytes=nbytes, order=order, span=sid)
        self.stacks_in_use -= 1
        if order >= 0:
            if p < 0:
                self.stackpoolfree(t_ns, p, stack_id, order)
                return
            mc = self.mcaches[p]
            if mc.stackcache_bytes[order] >= STACK_CACHE_SIZE:
                self.stackcacherelease(t_ns, p, order)
            mc.stackcache[order].append(stack_id)
            mc.stackcache_bytes[order] += nbytes
            return
        sp.bits(sid)[0] = False
        sp.f_alloc_count[sid] = 0
        if self.marking:
            npages = sp.f_npages[sid]
            self.stack_large.setdefault(npages.bit_length() - 1, []).append(sid)
        else:
            self.mheap.freeManual(t_ns, p, m, g, sid)

    def free_stack_spans(self, t_ns: int) -> int:
        """stack.go: freeStackSpans (gcMarkTermination): empty pool spans and stackLarge to the heap."""
        freed = 0
        for pool in self.stackpool:
            keep = []
            for sid in pool:
                if self.spans.f_alloc_count[sid] == 0:
                    self.mheap.freeManual(t_ns, -1, -1, 0, sid)
                    freed += 1
                else:
                    keep.append(sid)
            pool[:] = keep
        for log2 in sorted(self.stack_large):
            for sid in self.stack_large[log2]:
                self.mheap.freeManual(t_ns, -1, -1, 0, sid)
                freed += 1
        self.stack_large.clear()
        return freed
