"""`GoTraceReader`: a Go execution trace as ordered numpy event arrays, one generation at a time.

The loop of `Reader.ReadEvent` (reader.go): a Sync event opens every generation, the generation's
events follow in the partial order (order.py / fast.py), CPU samples are merged in by time, and a
last Sync closes the trace. Every event's time is made strictly increasing over the whole trace
(the reader's `lastTs` fix-up), and the stack and string IDs events name must be in the table
(`validateTableIDs`).

A trace that is cut short or broken in a generation yields every generation before it, then one
Sync (as Go's reader does before it reports the error), and leaves the message in `.error`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import spec as S
from .order import ORDERED_DTYPE, OrderState, order_generation_exact, sync_event
from .wire import Generation, TraceError, TraceFile, decode_generation

# (type, argument slot) pairs that name a stack / a string (event spec StackIDs/StringIDs, minus dt).
_STACK_SLOTS = [(t, i - 1) for t, sp in S.TIMED.items() for i in sp[2]]
_STRING_SLOTS = [(t, i - 1) for t, sp in S.TIMED.items() for i in sp[3]]
_HAS_TABLE_ARG = np.zeros(256, bool)
for _t, _i in _STACK_SLOTS + _STRING_SLOTS:
    _HAS_TABLE_ARG[_t] = True


class GoTraceReader:
    """Iterate `chunks()` for (generation, ORDERED_DTYPE array) pairs; a None generation is a
    Sync without a table (the trace's last one, or the one before an error)."""

    def __init__(self, path: str, fast: bool = True):
        self.tf = TraceFile(path)
        self.version = self.tf.version
        self.fast = fast
        self.state = OrderState()
        self.last_ts = 0
        self.syncs = 0
        self.error: str | None = None
        self.events = 0  # events yielded, Syncs included
        self.generations = 0
        self.fast_generations = 0  # generations ordered by fast.py (the others: run by run)
        self._info: dict = {}
        self.partial_events = 0  # events of the broken generation yielded before its break

    def close(self) -> None:
        self.tf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _sync_chunk(self, g: Generation | None, t: int) -> tuple[Generation | None, np.ndarray]:
        self.syncs += 1
        arr = np.zeros(1, ORDERED_DTYPE)
        e = sync_event(t, self.syncs, g is not None)
        arr[0] = e[:5] + (e[5:],)
        self._fix_times(arr)
        self.events += 1
        return g, arr

    def _fix_times(self, arr: np.ndarray) -> None:
        """t_i = max(t_i, t_{i-1} + 1) from the last time of the previous chunk, vectorized."""
        n = len(arr)
        if not n:
            return
        idx = np.arange(n, dtype=np.int64)
        w = np.maximum.accumulate(arr["time"] - idx)
        np.maximum(w, self.last_ts + 1, out=w)
        arr["time"] = w + idx
        self.last_ts = int(arr["time"][-1])

    def chunks(self) -> Iterator[tuple[Generation | None, np.ndarray]]:
        """A Sync chunk opens each generation, then its events in one or more chunks (windows of
        time, `fast.WINDOW_EVENTS` events or so: the memory held stays bounded however big the
        generation). A generation that breaks after some of its chunks went out is cut there (Go's
        reader, too, has returned the events before the break)."""
        tf = self.tf
        while True:
            start = tf.pos
            try:
                g = tf.read_generation()
            except TraceError as e:
                self.error = str(e)
                yield self._sync_chunk(None, self.last_ts)
                return
            if g is None:
                yield self._sync_chunk(None, self.last_ts)
                return
            tf.release(start, tf.pos)  # the headers are read; the events' pages come back as decoded
            synced = False
            before = self.events
            parts = self._order(g)
            while True:
                try:
                    arr = next(parts, None)
                except TraceError as e:
                    self.error = f"generation {g.gen}: {e}"
                    break
                if arr is None:
                    break
                if not synced:
                    synced = True
                    yield self._sync_chunk(g, g.mul(g.min_ts))
                bad = _first_bad_table_id(arr, g)
                if bad is not None:
                    i, msg = bad
                    arr = arr[:i]
                    self.error = f"generation {g.gen}: {msg}"
                self._fix_times(arr)
                self.events += len(arr)
                yield g, arr
                if self.error:
                    break
            tf.release(start, tf.pos)
            if self.error:
                self.partial_events = self.events - before - (1 if synced else 0)
                yield self._sync_chunk(None, self.last_ts)
                return
            if not synced:
                yield self._sync_chunk(g, g.mul(g.min_ts))
            self.generations += 1
            if self._info.get("fast"):
                self.fast_generations += 1
            if tf.spill_error:
                self.error = tf.spill_error
                yield self._sync_chunk(None, self.last_ts)
                return

    def _order(self, g: Generation) -> Iterator[np.ndarray]:
        self._info = {}
        if self.fast:
            from .fast import stream_generation

            yield from stream_generation(self.state, self.tf, g, self._info)
            return
        ev = decode_generation(self.tf, g)
        out = order_generation_exact(self.state, g, ev)
        arr = np.empty(len(out), ORDERED_DTYPE)
        if out:
            cols = list(zip(*out, strict=True))
            arr["typ"] = cols[0]
            arr["time"] = cols[1]
            arr["m"] = cols[2]
            arr["p"] = cols[3]
            arr["g"] = cols[4]
            arr["args"] = np.array(cols[5:9], dtype=np.uint64).T
        yield arr


def _first_bad_table_id(arr: np.ndarray, g: Generation) -> tuple[int, str] | None:
    """validateTableIDs over a generation: the first event naming a stack or string not in the table."""
    if not len(arr):
        return None
    sub = np.flatnonzero(_HAS_TABLE_ARG[arr["typ"]])
    if not sub.size:
        return None
    typ = arr["typ"][sub]
    args_sub = arr["args"][sub]
    worst = None
    for slots, table, what in ((_STACK_SLOTS, g.stacks, "stack"), (_STRING_SLOTS, g.strings, "string")):
        keys = np.fromiter(table.keys(), np.uint64, len(table)) if table else np.zeros(0, np.uint64)
        keys = np.append(keys, np.uint64(0))
        for t, slot in slots:
            sel = np.flatnonzero(typ == t)
            if not sel.size:
                continue
            ids = args_sub[sel, slot]
            ok = np.isin(ids, keys)
            if not ok.all():
                k = int(sel[np.argmin(ok)])
                j = int(sub[k])
                if worst is None or j < worst[0]:
                    worst = (j, f"found invalid {what} ID {int(args_sub[k, slot])} for event {S.NAMES[t]}")
    return worst


def read_trace(path: str, fast: bool = True) -> tuple[list[tuple[Generation | None, np.ndarray]], str | None]:
    """Every chunk of a trace in memory (small traces and tests); the error message or None."""
    with GoTraceReader(path, fast=fast) as r:
        chunks = list(r.chunks())
        return chunks, r.error
