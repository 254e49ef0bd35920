"""Qt-free views derived from the event stream: timelines, counters, run queues, spans, G table.

`Model.apply(events)` folds a batch (oldest first); `Model.add_counters(rows)` appends COUNTERS rows.
Views read the model; they never touch the engine.
"""

from __future__ import annotations

import numpy as np

from .counters import CounterSeries, GCHistory, RunqHistory
from .eventlog import EventLog
from .metrics import LiveMetrics
from .spans import SpanTable
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
)


MTL_FOLD_EVENTS = 200_000  # M lanes fold lazily, at the latest after this many events
METRICS_FOLD_EVENTS = 50_000  # the live metrics (MMU, latency) too, in smaller folds (~5 ms each)


class Model:
    """Everything the views read, folded from events and counters."""

    def __init__(self, groups: tuple[str, ...] = ("main",), log_capacity: int = 1 << 20) -> None:
        self.groups = tuple(groups)
        self.state = RuntimeState()
        self.ptl = Timeline("p")
        self._mtl = Timeline("m")
        self._mtl_pending: list[np.ndarray] = []
        self._mtl_pending_n = 0
        self._metrics = LiveMetrics()
        self._metrics_pending: list[np.ndarray] = []
        self._metrics_pending_n = 0
        self.spans = SpanTable()
        self.counters = CounterSeries()
        self.gc = GCHistory()
        self.log = EventLog(log_capacity)
        self.runq_hist = RunqHistory()
        self.now_ns = 0
        self.events_total = 0

    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        self.state.apply(ev)  # first: GoCreate assigns the groups the timelines colour by
        group_of = self.state.group_of
        self.ptl.apply(ev, group_of)
        # the M lanes are shown on demand: fold them in big batches (cheaper per event) or when read
        self._mtl_pending.append(ev)
        self._mtl_pending_n += len(ev)
        self._mtl_group_of = group_of  # covers every G of the pending events (groups never change)
        if self._mtl_pending_n >= MTL_FOLD_EVENTS:
            self._fold_mtl()
        self._metrics_pending.append(ev)  # shown on demand too: folded in big batches or when read
        self._metrics_pending_n += len(ev)
        if self._metrics_pending_n >= METRICS_FOLD_EVENTS:
            self._fold_metrics()
        self.spans.apply(ev)
        self.gc.apply(ev)
        self.runq_hist.apply(ev)
        self.log.append(ev)
        self.events_total += len(ev)
        self.advance(int(ev["t_ns"][-1]))

    def add_counters(self, rows: np.ndarray) -> None:
        rows = np.atleast_1d(rows)
        if len(rows):
            self.counters.append(rows)
            self.advance(int(rows["t_ns"][-1]))

    def advance(self, now_ns: int) -> None:
        if now_ns > self.now_ns:
            self.now_ns = now_ns
        self.ptl.advance(self.now_ns)
        self._mtl.advance(self.now_ns)

    @property
    def mtl(self) -> Timeline:
        """Per-M lanes, folded up to the last applied event."""
        if self._mtl_pending:
            self._fold_mtl()
        return self._mtl

    @property
    def metrics(self) -> LiveMetrics:
        """MMU and scheduling latency, folded up to the last applied event and advanced to now."""
        if self._metrics_pending:
            self._fold_metrics()
        self._metrics.advance(self.now_ns)
        return self._metrics

    def _fold_metrics(self) -> None:
        ev = self._metrics_pending
        self._metrics_pending, self._metrics_pending_n = [], 0
        self._metrics.apply(np.concatenate(ev) if len(ev) > 1 else ev[0])

    def _fold_mtl(self) -> None:
        ev = np.concatenate(self._mtl_pending) if len(self._mtl_pending) > 1 else self._mtl_pending[0]
        self._mtl_pending, self._mtl_pending_n = [], 0
        self._mtl.apply(ev, self._mtl_group_of)

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
        self._metrics, self._metrics_pending, self._metrics_pending_n = LiveMetrics(), [], 0
