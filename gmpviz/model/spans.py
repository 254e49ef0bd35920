"""The span table folded from Span*/Alloc events, and the heatmap image built from it.

Columns are indexed by span id (the engine hands out dense ids). Span states follow where the
runtime keeps a span: in a P's mcache (`mcache.alloc[spc]`), in its mcentral's partial or full
set (`mcentral.partial/full`, swept or not), back in the page heap (`mheap.freeSpan`), or a large
object span (size class 0, `mheap.allocSpan` straight from `mallocgc`).

While Green Tea marks (runtime/mgcmark_greenteagc.go), every span also has a mark state, folded from
GCMarkBegin, GCSpanScan and GCSpanQueue (the heatmap's mark view, `mark_heatmap`): a span of a
Green Tea size class (16..512 B, with pointers) that held objects when marking began is in the grey
set; it waits unseen, is queued on a P's ring or on the shared list, is being scanned by a P, and
is scanned; a span allocated during marking is black (allocate-black). GCSpanScan gives the span id
range a drain scanned (the core lays the mark work out in span id order, so what lies at or below the
last range is done); GCSpanQueue gives how many spans wait on each P's ring and on the shared lists,
and the spans just past the scan front are dealt out to those queues in id order (the core's queues
are counts, not span identities: MARK_VIEW_ASSUMPTIONS).
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

# Mark states of the heatmap's mark view (SpanTable.mark_state)
MS_OTHER = 0  # not a Green Tea span of this cycle's grey set (large, noscan, empty or freed)
MS_UNSEEN = 1  # in the grey set, not reached yet (spanScanUnowned, no seen bits)
MS_RING = 2  # queued on a P's ring (spanQueue.ring), owned: OneMark or ManyMark
MS_SHARED = 3  # queued on the shared, stealable lists (spanSPMC chains)
MS_SCANNED = 4  # dequeued and scanned (released: spanScanUnowned again); "being scanned" while t0<=now<t1
MS_BLACK = 5  # allocated during marking (its objects are allocated black)
MS_SCANNING = 6  # (drawn only: MS_SCANNED while its scan window is open)
MARK_STATE_NAMES = (
    "not span-queued",
    "unseen",
    "on a P's ring",
    "on the shared list",
    "scanned",
    "allocated black",
)
MARK_DRAW_NAMES = (*MARK_STATE_NAMES, "being scanned")
#: mark view palette: index 0 is background, then MARK_LEVELS shades per drawn state 0..6
MARK_LEVELS = 32
#: Green Tea spans: gcUsesSpanInlineMarkBits (16..512 B) with pointers (mgcmark_greenteagc.go)
GT_MIN_BYTES, GT_MAX_BYTES = 16, 512

MARK_VIEW_ASSUMPTIONS = (
    "Span heatmap, mark view: which spans wait on which P's ring or on the shared list is dealt out "
    "from the queues' lengths (GCSpanQueue) to the spans next past the scan front, in span id order "
    "(the emulated queues are counts, not span identities); a span's seen share is its objects at "
    "mark start over its slots (marked objects are not in the event stream).",
)

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


_MARK_COLS = ("mark_state", "mark_p", "mark_objs", "mark_t0", "mark_t1")
_MARK_KINDS = np.zeros(256, dtype=bool)
_MARK_KINDS[[int(EV.GCMarkBegin), int(EV.GCSpanScan), int(EV.GCSpanQueue), int(EV.GCMarkDone)]] = True
_MARK_BEGIN, _SPAN_SCAN, _SPAN_QUEUE, _MARK_DONE = (
    int(EV.GCMarkBegin),
    int(EV.GCSpanScan),
    int(EV.GCSpanQueue),
    int(EV.GCMarkDone),
)
_SPAN_ALLOC = int(EV.SpanAlloc)
_SPAN_CACHE, _SPAN_UNCACHE = int(EV.SpanCache), int(EV.SpanUncache)
_SPAN_SWEEP, _SPAN_FREE = int(EV.SpanSweep), int(EV.SpanFree)
_ALLOC = int(EV.Alloc)

_LIFECYCLE = np.zeros(256, dtype=bool)
_LIFECYCLE[
    [int(EV.SpanAlloc), int(EV.SpanCache), int(EV.SpanUncache), int(EV.SpanSweep), int(EV.SpanFree)]
] = True


class SpanTable:
    """Per-span columns: state, spanclass, npages, allocCount, nelems, owner P."""

    def __init__(self) -> None:
        self._alloc(1024)
        #: True: span lifecycles are replayed event by event (_apply_lifecycle, the reference); False:
        #: folded by _apply_lifecycle_vec, which gives the same table
        self.replay_lifecycle = False
        self.max_id = -1
        self.version = 0
        self.layout_serial = 0  # bumped when the heatmap is laid out anew (its rows and ticks move)
        self._hm: dict | None = None  # the last heatmap: later calls redo only what changed
        self._cell_of = np.zeros(0, dtype=np.int64)
        self._mark_reset()

    def _mark_reset(self) -> None:
        #: 0 no mark yet, 1 Green Tea marking now (a GCSpanScan/GCSpanQueue came this cycle), 2 the
        #: cycle's marking ended (the picture stays as its last drain left it)
        self.marking = 0
        self.mark_pending = False  # GCMarkBegin came; marking turns 1 at the first Green Tea event
        self.mark_cycle = 0
        self.mark_front = -1  # highest span id scanned this cycle
        self.mark_rings: dict[int, int] = {}  # P -> spans on its ring (its last GCSpanQueue)
        self.mark_shared = 0
        self.mark_version = 0

    def _alloc(self, cap: int) -> None:
        self.state = np.zeros(cap, dtype=np.uint8)
        self.spanclass = np.zeros(cap, dtype=np.uint8)
        self.npages = np.zeros(cap, dtype=np.int32)
        self.alloc_count = np.zeros(cap, dtype=np.int32)
        self.nelems = np.ones(cap, dtype=np.int32)
        self.owner = np.full(cap, -1, dtype=np.int16)
        self.dirty = np.zeros(cap, dtype=bool)  # changed since the last heatmap
        self.realloc = np.zeros(cap, dtype=bool)  # (re)allocated since the last heatmap
        self.mark_state = np.zeros(cap, dtype=np.uint8)  # MS_* (this cycle's; kept after it ends)
        self.mark_p = np.full(cap, -1, dtype=np.int16)  # the P whose ring holds it / that scanned it
        self.mark_objs = np.zeros(cap, dtype=np.int32)  # its objects when marking began (seen share)
        self.mark_t0 = np.zeros(cap, dtype=np.int64)  # its scan window [t0, t1)
        self.mark_t1 = np.zeros(cap, dtype=np.int64)

    def _need(self, n: int) -> None:
        cap = len(self.state)
        if n <= cap:
            return
        old = {
            k: getattr(self, k)
            for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner", "dirty", "realloc")
            + _MARK_COLS
        }
        self._alloc(max(n, 2 * cap))
        for k, a in old.items():
            getattr(self, k)[:cap] = a

    def apply(self, ev: np.ndarray) -> None:
        kind = ev["kind"]
        marks = _MARK_KINDS[kind]
        if marks.any():
            # the batch in pieces, in order: span lifecycles between mark events fold first. Only
            # the mark events that touch the span columns or the allocate-black test cut the batch
            # (GCMarkBegin, GCSpanScan, GCMarkDone); a GCSpanQueue sets only the queue lengths that
            # _deal_queues reads at the end, so it is applied in order with the other mark events,
            # between the pieces (4 in 5 mark events of `default`: each cut cost a fold call); a
            # piece with no span event in it is skipped
            cut = np.flatnonzero(marks & (kind != _SPAN_QUEUE)).tolist()
            queue_at = np.flatnonzero(kind == _SPAN_QUEUE).tolist()
            spans_before = np.concatenate(([0], np.cumsum(_LIFECYCLE[kind] | (kind == _ALLOC)))).tolist()
            start, qi = 0, 0
            for i in [*cut, len(ev)]:
                if spans_before[i] > spans_before[start]:
                    self._apply_spans(ev[start:i])
                while qi < len(queue_at) and queue_at[qi] < i:
                    self._apply_mark(ev[queue_at[qi]])
                    qi += 1
                if i < len(ev):
                    self._apply_mark(ev[i])
                start = i + 1
            self._deal_queues()
            return
        self._apply_spans(ev)

    def _apply_spans(self, ev: np.ndarray) -> None:
        kind = ev["kind"]
        life = _LIFECYCLE[kind]
        allocs = kind == EV.Alloc
        if not (life.any() or allocs.any()):
            return
        self.version += 1
        if self.marking == 1 or self.mark_pending:
            # spans (re)allocated while marking hold only black objects
            fresh = ev["a0"][(kind == _SPAN_ALLOC) & (ev["a1"] >= 0)]
            if len(fresh):
                self._need(int(fresh.max()) + 1)
                self.mark_state[fresh] = MS_BLACK
                self.mark_p[fresh] = -1
        pos = np.flatnonzero(life)
        last_set: dict[int, int] = {}
        ids = at = None
        if len(pos):
            if self.replay_lifecycle:
                self._apply_lifecycle(ev[pos], pos, last_set)
                if last_set:
                    ids = np.fromiter(last_set.keys(), dtype=np.int64)
                    at = np.fromiter(last_set.values(), dtype=np.int64)
            else:
                ids, at = self._apply_lifecycle_vec(ev[pos], pos)
        apos = np.flatnonzero(allocs)
        if len(apos):
            a0 = ev["a0"][apos]
            path, _, _, span = alloc_decode(a0)
            count = np.where(path == PATH_TINY, 0, ev["a1"][apos])  # TINY: packed into a block, no new slot
            if ids is not None and len(ids):
                lookup = np.full(int(max(span.max(), ids.max())) + 1, -1, dtype=np.int64)
                lookup[ids] = at
                keep = apos > lookup[span]
                span, count = span[keep], count[keep]
            if len(span):
                self._need(int(span.max()) + 1)
                self.max_id = max(self.max_id, int(span.max()))
                np.add.at(self.alloc_count, span, count.astype(np.int32))
                self.dirty[span] = True

    def _apply_lifecycle_vec(self, e: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What `_apply_lifecycle` does, without a Python step per event: each column of a span ends
        as the last event that writes it left it, so each is one "last event of these kinds per
        span" (a scatter of positions), with two reads of what came before: a SpanCache sets the
        span class only where the span has no pages yet (its last SpanAlloc before it, else the
        table's), and a SpanSweep after the last event that sets the state moves it between partial
        and full only when that left it partial or full (a sweep never leaves those two, so the
        last sweep decides, against the span's nelems then: the last SpanAlloc's, which came
        before). Returns (spans, position of each one's last event that sets allocCount).
        tests/model/test_spans_vec.py checks it against the replay on whole runs and random
        sequences."""
        ids = e["a0"].astype(np.int64)
        live = ids >= 0
        none = (np.zeros(0, dtype=np.int64),) * 2
        if not live.any():
            return none
        self._need(int(ids.max()) + 1)
        touched, inv = np.unique(ids[live], return_inverse=True)
        self.max_id = max(self.max_id, int(touched[-1]))
        self.dirty[touched] = True
        k, a1, a2, p = e["kind"], e["a1"].astype(np.int64), e["a2"], e["p"]
        is_alloc = k == _SPAN_ALLOC
        self.realloc[ids[is_alloc & live]] = True
        k, a1, a2, p, pos_l = k[live], a1[live], a2[live].astype(np.int64), p[live], pos[live]
        is_alloc = k == _SPAN_ALLOC
        npages_raw = span_pages_decode(e["a2"][live])[0].astype(np.int64)
        # a manual (stack) span's SpanAlloc is not part of the heap table: it does nothing
        heap_alloc = is_alloc & (a1 >= 0)
        ne = nelems_of(np.clip(a1, 0, None), np.maximum(npages_raw, 1)).astype(np.int64)
        cache, uncache = k == _SPAN_CACHE, k == _SPAN_UNCACHE
        sweep, free = k == _SPAN_SWEEP, k == _SPAN_FREE
        large = (a1 >> 1) == 0
        n, m = len(touched), len(k)
        order = np.arange(m)

        def last(mask: np.ndarray) -> np.ndarray:
            """Per touched span, the index (into these events) of its last event in `mask`, -1."""
            out = np.full(n, -1, dtype=np.int64)
            np.maximum.at(out, inv[mask], order[mask])
            return out

        def put(col: np.ndarray, li: np.ndarray, values: np.ndarray) -> None:
            has = li >= 0
            col[touched[has]] = values[li[has]]

        la = last(heap_alloc)
        # npages as each event saw it: its span's last SpanAlloc before it, else the table's
        srt = np.lexsort((order, inv))  # by span, then in order
        g_first = np.r_[True, inv[srt][1:] != inv[srt][:-1]]
        start = np.maximum.accumulate(np.where(g_first, np.arange(m), 0))
        at_alloc = np.maximum.accumulate(np.where(heap_alloc[srt], np.arange(m), -1))
        seen = np.empty(m, dtype=np.int64)
        seen[srt] = np.where(at_alloc >= start, npages_raw[srt][np.clip(at_alloc, 0, None)], -1)
        # (an event's own SpanAlloc counts for it, but only a SpanCache reads this)
        npages_seen = np.where(seen >= 0, seen, self.npages[ids[live]])
        put(self.spanclass, last(heap_alloc | (cache & (npages_seen == 0))), a1)
        put(self.npages, la, npages_raw)
        put(self.nelems, la, ne)
        lset = last(heap_alloc | sweep | free)
        put(self.alloc_count, lset, np.where(sweep, a2, 0))
        lown = last(heap_alloc | cache | uncache | free)
        put(self.owner, lown, np.where(heap_alloc & large, p, np.where(cache, p, -1)))
        st_set = np.select(
            [heap_alloc & large, heap_alloc, cache, uncache & (a2 != 0), uncache, free],
            [SP_LARGE, SP_PARTIAL, SP_MCACHE, SP_FULL, SP_PARTIAL, SP_FREE],
            0,
        )
        put(self.state, lown, st_set)
        ls = last(sweep)
        after = (ls >= 0) & (ls > lown)
        if after.any():
            sp = touched[after]
            cur = self.state[sp]  # the state the last setter left (or the table's)
            moves = (cur == SP_PARTIAL) | (cur == SP_FULL)
            li = ls[after][moves]
            sp = sp[moves]
            self.state[sp] = np.where(a2[li] >= self.nelems[sp], SP_FULL, SP_PARTIAL)
        has = lset >= 0
        return touched[has], pos_l[lset[has]]

    def _apply_lifecycle(self, e: np.ndarray, pos: np.ndarray, last_set: dict[int, int]) -> None:
        """SpanAlloc/SpanCache/SpanUncache/SpanSweep/SpanFree events ``e`` (at batch positions
        ``pos``), in order. Each event reads what the ones before it wrote to its span, so they are
        replayed one by one, on plain dicts of the touched spans' columns (a numpy scalar read or
        write costs ~100-170 ns, a dict's ~30): the columns are read once and written back once.
        ``last_set`` gets, per span, the position of its last event that sets allocCount. The
        reference of `_apply_lifecycle_vec` (``replay_lifecycle``)."""
        self._need(int(e["a0"].max()) + 1)
        ids = e["a0"]
        live = ids >= 0
        if not live.any():
            return
        touched = np.unique(ids[live])
        keys = touched.tolist()
        self.max_id = max(self.max_id, keys[-1])
        self.dirty[touched] = True
        is_alloc = e["kind"] == EV.SpanAlloc
        self.realloc[ids[is_alloc & live]] = True
        npages_raw = span_pages_decode(e["a2"])[0]  # SPEC: SpanAlloc a2 is SPAN_PAGES
        ne = np.where(is_alloc, nelems_of(np.clip(e["a1"], 0, None), np.maximum(npages_raw, 1)), 0).tolist()
        names = ("state", "spanclass", "npages", "alloc_count", "nelems", "owner")
        state, spanclass, npages, alloc_count, nelems, owner = (
            dict(zip(keys, getattr(self, c)[touched].tolist())) for c in names
        )
        cols = [e[c].tolist() for c in ("kind", "p", "a0", "a1", "a2")]
        alloc_k, cache_k, uncache_k, sweep_k, free_k = (
            int(EV.SpanAlloc), int(EV.SpanCache), int(EV.SpanUncache), int(EV.SpanSweep), int(EV.SpanFree),
        )  # fmt: skip
        for i, ne_i, pages, (k, p, span, a1, a2) in zip(pos.tolist(), ne, npages_raw.tolist(), zip(*cols)):
            if span < 0:
                continue
            if k == alloc_k:
                if a1 < 0:  # manual (stack) span: not part of the heap table
                    continue
                spanclass[span], npages[span] = a1, pages
                nelems[span] = ne_i
                state[span] = SP_LARGE if a1 >> 1 == 0 else SP_PARTIAL
                alloc_count[span] = 0
                owner[span] = p if a1 >> 1 == 0 else -1
                last_set[span] = i
            elif k == cache_k:
                state[span], owner[span] = SP_MCACHE, p
                if npages[span] == 0:
                    spanclass[span] = a1
            elif k == uncache_k:
                state[span], owner[span] = (SP_FULL if a2 else SP_PARTIAL), -1
            elif k == sweep_k:
                alloc_count[span] = a2
                last_set[span] = i
                if state[span] in (SP_PARTIAL, SP_FULL):
                    state[span] = SP_FULL if a2 >= nelems[span] else SP_PARTIAL
            elif k == free_k:
                state[span], owner[span], alloc_count[span] = SP_FREE, -1, 0
                last_set[span] = i
        for c, d in zip(names, (state, spanclass, npages, alloc_count, nelems, owner)):
            col = getattr(self, c)
            col[touched] = np.fromiter(d.values(), dtype=col.dtype, count=len(keys))

    # --- Green Tea mark state ---------------------------------------------------------------------
    def _apply_mark(self, e: np.void) -> None:
        """One GCMarkBegin / GCSpanScan / GCSpanQueue / GCMarkDone (a few per drain, not per object)."""
        k = int(e["kind"])
        self.mark_version += 1
        self.version += 1
        n = self.max_id + 1
        if k == _MARK_BEGIN:
            # gcStart: the grey set is fixed here (the hybrid barrier's snapshot)
            self.mark_cycle = int(e["a0"])
            self.mark_pending, self.marking = True, 0
            self.mark_front = -1
            self.mark_rings, self.mark_shared = {}, 0
            st = self.state[:n]
            sc = self.spanclass[:n].astype(np.int64)
            elem = np.asarray(CLASS_BYTES, dtype=np.int64)[np.clip(sc >> 1, 0, len(CLASS_BYTES) - 1)]
            gt = (
                ((st == SP_MCACHE) | (st == SP_PARTIAL) | (st == SP_FULL))
                & (sc & 1 == 0)
                & (sc >> 1 > 0)
                & (elem >= GT_MIN_BYTES)
                & (elem <= GT_MAX_BYTES)
                & (self.alloc_count[:n] > 0)
            )
            self.mark_state[:] = MS_OTHER
            self.mark_state[:n][gt] = MS_UNSEEN
            self.mark_p[:] = -1
            self.mark_objs[:n] = self.alloc_count[:n]
            self.mark_t0[:] = 0
            self.mark_t1[:] = 0
            return
        if k == _MARK_DONE:
            if self.marking == 1:
                self.marking = 2
            self.mark_pending = False
            return
        if not self.mark_pending and self.marking != 1:
            return  # a drain of a cycle whose GCMarkBegin came before this table (a replay's cut)
        self.mark_pending, self.marking = False, 1
        p = int(e["p"])
        if k == _SPAN_QUEUE:
            self.mark_rings[p] = int(e["a0"])
            self.mark_shared = int(e["a1"])
            return
        lo, hi = int(e["a0"]), int(e["a1"])
        if hi >= len(self.mark_state):
            self._need(hi + 1)
        # everything between the old front and this range the core passed over: not span-queued
        # (object-queue and noscan jobs, spans with nothing marked)
        gap = slice(self.mark_front + 1, lo)
        ms = self.mark_state
        passed = ms[gap]
        passed[(passed == MS_UNSEEN) | (passed == MS_RING) | (passed == MS_SHARED)] = MS_OTHER
        rng = slice(lo, hi + 1)
        r = ms[rng]
        hit = (r == MS_UNSEEN) | (r == MS_RING) | (r == MS_SHARED)
        t0 = int(e["t_ns"])
        r[hit] = MS_SCANNED
        self.mark_p[rng][hit] = p
        self.mark_t0[rng][hit] = t0
        self.mark_t1[rng][hit] = t0 + max(int(e["a2"]), 1)
        self.mark_front = max(self.mark_front, hi)

    def _deal_queues(self) -> None:
        """The spans next past the scan front go to the queues, as many as the queues hold: each P's
        ring in P order, then the shared list (MARK_VIEW_ASSUMPTIONS)."""
        if self.marking != 1:
            return
        n = self.max_id + 1
        ms = self.mark_state[:n]
        start = self.mark_front + 1
        tail = ms[start:]
        waiting = (tail == MS_UNSEEN) | (tail == MS_RING) | (tail == MS_SHARED)
        tail[waiting] = MS_UNSEEN
        cand = start + np.flatnonzero(waiting)
        at = 0
        for p in sorted(self.mark_rings):
            take = cand[at : at + self.mark_rings[p]]
            ms[take] = MS_RING
            self.mark_p[take] = p
            at += len(take)
        take = cand[at : at + self.mark_shared]
        ms[take] = MS_SHARED
        self.mark_p[take] = -1

    def mark_info(self, span: int, now_ns: int) -> dict | None:
        """The span's Green Tea state for the inspector: its mark state, spanScanOwnership (Unowned /
        OneMark / ManyMark) and the P that holds or scans it."""
        if not 0 <= span <= self.max_id or self.marking == 0:
            return None
        st = int(self.mark_state[span])
        if st == MS_SCANNED and self.mark_t0[span] <= now_ns < self.mark_t1[span]:
            st = MS_SCANNING
        objs = int(self.mark_objs[span])
        if st in (MS_RING, MS_SHARED):
            owned = "OneMark" if objs <= 1 else "ManyMark"  # acquired when queued; a second mark: many
        else:
            owned = "Unowned"  # not queued yet, or released by scanSpan
        seen = objs if st in (MS_RING, MS_SHARED, MS_SCANNING, MS_SCANNED) else 0
        return {
            "cycle": self.mark_cycle,
            "mark_state": MARK_DRAW_NAMES[st],
            "ownership": owned,
            "p": int(self.mark_p[span]),
            "seen": seen,
            "scanned": objs if st == MS_SCANNED else 0,
            "nelems": int(self.nelems[span]),
        }

    def mark_counts(self, now_ns: int) -> np.ndarray:
        """Spans per drawn mark state (MARK_DRAW_NAMES) now."""
        n = self.max_id + 1
        st = self._mark_draw_state(np.arange(n), now_ns)
        return np.bincount(st, minlength=len(MARK_DRAW_NAMES))

    def _mark_draw_state(self, span: np.ndarray, now_ns: int) -> np.ndarray:
        st = self.mark_state[span].astype(np.int64)
        scanning = (st == MS_SCANNED) & (self.mark_t0[span] <= now_ns) & (now_ns < self.mark_t1[span])
        return np.where(scanning, MS_SCANNING, st)

    def mark_heatmap(self, now_ns: int) -> np.ndarray:
        """The mark view of the last `heatmap` layout: (rows, width) uint8 into the mark LUT (0
        background, else 1 + state * MARK_LEVELS + shade; the shade is the seen share, rising through
        the scan window for a span being scanned). Computed whole each call: the scan windows move
        with `now_ns`."""
        hm = self._hm
        if hm is None or hm["rows"] == 0:
            return np.zeros((1, 64 if hm is None else hm["key"][0]), dtype=np.uint8)
        first = hm["first"]
        has = np.flatnonzero(first >= 0)
        span = first[has]
        st = self._mark_draw_state(span, now_ns)
        share = np.clip(self.mark_objs[span] / np.maximum(self.nelems[span], 1), 0.0, 1.0)
        t0, t1 = self.mark_t0[span], self.mark_t1[span]
        prog = np.clip((now_ns - t0) / np.maximum(t1 - t0, 1), 0.0, 1.0)
        share = np.where(st == MS_SCANNING, share * prog, share)
        share = np.where(st == MS_BLACK, self.occupancy(span), share)
        share = np.where(st == MS_UNSEEN, 0.4 * share, share)  # holds objects, none seen yet
        shade = np.round(0.25 * (MARK_LEVELS - 1) + share * 0.75 * (MARK_LEVELS - 1))
        img = np.zeros(len(first), dtype=np.uint8)
        img[has] = (1 + st * MARK_LEVELS + shade).astype(np.uint8)
        return img.reshape(hm["rows"], hm["key"][0])

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
        snap = {
            f"span_{k}": getattr(self, k)[:n].copy()
            for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner", *_MARK_COLS)
        }
        rings = sorted(self.mark_rings.items())
        snap["span_mark_meta"] = np.array(
            [self.marking, int(self.mark_pending), self.mark_cycle, self.mark_front, self.mark_shared],
            dtype=np.int64,
        )
        snap["span_mark_rings"] = np.array(rings, dtype=np.int64).reshape(-1, 2)
        return snap

    def restore(self, snap: dict[str, np.ndarray]) -> None:
        n = len(snap["span_state"])
        self._alloc(max(n, 1024))
        for k in ("state", "spanclass", "npages", "alloc_count", "nelems", "owner"):
            getattr(self, k)[:n] = snap[f"span_{k}"]
        self._mark_reset()
        if "span_mark_meta" in snap:  # (recordings made before the mark view have none)
            for k in _MARK_COLS:
                getattr(self, k)[:n] = snap[f"span_{k}"]
            meta = [int(x) for x in snap["span_mark_meta"]]
            self.marking, self.mark_pending, self.mark_cycle, self.mark_front, self.mark_shared = meta[:5]
            self.mark_pending = bool(self.mark_pending)
            self.mark_rings = {int(p): int(c) for p, c in np.asarray(snap["span_mark_rings"]).reshape(-1, 2)}
        self.max_id = n - 1
        self.version += 1
        self._hm = None
