"""checkdead (proc.go) gives its verdict only when no M can ever run again: never while a timer is
pending, forEachP's caller waits on sched.safePointNote or mark termination's tail holds worldsema.

The false verdict this guards against: a goroutine allocating in a loop (with a short tick, a pace,
or nothing else) during mark reached gcMarkDone from its assist; the emulator runs that forEachP
without an M of its own, the goroutine parked in gcParkAssist, every M went idle before the last P
woke forEachP's caller, and checkdead saw no running M: "all goroutines are asleep - deadlock!" at
1.59 ms, with the program still able to run (the real runtime's caller M is not on sched.midle).
"""

from __future__ import annotations

import pytest
from _scen import scen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV

DEADLOCK = "fatal error: all goroutines are asleep - deadlock!"


def _program(body: str, in_main: bool) -> str:
    """``body`` looped forever by main itself, or by a goroutine main starts before it blocks forever."""
    loop = f'{{ repeat = "forever", body = [ {body} ] }}'
    if in_main:
        return f"[programs.main]\nops = [ {loop} ]\n"
    return f'[programs.main]\nops = [ {{ go = "w" }}, "block" ]\n[programs.w]\nops = [ {loop} ]\n'


def _run(body: str, in_main: bool, procs: int = 4, duration: str = "4ms") -> Engine:
    eng = Engine(scen(_program(body, in_main), gomaxprocs=procs, duration=duration))
    eng.run()
    return eng


@pytest.mark.parametrize("in_main", [True, False], ids=["main", "goroutine"])
@pytest.mark.parametrize("period", ["10ns", "1ns"])
def test_a_short_ticker_with_allocation_runs_to_its_end(period, in_main):
    # seed 1, 4 Ps: the verdict came at 1.59 ms (main) and 3.24 ms (a goroutine) before the fix
    eng = _run(f'{{ tick = "{period}" }}, {{ alloc = "1KiB" }}', in_main)
    assert eng.error is None
    assert eng.now_ns == 4_000_000
    ev = eng.drain()
    assert not (ev["kind"] == int(EV.Deadlock)).any()
    assert (ev["kind"] == int(EV.GCEnd)).sum() >= 3  # mark terminations went by, assists among them


def test_an_allocation_loop_alone_runs_to_its_end():
    # the same race without any timer: the verdict came at 5.05 ms before the fix
    eng = _run('{ alloc = "1KiB" }', True, duration="6ms")
    assert eng.error is None and eng.now_ns == 6_000_000


@pytest.mark.parametrize("waiting", [True, False])
def test_checkdead_waits_for_forEachPs_caller(waiting):
    """main blocks forever at once: dead, unless a forEachP's caller still waits (its last P ran fn,
    the caller is not woken yet), which is an M that is not idle."""
    eng = Engine(scen('[programs.main]\nops = [ "block" ]\n', gomaxprocs=2, duration="1ms"))
    if waiting:
        eng.scheduler.safePointDone = lambda: None
    eng.run()
    assert eng.error == (None if waiting else DEADLOCK)


def test_a_real_deadlock_waits_for_the_last_timer():
    # main blocks forever; a goroutine sleeps three times and exits: the verdict comes after its last
    # timer fired, never while one is pending
    body = (
        '[programs.main]\nops = [ { go = "s" }, "block" ]\n'
        '[programs.s]\nops = [ { sleep = "300us" }, { sleep = "300us" }, { sleep = "300us" }, "exit" ]\n'
    )
    eng = Engine(scen(body, gomaxprocs=2, duration="10ms"))
    eng.run()
    assert eng.error == DEADLOCK
    ev = eng.drain()
    fires = ev[ev["kind"] == int(EV.TimerFire)]
    dead = ev[ev["kind"] == int(EV.Deadlock)]
    assert len(fires) == 3 and len(dead) == 1
    assert int(dead["t_ns"][0]) >= int(fires["t_ns"][-1]) >= 900_000


_SIZES = ["16B", "256B", "1KiB", "4KiB", "32KiB"]
_other_op = st.one_of(
    st.builds(
        lambda size, count, ptrs: f'{{ alloc = "{size}", count = {count}, pointers = {str(ptrs).lower()} }}',
        st.sampled_from(_SIZES),
        st.integers(1, 8),
        st.booleans(),
    ),
    st.builds(lambda ns: f'{{ compute = "{ns}ns" }}', st.integers(1, 3000)),
    st.just('"gosched"'),
    st.builds(lambda n: f"{{ stack = {n}, frame = \"128B\" }}", st.integers(1, 20)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    period_ns=st.integers(1, 200),
    others=st.lists(_other_op, min_size=1, max_size=3),
    tick_first=st.booleans(),
    in_main=st.booleans(),
    procs=st.integers(1, 4),
)
def test_short_tickers_with_other_ops_never_deadlock(period_ns, others, tick_first, in_main, procs):
    """A loop around a short ticker's receive and ops that never block forever cannot deadlock: the
    ticker's timer is pending whenever the goroutine waits on it, so any verdict is false."""
    tick = f'{{ tick = "{period_ns}ns" }}'
    ops = [tick, *others] if tick_first else [*others, tick]
    eng = Engine(scen(_program(", ".join(ops), in_main), gomaxprocs=procs, duration="2500us", gogc=25))
    eng.run()
    assert eng.error is None, (eng.error, eng.now_ns, ops)
    assert eng.now_ns == 2_500_000
