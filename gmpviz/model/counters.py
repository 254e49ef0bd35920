"""Time series of the engine's COUNTERS rows, plus GC cycles and STW pauses folded from events."""

from __future__ import annotations

import numpy as np

from ..core.trace.events import EV, per_kind
from ..core.trace.stats import COUNTERS_DTYPE
from ._grow import Columns

# plain ints and per-kind tables: an IntEnum attribute costs a class lookup on every use
_STW_BEGIN, _HEAP_GOAL, _STW_END = int(EV.STWBegin), int(EV.HeapGoal), int(EV.STWEnd)
_GC_BEGIN, _GC_MARK_BEGIN, _GC_MARK_DONE, _GC_END = (
    int(EV.GCBegin),
    int(EV.GCMarkBegin),
    int(EV.GCMarkDone),
    int(EV.GCEnd),
)
# run queue history: 1 = the event's P ring length in a1, 2 = the global queue's (SPEC's a1 field type)
_RUNQ_LEN_OF = per_kind(
    lambda sp: {"local_len": 1, "global_len": 2}.get(sp.args[1].type) if len(sp.args) > 1 else None,
    fill=0,
    dtype=np.uint8,
)


def thin_max(t: np.ndarray, v: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) thinned to about max_points: each bucket's first time and its maximum (peaks stay)."""
    n = len(t)
    if n <= max_points:
        return t, v
    step = -(-n // max_points)
    m = n // step * step
    return np.r_[t[:m:step], t[m:]], np.r_[v[:m].reshape(-1, step).max(axis=1), v[m:]]


class CounterSeries:
    """Chunked (doubling) columns, one per COUNTERS_DTYPE field; one row per engine slice."""

    def __init__(self) -> None:
        self.cols = Columns({name: COUNTERS_DTYPE[name] for name in COUNTERS_DTYPE.names})
        self.version = 0

    def __len__(self) -> int:
        return self.cols.n

    def append(self, rows: np.ndarray) -> None:
        rows = np.atleast_1d(rows)
        if len(rows) == 0:
            return
        self.version += 1
        self.cols.extend(len(rows), *[rows[name] for name in COUNTERS_DTYPE.names])

    def col(self, name: str) -> np.ndarray:
        return self.cols.col(name)

    def last(self) -> np.ndarray:
        """The latest row (zeros before the first)."""
        out = np.zeros(1, dtype=COUNTERS_DTYPE)
        if self.cols.n:
            for name in COUNTERS_DTYPE.names:
                out[name] = self.cols.col(name)[-1]
        return out

    def decimated(self, name: str, max_points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, values) thinned to about max_points, keeping each bucket's maximum (peaks stay)."""
        return thin_max(self.col("t_ns"), self.col(name), max_points)


class GCHistory:
    """GC cycles (phase boundaries) and stop-the-world pauses, from GC*/STW* events."""

    def __init__(self) -> None:
        self.cycles = Columns(
            {"cycle": "<i8", "begin_ns": "<i8", "mark_ns": "<i8", "markdone_ns": "<i8", "end_ns": "<i8"}, 64
        )
        self.pauses = Columns({"start_ns": "<i8", "duration_ns": "<i8", "reason": "<i2"}, 64)
        self.heap_goal = Columns({"t_ns": "<i8", "goal": "<i8", "trigger": "<i8"}, 64)
        self._open: list[int] | None = None  # cycle, begin, mark, markdone
        self.version = 0

    def apply(self, ev: np.ndarray) -> None:
        kind = ev["kind"]
        sel = np.flatnonzero((kind >= _STW_BEGIN) & (kind <= _HEAP_GOAL))
        if len(sel) == 0:
            return
        self.version += 1
        e = ev[sel]
        hg = e[e["kind"] == _HEAP_GOAL]
        if len(hg):
            self.heap_goal.append(t_ns=hg["t_ns"], goal=hg["a0"], trigger=hg["a1"])
        stw = e[e["kind"] == _STW_END]
        if len(stw):
            self.pauses.append(start_ns=stw["t_ns"] - stw["a1"], duration_ns=stw["a1"], reason=stw["a0"])
        for t, k, a0 in zip(e["t_ns"].tolist(), e["kind"].tolist(), e["a0"].tolist()):
            if k == _GC_BEGIN:
                self._open = [a0, t, -1, -1]
            elif self._open is None:
                continue
            elif k == _GC_MARK_BEGIN:
                self._open[2] = t
            elif k == _GC_MARK_DONE:
                self._open[3] = t
            elif k == _GC_END:
                c, b, mk, md = self._open
                self.cycles.append(cycle=c, begin_ns=b, mark_ns=mk, markdone_ns=md, end_ns=t)
                self._open = None

    def all_cycles(self, now_ns: int) -> dict[str, np.ndarray]:
        """Closed cycles plus the running one (ending now)."""
        out = {k: self.cycles.col(k) for k in ("cycle", "begin_ns", "mark_ns", "markdone_ns", "end_ns")}
        if self._open is not None:
            c, b, mk, md = self._open
            for k, v in zip(
                ("cycle", "begin_ns", "mark_ns", "markdone_ns", "end_ns"), (c, b, mk, md, now_ns)
            ):
                out[k] = np.append(out[k], v)
        return out


class RunqHistory:
    """Run queue lengths over time, exact: every RunqPut/RunqGet carries its P's ring length after,
    every GlobRunqPut/GlobRunqGet/RunqSpill the global queue length after. ``p == -1`` is global."""

    def __init__(self) -> None:
        self.cols = Columns({"t_ns": "<i8", "p": "<i2", "len": "<i4"})
        self.nprocs = 0
        self.version = 0
        self._per_p: dict[int, Columns] = {}  # the same rows split by P, so series(p) never scans all
        self._thin: dict[int, tuple] = {}  # p -> (step, max_points, thinned Columns, rows consumed)

    def apply(self, ev: np.ndarray) -> None:
        which = _RUNQ_LEN_OF[ev["kind"]]
        sel = np.flatnonzero(which)
        if len(sel) == 0:
            return
        p = np.where(which[sel] == 1, ev["p"][sel], -1)
        t, n = ev["t_ns"][sel], ev["a1"][sel]
        self.cols.extend(len(sel), t, p, n)
        order = np.argsort(p, kind="stable")
        ps = p[order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        per_p = self._per_p
        for q, a, b in zip(ps[starts].tolist(), starts.tolist(), np.r_[starts[1:], len(order)].tolist()):
            rows = order[a:b]
            cols = per_p.get(q)
            if cols is None:
                cols = per_p[q] = Columns({"t_ns": "<i8", "len": "<i4"})
            cols.extend(b - a, t[rows], n[rows])
        self.nprocs = max(self.nprocs, int(ps[-1]) + 1)
        self.version += 1

    def series(self, p: int, max_points: int = 3000) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, length) of P ``p`` (-1: global), thinned keeping each bucket's maximum.

        Buckets are a power of two rows wide, so the thinned prefix only grows (it is rebuilt when
        the history doubles): a refresh thins the new rows, not the whole history."""
        cols = self._per_p.get(p)
        if cols is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        t, v = cols.col("t_ns"), cols.col("len")
        n = len(t)
        if n <= max_points:
            return t, v
        step = 1 << int(np.ceil(np.log2(n / max_points)))
        m = n // step * step
        cached = self._thin.get(p)
        if cached is None or cached[:2] != (step, max_points):
            thin = Columns({"t_ns": "<i8", "len": "<i4"}, max_points + 1)
            done = 0
        else:
            _, _, thin, done = cached
        if m > done:
            thin.append(t_ns=t[done:m:step], len=v[done:m].reshape(-1, step).max(axis=1))
        self._thin[p] = (step, max_points, thin, m)
        return np.r_[thin.col("t_ns"), t[m:]], np.r_[thin.col("len"), v[m:]]
