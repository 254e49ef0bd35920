"""pageAlloc's radix summaries choose exactly the pages a plain first-fit scan of the bitmap does."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gmpviz.core.alloc.mpagealloc import PageAlloc, _find_run, _max_run


def naive_first_fit(free: np.ndarray, npages: int) -> int:
    run = 0
    for i, f in enumerate(free):
        run = run + 1 if f else 0
        if run == npages:
            return i - npages + 1
    return -1


def test_bit_helpers_match_a_scan():
    rng = np.random.default_rng(3)
    for _ in range(300):
        bits = rng.random(512) < rng.random()
        free = int("".join("1" if b else "0" for b in bits[::-1]), 2)
        runs = [len(r) for r in "".join("1" if b else "0" for b in bits).split("0")]
        assert _max_run(free) == max(runs)
        for n in (1, 2, 3, 7, 16, 33, 100):
            assert _find_run(free, n) == naive_first_fit(bits, n)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("aaaf"), st.integers(1, 700), st.integers(0, 10**6)), max_size=80))
def test_alloc_is_lowest_address_first_fit(ops):
    pa = PageAlloc()
    pa.grow(512)
    live: list[tuple[int, int]] = []
    for kind, npages, pick in ops:
        if kind == "a":
            expect = naive_first_fit(pa.free_mask(), npages)
            base = pa.alloc(npages)
            if base < 0:
                assert expect < 0
                pa.grow(-(-npages // 512) * 512)
                expect = naive_first_fit(pa.free_mask(), npages)
                base = pa.alloc(npages)
            assert base == expect
            live.append((base, npages))
        elif live:
            base, npages = live.pop(pick % len(live))
            pa.free(base, npages)
        pa.check()
    if live:
        pc = pa.allocToCache()
        first = int(np.argmax(pa.free_mask())) if pc.empty() else pc.base
        assert pc.empty() or pc.base % 64 == 0 and first == pc.base
        pa.check()


def np_first_fit(free: np.ndarray, npages: int) -> int:
    f = np.concatenate(([False], free, [False])).view(np.int8)
    d = np.diff(f)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    fits = np.flatnonzero(ends - starts >= npages)
    return int(starts[fits[0]]) if len(fits) else -1


def test_three_summary_levels_over_a_fragmented_heap():
    rng = np.random.default_rng(7)
    pa = PageAlloc()
    pa.grow(80 * 512)  # 80 chunks: three summary levels (8, 64, 512 entries)
    assert len(pa.summary) == 3
    live = []
    for step in range(3000):
        if rng.random() < 0.6 or not live:
            npages = int(rng.choice([1, 1, 2, 3, 5, 16, 40, 300, 700, 1500]))
            expect = np_first_fit(pa.free_mask(), npages)
            base = pa.alloc(npages)
            assert base == expect
            if base >= 0:
                live.append((base, npages))
        else:
            base, npages = live.pop(int(rng.integers(len(live))))
            pa.free(base, npages)
        if step % 500 == 0:
            pa.check()
    pa.check()
    pa.grow(600 * 512)  # a fourth level; the old chunks keep their bits
    assert len(pa.summary) == 4
    pa.check()
    expect = np_first_fit(pa.free_mask(), 4000)
    assert pa.alloc(4000) == expect
    pa.check()
