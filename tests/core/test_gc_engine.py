"""The GC cycle on the emulated scheduler (go-runtime-facts.md §6–9), shown by its events."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _scen import START_UP_BYTES, scen

from gmpviz.core.engine import Engine
from gmpviz.core.gc.mgc import RUNTIME_GROUP
from gmpviz.core.trace.events import EV, WORKER_DEDICATED
from gmpviz.core.workload.loader import load_scenario

MiB = 1 << 20


def of(ev, kind):
    return ev[ev["kind"] == int(kind)]


def steady(live_mib: int, gogc, duration: str = "1s", procs: int = 4):
    # 512 B objects fill their size class exactly (no malloc header at <= 512 B), so the live heap is
    # exactly live_mib; the churn allocates 80 MB/s of garbage.
    return scen(
        f"""
[programs.main]
ops = [ {{ alloc = "512B", count = {live_mib * 2048}, pointers = true, lifetime = "forever" }},
        {{ go = "churn", count = 2 }}, "block" ]
[programs.churn]
ops = [ {{ repeat = "forever", body = [ {{ compute = "200us" }},
        {{ alloc = "512B", count = 16, pointers = true, lifetime = "temp" }} ] }} ]
""",
        gomaxprocs=procs,
        duration=duration,
        gogc=gogc,
    )


@pytest.mark.parametrize("gogc", [100, 50, 200])
def test_steady_live_heap_peaks_near_live_times_one_plus_gogc(gogc):
    live = 8
    eng = Engine(steady(live, gogc))
    eng.run()
    ev = eng.drain()
    begins = of(ev, EV.GCBegin)
    assert len(begins) >= 4
    expected = live * MiB * (1 + gogc / 100)
    # the heap when each cycle starts (heapLive at the trigger) and its goal, once the live heap is
    # built: the goal of every cycle after the first whose mark found the whole live heap (main's
    # burst spans the first two to four cycles, depending on how fast the workers mark: real Go 1.27
    # on this workload, GOGC=50 GOMAXPROCS=4, built the 8 MiB in 4, 2 and 2 cycles in three runs; the
    # emulation, with the runtime's own 152 KB of globals in globalsScan, in 4)
    marked = of(ev, EV.GCEnd)["a1"]
    built = int(np.flatnonzero(marked >= live * MiB)[0])
    assert built <= 3
    for goal in eng.gc_goals[built + 1 :]:
        assert abs(goal - expected) <= 0.1 * expected, (goal, expected)
    peaks = begins["a2"][built + 1 :]
    assert (peaks <= 1.05 * expected).all() and (peaks >= 0.6 * expected).all()


def test_two_stop_the_world_pauses_per_cycle_and_no_user_g_runs_during_them():
    eng = Engine(load_scenario("gc-steady"), duration_ns=300_000_000)
    eng.run()
    ev = eng.drain()
    cycles = len(of(ev, EV.GCEnd))
    assert cycles >= 2
    stw_b, stw_e = of(ev, EV.STWBegin), of(ev, EV.STWEnd)
    assert len(stw_b) == len(stw_e)
    gc_stw = stw_b[np.isin(stw_b["a0"], [0, 1])]
    assert len(gc_stw) >= 2 * cycles
    starts = of(ev, EV.GoStart)
    for t0, t1 in zip(stw_b["t_ns"], stw_e["t_ns"]):
        inside = starts[(starts["t_ns"] > t0) & (starts["t_ns"] < t1)]
        assert len(inside) == 0, f"G{inside['g'][0]} started during STW {t0}..{t1}"
    # the pauses come out of the workload: each lasts at least the safe-point latency of a running G
    durs = stw_e["a1"]
    assert (durs > 0).all()


def test_dedicated_workers_are_quarter_of_procs_and_run_on_ps():
    eng = Engine(load_scenario("gc-steady"), procs=8, duration_ns=300_000_000)
    eng.run()
    ev = eng.drain()
    mb = of(ev, EV.GCMarkBegin)
    assert (mb["a1"] == 2).all()  # GOMAXPROCS 8 -> 2 dedicated workers, no fractional
    wb = of(ev, EV.GCWorkerBegin)
    assert (wb["a0"] == WORKER_DEDICATED).any()
    assert (wb["p"] >= 0).all()
    # workers only run between GCMarkBegin and GCMarkDone
    md = of(ev, EV.GCMarkDone)
    for t in wb["t_ns"]:
        i = np.searchsorted(mb["t_ns"], t, side="right") - 1
        # (the run may end inside a cycle's mark: that cycle has no GCMarkDone yet)
        assert i >= 0 and (i == len(md) == len(mb) - 1 or t <= md["t_ns"][i])


def test_assists_are_charged_to_allocating_goroutines():
    eng = Engine(load_scenario("gc-assist"), duration_ns=300_000_000)
    eng.run()
    ev = eng.drain()
    ab, ae = of(ev, EV.GCMarkAssistBegin), of(ev, EV.GCMarkAssistEnd)
    assert len(ab) > 0 and len(ab) - len(ae) in (0, 1)
    runtime_gs = {g.goid for g in eng.allgs if g.group == RUNTIME_GROUP}
    assert not set(ab["g"].tolist()) & runtime_gs
    assert eng.stats()["gc"]["assist_ns"] > 0


def test_after_sweep_live_objects_are_exactly_those_alive_at_mark():
    # everything is allocated before runtime.GC(); nothing allocates during the cycle
    sc = scen(
        """
[programs.main]
ops = [
  { alloc = "64B", count = 3000, pointers = true, lifetime = "forever" },
  { alloc = "64B", count = 3000, pointers = true, lifetime = "temp" },
  { alloc = "1KiB", count = 500, lifetime = "2ms" },
  { alloc = "1KiB", count = 500, lifetime = "500ms" },
  { alloc = "100KiB", count = 3, lifetime = "temp" },
  { alloc = "100KiB", count = 2, lifetime = "forever" },
  { sleep = "5ms" },
  "gc",
  { sleep = "10ms" },
]
""",
        gomaxprocs=2,
        duration="100ms",
        gogc="off",
    )
    eng = Engine(sc)
    eng.run_until(50_000_000)
    assert eng.gc_cycles == 1
    a = eng.allocator
    a.finish_sweep(eng.now)
    sp = a.spans
    n = sp.slot_top
    alloc = sp.slot_alloc[:n] & (sp.slot_elem[:n] > 0)
    expected = alloc.copy()
    expected[:] = (sp.slot_death[:n] > eng.tMark) & (sp.slot_elem[:n] > 0)
    assert (alloc == expected).all()
    st = a.memstats()
    # exact bytes: live objects rounded to their size classes (64 B, 1024 B, 13 pages for 100 KiB)
    # and main's g (malg: 456 B in the 480 B size class) and runtime.main's start-up objects
    assert st["HeapAlloc"] == 3000 * 64 + 500 * 1024 + 2 * 13 * 8192 + 480 + START_UP_BYTES


def test_gogc_off_never_collects_but_runtime_gc_still_works():
    eng = Engine(steady(4, "off", duration="300ms"))
    eng.run()
    assert eng.gc_cycles == 0
    sc = scen(
        '[programs.main]\nops = [ { alloc = "1KiB", count = 100 }, "gc", { sleep = "1ms" } ]',
        gogc="off",
        duration="50ms",
    )
    eng = Engine(sc)
    eng.run()
    assert eng.gc_cycles == 1
    assert "(forced)" in eng.gc_trace_lines[0]


def test_gctrace_lines_have_the_runtime_format():
    eng = Engine(load_scenario("gc-steady"), duration_ns=500_000_000, gctrace=True)
    eng.run()
    pat = re.compile(
        r"^gc \d+ @\d+\.\d{3}s \d+%: [\d.]+\+[\d.]+\+[\d.]+ ms clock, "
        r"[\d.]+\+[\d.]+/[\d.]+/[\d.]+\+[\d.]+ ms cpu, "
        r"\d+->\d+->\d+ MB, \d+ MB goal, \d+ MB stacks, \d+ MB globals, \d+ P( \(forced\))?$"
    )
    assert eng.gc_trace_lines
    for i, line in enumerate(eng.gc_trace_lines, 1):
        assert pat.match(line), line
        assert line.startswith(f"gc {i} @")


def test_memory_limit_caps_the_goal():
    sc = load_scenario("memlimit")
    eng = Engine(sc, duration_ns=400_000_000)
    eng.run()
    limit = sc.memlimit_bytes
    assert limit > 0
    goals = eng.gc_goals[1:]
    assert goals and max(goals) <= limit


def test_oom_kill_ends_the_run_with_a_clear_error():
    eng = Engine(load_scenario("oom"))
    eng.run()
    ev = eng.drain()
    oom = of(ev, EV.OOMKill)
    assert len(oom) == 1 and oom["a0"][0] > oom["a1"][0]
    assert eng.error and "OOM" in eng.error


def test_goroutine_leak_keeps_heap_and_stacks_rising():
    eng = Engine(load_scenario("goroutine-leak"))
    samples = []
    t = 0
    while not eng.done:
        t += eng.duration_ns // 5
        eng.run_until(t)
        c = eng.counters()[0]
        samples.append((int(c["ngoroutines"]), int(c["stack_inuse"]), int(c["heap_alloc"])))
    gs, stacks, _ = zip(*samples)
    assert gs[-1] > gs[0] and stacks[-1] > stacks[0]


def test_gc_is_deterministic():
    runs = []
    for _ in range(2):
        eng = Engine(load_scenario("gc-assist"), duration_ns=200_000_000, gctrace=True)
        eng.run()
        runs.append((eng.drain().tobytes(), eng.gc_trace_lines))
    assert runs[0] == runs[1]


def test_death_spiral_is_capped_by_the_gc_cpu_limiter():
    eng = Engine(load_scenario("gc-death-spiral"), duration_ns=1_750_000_000)
    procs = eng.gomaxprocs
    windows = []
    prev_gc = prev_t = 0
    for t in (500_000_000, 1_000_000_000, 1_500_000_000, 1_750_000_000):
        eng.run_until(t)
        windows.append((eng.gc_cpu_ns - prev_gc) / ((eng.now - prev_t) * procs))
        prev_gc, prev_t = eng.gc_cpu_ns, eng.now
    ev = eng.drain()
    # GOMEMLIMIT below the live heap: GC runs back to back and assists take most of the CPU ...
    assert windows[0] > 0.8 and windows[1] > 0.8
    # ... until the limiter's bucket (1 CPU-second per P) is full: then GC CPU settles near 50%
    assert len(of(ev, EV.GCLimiter)) > 0
    assert 0.4 < windows[-1] < 0.65
