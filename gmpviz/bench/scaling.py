"""Flat scaling in live goroutines and in Ps (`gmpviz bench --scaling`, issue 13's "flat scaling").

Ps: the default preset at GOMAXPROCS 1, 4, 16, 64 and 256, CPU ns per event over ``window_events``
events after a warm-up, driven as a recording is (events and counter rows drained every step), and
``cost_ratio_256p_to_1p`` (goal <= 1.5): stealWork's passes, findRunnable's re-checks and the timer
scans must cost O(busy Ps), not O(P).

Goroutines:
One run of the goroutine-leak preset (a request a millisecond whose worker blocks forever, so live
goroutines and their heap grow by about 1000 a virtual second), measured in windows of
``window_events`` events that start when 100, 1k, 10k and 100k goroutines are live: CPU ns per
event in each, and ``cost_ratio_100k_g_to_100_g`` (goal <= 1.5). Reaching 100k goroutines takes
about 6M events, a minute or less of CPU.
"""

from __future__ import annotations

import time

from ..core.engine import Engine
from ..core.workload.loader import load_scenario

PRESET = "goroutine-leak"
#: virtual time to run at most: the preset leaks one goroutine a millisecond
_MAX_VIRTUAL_NS = 200 * 10**9
_STEP_NS = 1_000_000


def bench_scaling_goroutines(counts=(100, 1_000, 10_000, 100_000), window_events: int = 50_000) -> dict:
    """CPU ns per event of the goroutine-leak preset once each count of goroutines is live."""
    eng = Engine(load_scenario(PRESET), duration_ns=_MAX_VIRTUAL_NS)
    targets = sorted(counts)
    out: dict = {}
    costs: list[float] = []
    t = 0
    while targets and not eng.done:
        t += _STEP_NS
        eng.run_until(t)
        eng.drain()
        live = eng.n_created - eng.n_exited
        if live < targets[0]:
            continue
        n = targets.pop(0)
        e0 = eng.tracer.total
        c0 = time.process_time()
        while eng.tracer.total - e0 < window_events and not eng.done:
            t += _STEP_NS
            eng.run_until(t)
            eng.drain()
        cpu = time.process_time() - c0
        events = max(eng.tracer.total - e0, 1)
        ns = cpu * 1e9 / events
        costs.append(ns)
        out[f"ns_per_event[{n}_g]"] = round(ns)
        out[f"events_per_cpu_s[{n}_g]"] = round(events / cpu) if cpu else 0
        out[f"heap_pages[{n}_g]"] = eng.allocator.heap.mapped_pages
    out["cost_ratio_100k_g_to_100_g"] = round(costs[-1] / costs[0], 3) if len(costs) > 1 else 0.0
    return out


P_PRESET = "default"
_P_WARMUP_NS = 50_000_000


def bench_scaling_procs(procs=(1, 4, 16, 64, 256), window_events: int = 50_000) -> dict:
    """CPU ns per event of the default preset at each GOMAXPROCS."""
    out: dict = {}
    costs: dict[int, float] = {}
    for n in procs:
        eng = Engine(load_scenario(P_PRESET), procs=n, duration_ns=_MAX_VIRTUAL_NS)
        t = 0
        while t < _P_WARMUP_NS:
            t += _STEP_NS
            eng.run_until(t)
            eng.drain()
            eng.drain_counters()
        e0 = eng.tracer.total
        c0 = time.process_time()
        while eng.tracer.total - e0 < window_events and not eng.done:
            t += _STEP_NS
            eng.run_until(t)
            eng.drain()
            eng.drain_counters()
        cpu = time.process_time() - c0
        events = max(eng.tracer.total - e0, 1)
        costs[n] = cpu * 1e9 / events
        out[f"ns_per_event[{n}_p]"] = round(costs[n])
        out[f"events_per_cpu_s[{n}_p]"] = round(events / cpu) if cpu else 0
    lo, hi = min(procs), max(procs)
    out[f"cost_ratio_{hi}p_to_{lo}p"] = round(costs[hi] / costs[lo], 3) if costs[lo] else 0.0
    return out


def run(args) -> dict:
    out = bench_scaling_procs()
    out.update(bench_scaling_goroutines())
    return out
