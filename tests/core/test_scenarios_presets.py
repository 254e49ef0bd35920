"""Each preset, run on the engine, shows the runtime mechanism its description promises."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from gmpviz.core.trace.events import EV
from gmpviz.core.workload.loader import list_presets, load_scenario

engine_mod = pytest.importorskip("gmpviz.core.engine")

MEMORY_PRESETS = {
    "alloc-paths", "mcache-refill", "alloc-mix", "gc-steady", "gc-assist", "memlimit", "oom",
}  # fmt: skip


class Run:
    def __init__(self, name: str):
        self.engine = engine_mod.Engine(load_scenario(name))
        self.engine.run_until(self.engine.duration_ns)
        self.events = self.engine.drain()
        kinds, counts = np.unique(self.events["kind"], return_counts=True)
        self.counts = {EV(int(k)): int(c) for k, c in zip(kinds, counts)}
        self.stats = self.engine.stats()

    def n(self, kind: EV) -> int:
        return self.counts.get(kind, 0)


@functools.cache
def run(name: str) -> Run:
    return Run(name)


def needs_memory(r: Run) -> None:
    if r.n(EV.Alloc) == 0 and r.n(EV.SpanAlloc) == 0:
        pytest.skip("the allocator is not attached to the engine yet")


@pytest.mark.parametrize("name", [n for n, _ in list_presets()])
def test_preset_runs_to_its_end(name):
    r = run(name)
    assert len(r.events) > 0
    if name == "oom":
        return  # ends with an OOM kill once the memory model is attached
    assert r.engine.error is None, r.engine.error
    expected = "main returned" if name == "work-stealing" else "duration reached"
    assert r.engine.done_reason == expected


def test_cpu_bound_keeps_every_p_busy_and_preempts():
    r = run("cpu-bound")
    assert min(r.stats["p_busy_fraction"]) > 0.95
    assert r.n(EV.Preempt) >= 8 * 4, "8 Gs x 40 ms bursts over 400 ms: many 10 ms preemptions"
    assert r.stats["threads"] <= 4 + 1 + 1  # Ps + sysmon + at most one parked spare


def test_work_stealing_spills_129_and_steals():
    r = run("work-stealing")
    assert r.n(EV.RunqSpill) >= 1
    assert r.stats["global_runq"]["max"] >= 129
    assert r.n(EV.ProcSteal) >= 3
    assert r.stats["goroutines"]["created"] == 502


def test_syscall_handoff_retakes_ps_and_adds_threads():
    r = run("syscall-handoff")
    assert r.n(EV.Retake) >= 1 and r.n(EV.ProcHandoff) >= 1
    assert r.n(EV.GoSyscallEndBlocked) >= 1
    assert r.stats["threads"] > r.engine.gomaxprocs + 1


def test_netpoll_parks_in_io_wait_without_syscalls():
    r = run("netpoll")
    assert r.n(EV.NetpollReady) > 100
    assert r.n(EV.GoSyscallBegin) == 0
    assert r.stats["threads"] <= r.engine.gomaxprocs + 2


def test_preemption_gives_hogs_10ms_slices():
    r = run("preemption")
    assert r.n(EV.Preempt) >= 10
    assert r.n(EV.TimerFire) >= 10, "short goroutines keep waking from their sleeps"


def test_gosched_goes_to_the_global_queue():
    r = run("gosched")
    assert r.n(EV.GlobRunqPut) >= 100
    assert r.n(EV.GlobRunqGet) >= 50


def test_chan_pingpong_stays_on_one_p():
    r = run("chan-pingpong")
    busy = sorted(r.stats["p_busy_fraction"], reverse=True)
    assert busy[0] > 0.9 and busy[1] < 0.05
    assert r.n(EV.ChanSend) > 1000


def test_chan_pileup_blocks_producers():
    r = run("chan-pileup")
    assert r.stats["goroutines"]["live_by_status"].get("_Gwaiting", 0) >= 20


def test_goroutine_leak_accumulates_waiting_goroutines():
    r = run("goroutine-leak")
    assert r.stats["goroutines"]["live_by_status"].get("_Gwaiting", 0) >= 100


def test_gomaxprocs_resizes_three_times_with_stw():
    r = run("gomaxprocs")
    assert r.n(EV.ProcResize) == 4  # schedinit + 3 calls
    assert r.n(EV.STWBegin) >= 3
    assert r.engine.gomaxprocs == 4


def test_stack_growth_doubles_and_gc_halves():
    r = run("stack-growth")
    ev = r.events
    grow = ev[ev["kind"] == EV.GoStackGrow]
    assert set(zip(grow["a0"].tolist(), grow["a1"].tolist())) >= {(2048, 4096), (65536, 131072)}
    shrink = ev[ev["kind"] == EV.GoStackShrink]
    once = shrink[shrink["a0"] == 131072]["g"]
    assert len(once) == 1, "the once goroutine grew to 128 KiB"
    steps = shrink[shrink["g"] == once[0]]["a0"].tolist()
    assert steps[:5] == [131072, 65536, 32768, 16384, 8192], "one halving per GC"


def test_defer_chain_grows_only_for_the_leaky_goroutine():
    r = run("defer-chain")
    d = r.events[r.events["kind"] == EV.GoDefer]
    assert len(d) > 100
    assert d["a0"].max() >= 100, "the leaky goroutine's chain keeps growing"


@pytest.mark.parametrize("name", sorted(MEMORY_PRESETS - {"oom"}))
def test_memory_presets_allocate_and_collect(name):
    r = run(name)
    needs_memory(r)
    assert r.n(EV.GCBegin) >= 1, "every memory preset runs at least one GC cycle"


def test_gc_assist_preset_assists():
    r = run("gc-assist")
    needs_memory(r)
    assert r.n(EV.GCMarkAssistBegin) >= 1


def test_oom_preset_is_killed():
    r = run("oom")
    needs_memory(r)
    assert r.n(EV.OOMKill) == 1


def _gc_times_ms(r: Run) -> np.ndarray:
    return r.events[r.events["kind"] == EV.GCBegin]["t_ns"] / 1e6


def test_gc_steady_sawtooth_keeps_a_flat_live_heap():
    r = run("gc-steady")
    needs_memory(r)
    assert len(_gc_times_ms(r)) >= 5
    marked = r.events[r.events["kind"] == EV.GCEnd]["a1"][2:] / (1 << 20)
    assert marked.min() >= 8 and marked.max() <= 12, "live heap stays near the 8 MiB cache"


def test_memlimit_gcs_far_more_often_under_the_limit():
    r = run("memlimit")
    needs_memory(r)
    t = _gc_times_ms(r)
    assert (t < 500).sum() >= 3 * max((t >= 520).sum(), 1)


def test_oom_kill_comes_before_the_live_heap_reaches_the_limit():
    r = run("oom")
    needs_memory(r)
    marked = r.events[r.events["kind"] == EV.GCEnd]["a1"]
    assert marked.max() < 64 << 20
