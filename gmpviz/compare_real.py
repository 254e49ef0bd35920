"""`gmpviz compare-real FILE.trace SCENARIO.toml [--log run.log] [--json]`: a real run and its emulation.

The real side is a Go execution trace read by gotrace and mapped into gmpviz's event stream
(gotrace/convert.py), so both sides' figures come from the same code: model.metrics.compute_metrics
over the events, the counters for threads and goroutines. What a trace does not carry comes from the
program's GODEBUG=gctrace=1,schedtrace=N log when one is given (`--log`; `gmpviz trace` writes it):
the run-queue means (schedtrace's runqueue= and per-P lengths). The emulated side runs the scenario headless
to its end (compare.run_side). Ratios are emulated / real.
"""

from __future__ import annotations

import numpy as np

from .compare import run_side
from .core.trace.events import EVENT_DTYPE
from .core.trace.stats import COUNTERS_DTYPE
from .gotrace.convert import TraceConverter
from .gotrace.godebuglog import figures as log_figures
from .gotrace.reader import GoTraceReader
from .gotrace.wire import TraceError
from .model.metrics import NEEDED_KINDS, Metrics, compute_metrics
from .record import RecordingError

MiB = 1 << 20
# name, unit, what it is (the order is the table's)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("gc_cycles", "", "GC cycles"),
    ("heap_goal_median_mib", "MiB", "heap goal, median"),
    ("live_heap_median_mib", "MiB", "live heap after GC (marked), median"),
    ("stw_total_ms", "ms", "stop-the-world, total (GC pauses)"),
    ("stw_max_ms", "ms", "stop-the-world, longest"),
    ("runq_global_mean", "", "global run queue, mean (schedtrace)"),
    ("runq_local_mean", "", "local run queue per P, mean (schedtrace)"),
    ("schedticks_per_p_s", "1/s", "schedticks per P per second (GoStart events)"),
    ("threads", "", "threads (Ms)"),
    ("goroutines_mean", "", "goroutines alive, time-weighted mean"),
    ("goroutines_max", "", "goroutines alive, most"),
    ("gc_cpu_pct", "%", "GC CPU (workers, assists, GC pauses)"),
    ("mark_worker_starts", "", "mark worker runs begun (a worker G's GoStart with its mode label)"),
    ("mark_worker_starts_per_gc", "", "mark worker runs begun per GC cycle"),
    ("duration_ms", "ms", "duration"),
)


def _time_mean(t: np.ndarray, v: np.ndarray) -> float | None:
    if len(t) < 2:
        return float(v[0]) if len(v) else None
    dt = np.diff(t).astype(np.float64)
    return float((v[:-1] * dt).sum() / max(dt.sum(), 1.0))


def side_figures(m: Metrics, counters: np.ndarray, procs: int) -> dict[str, float | None]:
    """The table's figures of one side from its metrics and counters rows."""
    c = counters
    dur_s = m.duration_ns / 1e9
    marked = c["heap_marked"][c["heap_marked"] > 0] if len(c) else c
    local = c["local_runq_total"] / np.maximum(c["gomaxprocs"], 1) if len(c) else c
    return {
        "gc_cycles": m.gc_cycles,
        "heap_goal_median_mib": None if m.heap_goal_median_bytes is None else m.heap_goal_median_bytes / MiB,
        "live_heap_median_mib": float(np.median(np.unique(marked))) / MiB if len(marked) else None,
        "stw_total_ms": m.stw_total_ns / 1e6,
        "stw_max_ms": m.stw_max_ns / 1e6,
        "runq_global_mean": _time_mean(c["t_ns"], c["global_runq"]) if len(c) else None,
        "runq_local_mean": _time_mean(c["t_ns"], local) if len(c) else None,
        "schedticks_per_p_s": m.context_switches / (dur_s * max(procs, 1)) if dur_s > 0 else None,
        "threads": int(c["threads"].max()) if len(c) else None,
        "goroutines_mean": _time_mean(c["t_ns"], c["ngoroutines"]) if len(c) else None,
        "goroutines_max": int(c["ngoroutines"].max()) if len(c) else None,
        "gc_cpu_pct": 100 * m.gc_cpu_fraction,
        "mark_worker_starts": m.gc_worker_starts,
        "mark_worker_starts_per_gc": m.gc_worker_starts / m.gc_cycles if m.gc_cycles else None,
        "duration_ms": m.duration_ns / 1e6,
    }


def real_side(trace: str, log_text: str | None = None) -> tuple[dict, str | None]:
    """(figures, warning) of a real run's trace (and log). RecordingError (one line) if unreadable."""
    try:
        reader = GoTraceReader(trace)
    except TraceError as e:
        raise RecordingError(f"{trace}: {e}") from None
    conv = TraceConverter()
    kept, rows = [], []
    with reader:
        try:
            for g, arr in reader.chunks():
                ev, c = conv.add(g, arr)
                kept.append(ev[NEEDED_KINDS[ev["kind"]]])
                rows.append(c)
        except ValueError as e:
            raise RecordingError(f"{trace}: {e}") from None
        if reader.error and reader.generations == 0:
            raise RecordingError(f"{trace}: {reader.error}")
        warning = f"{trace}: {reader.error}; compared up to it" if reader.error else None
    ev = np.concatenate(kept) if kept else np.zeros(0, EVENT_DTYPE)
    counters = np.concatenate(rows) if rows else np.zeros(0, COUNTERS_DTYPE)
    m = compute_metrics(ev, counters, end_ns=conv.t_last)
    out = side_figures(m, counters, conv.gomaxprocs)
    # a trace has no run-queue lengths: those come from the log, or are unknown
    out["runq_global_mean"] = out["runq_local_mean"] = None
    if log_text is not None:
        lf = log_figures(log_text)
        out["runq_global_mean"] = lf["runq_global_mean"]
        out["runq_local_mean"] = lf["runq_local_mean"]
    return out, warning


def emulated_side(scenario: str) -> tuple[dict, str | None]:
    side = run_side("a", scenario, {})
    procs = int(side.resolved.get("procs") or 1)
    return side_figures(side.metrics, side.counters, procs), side.warning or side.error


def compare_real(trace: str, scenario: str, log_text: str | None = None) -> dict:
    real, w1 = real_side(trace, log_text)
    emu, w2 = emulated_side(scenario)
    rows = []
    for name, unit, what in ROWS:
        r, e = real.get(name), emu.get(name)
        ratio = e / r if (r not in (None, 0) and e is not None) else None
        rows.append({"figure": name, "unit": unit, "what": what, "real": r, "emulated": e, "ratio": ratio})
    return {"trace": trace, "scenario": scenario, "rows": rows, "warnings": [w for w in (w1, w2) if w]}


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def format_table(res: dict, markdown: bool = False) -> str:
    head = ("figure", "real", "emulated", "emulated / real")
    body = [
        (f"{r['what']}" + (f" ({r['unit']})" if r["unit"] else ""), _fmt(r["real"]), _fmt(r["emulated"]),
         "-" if r["ratio"] is None else f"{r['ratio']:.2f}")
        for r in res["rows"]
    ]  # fmt: skip
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])
    w = [max(len(x[i]) for x in (head, *body)) for i in range(4)]
    fmt = lambda row: "  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(row))  # noqa: E731
    return "\n".join([fmt(head), *(fmt(b) for b in body)])
