"""The CURRENT runtime state folded from events: G table, Ps, Ms, run queues.

Gs are columns indexed by goid (``allgs`` never shrinks either). Run queues are rebuilt from
RunqPut/RunqGet/RunqSpill/ProcSteal/GlobRunqPut/GlobRunqGet in event order: a P's local ring is a
FIFO whose length after each operation is carried by the event, so the fold re-synchronises on it
(`resyncs` counts how often it had to; 0 means the events were sufficient to reconstruct the
queues exactly). `snapshot()`/`restore()` give/take a dict of numpy arrays (recording keyframes).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..core.constants import Gdead, Grunning, Gsyscall, Gwaiting, Pdead, Pidle, Prunning
from ..core.trace.events import (
    EV,
    SRC_GLOBAL,
    SRC_GLOBAL_FAIR,
    SRC_LOCAL,
    SRC_RUNNEXT,
    WHERE_GLOBAL_HEAD,
    WHERE_RUNNEXT,
    per_kind,
)

G_NONE = -1  # goid never seen
# SPEC declares each kind's G status after it (-2: the kind leaves the status alone)
_STATUS_BY_KIND = per_kind(lambda sp: sp.status, fill=-2)

_QUEUE_KINDS = (
    EV.RunqPut,
    EV.RunqGet,
    EV.RunqSpill,
    EV.GlobRunqPut,
    EV.GlobRunqGet,
    EV.ProcSteal,
    EV.ProcResize,
)
_IS_QUEUE_KIND = np.zeros(256, dtype=bool)
_IS_QUEUE_KIND[list(map(int, _QUEUE_KINDS))] = True
# what the P's current G becomes (-1: the event's g, 0: none, -2: no change)
_CURG_BY_KIND = per_kind(lambda sp: {"g": -1, "none": 0}.get(sp.curg), fill=-2, dtype=np.int8)
_PSTATUS_KINDS = np.zeros(256, dtype=bool)
_PSTATUS_KINDS[[int(EV.ProcStart), int(EV.ProcStop), int(EV.ProcStatus)]] = True
_PKINDS = _PSTATUS_KINDS | (_CURG_BY_KIND != -2)
_MKINDS = np.zeros(256, dtype=bool)
_MKINDS[
    [int(k) for k in (EV.MCreate, EV.MPark, EV.MWake, EV.MSpinBegin, EV.MSpinEnd, EV.ProcStart, EV.ProcStop)]
] = True
# plain ints: an IntEnum attribute costs a class lookup on every use
_GOCREATE, _PSTART, _PSTOP = int(EV.GoCreate), int(EV.ProcStart), int(EV.ProcStop)
_MPARK, _MWAKE, _MSPIN_BEGIN = int(EV.MPark), int(EV.MWake), int(EV.MSpinBegin)


_RUNQPUT, _RUNQGET, _RUNQSPILL = int(EV.RunqPut), int(EV.RunqGet), int(EV.RunqSpill)
_GLOBPUT, _GLOBGET, _STEAL, _RESIZE = (
    int(EV.GlobRunqPut),
    int(EV.GlobRunqGet),
    int(EV.ProcSteal),
    int(EV.ProcResize),
)


def _last_per(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys ascending, index of each key's last occurrence) of small keys >= 0 (Ps, Ms):
    a scatter of positions, cheaper than the sort behind np.unique."""
    pos = np.full(int(keys.max()) + 1, -1, dtype=np.intp)
    np.maximum.at(pos, keys, np.arange(len(keys)))
    u = np.flatnonzero(pos >= 0)
    return u, pos[u]


def _grow(a: np.ndarray, n: int, fill) -> np.ndarray:
    if n <= len(a):
        return a
    b = np.full(max(n, 2 * len(a)), fill, dtype=a.dtype)
    b[: len(a)] = a
    return b


class RuntimeState:
    """G/P/M tables and queues as of the last applied event."""

    def __init__(self) -> None:
        cap = 1024
        self.g_status = np.full(cap, G_NONE, dtype=np.int8)
        self.g_reason = np.zeros(cap, dtype=np.uint8)
        self.g_group = np.zeros(cap, dtype=np.int16)
        self.g_p = np.full(cap, -1, dtype=np.int16)
        self.g_m = np.full(cap, -1, dtype=np.int32)
        self.g_since_ns = np.zeros(cap, dtype=np.int64)
        self.g_created_ns = np.zeros(cap, dtype=np.int64)
        self.g_max = 0  # highest goid seen
        self._g_last = np.full(cap, -1, dtype=np.intp)  # scratch of _apply_g, all -1 between folds
        self.p_status = np.full(8, Pdead, dtype=np.int8)
        self.p_m = np.full(8, -1, dtype=np.int32)
        self.p_curg = np.zeros(8, dtype=np.int32)
        self.m_p = np.full(8, -1, dtype=np.int32)
        self.m_curg = np.zeros(8, dtype=np.int32)
        self.m_spinning = np.zeros(8, dtype=np.int8)
        self.m_parked = np.zeros(8, dtype=np.int8)
        self.m_count = 0
        self.gomaxprocs = 0
        self.runq: list[deque[int]] = []
        self.runnext: list[int] = []
        self.globrunq: deque[int] = deque()
        self.resyncs = 0
        self.now_ns = 0
        self.events = 0

    # --- growth --------------------------------------------------------------------------------
    def _need_g(self, n: int) -> None:
        if n <= len(self.g_status):
            return
        self.g_status = _grow(self.g_status, n, G_NONE)
        self.g_reason = _grow(self.g_reason, n, 0)
        self.g_group = _grow(self.g_group, n, 0)
        self.g_p = _grow(self.g_p, n, -1)
        self.g_m = _grow(self.g_m, n, -1)
        self.g_since_ns = _grow(self.g_since_ns, n, 0)
        self.g_created_ns = _grow(self.g_created_ns, n, 0)
        self._g_last = _grow(self._g_last, n, -1)

    def _need_p(self, p: int) -> None:
        n = p + 1
        self.p_status = _grow(self.p_status, n, Pdead)
        self.p_m = _grow(self.p_m, n, -1)
        self.p_curg = _grow(self.p_curg, n, 0)
        while len(self.runq) < n:
            self.runq.append(deque())
            self.runnext.append(0)

    def _need_m(self, m: int) -> None:
        n = m + 1
        self.m_p = _grow(self.m_p, n, -1)
        self.m_curg = _grow(self.m_curg, n, 0)
        self.m_spinning = _grow(self.m_spinning, n, 0)
        self.m_parked = _grow(self.m_parked, n, 0)
        self.m_count = max(self.m_count, n)

    @property
    def group_of(self) -> np.ndarray:
        return self.g_group

    # --- folding -------------------------------------------------------------------------------
    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        kind = ev["kind"]
        # a ProcResize rewrites P statuses: fold up to each one separately so the result does not
        # depend on where batches were cut (recording keyframes rely on it)
        cuts = np.flatnonzero(kind[:-1] == _RESIZE)
        if len(cuts):
            prev = 0
            for c in (cuts + 1).tolist():
                self.apply(ev[prev:c])
                prev = c
            self.apply(ev[prev:])
            return
        self.events += len(ev)
        self.now_ns = max(self.now_ns, int(ev["t_ns"][-1]))
        self._apply_g(ev, kind)
        self._apply_p(ev, kind)
        self._apply_m(ev, kind)
        q = np.flatnonzero(_IS_QUEUE_KIND[kind])
        if len(q):
            self._apply_queues(ev, q)

    def _apply_p(self, ev: np.ndarray, kind: np.ndarray) -> None:
        p = ev["p"]
        sel = np.flatnonzero(_PKINDS[kind] & (p >= 0))
        if len(sel) == 0:
            return
        p, k = p[sel], kind[sel]
        self._need_p(int(p.max()))
        cg = _CURG_BY_KIND[k]
        s = np.flatnonzero(cg != -2)
        if len(s):
            u, last = _last_per(p[s])
            li = s[last]
            self.p_curg[u] = np.where(cg[li] == -1, ev["g"][sel[li]], 0)
        s = np.flatnonzero(_PSTATUS_KINDS[k])
        if len(s):
            u, last = _last_per(p[s])
            li = s[last]
            lk = k[li]
            self.p_status[u] = np.select([lk == _PSTART, lk == _PSTOP], [Prunning, Pidle], ev["a0"][sel[li]])
        s = np.flatnonzero((k == _PSTART) | (k == _PSTOP))  # the last that changes p_m wins
        if len(s):
            u, last = _last_per(p[s])
            li = s[last]
            self.p_m[u] = np.where(k[li] == _PSTART, ev["m"][sel[li]], -1)

    def _apply_m(self, ev: np.ndarray, kind: np.ndarray) -> None:
        m = ev["m"]
        sel = np.flatnonzero(_MKINDS[kind] & (m >= 0))
        if len(sel) == 0:
            return
        m, k = m[sel], kind[sel]
        self._need_m(int(m.max()))
        u, last = _last_per(m)
        lk = k[last]
        self.m_parked[u] = lk == _MPARK
        self.m_spinning[u] = lk == _MSPIN_BEGIN  # MSpinEnd and every other M event end spinning
        p = ev["p"][sel]
        drops_p = (k == _MPARK) | (k == _PSTOP)
        # the last event that changes m_p wins
        s = np.flatnonzero((k == _PSTART) | ((k == _MWAKE) & (p >= 0)) | drops_p)
        if len(s):
            u, last = _last_per(m[s])
            li = s[last]
            self.m_p[u] = np.where(drops_p[li], -1, p[li])

    def _apply_g(self, ev: np.ndarray, kind: np.ndarray) -> None:
        st = _STATUS_BY_KIND[kind]
        g = ev["g"]
        sel = np.flatnonzero((st >= 0) & (g > 0))
        if len(sel) == 0:
            return
        st, g = st[sel], g[sel].astype(np.int64)
        g_hi = int(g.max())
        self._need_g(g_hi + 1)
        self.g_max = max(self.g_max, g_hi)
        created = np.flatnonzero(kind[sel] == _GOCREATE)
        if len(created):
            gc, ci = g[created], sel[created]
            self.g_group[gc] = ev["a1"][ci]
            self.g_created_ns[gc] = ev["t_ns"][ci]
        # last event per G wins: scatter each event's position, keep the events that won
        pos = self._g_last
        order = np.arange(len(g))
        np.maximum.at(pos, g, order)
        last = np.flatnonzero(pos[g] == order)
        pos[g] = -1
        u, ls, li = g[last], st[last], sel[last]
        self.g_status[u] = ls
        self.g_since_ns[u] = ev["t_ns"][li]
        self.g_reason[u] = np.where(ls == Gwaiting, ev["a0"][li], 0).astype(np.uint8)
        on_cpu = (ls == Grunning) | (ls == Gsyscall)
        self.g_p[u] = np.where(on_cpu, ev["p"][li], -1)
        self.g_m[u] = np.where(on_cpu, ev["m"][li], -1)

    def _apply_queues(self, ev: np.ndarray, q: np.ndarray) -> None:
        """Replay the queue events ``ev[q]`` in order."""
        cols = [ev[c][q].tolist() for c in ("kind", "p", "g", "a0", "a1", "a2")]
        npr = len(self.runq)
        runq, runnext, resync = self.runq, self.runnext, self._resync
        for kind, p, g, a0, a1, a2 in zip(*cols):
            if p >= npr:
                self._need_p(p)
                npr = len(self.runq)
                runnext = self.runnext
            # the two hot kinds inline (a method call per event doubles the fold's cost)
            if kind == _RUNQPUT:
                ring = runq[p]
                if a0 == WHERE_RUNNEXT:
                    # a kicked runnext (a2) arrives as its own RunqPut(local) or RunqSpill next
                    runnext[p] = g
                else:
                    ring.append(g)
                if len(ring) != a1:
                    resync(ring, a1)
            elif kind == _RUNQGET:
                ring = runq[p]
                if a0 == SRC_RUNNEXT:
                    if runnext[p] == g:
                        runnext[p] = 0
                elif ring and ring[0] == g:
                    ring.popleft()
                else:
                    self._runqget(p, g, a0, a1)
                if len(ring) != a1:
                    resync(ring, a1)
            elif kind == _RUNQSPILL:
                ring = self.runq[p]
                moved = [ring.popleft() for _ in range(min(a0 - 1, len(ring)))]
                if g:
                    moved.append(g)
                self.globrunq.extend(moved)
                self._resync(self.globrunq, a1)
            elif kind == _GLOBPUT:
                if a0 == WHERE_GLOBAL_HEAD:
                    self.globrunq.appendleft(g)
                else:
                    self.globrunq.append(g)
                self._resync(self.globrunq, a1)
            elif kind == _GLOBGET:
                gq = self.globrunq
                got = [gq.popleft() for _ in range(min(a0, len(gq)))]
                if g in got:
                    got.remove(g)
                elif got:
                    got.pop(0)
                if p >= 0:
                    self.runq[p].extend(got)
                self._resync(gq, a1)
            elif kind == _STEAL:
                self._need_p(a0)
                npr = len(self.runq)
                if a2:
                    moved = [self.runnext[a0]] if self.runnext[a0] else []
                    self.runnext[a0] = 0
                else:
                    victim = self.runq[a0]
                    moved = [victim.popleft() for _ in range(min(a1, len(victim)))]
                self.runq[p].extend(moved)
            elif kind == _RESIZE:
                self._resize(a1)
                npr = len(self.runq)

    def _resize(self, n: int) -> None:
        self.gomaxprocs = n
        if n > 0:
            self._need_p(n - 1)
        for p in range(len(self.p_status)):
            if p >= n:
                self.p_status[p] = Pdead
            elif self.p_status[p] == Pdead:
                self.p_status[p] = Pidle

    def _resync(self, q: deque[int], want: int) -> None:
        """Trust the length the runtime reported: drop from the head or pad with unknown Gs (0)."""
        # SIMPLIFICATION: a disagreement is repaired at the head; the exact Gs may then be off
        if want < 0 or len(q) == want:
            return
        self.resyncs += 1
        while len(q) > want:
            q.popleft()
        while len(q) < want:
            q.append(0)

    def _runqput(self, p: int, g: int, where: int, length: int, kicked: int) -> None:
        ring = self.runq[p]
        if where == WHERE_RUNNEXT:
            if kicked:
                ring.append(kicked)
                # the engine may report the ring length before the kicked G reached the tail
                if len(ring) == length + 1:
                    length += 1
            self.runnext[p] = g
        else:
            ring.append(g)
        self._resync(ring, length)

    def _runqget(self, p: int, g: int, source: int, length: int) -> None:
        if source == SRC_RUNNEXT:
            if self.runnext[p] == g:
                self.runnext[p] = 0
        elif source in (SRC_GLOBAL, SRC_GLOBAL_FAIR):
            if g in self.globrunq:
                self.globrunq.remove(g)
        else:
            ring = self.runq[p]
            if ring and ring[0] == g:
                ring.popleft()
            elif g in ring:
                ring.remove(g)
            elif source == SRC_LOCAL and ring:
                ring.popleft()
        self._resync(self.runq[p], length)

    # --- queries -------------------------------------------------------------------------------
    def live_goids(self) -> np.ndarray:
        st = self.g_status[: self.g_max + 1]
        return np.flatnonzero((st >= 0) & (st != Gdead))

    def runq_lengths(self) -> np.ndarray:
        return np.array([len(q) for q in self.runq], dtype=np.int64)

    def runq_contents(self, p: int) -> list[int]:
        return list(self.runq[p]) if 0 <= p < len(self.runq) else []

    def g_info(self, goid: int) -> dict | None:
        if not 0 < goid < len(self.g_status) or self.g_status[goid] == G_NONE:
            return None
        return {
            "goid": goid,
            "status": int(self.g_status[goid]),
            "reason": int(self.g_reason[goid]),
            "group": int(self.g_group[goid]),
            "p": int(self.g_p[goid]),
            "m": int(self.g_m[goid]),
            "since_ns": int(self.g_since_ns[goid]),
            "created_ns": int(self.g_created_ns[goid]),
        }

    # --- keyframes -----------------------------------------------------------------------------
    _G_COLUMNS = ("g_status", "g_reason", "g_group", "g_p", "g_m", "g_since_ns", "g_created_ns")

    def snapshot(self) -> dict[str, np.ndarray]:
        """The state as arrays (recording keyframes). Gs: the live ones only (their goids as
        ``g_gap``, the difference from the previous live goid, and their columns), so a keyframe's
        size follows the live goroutines, not every goroutine ever made: a dead G's goid is never
        used again (newproc1 takes a fresh goid even when it reuses a G from gFree), so nothing
        after the keyframe can reach it."""
        n = self.g_max + 1
        st = self.g_status[:n]
        live = np.flatnonzero((st != G_NONE) & (st != Gdead))
        runq_p = np.array([p for p, q in enumerate(self.runq) for _ in q], dtype=np.int32)
        runq_g = np.array([g for q in self.runq for g in q], dtype=np.int64)
        # goids as gaps from the previous live one (mostly 1: a few bytes after zlib, not 8 a G)
        out = {"g_gap": np.diff(live, prepend=0).astype(np.int32)}
        out.update({k: getattr(self, k)[live] for k in self._G_COLUMNS})
        out.update(
            {
                "p_status": self.p_status[: len(self.runq)].copy(),
                "p_m": self.p_m[: len(self.runq)].copy(),
                "p_curg": self.p_curg[: len(self.runq)].copy(),
                "m_p": self.m_p[: self.m_count].copy(),
                "m_curg": self.m_curg[: self.m_count].copy(),
                "m_spinning": self.m_spinning[: self.m_count].copy(),
                "m_parked": self.m_parked[: self.m_count].copy(),
                "runq_p": runq_p,
                "runq_g": runq_g,
                "runnext": np.array(self.runnext, dtype=np.int64),
                "globrunq": np.array(self.globrunq, dtype=np.int64),
                "scalars": np.array(
                    [self.gomaxprocs, self.now_ns, self.events, self.resyncs, self.g_max], dtype=np.int64
                ),
            }
        )
        return out

    def restore(self, snap: dict[str, np.ndarray], max_goid: int = 1 << 31) -> None:
        """The state of `snapshot()`; dead Gs come back as never seen. A keyframe of format 1
        (dense G columns, no ``g_gap``) restores too. ValueError for a goid above `max_goid`."""
        self.__init__()
        scalars = snap["scalars"].tolist()
        if "g_gap" in snap:
            gaps = snap["g_gap"].astype(np.int64)
            if len(gaps) and int(gaps.min()) < 0:
                raise ValueError("goids out of order")
            ids = np.cumsum(gaps)
            g_max = int(scalars[4])
        else:  # format 1: every goid from 0 to g_max
            ids = np.arange(len(snap["g_status"]), dtype=np.int64)
            g_max = max(len(ids) - 1, 0)
        if not 0 <= g_max <= max_goid or (len(ids) and not (int(ids.min()) >= 0 and int(ids.max()) <= g_max)):
            raise ValueError(f"goid out of range (0..{max_goid})")
        self._need_g(g_max + 1)
        for k in self._G_COLUMNS:
            getattr(self, k)[ids] = snap[k]
        self.g_max = g_max
        np_ = len(snap["p_status"])
        if np_:
            self._need_p(np_ - 1)
        for k in ("p_status", "p_m", "p_curg"):
            getattr(self, k)[:np_] = snap[k]
        nm = len(snap["m_p"])
        if nm:
            self._need_m(nm - 1)
        for k in ("m_p", "m_curg", "m_spinning", "m_parked"):
            getattr(self, k)[:nm] = snap[k]
        for p, g in zip(snap["runq_p"].tolist(), snap["runq_g"].tolist()):
            self.runq[p].append(g)
        self.runnext = snap["runnext"].tolist() + [0] * (len(self.runq) - len(snap["runnext"]))
        self.globrunq = deque(snap["globrunq"].tolist())
        self.gomaxprocs, self.now_ns, self.events, self.resyncs = scalars[:4]
