"""Flat scaling in live goroutines (`gmpviz bench --scaling`, the goroutine half of issue 13's goal):
per-event CPU cost of the goroutine-leak workload at 100, 1k, 10k and 100k live goroutines, each
built up from scratch, and ``cost_ratio_100k_g_to_100_g`` (goal <= 1.5). A run takes a minute or
two: the 100k case makes its goroutines first.
"""

from __future__ import annotations

import time

from ..core.engine import Engine
from ..core.workload.loader import loads_scenario

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


def run(args) -> dict:
    return bench_scaling_goroutines()
