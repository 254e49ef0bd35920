"""Allocator scenarios: each mallocgc path, mcache refill/flush, mcentral.cacheSpan order, sweeping,
marking, the scavenger and the event stream a span table can be folded from."""

import numpy as np
import pytest

from gmpviz.core.alloc import (
    CACHE_FULL_UNSWEPT,
    CACHE_GROW,
    CACHE_PARTIAL_SWEPT,
    CACHE_PARTIAL_UNSWEPT,
    SPAN_FULL,
    SPAN_LARGE,
    SPAN_MCACHE,
    SPAN_PARTIAL,
    Allocator,
    AllocError,
    scavenge_goal,
    span_nelems,
    span_pages_decode,
)
from gmpviz.core.alloc.sizeclasses import size_to_class
from gmpviz.core.trace.events import EV, PATH_LARGE, PATH_SMALL, PATH_TINY, alloc_decode
from gmpviz.core.trace.tracer import Tracer
from gmpviz.core.workload.ops import LIFE_DURATION, LIFE_FOREVER, LIFE_GOROUTINE, LIFE_TEMP

MiB = 1 << 20
N64 = span_nelems(6, 1)  # 64-byte noscan objects per span: 126 with Go 1.26's inline mark bits


def make(nprocs=2):
    tr = Tracer()
    return Allocator(tr.ext, nprocs), tr


def kinds(ev, kind):
    return ev[ev["kind"] == int(kind)]


def alloc(a, size, count=1, noscan=1, life=LIFE_FOREVER, p=0, g=1, t=0, life_ns=0):
    return a.mallocgc(t, p, 0, g, size, count, noscan, life, life_ns)


def gc_cycle(a, t):
    """What the GC drives: flush mcaches, mark, new sweep phase."""
    for p in range(len(a.mcaches)):
        a.release_all(p, t)
    marked = a.mark(t)
    a.start_sweep_phase()
    return marked


# --- tiny ---------------------------------------------------------------------------------------


def test_tiny_packs_into_one_block():
    a, tr = make()
    alloc(a, 8)
    alloc(a, 8)
    ev = kinds(tr.drain(), EV.Alloc)
    paths = [alloc_decode(int(x))[0] for x in ev["a0"]]
    assert paths == [PATH_SMALL, PATH_TINY]  # the first object opens a 16-byte block of class 2
    assert all(alloc_decode(int(x))[1] == 2 for x in ev["a0"])
    st = a.memstats()
    assert st["Mallocs"] == 2 and st["HeapAlloc"] == 16 and st["HeapObjects"] == 1


def test_tiny_alignment():
    a, _ = make()
    alloc(a, 1)  # offset 1
    alloc(a, 8)  # aligned to 8: fits at 8..16
    assert a.mcaches[0].tiny_offset == 16 and a.tiny_allocs == 1
    alloc(a, 5)  # no room: new block, it becomes current (5 < 16)
    slot_a = a.mcaches[0].tiny_slot
    alloc(a, 12)  # aligned to 4: 8+12 > 16, new block; 12 >= 5 so the old block stays current
    assert a.mcaches[0].tiny_slot == slot_a and a.mcaches[0].tiny_offset == 5
    alloc(a, 3)  # odd size: no alignment, fits at 5
    assert a.mcaches[0].tiny_offset == 8
    assert a.spans.f_alloc_count[a.mcaches[0].tiny_span] == 3  # three 16-byte blocks


def test_tiny_bulk_counts():
    a, tr = make()
    alloc(a, 1, count=100)  # 16 per block: 7 blocks, 93 packed
    assert a.spans.f_alloc_count[a.mcaches[0].tiny_span] == 7
    assert a.tiny_allocs == 93 and a.mallocs == 7
    assert a.mcaches[0].tiny_offset == 4  # 100 - 6*16 = 4 objects in the last block
    ev = kinds(tr.drain(), EV.Alloc)
    assert int(ev["a1"].sum()) == 100 and int(ev["a2"].sum()) == 100
    a2, _ = make()
    alloc(a2, 12, count=3)  # one 12-byte object per block, never shared
    assert a2.mallocs == 3 and a2.tiny_allocs == 0
    mc = a2.mcaches[0]
    assert (mc.tiny_slot, mc.tiny_offset) == (0, 12)  # only the first new block replaced "no block"
    alloc(a2, 4)  # fits in the first block at 12
    assert (mc.tiny_slot, mc.tiny_offset, a2.tiny_allocs) == (0, 16, 1)


def test_pointerful_small_objects_never_tiny():
    a, tr = make()
    alloc(a, 8, noscan=0)
    path, cls, noscan, _ = alloc_decode(int(kinds(tr.drain(), EV.Alloc)["a0"][0]))
    assert (path, cls, noscan) == (PATH_SMALL, 1, 0)


# --- small --------------------------------------------------------------------------------------


def test_malloc_header_for_scan_objects_over_512():
    a, tr = make()
    alloc(a, 512, noscan=0)  # heap bits in span, no header
    alloc(a, 513, noscan=0)  # +8-byte header -> 521 -> class 27 (576)
    alloc(a, 1024, noscan=0)  # 1032 -> class 33 (1152)
    alloc(a, 1024, noscan=1)  # no header: class 32 (1024)
    classes = [alloc_decode(int(x))[1] for x in kinds(tr.drain(), EV.Alloc)["a0"]]
    assert classes == [26, 27, 33, 32]


def test_scan_spans_reserve_heap_bits():
    assert span_nelems(1, 1) == 1024 and span_nelems(1, 0) == 1008  # 8 B: no inline mark bits
    # Go 1.26 (Green Tea): 16..512 B spans also end with 128 B of spanInlineMarkBits
    assert span_nelems(2, 1) == 504 and span_nelems(2, 0) == 496
    assert span_nelems(26, 1) == 15 and span_nelems(26, 0) == (8192 - 128 - 128) // 512
    assert span_nelems(27, 0) == 8192 // 576 == span_nelems(27, 1)
    assert span_nelems(2, 1, green_tea=False) == 512 and span_nelems(26, 0, green_tea=False) == 15
    a, tr = make()
    alloc(a, 8, noscan=0)
    refill = kinds(tr.drain(), EV.MCacheRefill)
    assert int(refill["a2"][0]) == 1008


def test_runs_of_objects_one_event_per_span():
    a, tr = make()
    assert alloc(a, 64, count=300) is True  # 126 per span (Go 1.26): 3 spans
    ev = tr.drain()
    runs = kinds(ev, EV.Alloc)
    assert list(runs["a1"]) == [N64, N64, 300 - 2 * N64]
    assert len(kinds(ev, EV.MCacheRefill)) == 3
    assert alloc(a, 64, count=10) is False  # room left in the cached span: no refill, no trigger test


def test_refill_counts_free_slots_in_heap_live_and_release_undoes_it():
    a, tr = make()
    alloc(a, 64, count=N64 + 1)
    assert a.heap_live == 2 * 8192  # two spans, counted whole at refill (spanBytes - usedBytes)
    assert a.memstats()["HeapAlloc"] == (N64 + 1) * 64
    assert a.release_all(0) == 1
    assert a.heap_live == 2 * 8192 - (N64 - 1) * 64  # free slots taken back, tail waste stays
    ev = tr.drain()
    assert int(kinds(ev, EV.MCacheFlush)["a0"][0]) == 1
    un = kinds(ev, EV.SpanUncache)
    assert list(un["a2"]) == [1, 0]  # first full at refill, then the partial one at release
    states = {int(r["id"]): int(r["state"]) for r in a.spans_view()}
    assert sorted(states.values()) == [SPAN_PARTIAL, SPAN_FULL]
    assert a.mcaches[0].alloc == [-1] * len(a.mcaches[0].alloc)


# --- large --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "noscan", "path", "npages"),
    [
        (32760, 1, PATH_SMALL, 4),
        (32761, 1, PATH_LARGE, 4),
        (32768, 1, PATH_LARGE, 4),
        (32752, 0, PATH_SMALL, 4),  # +8 header = 32760
        (32761, 0, PATH_LARGE, 4),
        (32769, 0, PATH_LARGE, 5),
        (100_000, 1, PATH_LARGE, 13),
    ],
)
def test_small_large_boundary(size, noscan, path, npages):
    a, tr = make()
    assert alloc(a, size, noscan=noscan) is True
    ev = tr.drain()
    got_path, cls, _, sid = alloc_decode(int(kinds(ev, EV.Alloc)["a0"][0]))
    assert got_path == path
    assert a.spans.f_npages[sid] == npages
    if path == PATH_LARGE:
        assert cls == 0 and a.spans.f_state[sid] == SPAN_LARGE and a.spans.f_nelems[sid] == 1
        assert a.heap_live == npages * 8192


def test_large_objects_each_get_a_span_and_heap_grows_in_4mib_steps():
    a, tr = make()
    alloc(a, 5 * MiB, count=2)
    ev = tr.drain()
    grows = kinds(ev, EV.HeapGrow)
    assert list(grows["a0"]) == [1024, 1024]  # 640 pages rounded up to 512-page chunks
    spans = kinds(ev, EV.SpanAlloc)
    npages, start = span_pages_decode(spans["a2"])
    assert list(npages) == [640, 640] and list(start) == [0, 640]  # first fit across the chunks
    assert a.memstats()["HeapSys"] == 2048 * 8192


# --- mcentral.cacheSpan order, sweeping, marking ------------------------------------------------


def _span_of_last_alloc(tr):
    return alloc_decode(int(kinds(tr.drain(), EV.Alloc)["a0"][-1]))[3]


def test_cachespan_order_partial_swept_then_unswept_then_full_then_grow():
    a, tr = make()
    alloc(a, 64, count=N64, life=LIFE_TEMP, t=0)  # span A: full of garbage
    span_a = _span_of_last_alloc(tr)
    alloc(a, 64, count=64, life=LIFE_FOREVER, t=0)  # span B: 64 live objects
    span_b = _span_of_last_alloc(tr)
    assert span_a != span_b
    gc_cycle(a, 10)  # both unswept now; B partial, A full
    tr.drain()
    alloc(a, 64, count=1, p=1, t=20)
    cache = kinds(tr.drain(), EV.SpanCache)
    assert (int(cache["a0"][0]), int(cache["a2"][0])) == (span_b, CACHE_PARTIAL_UNSWEPT)
    alloc(a, 64, count=63, p=1, t=20)  # B is full now
    alloc(a, 64, count=1, p=1, t=20)
    ev = tr.drain()
    cache = kinds(ev, EV.SpanCache)
    assert (int(cache["a0"][0]), int(cache["a2"][0])) == (span_a, CACHE_FULL_UNSWEPT)
    sweep = kinds(ev, EV.SpanSweep)
    assert (int(sweep["a0"][0]), int(sweep["a1"][0]), int(sweep["a2"][0])) == (span_a, N64, 0)
    alloc(a, 64, count=N64 - 1, p=1, t=20)
    alloc(a, 64, count=1, p=1, t=20)
    assert int(kinds(tr.drain(), EV.SpanCache)["a2"][0]) == CACHE_GROW
    # a partial span released in this cycle is reused first by another P
    a.release_all(1, 30)
    alloc(a, 64, count=1, p=0, t=30)
    cache = kinds(tr.drain(), EV.SpanCache)
    assert int(cache["a2"][0]) == CACHE_PARTIAL_SWEPT
    a.check_invariants()


def test_sweepone_frees_dead_objects_and_empty_spans():
    a, tr = make()
    alloc(a, 64, count=N64, life=LIFE_TEMP, t=0)  # dead at once
    alloc(a, 32, count=10, life=LIFE_DURATION, life_ns=100, t=0)  # dies at t=100
    alloc(a, 32, count=5, life=LIFE_FOREVER, t=0)
    inuse = a.memstats()["HeapInuse"]
    marked = gc_cycle(a, 50)
    assert marked == 15 * 32
    tr.drain()
    swept = []
    while n := a.sweepone(60):
        swept.append(n)
    assert a.sweepone(60) == 0 and a.sweep_done
    ev = tr.drain()
    sweeps = kinds(ev, EV.SpanSweep)
    # class 4 (32 B) before class 6 (64 B); 64-byte span was full: swept from the full set
    assert [(int(r["a1"]), int(r["a2"])) for r in sweeps] == [(0, 15), (N64, 0)]
    assert len(kinds(ev, EV.SpanFree)) == 1
    st = a.memstats()
    assert st["HeapInuse"] == inuse - 8192 and st["HeapAlloc"] == 15 * 32
    assert st["Frees"] == N64 and a.pages_swept == 2
    a.check_invariants()
    # next cycle: the duration objects died at t=100
    assert gc_cycle(a, 200) == 5 * 32


def test_nextspanforsweep_full_before_partial_within_a_class():
    a, tr = make()
    alloc(a, 64, count=N64, life=LIFE_FOREVER)  # full span
    alloc(a, 64, count=3, life=LIFE_FOREVER)  # partial span
    gc_cycle(a, 10)
    tr.drain()
    a.finish_sweep(10)
    live = [int(x) for x in kinds(tr.drain(), EV.SpanSweep)["a2"]]
    assert live == [N64, 3]


def test_large_span_swept_and_freed_when_dead():
    a, tr = make()
    alloc(a, 100_000, life=LIFE_DURATION, life_ns=5)
    alloc(a, 100_000, life=LIFE_FOREVER)
    gc_cycle(a, 10)
    a.finish_sweep(10)
    ev = tr.drain()
    assert len(kinds(ev, EV.SpanFree)) == 1
    view = a.spans_view()
    assert len(view) == 1 and view["state"][0] == SPAN_LARGE


def test_allocate_black_while_marking():
    a, _ = make()
    a.set_marking(True, 0)
    alloc(a, 64, count=10, life=LIFE_TEMP, t=5)  # garbage, but allocated black
    marked = a.mark(10)
    a.set_marking(False)
    assert marked == 640
    a.start_sweep_phase()
    a.release_all(0)
    a.finish_sweep(20)
    assert a.memstats()["HeapAlloc"] == 640  # floating garbage survives this cycle
    assert gc_cycle(a, 30) == 0


def test_goroutine_lifetime_objects_die_with_their_goroutine():
    a, _ = make()
    alloc(a, 48, count=20, life=LIFE_GOROUTINE, g=7)
    alloc(a, 4, count=3, life=LIFE_GOROUTINE, g=7)  # tiny, shared block
    alloc(a, 4, count=1, life=LIFE_GOROUTINE, g=8)  # same block, another goroutine
    assert gc_cycle(a, 10) == 20 * 48 + 16
    a.finish_sweep(10)
    a.goroutine_exit(7, 20)
    assert gc_cycle(a, 30) == 16  # G8 still holds the tiny block
    a.finish_sweep(30)
    a.goroutine_exit(8, 40)
    assert gc_cycle(a, 50) == 0
    a.finish_sweep(50)
    assert a.memstats()["HeapAlloc"] == 0 and a.memstats()["HeapInuse"] == 0
    a.check_invariants()


def test_stale_cached_span_is_swept_on_uncache():
    a, tr = make()
    alloc(a, 64, count=10, life=LIFE_TEMP, p=0)
    span = _span_of_last_alloc(tr)
    a.mark(5)
    a.start_sweep_phase()  # P0 still caches the span: sweepgen is now sg+1 (stale)
    view = a.spans_view()
    assert view["needs_sweep"][view["id"] == span][0] == 1
    hl = a.heap_live
    alloc(a, 64, count=1, p=0, t=10)  # prepareForSweep on the P's next malloc
    ev = tr.drain()
    assert len(kinds(ev, EV.MCacheFlush)) == 1
    sweep = kinds(ev, EV.SpanSweep)
    assert int(sweep["a0"][0]) == span and int(sweep["a1"][0]) == 10
    assert a.heap_live >= hl  # a stale span's unused slots are not taken off heapLive
    a.check_invariants()


def test_spans_view_states():
    a, _ = make()
    alloc(a, 64, count=130)
    alloc(a, 50_000)
    a.stackalloc(0, 0, 2048)
    states = sorted(int(s) for s in a.spans_view()["state"])
    assert states == [SPAN_MCACHE, SPAN_FULL, SPAN_LARGE, 5]
    owner = a.spans_view()
    assert int(owner["owner_p"][owner["state"] == SPAN_MCACHE][0]) == 0


# --- page heap, scavenger, procresize -----------------------------------------------------------


def test_page_cache_serves_small_spans_first_fit():
    a, tr = make()
    alloc(a, 64, count=N64, p=0)  # empty heap: no page to cache yet, pages.alloc after grow
    alloc(a, 64, count=N64, p=1)  # P1 caches the 64-page block holding the first free page
    alloc(a, 64, count=N64, p=0)  # P0 caches the next block
    alloc(a, 64, count=N64, p=1)
    starts = span_pages_decode(kinds(tr.drain(), EV.SpanAlloc)["a2"])[1]
    assert list(starts) == [0, 1, 64, 2]


def test_scavenger_releases_free_pages_and_alloc_takes_them_back():
    a, tr = make()
    st = a.memstats()
    alloc(a, 64, count=N64 * 30, life=LIFE_TEMP)
    gc_cycle(a, 10)
    a.finish_sweep(10)
    st = a.memstats()
    assert st["HeapInuse"] == 0
    assert st["HeapReleased"] == st["HeapSys"] - 30 * 8192  # pages used once are backed by RAM
    a.heap.flush_cache(a.mcaches[0].pcache)
    assert a.scavenge(20, st["HeapSys"]) == 0  # retained is under the goal already
    assert a.scavenge(20, -1) == 0  # no goal: the scavenger is idle
    assert a.scavenge(20, 0, max_pages=10) == 10  # one paced step
    released = 10 + a.scavenge(20, 0)
    assert released == 30
    assert a.memstats()["HeapReleased"] == a.memstats()["HeapSys"]
    assert list(kinds(tr.drain(), EV.Scavenge)["a0"]) == [10, 20]
    alloc(a, 64, count=1)
    assert a.memstats()["HeapReleased"] == a.memstats()["HeapSys"] - 8192
    a.check_invariants()


def test_scavenge_goal():
    assert scavenge_goal(100 * MiB, 200 * MiB, 200 * MiB) == 110 * MiB
    assert scavenge_goal(100 * MiB, 200 * MiB, 100 * MiB) == 220 * MiB
    assert scavenge_goal(100 * MiB, 200 * MiB, 200 * MiB, memlimit_bytes=100 * MiB) == 95 * MiB
    assert scavenge_goal(0, 0, 0) == -1


def test_set_procs_releases_removed_ps():
    a, tr = make(4)
    for p in range(4):
        alloc(a, 64, count=5, p=p)
    a.set_procs(2, 100)
    assert len(a.mcaches) == 2
    assert len(kinds(tr.drain(), EV.MCacheFlush)) == 2
    a.check_invariants()
    with pytest.raises(AllocError):
        alloc(a, 64, p=3)
    a.set_procs(8, 200)
    alloc(a, 64, p=7)
    a.check_invariants()


def test_bad_input_one_line_errors():
    a, _ = make()
    with pytest.raises(AllocError, match="bad allocation"):
        alloc(a, -1)
    with pytest.raises(AllocError, match="lifetime"):
        alloc(a, 8, life=9)
    assert alloc(a, 0, count=5) is False and a.memstats()["Mallocs"] == 0


def test_size_classes_used_match_lookup():
    a, tr = make()
    for size in (16, 24, 100, 1000, 5000, 20000):
        alloc(a, size)
    classes = [alloc_decode(int(x))[1] for x in kinds(tr.drain(), EV.Alloc)["a0"]]
    assert classes == [size_to_class(s) for s in (16, 24, 100, 1000, 5000, 20000)]


# --- folding a span table from events alone -----------------------------------------------------


def fold_spans(ev):
    """What a recording reader does: rebuild {span: (start, npages, spc, alloc_count, state)}."""
    table = {}
    for r in ev:
        k, a0, a1, a2 = int(r["kind"]), int(r["a0"]), int(r["a1"]), int(r["a2"])
        if k == EV.SpanAlloc:
            npages, start = span_pages_decode(a2)
            state = 5 if a1 == -1 else (SPAN_LARGE if a1 <= 1 else SPAN_MCACHE)
            table[a0] = [start, npages, a1, 0, state]
        elif k == EV.Alloc:
            path, _, _, sid = alloc_decode(a0)
            if path != PATH_TINY:
                table[sid][3] += a1
        elif k == EV.SpanCache:
            table[a0][4] = SPAN_MCACHE
        elif k == EV.SpanUncache:
            table[a0][4] = SPAN_FULL if a2 else SPAN_PARTIAL
        elif k == EV.SpanSweep:
            row = table[a0]
            row[3] = a2
            if row[4] in (SPAN_FULL, SPAN_PARTIAL):
                row[4] = SPAN_PARTIAL
        elif k == EV.SpanFree:
            del table[a0]
        elif k == EV.StackAlloc and a1 == -1:
            table[a2][3] = 1
    return table


def test_span_table_folds_from_events():
    a, tr = make(3)
    rng = np.random.default_rng(3)
    t = 0
    for i in range(300):
        t += 100
        size = int(rng.choice([4, 8, 24, 64, 700, 3000, 40000]))
        life = int(rng.choice([LIFE_TEMP, LIFE_DURATION, LIFE_FOREVER]))
        alloc(a, size, count=int(rng.integers(1, 200)), life=life, life_ns=2000, p=i % 3, t=t, noscan=i % 2)
        if i % 70 == 69:
            gc_cycle(a, t)
            for _ in range(20):
                a.sweepone(t)
    ev = tr.drain()
    table = fold_spans(ev)
    allocs = kinds(ev, EV.Alloc)
    assert int(allocs["a1"].sum()) == a.memstats()["Mallocs"]  # every object counted once
    tiny = np.array([alloc_decode(int(x))[0] == PATH_TINY for x in allocs["a0"]])
    assert int(allocs["a1"][tiny].sum()) == a.tiny_allocs
    view = a.spans_view()
    assert set(table) == {int(x) for x in view["id"]}
    for r in view:
        if r["state"] == 5:
            continue
        start, npages, spc, count, _ = table[int(r["id"])]
        assert (start, npages, spc) == (int(r["start_page"]), int(r["npages"]), int(r["spanclass"]))
        assert count == int(r["alloc_count"]), int(r["id"])
    a.check_invariants()


def test_deterministic_event_stream():
    def run():
        a, tr = make(2)
        for i in range(50):
            alloc(a, 8 + 40 * i, count=37, life=i % 4, life_ns=500, p=i % 2, g=1 + i % 5, t=i * 10)
            if i % 20 == 19:
                gc_cycle(a, i * 10)
                a.finish_sweep(i * 10)
        return tr.drain().tobytes()

    assert run() == run()


def test_reclaim_sweeps_dead_spans_before_growing():
    a, tr = make()
    alloc(a, 64, count=N64 * 40, life=LIFE_TEMP, t=0)  # 40 one-page spans of garbage
    alloc(a, 64, count=N64 * 5, life=LIFE_FOREVER, t=0)
    a.release_all(0)
    heap_sys = a.memstats()["HeapSys"]
    a.heap.flush_cache(a.mcaches[0].pcache)
    alloc(a, 460 * 8192, p=1, t=1)  # fills the first 4 MiB chunk but 7 pages
    gc_cycle(a, 10)
    tr.drain()
    alloc(a, 20 * 8192, p=1, t=20)  # mheap.alloc reclaims dead spans first
    ev = tr.drain()
    assert len(kinds(ev, EV.HeapGrow)) == 0
    sweeps = kinds(ev, EV.SpanSweep)
    assert len(sweeps) >= 20 and (sweeps["a2"] == 0).all()  # only spans with nothing marked
    npages, start = span_pages_decode(int(kinds(ev, EV.SpanAlloc)["a2"][0]))
    assert npages == 20 and start < 45
    assert a.memstats()["HeapSys"] == heap_sys
    a.check_invariants()


def test_gc_driving_order_resets_heap_live_to_marked():
    a, _ = make()
    alloc(a, 64, count=10, life=LIFE_FOREVER)  # cached span: its 116 free slots are in heapLive
    alloc(a, 64, count=5, life=LIFE_TEMP)
    assert a.heap_live == 8192
    a.set_marking(True, 5)
    marked = a.mark(10)
    a.heap_live = marked  # gcController.resetLive
    a.set_marking(False)
    a.start_sweep_phase()
    a.prepare_for_sweep(0, 10)  # the span is stale now: swept on uncache, no heapLive correction
    assert marked == 640 and a.heap_live == 640
    assert a.memstats()["HeapAlloc"] == 640
    a.prepare_for_sweep(0, 11)  # once per sweep phase
    alloc(a, 64, count=1, t=12)
    assert a.heap_live == 640 + 8192 - 640  # the swept partial span comes back: span bytes - used
    a.check_invariants()


def test_heap_scan_counts_pointerful_objects():
    a, _ = make()
    alloc(a, 64, count=10, noscan=0, life=LIFE_FOREVER)
    alloc(a, 64, count=10, noscan=1, life=LIFE_FOREVER)
    alloc(a, 40000, noscan=0, life=LIFE_TEMP)
    assert a.heap_scan == 640 + 40000
    assert a.mark(10) == 1280 and a.heap_scan_marked == 640


def test_p_that_never_flushes_is_flushed_before_the_next_cycle():
    a, tr = make(2)
    alloc(a, 64, count=10, life=LIFE_TEMP, p=1)  # P1 caches a span and then goes quiet
    for cycle in range(3):
        t = 100 * (cycle + 1)
        a.set_marking(True, t)
        a.mark(t)
        a.set_marking(False)
        a.start_sweep_phase()
        a.prepare_for_sweep(0, t)  # only P0 flushes at mark termination
        a.check_invariants()
    a.finish_sweep(500)
    st = a.memstats()
    assert st["HeapAlloc"] == 0 and st["Frees"] == 10 and st["HeapInuse"] == 0
    a.check_invariants()


def test_sweep_phase_without_mark_marks_first():
    a, _ = make()
    alloc(a, 64, count=10, life=LIFE_FOREVER)
    alloc(a, 48, count=3, life=LIFE_GOROUTINE, g=9)
    a.release_all(0)
    a.start_sweep_phase()  # no mark(): the allocator marks at the current time itself
    a.finish_sweep(10)
    assert a.memstats()["HeapAlloc"] == 640 + 144
    a.goroutine_exit(9, 20)
    a.start_sweep_phase()
    a.finish_sweep(30)
    assert a.memstats()["HeapAlloc"] == 640
    a.check_invariants()


def test_span_start_addresses_follow_the_arena_hint():
    from gmpviz.core.alloc.mheap import page_addr

    assert page_addr(0) == 0xC000000000 and page_addr(3) == 0xC000000000 + 3 * 8192
