"""Pause points evaluated over a recording: numpy masks over each event block, no Python per event.

`find_pause(reader, pause, bookmarks)` gives the event index the cursor stops at (the events applied,
so the matching event is the last one shown) and its virtual time, or None when the recording has no
such moment. `pause_points(reader, scene, bookmarks)` evaluates a scene's list, keeps those inside
its range and sorts them by time (a deck names them in the order it means, the recording decides).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.trace.events import EV
from .format import PausePoint, Scene


@dataclass(frozen=True)
class Stop:
    """A pause point found in a recording: the cursor after `index` events, at `t_ns`."""

    index: int
    t_ns: int
    pause: PausePoint


def _event_mask(ev: np.ndarray, pause: PausePoint) -> np.ndarray:
    mask = ev["kind"] == pause.event
    for col, v in pause.match:
        mask &= ev[col] == v
    if pause.after_ns:
        mask &= ev["t_ns"] >= pause.after_ns
    return mask


def _find_event(reader, pause: PausePoint) -> tuple[int, int] | None:
    """The nth matching event: (its index, its time)."""
    first = 0
    left = pause.nth
    for ev in reader.iter_blocks():
        hit = np.flatnonzero(_event_mask(ev, pause))
        if len(hit) >= left:
            k = int(hit[left - 1])
            return first + k, int(ev["t_ns"][k])
        left -= len(hit)
        first += len(ev)
    return None


def _find_goroutines(reader, n: int) -> tuple[int, int] | None:
    """The event after which more than `n` goroutines are alive (GoCreate +1, GoEnd -1)."""
    first, alive = 0, 0
    for ev in reader.iter_blocks():
        kind = ev["kind"]
        step = (kind == EV.GoCreate).astype(np.int64) - (kind == EV.GoEnd).astype(np.int64)
        count = alive + np.cumsum(step)
        hit = np.flatnonzero(count > n)
        if len(hit):
            k = int(hit[0])
            return first + k, int(ev["t_ns"][k])
        alive = int(count[-1]) if len(count) else alive
        first += len(ev)
    return None


def _find_heap(reader, size_bytes: int) -> tuple[int, int] | None:
    c = reader.counters
    hit = np.flatnonzero(c["heap_alloc"] > size_bytes) if len(c) else np.zeros(0, np.int64)
    if not len(hit):
        return None
    t = int(c["t_ns"][hit[0]])
    return max(reader.index_at(t) - 1, 0), t


def find_pause(reader, pause: PausePoint, bookmarks=()) -> Stop | None:
    """Where `pause` stops in the recording `reader` (a RecordingReader), or None."""
    if pause.kind == "event":
        found = _find_event(reader, pause)
    elif pause.kind == "goroutines":
        found = _find_goroutines(reader, pause.value)
    elif pause.kind == "heap":
        found = _find_heap(reader, pause.value)
    elif pause.kind == "at":
        if pause.value > reader.t_end_ns:
            return None
        return Stop(reader.index_at(pause.value), pause.value, pause)
    elif pause.kind == "bookmark":
        b = next((b for b in bookmarks if b.label == pause.label), None)
        return None if b is None else Stop(int(b.index), int(b.t_ns), pause)
    else:
        raise ValueError(f"unknown pause kind {pause.kind!r}")
    if found is None:
        return None
    i, t = found
    return Stop(i + 1, t, pause)


def pause_points(reader, scene: Scene, bookmarks=()) -> tuple[list[Stop], list[PausePoint]]:
    """The scene's stops inside its range, by time; and the pause points the recording never reaches
    (the stage says so instead of stopping nowhere)."""
    t0 = scene.t_from_ns
    t1 = reader.t_end_ns if scene.t_to_ns < 0 else scene.t_to_ns
    stops, missing = [], []
    for p in scene.pauses:
        # an event predicate looks from the scene's start on: "the first steal" of what is shown
        q = replace(p, after_ns=max(p.after_ns, t0)) if p.kind == "event" else p
        s = find_pause(reader, q, bookmarks)
        if s is None or not t0 <= s.t_ns <= t1:
            missing.append(p)
        else:
            stops.append(s)
    stops.sort(key=lambda s: (s.t_ns, s.index))
    return stops, missing
