"""Per-P (or per-M) lanes of what runs when, folded from events, and their raster LOD.

A lane is a sequence of contiguous segments ``[start_ns, end_ns)`` stored as flat numpy columns
(no Python object per segment). The last segment of every lane is still open; it ends at "now".

The raster (`Timeline.raster`) answers "which state dominates each of W pixels over [t0, t1]" from
block prefix sums: for every pixel edge e, the time each state occupied the lane before e is
``prefix[block] + (up to BLOCK segments inside the block) + (part of the segment under e)``. Pixel
occupancy is the difference between neighbouring edges, so a pixel always integrates every
sub-pixel span it covers: zooming and panning never make thin spans flicker in and out.
"""

from __future__ import annotations

import numpy as np

from ..core.constants import Pdead, Pidle
from ..core.trace.events import EV, LANE_ACTIONS, MARKERS, per_kind
from ._grow import Columns

# Lane states (uint8). User goroutines take ST_USER0 + their group index.
ST_NONE = 0  # no P (beyond GOMAXPROCS, _Pdead) / M parked: drawn as background
ST_IDLE = 1  # P idle or its M in schedule()/findRunnable without spinning
ST_SPIN = 2  # spinning M looking for work (nmspinning)
ST_SYSCALL = 3  # the G on this P/M is in a syscall
ST_STW = 4  # the world is stopped
ST_GC = 5  # a GC mark worker runs (gcBgMarkWorker)
ST_ASSIST = 6  # a user G pays a GC mark assist (gcAssistAlloc)
ST_RUNTIME = 7  # a goroutine the runtime runs for itself (bgsweep, the scavenger, forcegc), not a worker
ST_CPUWAIT = 8  # the M is runnable but has no CPU (ncpu, core/os.py): it makes no progress
ST_USER0 = 9
STATE_NAMES = {
    ST_NONE: "none",
    ST_IDLE: "idle",
    ST_SPIN: "spinning",
    ST_SYSCALL: "syscall",
    ST_STW: "stop-the-world",
    ST_GC: "GC worker",
    ST_ASSIST: "GC assist",
    ST_RUNTIME: "runtime G",
    ST_CPUWAIT: "waiting for a CPU",
}

# Marker kinds: the index of SPEC's marker name in events.MARKERS
MK_STEAL = MARKERS.index("steal")
MK_HANDOFF = MARKERS.index("handoff")
MK_PREEMPT = MARKERS.index("preempt")
MARKER_NAMES = ("steal", "hand-off", "preempt")

#: segments per prefix block: memory is K*8 bytes per BLOCK segments, a pixel edge costs BLOCK lookups
BLOCK = 8

# Per-kind lane actions; A_USER resolves to ST_USER0 + group of the event's G, A_RESUME to the action
# in the event's a0 (MCPURun).
A_SKIP = -1
A_USER = 255
A_RESUME = 254
# SPEC's lane actions (core/trace/events.py LANE_ACTIONS) as lane states
_STATE_OF_ACTION = {
    "user": A_USER,
    "idle": ST_IDLE,
    "spin": ST_SPIN,
    "syscall": ST_SYSCALL,
    "gc": ST_GC,
    "assist": ST_ASSIST,
    "none": ST_NONE,
    "cpuwait": ST_CPUWAIT,
    "resume": A_RESUME,
}
assert set(_STATE_OF_ACTION) == set(LANE_ACTIONS)
#: the non-user lane states some kind's lane action in SPEC leads to, in state order
LANE_STATES_OF_SPEC = tuple(sorted({v for v in _STATE_OF_ACTION.values() if v not in (A_USER, A_RESUME)}))
#: LANE_ACTIONS index -> lane action code (A_RESUME's a0 values)
_ACTION_BY_INDEX = np.array([_STATE_OF_ACTION[a] for a in LANE_ACTIONS], dtype=np.int16)


# plain ints and per-kind tables: an IntEnum attribute costs a class lookup on every use
_RESIZE, _PSTATUS, _STW_BEGIN, _STW_END = (
    int(EV.ProcResize),
    int(EV.ProcStatus),
    int(EV.STWBegin),
    int(EV.STWEnd),
)
_MARKER_OF_KIND = per_kind(lambda sp: None if sp.marker is None else MARKERS.index(sp.marker), 255, np.uint8)
_IS_STW_KIND = np.zeros(256, dtype=bool)
_IS_STW_KIND[[_STW_BEGIN, _STW_END]] = True
_NO_GOID = np.zeros(256, dtype=bool)  # lane states that show no G
_NO_GOID[[ST_IDLE, ST_SPIN, ST_NONE]] = True
_RESUME_KIND = int(EV.MCPURun)


def _table(key: str) -> np.ndarray:
    """Per-kind lane action of a P lane (key "p") or an M lane ("m"), from SPEC."""
    field = "p_lane" if key == "p" else "m_lane"
    return per_kind(lambda sp: _STATE_OF_ACTION.get(getattr(sp, field)), fill=A_SKIP)


_SEG_DTYPES = {
    "start_ns": "<i8",
    "end_ns": "<i8",
    "state": "u1",
    "goid": "<i4",
    "other": "<i4",  # M of a P lane, P of an M lane
    "end_kind": "u1",  # EV kind that closed the segment
    "end_arg": "<i8",  # its a0 (wait reason, stop reason ...)
}


_LANE_CAPACITY = 64  # segments a new lane has room for


class Lane:
    """One P's (or M's) closed segments, block prefix sums and its open segment."""

    def __init__(self) -> None:
        # small to start with (both grow by doubling): a recording may name thousands of Ms
        self.seg = Columns(_SEG_DTYPES, _LANE_CAPACITY)
        self.k = 16  # state columns in the prefix table (grows with the number of groups)
        self.prefix = np.zeros((4, self.k), dtype=np.int64)  # row b: occupancy of segments < b*BLOCK
        # occupancy of the closed segments past the last full block: a fold adds the new segments'
        # block sums to it instead of re-reading the stored ones
        self.part = np.zeros(self.k, dtype=np.int64)
        # open segment
        self.o_start = 0
        self.o_state = ST_NONE
        self.o_goid = 0
        self.o_other = -1

    def _ensure_k(self, state_max: int) -> None:
        if state_max < self.k:
            return
        k = 1 << int(state_max).bit_length()
        p = np.zeros((len(self.prefix), k), dtype=np.int64)
        p[:, : self.k] = self.prefix
        part = np.zeros(k, dtype=np.int64)
        part[: self.k] = self.part
        self.prefix, self.part, self.k = p, part, k

    def append(self, start, end, state, goid, other, end_kind, end_arg) -> None:
        keep = end > start
        if not keep.all():
            start, end, state, goid, other, end_kind, end_arg = (
                a[keep] for a in (start, end, state, goid, other, end_kind, end_arg)
            )
        m = len(start)
        if m == 0:
            return
        self._ensure_k(int(state.max()))
        n0 = self.seg.n
        self.seg.append(
            start_ns=start,
            end_ns=end,
            state=state,
            goid=goid,
            other=other,
            end_kind=end_kind,
            end_arg=end_arg,
        )
        self._extend_prefix(n0, self.seg.n)
        lo = self.seg.n // BLOCK * BLOCK
        dur = self.seg.col("end_ns")[lo:] - self.seg.col("start_ns")[lo:]
        part = np.bincount(self.seg.col("state")[lo:], weights=dur, minlength=self.k)
        self.part = part.round().astype(np.int64)

    def _grow_prefix(self, b0: int, b1: int) -> None:
        """Room for prefix rows up to b1 (rows past b0 are about to be written)."""
        if b1 + 1 > len(self.prefix):
            p = np.zeros((max(b1 + 1, 2 * len(self.prefix)), self.k), dtype=np.int64)
            p[: b0 + 1] = self.prefix[: b0 + 1]
            self.prefix = p

    def _extend_prefix(self, n0: int, n1: int) -> None:
        b0, b1 = n0 // BLOCK, n1 // BLOCK
        if b1 == b0:
            return
        self._grow_prefix(b0, b1)
        lo, hi = b0 * BLOCK, b1 * BLOCK
        st = self.seg.col("state")[lo:hi].astype(np.int64)
        dur = self.seg.col("end_ns")[lo:hi] - self.seg.col("start_ns")[lo:hi]
        blk = np.arange(hi - lo) // BLOCK
        sums = np.bincount(blk * self.k + st, weights=dur, minlength=(b1 - b0) * self.k)
        sums = sums.reshape(b1 - b0, self.k).round().astype(np.int64)
        self.prefix[b0 + 1 : b1 + 1] = self.prefix[b0] + np.cumsum(sums, axis=0)

    def occupancy_before(self, edges: np.ndarray) -> np.ndarray:
        """(len(edges), k) ns each state occupied this lane's closed segments before each edge."""
        n = self.seg.n
        out = np.zeros((len(edges), self.k), dtype=np.int64)
        if n == 0:
            return out
        start = self.seg.col("start_ns")
        end = self.seg.col("end_ns")
        state = self.seg.col("state")  # converted after indexing: a full-column astype costs ms
        i = np.searchsorted(start, edges, side="right") - 1
        valid = i >= 0
        ic = np.clip(i, 0, n - 1)
        b = ic // BLOCK
        out[:] = self.prefix[b]
        # whole segments inside the block before segment i
        j = b[:, None] * BLOCK + np.arange(BLOCK)[None, :]
        inner = (j < ic[:, None]) & valid[:, None]
        jj = j[inner]
        rows = np.broadcast_to(np.arange(len(edges))[:, None], j.shape)[inner]
        w_inner = (end[jj] - start[jj]).astype(np.float64)
        # the part of segment i before the edge
        part = np.clip(np.minimum(edges, end[ic]) - start[ic], 0, None).astype(np.float64)
        part[~valid] = 0
        idx = np.concatenate(
            [
                rows * self.k + state[jj].astype(np.int64),
                np.arange(len(edges)) * self.k + state[ic].astype(np.int64),
            ]
        )
        w = np.concatenate([w_inner, part])
        out += (
            np.bincount(idx, weights=w, minlength=len(edges) * self.k)
            .reshape(-1, self.k)
            .round()
            .astype(np.int64)
        )
        out[~valid] = 0
        return out

    def find(self, t_ns: int) -> int:
        """Index of the closed segment containing t_ns, -1 if none (maybe the open one)."""
        n = self.seg.n
        if n == 0:
            return -1
        i = int(np.searchsorted(self.seg.col("start_ns"), t_ns, side="right")) - 1
        if i < 0 or t_ns >= self.seg.col("end_ns")[i]:
            return -1
        return i


class Timeline:
    """Lanes keyed by the event's ``p`` (key="p") or ``m`` (key="m") column.

    `apply(events, group_of)` folds a batch (oldest first); ``group_of`` maps goid -> group index.
    """

    def __init__(self, key: str = "p") -> None:
        if key not in ("p", "m"):
            raise ValueError(f"timeline key must be 'p' or 'm', not {key!r}")
        self.key = key
        self._actions = _table(key)
        self.lanes: list[Lane] = []
        self.now_ns = 0
        self.stw_active = False
        self.stw = Columns({"start_ns": "<i8", "end_ns": "<i8", "reason": "<i2"}, 64)
        self._stw_open = (0, 0)
        self.markers = Columns({"t_ns": "<i8", "lane": "<i4", "kind": "u1", "arg": "<i8", "goid": "<i4"})
        self.version = 0  # bumped on every change, lets views skip redraws

    # --- folding -------------------------------------------------------------------------------
    def _lane(self, i: int) -> Lane:
        while len(self.lanes) <= i:
            self.lanes.append(Lane())
        return self.lanes[i]

    @property
    def nlanes(self) -> int:
        return len(self.lanes)

    def active_lanes(self) -> int:
        """Lanes whose current state is not ST_NONE (for P lanes: GOMAXPROCS)."""
        return sum(1 for ln in self.lanes if ln.o_state != ST_NONE)

    def current_states(self) -> np.ndarray:
        return np.array([ln.o_state for ln in self.lanes], dtype=np.uint8)

    def apply(self, ev: np.ndarray, group_of: np.ndarray) -> None:
        if len(ev) == 0:
            return
        self.version += 1
        kind = ev["kind"]
        # STW is an overlay across all lanes (see raster), not a lane state: only a GOMAXPROCS
        # change has to cut the batch
        self._markers(ev)
        self._stw_events(ev)
        tr = self._transition_columns(ev, group_of)
        cut = np.flatnonzero(kind == _RESIZE) if self.key == "p" else ()
        if len(cut) == 0:
            self._transitions(tr, 0, len(tr[0]))
        else:
            # transitions between two specials fold together; the specials apply in order
            pos = np.searchsorted(tr[0], cut)
            lo = 0
            for c, hi in zip(cut.tolist(), pos.tolist()):
                self._transitions(tr, lo, hi)
                self._special(ev[c])
                lo = hi
            self._transitions(tr, lo, len(tr[0]))
        self.now_ns = max(self.now_ns, int(ev["t_ns"][-1]))

    def advance(self, now_ns: int) -> None:
        if now_ns > self.now_ns:
            self.now_ns = now_ns
            self.version += 1

    def _markers(self, ev: np.ndarray) -> None:
        if self.key != "p":
            return
        mk = _MARKER_OF_KIND[ev["kind"]]
        sel = np.flatnonzero(mk != 255)
        if len(sel) == 0:
            return
        self.markers.extend(len(sel), ev["t_ns"][sel], ev["p"][sel], mk[sel], ev["a0"][sel], ev["g"][sel])

    def _stw_events(self, ev: np.ndarray) -> None:
        kind = ev["kind"]
        sel = np.flatnonzero(_IS_STW_KIND[kind])
        if len(sel) == 0:
            return
        for t, k, a0 in zip(ev["t_ns"][sel].tolist(), kind[sel].tolist(), ev["a0"][sel].tolist()):
            if k == _STW_BEGIN and not self.stw_active:
                self.stw_active = True
                self._stw_open = (t, a0)
            elif k == _STW_END and self.stw_active:
                self.stw_active = False
                self.stw.append(start_ns=self._stw_open[0], end_ns=t, reason=a0)

    def _transition_columns(self, ev: np.ndarray, group_of: np.ndarray) -> tuple[np.ndarray, ...]:
        """Plain columns of the events that change a lane: (index in batch, lane, t, state, goid,
        other, kind, a0), computed once per batch."""
        kind = ev["kind"]
        act = self._actions[kind]
        if self.key == "p":  # ProcStatus: _Pdead blanks the lane, _Pidle idles it, others change nothing
            ps = kind == _PSTATUS
            if ps.any():
                a0 = ev["a0"]
                act = np.where(
                    ps, np.where(a0 == Pdead, ST_NONE, np.where(a0 == Pidle, ST_IDLE, A_SKIP)), act
                )
        rs = np.flatnonzero(act == A_RESUME)
        if len(rs):  # MCPURun: what the M did before it waited, from a0
            act = act.copy()
            a0 = np.clip(ev["a0"][rs], 0, len(_ACTION_BY_INDEX) - 1)
            act[rs] = _ACTION_BY_INDEX[a0]
            act[rs[act[rs] == A_RESUME]] = ST_IDLE
        lane_all = ev[self.key]
        idx = np.flatnonzero((act != A_SKIP) & (lane_all >= 0))
        act = act[idx]
        g = ev["g"][idx].astype(np.int64)
        ok = (g > 0) & (g < len(group_of))
        grp = np.where(ok, group_of[np.where(ok, g, 0)], 0).astype(np.int64)
        # group -1: the runtime's own goroutines (ST_USER0 - 1 would be taken for a state)
        state = np.where(act == A_USER, np.where(grp >= 0, ST_USER0 + grp, ST_RUNTIME), act).astype(np.uint8)
        goid = np.where(_NO_GOID[state], 0, g).astype(np.int32)
        other = ev["m" if self.key == "p" else "p"][idx].astype(np.int32)
        lane = lane_all[idx]  # kept narrow: a stable argsort of int16 is a radix sort
        return idx, lane, ev["t_ns"][idx], state, goid, other, kind[idx], ev["a0"][idx]

    def _transitions(self, tr: tuple[np.ndarray, ...], lo: int, hi: int) -> None:
        """Fold transitions [lo, hi) into their lanes, all lanes in one set of array operations
        (a loop over lanes cost a dozen numpy calls per lane and frame).

        Each lane's events, in order, follow a row holding its open segment; a segment closes where
        the state or the goid changes."""
        if hi <= lo:
            return
        _, lane, t, state, goid, other, kind, a0 = (c[lo:hi] for c in tr)
        n = hi - lo
        order = np.argsort(lane, kind="stable")
        lane_sorted = lane[order]
        first = np.flatnonzero(np.r_[True, lane_sorted[1:] != lane_sorted[:-1]])
        lane_ids = lane_sorted[first].tolist()
        self._lane(lane_ids[-1])
        lns = [self.lanes[i] for i in lane_ids]
        nl = len(lns)
        rows = n + nl
        head = first + np.arange(nl)  # row of each lane's open segment
        lane_of_ev = np.zeros(n, dtype=np.intp)
        lane_of_ev[first[1:]] = 1
        ev_row = np.arange(1, n + 1) + np.cumsum(lane_of_ev)
        ev_of_row = np.zeros(rows, dtype=np.intp)
        ev_of_row[ev_row] = order
        ts = np.empty(rows, dtype=np.int64)
        ts[head] = [ln.o_start for ln in lns]
        ts[ev_row] = t[order]
        st = np.empty(rows, dtype=np.uint8)
        st[head] = [ln.o_state for ln in lns]
        st[ev_row] = state[order]
        gd = np.empty(rows, dtype=np.int32)
        gd[head] = [ln.o_goid for ln in lns]
        gd[ev_row] = goid[order]
        ot = np.empty(rows, dtype=np.int32)
        ot[head] = [ln.o_other for ln in lns]
        ot[ev_row] = other[order]
        is_head = np.zeros(rows, dtype=bool)
        is_head[head] = True
        # time never runs backwards inside a lane (clamp as a running maximum, per lane)
        back = ts[1:] < ts[:-1]
        back &= ~is_head[1:]
        if back.any():
            for a, b in zip(head.tolist(), np.r_[head[1:], rows].tolist()):
                ts[a:b] = np.maximum.accumulate(ts[a:b])
        keep = np.empty(rows, dtype=bool)
        np.not_equal(st[1:], st[:-1], out=keep[1:])
        keep[1:] |= gd[1:] != gd[:-1]
        keep |= is_head
        k = np.flatnonzero(keep)
        last = k[np.searchsorted(k, np.r_[head[1:], rows]) - 1]  # each lane's new open segment
        s_i, e_i = k[:-1], k[1:]  # a kept row is closed by the next kept row of its lane
        closed = ~is_head[e_i]
        closed &= ts[e_i] > ts[s_i]  # empty segments are dropped
        s_i, e_i = s_i[closed], e_i[closed]
        if len(s_i):
            self._append_segments(lns, head, ts, st, gd, ot, s_i, e_i, ev_of_row[e_i], kind, a0)
        for ln, o_start, o_state, o_goid, o_other in zip(
            lns, ts[last].tolist(), st[last].tolist(), gd[last].tolist(), ot[last].tolist()
        ):
            ln.o_start, ln.o_state, ln.o_goid, ln.o_other = o_start, o_state, o_goid, o_other

    @staticmethod
    def _append_segments(lns, head, ts, st, gd, ot, s_i, e_i, closing, kind, a0) -> None:
        """Append the closed segments (rows s_i, closed by rows e_i, grouped by lane) and extend
        each lane's prefix blocks, with the block sums of all lanes from one bincount."""
        start, end, state = ts[s_i], ts[e_i], st[s_i]
        goid, other, end_kind, end_arg = gd[s_i], ot[s_i], kind[closing], a0[closing]
        bounds = np.searchsorted(s_i, head).tolist() + [len(s_i)]
        has = [j for j in range(len(lns)) if bounds[j + 1] > bounds[j]]
        lo = np.array([bounds[j] for j in has])
        cnt = np.array([bounds[j + 1] for j in has]) - lo
        smax = np.maximum.reduceat(state, lo).tolist()
        for j, s in zip(has, smax):
            lns[j]._ensure_k(s)
        n0 = np.array([lns[j].seg.n for j in has])
        b0 = n0 // BLOCK
        nrows = (n0 + cnt) // BLOCK - b0 + 1  # blocks touched, the last one still incomplete
        row0 = np.cumsum(nrows) - nrows
        kk = max(lns[j].k for j in has)
        grp = np.repeat(np.arange(len(has)), cnt)
        blk = (n0[grp] + np.arange(len(s_i)) - lo[grp]) // BLOCK - b0[grp]
        sums = np.bincount(
            (row0[grp] + blk) * kk + state, weights=end - start, minlength=int(nrows.sum()) * kk
        )
        sums = sums.reshape(-1, kk).round().astype(np.int64)
        for j, a, m, b, r, nr in zip(
            has, lo.tolist(), cnt.tolist(), b0.tolist(), row0.tolist(), nrows.tolist()
        ):
            ln = lns[j]
            z = a + m
            ln.seg.extend(
                m, start[a:z], end[a:z], state[a:z], goid[a:z], other[a:z], end_kind[a:z], end_arg[a:z]
            )
            blocks = sums[r : r + nr, : ln.k]
            blocks[0] += ln.part
            if nr > 1:
                ln._grow_prefix(b, b + nr - 1)
                ln.prefix[b + 1 : b + nr] = ln.prefix[b] + np.cumsum(blocks[:-1], axis=0)
            ln.part = blocks[-1].copy()

    def _set_open(
        self, li: int, t_ns: int, state: int, goid: int, other: int, kind: int, arg: int = 0
    ) -> None:
        lane = self._lane(li)
        if lane.o_state == state and lane.o_goid == goid:
            return
        t_ns = max(t_ns, lane.o_start)
        lane.append(
            np.array([lane.o_start]), np.array([t_ns]), np.array([lane.o_state], np.uint8),
            np.array([lane.o_goid], np.int32), np.array([lane.o_other], np.int32),
            np.array([kind], np.uint8), np.array([arg]),
        )  # fmt: skip
        lane.o_start, lane.o_state, lane.o_goid, lane.o_other = t_ns, state, goid, other

    def _special(self, row) -> None:
        """ProcResize: lanes at or above the new GOMAXPROCS go blank, revived ones idle."""
        t, a1 = int(row["t_ns"]), int(row["a1"])
        for li in range(max(a1, len(self.lanes))):
            self._lane(li)
            if li >= a1:
                self._set_open(li, t, ST_NONE, 0, -1, EV.ProcResize, a1)
            elif self.lanes[li].o_state == ST_NONE:
                self._set_open(li, t, ST_IDLE, 0, -1, EV.ProcResize, a1)

    # --- queries -------------------------------------------------------------------------------
    def raster(
        self,
        t0_ns: float,
        t1_ns: float,
        width: int,
        now_ns: int | None = None,
        from_px: list[int] | None = None,
    ) -> np.ndarray:
        """(nlanes, width) uint8: the state occupying most of each pixel's time, ST_NONE if nothing.

        ``from_px[lane]`` computes only that lane's pixels from there on (the others are left 0):
        see `dirty_from_px` for redrawing only what changed since an earlier raster."""
        now = self.now_ns if now_ns is None else now_ns
        width = max(int(width), 1)
        out = np.zeros((len(self.lanes), width), dtype=np.uint8)
        if t1_ns <= t0_ns:
            return out
        edges = (t0_ns + (t1_ns - t0_ns) * np.arange(width + 1, dtype=np.float64) / width).astype(np.int64)
        stw = self._stw_occupancy(edges, now)
        # pixels that begin at or after the end of everything folded hold nothing (ST_NONE): a
        # following view keeps headroom on the right, up to a fifth of its width, redrawn every frame
        stop = int(np.searchsorted(edges[:width], self._horizon(now), side="left"))
        for li, lane in enumerate(self.lanes):
            px = 0 if from_px is None or li >= len(from_px) else max(int(from_px[li]), 0)
            if px < stop:
                out[li, px:stop] = self._lane_raster(lane, edges[px : stop + 1], now, stw[px:stop])
        return out

    def _horizon(self, now: int) -> int:
        """The end of everything a raster at `now` can draw: open segments and an open STW end at
        `now`, closed ones where they ended (a recording's lanes may end after a cursor's `now`)."""
        h = now
        for ln in self.lanes:
            n = ln.seg.n
            if n:
                h = max(h, int(ln.seg.col("end_ns")[n - 1]))
        if len(self.stw):
            h = max(h, int(self.stw.col("end_ns")[len(self.stw) - 1]))
        return h

    def _lane_raster(self, lane: Lane, edges: np.ndarray, now: int, stw: np.ndarray) -> np.ndarray:
        lo, hi = edges[:-1], edges[1:]
        occ_edges = lane.occupancy_before(edges)
        occ = occ_edges[1:] - occ_edges[:-1]
        if lane.o_state != ST_NONE and now > lane.o_start:
            if lane.o_state >= occ.shape[1]:
                lane._ensure_k(lane.o_state)
                occ = np.pad(occ, ((0, 0), (0, lane.k - occ.shape[1])))
            part = np.clip(np.minimum(hi, now) - np.maximum(lo, lane.o_start), 0, None)
            occ[:, lane.o_state] += part
        occ[:, ST_NONE] = 0
        # SIMPLIFICATION: STW takes its share of the pixel from the lane's states in proportion
        if stw.any():  # the stop-the-world overlay replaces its share of every live lane's time
            live = occ.sum(axis=1) > 0
            keep = 1.0 - stw / np.maximum(hi - lo, 1)
            occ = (occ * keep[:, None]).astype(np.int64)
            occ[:, ST_STW] += np.where(live, stw, 0)
        best = occ.argmax(axis=1)
        best[occ.max(axis=1) <= 0] = ST_NONE
        return best.astype(np.uint8)

    def raster_marks(self) -> list[tuple[int, int, int]]:
        """Per lane (closed segments, open start, open state): what `dirty_from_px` compares."""
        return [(ln.seg.n, ln.o_start, ln.o_state) for ln in self.lanes]

    def dirty_from_px(self, marks, marks_now_ns: int, t0_ns: float, t1_ns: float, width: int) -> list[int]:
        """First pixel of each lane that may differ from a raster taken at `marks` (same window)."""
        out = []
        scale = width / max(t1_ns - t0_ns, 1)
        for li, ln in enumerate(self.lanes):
            if li >= len(marks):
                out.append(0)
                continue
            n, o_start, o_state = marks[li]
            if ln.seg.n == n and ln.o_start == o_start and ln.o_state == o_state:
                if o_state == ST_NONE:
                    out.append(width)  # nothing happened on a blank lane
                    continue
                t_dirty = marks_now_ns  # only the open segment grew
            else:
                t_dirty = o_start  # new segments start at or after the old open one
            t_dirty = min(t_dirty, self._stw_open[0] if self.stw_active else t_dirty)
            out.append(int(np.clip(np.floor((t_dirty - t0_ns) * scale) - 1, 0, width)))
        return out

    def _stw_occupancy(self, edges: np.ndarray, now: int) -> np.ndarray:
        """ns of stop-the-world inside each pixel [edges[i], edges[i+1])."""
        s, e = self.stw_bands()
        if len(s) == 0:
            return np.zeros(len(edges) - 1, dtype=np.int64)
        e = np.minimum(e, now)
        dur = np.maximum(e - s, 0)
        before = np.r_[0, np.cumsum(dur)]
        i = np.searchsorted(s, edges, side="right") - 1  # band starting at or before the edge
        ic = np.clip(i, 0, len(s) - 1)
        c = np.where(i >= 0, before[ic] + np.clip(edges - s[ic], 0, dur[ic]), 0)
        return np.diff(c)

    def stw_at(self, t_ns: int) -> tuple[int, int] | None:
        """(start, end) of the stop-the-world covering t_ns, if any."""
        s, e = self.stw_bands()
        i = int(np.searchsorted(s, t_ns, side="right")) - 1
        if i >= 0 and t_ns < e[i]:
            return int(s[i]), int(e[i])
        return None

    def segment_at(self, lane: int, t_ns: int) -> dict | None:
        """What lane `lane` did at t_ns: state, goid, other (M or P), start/end, closing event."""
        if not 0 <= lane < len(self.lanes):
            return None
        ln = self.lanes[lane]
        band = self.stw_at(t_ns)
        if band is not None and ln.o_state != ST_NONE or (band is not None and ln.seg.n):
            return {
                "state": ST_STW, "goid": 0, "other": -1, "start_ns": band[0], "end_ns": band[1],
                "end_kind": int(EV.STWEnd), "end_arg": 0, "open": False,
            }  # fmt: skip
        i = ln.find(t_ns)
        if i >= 0:
            c = ln.seg
            row = {k: int(c.col(k)[i]) for k in _SEG_DTYPES}
            row["open"] = False
            return row
        if t_ns >= ln.o_start and t_ns <= self.now_ns:
            return {
                "state": ln.o_state, "goid": ln.o_goid, "other": ln.o_other, "start_ns": ln.o_start,
                "end_ns": self.now_ns, "end_kind": 0, "end_arg": 0, "open": True,
            }  # fmt: skip
        return None

    def segments_in(self, lane: int, t0_ns: float, t1_ns: float) -> dict[str, np.ndarray]:
        """The segments of `lane` that overlap [t0, t1) (the open one ends now): start_ns, end_ns,
        state, goid columns, by time. Segments of one lane never overlap, so both ends are sorted
        and the range is two binary searches."""
        out = {k: np.zeros(0, dtype=_SEG_DTYPES[k]) for k in ("start_ns", "end_ns", "state", "goid")}
        if not 0 <= lane < len(self.lanes):
            return out
        ln = self.lanes[lane]
        c = ln.seg
        lo = int(np.searchsorted(c.col("end_ns"), t0_ns, side="right"))
        hi = int(np.searchsorted(c.col("start_ns"), t1_ns, side="left"))
        out = {k: c.col(k)[lo:hi] for k in out}
        if ln.o_state != ST_NONE and ln.o_start < t1_ns and self.now_ns > t0_ns:
            tail = (ln.o_start, self.now_ns, ln.o_state, ln.o_goid)
            out = {k: np.append(v, np.array(x, dtype=v.dtype)) for (k, v), x in zip(out.items(), tail)}
        return out

    def count_in(self, lane: int, t0_ns: float, t1_ns: float) -> int:
        """len(segments_in(lane, t0_ns, t1_ns)["state"]) without building the columns."""
        if not 0 <= lane < len(self.lanes):
            return 0
        ln = self.lanes[lane]
        c = ln.seg
        lo = int(np.searchsorted(c.col("end_ns"), t0_ns, side="right"))
        hi = int(np.searchsorted(c.col("start_ns"), t1_ns, side="left"))
        tail = ln.o_state != ST_NONE and ln.o_start < t1_ns and self.now_ns > t0_ns
        return max(hi - lo, 0) + int(tail)

    def segment_count(self) -> int:
        return sum(ln.seg.n for ln in self.lanes)

    def markers_in(self, t0_ns: float, t1_ns: float, limit: int = 4000) -> dict[str, np.ndarray]:
        """Markers in [t0, t1], decimated evenly to at most `limit`."""
        t = self.markers.col("t_ns")
        lo, hi = np.searchsorted(t, [t0_ns, t1_ns])
        idx = np.arange(lo, hi)
        if len(idx) > limit:
            idx = idx[np.linspace(0, len(idx) - 1, limit).astype(np.int64)]
        return {k: self.markers.col(k)[idx] for k in ("t_ns", "lane", "kind", "arg", "goid")}

    def stw_bands(self) -> tuple[np.ndarray, np.ndarray]:
        """Closed STW intervals plus the open one (ending now)."""
        s, e = self.stw.col("start_ns"), self.stw.col("end_ns")
        if self.stw_active:
            s = np.append(s, self._stw_open[0])
            e = np.append(e, self.now_ns)
        return s, e


def band_raster(starts: np.ndarray, ends: np.ndarray, t0_ns: float, t1_ns: float, width: int) -> np.ndarray:
    """(width,) uint8: 1 where a pixel overlaps any [start, end) band (bands sorted, disjoint)."""
    width = max(int(width), 1)
    out = np.zeros(width, dtype=np.uint8)
    if len(starts) == 0 or t1_ns <= t0_ns:
        return out
    scale = width / (t1_ns - t0_ns)
    lo = np.floor((np.asarray(starts, dtype=np.float64) - t0_ns) * scale).astype(np.int64)
    hi = np.ceil((np.asarray(ends, dtype=np.float64) - t0_ns) * scale).astype(np.int64)
    hi = np.maximum(hi, lo + 1)  # a band shorter than a pixel still shows as one pixel
    lo, hi = np.clip(lo, 0, width), np.clip(hi, 0, width)
    diff = np.zeros(width + 1, dtype=np.int64)
    np.add.at(diff, lo, 1)
    np.add.at(diff, hi, -1)
    out[np.cumsum(diff[:-1]) > 0] = 1
    return out
