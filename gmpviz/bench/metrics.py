"""`gmpviz bench --metrics`: compute_metrics on a 10M-event recording.

The recording is made once from real engine output: a GC-heavy preset and a scheduler-heavy one
(`gc-steady`, `chan-pingpong`) run for a short while and their events are repeated, each copy later in
time and with its own goids, until there are 10M events. Only compute_metrics is timed.
"""

from __future__ import annotations

import time

import numpy as np

BENCH_EVENTS = 10_000_000
RUNS = 3  # the best of 3 is reported (the machine may be busy), the first (cold) one beside it
_BASE = (("gc-steady", 1_000_000_000), ("chan-pingpong", 200_000_000))


def _run(name: str, duration_ns: int) -> tuple[np.ndarray, int]:
    from ..core.engine import Engine
    from ..core.workload.loader import load_scenario

    eng = Engine(load_scenario(name), duration_ns=duration_ns)
    parts, t = [], 0
    while not eng.done:
        t += 50_000_000
        eng.run_until(t)
        parts.append(eng.drain())
    return np.concatenate(parts), eng.now


def tiled_events(n_events: int = BENCH_EVENTS) -> np.ndarray:
    """About n_events real events: the base runs one after the other, repeated with later times and
    fresh goids (so every goroutine's transitions stay its own)."""
    runs = [_run(name, d) for name, d in _BASE]
    out, t_off, g_off, n = [], 0, 0, 0
    while n < n_events:
        for ev, end_ns in runs:
            c = ev.copy()
            c["t_ns"] += t_off
            c["g"] = np.where(c["g"] > 0, c["g"] + g_off, 0)
            out.append(c)
            n += len(c)
            t_off += end_ns
            g_off += int(ev["g"].max()) + 1
    return np.concatenate(out)[:n_events]


def run(args=None) -> dict:
    return bench_metrics()


def bench_metrics(n_events: int = BENCH_EVENTS) -> dict:
    from ..model.metrics import compute_metrics

    ev = tiled_events(n_events)
    walls = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        m = compute_metrics(ev)
        walls.append(time.perf_counter() - t0)
    scale = BENCH_EVENTS / max(len(ev), 1)
    return {
        "metrics_s_10m_events": round(min(walls) * scale, 3),
        "metrics_s_first_run": round(walls[0] * scale, 3),
        "events": len(ev),
        "goroutines": m.goroutines_created,
        "gc_cycles": m.gc_cycles,
        "mmu_windows": len(m.mmu_window_ns),
    }
