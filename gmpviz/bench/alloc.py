"""Allocator throughput: emulated small allocations per wall-clock second.

The workload is a seeded mix of realistic Go object sizes (lots of 8-64 B, some KiB-sized), ops of
100-1000 objects, mostly short-lived, on 4 Ps, with a GC cycle (mark, sweep phase, sweeping) every
32 MiB of allocation so that the heap stays bounded and spans get recycled (`gmpviz bench --alloc`).
"""

from __future__ import annotations

import time

import numpy as np

from ..core.alloc.malloc import Allocator
from ..core.workload.ops import LIFE_DURATION, LIFE_GOROUTINE, LIFE_TEMP

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


def run(args) -> dict:
    return bench_alloc()
