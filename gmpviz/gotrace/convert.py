"""Map an ordered Go trace into gmpviz's own event stream (EVENT_DTYPE) and counters rows.

`TraceConverter.add(generation, ordered)` turns one generation's events (reader.GoTraceReader's
ORDERED_DTYPE arrays) into EVENT_DTYPE events and COUNTERS_DTYPE rows, vectorised: every *rule*
below selects the Go events of some types with numpy and returns columns for them; the rows of all
rules are put back in the trace's order (a stable sort on source index * 4 + sub-position), so one
Go event may become two gmpviz events (a GC worker's GoBlock is GCWorkerEnd + GoBlock). Only the
state carried between generations (goroutine groups, M numbering, the open STW, GC and status
tables) is kept; a generation costs a few numpy passes over its events.

Go's context columns (`ctx.g`, `ctx.p`, `ctx.m`: the M's state *at* the event) become gmpviz's
columns, except where gmpviz names the thing an event is *about*: GoStart's g is the G that starts
(Go's argument), ProcStart's p the P acquired, GoUnblock's g the G made runnable.

What a trace cannot tell is said (`ASSUMPTIONS`, the window's Assumptions panel), never made up:
  * no run-queue events: which Gs wait in which P's queue is not in a trace, so the run-queue view
    stays empty (gmpviz does not reconstruct it);
  * Go's ProcSteal is a P taken back from an M in a syscall (gmpviz's ProcHandoff), not a
    work-stealing runqsteal, which traces do not record;
  * GC worker modes (dedicated, fractional, idle), assist debts, heap trigger and HeapSys are not
    traced: those columns and counters are 0.
"""

from __future__ import annotations

import numpy as np

from ..core.alloc.sizeclasses import CLASS_TO_SIZE
from ..core.constants import MAX_M_COUNT, Grunnable, Grunning, Gsyscall, Gwaiting
from ..core.trace.events import (
    ALLOC_CODE,
    EV,
    EVENT_DTYPE,
    HANDOFF_SYSMON,
    PATH_LARGE,
    PATH_SMALL,
    SPAN_PAGES,
    STOP_GOSCHED,
    STOP_PREEMPT,
    STW_GC_MARK_TERM,
    STW_GC_SWEEP_TERM,
    STW_NAMES,
    WAIT_REASONS,
    WHERE_GLOBAL,
    WHERE_RUNNEXT,
    WORKER_DEDICATED,
    WORKER_FRACTIONAL,
    WORKER_IDLE,
    per_kind,
)
from ..core.trace.stats import COUNTERS_DTYPE
from ..core.workload.loader import MAX_GOMAXPROCS
from . import spec as S
from .wire import Generation

#: the runtime's own goroutines (GoCreate's a1; core/gc/mgc.py RUNTIME_GROUP)
RUNTIME_GROUP = -1
#: user goroutine groups: one per start function, in order of first creation; the rest share "other"
MAX_TRACE_GROUPS = 24
MAIN_GROUP_NAME = "main"  # G1 (runtime.main runs main.main) and Gs whose start the trace does not say
OTHER_GROUP_NAME = "other"
#: the program's main as `gmpviz trace`'s wrapper renames it (run.py USER_MAIN), named back in groups
WRAPPED_MAIN = "main.gmpvizUserMain"
#: counters rows: at every HeapAlloc/HeapGoal change and at least every COUNTER_STEP_NS
COUNTER_STEP_NS = 100_000
MAX_COUNTER_ROWS_PER_GEN = 20_000
#: traceallocfree.go's info batch defaults (pageSize, gc.MinHeapAlign) when the batch is missing
PAGE_BYTES = 8192
MIN_HEAP_ALIGN = 8

ASSUMPTIONS = (
    "Real trace: run-queue contents and lengths are not in a Go execution trace; the run-queue view is "
    "left empty (not reconstructed). The global and local run-queue means come from a schedtrace log.",
    "Real trace: a ProcSteal (a P taken back from an M blocked in a syscall, by sysmon's retake or an "
    "exiting syscall) is drawn as a hand-off; work-stealing (runqsteal) is not recorded by Go's tracer.",
    "Real trace: GC worker modes, assist debts, the heap trigger, HeapSys and HeapReleased are not in "
    "the trace (shown as 0); the live heap is HeapAlloc right after each GC (gcController.resetLive).",
    "Real trace: goroutines are grouped by their start function (GoCreate's stack); those that existed "
    "before tracing began without a stack are in 'main'. runtime.* goroutines are the runtime group.",
    "Real trace: the span heatmap (GODEBUG=traceallocfree=1) places a heap object in the nearest span "
    "starting at or below its page; span frees and object frees come from the sweeper's events.",
)

_STATUS_AFTER = per_kind(lambda sp: sp.status, fill=-2, dtype=np.int8)
_STATUS_CLASSES = (Grunnable, Grunning, Gsyscall, Gwaiting)
_WAIT_CODE = {s: i for i, s in enumerate(WAIT_REASONS) if s}
#: wait reasons only the runtime's own goroutines block in
_SYSTEM_WAITS = [
    _WAIT_CODE[r] for r in ("system goroutine wait", "GC background sweeper wait", "GC weak to strong wait")
]
_STW_CODE = {s: i for i, s in enumerate(STW_NAMES)}
#: mgc.go gcMarkWorkerModeStrings, the GoLabel of a mark worker's GoStart -> events.WORKER_*
_WORKER_MODE = {
    "GC (dedicated)": WORKER_DEDICATED,
    "GC (fractional)": WORKER_FRACTIONAL,
    "GC (idle)": WORKER_IDLE,
}
_STOP_CODE = {"runtime.Gosched": STOP_GOSCHED, "preempted": STOP_PREEMPT}
_CLASS_BYTES = np.asarray(CLASS_TO_SIZE, np.int64)  # (class 0, large: the size is not traced)
_INT32_MAX = np.iinfo(np.int32).max

# GoStatus / ProcStatus wire values
_GO_RUNNABLE, _GO_RUNNING, _GO_SYSCALL, _GO_WAITING = S.GoRunnableW, S.GoRunningW, S.GoSyscallW, S.GoWaitingW
_P_RUNNING, _P_IDLE, _P_SYSCALL = S.ProcRunningW, S.ProcIdleW, S.ProcSyscallW


class _Out:
    """The rows of one generation: per rule, columns for a selection of source events."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, src: np.ndarray, sub: int, kind: EV, g=0, p=-1, m=-1, a0=0, a1=0, a2=0) -> None:
        if len(src):
            self.parts.append((src, sub, int(kind), g, p, m, a0, a1, a2))

    def build(self, times: np.ndarray, t0: int) -> np.ndarray:
        if not self.parts:
            return np.zeros(0, EVENT_DTYPE)
        n = sum(len(x[0]) for x in self.parts)
        out = np.zeros(n, EVENT_DTYPE)
        key = np.empty(n, np.int64)
        at = 0
        for src, sub, kind, *cols in self.parts:
            k = len(src)
            sl = slice(at, at + k)
            key[sl] = src * 4 + sub
            out["t_ns"][sl] = times[src] - t0
            out["kind"][sl] = kind
            for name, v in zip(("g", "p", "m", "a0", "a1", "a2"), cols, strict=True):
                out[name][sl] = v
            at += k
        return out[np.argsort(key, kind="stable")]


def _grow(a: np.ndarray, n: int, fill) -> np.ndarray:
    if n <= len(a):
        return a
    b = np.full(max(n, 2 * len(a)), fill, dtype=a.dtype)
    b[: len(a)] = a
    return b


def _group_cumsum(start: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Running sum of `v` that restarts where `start` is True (start[0] must be True)."""
    cs = np.cumsum(v)
    head = np.maximum.accumulate(np.where(start, np.arange(len(v)), 0))
    return cs - np.where(head > 0, cs[np.maximum(head - 1, 0)], 0)


def _uvarints(data: bytes, n: int) -> list[int] | None:
    out, v, shift = [], 0, 0
    for b in data:
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            out.append(v)
            v, shift = 0, 0
            if len(out) == n:
                return out
        if shift > 63:
            return None
    return None


class TraceConverter:
    """Feed every (generation, ordered events) chunk to `add`; read `groups` at the end."""

    def __init__(self) -> None:
        self.t0: int | None = None
        self.t_last = 0
        self.groups: list[str] = [MAIN_GROUP_NAME]
        self._group_index: dict[str, int] = {}
        self.g_group = np.zeros(1024, np.int16)
        self.g_worker = np.zeros(1024, bool)
        self.g_mode = np.zeros(1024, np.int8)  # mode of a worker's last labelled run
        self.g_open = np.zeros(1024, bool)  # a worker run (GCWorkerBegin) still open
        self.g_seen = np.zeros(1024, bool)
        self.g_status = np.full(1024, -1, np.int8)  # gmpviz status after the last event, -1 none
        self.p_seen = np.zeros(MAX_GOMAXPROCS, bool)
        self.m_index: dict[int, int] = {}
        self.first_gen = True
        self.gomaxprocs = 0
        self.stw_open: tuple[int, int] | None = None  # (t, STW code) of a pause still open
        self.gc_cycle = 0  # GC cycles begun
        self.gc_active = False
        self.gc_cycles = 0
        self.gc_phase = 0
        self.counts = np.zeros(len(_STATUS_CLASSES), np.int64)
        self.heap_alloc = 0
        self.heap_goal = 0
        self.heap_marked = 0
        self.pending_marked = False  # a GCEnd whose live heap is the next HeapAlloc
        self.events_total = 0
        self.threads = 0
        self.gc_busy = 0  # Ps busy with GC work (workers, assists) after the last event
        self.gc_ns = 0  # GC CPU time up to the last event
        self.span_ids = np.zeros(0, np.int64)  # sorted trace span ids (start pages) seen so far
        self.span_live = np.zeros(0, np.int64)  # live objects per known span (aligned with span_ids)
        self.span_class = np.zeros(0, np.int64)
        self.page_bytes = PAGE_BYTES
        self.min_heap_align = MIN_HEAP_ALIGN
        self.has_alloc_free = False
        self.dropped_ps = 0

    # --- tables carried between generations ------------------------------------------------------
    def _need_g(self, n: int) -> None:
        self.g_group = _grow(self.g_group, n, 0)
        self.g_worker = _grow(self.g_worker, n, False)
        self.g_mode = _grow(self.g_mode, n, 0)
        self.g_open = _grow(self.g_open, n, False)
        self.g_seen = _grow(self.g_seen, n, False)
        self.g_status = _grow(self.g_status, n, -1)

    def _group_of_func(self, name: str) -> tuple[int, bool]:
        """(group, is a GC mark worker) of a goroutine that starts in function `name`."""
        if name.startswith(WRAPPED_MAIN):  # `gmpviz trace` renamed the program's main (gotrace/run.py)
            name = "main.main" + name[len(WRAPPED_MAIN) :]
        if name == "runtime.gcBgMarkWorker":
            return RUNTIME_GROUP, True
        if name in ("", "runtime.main"):
            return 0, False
        if name.startswith(("runtime.", "internal/", "runtime/")):
            return RUNTIME_GROUP, False
        got = self._group_index.get(name)
        if got is None:
            if len(self.groups) < MAX_TRACE_GROUPS:
                got = len(self.groups)
                self.groups.append(name)
            else:
                if OTHER_GROUP_NAME not in self._group_index:
                    self._group_index[OTHER_GROUP_NAME] = len(self.groups)
                    self.groups.append(OTHER_GROUP_NAME)
                got = self._group_index[OTHER_GROUP_NAME]
            self._group_index[name] = got
        return got, False

    def _stack_func(self, g: Generation, sid: int, outermost: bool) -> str:
        pcs = g.stacks.get(sid) or ()
        frames = [g.pcs.get(pc) for pc in pcs]
        names = [g.string(f[0]) if f and g.has_string(f[0]) else "" for f in frames]
        names = [n for n in names if n and n != "runtime.goexit"]
        if not names:
            return ""
        if not outermost:
            return names[0]
        # a waiting G's stack: its entry function is the outermost frame; a GC worker parks inside
        return "runtime.gcBgMarkWorker" if "runtime.gcBgMarkWorker" in names else names[-1]

    def _classify(self, g: Generation, goids: np.ndarray, stacks: np.ndarray, outermost: bool) -> None:
        """Group and worker flag of newly seen goroutines, from their (creation or status) stacks."""
        if not len(goids):
            return
        u, inv = np.unique(stacks, return_inverse=True)
        grp = np.zeros(len(u), np.int16)
        wrk = np.zeros(len(u), bool)
        for i, sid in enumerate(u.tolist()):  # one per distinct stack, not per event
            grp[i], wrk[i] = self._group_of_func(self._stack_func(g, sid, outermost) if sid else "")
        self.g_group[goids] = grp[inv]
        self.g_worker[goids] = wrk[inv]

    def _ms(self, m: np.ndarray) -> np.ndarray:
        """OS thread ids -> small M indices in order of first appearance (-1 stays -1)."""
        out = np.full(len(m), -1, np.int64)
        ok = m >= 0
        if not ok.any():
            return out
        u, first, inv = np.unique(m[ok], return_index=True, return_inverse=True)
        idx = np.empty(len(u), np.int64)
        for j in np.argsort(first, kind="stable").tolist():  # one per distinct thread
            idx[j] = self.m_index.setdefault(int(u[j]), len(self.m_index))
        idx[idx >= MAX_M_COUNT] = -1
        out[ok] = idx[inv]
        return out

    @staticmethod
    def _codes(g: Generation, ids: np.ndarray, table: dict[str, int], default: int) -> np.ndarray:
        """String IDs of a generation -> codes of `table` (one lookup per distinct ID)."""
        if not len(ids):
            return np.zeros(0, np.int64)
        u, inv = np.unique(ids, return_inverse=True)
        codes = np.array(
            [table.get(g.string(int(i)) if g.has_string(int(i)) else "", default) for i in u.tolist()],
            np.int64,
        )
        return codes[inv]

    def _alloc_free_info(self, g: Generation) -> None:
        """traceallocfree.go's info batch: minPageHeapAddr, pageSize, MinHeapAlign, fixedStack."""
        for _m, data in g.exp_batches.get(S.AllocFree, []):
            if data[:1] == b"\x01":
                got = _uvarints(data[1:], 4)
                if got and got[1] > 0 and got[2] > 0:
                    self.page_bytes, self.min_heap_align = got[1], got[2]
                    return

    # --- one generation ------------------------------------------------------------------------
    def add(self, g: Generation | None, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(EVENT_DTYPE events, COUNTERS_DTYPE rows) of one chunk; Sync-only chunks give nothing."""
        if g is None or not len(arr):
            return np.zeros(0, EVENT_DTYPE), np.zeros(0, COUNTERS_DTYPE)
        arr = arr[arr["typ"] != S.EvSyncEvent]
        if not len(arr):
            return np.zeros(0, EVENT_DTYPE), np.zeros(0, COUNTERS_DTYPE)
        if self.t0 is None:
            self.t0 = int(arr["time"][0])
        self._alloc_free_info(g)
        typ, args = arr["typ"], arr["args"].astype(np.int64)
        gg = arr["g"]
        need = int(max(gg.max(), args[np.isin(typ, _G_ARG_TYPES), 0].max(initial=0))) + 1
        if need > _INT32_MAX:
            raise ValueError("a goroutine id above 2^31 (gmpviz's goid column is int32)")
        self._need_g(need)
        ctx_g = np.where(gg > 0, gg, 0)
        ctx_p = arr["p"].copy()
        bad_p = ctx_p >= MAX_GOMAXPROCS
        self.dropped_ps += int(bad_p.sum())
        ctx_p[bad_p] = -1
        ctx_m = self._ms(arr["m"])
        out = _Out()
        # every type's event indices from one stable sort by type (ascending within a type)
        by_typ = np.argsort(typ, kind="stable")
        counts = np.bincount(typ, minlength=256)
        ends = np.cumsum(counts)
        starts = ends - counts
        sel = {t: by_typ[starts[t] : ends[t]] for t in _USED_TYPES}
        self._goroutines(g, out, sel, typ, args, ctx_g, ctx_p, ctx_m)
        self._procs(out, sel, args, ctx_p, ctx_m)
        self._gc(g, out, sel, arr, args, ctx_g, ctx_p, ctx_m)
        self._alloc_free(out, sel, arr, args, ctx_g, ctx_p, ctx_m)
        ev = out.build(arr["time"], self.t0)
        heap_t = arr["time"][sel[S.EvHeapAlloc]] - self.t0
        heap_v = args[sel[S.EvHeapAlloc], 0]
        rows = self._counters(ev, heap_t, heap_v)
        self.first_gen = False
        self.t_last = max(self.t_last, int(arr["time"][-1]) - self.t0)
        return ev, rows

    def _goroutines(self, g, out, sel, typ, args, ctx_g, ctx_p, ctx_m) -> None:
        # creations (and first statements of Gs that existed before the trace) come first: the
        # groups and worker flags they set are read by the rules below
        cre = np.sort(np.concatenate([sel[S.EvGoCreate], sel[S.EvGoCreateBlocked], sel[S.EvGoCreateSyscall]]))
        new_g = args[cre, 0]
        stacks = np.where(typ[cre] == S.EvGoCreateSyscall, 0, args[cre, 1])
        self._classify(g, new_g, stacks, outermost=False)
        self.g_seen[new_g] = True
        out.add(
            cre, 0, EV.GoCreate, g=new_g, p=ctx_p[cre], m=ctx_m[cre], a0=ctx_g[cre], a1=self.g_group[new_g]
        )
        blk = sel[S.EvGoCreateBlocked]
        out.add(blk, 1, EV.GoBlock, g=args[blk, 0], a0=_WAIT_CODE["unspecified"])
        cs = sel[S.EvGoCreateSyscall]
        out.add(cs, 1, EV.GoSyscallBegin, g=args[cs, 0], m=ctx_m[cs])

        st = np.sort(np.concatenate([sel[S.EvGoStatus], sel[S.EvGoStatusStack]]))
        sg = args[st, 0]
        _, first = np.unique(sg, return_index=True)
        fresh = np.zeros(len(st), bool)
        fresh[first] = True
        fresh &= ~self.g_seen[sg]
        st, sg = st[fresh], sg[fresh]
        if len(st):
            stack = np.where(typ[st] == S.EvGoStatusStack, args[st, 3], 0)
            self._classify(g, sg, stack, outermost=True)
            # a G restated without a stack that blocks in a system wait is the runtime's own
            # (bgsweep, the scavenger...): look ahead in its generation
            b = sel[S.EvGoBlock]
            sys_codes = self._codes(g, args[b, 0], _WAIT_CODE, 0)
            sys_g = ctx_g[b][np.isin(sys_codes, _SYSTEM_WAITS)]
            nostack = (stack == 0) & np.isin(sg, sys_g) & (sg != 1)
            self.g_group[sg[nostack]] = RUNTIME_GROUP
            self.g_seen[sg] = True
            out.add(st, 0, EV.GoCreate, g=sg, a1=self.g_group[sg])
            status = args[st, 2]
            for wire, kind, sub in (
                (_GO_RUNNING, EV.GoStart, 1),
                (_GO_WAITING, EV.GoBlock, 1),
                (_GO_SYSCALL, EV.GoSyscallBegin, 1),
            ):
                s = st[status == wire]
                gs = args[s, 0]
                if kind == EV.GoSyscallBegin:  # GoStatus names the M a syscalling G is on
                    out.add(s, sub, kind, g=gs, p=ctx_p[s], m=self._ms(args[s, 1]))
                elif kind == EV.GoBlock:
                    out.add(s, sub, kind, g=gs, a0=_WAIT_CODE["unspecified"])
                else:
                    out.add(s, sub, kind, g=gs, p=ctx_p[s], m=ctx_m[s])

        s = sel[S.EvGoStart]
        gs = args[s, 0]
        out.add(s, 0, EV.GoStart, g=gs, p=ctx_p[s], m=ctx_m[s])
        # traceruntime.go GoStart: a mark worker's GoStart is followed by a GoLabel naming its mode
        lab = sel[S.EvGoLabel]
        mode = self._codes(g, args[lab, 0], _WORKER_MODE, 0)
        w, wmode = lab[mode > 0], mode[mode > 0]
        self.g_worker[ctx_g[w]] = True
        out.add(w, 0, EV.GCWorkerBegin, g=ctx_g[w], p=ctx_p[w], m=ctx_m[w], a0=wmode)
        # each worker run's mode for its end: the G's last label before it (or the last generation's)
        n = len(typ) + 1
        lkey = ctx_g[w].astype(np.int64) * n + w
        lorder = np.argsort(lkey, kind="stable")
        lkey, lmode = lkey[lorder], wmode[lorder]

        last_mode = self.g_mode.copy()
        if len(w):
            last_mode[ctx_g[w]] = wmode  # (fancy assignment: the last label of each G wins)

        def run_mode(idx: np.ndarray) -> np.ndarray:
            """Mode of the worker run each stop in `idx` (sorted) ends, 0 if no labelled run is open:
            the G's last label must come after its previous stop (or, before any in this generation,
            the last generation's run must still be open)."""
            gg_ = ctx_g[idx].astype(np.int64)
            key = gg_ * n + idx
            j = np.searchsorted(lkey, key) - 1
            has = (j >= 0) & (lkey[np.maximum(j, 0)] // n == gg_) if len(lkey) else np.zeros(len(idx), bool)
            lab_at = np.where(has, lkey[np.maximum(j, 0)] % n if len(lkey) else -1, -1)
            order = np.argsort(key, kind="stable")
            ks, gs_ = key[order], gg_[order]
            prev = np.r_[-1, ks[:-1] % n]
            prev = np.where(np.r_[True, gs_[1:] != gs_[:-1]], -1, prev)
            prev_stop = np.empty(len(idx), np.int64)
            prev_stop[order] = prev
            carried = (prev_stop < 0) & ~has & self.g_open[gg_]
            fresh = has & (lab_at > prev_stop)
            return np.where(
                fresh, lmode[np.maximum(j, 0)] if len(lmode) else 0, np.where(carried, self.g_mode[gg_], 0)
            )

        stops = np.sort(np.concatenate([sel[S.EvGoStop], sel[S.EvGoBlock]]))
        ws = stops[self.g_worker[ctx_g[stops]]]
        ended = run_mode(ws)
        out.add(ws[ended > 0], 0, EV.GCWorkerEnd, g=ctx_g[ws[ended > 0]], p=ctx_p[ws[ended > 0]],
                m=ctx_m[ws[ended > 0]], a0=ended[ended > 0])  # fmt: skip
        # a worker run still open at the generation's end: its label after the G's last stop
        if len(w):
            last_lab = np.full(len(self.g_open), -1, np.int64)
            np.maximum.at(last_lab, ctx_g[w], w)
            last_stop = np.full(len(self.g_open), -1, np.int64)
            if len(ws):
                np.maximum.at(last_stop, ctx_g[ws], ws)
            touched = np.unique(np.r_[ctx_g[w], ctx_g[ws]])
            self.g_open[touched] = last_lab[touched] > last_stop[touched]
        elif len(ws):
            self.g_open[ctx_g[ws]] = False
        for t, kind in ((S.EvGoStop, EV.GoStop), (S.EvGoBlock, EV.GoBlock)):
            s = sel[t]
            if kind == EV.GoStop:
                code = self._codes(g, args[s, 0], _STOP_CODE, STOP_PREEMPT)
                out.add(s, 1, kind, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=code, a1=WHERE_GLOBAL)
            else:
                code = self._codes(g, args[s, 0], _WAIT_CODE, _WAIT_CODE["unspecified"])
                out.add(s, 1, kind, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=code)
        self.g_mode = last_mode
        s = sel[S.EvGoUnblock]
        # ready() puts the G in its waker's runnext (proc.go: runqput(pp, gp, next=true))
        out.add(s, 0, EV.GoUnblock, g=args[s, 0], p=ctx_p[s], m=ctx_m[s], a0=ctx_g[s], a1=WHERE_RUNNEXT)
        for t, kind in (
            (S.EvGoSyscallBegin, EV.GoSyscallBegin),
            (S.EvGoSyscallEnd, EV.GoSyscallEnd),
            (S.EvGoSyscallEndBlocked, EV.GoSyscallEndBlocked),
            (S.EvGoDestroy, EV.GoEnd),
            (S.EvGoDestroySyscall, EV.GoEnd),
        ):
            s = sel[t]
            out.add(s, 0, kind, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s])
        # iter.Pull's coroutine switches: the running G waits, the named one runs on the same M
        for t, kind in ((S.EvGoSwitch, EV.GoBlock), (S.EvGoSwitchDestroy, EV.GoEnd)):
            s = sel[t]
            out.add(
                s,
                0,
                kind,
                g=ctx_g[s],
                p=ctx_p[s],
                m=ctx_m[s],
                a0=_WAIT_CODE["coroutine"] if t == S.EvGoSwitch else 0,
            )
            out.add(s, 1, EV.GoStart, g=args[s, 0], p=ctx_p[s], m=ctx_m[s])

    def _procs(self, out, sel, args, ctx_p, ctx_m) -> None:
        s = sel[S.EvProcsChange]
        if len(s):
            new = np.clip(args[s, 0], 1, MAX_GOMAXPROCS)
            old = np.r_[self.gomaxprocs or new[0], new[:-1]]
            out.add(s, 0, EV.ProcResize, a0=old, a1=new)
            self.gomaxprocs = int(new[-1])
        s = sel[S.EvProcStatus]
        ps = args[s, 0]
        ok = ps < MAX_GOMAXPROCS
        s, ps = s[ok], ps[ok]
        _, first = np.unique(ps, return_index=True)
        fresh = np.zeros(len(s), bool)
        fresh[first] = True
        fresh &= ~self.p_seen[ps]
        s, ps = s[fresh], ps[fresh]
        self.p_seen[ps] = True
        status = args[s, 1]
        run = np.isin(status, (_P_RUNNING, _P_SYSCALL))
        out.add(s[run], 0, EV.ProcStart, p=ps[run], m=ctx_m[s[run]])
        out.add(s[~run], 0, EV.ProcStop, p=ps[~run])
        s = sel[S.EvProcStart]
        ps = args[s, 0]
        ok = ps < MAX_GOMAXPROCS
        self.p_seen[ps[ok]] = True
        out.add(s[ok], 0, EV.ProcStart, p=ps[ok], m=ctx_m[s[ok]])
        s = sel[S.EvProcStop]
        out.add(s, 0, EV.ProcStop, p=ctx_p[s], m=ctx_m[s])
        s = sel[S.EvProcSteal]
        ps = args[s, 0]
        ok = ps < MAX_GOMAXPROCS
        s, ps = s[ok], ps[ok]
        victim = self._ms(args[s, 2].astype(np.int64)) if len(s) else np.zeros(0, np.int64)
        out.add(s, 0, EV.ProcHandoff, p=ps, m=victim, a0=HANDOFF_SYSMON, a1=ctx_m[s])

    def _gc(self, g, out, sel, arr, args, ctx_g, ctx_p, ctx_m) -> None:
        times = arr["time"]
        # STW: one at a time in the whole program, so an STWEnd closes the last STWBegin before it
        b, e = sel[S.EvSTWBegin], sel[S.EvSTWEnd]
        bcode = self._codes(g, args[b, 0], _STW_CODE, _STW_CODE["unknown"])
        out.add(b, 0, EV.STWBegin, g=ctx_g[b], p=ctx_p[b], m=ctx_m[b], a0=bcode)
        k = np.searchsorted(b, e) - 1
        open_t, open_code = self.stw_open if self.stw_open else (int(times[0]), _STW_CODE["unknown"])
        ecode = np.where(k >= 0, bcode[np.maximum(k, 0)] if len(b) else 0, open_code)
        et0 = np.where(k >= 0, times[b[np.maximum(k, 0)]] if len(b) else 0, open_t)
        out.add(e, 0, EV.STWEnd, g=ctx_g[e], p=ctx_p[e], m=ctx_m[e], a0=ecode, a1=times[e] - et0)
        if len(b) and (not len(e) or b[-1] > e[-1]):
            self.stw_open = (int(times[b[-1]]), int(bcode[-1]))
        elif len(e):
            self.stw_open = None
        # GC cycles; the mark phase runs from the sweep-termination STW's end to the mark-termination
        # STW's start (mgc.go gcStart / gcMarkDone)
        gb = sel[S.EvGCBegin]
        ga = sel[S.EvGCActive] if self.first_gen else np.zeros(0, np.int64)
        ge = sel[S.EvGCEnd]
        starts = np.sort(np.concatenate([gb, ga]))
        # Go's gc_seq orders GC events (it moves at every begin and end); gmpviz counts cycles
        ncyc = np.searchsorted(starts, np.arange(len(arr)), side="right") + self.gc_cycle
        ha = sel[S.EvHeapAlloc]
        hv = args[ha, 0]
        j = np.searchsorted(ha, starts) - 1
        live = np.where(j >= 0, hv[np.maximum(j, 0)] if len(ha) else 0, self.heap_alloc)
        out.add(starts, 0, EV.GCBegin, g=ctx_g[starts], p=ctx_p[starts], m=ctx_m[starts], a0=ncyc[starts],
                a2=live)  # fmt: skip
        # the first HeapAlloc after a GC's end is gcController.resetLive(work.bytesMarked)
        j = np.searchsorted(ha, ge)
        marked = np.where(j < len(ha), hv[np.minimum(j, len(ha) - 1)] if len(ha) else 0, 0)
        out.add(ge, 0, EV.GCEnd, g=ctx_g[ge], p=ctx_p[ge], m=ctx_m[ge], a0=ncyc[ge], a1=marked)
        mb = e[ecode == STW_GC_SWEEP_TERM]
        md = b[bcode == STW_GC_MARK_TERM]
        for s, kind in ((mb, EV.GCMarkBegin), (md, EV.GCMarkDone)):
            out.add(s, 1, kind, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=ncyc[s])
        self.gc_cycle += len(starts)
        s = sel[S.EvGCMarkAssistBegin]
        out.add(s, 0, EV.GCMarkAssistBegin, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s])
        s = sel[S.EvGCMarkAssistEnd]
        out.add(s, 0, EV.GCMarkAssistEnd, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s])
        s = sel[S.EvGCSweepBegin]
        out.add(s, 0, EV.GCSweepBegin, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s])
        s = sel[S.EvGCSweepEnd]
        pages = args[s, 1] // max(self.page_bytes, 1)
        out.add(s, 0, EV.GCSweepEnd, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a2=pages)
        if self.first_gen:  # restatements of what was going on when tracing began
            s = sel[S.EvGCMarkAssistActive]
            out.add(s, 0, EV.GCMarkAssistBegin, g=args[s, 0])
            s = sel[S.EvGCSweepActive]
            ps = args[s, 0]
            out.add(s, 0, EV.GCSweepBegin, p=np.where(ps < MAX_GOMAXPROCS, ps, -1))
        s = sel[S.EvHeapGoal]
        out.add(s, 0, EV.HeapGoal, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=args[s, 0])

    def _alloc_free(self, out, sel, arr, args, ctx_g, ctx_p, ctx_m) -> None:
        """Span and heap-object events (GODEBUG=traceallocfree=1) as SpanAlloc/SpanFree, Alloc runs and
        SpanSweep (live objects after a run of frees), so model/spans.py's heatmap shows the real heap."""
        sa = np.sort(np.concatenate([sel[S.EvSpan], sel[S.EvSpanAlloc]]))
        sf = sel[S.EvSpanFree]
        oa = np.sort(np.concatenate([sel[S.EvHeapObject], sel[S.EvHeapObjectAlloc]]))
        of = sel[S.EvHeapObjectFree]
        if not (len(sa) or len(sf) or len(oa) or len(of)):
            return
        self.has_alloc_free = True
        sid = args[sa, 0]
        kc = args[sa, 2]
        # traceSpanTypeAndClass: spanclass << 1 for a heap span, 1 for any other (stacks...): -1 = manual
        spc = np.where(kc & 1, -1, kc >> 1)
        allid = np.unique(np.concatenate([self.span_ids, sid]))
        live = np.zeros(len(allid), np.int64)
        cls = np.full(len(allid), -1, np.int64)
        if len(self.span_ids):
            at = np.searchsorted(allid, self.span_ids)
            live[at], cls[at] = self.span_live, self.span_class
        self.span_ids, self.span_live, self.span_class = allid, live, cls
        dense_sa = np.searchsorted(allid, sid)
        npages = args[sa, 1]
        out.add(sa, 0, EV.SpanAlloc, g=ctx_g[sa], p=ctx_p[sa], m=ctx_m[sa], a0=dense_sa, a1=spc,
                a2=SPAN_PAGES.encode(npages, sid) if len(sa) else 0)  # fmt: skip
        known_f = np.searchsorted(allid, args[sf, 0])
        ok = (known_f < len(allid)) & (allid[np.minimum(known_f, len(allid) - 1)] == args[sf, 0])
        sf, dense_sf = sf[ok], known_f[ok]
        out.add(sf, 0, EV.SpanFree, g=ctx_g[sf], p=ctx_p[sf], m=ctx_m[sf], a0=dense_sf)
        # objects: their page, then the nearest span starting at or below it
        # SIMPLIFICATION: span boundaries are the latest known per start page, not per time
        obj = np.sort(np.concatenate([oa, of]))
        page = args[obj, 0] * self.min_heap_align // max(self.page_bytes, 1)
        span = np.searchsorted(allid, page, side="right") - 1
        ok = span >= 0
        obj, span = obj[ok], span[ok]
        if len(sa):  # (before the objects: a span and its objects often share a generation)
            self.span_class[dense_sa] = spc
        if len(obj):
            self._objects(out, obj, span, arr["typ"][obj], sa, dense_sa, ctx_g, ctx_p, ctx_m)
        if len(sa):
            self.span_live[dense_sa] = 0
        if len(obj):
            self.span_live[self._live_span] = self._live_val

    def _objects(self, out, obj, span, typ, sa, dense_sa, ctx_g, ctx_p, ctx_m) -> None:
        """Live objects per span after every object event: a running sum per (span, life), a life
        being the time between two (re)allocations of the span (SpanAlloc resets the count)."""
        n_o, n_s = len(obj), len(sa)
        src = np.r_[obj, sa]
        sp = np.r_[span, dense_sa]
        is_reset = np.r_[np.zeros(n_o, np.int64), np.ones(n_s, np.int64)]
        delta = np.r_[
            np.where(np.isin(typ, (S.EvHeapObject, S.EvHeapObjectAlloc)), 1, -1), np.zeros(n_s, np.int64)
        ]
        order = np.lexsort((is_reset, src, sp))  # a span's events in trace order
        o_sp, o_reset, o_delta = sp[order], is_reset[order], delta[order]
        start = np.r_[True, o_sp[1:] != o_sp[:-1]]
        life = _group_cumsum(start, o_reset)
        base = np.where(life == 0, self.span_live[o_sp], 0)
        key_start = start | (o_reset == 1)
        live = np.maximum(base + _group_cumsum(key_start, o_delta), 0)
        last = np.r_[o_sp[1:] != o_sp[:-1], True]
        self._live_span, self._live_val = o_sp[last], live[last]  # (0 when the last event is a reset)
        # runs of one span's allocations (or frees), consecutive in the trace: one Alloc / one SpanSweep
        back = np.empty(len(src), np.int64)
        back[order] = np.arange(len(src))
        r_live, r_life, r_d = live[back[:n_o]], life[back[:n_o]], delta[:n_o]
        brk = np.r_[True, (span[1:] != span[:-1]) | (r_d[1:] != r_d[:-1]) | (r_life[1:] != r_life[:-1])]
        run_len = np.bincount(np.cumsum(brk) - 1)
        run_last = np.r_[np.flatnonzero(brk)[1:] - 1, n_o - 1]
        e_src, e_sp, e_d, e_live = obj[run_last], span[run_last], r_d[run_last], r_live[run_last]
        spc = np.maximum(self.span_class[e_sp], 0)
        sizeclass = np.clip(spc >> 1, 0, 255)
        path = np.where(sizeclass == 0, PATH_LARGE, PATH_SMALL)
        code = ALLOC_CODE.encode(path, sizeclass, spc & 1, e_sp)
        nbytes = _CLASS_BYTES[sizeclass] * run_len
        a, f = e_d > 0, e_d < 0
        s = e_src[a]
        out.add(s, 0, EV.Alloc, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=code[a], a1=run_len[a], a2=nbytes[a])
        s = e_src[f]
        out.add(
            s, 0, EV.SpanSweep, g=ctx_g[s], p=ctx_p[s], m=ctx_m[s], a0=e_sp[f], a1=run_len[f], a2=e_live[f]
        )

    # --- counters --------------------------------------------------------------------------------
    def _counters(self, ev: np.ndarray, heap_t: np.ndarray, heap_v: np.ndarray) -> np.ndarray:
        """COUNTERS rows sampled at HeapAlloc changes, GC/STW edges and every COUNTER_STEP_NS."""
        t = ev["t_ns"]
        kind = ev["kind"]
        if not len(t) and not len(heap_t):
            return np.zeros(0, COUNTERS_DTYPE)
        # G status counts: each status event moves one G from its previous status to its new one
        gsel = np.flatnonzero((_STATUS_AFTER[kind] >= 0) & (ev["g"] > 0))
        goid = ev["g"][gsel]
        new = _STATUS_AFTER[kind[gsel]].astype(np.int64)
        order = np.lexsort((gsel, goid))
        og, on = goid[order], new[order]
        first = np.r_[True, og[1:] != og[:-1]] if len(og) else np.zeros(0, bool)
        prev_sorted = np.where(first, self.g_status[og], np.r_[0, on[:-1]])
        prev = np.empty(len(order), np.int64)
        prev[order] = prev_sorted
        if len(og):
            last = np.r_[og[1:] != og[:-1], True]
            self.g_status[og[last]] = on[last]
        counts_before = self.counts.copy()
        per_class = []
        for c_i, c in enumerate(_STATUS_CLASSES):
            d = (new == c).astype(np.int64) - (prev == c).astype(np.int64)
            series = np.zeros(len(t), np.int64)
            series[gsel] = d
            cum = np.cumsum(series) + self.counts[c_i]
            per_class.append(cum)
            if len(cum):
                self.counts[c_i] = int(cum[-1])
        # M indices are handed out in order of first appearance: Ms seen so far = highest index + 1
        threads_before = self.threads
        threads = np.maximum.accumulate(np.maximum(ev["m"] + 1, threads_before)) if len(t) else t

        def stepwise(mask: np.ndarray, values: np.ndarray, carry):
            """The value after the last event of `mask` at or before each event (carry before any)."""
            idx = np.where(mask, np.arange(len(t)), -1)
            last = np.maximum.accumulate(idx) if len(idx) else idx
            return np.where(last >= 0, values[np.maximum(last, 0)], carry)

        is_goal = kind == EV.HeapGoal
        goal = stepwise(is_goal, ev["a0"], self.heap_goal)
        resize = kind == EV.ProcResize
        procs_carry = int(ev["a0"][resize][0]) if resize.any() and not self.gomaxprocs else self.gomaxprocs
        procs = stepwise(resize, ev["a1"], procs_carry)
        phase_of = np.full(256, -1, np.int64)
        phase_of[[int(EV.GCMarkBegin), int(EV.GCMarkDone), int(EV.GCEnd)]] = (1, 2, 0)
        ph = phase_of[kind]
        phase = stepwise(ph >= 0, ph, self.gc_phase)
        cycles = np.cumsum(kind == EV.GCEnd) + self.gc_cycles
        stw_of = np.full(256, -1, np.int64)
        stw_of[[int(EV.STWBegin), int(EV.STWEnd)]] = (1, 0)
        sw = stw_of[kind]
        stw = stepwise(sw >= 0, sw, 1 if self.stw_open and len(t) == 0 else 0)
        # live heap: the first HeapAlloc after each GCEnd is gcController.resetLive(bytesMarked)
        ends = t[kind == EV.GCEnd]
        marked_t, marked_v = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(heap_t):
            j = np.searchsorted(heap_t, ends, side="left")
            ok = j < len(heap_t)
            marked_t, marked_v = heap_t[j[ok]], heap_v[j[ok]]
            if self.pending_marked:
                marked_t, marked_v = np.r_[heap_t[0], marked_t], np.r_[heap_v[0], marked_v]
            self.pending_marked = bool(len(ends) and not ok[-1])
        elif len(ends):
            self.pending_marked = True
        # GCCPUFraction since the start (mgc.go: workers, assists and pauses x GOMAXPROCS over
        # elapsed x GOMAXPROCS): Ps busy with GC between events, integrated over time
        busy_of = np.zeros(256, np.int64)
        busy_of[[int(EV.GCWorkerBegin), int(EV.GCMarkAssistBegin)]] = 1
        busy_of[[int(EV.GCWorkerEnd), int(EV.GCMarkAssistEnd)]] = -1
        d = busy_of[kind]
        d[(kind == EV.GCWorkerBegin) & (ev["a0"] == WORKER_IDLE)] = 0  # (GCIdleTime is not GC CPU)
        idle_end = (kind == EV.GCWorkerEnd) & (ev["a0"] == WORKER_IDLE)
        d[idle_end] = 0
        busy = np.maximum(np.cumsum(d) + self.gc_busy, 0)
        gc_stw = (sw >= 0) & (ev["a0"] <= STW_GC_MARK_TERM)  # the GC's own pauses (STW_GC_*)
        in_gc_stw = stepwise(gc_stw, sw, 0)
        busy_eff = np.where(in_gc_stw == 1, procs, busy) if len(t) else busy
        dt = np.diff(t, append=t[-1]) if len(t) else t
        gc_ns = np.r_[0, np.cumsum(busy_eff * dt)[:-1]] + self.gc_ns if len(t) else t
        # sample times
        lo = int(t[0]) if len(t) else int(heap_t[0])
        hi = max(int(t[-1]) if len(t) else 0, int(heap_t[-1]) if len(heap_t) else 0)
        grid = np.arange(lo - lo % COUNTER_STEP_NS + COUNTER_STEP_NS, hi + 1, COUNTER_STEP_NS, dtype=np.int64)
        edges = t[np.isin(kind, _COUNTER_EDGE_KINDS)]
        ht = heap_t
        if len(ht) > MAX_COUNTER_ROWS_PER_GEN:
            ht = ht[:: -(-len(ht) // MAX_COUNTER_ROWS_PER_GEN)]
        ts = np.unique(np.concatenate([grid, edges, ht, [hi]]))
        rows = np.zeros(len(ts), COUNTERS_DTYPE)
        rows["t_ns"] = ts
        k = np.searchsorted(t, ts, side="right") - 1
        has = k >= 0
        kk = np.maximum(k, 0)

        def at(series, carry):
            return np.where(has, series[kk], carry) if len(series) else np.full(len(ts), carry)

        names = ("n_runnable", "n_running", "n_syscall", "n_waiting")
        for i, (name, cum) in enumerate(zip(names, per_class, strict=True)):
            rows[name] = at(cum, int(counts_before[i]))
        rows["ngoroutines"] = rows["n_runnable"] + rows["n_running"] + rows["n_syscall"] + rows["n_waiting"]
        rows["gomaxprocs"] = at(procs, self.gomaxprocs)
        rows["threads"] = at(threads, threads_before)
        rows["heap_goal"] = at(goal, self.heap_goal)
        rows["gc_phase"] = at(phase, self.gc_phase)
        rows["gc_cycles"] = at(cycles, self.gc_cycles)
        rows["stw"] = at(stw, 0)
        if len(t):
            gc_at = gc_ns[kk] + busy_eff[kk] * np.maximum(ts - t[kk], 0)
            gc_at = np.where(has, gc_at, self.gc_ns)
        else:
            gc_at = np.full(len(ts), self.gc_ns)
        cap = np.maximum(ts.astype(np.float64) * np.maximum(rows["gomaxprocs"], 1), 1.0)
        rows["gc_cpu_fraction"] = np.clip(gc_at / cap, 0.0, 1.0)
        rows["events_total"] = self.events_total + np.where(has, k + 1, 0)
        hk = np.searchsorted(heap_t, ts, side="right") - 1
        rows["heap_alloc"] = np.where(
            hk >= 0, heap_v[np.maximum(hk, 0)] if len(heap_v) else 0, self.heap_alloc
        )
        rows["heap_live"] = rows["heap_alloc"]
        mk = np.searchsorted(marked_t, ts, side="right") - 1
        rows["heap_marked"] = np.where(
            mk >= 0, marked_v[np.maximum(mk, 0)] if len(marked_v) else 0, self.heap_marked
        )
        # carry to the next generation
        if len(t):
            self.heap_goal = int(goal[-1])
            self.gomaxprocs = int(procs[-1])
            self.gc_phase = int(phase[-1])
            self.gc_cycles = int(cycles[-1])
            self.threads = int(threads[-1])
            self.gc_busy = int(busy[-1])
            self.gc_ns = int(gc_ns[-1] + busy_eff[-1] * dt[-1])
        if len(heap_v):
            self.heap_alloc = int(heap_v[-1])
        if len(marked_v):
            self.heap_marked = int(marked_v[-1])
        self.events_total += len(t)
        return rows

    # --- the whole trace -------------------------------------------------------------------------
    def assumptions(self) -> list[str]:
        out = list(ASSUMPTIONS)
        if not self.has_alloc_free:
            out.append(
                "Real trace: no allocation events (run the program with GODEBUG=traceallocfree=1 for "
                "the span heatmap)."
            )
        if self.dropped_ps:
            out.append(f"Real trace: {self.dropped_ps} events on Ps >= {MAX_GOMAXPROCS} are not drawn.")
        return out


_G_ARG_TYPES = (
    S.EvGoCreate, S.EvGoCreateBlocked, S.EvGoCreateSyscall, S.EvGoStart, S.EvGoUnblock, S.EvGoStatus,
    S.EvGoStatusStack, S.EvGoSwitch, S.EvGoSwitchDestroy, S.EvGCMarkAssistActive,
)  # fmt: skip
_USED_TYPES = tuple(sorted({
    *_G_ARG_TYPES, S.EvGoLabel, S.EvGoStop, S.EvGoBlock, S.EvGoSyscallBegin, S.EvGoSyscallEnd,
    S.EvGoSyscallEndBlocked, S.EvGoDestroy, S.EvGoDestroySyscall, S.EvProcsChange, S.EvProcStatus,
    S.EvProcStart, S.EvProcStop, S.EvProcSteal, S.EvSTWBegin, S.EvSTWEnd, S.EvGCBegin, S.EvGCActive,
    S.EvGCEnd, S.EvGCMarkAssistBegin, S.EvGCMarkAssistEnd, S.EvGCSweepBegin, S.EvGCSweepEnd,
    S.EvGCSweepActive, S.EvHeapGoal, S.EvHeapAlloc, S.EvSpan, S.EvSpanAlloc, S.EvSpanFree, S.EvHeapObject,
    S.EvHeapObjectAlloc, S.EvHeapObjectFree,
}))  # fmt: skip
_COUNTER_EDGE_KINDS = [int(k) for k in (EV.GCBegin, EV.GCMarkBegin, EV.GCMarkDone, EV.GCEnd, EV.STWBegin,
                                        EV.STWEnd, EV.HeapGoal, EV.ProcResize)]  # fmt: skip


def convert(chunks) -> np.ndarray:
    """Every event of (generation, ordered events) chunks as one EVENT_DTYPE array (small traces)."""
    conv = TraceConverter()
    parts = [conv.add(g, arr)[0] for g, arr in chunks]
    return np.concatenate(parts) if parts else np.zeros(0, EVENT_DTYPE)
