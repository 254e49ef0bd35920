"""Replay: a recording as the player's model, Qt-free.

Two folds live side by side in one `Model`, built from the `histories` fold set:

* the whole-run histories (timelines, GC cycles, run queue lengths, counters) are what
  `model.apply` folds, once, from every event, block by block (`load_step`), because the player
  shows the whole run;
* the view state at the cursor (G/P/M status, run queues, span table, event log) is `model.state`,
  `model.spans` and `model.log`, which `model.apply` does not touch: a seek restores the nearest
  keyframe and applies at most one block of events, a small forward move applies just the events in
  between, and the log is refilled with the events just before the cursor.
"""

from __future__ import annotations

import time

import numpy as np

from ..model import Model
from ..model.folds import histories
from .reader import RecordingReader
from .writer import MARK_KINDS

FORWARD_APPLY_MAX = 4096  # a forward move over more events than this restores a keyframe instead
LOG_CAPACITY = 1 << 14  # events before the cursor the player's event log shows
MARK_NAMES = tuple(MARK_KINDS)  # "gc", "stw", "steal", "handoff", "preempt"


class Replay:
    """Cursor over a recording: `seek_index(i)`, `seek_time(t_ns)`, `step(n)`, `jump(mark, +-1)`."""

    def __init__(self, reader: RecordingReader, log_capacity: int = LOG_CAPACITY) -> None:
        self.reader = reader
        self.model = Model(reader.groups, log_capacity, folds=histories)
        self.n_events = reader.n_events
        self.t_end_ns = reader.t_end_ns
        self.loaded_events = 0
        self._next_block = 0
        self._blocks = reader.iter_blocks()
        if len(reader.counters):
            self.model.add_counters(reader.counters)
        self.model.advance(self.t_end_ns)
        self.index = -1  # events applied to the cursor state
        self._log_index = -1  # cursor index the event log was filled for
        self.t_ns = 0
        self.seek_index(0)

    @classmethod
    def open(cls, path: str, **kw) -> Replay:
        return cls(RecordingReader.open(path), **kw)

    # --- the whole-run histories ----------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self.loaded_events >= self.n_events

    def load_step(self, budget_s: float = 0.012) -> bool:
        """Fold event blocks into the histories for about `budget_s`; True when everything is in."""
        # SIMPLIFICATION: the histories are not stored in the file: they are folded from all events
        # after opening (the cursor state is ready at once; the timeline fills in as this runs).
        t0 = time.perf_counter()
        while not self.loaded:
            ev = next(self._blocks)
            self.model.apply(ev)
            self.loaded_events += len(ev)
            if time.perf_counter() - t0 >= budget_s:
                break
        if self.loaded:
            self.model.advance(self.t_end_ns)
        return self.loaded

    def load_all(self, progress=None) -> None:
        while not self.load_step(0.1):
            if progress is not None:
                progress(self.loaded_events / max(self.n_events, 1))
        if progress is not None:
            progress(1.0)

    # --- the cursor -----------------------------------------------------------------------------
    def seek_index(self, i: int) -> None:
        """Cursor state after the first `i` events (clamped)."""
        i = min(max(int(i), 0), self.n_events)
        if i == self.index:
            return
        m = self.model
        if self.index <= i <= self.index + FORWARD_APPLY_MAX and self.index >= 0:
            ev = self.reader.events(self.index, i)
            m.state.apply(ev)
            m.spans.apply(ev)
            m.spans.version += 1
        else:
            m.state, m.spans, _ = self.reader.state_at(i)
        self.index = i
        self.t_ns = self.reader.t_of(i - 1) if i else 0

    def sync_log(self) -> None:
        """Fill the event log with the events just before the cursor (call before drawing it)."""
        if self._log_index == self.index:
            return
        log = self.model.log
        cap = log.capacity
        log.total, log.version = 0, log.version + 1
        log.append(self.reader.events(max(self.index - cap, 0), self.index))
        self._log_index = self.index

    def seek_time(self, t_ns: int) -> None:
        """Cursor at virtual time `t_ns`: every event at or before it applied."""
        t_ns = min(max(int(t_ns), 0), self.t_end_ns)
        self.seek_index(self.reader.index_at(t_ns))
        self.t_ns = t_ns

    def step(self, n: int = 1) -> None:
        """Forward (n > 0) or back (n < 0) by n events."""
        self.seek_index(self.index + n)

    def current_event(self) -> np.ndarray | None:
        """The last applied event (what the cursor just passed), or None at the start."""
        if self.index <= 0:
            return None
        return self.reader.events(self.index - 1, self.index)[0]

    def jump(self, mark: str, direction: int = 1) -> bool:
        """Move to just after the next (direction > 0) or previous mark event; False if none."""
        idx, _ = self.reader.marks(mark)
        if direction > 0:
            k = int(np.searchsorted(idx, self.index, side="left"))
            if k >= len(idx):
                return False
        else:
            k = int(np.searchsorted(idx, self.index - 1, side="left")) - 1
            if k < 0:
                return False
        self.seek_index(int(idx[k]) + 1)
        return True

    def counters_now(self) -> np.ndarray:
        return self.reader.counters_at(self.t_ns)
