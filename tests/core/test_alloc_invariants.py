"""Allocator invariants after random operation sequences (hypothesis)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmpviz.core.alloc import Allocator, StackError

SIZES = [1, 3, 8, 12, 16, 24, 33, 64, 200, 513, 1024, 3000, 9000, 32760, 32761, 70000]

op = st.one_of(
    st.tuples(
        st.just("malloc"),
        st.sampled_from(SIZES),
        st.integers(1, 400),
        st.integers(0, 1),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(1, 6),
    ),
    st.tuples(st.just("exit"), st.integers(1, 6)),
    st.tuples(st.just("gc")),
    st.tuples(st.just("gc_lazy"), st.integers(0, 15)),
    st.tuples(st.just("sweep"), st.integers(1, 30)),
    st.tuples(st.just("release"), st.integers(0, 3)),
    st.tuples(st.just("stack"), st.sampled_from([2048, 4096, 8192, 16384, 32768, 65536]), st.integers(-1, 3)),
    st.tuples(st.just("stackfree"), st.integers(0, 50), st.integers(-1, 3)),
    st.tuples(st.just("procs"), st.integers(1, 4)),
    st.tuples(st.just("scavenge"), st.integers(0, 8 << 20)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=40))
def test_invariants_hold_after_random_ops(ops):
    events = []
    a = Allocator(events.extend, 4)
    nprocs = 4
    stacks = []
    t = 0
    for o in ops:
        t += 1000
        kind = o[0]
        if kind == "malloc":
            _, size, count, noscan, life, p, g = o
            a.mallocgc(t, p % nprocs, 0, g, size, count, noscan, life, 5000)
        elif kind == "exit":
            a.goroutine_exit(o[1], t)
        elif kind == "gc":
            a.set_marking(True, t)
            for p in range(nprocs):
                a.release_all(p, t)
            a.mark(t)
            a.set_marking(False, t)
            a.start_sweep_phase()
            a.free_stack_spans(t)
        elif kind == "gc_lazy":  # the runtime's order; only some Ps flush, the rest lazily
            a.set_marking(True, t)
            marked = a.mark(t)
            a.heap_live = marked
            a.set_marking(False, t)
            a.start_sweep_phase()
            for p in range(nprocs):
                if o[1] >> p & 1:
                    a.prepare_for_sweep(p, t)
            a.free_stack_spans(t)
        elif kind == "sweep":
            for _ in range(o[1]):
                a.sweepone(t)
        elif kind == "release":
            a.release_all(o[1] % nprocs, t)
        elif kind == "stack":
            p = o[2] % nprocs if o[2] >= 0 else -1
            stacks.append(a.stackalloc(t, p, o[1]))
        elif kind == "stackfree":
            if stacks:
                s = stacks.pop(o[1] % len(stacks))
                p = o[2] % nprocs if o[2] >= 0 else -1
                a.stackfree(t, p, s)
        elif kind == "procs":
            nprocs = o[1]
            a.set_procs(nprocs, t)
        elif kind == "scavenge":
            a.scavenge(t, o[1])
        a.check_invariants()
    assert a.memstats()["HeapObjects"] >= 0
    assert a.stacks_in_use == len(stacks)
    # every stack id handed out is still valid and distinct
    assert len(set(stacks)) == len(stacks)
    for s in stacks:
        a.stackfree(t, -1, s)
    try:
        a.stackfree(t, -1, stacks[0] if stacks else 10**6)
    except StackError:
        pass
    else:
        raise AssertionError("double stackfree accepted")
    a.check_invariants()
