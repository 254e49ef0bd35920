"""The span table folded from Span*/Alloc events, and the heatmap image built from it.

Columns are indexed by span id (the engine hands out dense ids). Span states follow where the
runtime keeps a span: in a P's mcache (`mcache.alloc[spc]`), in its mcentral's partial or full
set (`mcentral.partial/full`, swept or not), back in the page heap (`mheap.freeSpan`), or a large
object span (size class 0, `mheap.allocSpan` straight from `mallocgc`).
"""

from __future__ import annotations

import numpy as np

from ..core.alloc.mspan import SPANCLASS_NELEMS
from ..core.alloc.sizeclasses import CLASS_TO_SIZE
from ..core.trace.events import EV, PATH_TINY, alloc_decode, span_pages_decode

SP_NONE = 0
SP_MCACHE = 1
SP_PARTIAL = 2
SP_FULL = 3
SP_FREE = 4
SP_LARGE = 5
SPAN_STATE_NAMES = ("none", "in mcache", "mcentral partial", "mcentral full", "free", "large")

#: heatmap palette layout: index 0 is background, then LUT_LEVELS occupancy shades per state 1..5
LUT_LEVELS = 50

#: bytes per object by size class (class 0: large objects), core's table (internal/runtime/gc/sizeclasses.go)
CLASS_BYTES = CLASS_TO_SIZE
_SPANCLASS_NELEMS = np.asarray(SPANCLASS_NELEMS, dtype=np.int64)


def nelems_of(spanclass: np.ndarray, npages: np.ndarray) -> np.ndarray:
    """Objects per span (`mheap.go: initSpan`, core's ``SPANCLASS_NELEMS``): scan spans of classes
    <= 512 B keep a heap bitmap at the end and, with Green Tea, 16..512-byte classes their inline
    mark bits, so they hold fewer objects than the size class table says. Large spans hold one.
    npages is not needed (a class's span size is fixed); it stays for callers folding SpanAlloc."""
    spc = np.clip(np.asarray(spanclass, dtype=np.int64), 0, len(_SPANCLASS_NELEMS) - 1)
    return _SPANCLASS_NELEMS[spc]


_LIFECYCLE = np.zeros(256, dtype=bool)
_LIFECYCLE[
    [int(EV.SpanAlloc), int(EV.SpanCache), int(EV.SpanUncache), int(EV.SpanSweep), int(EV.SpanFree)]
] = True


class SpanTable:
    """Per-span columns: state, spanclass, npages, allocCount, nelems, owner P."""

    def __init__(self) -> None:
        self._alloc(1024)
        self.max_id = -1
        self.version = 0
        self.layout_serial = 0  # bumped when the heatmap is laid out anew (its rows and ticks move)
        self._hm: dict | None = None  # the last heatmap: later calls redo only what changed
        self._cell_of = np.zeros(0, dtype=np.int64)

    def _alloc(self, cap: int) -> None:
        self.state = np.zeros(cap, dtype=np.uint8)
        self.spanclass = np.zeros(cap, dtype=np.uint8)
        self.npages = np.zeros(cap, dtype=np.int32)
        self.alloc_count = np.zeros(cap, dtype=np.int32)
        self.nelems = np.ones(cap, dtype=np.int32)
        self.owner = np.full(cap, -1, dtype=np.int16)
        self.dirty = np.zeros(cap, dtype=bool)  # changed since the last heatmap
        self.realloc = np.zeros(cap, dtype=bool)  # (re)allocated since the last heatmap

    def _need(self, n: int) -> None:
        cap = len(self.state)
        if n <= cap:
            return
        old = {
            k: getattr(self, k)
            for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner", "dirty", "realloc")
        }
        self._alloc(max(n, 2 * cap))
        for k, a in old.items():
            getattr(self, k)[:cap] = a

    def apply(self, ev: np.ndarray) -> None:
        kind = ev["kind"]
        life = _LIFECYCLE[kind]
        allocs = kind == EV.Alloc
        if not (life.any() or allocs.any()):
            return
        self.version += 1
        pos = np.flatnonzero(life)
        last_set: dict[int, int] = {}
        if len(pos):
            e = ev[pos]
            self._need(int(e["a0"].max()) + 1)
            is_alloc = e["kind"] == EV.SpanAlloc
            npages = np.maximum(span_pages_decode(e["a2"])[0], 1)  # SPEC: SpanAlloc a2 is SPAN_PAGES
            ne = np.where(is_alloc, nelems_of(np.clip(e["a1"], 0, None), npages), 0).tolist()
            cols = [e[c].tolist() for c in ("kind", "p", "a0", "a1", "a2")]
            for i, nelems, (k, p, span, a1, a2) in zip(pos.tolist(), ne, zip(*cols)):
                if span < 0:
                    continue
                self.max_id = max(self.max_id, span)
                self.dirty[span] = True
                if k == EV.SpanAlloc:
                    self.realloc[span] = True
                    if a1 < 0:  # manual (stack) span: not part of the heap table
                        continue
                    a2 = span_pages_decode(a2)[0]
                    self.spanclass[span], self.npages[span] = a1, a2
                    self.nelems[span] = nelems
                    self.state[span] = SP_LARGE if a1 >> 1 == 0 else SP_PARTIAL
                    self.alloc_count[span] = 0
                    self.owner[span] = p if a1 >> 1 == 0 else -1
                    last_set[span] = i
                elif k == EV.SpanCache:
                    self.state[span], self.owner[span] = SP_MCACHE, p
                    if self.npages[span] == 0:
                        self.spanclass[span] = a1
                elif k == EV.SpanUncache:
                    self.state[span], self.owner[span] = (SP_FULL if a2 else SP_PARTIAL), -1
                elif k == EV.SpanSweep:
                    self.alloc_count[span] = a2
                    last_set[span] = i
                    if self.state[span] in (SP_PARTIAL, SP_FULL):
                        self.state[span] = SP_FULL if a2 >= self.nelems[span] else SP_PARTIAL
                elif k == EV.SpanFree:
                    self.state[span], self.owner[span], self.alloc_count[span] = SP_FREE, -1, 0
                    last_set[span] = i
        apos = np.flatnonzero(allocs)
        if len(apos):
            a0 = ev["a0"][apos]
            path, _, _, span = alloc_decode(a0)
            count = np.where(path == PATH_TINY, 0, ev["a1"][apos])  # TINY: packed into a block, no new slot
            if last_set:
                ids = np.fromiter(last_set.keys(), dtype=np.int64)
                at = np.fromiter(last_set.values(), dtype=np.int64)
                lookup = np.full(int(max(span.max(), ids.max())) + 1, -1, dtype=np.int64)
                lookup[ids] = at
                keep = apos > lookup[span]
                span, count = span[keep], count[keep]
            if len(span):
                self._need(int(span.max()) + 1)
                self.max_id = max(self.max_id, int(span.max()))
                np.add.at(self.alloc_count, span, count.astype(np.int32))
                self.dirty[span] = True

    # --- queries -------------------------------------------------------------------------------
    def ids(self) -> np.ndarray:
        """Spans ever seen, not counting never-used ids, sorted by (size class, id)."""
        n = self.max_id + 1
        ids = np.flatnonzero(self.state[:n] != SP_NONE)
        # ids come sorted: a stable sort by the 8-bit class keeps id order (a radix sort, ~20x lexsort)
        return ids[np.argsort(self.spanclass[ids] >> 1, kind="stable")]

    def occupancy(self, ids: np.ndarray) -> np.ndarray:
        return np.clip(self.alloc_count[ids] / np.maximum(self.nelems[ids], 1), 0.0, 1.0)

    def info(self, span: int) -> dict | None:
        if not 0 <= span <= self.max_id or self.state[span] == SP_NONE:
            return None
        sc = int(self.spanclass[span])
        return {
            "span": span,
            "sizeclass": sc >> 1,
            "noscan": sc & 1,
            "elemsize": CLASS_BYTES[sc >> 1] if sc >> 1 < len(CLASS_BYTES) else 0,
            "npages": int(self.npages[span]),
            "alloc_count": int(self.alloc_count[span]),
            "nelems": int(self.nelems[span]),
            "state": SPAN_STATE_NAMES[int(self.state[span])],
            "owner_p": int(self.owner[span]),
        }

    def heatmap(
        self, width: int = 64, max_cells: int = 512 * 512, fresh_layout: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(image uint8 [rows, width], span id per cell or -1). Each size class starts a new row.

        A cell is one span; when there are more spans than ``max_cells`` each cell covers a run of
        neighbouring spans (same class) and shows their mean occupancy and first span's state.

        Live heaps change a few hundred spans a frame, not 262k, so the image is kept between calls:
        only the cells of spans changed since the last call are recomputed, and a newly allocated
        span takes a free cell in its class's rows (each class is laid out with slack). The whole
        layout is redone (``layout_serial`` moves) when a class runs out of room, a new class appears,
        the width changes, or cells cover runs of spans. With ``fresh_layout`` it is always redone: the
        picture is then a function of the span table alone, however the table got there (the
        player's cursor: a keyframe restore and a walk forward give the same image).
        """
        n = self.max_id + 1
        changed = np.flatnonzero(self.dirty[:n])
        self.dirty[:n] = False
        new = np.flatnonzero(self.realloc[:n])
        self.realloc[:n] = False
        key = (width, max_cells)
        if fresh_layout or self._hm is None or self._hm["key"] != key or (len(new) and not self._place(new)):
            self._relayout(width, max_cells)
        elif len(changed) * 4 > max(self._hm["n_laid_out"], 1):  # (refill or update: same pixels)
            self._refill()
        elif len(changed):  # (fresh spans are among the changed: apply marks every lifecycle event)
            self._update_cells(changed)
        hm = self._hm
        if hm["rows"] == 0:
            return np.zeros((1, width), dtype=np.uint8), np.full((1, width), -1, dtype=np.int64)
        return hm["img"].reshape(hm["rows"], width).copy(), hm["first"].reshape(hm["rows"], width)

    def row_classes(self) -> np.ndarray:
        """Size class of each row of the last heatmap (-1: none), from the layout, not the cells: a
        class's first cell may be empty (slack, a span that moved away)."""
        hm = self._hm
        if hm is None or hm["rows"] == 0:
            return np.full(1, -1, dtype=np.int64)
        width = hm["key"][0]
        out = np.full(hm["rows"], -1, dtype=np.int64)
        for c, (lo, hi) in hm["region"].items():
            out[lo // width : -(-hi // width)] = c
        return out

    def _cell_value(self, state: np.ndarray, occ: np.ndarray) -> np.ndarray:
        """LUT index: 0 background, else 1 + (state-1)*LUT_LEVELS + occupancy shade."""
        state = state.astype(np.int64)
        shade = np.round(occ * (LUT_LEVELS - 1))
        return np.where(state > 0, 1 + (state - 1) * LUT_LEVELS + shade, 0).astype(np.uint8)

    def _relayout(self, width: int, max_cells: int) -> None:
        """Lay every span out again: classes in order, spans by id, each class with room to grow."""
        self.layout_serial += 1
        ids = self.ids()
        hm = {"key": (width, max_cells), "ids": ids, "n_laid_out": len(ids), "rows": 0, "per_cell": 1}
        self._hm = hm
        if len(ids) == 0:
            hm.update(img=np.zeros(0, np.uint8), first=np.zeros(0, np.int64), cell=ids, region={})
            self._cell_of = np.full(self.max_id + 1, -1, dtype=np.int64)
            return
        per_cell = max(1, -(-len(ids) // max_cells))
        sc = self.spanclass[ids].astype(np.int64) >> 1
        cls_start = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
        cls_len = np.diff(np.r_[cls_start, len(ids)])
        slack = np.maximum(cls_len // 4, 1) if per_cell == 1 else 0
        cells_per_cls = -(-cls_len // per_cell) + slack
        rows_per_cls = -(-cells_per_cls // width)
        while rows_per_cls.sum() * width > max_cells * 2 and per_cell < len(ids):
            per_cell *= 2
            cells_per_cls = -(-cls_len // per_cell)
            rows_per_cls = -(-cells_per_cls // width)
        row0 = np.r_[0, np.cumsum(rows_per_cls)[:-1]]
        rows = int(rows_per_cls.sum())
        # cell of every span: its class's first cell + rank within the class / per_cell
        rank = np.arange(len(ids)) - np.repeat(cls_start, cls_len)
        cell = np.repeat(row0 * width, cls_len) + rank // per_cell
        first = np.full(rows * width, -1, dtype=np.int64)
        head = np.r_[True, cell[1:] != cell[:-1]]  # cell is non-decreasing
        first[cell[head]] = ids[head]
        self._cell_of = np.full(self.max_id + 1, -1, dtype=np.int64)
        self._cell_of[ids] = cell
        region = {
            int(c): (int(r0) * width, int(r0 + nr) * width)
            for c, r0, nr in zip(sc[cls_start].tolist(), row0.tolist(), rows_per_cls.tolist())
        }
        hm.update(rows=rows, per_cell=per_cell, cell=cell, first=first, region=region)
        self._refill()

    def _refill(self) -> None:
        """Every cell's colour from the current layout."""
        hm = self._hm
        first = hm["first"]
        if hm["per_cell"] == 1:
            has = np.flatnonzero(first >= 0)
            span = first[has]
            img = np.zeros(len(first), dtype=np.uint8)
            img[has] = self._cell_value(self.state[span], self.occupancy(span))
        else:
            ids, cell = hm["ids"], hm["cell"]
            occ = np.bincount(cell, weights=self.occupancy(ids), minlength=len(first))
            occ /= np.maximum(np.bincount(cell, minlength=len(first)), 1)
            state = np.where(first >= 0, self.state[np.clip(first, 0, None)], 0)
            img = self._cell_value(state, occ)
        hm["img"] = img

    def _update_cells(self, changed: np.ndarray) -> None:
        """Recolour the cells of the spans in ``changed``."""
        hm = self._hm
        img, first = hm["img"], hm["first"]
        changed = changed[changed < len(self._cell_of)]
        cells = self._cell_of[changed]
        changed, cells = changed[cells >= 0], cells[cells >= 0]
        if hm["per_cell"] == 1:
            img[cells] = self._cell_value(self.state[changed], self.occupancy(changed))
            return
        ids, cell = hm["ids"], hm["cell"]
        mark = np.zeros(len(img), dtype=bool)
        mark[cells] = True
        pos = np.flatnonzero(mark[cell])  # every member of a touched cell
        u, inv = np.unique(cell[pos], return_inverse=True)
        occ = np.bincount(inv, weights=self.occupancy(ids[pos])) / np.bincount(inv)
        img[u] = self._cell_value(self.state[first[u]], occ)

    def _place(self, fresh: np.ndarray) -> bool:
        """Give each newly (re)allocated span a cell in its class's rows; False: lay out again."""
        hm = self._hm
        if hm["per_cell"] != 1 or hm["rows"] == 0:
            return False
        if len(self._cell_of) < self.max_id + 1:
            grown = np.full(max(self.max_id + 1, 2 * len(self._cell_of)), -1, dtype=np.int64)
            grown[: len(self._cell_of)] = self._cell_of
            self._cell_of = grown
        first, img, region = hm["first"], hm["img"], hm["region"]
        fresh = fresh[self.state[fresh] != SP_NONE]
        cls = self.spanclass[fresh].astype(np.int64) >> 1
        old = self._cell_of[fresh]
        # a span that keeps its class keeps its cell; one that changed class leaves a hole
        stays = np.zeros(len(fresh), dtype=bool)
        for i, (c, o) in enumerate(zip(cls.tolist(), old.tolist())):
            if o >= 0:
                lo, hi = region.get(c, (0, 0))
                if lo <= o < hi:
                    stays[i] = True
                else:
                    first[o], img[o] = -1, 0
                    self._cell_of[fresh[i]] = -1
        move, move_cls = fresh[~stays], cls[~stays]
        for c in np.unique(move_cls).tolist():
            if c not in region:
                return False
            lo, hi = region[c]
            free = lo + np.flatnonzero(first[lo:hi] < 0)
            spans = move[move_cls == c]
            if len(free) < len(spans):
                return False
            first[free[: len(spans)]] = spans
            self._cell_of[spans] = free[: len(spans)]
        return True

    def counts_by_state(self) -> np.ndarray:
        return np.bincount(self.state[: self.max_id + 1], minlength=len(SPAN_STATE_NAMES))

    def snapshot(self) -> dict[str, np.ndarray]:
        n = self.max_id + 1
        return {
            f"span_{k}": getattr(self, k)[:n].copy()
            for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner")
        }  # noqa: E501

    def restore(self, snap: dict[str, np.ndarray]) -> None:
        n = len(snap["span_state"])
        self._alloc(max(n, 1024))
        for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner"):
            getattr(self, k)[:n] = snap[f"span_{k}"]
        self.max_id = n - 1
        self.version += 1
        self._hm = None
