"""The machine under the runtime (docs/machine.md): ncpu CPUs shared by the threads, the runtime's
start-up goroutines, and the measured thread latencies."""

from __future__ import annotations

import statistics

import numpy as np
from _scen import scen

from gmpviz.core import constants as C
from gmpviz.core.engine import Engine
from gmpviz.core.os import sched_base_slice_ns
from gmpviz.core.trace.events import EV, WAIT_FORCEGC_IDLE, WAIT_GC_SCAVENGE_WAIT, WAIT_GC_SWEEP_WAIT

CPU_BOUND = """
[programs.main]
ops = [ { go = "w", count = 4 }, "block" ]
[programs.w]
ops = [ { compute = "10ms" } ]
"""


def run(sc, **kw):
    eng = Engine(sc, **kw)
    eng.run()
    return eng, eng.drain()


def of(ev, kind) -> np.ndarray:
    return ev[ev["kind"] == int(kind)]


def test_enough_cpus_means_no_cpu_events():
    eng, ev = run(scen(CPU_BOUND, gomaxprocs=4, duration="30ms"))
    assert eng.ncpu == 4
    assert len(of(ev, EV.MCPUWait)) == len(of(ev, EV.MCPURun)) == 0


def test_four_ps_on_two_cpus_take_twice_as_long():
    _, ev4 = run(scen(CPU_BOUND, gomaxprocs=4, duration="40ms"))
    eng, ev2 = run(scen(CPU_BOUND, gomaxprocs=4, ncpu=2, duration="40ms"))
    end4 = of(ev4, EV.GoEnd)
    end2 = of(ev2, EV.GoEnd)
    assert len(end4) == len(end2) == 4
    # four 10 ms bursts: in about 10 ms on 4 CPUs, in about 20 ms on 2 (nothing is lost or created)
    assert end4["t_ns"].max() < 11 * C.MS
    assert 19 * C.MS < end2["t_ns"].max() < 23 * C.MS
    waits, runs = of(ev2, EV.MCPUWait), of(ev2, EV.MCPURun)
    assert len(waits) > 0 and len(runs) > 0 and (runs["a2"] > 0).all()
    assert set(runs["a1"].tolist()) <= {0, 1}  # the CPU each waiting M got
    # round robin: nobody waits much longer than the others' slices
    assert runs["a2"].max() <= 3 * sched_base_slice_ns(2)
    assert eng.stats()["cpu_waits"]["count"] == len(waits)


def test_base_slice_scales_like_linux():
    assert [sched_base_slice_ns(n) // C.US for n in (1, 2, 4, 8, 64)] == [750, 1500, 2250, 3000, 3000]


def test_same_seed_same_events_under_contention():
    sc = scen(CPU_BOUND, gomaxprocs=4, ncpu=1, duration="50ms")
    _, a = run(sc)
    _, b = run(sc)
    assert a.tobytes() == b.tobytes()


def test_startup_starts_the_runtimes_goroutines_and_threads():
    eng, ev = run(scen(CPU_BOUND, gomaxprocs=4, duration="5ms"), schedtrace_ms=1)
    create = of(ev, EV.GoCreate)
    runtime_gs = create[create["a1"] < 0]["g"].tolist()
    assert runtime_gs[:3] == [2, 3, 4]  # forcegchelper, bgsweep, bgscavenge
    # main, then the scenario's Gs: main is locked to M0 during init (runtime.main's lockOSThread), its
    # receives from gcenable park it through stoplockedm, and startlockedm hands it the P the sweeper
    # readied it on, P1, whose goid cache starts at 17 (P0's had 1-16)
    assert create[create["a1"] >= 0]["g"].tolist()[:2] == [1, 17]
    block = of(ev, EV.GoBlock)
    reasons = {int(g): int(r) for g, r in zip(block["g"], block["a0"]) if int(g) in (2, 3, 4)}
    assert reasons == {2: WAIT_FORCEGC_IDLE, 3: WAIT_GC_SWEEP_WAIT, 4: WAIT_GC_SCAVENGE_WAIT}
    assert eng.gc.sweeper is not None and eng.gc.sweeper.goid == 3
    # M0, sysmon, the spinning M of forcegchelper's wakep, the M handoffp started for P0 when main
    # (locked) parked, and the one the spinner's resetspinning woke: 5, as real GOMAXPROCS=4 runs show
    assert "threads=5" in eng.schedtrace_lines[0] and eng.schedtrace_lines[0].startswith("SCHED 0ms")
    # like runtime.NumGoroutine, the counts leave the runtime's goroutines out
    assert eng.stats()["goroutines"]["created"] == 1 + 4


def test_thread_latencies_follow_their_measured_medians():
    eng = Engine(scen(CPU_BOUND, gomaxprocs=1, duration="1ms"))
    rt = eng.scheduler
    wake = [rt.thread_wake_ns() for _ in range(4001)]
    create = [rt.thread_create_ns() for _ in range(4001)]
    signal = [rt.async_preempt_ns() for _ in range(4001)]
    assert abs(statistics.median(wake) / C.THREAD_WAKE_MEDIAN_NS - 1) < 0.1
    assert abs(statistics.median(create) / C.THREAD_CREATE_MEDIAN_NS - 1) < 0.05
    assert abs(statistics.median(signal) / C.ASYNC_PREEMPT_MEDIAN_NS - 1) < 0.1
    assert max(signal) <= C.ASYNC_PREEMPT_MAX_NS and min(wake) > 0


def test_a_sleeping_syscall_frees_the_cpu_and_a_burning_one_does_not():
    body = """
[programs.main]
ops = [ { go = "cpu" }, { syscall = "5ms"{cpu} }, { compute = "1ms" } ]
[programs.cpu]
ops = [ { compute = "5ms" } ]
"""
    _, sleeping = run(scen(body.replace("{cpu}", ""), gomaxprocs=2, ncpu=1, duration="20ms"))
    _, burning = run(scen(body.replace("{cpu}", ", cpu = true"), gomaxprocs=2, ncpu=1, duration="20ms"))
    cpu_end = [of(ev, EV.GoEnd) for ev in (sleeping, burning)]
    # the CPU-bound G finishes in about 5 ms beside a sleeping syscall; beside a burning one they
    # share the CPU
    assert cpu_end[0]["t_ns"].min() < 6 * C.MS
    assert cpu_end[1]["t_ns"].min() > 8 * C.MS
