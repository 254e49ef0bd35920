"""Go's memory allocator, Qt-free and deterministic: size classes, mallocgc (tiny, small, large),
mcache, mcentral, the page heap, the scavenger, goroutine stacks, and the mark/sweep hooks the GC
drives. Everything takes virtual time as an argument and emits trace events through ``ext``.

Modules, named after the runtime's files: ``sizeclasses`` (mksizeclasses.go's algorithm,
``format_sizeclasses_table``), ``mspan`` (span table, SPAN_DTYPE, slot arenas, nelems), ``mpagealloc``
(``PageAlloc``: free and scavenged pages, first fit), ``mpagecache`` (``PageCache``), ``mheap``
(``MHeap``: allocSpan, freeSpan, grow, reclaim, the span map), ``mcentral`` (``MCentral``:
cacheSpan, uncacheSpan, grow), ``mcache`` (``MCache``: refill, allocLarge, releaseAll),
``mgcsweep`` (``Sweeper``: sweepone, finishsweep_m, mspan.sweep), ``malloc`` (``Allocator``:
mallocgc, statistics, mark), ``stack`` (stack sizes, stackpool, stackcache), ``scavenge`` (goal),
``hooks`` (``AllocMixin`` for the engine).
Its benchmarks are gmpviz/bench/alloc.py and gmpviz/bench/scaling.py.

The API the engine and the GC use::

    a = Allocator(ext, nprocs)
    a.set_procs(nprocs, t_ns)
    need_gc_check = a.mallocgc(t_ns, p, m, g, size_bytes, count, noscan, lifetime, lifetime_ns)
    a.goroutine_exit(goid, t_ns)
    stack_id = a.stackalloc(t_ns, p, nbytes); a.stackfree(t_ns, p, stack_id); a.free_stack_spans(t_ns)
    stack_grow_size(old_bytes, needed_bytes); stack_shrink_size(old_bytes, used_bytes)
    a.set_marking(on, t_ns); a.mark(t_ns) -> bytes; a.start_sweep_phase(); a.sweepone(t_ns) -> pages
    a.finish_sweep(t_ns); a.release_all(p, t_ns); a.prepare_for_sweep(p, t_ns); a.sweep_done
    a.scavenge(t_ns, goal_bytes, max_pages=-1) -> pages; scavenge_goal(...)
    a.heap_live, a.heap_scan, a.heap_scan_marked, a.pages_in_use, a.pages_swept
    a.deduct_sweep_credit = fn(t_ns, p, m, g, span_bytes, npages)   # GC hook
    a.mapped_ready_bytes(), a.heap_free_bytes()   # O(1), for the pacer's trigger checks
    a.memstats() -> dict; a.spans_view() -> SPAN_DTYPE rows; a.check_invariants()
"""

from .malloc import Allocator, AllocError
from .mcentral import CACHE_FULL_UNSWEPT, CACHE_GROW, CACHE_PARTIAL_SWEPT, CACHE_PARTIAL_UNSWEPT
from .mheap import span_pages_code, span_pages_decode
from .mspan import (
    GREEN_TEA_GC,
    SPAN_DTYPE,
    SPAN_FREE,
    SPAN_FULL,
    SPAN_LARGE,
    SPAN_MCACHE,
    SPAN_PARTIAL,
    SPAN_STACK,
    SPAN_STATE_NAMES,
    SPANCLASS_MANUAL,
    SPANCLASS_NELEMS,
    span_nelems,
)
from .scavenge import scavenge_goal
from .sizeclasses import format_sizeclasses_table, size_to_class
from .stack import STACK_SLOTS, StackError, StackOverflow, stack_grow_size, stack_shrink_size

ASSUMPTIONS: tuple[str, ...] = (
    "Allocator: the page allocator's radix tree of summaries has 8 entries per node at every level and "
    "only as many levels as the mapped heap needs (the runtime's root level covers the whole address "
    "space with 2^14 entries); summaries are brought up to date lazily, before the next search. The "
    "result (the lowest-address fit) is the same.",
    "Allocator: arenas are contiguous from the heap base (no arena hints, no Go 1.26 heap base "
    "randomization); addresses are page indexes.",
    "Allocator: allocCache is not kept as a 64-bit word; runs of free slots are taken from allocBits "
    "at freeindex in the same order nextFreeFast/nextFree would hand them out.",
    "Allocator: Go 1.26 Green Tea span layout: spans of 16..512-byte objects reserve 128 B of inline "
    "mark bits and scan spans of objects <= 512 B their pointer bitmap (1/64 of the span); the Green "
    "Tea span queues themselves belong to the GC.",
    "Allocator: mheap.reclaim finds spans with no marked object by walking the span map 512 pages at "
    "a time (the runtime reads the arenas' pageInUse/pageMarks bitmaps); same spans, same order.",
    "Allocator: no synchronous scavenging inside allocSpan; the scavenger runs when scavenge() is "
    "called, releasing free pages from the highest addresses, page by page (no 64 KiB chunks, no "
    "dense-chunk skipping).",
    "Allocator: heap profiling samples (MemProfileRate), zeroing, finalizers and specials are not emulated.",
    "Allocator: reachability comes from each allocation op's lifetime (goroutine, duration, forever, "
    "temp); a tiny block lives while any object packed in it lives.",
    "Allocator: heapScan counts a pointerful object's whole size as scannable (the runtime counts up to "
    "its last pointer word); assist credit and the GC trigger test are left to the GC.",
    "Stacks: a stackpool span hands out its lowest free stack first (the runtime pops its manual free "
    "list, highest address first on a fresh span); which stack is used does not change any number.",
    "Stacks: sizes and memory follow stack.go; the contents of a stack are not emulated (the engine "
    "charges the copy in copystack by size).",
)

__all__ = [
    "ASSUMPTIONS",
    "GREEN_TEA_GC",
    "AllocError",
    "Allocator",
    "CACHE_FULL_UNSWEPT",
    "CACHE_GROW",
    "CACHE_PARTIAL_SWEPT",
    "CACHE_PARTIAL_UNSWEPT",
    "SPANCLASS_MANUAL",
    "SPANCLASS_NELEMS",
    "SPAN_DTYPE",
    "SPAN_FREE",
    "SPAN_FULL",
    "SPAN_LARGE",
    "SPAN_MCACHE",
    "SPAN_PARTIAL",
    "SPAN_STACK",
    "SPAN_STATE_NAMES",
    "STACK_SLOTS",
    "StackError",
    "StackOverflow",
    "format_sizeclasses_table",
    "scavenge_goal",
    "size_to_class",
    "span_nelems",
    "span_pages_code",
    "span_pages_decode",
    "stack_grow_size",
    "stack_shrink_size",
]
