"""`gmpviz open FILE.trace --headless [--json]`: what a real program's trace says, in the words of
`gmpviz run --headless` (GC cycles, stop-the-world pauses, syscalls, goroutines, heap).

Counted per generation with numpy (np.bincount over the event types, the STW and GC ranges paired
per goroutine / per cycle), so a summary costs about what reading the trace costs.

What a trace cannot say is said so: it has no work-stealing events (runqsteal), so `steals` here are
`ProcSteal` events (a P taken back from a goroutine in a syscall: sysmon's retake or a hand-off),
and it has no run-queue lengths.
"""

from __future__ import annotations

import numpy as np

from . import spec as S
from .wire import Generation

_GO_STATUS = {
    S.GoRunnableW: "_Grunnable",
    S.GoRunningW: "_Grunning",
    S.GoSyscallW: "_Gsyscall",
    S.GoWaitingW: "_Gwaiting",
}


class TraceSummary:
    """Feed every (generation, events) chunk to `add`, then `result(reader)`."""

    def __init__(self):
        self.counts = np.zeros(256, np.int64)
        self.t_first: int | None = None
        self.t_last = 0
        self.ms: set[int] = set()
        self.ps: set[int] = set()
        self.stw: list[tuple[int, str]] = []  # (duration ns, reason)
        self._stw_open: dict[int, tuple[int, str]] = {}
        self.gc_cycles: list[tuple[int, int]] = []  # (begin, end) ns
        self._gc_open: dict[int, int] = {}
        self.assist_ns = 0
        self._assist_open: dict[int, int] = {}
        self.heap_alloc_last = 0
        self.heap_alloc_max = 0
        self.heap_goals: list[int] = []
        self.gomaxprocs: int | None = None
        self.preemptions = 0
        self.wait_reasons: dict[str, int] = {}

    def add(self, g: Generation | None, arr: np.ndarray) -> None:
        if not len(arr):
            return
        typ = arr["typ"]
        self.counts += np.bincount(typ, minlength=256)
        times = arr["time"]
        real = typ != S.EvSyncEvent
        if real.any():
            t = times[real]
            self.t_first = int(t[0]) if self.t_first is None else self.t_first
            self.t_last = int(t[-1])
        self.ms.update(np.unique(arr["m"][real]).tolist())
        self.ps.update(np.unique(arr["p"][real]).tolist())
        self.ms.discard(S.NO_ID)
        self.ps.discard(S.NO_ID)
        if g is None:
            return
        args = arr["args"]
        for i in np.flatnonzero(np.isin(typ, (S.EvSTWBegin, S.EvSTWEnd))).tolist():
            gid, t, reason = int(arr["g"][i]), int(times[i]), g.string(int(args[i, 0]))
            if typ[i] == S.EvSTWBegin:
                self._stw_open[gid] = (t, reason)
            elif gid in self._stw_open:
                t0, reason = self._stw_open.pop(gid)
                self.stw.append((t - t0, reason))
        for i in np.flatnonzero(np.isin(typ, (S.EvGCBegin, S.EvGCActive, S.EvGCEnd))).tolist():
            seq, t = int(args[i, 0]), int(times[i])
            if typ[i] in (S.EvGCBegin, S.EvGCActive):
                self._gc_open.setdefault(seq, t)
            else:
                self.gc_cycles.append((self._gc_open.pop(seq, t), t))
        sel = np.flatnonzero(np.isin(typ, (S.EvGCMarkAssistBegin, S.EvGCMarkAssistEnd)))
        for i in sel.tolist():
            gid, t = int(arr["g"][i]), int(times[i])
            if typ[i] == S.EvGCMarkAssistBegin:
                self._assist_open[gid] = t
            elif gid in self._assist_open:
                self.assist_ns += t - self._assist_open.pop(gid)
        ha = args[typ == S.EvHeapAlloc, 0]
        if ha.size:
            self.heap_alloc_last = int(ha[-1])
            self.heap_alloc_max = max(self.heap_alloc_max, int(ha.max()))
        self.heap_goals += args[typ == S.EvHeapGoal, 0].tolist()
        pc = args[typ == S.EvProcsChange, 0]
        if pc.size:
            self.gomaxprocs = int(pc[-1])
        for kind in (S.EvGoStop, S.EvGoBlock):
            ids, n = np.unique(args[typ == kind, 0], return_counts=True)
            for sid, c in zip(ids.tolist(), n.tolist(), strict=True):
                reason = g.string(sid) if g.has_string(sid) else "?"
                if kind == S.EvGoStop and reason == "preempted":
                    self.preemptions += c
                if kind == S.EvGoBlock:
                    self.wait_reasons[reason] = self.wait_reasons.get(reason, 0) + c

    def result(self, reader) -> dict:
        c = self.counts
        live: dict[str, int] = {}
        for st in reader.state.g.values():
            name = _GO_STATUS.get(st.status, "_Gbad")
            live[name] = live.get(name, 0) + 1
        stw_ns = [d for d, _ in self.stw]
        by_reason: dict[str, int] = {}
        for _d, r in self.stw:
            by_reason[r] = by_reason.get(r, 0) + 1
        goals = sorted(self.heap_goals)
        return {
            "source": reader.tf.path,
            "format": f"go 1.{reader.version}",
            "generations": reader.generations,
            "events": int(c.sum()),
            "duration_ns": (self.t_last - self.t_first) if self.t_first is not None else 0,
            "error": reader.error,
            "gomaxprocs": self.gomaxprocs,
            "threads": len(self.ms),
            "procs_seen": len(self.ps),
            "goroutines": {
                "created": int(c[S.EvGoCreate] + c[S.EvGoCreateBlocked] + c[S.EvGoCreateSyscall]),
                "exited": int(c[S.EvGoDestroy] + c[S.EvGoDestroySyscall] + c[S.EvGoSwitchDestroy]),
                "live": sum(live.values()),
                "live_by_status": dict(sorted(live.items())),
            },
            "context_switches": int(c[S.EvGoStart] + c[S.EvGoSwitch] + c[S.EvGoSwitchDestroy]),
            "preemptions": self.preemptions,
            "wait_reasons": dict(sorted(self.wait_reasons.items(), key=lambda kv: -kv[1])),
            "syscalls": int(c[S.EvGoSyscallBegin]),
            "syscalls_blocked": int(c[S.EvGoSyscallEndBlocked]),
            "steals": {"count": int(c[S.EvProcSteal]), "kind": "ProcSteal (P retaken from a syscall)"},
            "gc": {
                "cycles": len(self.gc_cycles),
                "mark_ns_total": sum(e - b for b, e in self.gc_cycles),
                "stw_count": len(stw_ns),
                "stw_total_ns": sum(stw_ns),
                "stw_max_ns": max(stw_ns, default=0),
                "stw_by_reason": dict(sorted(by_reason.items())),
                "assist_ns": self.assist_ns,
                "heap_goal_median": goals[len(goals) // 2] if goals else None,
                "heap_goal_last": self.heap_goals[-1] if self.heap_goals else None,
            },
            "HeapAlloc": self.heap_alloc_last,
            "HeapAllocMax": self.heap_alloc_max,
            "alloc_free": {
                "objects_alloc": int(c[S.EvHeapObjectAlloc]),
                "objects_free": int(c[S.EvHeapObjectFree]),
                "spans_alloc": int(c[S.EvSpanAlloc]),
                "spans_free": int(c[S.EvSpanFree]),
                "stacks_alloc": int(c[S.EvGoroutineStackAlloc]),
                "stacks_free": int(c[S.EvGoroutineStackFree]),
            },
        }


def _ms(t_ns: float) -> str:
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if t_ns >= scale:
            return f"{t_ns / scale:.4g} {unit}"
    return f"{t_ns:.0f} ns"


def _bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def format_trace_summary(st: dict) -> str:
    """The --json summary as a short block for people, in the rows `gmpviz run --headless` prints."""
    g, gc, af = st["goroutines"], st["gc"], st["alloc_free"]
    by_status = ", ".join(f"{n} {s.removeprefix('_G')}" for s, n in g["live_by_status"].items() if n)
    waits = ", ".join(f"{r or '?'} {n:,}" for r, n in list(st["wait_reasons"].items())[:4])
    rows = [
        (
            "trace",
            f"{st['source']} · {st['format']} · {st['generations']} generations · "
            f"{_ms(st['duration_ns'])} · GOMAXPROCS {st['gomaxprocs'] or '-'}",
        ),
        ("events", f"{st['events']:,}"),
        (
            "goroutines",
            f"{g['created']:,} created · {g['exited']:,} exited · {g['live']:,} live"
            + (f" ({by_status})" if by_status else ""),
        ),
        (
            "scheduler",
            f"{st['steals']['count']:,} P steals from syscalls · {st['preemptions']:,} preemptions · "
            f"{st['syscalls']:,} syscalls ({st['syscalls_blocked']:,} blocked) · "
            f"{st['context_switches']:,} context switches · {st['threads']} Ms",
        ),
        ("blocked on", waits or "-"),
        (
            "GC",
            f"{gc['cycles']} cycle{'' if gc['cycles'] == 1 else 's'} · STW {_ms(gc['stw_total_ns'])} in all "
            f"({gc['stw_count']} pauses), longest {_ms(gc['stw_max_ns'])} · assists {_ms(gc['assist_ns'])}",
        ),
        (
            "heap",
            f"HeapAlloc {_bytes(st['HeapAlloc'])} (max {_bytes(st['HeapAllocMax'])}) · "
            f"goal median {_bytes(gc['heap_goal_median'])}, last {_bytes(gc['heap_goal_last'])}",
        ),
    ]
    if af["objects_alloc"] or af["spans_alloc"]:
        rows.append(
            (
                "alloc/free",
                f"{af['objects_alloc']:,} objects allocated, {af['objects_free']:,} freed · "
                f"{af['spans_alloc']:,} spans allocated, {af['spans_free']:,} freed · "
                f"{af['stacks_alloc']:,} stacks allocated",
            )
        )
    if st.get("error"):
        rows.append(("cut short", str(st["error"])))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
