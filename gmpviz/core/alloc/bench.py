"""Allocator throughput: emulated small allocations per wall-clock second.

The workload is a seeded mix of realistic Go object sizes (lots of 8-64 B, some KiB-sized), ops of
100-1000 objects, mostly short-lived, on 4 Ps, with a GC cycle (mark, sweep phase, sweeping) every
32 MiB of allocation so that the heap stays bounded and spans get recycled. The wall clock is only
read here, never inside core.
"""

from __future__ import annotations

import time

import numpy as np

from gmpviz.core.workload.ops import LIFE_DURATION, LIFE_GOROUTINE, LIFE_TEMP

from .malloc import Allocator

__all__ = ["bench_alloc", "bench_scaling_goroutines"]

_SIZES = np.array([8, 16, 24, 32, 48, 64, 80, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096])
# by count, as Go heap profiles usually look: most objects <= 256 B, a few KiB-sized ones
_WEIGHTS = np.array([10, 14, 8, 12, 8, 10, 4, 4, 6, 3, 4, 2, 2, 1, 0.5, 0.25], dtype=float)
_GC_EVERY_BYTES = 32 << 20


def _ops(n: int, seed: int) -> list[tuple[int, int, int, int, int]]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice(_SIZES, size=n, p=_WEIGHTS / _WEIGHTS.sum())
    counts = rng.integers(100, 1001, size=n)
    noscan = rng.integers(0, 2, size=n)
    life = rng.choice([LIFE_TEMP, LIFE_DURATION, LIFE_GOROUTINE], size=n, p=[0.6, 0.3, 0.1])
    return [
        (int(s), int(c), int(ns), int(lf), 1 + i % 64)
        for i, (s, c, ns, lf) in enumerate(zip(sizes, counts, noscan, life))
    ]


def bench_alloc(seconds: float = 2.0, nprocs: int = 4, seed: int = 1) -> dict:
    """Run the mixed workload for about `seconds` of wall time; objects per second and more."""
    events: list[int] = []
    a = Allocator(events.extend, nprocs)
    ops = _ops(4096, seed)
    t_ns = 0
    objects = 0
    nops = 0
    gcs = 0
    since_gc = 0
    alloc_wall = 0.0
    alloc_cpu = 0.0
    gc_wall = 0.0
    gc_cpu = 0.0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        c0 = time.process_time()
        for size, count, noscan, life, g in ops[nops % 4096 : nops % 4096 + 256]:
            t_ns += 1000
            a.mallocgc(t_ns, g % nprocs, 0, g, size, count, noscan, life, 200_000)
            objects += count
            since_gc += size * count
            nops += 1
            if nops % 512 == 0:
                a.goroutine_exit(1 + (nops // 512) % 64, t_ns)
        alloc_wall += time.perf_counter() - t0
        alloc_cpu += time.process_time() - c0
        if since_gc >= _GC_EVERY_BYTES:
            t0 = time.perf_counter()
            c0 = time.process_time()
            for p in range(nprocs):
                a.release_all(p, t_ns)
            a.mark(t_ns)
            a.heap_live = a.memstats()["HeapAlloc"]
            a.start_sweep_phase()
            a.finish_sweep(t_ns)
            gcs += 1
            since_gc = 0
            gc_wall += time.perf_counter() - t0
            gc_cpu += time.process_time() - c0
        events.clear()
    wall = time.perf_counter() - start
    st = a.memstats()
    return {
        "alloc_per_s": objects / alloc_wall if alloc_wall else 0.0,
        "alloc_per_cpu_s": objects / alloc_cpu if alloc_cpu else 0.0,  # robust on a loaded machine
        # with the GC cycles' mark and sweep counted in (the runtime's cost of allocating)
        "alloc_per_s_gc": objects / wall if wall else 0.0,
        "alloc_per_cpu_s_gc": objects / (alloc_cpu + gc_cpu) if alloc_cpu + gc_cpu else 0.0,
        "ops_per_s": nops / alloc_wall if alloc_wall else 0.0,
        "objects": objects,
        "ops": nops,
        "gc_cycles": gcs,
        "gc_wall_s": gc_wall,
        "gc_cpu_s": gc_cpu,
        "wall_s": wall,
        "heap_sys_bytes": st["HeapSys"],
        "spans_in_use": int(len(a.spans_view())),
    }


# --- flat scaling in live goroutines ---------------------------------------------------------------

#: goroutine-leak (resources/scenarios/goroutine-leak.toml) with a fast start: `leaked` leaked
#: workers are made 10 us apart (each with 16 KiB of goroutine-lifetime buffers between its request's
#: 32 KiB of garbage, so the heap fragments as the preset's does), then the preset's own pace
#: (a request every 1 ms) runs while per-event cost is measured.
_LEAK_WORKLOAD = """
name = "bench-goroutine-leak"
summary = "goroutine-leak after a fast start to {leaked} leaked goroutines"
gomaxprocs = 4
seed = 1
duration = "1000s"

[channels]
result = 0

[programs.main]
ops = [
  {{ repeat = {leaked}, body = [ {{ go = "fast_request" }}, {{ sleep = "10us" }} ] }},
  {{ repeat = "forever", body = [ {{ go = "request" }}, {{ sleep = "1ms" }} ] }},
]

[programs.fast_request]
group = "request"
ops = [ {{ go = "fast_fetch" }}, {{ alloc = "4KiB", count = 8, pointers = true, lifetime = "temp" }},
        {{ sleep = "20us" }}, "exit" ]

[programs.fast_fetch]
group = "leaked"
ops = [ {{ alloc = "4KiB", count = 4, pointers = true, lifetime = "goroutine" }}, {{ compute = "3us" }},
        {{ send = "result" }}, "exit" ]

[programs.request]
group = "request"
ops = [ {{ go = "fetch" }}, {{ alloc = "4KiB", count = 8, pointers = true, lifetime = "temp" }},
        {{ sleep = "2ms" }}, "exit" ]

[programs.fetch]
group = "leaked"
ops = [ {{ alloc = "4KiB", count = 4, pointers = true, lifetime = "goroutine" }}, {{ compute = "3ms" }},
        {{ send = "result" }}, "exit" ]
"""
_SCALING_STEP_NS = 1_000_000
_SCALING_SETTLE_NS = 10_000_000


def _goroutine_leak_cost(leaked: int, window_events: int) -> dict:
    """ns of CPU per event over `window_events` events once `leaked` goroutines are live."""
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import loads_scenario

    sc = loads_scenario(_LEAK_WORKLOAD.format(leaked=leaked), filename="bench-goroutine-leak.toml")
    eng = Engine(sc, duration_ns=sc.duration_ns)
    t = 0
    while eng.n_created - eng.n_exited < leaked and not eng.done:
        t += _SCALING_STEP_NS
        eng.run_until(t)
        eng.drain()
    t += _SCALING_SETTLE_NS
    eng.run_until(t)
    eng.drain()
    e0 = eng.tracer.total
    c0 = time.process_time()
    while eng.tracer.total - e0 < window_events and not eng.done:
        t += _SCALING_STEP_NS
        eng.run_until(t)
        eng.drain()
    cpu = time.process_time() - c0
    events = eng.tracer.total - e0
    return {
        "live_goroutines": eng.n_created - eng.n_exited,
        "events": events,
        "ns_per_event": cpu * 1e9 / max(events, 1),
        "heap_pages": eng.allocator.heap.mapped_pages,
    }


def bench_scaling_goroutines(counts=(100, 1_000, 10_000, 100_000), window_events: int = 50_000) -> dict:
    """Per-event CPU cost of the goroutine-leak workload at each live goroutine count (one engine
    each, built up from scratch); ``cost_ratio_100k_g_to_100_g`` compares the last with the first."""
    out: dict = {}
    costs = []
    for n in counts:
        r = _goroutine_leak_cost(n, window_events)
        costs.append(r["ns_per_event"])
        out[f"ns_per_event[{n}_g]"] = round(r["ns_per_event"])
        out[f"events_per_cpu_s[{n}_g]"] = round(1e9 / r["ns_per_event"])
        out[f"heap_pages[{n}_g]"] = r["heap_pages"]
    out["cost_ratio_100k_g_to_100_g"] = round(costs[-1] / costs[0], 3)
    return out


if __name__ == "__main__":  # pragma: no cover
    for k, v in bench_alloc().items():
        print(f"{k:>22}: {v:,.0f}" if isinstance(v, float) else f"{k:>22}: {v}")
