"""The engine's memory hooks backed by the allocator: the seam between the allocator and the engine.

The engine's ``Memory`` part (`gmpviz.core.engine.Memory`) is this mixin over one Allocator; the
scheduler calls its methods (``stack_init``, ``stack_grow``, ``malloc_op`` …) and ``Memory`` overrides
:meth:`AllocMixin.gc_trigger_check` (called whenever mallocgc fetched a span or allocated a large
object, the only times the runtime tests the heap trigger) to ask the GC. The mixin reads
``self.now``, ``self.ext``, ``m.p.id``, ``m.id``, ``gp.goid``, ``gp.stack_bytes``, ``gp.stack_id`` and
``gp.stack_used``.
"""

from __future__ import annotations

from gmpviz.core.constants import FIXED_STACK, PAGE_SIZE
from gmpviz.core.workload.budget import limit_pages
from gmpviz.core.workload.ops import LIFE_FOREVER, LIFE_GOROUTINE, LIFE_SCOPE

from . import ASSUMPTIONS
from .malloc import Allocator
from .stack import stack_shrink_size

# Modelled costs (virtual time an allocation takes; not runtime constants, see ASSUMPTIONS)
COST_MALLOC_NS = 20  # one mallocgc fast path (nextFreeFast, header/heap bits, publication)
MEMCLR_BYTES_PER_NS = 16  # zeroing a fresh object (needzero spans, large objects)
#: runtime2.go: _defer on 64-bit (heap, rangefunc, sp, pc, fn, link, head) rounds to the 48-byte class
DEFER_RECORD_BYTES = 48
#: `scope` owner keys per goroutine: one per repeat nesting depth (emulator bookkeeping)
SCOPE_KEYS_PER_G = 1 << 16


HOOK_ASSUMPTIONS = (
    f"Allocation cost: {COST_MALLOC_NS} ns per object plus zeroing at {MEMCLR_BYTES_PER_NS} bytes/ns "
    "(modelled, not measured).",
    "A `scope` lifetime ends with its repeat body's pass (what a function keeps until it returns), "
    "or with the goroutine when it is outside any repeat.",
    "Heap-allocated defer records are 48-byte pointerful objects that live until their goroutine exits "
    "(the runtime recycles them through per-P defer pools).",
    "Dead goroutines keep their standard-size stack on the free list (gfput); markrootFreeGStacks is "
    "not emulated.",
)


class AllocMixin:
    """Engine hooks: stacks (stackalloc/copystack/stackfree/shrinkstack), mallocgc, procresize."""

    def _init_memory(self, gogc, memlimit_bytes) -> None:
        super()._init_memory(gogc, memlimit_bytes)
        # schedinit runs procresize afterwards: on_procresize gives every P its mcache
        self.allocator = Allocator(self.ext, 1)
        self.allocator.mheap.limit_pages = limit_pages(self.container_limit_bytes)
        self.open_scopes: dict[int, set[int]] = {}  # goid -> keys of its `scope` objects not yet freed

    # --- stacks ---------------------------------------------------------------------------------

    def stack_init(self, gp, pp) -> None:
        """proc.go: newproc1, malg(stackMin) for a new G; a G from gfget keeps its stack."""
        if gp.stack_id < 0:
            gp.stack_id = self.allocator.stackalloc(self.now, pp.id, FIXED_STACK, -1, gp.goid)
        gp.stack_bytes = FIXED_STACK

    def stack_grow(self, m, gp, new_bytes: int) -> int:
        """stack.go: copystack, a new stack, the old one freed; the copy cost is the caller's."""
        p = m.p.id if m.p is not None else -1
        a = self.allocator
        new_id = a.stackalloc(self.now, p, new_bytes, m.id, gp.goid)
        if gp.stack_id >= 0:
            a.stackfree(self.now, p, gp.stack_id, m.id, gp.goid)
        gp.stack_id = new_id
        gp.stack_bytes = new_bytes
        return 0

    def shrinkstack(self, gp, p: int = -1, m: int = -1, used_bytes: int | None = None) -> bool:
        """stack.go: shrinkstack (from the GC's stack scan): halve if under a quarter is used."""
        used = gp.stack_used if used_bytes is None else used_bytes
        new_bytes = stack_shrink_size(gp.stack_bytes, used)
        if new_bytes == gp.stack_bytes:
            return False
        a = self.allocator
        self.ev.GoStackShrink(self.now, p, m, gp.goid, old_bytes=gp.stack_bytes, new_bytes=new_bytes)
        new_id = a.stackalloc(self.now, p, new_bytes, m, gp.goid)
        if gp.stack_id >= 0:
            a.stackfree(self.now, p, gp.stack_id, m, gp.goid)
        gp.stack_id = new_id
        gp.stack_bytes = new_bytes
        return True

    def scope_key(self, gp) -> int:
        """The owner key of gp's `scope` objects in its innermost repeat body: negative, so it is no
        goroutine's; noted so goexit frees a scope left open."""
        key = -(gp.goid * SCOPE_KEYS_PER_G + len(gp.loops))
        self.open_scopes.setdefault(gp.goid, set()).add(key)
        return key

    def scope_end(self, gp) -> None:
        """OP_SCOPE_END: the repeat body's pass ended; its `scope` objects lose their last reference."""
        key = -(gp.goid * SCOPE_KEYS_PER_G + len(gp.loops))
        keys = self.open_scopes.get(gp.goid)
        if keys and key in keys:
            keys.discard(key)
            self.allocator.goroutine_exit(key, self.now)

    def on_goexit(self, gp, pp) -> None:
        """goexit0: the G's goroutine-lifetime objects (and any `scope` still open) lose their last
        reference; gfput frees a non-standard stack (a standard one stays with the G for reuse)."""
        super().on_goexit(gp, pp)
        a = self.allocator
        a.goroutine_exit(gp.goid, self.now)
        for key in self.open_scopes.pop(gp.goid, ()):
            a.goroutine_exit(key, self.now)
        if gp.stack_id >= 0 and gp.stack_bytes != FIXED_STACK:
            a.stackfree(self.now, pp.id, gp.stack_id, -1, gp.goid)
            gp.stack_id = -1
            gp.stack_bytes = FIXED_STACK

    def on_procresize(self, nprocs: int) -> None:
        super().on_procresize(nprocs)
        self.allocator.set_procs(nprocs, self.now)

    # --- heap -----------------------------------------------------------------------------------

    def malloc_op(self, m, gp, op) -> int:
        """OP_ALLOC (size, count, noscan, lifetime, lifetime_ns) as `count` mallocgc calls; cost in ns.

        The heap trigger is tested after every span refill or large object, and a batch that fetched
        a span goes on in the G's next step (``gp.op_rem`` objects left, the op re-run), so a GC it
        starts, assists and other Ps interleave with a long allocation burst."""
        _, size, count, noscan, lifetime, lifetime_ns = op
        if lifetime == LIFE_SCOPE:
            lifetime_ns = self.scope_key(gp)
        rem = gp.op_rem or count
        # about one span's worth a call (max(1, PAGE_SIZE // max(size, 1))): at most one refill each
        chunk = PAGE_SIZE if size <= 1 else (PAGE_SIZE // size or 1)
        mallocgc = self.allocator.mallocgc
        now = self.now
        p, mid, goid = m.p.id, m.id, gp.goid
        done = 0
        while rem > 0:
            n = rem if rem < chunk else chunk
            refilled = mallocgc(now, p, mid, goid, size, n, noscan, lifetime, lifetime_ns)
            rem -= n
            done += n
            if refilled:
                self.gc_trigger_check(m, gp)
                break
        gp.op_rem = rem
        if rem:
            gp.pc -= 1
        return done * (COST_MALLOC_NS + size // MEMCLR_BYTES_PER_NS)

    def runtime_alloc(self, p: int, m: int, goid: int, size_bytes: int) -> None:
        """mallocgc of one of the runtime's own objects that stays reachable (a g from malg, a sudog,
        an hchan): pointerful, never freed here.

        SIMPLIFICATION: no GC trigger test and no CPU cost for these (the next user allocation tests
        the trigger); g structs live for ever as in the runtime (allgs), sudogs as if the per-P caches
        kept every one (clearpools' drop of the central cache is not modelled)."""
        self.allocator.mallocgc(self.now, p, m, goid, size_bytes, 1, 0, LIFE_FOREVER)

    def defer_alloc(self, m, gp, n: int) -> int:
        """deferproc with a heap record: newdefer allocates a _defer object."""
        # SIMPLIFICATION: no per-P defer pool; records live until the goroutine exits
        if self.allocator.mallocgc(self.now, m.p.id, m.id, gp.goid, DEFER_RECORD_BYTES, n, 0, LIFE_GOROUTINE):
            self.gc_trigger_check(m, gp)
        return n * COST_MALLOC_NS

    def gc_trigger_check(self, m, gp) -> None:
        """gcTrigger{kind: gcTriggerHeap}.test() after a span refill or a large object (GC mixin)."""

    # --- reporting ------------------------------------------------------------------------------

    def memory_counters(self, r) -> None:
        super().memory_counters(r)
        # the counters memstats() reports, read straight from the allocator's running totals
        a = self.allocator
        heap = a.heap
        heap_sys = (heap.mapped_pages - a.stack_inuse_pages) * PAGE_SIZE
        heap_inuse = a.mheap.pagesInUse * PAGE_SIZE
        r["heap_alloc"] = a.heap_alloc
        r["heap_inuse"] = heap_inuse
        r["heap_idle"] = heap_sys - heap_inuse
        r["heap_released"] = heap.released_pages * PAGE_SIZE
        r["heap_sys"] = heap_sys
        r["stack_inuse"] = a.stack_inuse_pages * PAGE_SIZE
        r["heap_live"] = a.heap_live
        r["mallocs"] = a.mallocs + a.tiny_allocs
        r["frees"] = a.frees + a.tiny_allocs
        # SIMPLIFICATION: RSS is mapped heap memory not released to the OS (no runtime metadata)
        r["rss"] = a.mapped_ready_bytes()

    def memory_stats(self) -> dict:
        out = dict(super().memory_stats())
        st = self.allocator.memstats()
        st["SpansInUseByClass"] = [int(x) for x in st["SpansInUseByClass"]]
        out.update(st)
        return out

    def memory_assumptions(self) -> list[str]:
        return [*super().memory_assumptions(), *ASSUMPTIONS, *HOOK_ASSUMPTIONS]


__all__ = ["AllocMixin", "COST_MALLOC_NS", "DEFER_RECORD_BYTES", "HOOK_ASSUMPTIONS", "MEMCLR_BYTES_PER_NS"]
