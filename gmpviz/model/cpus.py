"""The CPU view: one lane per CPU (0..ncpu-1), showing which M occupies it and what that M does.

The events say when an M stops having a CPU (``MCPUWait``, parking, a syscall that waits in the
kernel) and when it has one again, not which CPU it got: Linux's CPU ids are not modelled, and the OS
scheduler (core/os.py) is symmetric, so only occupancy means anything. The CPU of each stretch is
therefore reconstructed here by a deterministic packing over the M lanes:

* an M is on a CPU while its M lane shows a state that needs one: a goroutine (user, GC worker,
  assist, runtime G), the scheduler (idle in findRunnable) or spinning; it is off a CPU while it is
  parked (none), waits for a CPU (no CPU) or is in a syscall (most syscalls wait in the kernel),
  and while it wakes up or is created (from the waker's MWake/MCreate to the M's own next event);
* a run is a maximal stretch of one M on a CPU; a run keeps one slot from its start to its end;
* runs take, in time order (ties by M id, ends before starts), the lowest free slot.

Numpy over the M lanes' segment columns; one Python step per run (an M's CPU stretch, not per
event), rebuilt when the M lanes change (`Model.cpus` caches by their version).
"""

from __future__ import annotations

import heapq

import numpy as np

from ..core.trace.events import EV
from .timeline import ST_ASSIST, ST_GC, ST_IDLE, ST_RUNTIME, ST_SPIN, ST_USER0, Lane, Timeline

#: kinds another thread emits for an M that then takes time to run (startm's wake-up, newm's clone)
#: sysmon's M: runtime.main's newm(sysmon, nil, -1) is the first new M, m1 (core/sched/scheduler.py)
SYSMON_M = 1
_UNKNOWN_KIND = 255
_WAKE_KINDS = (int(EV.MWake), int(EV.MCreate))
#: the M lane states that hold a CPU (ST_SYSCALL does not: see ASSUMPTIONS)
_ON_CPU_STATES = (ST_IDLE, ST_SPIN, ST_GC, ST_ASSIST, ST_RUNTIME)

ASSUMPTIONS = (
    "CPU lanes: the CPU numbers are reconstructed, not Linux's: the OS scheduler model is symmetric, "
    "so each stretch an M holds a CPU takes the lowest free CPU slot and keeps it until the M loses "
    "its CPU; only how many CPUs are busy, and by which M, is meaningful.",
    "CPU lanes: sysmon's thread is left out (the OS scheduler model does not schedule it).",
    "CPU lanes: an M in a syscall is drawn off its CPU (the trace does not say which syscalls burn "
    "kernel CPU time, { cpu = true }), so such syscalls show as idle CPU time.",
)


def on_cpu(state: np.ndarray) -> np.ndarray:
    """True where an M lane state holds a CPU."""
    return np.isin(state, _ON_CPU_STATES) | (state >= ST_USER0)


class CPULanes:
    """The packed CPU lanes of an M timeline (see the module docstring).

    ``timeline``: a Timeline whose lane i is CPU i (segments carry the M lane's state and goid, and
    the M in ``other``); ``busy_ns[i]``: CPU i's busy time; ``run_ns``: the Ms' total on-CPU time;
    ``overflow_ns``: on-CPU time that found no free slot among ``ncpu`` (0 when the M lanes agree
    with the OS model); ``runs``: (start_ns, end_ns, m, slot) columns of every run."""

    def __init__(self, mtl: Timeline, ncpu: int, exclude_ms: tuple[int, ...] = (SYSMON_M,)) -> None:
        self.ncpu = max(int(ncpu), 1)
        now = mtl.now_ns
        cols = _all_segments(mtl, now)
        start, end, state, goid, m, begun_by = cols
        cols = cols[:5]
        # a segment an MWake/MCreate began is the thread's wake-up or creation: the waker's event set
        # the lane, the thread itself runs (or queues for a CPU) from its own next event
        keep = on_cpu(state) & (end > start) & ~np.isin(begun_by, _WAKE_KINDS)
        if exclude_ms:  # sysmon's M: the OS model does not schedule it (core/os.py)
            keep &= ~np.isin(m, exclude_ms)
        start, end, state, goid, m = (a[keep] for a in cols)
        # by M, then time: a run starts where the M's previous on-CPU segment did not end right here
        order = np.lexsort((start, m))
        start, end, state, goid, m = (a[order] for a in (start, end, state, goid, m))
        first = np.ones(len(start), dtype=bool)
        if len(start) > 1:
            first[1:] = (m[1:] != m[:-1]) | (start[1:] != end[:-1])
        run_of = np.cumsum(first) - 1
        heads = np.flatnonzero(first)
        r_start = start[heads]
        r_m = m[heads]
        r_end = np.maximum.reduceat(end, heads) if len(heads) else np.zeros(0, dtype=np.int64)
        r_slot = _pack(r_start, r_end, r_m, self.ncpu)
        self.runs = {"start_ns": r_start, "end_ns": r_end, "m": r_m, "slot": r_slot}
        seg_slot = r_slot[run_of] if len(run_of) else np.zeros(0, dtype=np.int64)
        placed = seg_slot >= 0
        dur = end - start
        self.run_ns = int(dur.sum())
        self.overflow_ns = int(dur[~placed].sum())
        self.busy_ns = np.bincount(seg_slot[placed], weights=dur[placed], minlength=self.ncpu).astype(
            np.int64
        )
        tl = Timeline("m")
        tl.now_ns = now
        tl.version = mtl.version
        by = np.lexsort((start, seg_slot))
        s_slot = seg_slot[by]
        bounds = np.searchsorted(s_slot, np.arange(self.ncpu + 1))
        for cpu in range(self.ncpu):
            lane = Lane()
            i = by[bounds[cpu] : bounds[cpu + 1]]
            n = len(i)
            if n:
                zero = np.zeros(n, dtype=np.int64)
                lane.append(start[i], end[i], state[i], goid[i], m[i], zero.astype(np.uint8), zero)
                lane.o_start = int(end[i[-1]])
            tl.lanes.append(lane)
        self.timeline = tl

    def occupancy_at(self, t_ns: int) -> int:
        """How many CPUs are busy at t_ns."""
        r = self.runs
        return int(((r["start_ns"] <= t_ns) & (t_ns < r["end_ns"]) & (r["slot"] >= 0)).sum())


def _all_segments(mtl: Timeline, now: int) -> tuple[np.ndarray, ...]:
    """(start, end, state, goid, m, begun_by) of every M lane's segments, the open ones ending now;
    begun_by is the kind that began the segment (the previous one's end_kind; 255 for a lane's first)."""
    parts = []
    for mi, ln in enumerate(mtl.lanes):
        c = ln.seg
        s, e, st, g = c.col("start_ns"), c.col("end_ns"), c.col("state"), c.col("goid")
        b = np.r_[np.uint8(_UNKNOWN_KIND), c.col("end_kind")]
        if now > ln.o_start:
            s = np.append(s, ln.o_start)
            e = np.append(e, now)
            st = np.append(st, np.uint8(ln.o_state))
            g = np.append(g, np.int32(ln.o_goid))
        else:
            b = b[:-1]
        parts.append((s.astype(np.int64), e.astype(np.int64), st.astype(np.uint8), g.astype(np.int32), mi, b))
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z.astype(np.uint8), z.astype(np.int32), z, z.astype(np.uint8)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        np.concatenate([np.full(len(p[0]), p[4], dtype=np.int64) for p in parts]),
        np.concatenate([p[5] for p in parts]),
    )


def _pack(r_start: np.ndarray, r_end: np.ndarray, r_m: np.ndarray, ncpu: int) -> np.ndarray:
    """Slot of each run: in time order (ties by M), the lowest slot free at its start; -1 if none."""
    slot = np.full(len(r_start), -1, dtype=np.int64)
    free = list(range(ncpu))  # a heap of free slots
    busy: list[tuple[int, int]] = []  # a heap of (end_ns, slot)
    order = np.lexsort((r_m, r_start))
    for k, s, e in zip(order.tolist(), r_start[order].tolist(), r_end[order].tolist()):
        while busy and busy[0][0] <= s:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            c = heapq.heappop(free)
            slot[k] = c
            heapq.heappush(busy, (e, c))
    return slot
