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
from .order import (
    _NEED_G,
    _NEED_P,
    NO,
    ORDERED_DTYPE,
    PASSIVE,
    ExactOrdering,
    OrderState,
    _end_range,
    _GState,
    s64,
)
from .wire import Generation, GenEvents, TraceError

# Events whose Advance queues more or other events than themselves (GoSwitch emits three,
# GoDestroySyscall may add a ProcSteal): left to order_generation.
_MULTI = np.zeros(256, bool)
_MULTI[[S.EvGoSwitch, S.EvGoSwitchDestroy, S.EvGoDestroySyscall]] = True
_CROSS_M = (S.EvProcSteal, S.EvGoStatus, S.EvGoStatusStack, S.EvProcStatus)
_WINDOW = 65536

# The commonest scheduler events, advanced inline (the same checks and updates as their order.go
# handlers). Anything those handlers would wait on or refuse raises NotProven: the run-by-run loop
# then orders the generation and reports Go's own error.
_GoStart, _GoStop, _GoBlock, _GoDestroy = S.EvGoStart, S.EvGoStop, S.EvGoBlock, S.EvGoDestroy
_GoUnblock, _GoCreate, _ProcStart, _ProcStop = S.EvGoUnblock, S.EvGoCreate, S.EvProcStart, S.EvProcStop
_GoSyscallBegin, _GoSyscallEnd, _GoSyscallEndBlocked = (
    S.EvGoSyscallBegin,
    S.EvGoSyscallEnd,
    S.EvGoSyscallEndBlocked,
)
_GCSweepBegin = S.EvGCSweepBegin
_STOP_EXEC = frozenset((_GoStop, _GoBlock, _GoDestroy))
_INLINE = frozenset(
    (
        _GoStart,
        _GoStop,
        _GoBlock,
        _GoDestroy,
        _GoUnblock,
        _GoCreate,
        _ProcStart,
        _ProcStop,
        _GoSyscallBegin,
        _GoSyscallEnd,
        _GoSyscallEndBlocked,
        _GCSweepBegin,
        S.EvGCSweepEnd,
    )
)
_RUNNABLE, _RUNNING, _SYSCALL, _WAITING = S.GoRunnableW, S.GoRunningW, S.GoSyscallW, S.GoWaitingW
_P_RUNNING, _P_IDLE, _P_SYSCALL = S.ProcRunningW, S.ProcIdleW, S.ProcSyscallW
_SWEEP_BEGIN = S.EvGCSweepBegin
_SWEEP = (S.EvGCSweepBegin, 0)  # makeRangeType(GCSweepBegin, 0)
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
    ch: list[tuple] = []  # changes of an M's (P, G): (M index, output position, p, g)
    pushed: list[tuple] = []
    push_ch = ch.append
    push_out = pushed.append
    pop = q.popleft
    gen = g.gen
    advance = ordering.advance
    if state.initial_gen == 0:
        state.initial_gen = gen
    G, P = state.g, state.p
    gen_pos: list[int] = []  # positions of the events ordered by ordering.Advance (their records pushed)
    push_gen = gen_pos.append
    for w0 in range(0, len(act), _WINDOW):
        pos_w = act[w0 : w0 + _WINDOW]
        src = order[pos_w]
        rows = zip(
            pos_w.tolist(),
            typ[src].tolist(),
            args[src, 0].tolist(),
            args[src, 1].tolist(),
            mi[src].tolist(),
            src.tolist(),
            strict=True,
        )
        for pos, ty, a0, a1, k, j in rows:
            m = ms[k]
            mst = mstates.get(m)
            if mst is None and m != NO:
                mst = mstates[m] = [NO, NO]
            if ty in _INLINE and mst is not None:
                cur_g, cur_p = mst
                if ty == _GoStart:
                    st = G.get(a0)
                    if st is None or st.status != _RUNNABLE or st.seq_gen != gen or a1 != st.seq + 1:
                        raise NotProven
                    if cur_p == NO or cur_g != NO:
                        raise NotProven
                    st.status = _RUNNING
                    st.seq = a1
                    mst[0] = a0
                    push_ch((k, pos, cur_p, a0))
                elif ty in _STOP_EXEC:
                    st = G.get(cur_g)
                    if cur_p == NO or st is None or st.status != _RUNNING:
                        raise NotProven
                    if ty == _GoDestroy:
                        del G[cur_g]
                    else:
                        st.status = _RUNNABLE if ty == _GoStop else _WAITING
                    mst[0] = NO
                    push_ch((k, pos, cur_p, NO))
                elif ty == _GoUnblock:
                    st = G.get(a0)
                    if st is None or st.status != _WAITING or st.seq_gen != gen or a1 != st.seq + 1:
                        raise NotProven
                    st.status = _RUNNABLE
                    st.seq = a1
                elif ty == _GoCreate:
                    if cur_p == NO or a0 in G:
                        raise NotProven
                    st = G.get(cur_g)
                    if st is not None and st.status != _RUNNING:
                        raise NotProven
                    G[a0] = _GState(_RUNNABLE, gen)
                elif ty == _ProcStart:
                    st = P.get(a0)
                    if (
                        st is None
                        or st.status != _P_IDLE
                        or st.seq_gen != gen
                        or a1 != st.seq + 1
                        or cur_p != NO
                    ):
                        raise NotProven
                    st.status = _P_RUNNING
                    st.seq = a1
                    mst[1] = a0
                    push_ch((k, pos, a0, cur_g))
                elif ty == _ProcStop:
                    st = P.get(cur_p)
                    if st is None or cur_p == NO or st.status not in (_P_RUNNING, _P_SYSCALL):
                        raise NotProven
                    st.status = _P_IDLE
                    mst[1] = NO
                    push_ch((k, pos, NO, cur_g))
                elif ty == _GoSyscallBegin:
                    st = G.get(cur_g)
                    pst = P.get(cur_p)
                    if cur_p == NO or st is None or st.status != _RUNNING or pst is None:
                        raise NotProven
                    if pst.seq_gen != gen or a0 != pst.seq + 1:
                        raise NotProven
                    st.status = _SYSCALL
                    pst.status = _P_SYSCALL
                    pst.seq = a0
                elif ty == _GoSyscallEnd:
                    st = G.get(cur_g)
                    pst = P.get(cur_p)
                    if (
                        cur_p == NO
                        or st is None
                        or st.status != _SYSCALL
                        or pst is None
                        or pst.status != _P_SYSCALL
                    ):
                        raise NotProven
                    st.status = _RUNNING
                    pst.status = _P_RUNNING
                elif ty == _GoSyscallEndBlocked:
                    if cur_p != NO:
                        pst = P.get(cur_p)
                        if pst is None or pst.status == _P_SYSCALL:
                            raise NotProven
                    st = G.get(cur_g)
                    if st is None or st.status != _SYSCALL:
                        raise NotProven
                    st.status = _RUNNABLE
                    mst[0] = NO
                    push_ch((k, pos, cur_p, NO))
                elif ty == _GCSweepBegin:
                    pst = P.get(cur_p)
                    if pst is None or _SWEEP in pst.in_flight:
                        raise NotProven
                    pst.in_flight.append(_SWEEP)
                else:  # GCSweepEnd
                    pst = P.get(cur_p)
                    if pst is None or _SWEEP_BEGIN not in [r[0] for r in pst.in_flight]:
                        raise NotProven
                    _end_range(pst, S.EvGCSweepEnd)
                continue
            t = int(times[j])
            e = [ty, t, a0, a1, int(args[j, 2]), int(args[j, 3])]
            if not advance(e, g, m, gen):
                raise NotProven
            push_out(pop())
            push_gen(pos)
            st = mstates.get(m)
            if st is not None:
                push_ch((k, pos, st[1], st[0]))
            if ty in _CROSS_M:
                _cross_m_change(e, m, mstates, m_index, ms, init, pos, push_ch)
    # The records, field by field; the inputs are let go as soon as they are copied (memory).
    nm = len(m_index)
    init_p = np.array([init.get(i, (NO, NO))[0] for i in range(nm)], np.int64)
    init_g = np.array([init.get(i, (NO, NO))[1] for i in range(nm)], np.int64)
    m_ids = np.asarray(ms + [0] * (nm - len(ms)), np.int64)
    pas = PASSIVE[otyp]  # a mask: a byte per event, not eight
    derive = np.ones(n, bool)  # events whose context is their M's last change before them
    derive[np.asarray(gen_pos, np.int64)] = False
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
    if ch:
        cha = np.array(ch, np.int64)
        del ch
        k = np.lexsort((cha[:, 1], cha[:, 0]))
        cha = cha[k]
        cm, cpos, cp, cg = cha[:, 0].copy(), cha[:, 1].copy(), cha[:, 2].copy(), cha[:, 3].copy()
        del cha
        keys = cm * (n + 1) + cpos
        opas = om[derive].astype(np.int64)
        j = np.searchsorted(keys, opas * (n + 1) + np.flatnonzero(derive), side="left") - 1
        del keys
        jj = np.maximum(j, 0)
        ok = (j >= 0) & (cm[jj] == opas)
        arr["p"][derive] = np.where(ok, cp[jj], arr["p"][derive])
        arr["g"][derive] = np.where(ok, cg[jj], arr["g"][derive])
        del j, jj, ok, opas
    if pushed:
        gp = np.asarray(gen_pos, np.int64)
        cols = list(zip(*pushed, strict=True))
        arr["m"][gp] = cols[2]
        arr["p"][gp] = cols[3]
        arr["g"][gp] = cols[4]
        arr["args"][gp] = np.array(cols[5:9], dtype=np.uint64).T
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


def _cross_m_change(e, m, mstates, m_index, ms, init, pos, push_ch) -> None:
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
        push_ch((i, pos, st[1], st[0]))


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
