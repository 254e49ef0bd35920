"""A run's `GODEBUG=gctrace=1,schedtrace=N` text: its lines parsed, and the figures it gives.

One parser for real Go and gmpviz: `gmpviz open run.log` draws a real program's log,
`gmpviz compare-real --log` and the fidelity tests (tests/fidelity) compare its figures.

`figures(text)` reads a program's stderr, a real Go run's or gmpviz's emulation
(`gmpviz run SCENARIO --headless --gctrace --schedtrace 100`, which prints the same two formats),
and returns the figures the fidelity table compares (issue 14, 15, 16). Lines of neither format are
ignored; a SCHED line torn by a gctrace line printed in the middle of it (the runtime takes the print
lock per `print` statement, and schedtrace makes several) simply fails to match and is skipped.

The SCHED line is runtime/proc.go `schedtrace(detailed=false)` (Go 1.27), which prints the per-P
`schedticks=[ ... ]` itself, so `scheddetail=1` is not needed:

    SCHED 105ms: gomaxprocs=4 idleprocs=0 threads=6 spinningthreads=0 needspinning=1 idlethreads=1
    runqueue=2 [ 0 1 1 0 ] schedticks=[ 5 3 4 4 ]

(one line). The gctrace line is runtime/mgc.go gcMarkTermination's; it is parsed by
`gmpviz.core.gc.gctrace.parse_gctrace`, the same parser the engine's own tests use.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

import numpy as np

from ..core.gc.gctrace import GCTraceParseError, parse_gctrace
from ..core.trace.events import EV, EVENT_DTYPE, STW_GC_MARK_TERM, STW_GC_SWEEP_TERM
from ..core.trace.stats import COUNTERS_DTYPE

_SCHED_RE = re.compile(
    r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) "
    r"needspinning=(\d+) idlethreads=(\d+) runqueue=(\d+) \[((?: \d+)*) \] schedticks=\[((?: \d+)*) ?\]\s*$"
)

# name -> (unit, how it is computed). The order is the table's.
FIGURES: dict[str, tuple[str, str]] = {
    "gc_cycles": ("", "number of gctrace lines"),
    "heap_goal_mb": ("MB", "median of the `MB goal` field"),
    "heap1_mb": ("MB", "median heap at mark termination (`H0->H1->H2`, H1)"),
    "heap2_mb": ("MB", "median live (marked) heap, H2"),
    "stw_total_ms": ("ms", "sum of both STW phases' wall clock (clock fields 1 and 3)"),
    "stw_max_ms": ("ms", "longest single STW phase (clock field 1 or 3)"),
    "mark_ms": ("ms", "median concurrent mark wall clock (clock field 2)"),
    "cpu_assist_ms": ("ms", "sum of the `ms cpu` assist field"),
    "cpu_background_ms": ("ms", "sum of the `ms cpu` dedicated+fractional field"),
    "cpu_idle_ms": ("ms", "sum of the `ms cpu` idle-worker field"),
    "gc_cpu_pct": ("%", "`U%` of the last gctrace line: GC CPU share since the program started"),
    "stacks_mb": ("MB", "largest `MB stacks` (scanned stack bytes)"),
    "runq_global_mean": ("", "mean `runqueue=` over SCHED lines"),
    "runq_local_mean": ("", "mean local run-queue length per P over SCHED lines"),
    "schedticks_per_p_s": ("1/s", "schedtick increase per P per second between SCHED lines"),
    "threads": ("", "largest `threads=` (Ms ever created; the runtime never frees them here)"),
    "threads_start": ("", "`threads=` on the first SCHED line"),
    "idlethreads_mean": ("", "mean `idlethreads=`"),
}


def parse_sched(line: str) -> dict | None:
    """One non-detailed SCHED line as a dict, or None if the line is not one (or is torn)."""
    m = _SCHED_RE.match(line.strip())
    if m is None:
        return None
    g = m.groups()
    runq = [int(x) for x in g[8].split()]
    ticks = [int(x) for x in g[9].split()]
    nprocs = int(g[1])
    if len(runq) != len(ticks) or len(ticks) < nprocs:
        return None  # torn: the lists must cover allp
    return {
        "t_ms": int(g[0]),
        "gomaxprocs": nprocs,
        "idleprocs": int(g[2]),
        "threads": int(g[3]),
        "spinningthreads": int(g[4]),
        "needspinning": int(g[5]),
        "idlethreads": int(g[6]),
        "runqueue": int(g[7]),
        "runq": runq,
        "schedticks": ticks,
    }


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def schedticks_rate(scheds: list[dict]) -> float | None:
    """Schedticks per P per second: sum over consecutive lines of each P's tick increase, over
    sum of (interval x GOMAXPROCS). A P that GOMAXPROCS removed and brought back keeps its count in
    Go (procresize reuses allp's backing array); a drop (a fresh P) counts from zero."""
    ticks = 0
    p_seconds = 0.0
    for a, b in zip(scheds, scheds[1:]):
        dt_s = (b["t_ms"] - a["t_ms"]) / 1000
        if dt_s <= 0:
            continue
        n = b["gomaxprocs"]
        old = a["schedticks"]
        for i, t in enumerate(b["schedticks"][:n]):
            prev = old[i] if i < len(old) else 0
            ticks += t - prev if t >= prev else t
        p_seconds += dt_s * n
    return ticks / p_seconds if p_seconds > 0 else None


@dataclass
class GodebugLog:
    """The gctrace cycles (core.gc.gctrace.parse_gctrace dicts) and SCHED lines (parse_sched) of a log."""

    gc: list[dict] = field(default_factory=list)
    sched: list[dict] = field(default_factory=list)


def parse_godebug_log(text: str) -> GodebugLog:
    """Every gctrace and SCHED line of `text`, in order; other lines (the program's own) are skipped."""
    out = GodebugLog()
    for line in text.splitlines():
        if line.startswith("gc "):
            try:
                out.gc.append(parse_gctrace(line))
            except GCTraceParseError:
                continue
        elif line.startswith("SCHED "):
            s = parse_sched(line)
            if s is not None:
                out.sched.append(s)
    return out


def figures(text: str) -> dict[str, float | None]:
    """The figures of one run (see FIGURES) from its gctrace + schedtrace text. A figure whose lines
    are absent is None, except gc_cycles, which is 0 without gctrace lines."""
    log = parse_godebug_log(text)
    cycles, scheds = log.gc, log.sched
    stws = [c["clock_ms"][i] for c in cycles for i in (0, 2)]
    stacks = [c["stacks_mb"] for c in cycles if c["stacks_mb"] is not None]
    out: dict[str, float | None] = {
        "gc_cycles": len(cycles),
        "heap_goal_mb": _median([c["goal_mb"] for c in cycles]),
        "heap1_mb": _median([c["heap1_mb"] for c in cycles]),
        "heap2_mb": _median([c["heap2_mb"] for c in cycles]),
        "stw_total_ms": sum(stws) if cycles else None,
        "stw_max_ms": max(stws) if cycles else None,
        "mark_ms": _median([c["clock_ms"][1] for c in cycles]),
        "cpu_assist_ms": sum(c["cpu_ms"][1] for c in cycles) if cycles else None,
        "cpu_background_ms": sum(c["cpu_ms"][2] for c in cycles) if cycles else None,
        "cpu_idle_ms": sum(c["cpu_ms"][3] for c in cycles) if cycles else None,
        "gc_cpu_pct": cycles[-1]["util_pct"] if cycles else None,
        "stacks_mb": max(stacks) if stacks else None,
        "runq_global_mean": _mean([s["runqueue"] for s in scheds]),
        "runq_local_mean": _mean([sum(s["runq"][: s["gomaxprocs"]]) / s["gomaxprocs"] for s in scheds]),
        "schedticks_per_p_s": schedticks_rate(scheds),
        "threads": max(s["threads"] for s in scheds) if scheds else None,
        "threads_start": scheds[0]["threads"] if scheds else None,
        "idlethreads_mean": _mean([s["idlethreads"] for s in scheds]),
    }
    return out


# --- a log as gmpviz's event stream (`gmpviz open run.log`) -------------------------------------------
MB = 1 << 20  # gctrace prints heap sizes in MB (runtime: >>20)
MAX_LOG_BYTES = 256 << 20
LOG_ASSUMPTIONS = (
    "GODEBUG log: only what gctrace and schedtrace print is shown: GC cycles with their two "
    "stop-the-world phases and concurrent mark (wall clock), the heap at each cycle's start, end and "
    "live (MB, rounded down by the runtime), the goal, and the run-queue lengths every schedtrace "
    "period. There are no goroutine or P lanes.",
    "GODEBUG log: HeapAlloc is drawn as a straight line between the points gctrace prints (the live "
    "heap after a cycle, the heap at the next cycle's start).",
    "GODEBUG log: the run queues' contents are not in the log, only their lengths: the queues are "
    "shown as that many unknown goroutines (reconstructed).",
)


def is_godebug_log(text: str) -> bool:
    log = parse_godebug_log(text)
    return bool(log.gc or log.sched)


def log_events(log: GodebugLog) -> tuple[np.ndarray, np.ndarray]:
    """(EVENT_DTYPE events, COUNTERS_DTYPE rows) drawing a log's GC cycles, heap and run queues.

    A gctrace line's `@t s` is when the cycle began (gcStart); its clock fields are sweep termination
    (STW), concurrent mark and mark termination (STW), so the phases follow at those offsets."""
    rows: list[tuple] = []  # (t_ns, order, kind, p, a0, a1, a2)
    counters: list[dict] = []
    for c in log.gc:
        t0 = int(c["t_s"] * 1e9)
        st, mk, mt = (int(x * 1e6) for x in c["clock_ms"])
        n = c["n"]
        rows += [
            (t0, 0, EV.GCBegin, -1, n, 2 if c["forced"] else 0, c["heap0_mb"] * MB),
            (t0, 1, EV.STWBegin, -1, STW_GC_SWEEP_TERM, 0, 0),
            (t0 + st, 2, EV.STWEnd, -1, STW_GC_SWEEP_TERM, st, 0),
            (t0 + st, 3, EV.GCMarkBegin, -1, n, 0, 0),
            (t0 + st + mk, 4, EV.GCMarkDone, -1, n, c["heap1_mb"] * MB, 0),
            (t0 + st + mk, 5, EV.STWBegin, -1, STW_GC_MARK_TERM, 0, 0),
            (t0 + st + mk + mt, 6, EV.GCEnd, -1, n, c["heap2_mb"] * MB, 0),
            (t0 + st + mk + mt, 7, EV.HeapGoal, -1, c["goal_mb"] * MB, 0, c["heap2_mb"] * MB),
            (t0 + st + mk + mt, 8, EV.STWEnd, -1, STW_GC_MARK_TERM, mt, 0),
        ]
        counters.append(dict(t_ns=t0, heap_alloc=c["heap0_mb"] * MB, gc_cycles=n - 1, gc_phase=0,
                             gc_cpu_fraction=c["util_pct"] / 100, gomaxprocs=c["procs"]))  # fmt: skip
        counters.append(dict(t_ns=t0 + st + mk + mt, heap_alloc=c["heap2_mb"] * MB, gc_cycles=n,
                             heap_goal=c["goal_mb"] * MB, heap_marked=c["heap2_mb"] * MB,
                             gc_cpu_fraction=c["util_pct"] / 100, gomaxprocs=c["procs"]))  # fmt: skip
    for s in log.sched:
        t = s["t_ms"] * 1_000_000
        n = s["gomaxprocs"]
        # SIMPLIFICATION: a queue length without its Gs: a RunqGet/GlobRunqGet carrying the length
        rows += [(t, 10 + p, EV.RunqGet, p, 1, s["runq"][p], 0) for p in range(n)]
        rows.append((t, 9, EV.GlobRunqGet, -1, 0, s["runqueue"], 0))
        counters.append(dict(t_ns=t, gomaxprocs=n, threads=s["threads"], idle_ps=s["idleprocs"],
                             spinning_ms=s["spinningthreads"], idle_ms=s["idlethreads"],
                             global_runq=s["runqueue"], local_runq_total=sum(s["runq"][:n])))  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[1]))
    ev = np.zeros(len(rows), EVENT_DTYPE)
    if rows:
        cols = list(zip(*rows, strict=True))
        ev["t_ns"], ev["kind"], ev["p"] = cols[0], [int(k) for k in cols[2]], cols[3]
        ev["a0"], ev["a1"], ev["a2"] = cols[4], cols[5], cols[6]
    counters.sort(key=lambda r: r["t_ns"])
    out = np.zeros(len(counters), COUNTERS_DTYPE)
    # every field holds its last value until a row sets it again (a log prints each one now and then)
    last = dict.fromkeys(COUNTERS_DTYPE.names, 0)
    for i, r in enumerate(counters):
        last.update(r)
        if "heap_alloc" in r:
            last["heap_live"] = r["heap_alloc"]
        out[i] = tuple(last[k] for k in COUNTERS_DTYPE.names)
    out["events_total"] = np.searchsorted(ev["t_ns"], out["t_ns"], side="right")
    return ev, out
