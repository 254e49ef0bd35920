"""Go's merge of a whole generation with numpy, and the proof that it is Go's.

`order.order_generation` follows Reader.ReadEvent run by run: exact, but a Python step per run of
one M's events. This module gets the same answer with a stable sort of the generation's events by
time, and only steps through what can change the answer:

* When every head event advances at once (no `ordering.Advance` says "not yet"), Go's heap merge
  emits events in time order. Where Ms tie on a timestamp, the heap root (the M that emitted the
  previous event) keeps going (heapSiftDown only moves it for a strictly smaller child); two other
  Ms tied with each other would be ordered by their heap positions, so such a tie sends the
  generation to `order_generation`.
* The events that change or check scheduling state (GoStart, ProcStop, ...: not PASSIVE) go through
  order.go's `ordering.Advance` in that order, in Python. If one says "not yet", the sort is not
  Go's order and the generation goes to `order_generation` (from the state saved before).
* Passive events (AllocFree, heap metrics, labels, logs) take their M's context at their position:
  the last change to that M's (P, G) before them, found with one searchsorted.
"""

from __future__ import annotations

import numpy as np

from . import spec as S
from .order import _NEED_G, _NEED_P, NO, ORDERED_DTYPE, PASSIVE, ExactOrdering, OrderState, s64
from .wire import Generation, GenEvents, TraceError

# Events whose Advance queues more or other events than themselves (GoSwitch emits three,
# GoDestroySyscall may add a ProcSteal): left to order_generation.
_MULTI = np.zeros(256, bool)
_MULTI[[S.EvGoSwitch, S.EvGoSwitchDestroy, S.EvGoDestroySyscall]] = True
_CROSS_M = (S.EvProcSteal, S.EvGoStatus, S.EvGoStatusStack, S.EvProcStatus)
_WINDOW = 65536
_GATHER = 1 << 20


class NotProven(Exception):
    """The sort is not provably Go's order for this generation."""


def order_generation_fast(state: OrderState, g: Generation, ev: GenEvents) -> np.ndarray | None:
    """The ordered generation, or None (state untouched) when it must go the run-by-run way."""
    n = len(ev.typ)
    if g.cpu_samples or n == 0 or _MULTI[ev.typ].any():
        return None
    saved = state.clone()
    try:
        return _order(state, g, ev)
    except NotProven:
        state.restore(saved)
        return None


def _order(state: OrderState, g: Generation, ev: GenEvents) -> np.ndarray:
    typ, times, args = ev.typ, ev.time, ev.args
    n = len(typ)
    bounds = ev.m_bounds
    ms = list(g.batch_ms)
    counts = np.diff(bounds)
    mi = np.repeat(np.arange(len(ms), dtype=np.int32), counts)
    # An M's times may step back (a new batch's base time below the last event's): its cursor keeps
    # the root through the dip (the others are all later), so the merge sorts on each M's running max.
    key = times.copy()
    for i in range(len(ms)):
        seg = key[bounds[i] : bounds[i + 1]]
        np.maximum.accumulate(seg, out=seg)
    order = np.argsort(key, kind="stable")
    _resolve_ties(order, key, mi)
    del key
    otyp = typ[order]
    om = mi[order]
    # Active events through ordering.Advance, in order.
    act = np.flatnonzero(~PASSIVE[otyp])
    ordering = ExactOrdering(state)
    q = ordering.queue
    mstates = state.m
    m_index = {m: i for i, m in enumerate(ms)}
    init = {}  # M index -> (p, g) at the generation's start
    for i, m in enumerate(ms):
        st = mstates.get(m)
        init[i] = (st[1], st[0]) if st is not None else (NO, NO)
    ch_m: list[int] = []  # changes of an M's (P, G): M index, output position, p, g
    ch_pos: list[int] = []
    ch_p: list[int] = []
    ch_g: list[int] = []
    pushed: list[tuple] = []
    gen = g.gen
    advance = ordering.advance
    for w0 in range(0, len(act), _WINDOW):
        pos_w = act[w0 : w0 + _WINDOW]
        src = order[pos_w]
        rows = np.column_stack(
            [typ[src].astype(np.uint64), times[src].view(np.uint64), args[src], mi[src].astype(np.uint64)]
        ).tolist()
        for pos, r in zip(pos_w.tolist(), rows, strict=True):
            t = r[1] if r[1] < 1 << 63 else r[1] - (1 << 64)
            m = ms[r[6]]
            e = [r[0], t, r[2], r[3], r[4], r[5]]
            if not advance(e, g, m, gen):
                raise NotProven
            pushed.append(q.popleft())
            if m != NO:
                st = mstates[m]
                ch_m.append(r[6])
                ch_pos.append(pos)
                ch_p.append(st[1])
                ch_g.append(st[0])
            if e[0] in _CROSS_M:
                _cross_m_change(e, m, mstates, m_index, ms, init, pos, ch_m, ch_pos, ch_p, ch_g)
    # The records, field by field; the inputs are let go as soon as they are copied (memory).
    nm = len(m_index)
    init_p = np.array([init.get(i, (NO, NO))[0] for i in range(nm)], np.int64)
    init_g = np.array([init.get(i, (NO, NO))[1] for i in range(nm)], np.int64)
    m_ids = np.asarray(ms + [0] * (nm - len(ms)), np.int64)
    pas = PASSIVE[otyp]  # a mask: a byte per event, not eight
    arr = np.empty(n, ORDERED_DTYPE)
    arr["typ"] = otyp
    for k in range(0, n, _GATHER):  # in slices: no whole-generation temporary
        o = order[k : k + _GATHER]
        arr["time"][k : k + _GATHER] = times[o]
        arr["args"][k : k + _GATHER] = args[o]
    ev.time = times = None
    ev.args = args = None
    del order
    arr["m"] = m_ids[om]
    arr["p"] = init_p[om]
    arr["g"] = init_g[om]
    if len(ch_m):
        cm = np.asarray(ch_m, np.int64)
        cpos = np.asarray(ch_pos, np.int64)
        k = np.lexsort((cpos, cm))
        cm, cpos = cm[k], cpos[k]
        keys = cm * (n + 1) + cpos
        cp = np.asarray(ch_p, np.int64)[k]
        cg = np.asarray(ch_g, np.int64)[k]
        opas = om[pas].astype(np.int64)
        j = np.searchsorted(keys, opas * (n + 1) + np.flatnonzero(pas), side="left") - 1
        del keys
        jj = np.maximum(j, 0)
        ok = (j >= 0) & (cm[jj] == opas)
        arr["p"][pas] = np.where(ok, cp[jj], arr["p"][pas])
        arr["g"][pas] = np.where(ok, cg[jj], arr["g"][pas])
        del j, jj, ok, opas
    if pushed:
        cols = list(zip(*pushed, strict=True))
        arr["m"][act] = cols[2]
        arr["p"][act] = cols[3]
        arr["g"][act] = cols[4]
        arr["args"][act] = np.array(cols[5:9], dtype=np.uint64).T
    col_m, col_p, col_g = arr["m"], arr["p"], arr["g"]
    # Every passive event's M must be in its context (M, P, G as validateCtx asks), and be known.
    for i in range(len(ms)):
        if ms[i] not in mstates and (om[pas] == i).any():
            mstates[ms[i]] = [NO, NO]
    t = otyp[pas]
    bad = (col_m[pas] == NO) | (_NEED_P[t] & (col_p[pas] == NO)) | (_NEED_G[t] & (col_g[pas] == NO))
    if bad.any():
        w = int(np.argmax(bad))
        raise TraceError(
            f"expected a thread, proc and goroutine for {S.NAMES.get(int(t[w]))} but didn't have them"
        )
    return arr


def _cross_m_change(e, m, mstates, m_index, ms, init, pos, ch_m, ch_pos, ch_p, ch_g) -> None:
    """ProcSteal of another M's P and GoStatus of a goroutine in a syscall on another M change that
    M's context (and ProcStatus of an abandoned P may name one): record its state after the event."""
    for mid, st in mstates.items():
        if mid == m:
            continue
        i = m_index.get(mid)
        if i is None:
            i = m_index[mid] = len(m_index)
            ms.append(mid)
            init[i] = (NO, NO)
        if e[0] == S.EvProcSteal and s64(e[4]) != mid:
            continue
        if e[0] in (S.EvGoStatus, S.EvGoStatusStack) and s64(e[3]) != mid:
            continue
        ch_m.append(i)
        ch_pos.append(pos)
        ch_p.append(st[1])
        ch_g.append(st[0])


def _resolve_ties(order: np.ndarray, key: np.ndarray, mi: np.ndarray) -> None:
    """Put each tie between two Ms on one key in the heap's order (the previous event's M first), in place.

    NotProven when a tie cannot be settled without the heap's layout: three Ms on one key, or two
    when neither emitted the event before (or at the generation's first event)."""
    sk = key[order]
    om = mi[order]
    chg = np.flatnonzero((sk[1:] == sk[:-1]) & (om[1:] != om[:-1]))  # a tie between k and k+1
    if not chg.size:
        return
    # sk is sorted: each tie's run of equal keys by two searchsorted; one change per run, or 3+ Ms.
    tk = sk[chg]
    s = np.searchsorted(sk, tk, side="left")
    e = np.searchsorted(sk, tk, side="right")
    del sk
    if (s[1:] == s[:-1]).any():
        raise NotProven  # three Ms on one key
    if s[0] == 0:
        raise NotProven
    cut = chg + 1  # first index of the second M's events in the run
    first_m, second_m = om[s], om[cut]
    prev = om[s - 1]
    swap = prev == second_m
    ok = swap | (prev == first_m)
    # A tie run right after another one: its previous event is the other's last, after that swap.
    adjacent = np.flatnonzero(s[1:] == e[:-1]) + 1
    if adjacent.size:
        sw, okl = swap.tolist(), ok.tolist()
        fm, sm = first_m.tolist(), second_m.tolist()
        for j in adjacent.tolist():
            p = fm[j - 1] if sw[j - 1] else sm[j - 1]
            sw[j] = p == sm[j]
            okl[j] = sw[j] or p == fm[j]
        swap, ok = np.asarray(sw), np.asarray(okl)
    if not ok.all():
        raise NotProven  # two tied Ms, neither the previous event's
    w = np.flatnonzero(swap)
    if not w.size:
        return
    s, e, cut = s[w], e[w], cut[w]
    lens = e - s
    rep = np.repeat(np.arange(len(s)), lens)
    off = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    tail = (e - cut)[rep]
    src = np.where(off < tail, cut[rep] + off, s[rep] + off - tail)
    order[s[rep] + off] = order[src]
