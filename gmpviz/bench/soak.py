"""`gmpviz bench --soak`: the live window's memory over a long run at full speed (RSS slope).

Runs the standard scheduler workload through the engine into a live `Model` (with the window's
bounded history, model/compact.py) as fast as it goes, samples the process RSS, and prints the
slope over the second half of the run in bytes per event, with the RSS an hour at this rate would
reach. A flat slope (a few bytes an event at most, from the goroutines the run keeps alive) is the
goal: the history no longer grows with the run.
"""

from __future__ import annotations

import os
import time

import numpy as np

SOAK_EVENTS = 10_000_000  # compaction starts after ~1.5M events of the standard workload
STEP_NS = 10_000_000  # virtual time per slice, like a headless run
SAMPLES = 30


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def bench_soak(n_events: int = SOAK_EVENTS, compact: bool = True) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import MAX_DURATION_NS, loads_scenario
    from ..model import Model
    from .sched import STANDARD_WORKLOAD

    sc = loads_scenario(STANDARD_WORKLOAD, filename="<bench-standard>")
    eng = Engine(sc, duration_ns=MAX_DURATION_NS)
    model = Model(sc.groups)
    model.compact_history = compact
    t, n = 0, 0
    marks: list[tuple[int, int]] = []
    every = max(n_events // SAMPLES, 1)
    t0 = time.perf_counter()
    while n < n_events and not eng.done:
        t += STEP_NS
        eng.run_until(t)
        ev = eng.drain()
        model.apply(ev)
        model.add_counters(eng.drain_counters())
        n += len(ev)
        if not marks or n - marks[-1][0] >= every:
            marks.append((n, _rss_bytes()))
    wall = time.perf_counter() - t0
    half = [m for m in marks if m[0] >= n // 2] or marks[-2:]
    x = np.array([m[0] for m in half], dtype=float)
    y = np.array([m[1] for m in half], dtype=float)
    slope = float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 and np.ptp(x) > 0 else 0.0
    rate = n / max(wall, 1e-9)
    hour_events = rate * 3600
    rss_end = marks[-1][1] if marks else 0
    return {
        "soak_events": n,
        "soak_virtual_s": round(t / 1e9, 1),
        "soak_events_per_s": round(rate),
        "soak_rss_mb_end": round(rss_end / 2**20, 1),
        "soak_rss_slope_bytes_per_event": round(slope, 2),
        "soak_rss_mb_after_an_hour_projected": round((rss_end + slope * max(hour_events - n, 0)) / 2**20),
        "soak_compact_history": compact,
    }


def run(args) -> dict:
    return bench_soak()
