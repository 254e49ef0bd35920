"""Test support: a deterministic synthetic event stream and a stand-in engine (`gmpviz.session.EngineLike`).

For tests and benchmarks of the model and the window (benchmarks/bench_ui.py imports it from here):
it produces plausible scheduler, GC and allocator events fast (vectorised), so a benchmark can reach
a million timeline segments in a second. It is NOT an emulation of the runtime: that is
gmpviz.core.engine.Engine, the only engine in the package.
"""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import GO_VERSION, MS, US
from gmpviz.core.trace.events import (
    EV,
    EVENT_DTYPE,
    PATH_SMALL,
    SRC_LOCAL,
    STW_GC_MARK_TERM,
    STW_GC_SWEEP_TERM,
    STW_GOMAXPROCS,
    WAIT_CHAN_RECV,
    WHERE_LOCAL,
    WORKER_DEDICATED,
    alloc_code,
)
from gmpviz.core.trace.stats import COUNTERS_DTYPE

# pair kinds: what a P does between two events
_RUN, _SYSCALL, _SPIN, _GCW = 0, 1, 2, 3


def _rows(n: int) -> np.ndarray:
    return np.zeros(n, dtype=EVENT_DTYPE)


def synth_events(
    duration_ns: int,
    nprocs: int = 4,
    ngoroutines: int = 64,
    groups: int = 3,
    seed: int = 1,
    mean_run_ns: int = 20 * US,
) -> np.ndarray:
    """Events for `nprocs` Ps over [0, duration_ns], sorted by time. About 2 segments per mean_run_ns."""
    rng = np.random.default_rng(seed)
    parts = [_creates(ngoroutines, groups)]
    for p in range(nprocs):
        parts.append(_proc_stream(rng, p, duration_ns, ngoroutines, mean_run_ns))
    parts.append(_gc_stream(duration_ns))
    parts.append(_span_stream(rng, duration_ns, nprocs))
    ev = np.concatenate(parts)
    ev = ev[np.argsort(ev["t_ns"], kind="stable")]
    return ev[ev["t_ns"] <= duration_ns]


def _creates(n: int, groups: int) -> np.ndarray:
    ev = _rows(n + 1)
    ev["kind"][0] = EV.ProcResize
    ev["p"] = -1
    ev["m"] = -1
    ev["kind"][1:] = EV.GoCreate
    ev["g"][1:] = np.arange(1, n + 1)
    ev["a1"][1:] = np.arange(n) % max(groups, 1)
    return ev


def _proc_stream(rng, p: int, duration_ns: int, ngoroutines: int, mean_run_ns: int) -> np.ndarray:
    npairs = max(int(duration_ns / (2 * mean_run_ns)) + 1, 1)
    kind = rng.choice(4, size=npairs, p=[0.8, 0.08, 0.08, 0.04])
    g = rng.integers(1, ngoroutines + 1, size=npairs)
    work = rng.exponential(mean_run_ns, size=npairs).astype(np.int64) + 100
    gap = rng.exponential(mean_run_ns / 4, size=npairs).astype(np.int64) + 50
    t_start = np.cumsum(np.r_[0, (work + gap)[:-1]]) + p * 10
    ev = _rows(4 * npairs)
    ev["p"] = p
    ev["m"] = p
    start_kind = np.select(
        [kind == _RUN, kind == _SYSCALL, kind == _SPIN],
        [EV.GoStart, EV.GoStart, EV.MSpinBegin],
        EV.GCWorkerBegin,
    )  # noqa: E501
    end_kind = np.select(
        [kind == _RUN, kind == _SYSCALL, kind == _SPIN], [EV.GoBlock, EV.GoStop, EV.MSpinEnd], EV.GCWorkerEnd
    )  # noqa: E501
    # slot 0 start, 1 syscall begin (syscall pairs only), 2 syscall end, 3 end; unused slots dropped
    ev["kind"][0::4] = start_kind
    ev["t_ns"][0::4] = t_start
    ev["g"][0::4] = np.where(kind <= _SYSCALL, g, 0)
    ev["a0"][0::4] = np.where(kind == _GCW, WORKER_DEDICATED, 0)
    ev["kind"][1::4] = EV.GoSyscallBegin
    ev["t_ns"][1::4] = t_start + work // 4
    ev["g"][1::4] = g
    ev["kind"][2::4] = EV.GoSyscallEnd
    ev["t_ns"][2::4] = t_start + 3 * work // 4
    ev["g"][2::4] = g
    ev["kind"][3::4] = end_kind
    ev["t_ns"][3::4] = t_start + work
    ev["g"][3::4] = np.where(kind <= _SYSCALL, g, 0)
    ev["a0"][3::4] = np.where(kind == _RUN, WAIT_CHAN_RECV, 0)
    keep = np.ones(4 * npairs, dtype=bool)
    keep[1::4] = kind == _SYSCALL
    keep[2::4] = kind == _SYSCALL
    ev = ev[keep]
    # a run queue put/get pair before each run, a steal now and then
    runs = ev[ev["kind"] == EV.GoStart]
    q = _rows(2 * len(runs))
    q["p"], q["m"] = p, p
    q["kind"][0::2], q["kind"][1::2] = EV.RunqPut, EV.RunqGet
    q["t_ns"][0::2], q["t_ns"][1::2] = runs["t_ns"] - 40, runs["t_ns"] - 1
    q["g"][0::2], q["g"][1::2] = runs["g"], runs["g"]
    q["a0"][0::2], q["a0"][1::2] = WHERE_LOCAL, SRC_LOCAL
    q["a1"][0::2] = 1
    st = runs[::50]
    steal = _rows(len(st))
    steal["kind"], steal["t_ns"], steal["p"], steal["m"] = EV.ProcSteal, st["t_ns"] - 2, p, p
    steal["a0"], steal["a1"] = (p + 1) % 8, 0
    return np.concatenate([ev, q, steal])


def _gc_stream(duration_ns: int) -> np.ndarray:
    """A GC cycle every 50 ms: sweep-termination STW, mark, mark-termination STW."""
    starts = np.arange(20 * MS, duration_ns, 50 * MS, dtype=np.int64)
    n = len(starts)
    ev = _rows(8 * n)
    ev["p"], ev["m"] = -1, -1
    off = np.array([0, 30 * US, 31 * US, 32 * US, 10 * MS, 10 * MS + 1, 10 * MS + 60 * US, 10 * MS + 61 * US])
    kinds = [
        EV.GCBegin,
        EV.STWBegin,
        EV.STWEnd,
        EV.GCMarkBegin,
        EV.GCMarkDone,
        EV.STWBegin,
        EV.STWEnd,
        EV.GCEnd,
    ]
    for j, (o, k) in enumerate(zip(off, kinds)):
        ev["t_ns"][j::8] = starts + o
        ev["kind"][j::8] = k
        ev["a0"][j::8] = (
            np.arange(1, n + 1) if k in (EV.GCBegin, EV.GCMarkBegin, EV.GCMarkDone, EV.GCEnd) else 0
        )
    ev["a0"][1::8] = ev["a0"][2::8] = STW_GC_SWEEP_TERM
    ev["a0"][5::8] = ev["a0"][6::8] = STW_GC_MARK_TERM
    ev["a1"][2::8] = 30 * US
    ev["a1"][6::8] = 60 * US
    return ev


def _span_stream(rng, duration_ns: int, nprocs: int, nspans: int = 600) -> np.ndarray:
    t = np.sort(rng.integers(0, max(duration_ns // 2, 1), size=nspans))
    sc = rng.integers(1, 68, size=nspans)
    spanclass = sc << 1 | 1
    ev = _rows(4 * nspans)
    span = np.arange(1, nspans + 1)
    p = span % nprocs
    ev["kind"][0::4], ev["t_ns"][0::4], ev["a0"][0::4], ev["a1"][0::4], ev["a2"][0::4] = (
        EV.SpanAlloc, t, span, spanclass, 1,
    )  # fmt: skip
    ev["kind"][1::4], ev["t_ns"][1::4], ev["a0"][1::4], ev["a1"][1::4], ev["p"][1::4] = (
        EV.SpanCache, t + 1, span, spanclass, p,
    )  # fmt: skip
    count = rng.integers(1, 200, size=nspans)
    ev["kind"][2::4], ev["t_ns"][2::4], ev["p"][2::4] = EV.Alloc, t + 2, p
    ev["a0"][2::4] = alloc_code(PATH_SMALL, sc, 1, span)
    ev["a1"][2::4] = count
    uncache = rng.random(nspans) < 0.6
    ev["kind"][3::4], ev["t_ns"][3::4], ev["a0"][3::4], ev["a1"][3::4] = (
        EV.SpanUncache,
        t + 3 + duration_ns // 4,
        span,
        spanclass,
    )  # noqa: E501
    ev["m"] = -1
    keep = np.ones(4 * nspans, dtype=bool)
    keep[3::4] = uncache
    return ev[keep]


class SyntheticEngine:
    """Plays `synth_events` as an EngineLike (run_until, drain, counters, apply ...)."""

    def __init__(
        self, duration_ns: int = 200 * MS, procs: int = 4, seed: int = 1, groups=("main", "worker", "io")
    ):
        self.duration_ns = duration_ns
        self.gomaxprocs = procs
        self.seed = seed
        self.groups = tuple(groups)
        self._ev = synth_events(duration_ns, nprocs=8, groups=len(groups), seed=seed)
        self._ev["a1"][self._ev["kind"] == EV.ProcResize] = procs
        self._t = np.ascontiguousarray(self._ev["t_ns"])  # searchsorted on a strided view copies it
        self._i = 0
        self._pending: list[np.ndarray] = []
        self.now_ns = 0
        self.done = False
        self.error: str | None = None
        self.applied: list[tuple] = []
        self.gogc = 100
        self.policy = "go"

    def _emit(self, ev: np.ndarray) -> None:
        ev = ev[(ev["p"] < self.gomaxprocs) | (ev["kind"] == EV.ProcResize)]
        if len(ev):
            self._pending.append(ev)

    def run_until(self, t_ns: int, max_events: int | None = None) -> int:
        t_ns = min(int(t_ns), self.duration_ns)
        j = int(np.searchsorted(self._t, t_ns, side="right"))
        if max_events is not None:
            j = min(j, self._i + max(int(max_events), 1))
        chunk = self._ev[self._i : j]
        self._i = j
        self._emit(chunk)
        self.now_ns = t_ns if j < len(self._ev) and (max_events is None or len(chunk) < max_events) else (
            int(chunk["t_ns"][-1]) if len(chunk) else t_ns
        )  # fmt: skip
        if self._i >= len(self._ev) or self.now_ns >= self.duration_ns:
            self.now_ns = self.duration_ns
            self.done = True
        return len(chunk)

    def step_event(self) -> int:
        if self._i >= len(self._ev):
            self.done = True
            return 0
        chunk = self._ev[self._i : self._i + 1]
        self._i += 1
        self.now_ns = int(chunk["t_ns"][0])
        self._emit(chunk)
        return 1

    def drain(self) -> np.ndarray:
        if not self._pending:
            return np.zeros(0, dtype=EVENT_DTYPE)
        out = np.concatenate(self._pending)
        self._pending.clear()
        return out

    def counters(self) -> np.ndarray:
        c = np.zeros(1, dtype=COUNTERS_DTYPE)
        t = self.now_ns
        c["t_ns"] = t
        c["gomaxprocs"] = self.gomaxprocs
        c["ngoroutines"] = 64
        c["n_running"] = self.gomaxprocs
        c["n_runnable"] = 10 + (t // MS) % 7
        c["n_waiting"] = 64 - self.gomaxprocs - c["n_runnable"]
        phase = (t % (50 * MS)) / (50 * MS)
        c["heap_alloc"] = int((4 + 4 * phase) * (1 << 20))
        c["heap_live"] = c["heap_alloc"]
        c["heap_goal"] = 8 << 20
        c["heap_trigger"] = 7 << 20
        c["heap_sys"] = 12 << 20
        c["heap_released"] = 1 << 20
        c["stack_inuse"] = 256 << 10
        c["gc_cpu_fraction"] = 0.02
        c["events_total"] = self._i
        return c

    def apply(self, cmd: tuple) -> None:
        name, value = cmd
        self.applied.append(cmd)
        if name == "gomaxprocs":
            old, self.gomaxprocs = self.gomaxprocs, int(value)
            ev = np.zeros(4, dtype=EVENT_DTYPE)
            ev["t_ns"] = self.now_ns
            ev["kind"] = [EV.STWBegin, EV.ProcResize, EV.STWEnd, EV.ProcStart]
            ev["p"], ev["m"] = -1, -1
            ev["a0"] = [STW_GOMAXPROCS, old, STW_GOMAXPROCS, 0]
            ev["a1"][1] = self.gomaxprocs
            self._pending.append(ev)
        elif name == "gogc":
            self.gogc = int(value)
        elif name == "policy":
            self.policy = str(value)
        elif name != "memlimit":
            raise ValueError(f"unknown command {name!r}")

    def assumptions(self) -> list[str]:
        return [f"synthetic events ({GO_VERSION} event kinds), not an emulation"]


# --- module-level factories an engine process can unpickle (core/process.py) -------------------------
def synthetic_factory(scenario=None, duration_ns: int = 100 * MS, procs: int | None = None, **_kw):
    """EngineProcess(synthetic_factory, ...): a SyntheticEngine in the child process."""
    return SyntheticEngine(duration_ns=duration_ns or 100 * MS, procs=procs or 4)


class _BrokenEngine(SyntheticEngine):
    def run_until(self, t_ns, max_events=None):
        if self.now_ns > 2 * MS:
            raise KeyError("runq corrupted")
        return super().run_until(t_ns, max_events)


def broken_factory(scenario=None, **_kw):
    """An engine that raises inside run_until after 2 ms (a gmpviz bug as the window sees it)."""
    return _BrokenEngine(duration_ns=100 * MS)


class _FailingEngine(SyntheticEngine):
    def run_until(self, t_ns, max_events=None):
        n = super().run_until(min(t_ns, 3 * MS), max_events)
        if self.now_ns >= 3 * MS:
            self.done, self.error = True, "fatal error: all goroutines are asleep - deadlock!"
        return n


def deadlock_factory(scenario=None, **_kw):
    """An engine whose emulated program dies at 3 ms (Engine.error, as a deadlock or an OOM)."""
    return _FailingEngine(duration_ns=100 * MS)


def refusing_factory(scenario=None, **_kw):
    raise ValueError("GOMAXPROCS must be at least 1, got 0")
