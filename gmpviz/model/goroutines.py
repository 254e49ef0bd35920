"""Goroutine counts per status over time, and a goroutine-profile-like table of the current Gs."""

from __future__ import annotations

import numpy as np

from ..core.constants import G_STATUS_NAMES, Grunnable, Grunning, Gsyscall, Gwaiting
from ..core.trace.events import WAIT_REASONS
from .counters import CounterSeries
from .state import RuntimeState

#: stacked series, bottom to top: (label, COUNTERS field)
STATUS_SERIES = (
    ("running", "n_running"),
    ("runnable", "n_runnable"),
    ("syscall", "n_syscall"),
    ("waiting", "n_waiting"),
)
STATUS_ORDER = (Grunning, Grunnable, Gsyscall, Gwaiting)


def status_series(counters: CounterSeries, max_points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(t_ns, counts [len(STATUS_SERIES), n]) of goroutines per status, thinned to max_points."""
    t = counters.col("t_ns")
    n = len(t)
    step = max(1, -(-n // max_points))
    idx = np.arange(0, n, step)
    return t[idx], np.vstack([counters.col(f)[idx] for _, f in STATUS_SERIES]) if n else np.zeros((4, 0))


RUNTIME_GROUP = "runtime"  # group -1: goroutines the runtime starts for itself


def group_name(group: int, groups: tuple[str, ...]) -> str:
    """The scenario's name of a goroutine group; -1 is the runtime's own goroutines."""
    if group < 0:
        return RUNTIME_GROUP
    return groups[group] if group < len(groups) else f"group {group}"


def profile(state: RuntimeState, groups: tuple[str, ...] = (), text: str = "") -> list[tuple]:
    """Rows (status, wait reason, group, count, sample goids) like `go tool pprof goroutine`, biggest first.

    ``text`` keeps the rows whose status, reason or group contains it (case-insensitive)."""
    goids = state.live_goids()
    if len(goids) == 0:
        return []
    st = state.g_status[goids].astype(np.int64)
    rs = state.g_reason[goids].astype(np.int64)
    gr = state.g_group[goids].astype(np.int64)
    # group -1 is the runtime's own goroutines (GC workers, the sweeper ...): shifted to pack as 0
    key = (st * 256 + rs) * 65536 + (gr + 1)
    uk, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    order = np.argsort(inv, kind="stable")
    starts = np.r_[0, np.cumsum(cnt)[:-1]]
    rows = []
    needle = text.lower().strip()
    for j, k in enumerate(uk.tolist()):
        s, r, g = k // (256 * 65536), (k // 65536) % 256, k % 65536 - 1
        status = G_STATUS_NAMES.get(s, str(s)).lstrip("_G")
        reason = WAIT_REASONS[r] if r < len(WAIT_REASONS) else str(r)
        group = group_name(g, groups)
        if needle and needle not in f"{status} {reason} {group}".lower():
            continue
        sample = goids[order[starts[j] : starts[j] + min(5, int(cnt[j]))]].tolist()
        rows.append((status, reason, group, int(cnt[j]), sample))
    rows.sort(key=lambda r: (-r[3], r[0], r[1], r[2]))
    return rows
