"""The detail the timeline draws over its P lanes' raster, kept up to date incrementally.

Two things are drawn over the raster: a minimum-width mark for each goroutine that ran for less than a
pixel (the raster shows one state per pixel, so it would vanish), and the G id on each segment wide
enough to hold it. Both depend only on each segment and the view's geometry, and a lane's closed
segments never change once appended (compaction replaces the lane's columns, which starts the lane over
here), so for a view that stays put (a following view keeps its range for many frames) only the
segments closed since the last frame are looked at, plus the lane's open segment, which grows. Walking
every segment in view on every frame cost up to ~2 ms a frame at the 50,000 segments where the detail
stops (TimelineView's DETAIL_SEGMENTS_MAX).

The result is the one `TimelineView._keep_short` and `_draw_ids` give for the same segments: short
marks in time order with the first in a pixel showing, labels in lane order then time order, at most
`limit` of them.
"""

from __future__ import annotations

import numpy as np

from ...core.constants import MS
from ...model.timeline import ST_NONE, ST_USER0


class _LaneCache:
    __slots__ = ("seg", "lo", "done", "last", "overlay", "labels")

    def __init__(self, seg, lo: int, width: int) -> None:
        self.seg = seg  # the lane's columns object (compaction replaces it)
        self.lo = lo
        self.done = lo  # closed segments below this index were looked at
        self.last: tuple[int, int] | None = None  # (start, end) of segment done - 1 when looked at
        self.overlay = np.full(width, -1, dtype=np.int16)  # state of the short mark per pixel, -1: none
        self.labels: list[tuple] = []  # (x_ms, lane, "G<id>", state) of the closed segments, in order

    def valid(self, c) -> bool:
        """The columns still hold what was looked at (the same object, not cleared or reloaded)."""
        if c is not self.seg or c.n < self.done:
            return False
        if self.last is None:
            return True
        i = self.done - 1
        return (int(c.col("start_ns")[i]), int(c.col("end_ns")[i])) == self.last


class TimelineDetail:
    """Short-segment marks and G id labels of a timeline's lanes over [t0, t1) at `width` pixels."""

    def __init__(self) -> None:
        self._key = None
        self._lanes: dict[int, _LaneCache] = {}

    def reset(self) -> None:
        self._key = None
        self._lanes = {}

    def update(
        self, tl, img: np.ndarray, t0: float, t1: float, width: int, t_hi: float, char_px: float, limit: int
    ) -> tuple[np.ndarray, list[tuple]]:
        """(img with the short marks, the labels to show) for timeline `tl` (segments over
        [t0, t_hi), t_hi = min(t1, the reveal cursor)); `img` is the lanes' raster over [t0, t1)."""
        key = (t0, t1, width, t_hi, char_px, limit)
        if key != self._key:
            self._key, self._lanes = key, {}
        scale = width / max(t1 - t0, 1)
        out = None
        labels: list[tuple] = []
        for lane in range(min(tl.nlanes, img.shape[0])):
            ln = tl.lanes[lane]
            c = ln.seg
            lc = self._lanes.get(lane)
            if lc is None or not lc.valid(c):
                lo = int(np.searchsorted(c.col("end_ns"), t0, side="right"))
                lc = self._lanes[lane] = _LaneCache(c, lo, width)
            hi = int(np.searchsorted(c.col("start_ns"), t_hi, side="left"))
            if hi > lc.done:
                sl = slice(lc.done, hi)
                self._add(lc, lane, c.col("start_ns")[sl], c.col("end_ns")[sl], c.col("state")[sl],
                          c.col("goid")[sl], t0, t_hi, scale, width, char_px, limit)  # fmt: skip
                lc.done = hi
                lc.last = (int(c.col("start_ns")[hi - 1]), int(c.col("end_ns")[hi - 1]))
            open_short = open_label = None
            if ln.o_state != ST_NONE and ln.o_start < t_hi and tl.now_ns > t0:
                s, e, st, g = ln.o_start, tl.now_ns, int(ln.o_state), int(ln.o_goid)
                if st >= ST_USER0:
                    if (e - s) * scale < 1.0:
                        open_short = (min(max(int((s - t0) * scale), 0), width - 1), st)
                    lo_ns, hi_ns = max(s, t0), min(e, t_hi)
                    if (hi_ns - lo_ns) * scale >= _need_px(g, char_px):
                        open_label = ((lo_ns + hi_ns) / 2 / MS, lane, f"G{g}", st)
            marks = lc.overlay >= 0
            if marks.any() or open_short is not None:
                if out is None:
                    out = img.copy()
                out[lane, marks] = lc.overlay[marks]
                if open_short is not None and lc.overlay[open_short[0]] < 0:
                    out[lane, open_short[0]] = open_short[1]
            if len(labels) < limit:
                labels += lc.labels[: limit - len(labels)]
                if open_label is not None and len(labels) < limit:
                    labels.append(open_label)
        return (img if out is None else out), labels

    @staticmethod
    def _add(lc, lane, start, end, state, goid, t0, t_hi, scale, width, char_px, limit) -> None:
        user = state >= ST_USER0
        short = user & ((end - start) * scale < 1.0)
        if short.any():
            px = np.clip(((start[short] - t0) * scale).astype(np.int64), 0, width - 1)
            first = np.unique(px, return_index=True)[1]
            px, st = px[first], state[short][first]
            free = lc.overlay[px] < 0  # an earlier segment's mark keeps its pixel
            lc.overlay[px[free]] = st[free]
        if len(lc.labels) >= limit:
            return
        lo, hi = np.maximum(start, t0), np.minimum(end, t_hi)
        need = (np.floor(np.log10(np.maximum(goid, 1))) + 2) * char_px + 8  # "G" + digits + margin
        ok = np.flatnonzero(user & ((hi - lo) * scale >= need))[: limit - len(lc.labels)]
        for i in ok.tolist():
            lc.labels.append(((lo[i] + hi[i]) / 2 / MS, lane, f"G{int(goid[i])}", int(state[i])))


def _need_px(goid: int, char_px: float) -> float:
    return (np.floor(np.log10(max(goid, 1))) + 2) * char_px + 8
