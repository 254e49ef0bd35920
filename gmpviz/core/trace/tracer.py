"""Tracer: the engine's hot-path event sink.

Events go into one flat list of ints, eight per event, through a bound ``list.extend`` (measured here:
~0.34 µs per event, against ~0.45 µs for a tuple per event and ~0.6 µs for a method call). `drain`
turns everything emitted since the last drain into one EVENT_DTYPE array with a single
``np.fromiter`` (~0.2 µs per event). The engine binds ``tracer.ext`` once and calls
``ext((t_ns, kind, p, m, g, a0, a1, a2))``.
"""

from __future__ import annotations

import numpy as np

from .events import EVENT_DTYPE

NCOLS = 8
_COLS = EVENT_DTYPE.names


class Tracer:
    """Collects events emitted by the engine (cf. `runtime/trace.go: traceEvent`)."""

    __slots__ = ("_flat", "ext", "total")

    def __init__(self) -> None:
        self._flat: list[int] = []
        #: hot path: ``ext((t_ns, kind, p, m, g, a0, a1, a2))``; stays valid across drains
        self.ext = self._flat.extend
        self.total = 0

    def emit(
        self,
        t_ns: int,
        kind: int,
        p: int = -1,
        m: int = -1,
        g: int = 0,
        a0: int = 0,
        a1: int = 0,
        a2: int = 0,
    ) -> None:
        """Convenience form of ``ext`` for cold paths."""
        self._flat.extend((t_ns, kind, p, m, g, a0, a1, a2))

    @property
    def pending(self) -> int:
        return len(self._flat) // NCOLS

    def drain(self) -> np.ndarray:
        """Everything emitted since the last drain, as one EVENT_DTYPE array (oldest first)."""
        flat = self._flat
        n = len(flat) // NCOLS
        out = np.zeros(n, dtype=EVENT_DTYPE)
        if n:
            raw = np.fromiter(flat, dtype=np.int64, count=n * NCOLS).reshape(n, NCOLS)
            flat.clear()
            for i, name in enumerate(_COLS):
                out[name] = raw[:, i]
            self.total += n
        return out

    def discard(self) -> None:
        """Count the pending events as emitted and drop them."""
        self.total += len(self._flat) // NCOLS
        self._flat.clear()
