"""The most recent events in a ring buffer, for the event log view (recordings keep them all)."""

from __future__ import annotations

import numpy as np

from ..core.trace.events import EV, EVENT_DTYPE
from ._grow import concat_records


class EventLog:
    """Keeps the last ``capacity`` events in one preallocated EVENT_DTYPE array."""

    # SIMPLIFICATION: a live window keeps only the newest events; the full stream is the recording's

    def __init__(self, capacity: int = 1 << 20) -> None:
        self.buf = np.zeros(capacity, dtype=EVENT_DTYPE)
        self.capacity = capacity
        self.total = 0  # events ever appended
        self.version = 0

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def append(self, ev: np.ndarray) -> None:
        n = len(ev)
        if n == 0:
            return
        self.version += 1
        if n >= self.capacity:
            self.buf[:] = ev[-self.capacity :]
            self.total += n
            # rotate so that the oldest lands at total % capacity
            self.buf = np.roll(self.buf, self.total % self.capacity)
            return
        i = self.total % self.capacity
        k = min(n, self.capacity - i)
        dst, src = self.buf, ev
        if ev.dtype == self.buf.dtype and ev.ndim == 1:
            # as opaque records: a structured slice assignment copies field by field (~5x slower)
            raw = np.dtype((np.void, self.buf.dtype.itemsize))
            dst, src = self.buf.view(raw), ev.view(raw)
        dst[i : i + k] = src[:k]
        dst[: n - k] = src[k:]
        self.total += n

    apply = append  # a fold (model/folds.py)

    def ordered(self) -> np.ndarray:
        """All kept events, oldest first (a copy once the ring wrapped)."""
        if self.total <= self.capacity:
            return self.buf[: self.total]
        i = self.total % self.capacity
        return concat_records([self.buf[i:], self.buf[:i]])

    def query(
        self, kinds: set[int] | None = None, goid: int | None = None, p: int | None = None, limit: int = 2000
    ) -> np.ndarray:
        """The newest ``limit`` kept events that match every given filter, oldest first.

        Works on the ring in place (no reordering copy of the whole buffer)."""
        n = len(self)
        if n == 0:
            return self.buf[:0]
        head = self.total % self.capacity if self.total > self.capacity else 0
        if kinds is None and goid is None and p is None:
            logical = np.arange(max(n - limit, 0), n)
            return self.buf[(logical + head) % self.capacity]
        buf = self.buf[:n]
        mask = np.ones(n, dtype=bool)
        if kinds:
            mask &= np.isin(buf["kind"], np.fromiter(kinds, dtype=np.uint8))
        if goid is not None:
            mask &= buf["g"] == goid
        if p is not None:
            mask &= buf["p"] == p
        idx = np.flatnonzero(mask)
        logical = np.sort((idx - head) % self.capacity)[-limit:]
        return self.buf[(logical + head) % self.capacity]


def kinds_matching(text: str) -> set[int]:
    """EV codes whose name contains any of the comma-separated words (case-insensitive)."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    return {int(k) for k in EV if any(w in k.name.lower() for w in words)}
