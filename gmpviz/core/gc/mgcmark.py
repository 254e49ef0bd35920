"""Concurrent marking's work — `runtime/mgcmark.go` (gcPrepareMarkRoots, markroot, gcDrain, scanobject,
greyobject), `mgcmark_greenteagc.go` (Green Tea: spanQueue, tryDeferToSpanScan, scanSpan,
tryStealSpan) and `mgcwork.go` (gcWork).

What a cycle has to mark is fixed when marking starts (the hybrid write barrier's snapshot: the
allocator's mark() of the reachable set) and laid out as one ordered list of jobs:

* the markroot jobs, in gcPrepareMarkRoots' order: fixedRootFinalizers, fixedRootFreeGStacks, the
  data and BSS blocks (rootBlockBytes each, from the scenario's globals), the span-specials shards
  (one per pagesPerSpanRoot pages of heap) and one job per goroutine stack (its used part);
* one heap job per span with marked objects: a Green Tea span (scan objects of 16..512 B, with
  spanInlineMarkBits) goes through the per-P span queues; a larger scan object, or any scan object
  with the classic marker (``greentea = false``, GOEXPERIMENT=nogreenteagc), goes through the object
  queue (gcWork, greyobject, scanobject); pointer-free objects are only marked where they are found
  (tryDeferToSpanScan's noscan fast path, greyobject's noscan case), never queued.

Every job has a CPU cost (ns) and scan work (bytes, what the pacer counts). A mark worker or an
assist drains the list from the front, for a time budget (gcDrain's drainCheckThreshold checks) or
a scan-work target (gcDrainN); :meth:`MarkWork.drain` returns what it did. The list is numpy
arrays with their cumulative sums, so a drain is a binary search, not a loop over objects: a 1 GiB
heap of 10M objects is ~131k span jobs, built once a cycle with a few whole-heap numpy passes.

Which P scans which span follows a count model of the queues (:class:`SpanQueues`): each P's ring
(256 slots, spanQueue.ring) spills half to a shared stealable list (the spmc chain) when full, a
dequeued span enqueues the spans its pointers reach on the scanning P's ring, an empty P takes from
the shared list and then steals half of another P's ring.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from ..alloc.mspan import INLINE_MARK_BITS_MIN_SIZE, SPAN_STACK
from ..constants import MIN_SIZE_FOR_MALLOC_HEADER, PAGE_SIZE

# --- runtime constants ------------------------------------------------------------------------
ROOT_BLOCK_BYTES = 256 << 10  # mgcmark.go: rootBlockBytes
PAGES_PER_SPAN_ROOT = 512  # mgcmark.go: pagesPerSpanRoot
PAGES_PER_ARENA = (64 << 20) // PAGE_SIZE  # malloc.go: pagesPerArena (heapArenaBytes 64 MiB on linux/amd64)
FIXED_ROOT_COUNT = 2  # mgcmark.go: fixedRootFinalizers, fixedRootFreeGStacks
SPAN_RING_SLOTS = 256  # mgcmark_greenteagc.go: spanQueue.ring [256]objptr
SPILL_PERIOD = 64  # spanQueue.put: spillPeriod
SPILL_MAX = 16  # spanQueue.put: spillMax
PTR_SIZE = 8  # goarch.PtrSize on amd64

# --- scan costs (ns of one CPU), measured on real Go 1.27 by tests/fidelity/progs/markcost --------
# (GOMAXPROCS=1, runtime.GC() on a 25 MiB random pointer graph, getrusage CPU per cycle, the median
# of 3 runs per shape; docs/fidelity.md "Mark cost" has the runs). ptr2 and ptr8 (64 B objects with
# 2 or 8 pointer words) give the per-word and per-object costs; ptr32 (256 B) checks them (GT -1 %,
# classic +16 %); noscan gives the cost of marking a pointer-free object.
COST_WORD_GREENTEA_NS = 10.9  # per pointer word scanned and its target's mark bit tested (GT)
COST_OBJ_GREENTEA_NS = 30.7  # per object scanned from a span (span queue, inline mark bits)
COST_WORD_CLASSIC_NS = 35.8  # per pointer word, classic (findObject + greyobject per target)
COST_OBJ_CLASSIC_NS = 186.0  # per object through the object queue (workbuf push/pop, header miss)
COST_MARK_NOSCAN_GREENTEA_NS = 10.7  # per pointer-free object marked (tryDeferToSpanScan fast path)
COST_MARK_NOSCAN_CLASSIC_NS = 14.1  # per pointer-free object marked (greyobject noscan)
# the object queue under Green Tea (scan objects above 512 B: scanobject, findObject, greyobject),
# measured by tests/fidelity/progs/markcostobj (GOMAXPROCS=1, runtime.GC() on 32 MiB of 1 KiB objects
# of 128 pointers and of 8 KiB objects of 1,024 pointers, each to a random object of the heap;
# getrusage CPU per GC, median of 3 runs at 1-min load 6: 65.9 and 45.7 ms; docs/fidelity.md "Mark
# cost"): per object a + 128 w = 2,011 ns and a + 1,024 w = 11,158 ns
COST_WORD_OBJQ_GREENTEA_NS = 10.2  # per pointer word of a large object (its target's findObject + mark)
COST_OBJ_OBJQ_GREENTEA_NS = 705.0  # per large object (workbuf, its span, its first cache lines)
COST_ROOT_JOB_NS = 500  # markroot's fixed cost per job (modelled: a stack walk's setup, a shard lookup)
# The runtime's own roots: its data and BSS blocks and its own goroutines' stacks (forcegc, bgsweep,
# bgscavenge, the finalizer and cleanup goroutines, the mark workers), which every Go program has and a
# scenario does not list. Measured by tests/fidelity/progs/markfixed (Go 1.27.3, GOMAXPROCS=1, GOGC off,
# 61 runtime.GC() cycles of a program with no heap and one goroutine: the median mark CPU the runtime
# accounts per cycle, /cpu/classes/gc/mark/*, 34.1, 38.9, 35.0, 34.8 and 35.9 µs in 5 runs, median
# 35.0 µs; docs/fidelity.md "Fixed mark cost"), less what the model charges for the rest of that
# cycle's markroot jobs (2 fixed jobs, the 16 span-root shards of its one arena and main's stack:
# 18 x COST_ROOT_JOB_NS + 264 B at COST_STACK_WORD_NS per word = 9.1 µs)
COST_RUNTIME_ROOTS_NS = 35_000 - (18 * 500 + 66)
# ... whose data and BSS sections (moduledata data..edata, bss..ebss: what gcPrepareMarkRoots splits
# into rootBlockBytes jobs and gcController.globalsScan counts) are, in the fidelity programs' binaries
# (Go 1.27.3 linux/amd64, `readelf -S`: .data 19,762 B, .bss 132,632 B), one block each
RUNTIME_DATA_BYTES = 19_762
RUNTIME_BSS_BYTES = 132_632
RUNTIME_GLOBALS_BYTES = RUNTIME_DATA_BYTES + RUNTIME_BSS_BYTES
COST_STACK_WORD_NS = 2.0  # per stack/global word (modelled: scanblock over a ptrmask, cache-hot)

# Job kinds (GCMarkScan's `what`)
SCAN_ROOTS = 0
SCAN_SPANQ = 1
SCAN_OBJQ = 2
SCAN_NAMES = ("roots", "span queue", "object queue")

# Root job kinds (the pacer counts stack and globals scan work apart from the heap's)
ROOT_FIXED, ROOT_GLOBALS, ROOT_SPANS, ROOT_STACK = 0, 1, 2, 3
ROOT_RUNTIME = 4  # the runtime's own data/BSS blocks (data and BSS root jobs too)

#: a Green Tea span's dequeues: the marks a span gathers while it waits in a queue are scanned by one
#: dequeue. SIMPLIFICATION: modelled as one dequeue per this many marked objects (at least one).
GT_OBJS_PER_DEQUEUE = 8
#: the share of a scan object's words that are pointers, unless the scenario says (`pointer_percent`).
#: SIMPLIFICATION: an alloc op says only whether its objects have pointers; the measured per-word costs
#: are those of pointer words (each one's target is looked up and its mark bit tested), so by default
#: a modelled quarter of the words pay them
PTR_WORD_FRACTION = 0.25
#: spans a scanned span's pointers put on the scanning P's ring (modelled fan-out of the graph)
SPAN_FANOUT = 2

MARK_ASSUMPTIONS = (
    "GC mark: what is marked is the reachable set when marking starts (objects' lifetimes, not a "
    "pointer graph); the work is laid out as markroot jobs then one job per span with marked objects, "
    "drained in that order by whichever worker or assist comes next.",
    f"GC mark: scan costs are measured on real Go (tests/fidelity/progs/markcost): Green Tea "
    f"{COST_OBJ_GREENTEA_NS} ns/object + {COST_WORD_GREENTEA_NS} ns/pointer word, classic "
    f"{COST_OBJ_CLASSIC_NS} ns/object + {COST_WORD_CLASSIC_NS} ns/pointer word; with Green Tea an object "
    f"above 512 B (the object queue) {COST_OBJ_OBJQ_GREENTEA_NS} ns + {COST_WORD_OBJQ_GREENTEA_NS} ns per "
    "pointer word (tests/fidelity/progs/markcostobj); a scan object's words are "
    f"taken as {PTR_WORD_FRACTION:.0%} pointers unless the scenario's pointer_percent says (an alloc op "
    "says only whether its objects have pointers).",
    f"GC mark: a Green Tea span is dequeued once per {GT_OBJS_PER_DEQUEUE} marked objects (one: the "
    f"OneMark fast path); a scanned span queues {SPAN_FANOUT} spans on its P's ring (a modelled "
    "fan-out); the rings, the shared list and stealing are counts, not span identities.",
    "GC mark: stacks and globals cost a modelled "
    f"{COST_STACK_WORD_NS} ns/word plus {COST_ROOT_JOB_NS} ns per markroot job; the runtime's own roots "
    f"(its data and BSS, its own goroutines' stacks) are two jobs of {COST_RUNTIME_ROOTS_NS / 1000:.1f} µs "
    "together (measured with tests/fidelity/progs/markfixed) and the real binaries' .data + .bss, "
    f"{RUNTIME_GLOBALS_BYTES:,} B, of scan work (in the pacer's globalsScan too, as modulesinit adds "
    "them); span "
    "roots are 16 shards per 64 MiB heap arena mapped, as gcPrepareMarkRoots makes them.",
)


def _uses_span_queue(elemsize: np.ndarray) -> np.ndarray:
    """mgcmark_greenteagc.go: gcUsesSpanInlineMarkBits — heapBitsInSpan(size) && size >= 16."""
    return (elemsize >= INLINE_MARK_BITS_MIN_SIZE) & (elemsize <= MIN_SIZE_FOR_MALLOC_HEADER)


class SpanQueues:
    """Per-P span queues as counts (spanQueue: ring + spmc chain; work.spanSPMCs as one shared list).

    ``ring[p]`` spans wait on P p's ring, ``shared`` on the stealable chains; ``seen`` spans were ever
    queued (or scanned straight away) this cycle, ``scanned`` were dequeued. Invariant: every seen
    span not yet scanned is in exactly one queue: sum(ring) + shared == seen - scanned."""

    __slots__ = ("ring", "shared", "seen", "scanned", "total", "steals", "puts_since_drain")

    def __init__(self, nprocs: int, total: int) -> None:
        self.ring = [0] * nprocs
        self.puts_since_drain = [0] * nprocs
        self.shared = 0
        self.seen = 0
        self.scanned = 0
        self.total = total  # heap jobs this cycle
        self.steals = 0

    def put(self, p: int, n: int) -> None:
        """spanQueue.put, n times at once: onto P p's ring; full, half of it spills to the chain;
        every spillPeriod puts, up to spillMax spans spill if the chain is empty."""
        n = min(n, self.total - self.seen)
        if n <= 0:
            return
        self.seen += n
        ring = self.ring[p] + n
        while ring > SPAN_RING_SLOTS:
            half = SPAN_RING_SLOTS // 2
            ring -= half
            self.shared += half
        puts = self.puts_since_drain[p] + n
        if puts >= SPILL_PERIOD:
            puts = 0
            k = min(ring // 2, SPILL_MAX)
            if k > 4 and self.shared == 0:
                ring -= k
                self.shared += k
        self.puts_since_drain[p] = puts
        self.ring[p] = ring

    def get(self, p: int, want: int) -> tuple[int, int]:
        """tryGetSpan / tryStealSpan for up to ``want`` spans: from P p's ring, then the shared chain
        (a refill takes half of it, at least one, at most a ring), then half of the fullest other
        ring. Returns (spans taken, spans stolen from another P's ring)."""
        stolen = 0
        if self.ring[p] == 0:
            if self.shared:
                take = min(max(self.shared // 2, 1), SPAN_RING_SLOTS)  # refill: at most a ring
                self.shared -= take
                self.ring[p] = take
            else:
                victim = max(range(len(self.ring)), key=self.ring.__getitem__)
                if self.ring[victim]:
                    take = max(self.ring[victim] // 2, 1)
                    self.ring[victim] -= take
                    self.ring[p] = take
                    stolen = take
                    self.steals += 1
                elif self.seen < self.total:
                    # SIMPLIFICATION: every queue is empty while spans are still unseen (the count
                    # model's fan-out ran dry): the next span is found as if through a root
                    self.seen += 1
                    self.ring[p] = 1
        took = min(want, self.ring[p])
        self.ring[p] -= took
        self.scanned += took
        return took, stolen

    def queued(self) -> int:
        return sum(self.ring) + self.shared


def _interp(x: float, xp: list[float], fp: list[float]) -> float:
    """``float(np.interp(x, xp, fp))`` for one x over lists of floats, with numpy's arithmetic
    (compiled_base.c arr_interp: the same search, the same slope and the same operations in
    doubles), so bit for bit the same value: a numpy call on a scalar cost ~4 µs, and a drain made
    two or four (issue 13)."""
    n = len(xp)
    if x > xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    j = bisect_right(xp, x) - 1  # xp[j] <= x < xp[j + 1], binary_search_with_guess's j
    if j == n - 1 or xp[j] == x:
        return fp[j]
    x0, x1, y0, y1 = xp[j], xp[j + 1], fp[j], fp[j + 1]
    slope = (y1 - y0) / (x1 - x0)
    r = slope * (x - x0) + y0
    if r != r:  # NaN in one direction: try the other
        r = slope * (x - x1) + y1
        if r != r and y0 == y1:
            r = y0
    return r


def _run_ends(kind: np.ndarray) -> list[int]:
    """For every job, the index of the first later job of another kind (len(kind) if none)."""
    n = len(kind)
    if not n:
        return []
    change = np.flatnonzero(kind[1:] != kind[:-1]) + 1  # where a run of one kind starts
    bounds = np.append(change, n)
    return np.repeat(bounds, np.diff(np.concatenate([[0], bounds]))).tolist()


class MarkWork:
    """One cycle's mark work (gcPrepareMarkRoots + the heap's grey set), drained by workers and assists.

    Job arrays: kind (SCAN_*), root kind, ns cost, scan bytes, objects, dequeues, span id; ``cum_ns``
    and ``cum_bytes`` are their running sums with a leading 0. ``pos`` is the next job, ``done_ns``
    the CPU time already spent into it (a job is only partly done between two drains)."""

    def __init__(self, greentea: bool, nprocs: int, ptr_fraction: float = PTR_WORD_FRACTION) -> None:
        self.greentea = greentea
        self.nprocs = nprocs
        self.ptr_fraction = ptr_fraction
        self.n_root_jobs = 0
        self.kind = np.zeros(0, np.int8)
        self.root_kind = np.zeros(0, np.int8)
        self.cost_ns = np.zeros(0, np.float64)
        self.scan_bytes = np.zeros(0, np.int64)
        self.objs = np.zeros(0, np.int64)
        self.dequeues = np.zeros(0, np.int64)
        self.span = np.zeros(0, np.int64)
        self.cum_ns = np.zeros(1, np.float64)
        self.cum_bytes = np.zeros(1, np.int64)
        self._lists()
        self.pos = 0
        self.done_ns = 0.0
        self.total_ns = 0.0
        self.queues = SpanQueues(nprocs, 0)
        # statistics of the cycle (the Green Tea measure: spans touched per object, bytes per dequeue)
        self.objs_scanned = 0
        self.dequeues_done = 0
        self.span_bytes_scanned = 0
        self.stack_bytes = 0
        self.globals_bytes = 0
        self.heap_scan_bytes = 0

    # --- gcPrepareMarkRoots + the snapshot -------------------------------------------------------
    def prepare(
        self,
        spans,
        arena_pages: int,
        globals_bytes: int,
        stacks_used: list[int],
        runtime_roots_ns: float = 0.0,
        stacks_wait_ns: list[int] | None = None,
    ) -> None:
        """mgcmark.go: gcPrepareMarkRoots, and the heap's grey set from the mark bits just set.

        ``spans`` is the allocator's SpanTable (slot arenas, f_* columns); ``arena_pages`` the pages
        of the heap arenas mapped so far (mheap_.markArenas: span roots are per arena, pagesPerArena /
        pagesPerSpanRoot shards each); ``stacks_used`` the used bytes of every goroutine stack to
        scan; ``runtime_roots_ns`` the runtime's own roots' CPU (COST_RUNTIME_ROOTS_NS: when it is not
        0, two more jobs before the program's globals, the runtime's data and BSS blocks of
        RUNTIME_*_BYTES of scan work, sharing that time by size); ``stacks_wait_ns`` (as long as
        ``stacks_used``, optional) the time each stack job's suspendG waits for its G to stop."""
        n_data = -(-globals_bytes // ROOT_BLOCK_BYTES)
        n_arenas = -(-arena_pages // PAGES_PER_ARENA)
        n_span_roots = n_arenas * (PAGES_PER_ARENA // PAGES_PER_SPAN_ROOT)
        rt_bytes = [RUNTIME_DATA_BYTES, RUNTIME_BSS_BYTES] if runtime_roots_ns > 0 else []
        n_rt = len(rt_bytes)
        root_kind = [ROOT_FIXED] * FIXED_ROOT_COUNT + [ROOT_RUNTIME] * n_rt + [ROOT_GLOBALS] * n_data
        root_kind += [ROOT_SPANS] * n_span_roots + [ROOT_STACK] * len(stacks_used)
        root_bytes = [0] * FIXED_ROOT_COUNT + rt_bytes
        root_bytes += [min(ROOT_BLOCK_BYTES, globals_bytes - i * ROOT_BLOCK_BYTES) for i in range(n_data)]
        root_bytes += [0] * n_span_roots + list(stacks_used)
        rb = np.array(root_bytes, np.int64)
        rcost = COST_ROOT_JOB_NS + rb / PTR_SIZE * COST_STACK_WORD_NS
        if n_rt:
            # the runtime's own data/BSS blocks (and goroutines): the measured time, shared by size
            rcost[FIXED_ROOT_COUNT : FIXED_ROOT_COUNT + n_rt] = (
                runtime_roots_ns * np.array(rt_bytes) / sum(rt_bytes)
            )
        if stacks_wait_ns:
            # markroot -> scanstack -> suspendG: a running G's stack is scanned once it stops at a
            # safe point; the scanner spins (procyield, osyield) until then, on its own time
            rcost[len(rb) - len(stacks_used) :] += np.asarray(stacks_wait_ns, np.float64)
        self.stack_bytes = int(sum(stacks_used))
        self.globals_bytes = int(globals_bytes) + sum(rt_bytes)
        self.n_root_jobs = len(rb)

        sids, k, elem, scan = self._grey_spans(spans)
        gt = _uses_span_queue(elem) & scan if self.greentea else np.zeros(len(sids), bool)
        words = k * (elem // PTR_SIZE) * self.ptr_fraction
        if self.greentea:
            cost = np.where(
                scan,
                np.where(gt, k * COST_OBJ_GREENTEA_NS, k * COST_OBJ_CLASSIC_NS)
                + words * COST_WORD_GREENTEA_NS,
                k * COST_MARK_NOSCAN_GREENTEA_NS,
            )
            # a large scan object found by the Green Tea marker still goes through the object queue
            objq = k * COST_OBJ_OBJQ_GREENTEA_NS + words * COST_WORD_OBJQ_GREENTEA_NS
            cost = np.where(scan & ~gt, objq, cost)
        else:
            cost = np.where(
                scan, k * COST_OBJ_CLASSIC_NS + words * COST_WORD_CLASSIC_NS, k * COST_MARK_NOSCAN_CLASSIC_NS
            )
        hkind = np.where(gt, SCAN_SPANQ, SCAN_OBJQ).astype(np.int8)
        hbytes = np.where(scan, k * elem, 0).astype(np.int64)
        deq = np.where(gt, np.maximum(-(-k // GT_OBJS_PER_DEQUEUE), 1), 0).astype(np.int64)

        nr = self.n_root_jobs
        self.kind = np.concatenate([np.full(nr, SCAN_ROOTS, np.int8), hkind])
        self.root_kind = np.concatenate([np.array(root_kind, np.int8), np.full(len(sids), -1, np.int8)])
        self.cost_ns = np.concatenate([rcost, cost.astype(np.float64)])
        self.scan_bytes = np.concatenate([rb, hbytes])
        self.objs = np.concatenate([np.zeros(nr, np.int64), k.astype(np.int64)])
        self.dequeues = np.concatenate([np.zeros(nr, np.int64), deq])
        self.span = np.concatenate([np.full(nr, -1, np.int64), sids.astype(np.int64)])
        self.cum_ns = np.concatenate([[0.0], np.cumsum(self.cost_ns)])
        self.cum_bytes = np.concatenate([[0], np.cumsum(self.scan_bytes)])
        self.total_ns = float(self.cum_ns[-1])
        self._lists()
        self.pos = 0
        self.done_ns = 0.0
        self.queues = SpanQueues(self.nprocs, int(gt.sum()))
        self.heap_scan_bytes = int(hbytes.sum())

    def _lists(self) -> None:
        """The job arrays a drain reads one value at a time, as Python lists (a numpy scalar read,
        search or interpolation costs several times a list's): the cumulative sums as floats (what
        np.interp and np.searchsorted compare in) and where each run of one kind ends. Rebuilt
        whenever the arrays are (prepare)."""
        self._cum_ns = self.cum_ns.astype(np.float64).tolist()
        self._cum_bytes = self.cum_bytes.astype(np.float64).tolist()
        self._run_end = _run_ends(self.kind)
        # running sums with a leading 0 (ints): a range's total is two reads, not a numpy sum
        self._cum_bytes_int = self.cum_bytes.tolist()
        self._cum_objs = [0, *np.cumsum(self.objs, dtype=np.int64).tolist()]
        self._cum_deq = [0, *np.cumsum(self.dequeues, dtype=np.int64).tolist()]
        self._span = self.span.tolist()

    @staticmethod
    def _grey_spans(spans):
        """Heap spans with marked objects: (span ids, marked objects, elemsize, scan) — a cumulative
        sum over the slot arena's mark bits, read at each span's slot range."""
        n = spans.slot_top
        ids = np.array(
            [sid for sid, st in enumerate(spans.f_state) if st and st != SPAN_STACK],
            np.int64,
        )
        if not len(ids):
            z = np.zeros(0, np.int64)
            return z, z, z, np.zeros(0, bool)
        marked = spans.slot_mark[:n] & (spans.slot_elem[:n] > 0)
        cs = np.empty(n + 1, np.int64)  # the running count with a leading 0
        cs[0] = 0
        np.cumsum(marked, dtype=np.int64, out=cs[1:])
        off = np.array(spans.f_off, np.int64)[ids]
        nel = np.array(spans.f_nelems, np.int64)[ids]
        k = cs[off + nel] - cs[off]
        keep = k > 0
        ids, k, off = ids[keep], k[keep], off[keep]
        elem = np.array(spans.f_elemsize, np.int64)[ids]
        scan = (np.array(spans.f_spanclass, np.int64)[ids] & 1) == 0
        return ids, k, elem, scan

    # --- draining --------------------------------------------------------------------------------
    def left_ns(self) -> float:
        return self.total_ns - self._cum_ns[self.pos] - self.done_ns

    def empty(self) -> bool:
        return self.pos >= len(self.cost_ns)

    def _progress(self) -> float:
        return self._cum_ns[self.pos] + self.done_ns

    def bytes_to_ns(self, scan_bytes: int) -> float:
        """CPU time to do ``scan_bytes`` of scan work from here (gcDrainN's target in time)."""
        at = self._progress()
        b0 = _interp(at, self._cum_ns, self._cum_bytes)
        t1 = _interp(b0 + scan_bytes, self._cum_bytes, self._cum_ns)
        return max(t1 - at, 0.0)

    def drain(self, p: int, budget_ns: float) -> list[tuple[int, ...]]:
        """gcDrain for ``budget_ns`` of CPU on P p: whole jobs from the front (a span is scanned
        whole, so the last one may overrun the budget; a root job or an object-queue job may stop
        part way). Returns segments (what, ns, scan bytes, objects or root jobs, spans stolen, first
        job, span dequeues, first span id, last span id), one per run of jobs of one kind; root scan
        bytes are stack or globals work; the span ids are -1 but for span-queue segments."""
        out: list[tuple[int, ...]] = []
        njobs = len(self.cost_ns)
        while budget_ns > 0 and self.pos < njobs:
            i = self.pos
            what = int(self.kind[i])
            start = self._progress()
            if what == SCAN_SPANQ:
                seg = self._drain_spans(p, i, start, budget_ns)
            else:
                # a run of jobs of one kind, up to where the budget ends (inside a job: partly done)
                cum_ns = self._cum_ns
                end_kind = self._run_end[i]
                stop_at = start + budget_ns
                j = bisect_right(cum_ns, stop_at) - 1  # np.searchsorted(side="right") - 1
                j = min(max(j, i), end_kind)
                if j >= end_kind:
                    j, done = end_kind, 0.0
                else:
                    done = stop_at - cum_ns[j]
                used = cum_ns[j] + done - start
                b0 = _interp(start, cum_ns, self._cum_bytes)
                b1 = _interp(cum_ns[j] + done, cum_ns, self._cum_bytes)
                nj = j - i
                if what == SCAN_OBJQ:
                    # objects of the jobs finished here (a job left part way counts when it ends)
                    nj = self._cum_objs[j] - self._cum_objs[i]  # int(self.objs[i:j].sum())
                    self.objs_scanned += nj
                else:
                    # a root job greys what it points to: spans onto this P's ring
                    self.queues.put(p, nj * SPAN_FANOUT)
                self.pos, self.done_ns = j, done
                seg = (what, int(used), int(b1 - b0), nj, 0, i, 0, -1, -1)
            if seg[1] <= 0 and seg[3] == 0:
                break
            budget_ns -= seg[1]
            out.append(seg)
        return out

    def _drain_spans(self, p: int, i: int, start: float, budget_ns: float) -> tuple[int, ...]:
        """Span-queue jobs from i: as many whole spans as the budget covers (at least one) and the
        queues hand this P."""
        end_kind = self._run_end[i]
        j = bisect_left(self._cum_ns, start + budget_ns)  # np.searchsorted(side="left")
        j = min(max(j, i + 1), end_kind)
        took, stolen = self.queues.get(p, j - i)  # >= 1: a seen, unscanned span is always queued
        j = i + took
        used = self._cum_ns[j] - start
        nbytes = self._cum_bytes_int[j] - self._cum_bytes_int[i]
        objs = self._cum_objs[j] - self._cum_objs[i]
        self.objs_scanned += objs
        deq = self._cum_deq[j] - self._cum_deq[i]
        self.dequeues_done += deq
        self.span_bytes_scanned += nbytes
        self.pos, self.done_ns = j, 0.0
        self.queues.put(p, (j - i) * SPAN_FANOUT)
        return (SCAN_SPANQ, int(used), nbytes, objs, stolen, i, deq, self._span[i], self._span[j - 1])

    def root_split(self, i0: int, nbytes: int) -> tuple[int, int, int]:
        """(stack bytes, globals bytes, runtime globals bytes) of ``nbytes`` of root work from job i0,
        for the pacer's separate counters: the runtime's data/BSS jobs come first, then the scenario's,
        then stack jobs, so each part is what is left of them."""
        rk = self.root_kind[i0 : self.n_root_jobs]
        b = self.scan_bytes[i0 : self.n_root_jobs]
        rt = min(int(b[rk == ROOT_RUNTIME].sum()), nbytes)
        glob = min(int(b[rk == ROOT_GLOBALS].sum()), nbytes - rt)
        return nbytes - glob - rt, glob, rt

    def stats(self) -> dict:
        """The cycle's Green Tea measures: spans touched per object scanned, span bytes per dequeue."""
        deq = max(self.dequeues_done, 1)
        return {
            "objects_scanned": self.objs_scanned,
            "span_dequeues": self.dequeues_done,
            "spans_per_object": self.dequeues_done / max(self.objs_scanned, 1),
            "bytes_per_dequeue": self.span_bytes_scanned / deq,
        }


def heap_pages(spans) -> int:
    """Pages of in-use heap spans."""
    return sum(n for st, n in zip(spans.f_state, spans.f_npages) if st and st != SPAN_STACK)


__all__ = [
    "MARK_ASSUMPTIONS",
    "PAGE_SIZE",
    "SCAN_NAMES",
    "SCAN_OBJQ",
    "SCAN_ROOTS",
    "SCAN_SPANQ",
    "MarkWork",
    "SpanQueues",
    "heap_pages",
]
