"""Run metrics from the event stream: throughput, scheduling latency, P time, the GC and the MMU.

Everything here is computed from one time-ordered EVENT_DTYPE array (and, for the heap peak, the
COUNTERS rows), with whole-array numpy operations: no Python object per event. The same function
serves a live run, a recording and ``gmpviz compare``.

What follows from what (see core/trace/events.py SPEC):

- **P time by state.** Each P's lane follows the same transitions as the timeline (model/timeline.py
  ``_P_ACTIONS``): a user G running, the runtime's own Gs, a GC mark worker (split here by its
  ``gcMarkWorkerMode``), a mark assist, a syscall, spinning, idle; ``_Pdead`` ends a lane. P time is
  the time Ps are alive (not ``_Pdead``), i.e. the integral of GOMAXPROCS.
- **Scheduling latency** is the runtime's ``/sched/latencies:seconds`` (runtime/metrics.go,
  ``sched.timeToRun``): for every ``_Grunnable -> _Grunning`` transition (GoStart) the time since the
  G became runnable (GoCreate, GoStop, GoUnblock, GoSyscallEndBlocked). Like the runtime, every G
  counts, the GC's own workers too; unlike it, every transition is measured (casgstatus samples 1 in
  gTrackingPeriod). The histogram has the runtime's timeHistogram buckets (runtime/histogram.go).
- **MMU** follows ``go tool trace``'s default view (internal/trace/gc.go MutatorUtilizationV2 with
  UtilSTW | UtilBackground | UtilAssist, one series for the whole process, then MMUCurve.MMU):
  mutator utilisation is ``1 - (Ps doing GC work) / GOMAXPROCS``, 0 during a GC stop-the-world
  (a GOMAXPROCS stop-the-world is not a GC one: isGCSTW); a P does GC work while a dedicated or
  fractional mark worker runs on it or a G on it assists (idle-priority workers and sweeping do not
  count). The minimum over windows is computed exactly: the windowed utilisation is piecewise
  linear, so its minimum lies where a window edge meets a change of the utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.constants import Pdead, Pidle
from ..core.trace.events import (
    CHAN_BLOCK,
    EV,
    LANE_ACTIONS,
    STW_GC_MARK_TERM,
    STW_GC_SWEEP_TERM,
    WAIT_CHAN_RECV,
    WAIT_CHAN_SEND,
    WAIT_IO,
    WAIT_SELECT,
    WAIT_SLEEP,
    WORKER_IDLE,
    per_kind,
)
from .timeline import A_SKIP, A_USER

# --- lane states of the metrics fold (not the timeline's colours: workers are split by mode) -------
MS_NONE = 0  # no P (before its first event, _Pdead)
MS_IDLE = 1
MS_SPIN = 2
MS_SYSCALL = 3
MS_GC = 4  # a dedicated or fractional mark worker (gcMarkWorkerDedicatedMode/FractionalMode)
MS_GC_IDLE = 5  # an idle-priority mark worker (gcMarkWorkerIdleMode): runs only on otherwise idle Ps
MS_ASSIST = 6  # a user G paying a mark assist (gcAssistAlloc)
MS_RUNTIME = 7  # a runtime goroutine that is not a mark worker at that moment (e.g. the sweeper)
MS_USER = 8  # a user goroutine running
MS_CPUWAIT = 9  # the P's M is runnable but has no CPU (ncpu, core/os.py)
N_MS = 10
MS_NAMES = ("none", "idle", "spinning", "syscall", "gc", "gc_idle", "assist", "runtime", "user", "cpuwait")
A_RESUME = -3  # MCPURun: the state from its a0 (a LANE_ACTIONS index)

#: group of the runtime's own goroutines in GoCreate's a1 (gc/mgc.py RUNTIME_GROUP)
RUNTIME_GROUP = -1

# SPEC's P-lane actions (events.LANE_ACTIONS) as metrics lane states
_MS_OF_ACTION = {
    "user": A_USER,
    "idle": MS_IDLE,
    "spin": MS_SPIN,
    "syscall": MS_SYSCALL,
    "gc": MS_GC,
    "assist": MS_ASSIST,
    "none": MS_NONE,
    "cpuwait": MS_CPUWAIT,
    "resume": A_RESUME,
}
assert set(_MS_OF_ACTION) == set(LANE_ACTIONS)
_MS_BY_INDEX = np.array([_MS_OF_ACTION[a] for a in LANE_ACTIONS], dtype=np.int16)
#: per event kind: the lane state it sets (A_USER: resolved by the G's group), A_SKIP if none
_LANE_OF_KIND = per_kind(lambda sp: _MS_OF_ACTION.get(sp.p_lane), fill=A_SKIP)
_PROC_STATUS = int(EV.ProcStatus)
_GC_WORKER_BEGIN = int(EV.GCWorkerBegin)

# plain ints: an IntEnum attribute costs a class lookup on every use
_GO_CREATE, _GO_START, _GO_STOP, _GO_UNBLOCK = (
    int(EV.GoCreate),
    int(EV.GoStart),
    int(EV.GoStop),
    int(EV.GoUnblock),
)
_GO_END, _GO_SYS_END, _GO_SYS_END_BLOCKED = int(EV.GoEnd), int(EV.GoSyscallEnd), int(EV.GoSyscallEndBlocked)
_CHAN_SEND, _CHAN_RECV, _SELECT = int(EV.ChanSend), int(EV.ChanRecv), int(EV.Select)
_STW_BEGIN, _STW_END, _PROC_RESIZE = int(EV.STWBegin), int(EV.STWEnd), int(EV.ProcResize)
_GC_BEGIN, _HEAP_GOAL = int(EV.GCBegin), int(EV.HeapGoal)
_GC_MARK_SCAN = int(EV.GCMarkScan)
_SCAN_SPANQ, _SCAN_OBJQ = 1, 2  # gc/mgcmark.py SCAN_* (GCMarkScan's what)
_PROC_STEAL, _PROC_HANDOFF, _PREEMPT = int(EV.ProcSteal), int(EV.ProcHandoff), int(EV.Preempt)

_RUNNABLE_OR_START = np.zeros(256, dtype=bool)
_RUNNABLE_OR_START[[_GO_CREATE, _GO_STOP, _GO_UNBLOCK, _GO_SYS_END_BLOCKED, _GO_START]] = True

#: every kind compute_metrics reads: a caller that keeps events only for the metrics may drop the rest
#: (``ev[NEEDED_KINDS[ev["kind"]]]``), which leaves out the allocator's and run queues' bulk
NEEDED_KINDS = _LANE_OF_KIND != A_SKIP
NEEDED_KINDS[[_GO_CREATE, _GO_UNBLOCK, _GO_END, _CHAN_SEND, _CHAN_RECV, _SELECT, _STW_BEGIN, _STW_END]] = True
NEEDED_KINDS[[_PROC_STATUS, _PROC_RESIZE, _GC_BEGIN, _HEAP_GOAL, _PROC_STEAL, _PROC_HANDOFF, _PREEMPT]] = True
NEEDED_KINDS[_GC_MARK_SCAN] = True

# --- the runtime's timeHistogram layout (runtime/histogram.go) -------------------------------------
TIME_HIST_MIN_BUCKET_BITS = 9  # timeHistMinBucketBits
TIME_HIST_MAX_BUCKET_BITS = 48  # timeHistMaxBucketBits (exclusive)
TIME_HIST_SUB_BUCKET_BITS = 2  # timeHistSubBucketBits
TIME_HIST_NUM_SUB_BUCKETS = 1 << TIME_HIST_SUB_BUCKET_BITS
TIME_HIST_NUM_BUCKETS = TIME_HIST_MAX_BUCKET_BITS - TIME_HIST_MIN_BUCKET_BITS + 1
TIME_HIST_TOTAL_BUCKETS = TIME_HIST_NUM_BUCKETS * TIME_HIST_NUM_SUB_BUCKETS + 2  # + underflow, overflow


def time_hist_edges_ns() -> np.ndarray:
    """The finite bucket boundaries of timeHistogramMetricsBuckets, in ns (161 of them).

    ``counts[0]`` (underflow) is below edges[0] = 0, ``counts[i]`` for 1 <= i <= 160 is
    [edges[i-1], edges[i]), ``counts[161]`` (overflow) is edges[160] = 2**47 ns and up; the runtime's
    boundaries in seconds are these / 1e9 with -Inf and +Inf at the ends."""
    edges = [j << (TIME_HIST_MIN_BUCKET_BITS - 1 - TIME_HIST_SUB_BUCKET_BITS) for j in range(4)]
    for i in range(TIME_HIST_MIN_BUCKET_BITS, TIME_HIST_MAX_BUCKET_BITS):
        for j in range(TIME_HIST_NUM_SUB_BUCKETS):
            edges.append(1 << (i - 1) | j << (i - 1 - TIME_HIST_SUB_BUCKET_BITS))
    edges.append(1 << (TIME_HIST_MAX_BUCKET_BITS - 1))
    return np.array(edges, dtype=np.int64)


TIME_HIST_EDGES_NS = time_hist_edges_ns()


def time_histogram(durations_ns: np.ndarray) -> np.ndarray:
    """(162,) counts of durations in the runtime's timeHistogram buckets (timeHistogram.record)."""
    idx = np.searchsorted(TIME_HIST_EDGES_NS, np.asarray(durations_ns, dtype=np.int64), side="right")
    return np.bincount(idx, minlength=TIME_HIST_TOTAL_BUCKETS).astype(np.int64)


def percentile_ns(values: np.ndarray, q: float) -> int:
    """The nearest-rank q-th percentile (the smallest value with at least q% at or below it); 0 if none."""
    if len(values) == 0:
        return 0
    return int(np.percentile(values, q, method="inverted_cdf"))


# --- MMU windows ---------------------------------------------------------------------------------
MMU_MIN_WINDOW_NS = 100_000  # 100 µs
MMU_MAX_WINDOW_NS = 1_000_000_000  # 1 s
MMU_WINDOWS_PER_DECADE = 10
#: the windows the summary quotes
MMU_SUMMARY_WINDOWS_NS = (1_000_000, 10_000_000, 100_000_000)


def mmu_windows(duration_ns: int) -> np.ndarray:
    """Log-spaced windows 100 µs .. 1 s (10 per decade), none longer than the run (go tool trace's
    plot also stops at the trace's length)."""
    n = 4 * MMU_WINDOWS_PER_DECADE + 1
    w = np.unique(np.round(np.logspace(5, 9, n)).astype(np.int64))
    return w[w <= max(duration_ns, 0)]


@dataclass
class Metrics:
    """The metrics of one run. Times in ns, fractions in 0..1; see ``as_dict`` for the JSON form."""

    start_ns: int = 0
    end_ns: int = 0
    # throughput
    ops_completed: int = 0
    ops_by_kind: dict[str, int] = field(default_factory=dict)
    goroutines_created: int = 0
    goroutines_finished: int = 0
    # P time by lane state (ns)
    p_time_ns: int = 0
    state_ns: dict[str, int] = field(default_factory=dict)
    # scheduling latency (runnable -> running)
    latency_count: int = 0
    latency_p50_ns: int = 0
    latency_p90_ns: int = 0
    latency_p99_ns: int = 0
    latency_max_ns: int = 0
    latency_hist: np.ndarray = field(default_factory=lambda: np.zeros(TIME_HIST_TOTAL_BUCKETS, np.int64))
    # goroutine completion (GoCreate -> GoEnd, user Gs)
    completion_p50_ns: int = 0
    completion_p99_ns: int = 0
    # scheduler
    steals: int = 0
    gs_stolen: int = 0
    handoffs: int = 0
    context_switches: int = 0
    preemptions: int = 0
    # GC
    gc_cycles: int = 0
    gc_worker_starts: int = 0  # mark worker runs begun (GCWorkerBegin: gcBgMarkWorker scheduled on a P)
    gc_stw_ns: int = 0  # GC stop-the-world time (for the GC CPU fraction)
    stw_count: int = 0
    stw_total_ns: int = 0  # every stop-the-world (GC and GOMAXPROCS)
    stw_max_ns: int = 0
    heap_peak_bytes: int | None = None
    heap_goal_median_bytes: int | None = None
    # marking (GCMarkScan): objects scanned from Green Tea spans / the object queue, span dequeues
    mark_span_objects: int = 0
    mark_queue_objects: int = 0
    mark_span_dequeues: int = 0
    mark_span_bytes: int = 0
    # MMU
    mmu_window_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    mmu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mmu_worst_start_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)

    @property
    def goroutines_per_s(self) -> float:
        return self.goroutines_finished / max(self.duration_ns / 1e9, 1e-9)

    @property
    def ops_per_s(self) -> float:
        return self.ops_completed / max(self.duration_ns / 1e9, 1e-9)

    def _frac(self, ns: float) -> float:
        return ns / self.p_time_ns if self.p_time_ns > 0 else 0.0

    @property
    def useful_cpu_fraction(self) -> float:
        """User goroutines running over P time."""
        return self._frac(self.state_ns.get("user", 0))

    @property
    def assist_ns(self) -> int:
        return self.state_ns.get("assist", 0)

    @property
    def gc_cpu_fraction(self) -> float:
        """mgc.go gcMarkTermination: memstats.gc_cpu_fraction = (GCTotalTime - GCIdleTime) / TotalTime,
        i.e. dedicated and fractional mark workers, assists and GC pauses x GOMAXPROCS over P time."""
        gc = self.state_ns.get("gc", 0) + self.assist_ns + self.gc_stw_ns
        return self._frac(gc)

    def mmu_at(self, window_ns: int) -> float | None:
        """MMU of the computed window nearest to window_ns (None if the run is shorter)."""
        if len(self.mmu_window_ns) == 0 or window_ns > self.mmu_window_ns[-1] * 1.0001:
            return None
        i = int(np.argmin(np.abs(np.log(self.mmu_window_ns / window_ns))))
        return float(self.mmu[i])

    def as_dict(self) -> dict:
        """Plain JSON-able values (deterministic for an event stream)."""
        lat = self.latency_hist
        return {
            "duration_ns": self.duration_ns,
            "throughput": {
                "ops_completed": self.ops_completed,
                "ops_per_s": round(self.ops_per_s, 3),
                "ops_by_kind": dict(self.ops_by_kind),
                "goroutines_created": self.goroutines_created,
                "goroutines_finished": self.goroutines_finished,
                "goroutines_per_s": round(self.goroutines_per_s, 3),
                "useful_cpu_fraction": round(self.useful_cpu_fraction, 6),
            },
            "p_time": {
                "total_ns": self.p_time_ns,
                **{f"{k}_ns": v for k, v in self.state_ns.items()},
            },
            "sched_latency": {
                "count": self.latency_count,
                "p50_ns": self.latency_p50_ns,
                "p90_ns": self.latency_p90_ns,
                "p99_ns": self.latency_p99_ns,
                "max_ns": self.latency_max_ns,
                "histogram": {"edges_ns": TIME_HIST_EDGES_NS.tolist(), "counts": lat.tolist()},
            },
            "completion": {"p50_ns": self.completion_p50_ns, "p99_ns": self.completion_p99_ns},
            "scheduler": {
                "steals": self.steals,
                "gs_stolen": self.gs_stolen,
                "handoffs": self.handoffs,
                "context_switches": self.context_switches,
                "preemptions": self.preemptions,
                "idle_p_ns": self.state_ns.get("idle", 0),
                "spinning_ns": self.state_ns.get("spinning", 0),
            },
            "gc": {
                "cycles": self.gc_cycles,
                "cpu_fraction": round(self.gc_cpu_fraction, 6),
                "assist_ns": self.assist_ns,
                "stw_count": self.stw_count,
                "stw_total_ns": self.stw_total_ns,
                "stw_max_ns": self.stw_max_ns,
            },
            "heap": {"peak_bytes": self.heap_peak_bytes, "goal_median_bytes": self.heap_goal_median_bytes},
            "mark": {
                "span_objects": self.mark_span_objects,
                "queue_objects": self.mark_queue_objects,
                "span_dequeues": self.mark_span_dequeues,
                "span_bytes": self.mark_span_bytes,
            },
            "mmu": {
                "window_ns": self.mmu_window_ns.tolist(),
                "mmu": [round(float(x), 6) for x in self.mmu],
                "worst_start_ns": self.mmu_worst_start_ns.tolist(),
            },
        }


# --- the fold --------------------------------------------------------------------------------------
class EventColumns:
    """Contiguous copies of the time, kind, P and G columns of the events compute_metrics reads
    (NEEDED_KINDS only): whole-array operations on a 48-byte record's strided fields cost several
    times more. The arguments are read only for the few rows that need them (`arg`)."""

    __slots__ = ("_ev", "_sel", "end_ns", "g", "kind", "n", "p", "t_ns")

    def __init__(self, ev: np.ndarray) -> None:
        self._ev = ev
        self.end_ns = int(ev["t_ns"][-1]) if len(ev) else 0
        sel = np.flatnonzero(NEEDED_KINDS[ev["kind"]])
        self._sel = sel
        self.t_ns, self.kind, self.p, self.g = (ev[name][sel] for name in ("t_ns", "kind", "p", "g"))
        self.n = len(sel)

    def arg(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Column a0, a1 or a2 of the given rows."""
        return self._ev[name][self._sel[rows]]


def _columns(ev) -> EventColumns:
    return ev if isinstance(ev, EventColumns) else EventColumns(ev)


def _stw_rows(c: EventColumns, kind: int, gc_only: bool = True) -> np.ndarray:
    """Rows of STWBegin or STWEnd events; with gc_only those of the GC's two pauses (isGCSTW: a
    GOMAXPROCS stop-the-world is not a GC one)."""
    rows = np.flatnonzero(c.kind == kind)
    if gc_only:
        a0 = c.arg("a0", rows)
        rows = rows[(a0 == STW_GC_SWEEP_TERM) | (a0 == STW_GC_MARK_TERM)]
    return rows


def group_of_goids(ev) -> np.ndarray:
    """goid -> group from the GoCreate events (a1); goids never created here get group 0 (user)."""
    c = _columns(ev)
    cr = np.flatnonzero(c.kind == _GO_CREATE)
    g = c.g[cr].astype(np.int64)
    hi = int(max(g.max(initial=0), c.g.max(initial=0))) + 1
    out = np.zeros(hi, dtype=np.int64)
    out[g] = c.arg("a1", cr)
    return out


def p_lane_rows(ev, group_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row index, P, new lane state MS_*) of every event that changes a P's lane, in event order."""
    c = _columns(ev)
    act = _LANE_OF_KIND[c.kind]
    ps = np.flatnonzero(c.kind == _PROC_STATUS)
    if len(ps):  # ProcStatus: _Pdead ends the lane, _Pidle idles it, the others change nothing
        a0 = c.arg("a0", ps)
        act[ps] = np.where(a0 == Pdead, MS_NONE, np.where(a0 == Pidle, MS_IDLE, A_SKIP))
    rs = np.flatnonzero(act == A_RESUME)
    if len(rs):  # MCPURun: back to what the M did before it waited for a CPU
        act[rs] = _MS_BY_INDEX[np.clip(c.arg("a0", rs), 0, len(_MS_BY_INDEX) - 1)]
        act[rs[act[rs] == A_RESUME]] = MS_IDLE
    idx = np.flatnonzero((act != A_SKIP) & (c.p >= 0))
    st = act[idx]
    user = np.flatnonzero(st == A_USER)
    if len(user):
        g = c.g[idx[user]].astype(np.int64)
        ok = (g > 0) & (g < len(group_of))
        grp = np.where(ok, group_of[np.where(ok, g, 0)], 0)
        st[user] = np.where(grp == RUNTIME_GROUP, MS_RUNTIME, MS_USER)
    wb = np.flatnonzero(c.kind[idx] == _GC_WORKER_BEGIN)
    if len(wb):
        st[wb] = np.where(c.arg("a0", idx[wb]) == WORKER_IDLE, MS_GC_IDLE, MS_GC)
    return idx, c.p[idx], st.astype(np.int8)


def _lane_durations(t: np.ndarray, lane: np.ndarray, st: np.ndarray, end_ns: int):
    """Lane rows sorted by (lane, time): (order, lane, state, duration until the lane's next row or
    end_ns, last row of its lane)."""
    order = np.argsort(lane, kind="stable")  # int16 lanes: a radix sort
    ls, ts, ss = lane[order], t[order], st[order]
    last = np.r_[ls[1:] != ls[:-1], True] if len(ls) else np.zeros(0, bool)
    nxt = np.empty_like(ts)
    nxt[:-1] = ts[1:]
    nxt[last] = end_ns
    return order, ls, ss, np.maximum(nxt - ts, 0), last


def state_times(rows, t_ns: np.ndarray, end_ns: int) -> dict[str, int]:
    """ns every P spent in each lane state over the events' span (open lanes end at end_ns)."""
    idx, lane, st = rows
    if len(idx) == 0:
        return {name: 0 for name in MS_NAMES[1:]}
    _, _, ss, dur, _ = _lane_durations(t_ns[idx], lane, st, end_ns)
    tot = np.bincount(ss, weights=dur, minlength=N_MS).round().astype(np.int64)
    return {name: int(tot[i]) for i, name in enumerate(MS_NAMES) if i != MS_NONE}


def stw_intervals(ev, gc_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(start_ns, end_ns) of the stop-the-world pauses (the GC's, or every one), from STWEnd
    (t, duration a1)."""
    c = _columns(ev)
    rows = _stw_rows(c, _STW_END, gc_only)
    return c.t_ns[rows] - c.arg("a1", rows), c.t_ns[rows]


class UtilState:
    """What the mutator-utilisation fold carries from one batch of events to the next."""

    __slots__ = ("gc", "lane_gc", "procs", "stw", "t0")

    def __init__(self) -> None:
        self.lane_gc = np.zeros(8, dtype=np.int8)  # 1 while a P does GC work
        self.gc = 0  # Ps doing GC work
        self.stw = 0  # GC stop-the-world depth
        self.procs = 0  # GOMAXPROCS, 0 until known
        self.t0: int | None = None  # where GOMAXPROCS became known: the series' start


def _util_step(c: EventColumns, rows, state: UtilState, fallback_procs: int = 0) -> tuple[np.ndarray, ...]:
    """The utilisation after each event of one batch that changes it, carrying `state` on.

    Returns (t_ns, util) of those events, before the per-time-stamp minimum; events before GOMAXPROCS
    is known give none (MutatorUtilizationV2 waits for the first gomaxprocs metric)."""
    t_ev, kind = c.t_ns, c.kind
    idx, lane, st = rows
    # +1/-1 of "Ps doing GC work" at each lane change; a lane's first row here follows its carried state
    isgc = ((st == MS_GC) | (st == MS_ASSIST)).astype(np.int8)
    order = np.argsort(lane, kind="stable")
    ls, gs = lane[order], isgc[order]
    if len(ls) and int(ls[-1]) >= len(state.lane_gc):
        state.lane_gc = np.r_[state.lane_gc, np.zeros(int(ls[-1]) + 1 - len(state.lane_gc), np.int8)]
    first = np.r_[True, ls[1:] != ls[:-1]] if len(ls) else np.zeros(0, bool)
    prev = np.r_[np.int8(0), gs[:-1]] if len(gs) else gs
    prev[first] = state.lane_gc[ls[first]]
    last = np.r_[first[1:], True] if len(ls) else first
    state.lane_gc[ls[last]] = gs[last]
    dgc = np.empty(len(gs), np.int64)
    dgc[order] = gs - prev
    ch = np.flatnonzero(dgc)
    # GC stop-the-world edges and GOMAXPROCS changes, at their events' places in the stream
    stw_b, stw_e = _stw_rows(c, _STW_BEGIN), _stw_rows(c, _STW_END)
    rs = np.flatnonzero(kind == _PROC_RESIZE)
    nb, ne, nr = len(stw_b), len(stw_e), len(rs)
    pos = np.concatenate([idx[ch], stw_b, stw_e, rs])
    d_gc = np.concatenate([dgc[ch], np.zeros(nb + ne + nr, np.int64)])
    d_stw = np.concatenate([np.zeros(len(ch), np.int64), np.ones(nb, np.int64), np.full(ne, -1, np.int64),
                            np.zeros(nr, np.int64)])  # fmt: skip
    procs_at = np.concatenate([np.full(len(ch) + nb + ne, -1, np.int64), c.arg("a1", rs)])
    o = np.argsort(pos, kind="stable")
    pos, d_gc, d_stw, procs_at = pos[o], d_gc[o], d_stw[o], procs_at[o]
    gc = np.maximum(state.gc + np.cumsum(d_gc), 0)
    stw = state.stw + np.cumsum(d_stw)
    if state.procs == 0 and nr == 0 and fallback_procs:  # a slice without the resize
        state.procs, state.t0 = fallback_procs, int(t_ev[0])
    have = np.maximum.accumulate(np.where(procs_at >= 0, np.arange(len(pos)), -1)) if len(pos) else pos
    procs = np.where(have >= 0, procs_at[np.maximum(have, 0)], state.procs)
    if state.t0 is None and nr:
        state.t0 = int(t_ev[rs[0]])
    if len(pos):
        state.gc, state.stw, state.procs = int(gc[-1]), int(stw[-1]), int(procs[-1])
    known = procs > 0
    procs = np.maximum(procs, 1)
    util = np.where(stw > 0, 0.0, 1.0 - np.minimum(gc, procs) / procs)
    return t_ev[pos][known], util[known]


def _util_series(t0: int | None, t: np.ndarray, util: np.ndarray, end_ns: int) -> tuple[np.ndarray, ...]:
    """The series from the step's points: 1 at t0, one point per time stamp (the lowest: addUtil),
    only points that change the value, and the final 0 at end_ns."""
    if t0 is None:
        return np.zeros(0, np.int64), np.zeros(0)
    t = np.r_[t0, t, max(end_ns, t0)]
    util = np.r_[1.0, util, 0.0]
    cut = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    t, util = t[cut], np.minimum.reduceat(util, cut)
    keep = np.r_[True, util[1:] != util[:-1]]  # points that change nothing go (addUtil)
    keep[-1] = True
    return t[keep].astype(np.int64), util[keep]


def mutator_utilization(
    ev, end_ns: int | None = None, rows=None, group_of: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """internal/trace/gc.go MutatorUtilizationV2(UtilSTW|UtilBackground|UtilAssist), one series.

    Returns (t_ns, util): util[i] is the mutator utilisation from t_ns[i] to t_ns[i+1]; the series
    starts where GOMAXPROCS is first known (the first ProcResize) and ends with a 0 at end_ns (the
    trace's end), as the Go code's does. At a time stamp with several changes the lowest value is
    kept (addUtil)."""
    c = _columns(ev)
    if c.n == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    end_ns = c.end_ns if end_ns is None else max(int(end_ns), c.end_ns)
    if rows is None:
        rows = p_lane_rows(c, group_of_goids(c) if group_of is None else group_of)
    state = UtilState()
    t, util = _util_step(c, rows, state, fallback_procs=max(int(rows[1].max(initial=0)) + 1, 1))
    return _util_series(state.t0, t, util, end_ns)


def mmu_curve(t_ns: np.ndarray, util: np.ndarray, windows_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MMUCurve.MMU for each window: (minimum mean utilisation, start of a worst window).

    Exact: the windowed mean is piecewise linear in the window's start x, so its minimum is at an
    x where x or x + w is a change point of the utilisation, or at an end of [t0, t_end - w]. A window
    longer than the series is cut to its length (as MMUCurve.mmu does); a window <= 0 gives 0."""
    windows_ns = np.asarray(windows_ns, dtype=np.int64)
    mmu = np.zeros(len(windows_ns))
    worst = np.zeros(len(windows_ns), dtype=np.int64)
    if len(t_ns) < 2:
        return mmu, worst
    t = np.asarray(t_ns, dtype=np.int64)
    u = np.asarray(util, dtype=np.float64)
    s = np.r_[0.0, np.cumsum(u[:-1] * np.diff(t))]  # integral of util from t[0] to t[i]
    t0, t1 = int(t[0]), int(t[-1])

    def integral(x: np.ndarray) -> np.ndarray:
        j = np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 1)
        return s[j] + u[j] * (x - t[j])

    for k, w in enumerate(windows_ns.tolist()):
        w = min(w, t1 - t0)
        if w <= 0:
            continue
        lo, hi = t0, t1 - w
        # windows whose left edge, or right edge, is on a change point, and the two extreme ones
        xl = t[(t >= lo) & (t <= hi)]
        xr = t[(t - w >= lo) & (t - w <= hi)] - w
        x = np.r_[xl, xr, lo, hi]
        mean = (integral(x + w) - integral(x)) / w
        i = int(np.argmin(mean))
        mmu[k] = max(float(mean[i]), 0.0)
        worst[k] = int(x[i])
    return mmu, worst


def stable_argsort_u32(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") for integers in [0, 2**32), as one or two 16-bit radix passes
    (numpy's stable sort is a radix sort only for 16-bit keys; for wider ones it is timsort, ~20x
    slower on goids)."""
    k = np.asarray(keys)
    if len(k) == 0 or int(k.max()) < 1 << 16:
        return np.argsort(k.astype(np.uint16), kind="stable")
    o = np.argsort((k & 0xFFFF).astype(np.uint16), kind="stable")
    return o[np.argsort((k[o] >> 16).astype(np.uint16), kind="stable")]


def _latency_step(c: EventColumns, since: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """runnable -> running waits: each GoStart minus the same G's previous runnable-making event.

    ``since[g]`` carries a G's runnable time from earlier batches (-1: not runnable); returns the
    waits and the updated (possibly grown) array."""
    sel = np.flatnonzero(_RUNNABLE_OR_START[c.kind] & (c.g > 0))
    if len(sel) == 0:
        return np.zeros(0, np.int64), since
    g = c.g[sel]
    order = stable_argsort_u32(g)
    gs = g[order].astype(np.int64)
    sel = sel[order]
    start = c.kind[sel] == _GO_START
    ts = c.t_ns[sel]
    ok = np.flatnonzero(start[1:] & ~start[:-1] & (gs[1:] == gs[:-1])) + 1
    lat = ts[ok] - ts[ok - 1]
    if int(gs[-1]) >= len(since):
        since = np.r_[since, np.full(int(gs[-1]) + 1 - len(since), -1, np.int64)]
    first = np.r_[True, gs[1:] != gs[:-1]]
    f = np.flatnonzero(first & start)
    f = f[since[gs[f]] >= 0]
    if len(f):  # a G's first event here is its start: it became runnable in an earlier batch
        lat = np.r_[lat, ts[f] - since[gs[f]]]
    last = np.r_[first[1:], True]
    since[gs[last]] = np.where(start[last], -1, ts[last])
    return lat, since


def _latencies(c: EventColumns) -> np.ndarray:
    return _latency_step(c, np.zeros(0, np.int64))[0]


def _completions(c: EventColumns, group_of: np.ndarray) -> np.ndarray:
    """GoCreate -> GoEnd of the user goroutines that ended (goids are never reused: newproc1)."""
    cr = np.flatnonzero(c.kind == _GO_CREATE)
    en = np.flatnonzero(c.kind == _GO_END)
    created = np.full(len(group_of), -1, dtype=np.int64)
    created[c.g[cr]] = c.t_ns[cr]
    g = c.g[en].astype(np.int64)
    ok = (g < len(group_of)) & (g > 0)
    g, t_end = g[ok], c.t_ns[en][ok]
    ok = (created[g] >= 0) & (group_of[g] != RUNTIME_GROUP)
    return t_end[ok] - created[g[ok]]


_CHAN_WAITS = np.zeros(256, dtype=bool)
_CHAN_WAITS[[WAIT_CHAN_RECV, WAIT_CHAN_SEND, WAIT_SELECT]] = True


def _ops(c: EventColumns) -> dict[str, int]:
    """Workload operations completed, each counted once when it takes effect: a channel send or
    receive at its ChanSend/ChanRecv unless it blocked, else at the GoUnblock that ends its wait; a
    select at its default case or its wake-up (its chosen case shows as a send or receive); a
    syscall at its return; a sleep or a network wait at its wake-up. Compute ops emit no event."""
    kind = c.kind
    chan = np.flatnonzero((kind == _CHAN_SEND) | (kind == _CHAN_RECV))
    unb = np.flatnonzero(kind == _GO_UNBLOCK)
    reason = c.arg("a2", unb)
    chan_now = int(np.count_nonzero(c.arg("a1", chan) != CHAN_BLOCK))
    chan_woken = int(np.count_nonzero(_CHAN_WAITS[np.clip(reason, 0, 255)]))
    sel = np.flatnonzero(kind == _SELECT)
    return {
        "chan": chan_now + chan_woken + int(np.count_nonzero(c.arg("a0", sel) == -2)),
        "syscall": int(np.count_nonzero((kind == _GO_SYS_END) | (kind == _GO_SYS_END_BLOCKED))),
        "sleep": int(np.count_nonzero(reason == WAIT_SLEEP)),
        "netwait": int(np.count_nonzero(reason == WAIT_IO)),
    }


def compute_metrics(
    ev: np.ndarray,
    counters: np.ndarray | None = None,
    end_ns: int | None = None,
    windows_ns: np.ndarray | None = None,
) -> Metrics:
    """Every metric of one run from its time-ordered events (and its COUNTERS rows for the heap peak).

    ``end_ns`` is where the run ended (default: the last event); open lanes are closed there."""
    m = Metrics()
    c = _columns(ev)
    if c.n == 0:
        return m
    t_ev, kind = c.t_ns, c.kind
    m.start_ns = min(int(t_ev[0]), 0)
    m.end_ns = c.end_ns if end_ns is None else max(int(end_ns), c.end_ns)
    group_of = group_of_goids(c)
    rows = p_lane_rows(c, group_of)
    m.state_ns = state_times(rows, t_ev, m.end_ns)
    m.p_time_ns = int(sum(m.state_ns.values()))

    m.ops_by_kind = _ops(c)
    m.ops_completed = int(sum(m.ops_by_kind.values()))
    cr = np.flatnonzero(kind == _GO_CREATE)
    m.goroutines_created = int(np.count_nonzero(c.arg("a1", cr) != RUNTIME_GROUP))
    gend = c.g[kind == _GO_END].astype(np.int64)
    gend = gend[(gend > 0) & (gend < len(group_of))]
    m.goroutines_finished = int(np.count_nonzero(group_of[gend] != RUNTIME_GROUP))

    lat = _latencies(c)
    m.latency_count = len(lat)
    m.latency_hist = time_histogram(lat)
    if len(lat):
        p50, p90, p99 = np.percentile(lat, (50, 90, 99), method="inverted_cdf")
        m.latency_p50_ns, m.latency_p90_ns, m.latency_p99_ns = int(p50), int(p90), int(p99)
        m.latency_max_ns = int(lat.max())
    comp = _completions(c, group_of)
    if len(comp):
        p50, p99 = np.percentile(comp, (50, 99), method="inverted_cdf")
        m.completion_p50_ns, m.completion_p99_ns = int(p50), int(p99)

    steal = np.flatnonzero(kind == _PROC_STEAL)
    m.steals = len(steal)
    m.gs_stolen = int(c.arg("a1", steal).sum())
    m.handoffs = int(np.count_nonzero(kind == _PROC_HANDOFF))
    m.context_switches = int(np.count_nonzero(kind == _GO_START))
    m.preemptions = int(np.count_nonzero(kind == _PREEMPT))

    m.gc_cycles = int(np.count_nonzero(kind == _GC_BEGIN))
    m.gc_worker_starts = int(np.count_nonzero(kind == _GC_WORKER_BEGIN))
    s, e = stw_intervals(c, gc_only=False)
    m.stw_count = len(s)
    m.stw_total_ns = int((e - s).sum())
    m.stw_max_ns = int((e - s).max(initial=0))
    m.gc_stw_ns = _procs_weighted(c, *stw_intervals(c))
    goals = c.arg("a0", np.flatnonzero(kind == _HEAP_GOAL))
    if len(goals):
        m.heap_goal_median_bytes = int(np.median(goals))
    if counters is not None and len(counters):
        m.heap_peak_bytes = int(counters["heap_alloc"].max())
    scan = np.flatnonzero(kind == _GC_MARK_SCAN)
    if len(scan):
        code, objs = c.arg("a0", scan), c.arg("a1", scan)
        what, span = code & 0xFF, (code & 0xFF) == _SCAN_SPANQ
        m.mark_span_objects = int(objs[span].sum())
        m.mark_queue_objects = int(objs[what == _SCAN_OBJQ].sum())
        m.mark_span_dequeues = int((code[span] >> 8).sum())
        m.mark_span_bytes = int(c.arg("a2", scan)[span].sum())

    t, u = mutator_utilization(c, m.end_ns, rows=rows)
    w = mmu_windows(int(t[-1] - t[0]) if len(t) else 0) if windows_ns is None else np.asarray(windows_ns)
    m.mmu_window_ns = w.astype(np.int64)
    m.mmu, m.mmu_worst_start_ns = mmu_curve(t, u, m.mmu_window_ns)
    return m


def _procs_weighted(c: EventColumns, start: np.ndarray, end: np.ndarray) -> int:
    """sum of (end - start) x GOMAXPROCS at start: the P time pauses take (cpuStats.GCPauseTime)."""
    if len(start) == 0:
        return 0
    rs = np.flatnonzero(c.kind == _PROC_RESIZE)
    if len(rs) == 0:
        procs = np.full(len(start), max(int(c.p.max()) + 1, 1))
    else:
        j = np.clip(np.searchsorted(c.t_ns[rs], start, side="right") - 1, 0, len(rs) - 1)
        procs = c.arg("a1", rs)[j]
    return int(((end - start) * procs).sum())


class LiveMetrics:
    """The MMU and the scheduling-latency histogram of a run, folded batch by batch (the window's
    live view): only the utilisation's change points and the histogram's counts are kept, so the
    cost of a refresh does not grow with the run. Same numbers as compute_metrics on the whole
    stream (the tests cut streams at random places)."""

    def __init__(self) -> None:
        self._util = UtilState()
        self._t: list[np.ndarray] = []
        self._u: list[np.ndarray] = []
        self._since = np.zeros(0, np.int64)
        self.latency_hist = np.zeros(TIME_HIST_TOTAL_BUCKETS, dtype=np.int64)
        self.latency_max_ns = 0
        self.now_ns = 0
        self.events = 0
        self.version = 0

    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        c = EventColumns(ev)
        self.events += len(ev)
        self.now_ns = max(self.now_ns, c.end_ns)
        self.version += 1
        if c.n == 0:
            return
        rows = p_lane_rows(c, np.zeros(1, np.int64))  # the groups do not matter to GC work
        t, u = _util_step(c, rows, self._util)
        if len(t):
            self._t.append(t)
            self._u.append(u)
        lat, self._since = _latency_step(c, self._since)
        if len(lat):
            self.latency_hist += time_histogram(lat)
            self.latency_max_ns = max(self.latency_max_ns, int(lat.max()))

    def advance(self, now_ns: int) -> None:
        self.now_ns = max(self.now_ns, int(now_ns))

    def utilization(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, util) as mutator_utilization gives it for the events so far, ending now."""
        if len(self._t) > 1:  # keep one array: the next read concatenates only the new points
            self._t, self._u = [np.concatenate(self._t)], [np.concatenate(self._u)]
        t = self._t[0] if self._t else np.zeros(0, np.int64)
        u = self._u[0] if self._u else np.zeros(0)
        return _util_series(self._util.t0, t, u, self.now_ns)

    def mmu(self, windows_ns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(windows, MMU, worst window start) so far; the default windows are mmu_windows'."""
        t, u = self.utilization()
        w = mmu_windows(int(t[-1] - t[0]) if len(t) else 0) if windows_ns is None else np.asarray(windows_ns)
        m, worst = mmu_curve(t, u, w)
        return w.astype(np.int64), m, worst

    def latency_percentile_ns(self, q: float) -> int:
        """The upper edge of the histogram bucket holding the q-th percentile (the max for the last)."""
        n = int(self.latency_hist.sum())
        if n == 0:
            return 0
        i = int(np.searchsorted(np.cumsum(self.latency_hist), np.ceil(q / 100 * n)))
        if i >= len(TIME_HIST_EDGES_NS):
            return self.latency_max_ns
        return min(int(TIME_HIST_EDGES_NS[i]), self.latency_max_ns)
