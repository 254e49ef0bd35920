"""`gmpviz compare`: run two (or three) runtimes headless on a workload and set their metrics side by side.

Each side is one Engine run (the core API the CLI's headless run uses) with its own settings; the
events it emits are folded into model.metrics as they are drained, keeping only the kinds the metrics
read (model.metrics.NEEDED_KINDS), so a long run does not hold the allocator's bulk in memory.

Built-in comparisons (``resources/comparisons.toml``) name a scenario and the sides' settings; the
``gmpviz compare NAME`` form runs one.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import dataclass, field

import numpy as np

from .core.settings import RunSettings
from .core.trace.events import EVENT_DTYPE
from .model.metrics import NEEDED_KINDS, Metrics, compute_metrics

SIDE_NAMES = ("a", "b", "c")
#: the run settings a side may change, as `KEY=VALUE`; ncpu is refused until modelled
SETTING_KEYS = ("policy", "procs", "ncpu", "gogc", "memlimit", "greentea", "seed", "duration")
NOT_MODELLED = {
    "ncpu": "the number of CPUs is not modelled yet: every P runs on a CPU of its own",
}
_ENGINE_KEYWORD = {  # KEY -> RunSettings field
    "policy": "policy",
    "procs": "procs",
    "gogc": "gogc",
    "memlimit": "memlimit_bytes",
    "seed": "seed",
    "duration": "duration_ns",
    "greentea": "greentea",
}
STEP_NS = 20_000_000  # virtual time per drain
#: the events a side keeps for its metrics (~48 bytes each): a side that reaches it stops there, with a
#: warning, so a long run's memory stays bounded (10M events take about a second to measure)
MAX_KEPT_EVENTS = 10_000_000


@dataclass
class Side:
    """One run of a comparison: what was asked, what ran, and its metrics."""

    label: str
    scenario: str
    settings: dict = field(default_factory=dict)  # the KEY=VALUE overrides, parsed
    asked: tuple[str, ...] = ()  # the KEY=VALUE words as given
    resolved: dict = field(default_factory=dict)  # the settings the engine ran with
    end_reason: str = ""
    error: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    warning: str | None = None  # the side was stopped before its end (MAX_KEPT_EVENTS)


def run_settings(settings: dict) -> RunSettings:
    """A side's parsed KEY=VALUE settings as the run's RunSettings."""
    return RunSettings(**{_ENGINE_KEYWORD[k]: v for k, v in settings.items()})


def run_side(label: str, scenario: str, settings: dict, asked: tuple[str, ...] = ()) -> Side:
    """Run one side headless to its end and compute its metrics (ScenarioError/EngineError propagate)."""
    from .core.engine import Engine
    from .core.workload.loader import load_scenario

    sc = load_scenario(scenario)
    eng = Engine(sc, **run_settings(settings).engine_kw())
    kept: list[np.ndarray] = []
    counters: list[np.ndarray] = []
    t, n_kept, warning = 0, 0, None
    while not eng.done:
        t += STEP_NS
        eng.run_until(t)
        ev = eng.drain()
        if len(ev):
            kept.append(ev[NEEDED_KINDS[ev["kind"]]])
            n_kept += len(kept[-1])
        counters.append(eng.drain_counters())
        if n_kept >= MAX_KEPT_EVENTS and not eng.done:
            warning = (
                f"side {label.upper()} stopped at {_ns(eng.now)} of virtual time: its metrics keep at most "
                f"{MAX_KEPT_EVENTS:,} events (a shorter --duration measures the whole run)"
            )
            break
    ev = np.concatenate(kept) if kept else np.zeros(0, dtype=EVENT_DTYPE)
    m = compute_metrics(ev, np.concatenate(counters), end_ns=eng.now)
    resolved = {
        "scenario": sc.name,
        "policy": eng.policy,
        "procs": sc.gomaxprocs if settings.get("procs") is None else settings["procs"],
        "gogc": eng.gogc,
        "memlimit": eng.memlimit,
        "greentea": eng.greentea,
        "seed": eng.seed,
        "duration_ns": eng.duration_ns,
    }
    end_reason = "stopped: event limit" if warning else eng.done_reason
    return Side(label, scenario, settings, tuple(asked), resolved, end_reason, eng.error, m, warning)


# --- the table ---------------------------------------------------------------------------------------
def _ns(t_ns: float) -> str:
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if abs(t_ns) >= scale:
            return f"{t_ns / scale:.3g} {unit}"
    return f"{t_ns:.0f} ns"


def _bytes(n: float) -> str:
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _rate(v: float) -> str:
    return f"{v:,.1f}/s" if v < 100 else f"{v:,.0f}/s"


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def _mmu(w_ns: int):
    return lambda m: m.mmu_at(w_ns)


#: (key, label, value of a Metrics, format)
ROWS = (
    ("ops_completed", "operations completed", lambda m: m.ops_completed, _count),
    ("ops_per_s", "operations / s", lambda m: m.ops_per_s, _rate),
    ("goroutines_per_s", "goroutines finished / s", lambda m: m.goroutines_per_s, _rate),
    ("useful_cpu_fraction", "useful CPU (user Gs / P time)", lambda m: m.useful_cpu_fraction, _pct),
    ("latency_p50_ns", "sched latency p50", lambda m: m.latency_p50_ns, _ns),
    ("latency_p90_ns", "sched latency p90", lambda m: m.latency_p90_ns, _ns),
    ("latency_p99_ns", "sched latency p99", lambda m: m.latency_p99_ns, _ns),
    ("latency_max_ns", "sched latency max", lambda m: m.latency_max_ns, _ns),
    ("completion_p50_ns", "goroutine completion p50", lambda m: m.completion_p50_ns, _ns),
    ("completion_p99_ns", "goroutine completion p99", lambda m: m.completion_p99_ns, _ns),
    ("idle_p_ns", "idle P time", lambda m: m.state_ns.get("idle", 0), _ns),
    ("spinning_ns", "spinning time", lambda m: m.state_ns.get("spinning", 0), _ns),
    ("steals", "steals", lambda m: m.steals, _count),
    ("gs_stolen", "Gs stolen", lambda m: m.gs_stolen, _count),
    ("handoffs", "hand-offs", lambda m: m.handoffs, _count),
    ("context_switches", "context switches", lambda m: m.context_switches, _count),
    ("preemptions", "preemptions", lambda m: m.preemptions, _count),
    ("gc_cycles", "GC cycles", lambda m: m.gc_cycles, _count),
    ("gc_cpu_fraction", "GC CPU", lambda m: m.gc_cpu_fraction, _pct),
    ("assist_ns", "mark assist time", lambda m: m.assist_ns, _ns),
    ("stw_total_ns", "STW total", lambda m: m.stw_total_ns, _ns),
    ("stw_max_ns", "STW max", lambda m: m.stw_max_ns, _ns),
    ("mmu_1ms", "MMU 1 ms", _mmu(1_000_000), lambda v: f"{v:.3f}"),
    ("mmu_10ms", "MMU 10 ms", _mmu(10_000_000), lambda v: f"{v:.3f}"),
    ("mmu_100ms", "MMU 100 ms", _mmu(100_000_000), lambda v: f"{v:.3f}"),
    ("heap_peak_bytes", "heap peak (HeapAlloc)", lambda m: m.heap_peak_bytes, _bytes),
    ("heap_goal_median_bytes", "heap goal median", lambda m: m.heap_goal_median_bytes, _bytes),
    ("mark_span_objects", "objects marked from spans (Green Tea)", lambda m: m.mark_span_objects, _count),
    ("mark_queue_objects", "objects marked via the object queue", lambda m: m.mark_queue_objects, _count),
    (
        "mark_spans_per_object",
        "span dequeues per span object",
        lambda m: m.mark_span_dequeues / m.mark_span_objects if m.mark_span_objects else None,
        lambda v: f"{v:.3f}",
    ),
    (
        "mark_bytes_per_dequeue",
        "span bytes scanned per dequeue",
        lambda m: m.mark_span_bytes / m.mark_span_dequeues if m.mark_span_dequeues else None,
        _bytes,
    ),
)


def ratio(a, b) -> float | None:
    """b / a; None when it means nothing (a missing value, or a is 0 and b is not)."""
    if a is None or b is None:
        return None
    if a == 0:
        return 1.0 if b == 0 else None
    return b / a


def _ratio_text(a, b) -> str:
    if a is not None and a == b:
        return "="
    r = ratio(a, b)
    return "—" if r is None else f"{r:.3g}×"


def side_title(s: Side) -> str:
    r = s.resolved
    gogc = "off" if r["gogc"] in (None, -1) else r["gogc"]
    memlimit = "off" if r["memlimit"] in (None, -1) or r["memlimit"] >= 1 << 62 else _bytes(r["memlimit"])
    asked = " ".join(s.asked) or "as the scenario says"
    text = (
        f"**{s.label.upper()}** ({asked}): {r['scenario']} · policy {r['policy']} · "
        f"GOMAXPROCS {r['procs']} · GOGC {gogc} · GOMEMLIMIT {memlimit} · seed {r['seed']} · "
        f"{_ns(s.metrics.duration_ns)} ({s.end_reason})"
    )
    if s.error and s.error.strip().splitlines()[-1] != s.end_reason:
        text += f" · error: {s.error.strip().splitlines()[-1]}"
    return text


def markdown(sides: list[Side]) -> str:
    """The sides' titles, then | metric | A | B | (C |) B/A | (C/A |)."""
    head = ["metric", *(s.label.upper() for s in sides), *(f"{s.label.upper()}/A" for s in sides[1:])]
    lines = [side_title(s) + "  " for s in sides]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "|".join(["---", *["---:"] * (len(head) - 1)]) + "|"]
    for _, label, get, fmt in ROWS:
        vals = [get(s.metrics) for s in sides]
        cells = ["—" if v is None else fmt(v) for v in vals]
        rats = [_ratio_text(vals[0], v) for v in vals[1:]]
        lines.append("| " + " | ".join([label, *cells, *rats]) + " |")
    return "\n".join(lines)


def as_json(sides: list[Side]) -> dict:
    """Every side's settings and full metrics, the table's values and the ratios to A."""
    a = sides[0]
    out: dict = {}
    for s in sides:
        out[s.label] = {
            "scenario": s.scenario,
            "settings": list(s.asked),
            "resolved": s.resolved,
            "end_reason": s.end_reason,
            "error": s.error,
            "warning": s.warning,
            "table": {key: get(s.metrics) for key, _, get, _ in ROWS},
            "metrics": s.metrics.as_dict(),
        }
    out["ratio"] = {
        f"{s.label}/a": {key: ratio(get(a.metrics), get(s.metrics)) for key, _, get, _ in ROWS}
        for s in sides[1:]
    }
    return out


# --- built-in comparisons ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    name: str
    summary: str
    scenario: str
    sides: tuple[tuple[str, ...], ...]  # KEY=VALUE lists, A first
    duration: str | None = None


def builtin_comparisons() -> dict[str, Comparison]:
    """resources/comparisons.toml, by name."""
    text = (importlib.resources.files("gmpviz") / "resources" / "comparisons.toml").read_text("utf-8")
    out = {}
    for name, t in tomllib.loads(text).items():
        sides = tuple(tuple(t[k]) for k in SIDE_NAMES if k in t)
        out[name] = Comparison(name, t["summary"], t["scenario"], sides, t.get("duration"))
    return out
