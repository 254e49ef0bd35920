"""Goroutine stacks: growth, shrinking, overflow, stackpool spans, per-P stack caches, large stacks."""

import pytest

from gmpviz.core.alloc import (
    SPAN_STACK,
    STACK_SLOTS,
    Allocator,
    StackError,
    StackOverflow,
    stack_grow_size,
    stack_shrink_size,
)
from gmpviz.core.trace.events import EV
from gmpviz.core.trace.tracer import Tracer


def make(nprocs=2):
    tr = Tracer()
    return Allocator(tr.ext, nprocs), tr


def test_grow_doubles_until_the_frame_fits():
    assert stack_grow_size(2048, 0) == 4096
    assert stack_grow_size(2048, 4096) == 4096
    assert stack_grow_size(2048, 10_000) == 16384
    assert stack_grow_size(256 << 20, 0) == 512 << 20


def test_overflow_beyond_1e9_bytes():
    with pytest.raises(StackOverflow) as exc:
        stack_grow_size(512 << 20, 0)  # 1 GiB > 1e9
    assert str(exc.value) == "goroutine stack exceeds 1000000000-byte limit"
    assert exc.value.needed_bytes == 0


def test_shrink_halves_only_under_a_quarter_and_not_below_2k():
    assert stack_shrink_size(8192, 100) == 4096  # 100 + 800 (nosplit) < 2048
    assert stack_shrink_size(8192, 1248) == 8192  # 1248 + 800 = 2048, not < 1/4
    assert stack_shrink_size(8192, 1247) == 4096
    assert stack_shrink_size(2048, 0) == 2048  # never below fixedStack


def test_stackcache_refill_from_a_pool_span():
    a, tr = make()
    sid = a.stackalloc(0, 0, 2048)
    mc = a.mcaches[0]
    assert len(mc.stackcache[0]) == 7 and mc.stackcache_bytes[0] == 7 * 2048  # refilled to 16 KiB
    assert a.memstats()["StackInuse"] == 32768  # one 4-page stackpool span
    span = sid // STACK_SLOTS
    assert a.spans.f_state[span] == SPAN_STACK and a.spans.f_npages[span] == 4
    assert a.spans.f_alloc_count[span] == 8
    ev = tr.drain()
    sa = ev[ev["kind"] == int(EV.StackAlloc)]
    assert (int(sa["a0"][0]), int(sa["a1"][0]), int(sa["a2"][0])) == (2048, 0, span)
    a.check_invariants()


def test_stackcache_release_to_half_when_full():
    a, _ = make()
    stacks = [a.stackalloc(0, 0, 4096) for _ in range(16)]  # order 1: 8 per span
    for s in stacks:
        a.stackfree(1, 0, s)
    mc = a.mcaches[0]
    # each free first checks ">= 32 KiB -> release down to 16 KiB", then caches the stack
    assert mc.stackcache_bytes[1] <= 32768
    assert mc.stackcache_bytes[1] == 4096 * len(mc.stackcache[1])
    a.stackcache_clear(0)
    assert a.memstats()["StackInuse"] == 0  # empty pool spans freed at once (GC off)
    a.check_invariants()


def test_no_p_uses_stackpool_directly():
    a, _ = make()
    s1 = a.stackalloc(0, -1, 16384)  # order 3: 2 per span
    s2 = a.stackalloc(0, -1, 16384)
    s3 = a.stackalloc(0, -1, 16384)
    assert s1 // STACK_SLOTS == s2 // STACK_SLOTS != s3 // STACK_SLOTS
    assert a.memstats()["StackInuse"] == 2 * 32768
    a.stackfree(1, -1, s3)
    assert a.memstats()["StackInuse"] == 32768
    a.check_invariants()


def test_large_stacks_and_freestackspans_during_gc():
    a, tr = make()
    s = a.stackalloc(0, 0, 65536)
    span = s // STACK_SLOTS
    assert a.spans.f_npages[span] == 8 and a.memstats()["StackInuse"] == 65536
    a.stackfree(1, 0, s)
    assert a.memstats()["StackInuse"] == 0  # GC off: straight back to the heap
    a.set_marking(True, 2)
    s = a.stackalloc(2, 0, 65536)
    a.stackfree(3, 0, s)
    assert a.memstats()["StackInuse"] == 65536  # kept in stackLarge while the GC runs
    s2 = a.stackalloc(4, 0, 65536)
    assert s2 == s  # reused from stackLarge
    a.stackfree(5, 0, s2)
    a.set_marking(False)
    assert a.free_stack_spans(6) == 1
    assert a.memstats()["StackInuse"] == 0
    a.check_invariants()


def test_bad_stack_requests():
    a, _ = make()
    with pytest.raises(StackError):
        a.stackalloc(0, 0, 3000)
    with pytest.raises(StackError):
        a.stackfree(0, 0, 12345)
    s = a.stackalloc(0, 0, 16384)  # order 3: two stacks per span, slots 0 and 1 only
    with pytest.raises(StackError):
        a.stackfree(0, 0, s - s % 16 + 5)


def test_stack_pages_are_not_heap():
    a, _ = make()
    a.stackalloc(0, 0, 2048)
    a.mallocgc(0, 0, 0, 1, 64, 10, 1, 2, 0)
    st = a.memstats()
    assert st["HeapInuse"] == 8192 and st["StackInuse"] == 32768
    assert st["HeapSys"] + st["StackInuse"] == st["MappedBytes"]
