"""Counters: scalars read once per slice from the engine, not sent as events.

`Engine.counters()` returns one COUNTERS_DTYPE row; the session keeps them as a time series (live)
and recordings store them beside the events, so the heap and GC views read the same numbers live and
on replay. Byte counts follow runtime.MemStats names.
"""

from __future__ import annotations

import numpy as np

COUNTER_FIELDS: tuple[tuple[str, str], ...] = (
    ("t_ns", "<i8"),
    ("gomaxprocs", "<i4"),
    ("ngoroutines", "<i8"),  # live Gs (not _Gdead)
    ("n_runnable", "<i8"),
    ("n_running", "<i8"),
    ("n_syscall", "<i8"),
    ("n_waiting", "<i8"),
    ("global_runq", "<i8"),
    ("local_runq_total", "<i8"),
    ("threads", "<i4"),  # Ms created minus freed (schedtrace threads=)
    ("idle_ps", "<i4"),
    ("spinning_ms", "<i4"),
    ("idle_ms", "<i4"),
    ("heap_alloc", "<i8"),  # MemStats.HeapAlloc
    ("heap_inuse", "<i8"),
    ("heap_idle", "<i8"),
    ("heap_released", "<i8"),
    ("heap_sys", "<i8"),
    ("stack_inuse", "<i8"),
    ("heap_live", "<i8"),  # gcController.heapLive
    ("heap_goal", "<i8"),
    ("heap_trigger", "<i8"),
    ("heap_marked", "<i8"),
    ("mallocs", "<i8"),
    ("frees", "<i8"),
    ("gc_phase", "<i4"),  # _GCoff 0, _GCmark 1, _GCmarktermination 2
    ("gc_cycles", "<i4"),
    ("gc_cpu_fraction", "<f8"),
    ("stw", "<i4"),  # 1 while the world is stopped
    ("rss", "<i8"),  # emulated process memory (heap sys + stacks + overhead)
    ("events_total", "<i8"),
)
COUNTERS_DTYPE = np.dtype(list(COUNTER_FIELDS))


def zero_counters() -> np.ndarray:
    return np.zeros(1, dtype=COUNTERS_DTYPE)
