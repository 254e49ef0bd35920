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

from .order import ORDERED_DTYPE, OrderState, order_generation_exact, sync_event
from .tableids import first_bad_table_id
from .wire import Generation, TraceError, TraceFile, decode_generation

# glibc hands a freed block above its mmap threshold back to the kernel at once (and trims the heap's
# top above its trim threshold), and both thresholds adapt to the blocks freed. The reader's window
# temporaries (a few MB each, dozens per window) then came back as fresh pages each time: about
# 75,000 page faults on a 23 MB trace, an eighth of the reader's CPU time spent in the kernel. Fixed
# thresholds keep blocks below 16 MiB in the heap and up to 32 MiB of freed memory for the next
# window (the peak RSS does not move: the same pages are reused).
_MMAP_THRESHOLD_BYTES = 16 << 20
_TRIM_THRESHOLD_BYTES = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_malloc_tuned = False


def _tune_malloc() -> None:
    """mallopt the thresholds above, once per process; glibc only (elsewhere nothing changes)."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass


class GoTraceReader:
    """Iterate `chunks()` for (generation, ORDERED_DTYPE array) pairs; a None generation is a
    Sync without a table (the trace's last one, or the one before an error)."""

    def __init__(self, path: str, fast: bool = True):
        _tune_malloc()
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
        t = arr["time"]
        if t[0] > self.last_ts and (n == 1 or bool((np.diff(t) > 0).all())):
            self.last_ts = int(t[-1])  # already strictly increasing (the common case)
            return
        idx = np.arange(n, dtype=np.int64)
        w = np.maximum.accumulate(t - idx)
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
                # (a window the fast path checked before ordering it is not checked again)
                bad = None if self._info.pop("ids_ok", False) else _first_bad_table_id(arr, g)
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
    """validateTableIDs over a chunk of ordered records (tableids.first_bad_table_id)."""
    if not len(arr):
        return None
    return first_bad_table_id(np.ascontiguousarray(arr["typ"]), arr["args"], g)


def read_trace(path: str, fast: bool = True) -> tuple[list[tuple[Generation | None, np.ndarray]], str | None]:
    """Every chunk of a trace in memory (small traces and tests); the error message or None."""
    with GoTraceReader(path, fast=fast) as r:
        chunks = list(r.chunks())
        return chunks, r.error
