"""Qt-free views derived from the event stream: timelines, counters, run queues, spans, G table.

`Model.apply(events)` folds a batch (oldest first) into the folds it was built from (`folds.py`);
`Model.add_counters(rows)` appends COUNTERS rows.
Views read the model; they never touch the engine.
"""

from __future__ import annotations

import numpy as np

from .compact import ASSUMPTIONS as _COMPACT_ASSUMPTIONS
from .counters import CounterSeries, GCHistory, RunqHistory
from .cpus import ASSUMPTIONS as _CPU_ASSUMPTIONS
from .cpus import CPULanes
from .eventlog import EventLog
from .folds import (
    MTL_FOLD_EVENTS,
    Fold,
    FoldSet,
    GroupsFold,
    LazyFold,
    LazyLaneFold,
    LazyMetricsFold,
    VerdictsFold,
    every_view,
)
from .markqueue import MarkQueueFold
from .metrics import LiveMetrics
from .spans import MARK_VIEW_ASSUMPTIONS, SpanTable
from .state import RuntimeState
from .timeline import Timeline

ASSUMPTIONS = (
    "Timeline lanes show the dominant state of each pixel's time span; shorter spans are merged.",
    "Stop-the-world is drawn over every live lane, taking its share of each pixel's time from the "
    "lane's own states in proportion (the lanes' own events during a pause are kept underneath).",
    "Run queue contents are replayed from RunqPut/RunqGet/steal/spill events and re-synchronised on "
    "the lengths those events carry when they disagree.",
    "The event log keeps the most recent ~1M events in memory (recordings keep all of them).",
    "Scheduling latency counts every runnable -> running transition (the runtime samples 1 in 8 for "
    "/sched/latencies:seconds); the live view's percentiles are its histogram buckets' upper edges.",
    *_COMPACT_ASSUMPTIONS,
    *MARK_VIEW_ASSUMPTIONS,
    *_CPU_ASSUMPTIONS,
)

COMPACT_EVERY_EVENTS = 250_000  # a live model with `compact_history` bounds its histories this often

__all__ = ["MTL_FOLD_EVENTS", "Model"]


class _FoldedTable:
    """A Model attribute backed by ``_<name>``: reading it goes through Model._folded, assigning it
    through Model._replace (one descriptor for the five dock tables, not five property pairs)."""

    def __set_name__(self, owner, name: str) -> None:
        self.attr = "_" + name

    def __get__(self, model, owner=None):
        if model is None:
            return self
        return model._folded(getattr(model, self.attr))

    def __set__(self, model, table) -> None:
        model._replace(self.attr, table)


class Model:
    """Everything the views read, folded from events and counters.

    `apply` feeds a batch to the folds `folds(self)` lists (folds.every_view by default: every
    table; folds.histories for a replay's whole-run histories)."""

    def __init__(
        self, groups: tuple[str, ...] = ("main",), log_capacity: int = 1 << 20, folds: FoldSet = every_view
    ) -> None:
        self.groups = tuple(groups)
        #: the tables the docks read, through the properties below (a lazy fold flushes first)
        self._state = RuntimeState()
        self._spans = SpanTable()
        self._gc = GCHistory()
        self._log = EventLog(log_capacity)
        self._runq_hist = RunqHistory()
        self._lazy_of: dict[int, LazyFold] = {}
        #: each goid's group (GoCreate), which the lanes colour by: folded every batch, cheaply
        self.group_fold = GroupsFold()
        self.ptl = Timeline("p")
        self.mtl_lanes = Timeline("m")  # read through `mtl`: folded lazily
        self.metrics_fold = LiveMetrics()  # read through `metrics`: folded lazily
        self.counters = CounterSeries()
        self.verdicts = VerdictsFold()
        self.markq = MarkQueueFold()  # Green Tea's span queues and what mark workers scan
        self.now_ns = 0
        self.events_total = 0
        # the live window sets this: keep recent history exact and older history coarse
        # (model/compact.py), so an hour-long run stays within a bounded memory
        self.compact_history = False
        self._since_compact = 0
        self.folds: tuple[Fold, ...] = tuple(folds(self))
        self._lazy = tuple(f for f in self.folds if isinstance(f, LazyLaneFold))
        self._lazy_metrics = tuple(f for f in self.folds if isinstance(f, LazyMetricsFold))
        docks = [f for f in self.folds if isinstance(f, LazyFold) and not isinstance(f, LazyMetricsFold)]
        self._lazy_of = {id(f.target): f for f in docks}

    def _folded(self, table):
        """`table` with every event applied so far (its lazy fold, if it has one, flushed)."""
        f = self._lazy_of.get(id(table))
        if f is not None:
            f.flush()
        return table

    def _replace(self, name: str, table) -> None:
        """Another table in place of one (a replay's cursor restores its state from a keyframe): its
        lazy fold folds into the new one from now on, and what was pending for the old is dropped."""
        f = self._lazy_of.pop(id(getattr(self, name)), None)
        if f is not None:
            f.reset(table)
            self._lazy_of[id(table)] = f
        setattr(self, name, table)

    # the dock tables: read through their lazy folds (a read applies the pending events first), set
    # by replacing the table (its fold moves to the new one)
    state: RuntimeState = _FoldedTable()  # type: ignore[assignment]
    spans: SpanTable = _FoldedTable()  # type: ignore[assignment]
    gc: GCHistory = _FoldedTable()  # type: ignore[assignment]
    log: EventLog = _FoldedTable()  # type: ignore[assignment]
    runq_hist: RunqHistory = _FoldedTable()  # type: ignore[assignment]

    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        for f in self.folds:
            f.apply(ev)
        self.events_total += len(ev)
        self.advance(int(ev["t_ns"][-1]))
        if self.compact_history:
            self._since_compact += len(ev)
            if self._since_compact >= COMPACT_EVERY_EVENTS:
                from .compact import compact

                self._since_compact = 0
                compact(self)

    def add_counters(self, rows: np.ndarray) -> None:
        rows = np.atleast_1d(rows)
        if len(rows):
            self.counters.append(rows)
            self.advance(int(rows["t_ns"][-1]))

    def advance(self, now_ns: int) -> None:
        if now_ns > self.now_ns:
            self.now_ns = now_ns
        self.ptl.advance(self.now_ns)
        self.mtl_lanes.advance(self.now_ns)

    @property
    def mtl(self) -> Timeline:
        """Per-M lanes, folded up to the last applied event."""
        for f in self._lazy:
            f.flush()
        return self.mtl_lanes

    def cpus(self, ncpu: int) -> CPULanes:
        """The CPU lanes (model/cpus.py) packed from the M lanes, rebuilt when they changed."""
        mtl = self.mtl
        key = (mtl.version, int(ncpu))
        cached = getattr(self, "_cpus", None)
        if cached is None or cached[0] != key:
            cached = self._cpus = (key, CPULanes(mtl, ncpu))
        return cached[1]

    @property
    def metrics(self) -> LiveMetrics:
        """MMU and scheduling latency, folded up to the last applied event and advanced to now."""
        for f in self._lazy_metrics:
            f.flush()
        self.metrics_fold.advance(self.now_ns)
        return self.metrics_fold

    def snapshot(self) -> dict[str, np.ndarray]:
        """Keyframe of the current state (G/P/M, queues, spans) as a dict of numpy arrays."""
        snap = self.state.snapshot()
        snap.update(self.spans.snapshot())
        return snap

    def restore(self, snap: dict[str, np.ndarray]) -> None:
        self.state.restore(snap)
        self.spans.restore(snap)
        self.now_ns = self.state.now_ns
        # a keyframe holds no metrics history: they start over from here
        self.metrics_fold = LiveMetrics()
        for f in self._lazy_metrics:
            f.reset(self.metrics_fold)
