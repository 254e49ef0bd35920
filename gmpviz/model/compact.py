"""Bounded history for long live runs: full resolution for the recent past, coarser beyond it.

The live window's model grows with every event (timeline segments, counters rows, run queue
samples: ~40 bytes an event), so an hour at full speed would need gigabytes. `compact(model)` keeps
the newest rows of each history at full resolution and merges the older ones into at most a fixed
number of coarse rows, so memory stays bounded however long the run goes: the whole run is still
there to zoom out to, at a resolution that falls with its age. A recording keeps every event (the
player folds its histories from the file at full resolution).

Each history is compacted when it passes 2 x its KEEP rows: then it holds at most KEEP full rows
plus COARSE merged ones, and compaction costs amortised O(1) per row.
"""

from __future__ import annotations

import numpy as np

from .timeline import Lane

LANE_KEEP = 20_000  # newest segments of a lane kept exactly (~1.5 MB a lane at most, all told)
LANE_COARSE = 5_000  # older segments merged into at most this many
ROWS_KEEP = 20_000  # newest counters rows / run queue samples kept exactly
ROWS_COARSE = 5_000

ASSUMPTIONS = (
    "Long live runs keep their newest 20,000 segments per timeline lane and 20,000 counters, run "
    "queue and Green Tea span-queue samples at full resolution; older history is merged (each merged "
    "segment shows the state that lasted longest in it, each merged sample the maximum), so memory "
    "stays bounded. Recordings keep every event.",
)


def _buckets(n_old: int, cap: int) -> int:
    """Rows per bucket, a power of two, so `n_old` rows fit in `cap` buckets."""
    return 1 << max(int(np.ceil(np.log2(max(n_old / cap, 1.0)))), 0)


def _coarse_lane(lane: Lane) -> bool:
    n = lane.seg.n
    if n <= 2 * LANE_KEEP:
        return False
    old = n - LANE_KEEP
    step = _buckets(old, LANE_COARSE)
    cols = {k: lane.seg.col(k) for k in lane.seg.dtypes}
    b = np.arange(old) // step
    first = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    dur = cols["end_ns"][:old] - cols["start_ns"][:old]
    # the longest segment of each bucket stands for it, over the bucket's whole span
    order = np.lexsort((-dur, b))
    win = order[np.searchsorted(b[order], b[first])]
    last = np.r_[first[1:], old] - 1
    merged = {k: cols[k][win].copy() for k in cols}
    merged["start_ns"] = cols["start_ns"][first].copy()
    merged["end_ns"] = cols["end_ns"][last].copy()
    fresh = Lane()
    fresh.append(*(np.r_[merged[k], cols[k][old:]] for k in lane.seg.dtypes))
    lane.seg, lane.prefix, lane.part, lane.k = fresh.seg, fresh.prefix, fresh.part, fresh.k
    return True


def compact_timeline(tl) -> None:
    if any([_coarse_lane(ln) for ln in tl.lanes]):
        tl.version += 1


def _coarse_rows(cols, maxed: tuple[str, ...]) -> bool:
    """Columns with more than 2 x ROWS_KEEP rows: the older rows merged by buckets, keeping each
    bucket's first row except the `maxed` columns, which keep the bucket's maximum."""
    n = cols.n
    if n <= 2 * ROWS_KEEP:
        return False
    old = n - ROWS_KEEP
    step = _buckets(old, ROWS_COARSE)
    m = old // step * step
    data = {k: cols.col(k) for k in cols.dtypes}
    out = {}
    for k, a in data.items():
        head = a[:m].reshape(-1, step)
        out[k] = np.r_[head.max(axis=1) if k in maxed else head[:, 0], a[m:]]
    cols.clear()
    cols.append(**out)
    return True


def compact(model) -> None:
    """Bound the live model's histories (see the module docstring)."""
    compact_timeline(model.ptl)
    compact_timeline(model.mtl)
    c = model.counters
    if _coarse_rows(c.cols, ()):
        c.version = getattr(c, "version", 0) + 1
    h = model.runq_hist
    changed = _coarse_rows(h.cols, ("len",))
    for cols in h._per_p.values():
        changed |= _coarse_rows(cols, ("len",))
    if changed:
        h._thin.clear()
        h.version += 1
    q = getattr(model, "markq", None)
    if q is not None:
        changed = _coarse_rows(q.shared, ("len",))
        for cols in q._ring.values():
            changed |= _coarse_rows(cols, ("len",))
        for cols, maxed in ((q.steals, ("stolen",)), (q.scans, ()), (q.assists, ())):
            changed |= _coarse_rows(cols, maxed)
        if changed:
            q.version += 1
