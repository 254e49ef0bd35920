"""GC CPU share over a sliding window, from the cumulative fraction the counters carry.

The counters carry `gc_cpu_fraction` as the runtime reports GCCPUFraction: GC CPU time since the
start over the whole capacity (elapsed x GOMAXPROCS). That curve flattens as a run ages and hides
what the GC CPU limiter does; the windowed share shows it (the limiter caps it near 50%).
"""

from __future__ import annotations

import numpy as np

#: the sliding window of the windowed GC CPU curve: long enough to average the limiter switching
#: assists on and off (its bucket is 1 CPU-second per P), short enough to show it act within a run
GC_CPU_WINDOW_NS = 100_000_000


def gc_cpu_windowed(
    t_ns: np.ndarray, fraction: np.ndarray, gomaxprocs: np.ndarray, window_ns: int = GC_CPU_WINDOW_NS
) -> np.ndarray:
    """GC CPU time over CPU capacity in the window ending at each sample (0..1).

    GC CPU time is recovered exactly as fraction x t x GOMAXPROCS (the engine divides by the current
    GOMAXPROCS); capacity integrates GOMAXPROCS between samples, so a resize mid-window counts right.
    """
    t = np.asarray(t_ns, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0)
    procs = np.maximum(np.asarray(gomaxprocs, dtype=np.float64), 1)
    gc_ns = np.asarray(fraction, dtype=np.float64) * t * procs
    cap = np.r_[0.0, np.cumsum(procs[1:] * np.diff(t))]
    j = np.searchsorted(t, t - window_ns, side="left")
    # the window starts at sample j; before the first full window it starts at t=0 (capacity from 0)
    start_gc = np.where(t - window_ns <= 0, 0.0, gc_ns[j])
    start_cap = np.where(t - window_ns <= 0, -t[0] * procs[0], cap[j])
    out = (gc_ns - start_gc) / np.maximum(cap - start_cap, 1.0)
    return np.clip(out, 0.0, 1.0)
