"""Folds: what `Model.apply` feeds a batch of events to, in order.

A fold is anything with ``apply(events)`` (oldest first). The model is built from a fold set, a
function of the model that lists its folds, so a consumer chooses what a batch updates by choosing
the set, never by swapping tables around a call:

* `every_view`: every table folds every event (the live window, headless models, keyframes);
* `histories`: only the whole-run histories (timelines, GC cycles, run queue lengths) fold; the
  view state at a cursor (G/P/M status, run queues, spans, event log) is left to its owner
  (`record.replay.Replay` restores it from keyframes). The timelines take their goroutine groups
  from a `GroupsFold`, which keeps nothing else of the runtime state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..core.trace.events import EV
from ._grow import concat_records
from .state import RuntimeState
from .timeline import Timeline

if TYPE_CHECKING:
    from . import Model

# M lanes fold lazily, at the latest after this many events. A fold costs the same per event from
# ~5k events a batch up (measured on `default`: 0.10-0.13 µs an event at 20k and at 200k), so the
# limit only sets how long one fold takes: at 200k it was a 20 ms frame every ~35 frames of a
# max-speed window (two frames lost), at 20k it is 2-3 ms every ~4 frames
MTL_FOLD_EVENTS = 20_000
METRICS_FOLD_EVENTS = 20_000  # the live metrics (MMU, latency) too (~2 ms a fold)
# the tables only the docks read (runtime state, spans, run queue and GC histories, the event log)
# fold in batches of up to this many events, or when read: a dock reads them a few times a second,
# and a table folded once per frame paid its per-call cost (a few dozen numpy calls) 60 times a
# second: the runtime state costs 150 ns an event in a frame's 4,800 events, 100 ns in 20,000
DOCK_FOLD_EVENTS = 20_000
_GO_CREATE = int(EV.GoCreate)


class Fold(Protocol):
    def apply(self, ev: np.ndarray) -> None: ...


class Groups(Protocol):
    """A fold that knows each goid's group (GoCreate a1): RuntimeState or GroupsFold."""

    @property
    def group_of(self) -> np.ndarray: ...


FoldSet = Callable[["Model"], list[Fold]]


class LaneFold:
    """A timeline, coloured by the groups of `groups` (a fold listed before it)."""

    def __init__(self, timeline: Timeline, groups: Groups) -> None:
        self.timeline = timeline
        self.groups = groups

    def apply(self, ev: np.ndarray) -> None:
        self.timeline.apply(ev, self.groups.group_of)


class LazyLaneFold(LaneFold):
    """A timeline shown on demand (the M lanes): folded in big batches, cheaper per event, at the
    latest every `batch_events` events or when read (`flush`)."""

    def __init__(self, timeline: Timeline, groups: Groups, batch_events: int = MTL_FOLD_EVENTS) -> None:
        super().__init__(timeline, groups)
        self.batch_events = batch_events
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self._group_of: np.ndarray | None = None

    def apply(self, ev: np.ndarray) -> None:
        self._pending.append(ev)
        self._pending_n += len(ev)
        self._group_of = self.groups.group_of  # covers every G of the pending events (groups never change)
        if self._pending_n >= self.batch_events:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        ev = concat_records(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending, self._pending_n = [], 0
        self.timeline.apply(ev, self._group_of)


class LazyFold:
    """A fold (`target.apply`) that batches: folded every `batch_events` events or when read (`flush`:
    the model's properties flush before they hand the target out)."""

    def __init__(self, target, batch_events: int = DOCK_FOLD_EVENTS) -> None:
        self.target = target
        self.batch_events = batch_events
        self._pending: list[np.ndarray] = []
        self._pending_n = 0

    def apply(self, ev: np.ndarray) -> None:
        self._pending.append(ev)
        self._pending_n += len(ev)
        if self._pending_n >= self.batch_events:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        ev = concat_records(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending, self._pending_n = [], 0
        self.target.apply(ev)

    def reset(self, target) -> None:
        """Fold into `target` from now on, dropping what is pending."""
        self.target, self._pending, self._pending_n = target, [], 0


class LazyMetricsFold(LazyFold):
    """The live metrics (metrics.LiveMetrics: MMU, latency histogram), shown on demand: folded every
    `batch_events` events or when read (`flush`)."""

    def __init__(self, target, batch_events: int = METRICS_FOLD_EVENTS) -> None:
        super().__init__(target, batch_events)


class GroupsFold(RuntimeState):
    """The one thing the histories need from the runtime state: each goid's group (GoCreate a1),
    which the timelines colour by. A third of the cost of the full fold saved on every open."""

    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        self.events += len(ev)
        self.now_ns = max(self.now_ns, int(ev["t_ns"][-1]))
        c = ev[ev["kind"] == _GO_CREATE]
        if len(c):
            g = c["g"].astype(np.int64)
            self._need_g(int(g.max()) + 1)
            self.g_group[g] = c["a1"]


VERDICT_KINDS = (int(EV.OOMKill), int(EV.Deadlock))
VERDICT_TEXT = {int(EV.OOMKill): "OOM kill", int(EV.Deadlock): "deadlock: all goroutines are asleep"}
_IS_VERDICT = np.zeros(256, dtype=bool)
_IS_VERDICT[list(VERDICT_KINDS)] = True


class VerdictsFold:
    """The run's verdicts, where they happen: the OOM kill (the kernel's) and checkdead's deadlock,
    as (t_ns, kind) pairs; the views draw a mark at each."""

    def __init__(self) -> None:
        self.found: list[tuple[int, int]] = []
        self.version = 0

    def apply(self, ev: np.ndarray) -> None:
        # a table lookup per event (np.isin sorted the batch's kinds: ~25 ns an event)
        hit = np.flatnonzero(_IS_VERDICT[ev["kind"]]) if len(ev) else ()
        for i in hit:
            self.found.append((int(ev["t_ns"][i]), int(ev["kind"][i])))
            self.version += 1

    def marks(self) -> list[tuple[int, str]]:
        return [(t, VERDICT_TEXT[k]) for t, k in self.found]


def every_view(m: Model) -> list[Fold]:
    """Every table folds every event; the groups first: GoCreate assigns the groups the timelines
    colour by. What a frame draws (the P lanes, the mark scans and verdicts over them) folds every
    batch; what only the docks read folds lazily (DOCK_FOLD_EVENTS, or when the model hands it out)."""
    return [
        m.group_fold,
        LaneFold(m.ptl, m.group_fold),
        LazyLaneFold(m.mtl_lanes, m.group_fold),
        LazyMetricsFold(m.metrics_fold),
        LazyFold(m.state),
        LazyFold(m.spans),
        LazyFold(m.gc),
        LazyFold(m.runq_hist),
        m.markq,
        m.verdicts,
        LazyFold(m.log),
    ]


def histories(m: Model) -> list[Fold]:
    """The whole-run histories only: `m.state`, `m.spans` and `m.log` are not folded (a replay's
    cursor owns them)."""
    groups = GroupsFold()
    return [
        groups,
        LaneFold(m.ptl, groups),
        LazyLaneFold(m.mtl_lanes, groups),
        LazyMetricsFold(m.metrics_fold),
        m.gc,
        m.runq_hist,
        m.markq,
        m.verdicts,
    ]
