"""Scheduler (and heap) invariants after every step, on random workloads with allocation and GC."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, WAIT_SEMACQUIRE
from gmpviz.core.workload.ops import (
    DIST_EXP,
    DIST_FIXED,
    OP_ALLOC,
    OP_CHAN_RECV,
    OP_CHAN_SEND,
    OP_COMPUTE,
    OP_END_REPEAT,
    OP_GC,
    OP_GO,
    OP_GOMAXPROCS,
    OP_GOSCHED,
    OP_NETWAIT,
    OP_REPEAT,
    OP_SELECT,
    OP_SLEEP,
    OP_SYSCALL,
    SEL_RECV,
    SEL_SEND,
    ChanDecl,
    Program,
    Scenario,
)

NPROG = 3
NCHAN = 3

dur = st.tuples(st.sampled_from([DIST_FIXED, DIST_EXP]), st.integers(1, 3_000_000), st.just(0))
leaf = st.one_of(
    st.tuples(st.just(OP_COMPUTE), dur),
    st.tuples(st.just(OP_GOSCHED)),
    st.tuples(st.just(OP_SLEEP), dur),
    st.tuples(st.just(OP_SYSCALL), dur, st.integers(0, 1), st.integers(0, 1)),  # blocking, cpu
    st.tuples(st.just(OP_NETWAIT), dur),
    st.tuples(st.just(OP_CHAN_SEND), st.integers(0, NCHAN - 1)),
    st.tuples(st.just(OP_CHAN_RECV), st.integers(0, NCHAN - 1)),
    st.tuples(
        st.just(OP_SELECT),
        st.lists(
            st.tuples(st.sampled_from([SEL_SEND, SEL_RECV]), st.integers(0, NCHAN - 1)),
            min_size=1,
            max_size=3,
        ).map(tuple),
        st.integers(0, 1),
    ),
    st.tuples(st.just(OP_GO), st.integers(1, NPROG - 1), st.integers(1, 40)),
    st.tuples(st.just(OP_GOMAXPROCS), st.integers(1, 6)),
    st.tuples(
        st.just(OP_ALLOC),
        st.sampled_from([8, 12, 24, 200, 600, 4096, 40_000, 200_000]),
        st.integers(1, 400),
        st.integers(0, 1),
        st.integers(0, 3),
        st.integers(0, 5_000_000),
    ),
    st.tuples(st.just(OP_GC)),
)


@st.composite
def program(draw):
    body = draw(st.lists(leaf, min_size=1, max_size=6))
    if draw(st.booleans()):
        n = len(body)
        body = [(OP_REPEAT, draw(st.sampled_from([-1, 2, 5])), n), *body, (OP_END_REPEAT, n + 1)]
    return tuple(body)


@st.composite
def scenario(draw):
    progs = tuple(Program(f"p{i}", draw(program()), i) for i in range(NPROG))
    chans = tuple(ChanDecl(f"c{i}", draw(st.sampled_from([0, 0, 1, 4]))) for i in range(NCHAN))
    return Scenario(
        name="h",
        summary="",
        description="",
        text="",
        gomaxprocs=draw(st.integers(1, 5)),
        seed=draw(st.integers(0, 1000)),
        duration_ns=50_000_000,
        policy=draw(st.sampled_from(["go", "go", "global-queue", "no-steal"])),
        gogc=draw(st.sampled_from([100, 100, 10, -1])),
        programs=progs,
        channels=chans,
        groups=tuple(p.name for p in progs),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_invariants_hold_after_every_step(sc):
    eng = Engine(sc)
    last = 0
    for _ in range(2500):
        if eng.done or not eng._heap:
            break
        eng.step_event()
        assert eng.now >= last, "virtual time went back"
        last = eng.now
        eng.check_invariants()
        if eng.steps % 50 == 0:
            eng.allocator.check_invariants()
        for pp in eng.allp:
            assert len(pp.runq) <= 256
    ev = eng.drain()
    assert (ev["t_ns"][1:] >= ev["t_ns"][:-1]).all()


def test_gomaxprocs_stw_while_the_last_worker_calls_gcMarkDone():
    """Found by the test above: runtime.GC's last mark worker ran out of work while another G's
    GOMAXPROCS stop-the-world waited for that worker's P. gcMarkDone's forEachP ran anyway and
    preempted the STW's own caller, whose gcstopm then counted its P twice: the world "stopped" with
    the worker still running, and procresize took its P. gcMarkDone must wait for worldsema
    (semacquire) while the other STW holds it, as the runtime's does."""
    sc = Scenario(
        name="h",
        summary="",
        description="",
        text="",
        gomaxprocs=2,
        seed=26,
        duration_ns=50_000_000,
        policy="global-queue",
        gogc=100,
        programs=(
            Program(
                "p0",
                (
                    (OP_REPEAT, -1, 6),
                    (OP_GO, 2, 23),
                    (OP_CHAN_SEND, 0),
                    (OP_GC,),
                    (OP_COMPUTE, (DIST_FIXED, 428, 0)),
                    (OP_GOSCHED,),
                    (OP_COMPUTE, (DIST_FIXED, 6506, 0)),
                    (OP_END_REPEAT, 7),
                ),
                0,
            ),
            Program(
                "p1",
                (
                    (OP_REPEAT, -1, 5),
                    (OP_GOSCHED,),
                    (OP_COMPUTE, (DIST_FIXED, 11599, 0)),
                    (OP_GC,),
                    (OP_COMPUTE, (DIST_FIXED, 11, 0)),
                    (OP_COMPUTE, (DIST_FIXED, 4721, 0)),
                    (OP_END_REPEAT, 6),
                ),
                1,
            ),
            Program("p2", ((OP_GOMAXPROCS, 3), (OP_SLEEP, (DIST_FIXED, 208, 0)), (OP_GC,)), 2),
        ),
        channels=(ChanDecl("c0", 1), ChanDecl("c1", 4), ChanDecl("c2", 0)),
        groups=("p0", "p1", "p2"),
    )
    eng = Engine(sc)
    for _ in range(2500):
        if eng.done or not eng._heap:
            break
        eng.step_event()
        eng.check_invariants()
    assert eng.gomaxprocs == 3
    assert eng.gc.gc_cycles >= 1  # the cycle whose gcMarkDone waited finished
    ev = eng.drain()
    blocked = ev[ev["kind"] == EV.GoBlock]
    # the example still reaches the race: the last worker parked on worldsema
    assert (blocked["a0"] == WAIT_SEMACQUIRE).any()
