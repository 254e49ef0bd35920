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
    heap_insert,
    heap_remove,
    heap_update,
    order_generation,
    s64,
)
from .tableids import first_bad_table_id
from .vecorder import _SETS_G, _SETS_P, VEC, _Fill, advance_prefix, advance_run
from .wire import Generation, GenEvents, TraceError, _decode_chunk, decode_generation

# Events whose Advance queues more or other events than themselves (GoSwitch emits three,
# GoDestroySyscall may add a ProcSteal): left to order_generation.
_MULTI = np.zeros(256, bool)
_MULTI[[S.EvGoSwitch, S.EvGoSwitchDestroy, S.EvGoDestroySyscall]] = True
_CROSS_M = (S.EvProcSteal, S.EvGoStatus, S.EvGoStatusStack, S.EvProcStatus)
_WINDOW = 65536
_MIN_RUN = 32  # active events: a shorter run is advanced one event at a time

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


class _Generic(Exception):
    """An inline handler's check failed: ordering.Advance says whether the event waits or is wrong."""


_MAX_WAIT = 4096  # events another M may emit while one waits (more: left to the run-by-run merge)
_STABLE_SORT_MAX = 12  # slices.SortFunc (pdqsort) sorts this many or fewer by insertion sort: stable


class _Plan:
    """A window's order as the merge goes: positions before the one being advanced are Go's
    order already, the rest the sorted order Go's merge would follow from there (each M's running
    max key, ties in the heap's order). `act`/`act_src`/`vec` are the active events' positions,
    their indices in the window's arrays and whether vecorder may advance them.

    A wait (an event E that ordering.Advance says is not ready yet) changes the rest: ReadEvent
    (reader.go), when tryAdvance(0) fails, sorts the frontier by the heads' times
    (`slices.SortFunc(r.frontier, compare)`) and calls tryAdvance(i), i = 1, 2, ..., until one
    advances; that one event is returned, its cursor refreshed (heapUpdate(i)), and the next call
    tries the root again. So while E waits, the other Ms' heads are emitted one at a time, each
    the earliest that advances, and E's M stays the root while every head is later than E (or
    equal: insertion sort, for 12 cursors or fewer, is stable, so the root stays first). After E
    advances (from the root), the merge goes on in key order over what is left, ties again by the
    previous-M rule: each M's events keep their order. What that takes, checked (else NotProven,
    and the run-by-run merge orders the generation):

    * the heads tried have times at or above E's (E's only with 12 Ms or fewer) and none equal to
      another head's (their sorted order would be the heap's layout);
    * each head's time is its key and so is the time of the event after one emitted (a cursor
      that is not the root and steps back in time would sift up the heap);
    * the head that advances is in the window (an M's heads past it are later than all of it).

    Then the plan's rest becomes: the events emitted early, E, and what is left of the sorted
    order with its ties put in the heap's order again from E on (`_resolve_ties` from E's M over
    the stretch the early events came from and the tie runs right after it)."""

    def __init__(self, order, key, mi, typ, times, bounds, act, act_src, vec, m_known, few_ms: bool):
        self.order, self.key, self.mi, self.typ, self.times = order, key, mi, typ, times
        self.n = len(order)
        self.bounds = bounds.tolist()
        self.act, self.act_src, self.vec, self.m_known = act, act_src, vec, m_known
        self.few_ms = few_ms
        self.inv = None
        self.dirty = False  # vec changed: the caller's list of the non-vec events is stale

    def _prepare(self) -> None:
        n, order = self.n, self.order
        self.inv = inv = np.empty(n, np.int64)
        inv[order] = np.arange(n, dtype=np.int64)
        self.mixed = self._mixed(order)

    def _mixed(self, o: np.ndarray) -> np.ndarray:
        """For each of the events o (in that order): whether it is in a run of equal keys of two
        Ms or more."""
        sk = self.key[o]
        om = self.mi[o]
        eq = sk[1:] == sk[:-1]
        pair = eq & (om[1:] != om[:-1])
        rid = np.zeros(len(o), np.int64)
        np.cumsum(~eq, out=rid[1:])
        mixed = np.zeros(int(rid[-1]) + 1 if len(o) else 0, bool)
        mixed[rid[1:][pair]] = True
        return mixed[rid]

    def heads(self, pos: int, k: int) -> dict:
        """M index -> its head (index in the window's arrays) when the event at pos (M index k)
        waits: each other M's first event after pos, for the Ms that have one in the window."""
        if self.inv is None:
            self._prepare()
        b, inv = self.bounds, self.inv
        h = {}
        for x in range(len(b) - 1):
            lo, hi = b[x], b[x + 1]
            if x == k or lo == hi:
                continue
            j = lo + int(np.searchsorted(inv[lo:hi], pos, side="right"))
            if j < hi:
                h[x] = j
        return h

    def candidates(self, h: dict, t_wait: int):
        """(M index, event index) of the heads in the order Go's sort tries them."""
        times, key = self.times, self.key
        c = sorted((int(times[j]), x, j) for x, j in h.items())
        for i, (t, x, j) in enumerate(c):
            if t < t_wait or (t == t_wait and not self.few_ms) or int(key[j]) != t:
                raise NotProven
            if i + 1 < len(c) and c[i + 1][0] == t:
                raise NotProven
            yield x, j

    def took(self, h: dict, x: int, j: int) -> None:
        """M x's head j was emitted: its next event is its head."""
        if j + 1 < self.bounds[x + 1]:
            if int(self.key[j + 1]) != int(self.times[j + 1]):
                raise NotProven
            h[x] = j + 1
        else:
            del h[x]

    def settle(self, pos: int, before: list, k: int) -> int:
        """The event at pos (M index k) advanced after the events `before` (in that order): the
        plan from pos on becomes those, it, and the rest in the heap's order. Returns the index in
        `act` of the first active event after it."""
        order, inv, mixed, n = self.order, self.inv, self.mixed, self.n
        jw = int(order[pos])
        pmax = int(inv[np.asarray(before, np.int64)].max())
        end = pmax + 1
        while end < n and mixed[end]:  # the tie runs just after the early events (their previous
            end += 1  # event changed), and the runs right after those
        seg = order[pos + 1 : end]
        rest = seg[~np.isin(seg, before)]
        rest = rest[np.lexsort((rest, self.key[rest]))]  # sorted, ties as the sort left them
        _resolve_ties(rest, self.key, self.mi, k)
        at = pos + len(before)  # the waiting event's new position
        order[pos:at] = before
        order[at] = jw
        order[at + 1 : end] = rest
        region = order[pos:end]
        inv[region] = np.arange(pos, end, dtype=np.int64)
        mixed[pos : at + 1] = False  # (emitted: no later wait looks there)
        if len(rest):
            mixed[at + 1 : end] = self._mixed(rest)
        # The active events' positions in the region (as many as before: the same events).
        act = self.act
        a, b = int(np.searchsorted(act, pos)), int(np.searchsorted(act, end))
        new = pos + np.flatnonzero(~PASSIVE[self.typ[region]])
        assert len(new) == b - a
        act[a:b] = new
        src = order[new]
        self.act_src[a:b] = src
        self.vec[a:b] = VEC[self.typ[src]] & self.m_known[self.mi[src]]
        self.dirty = True
        return int(np.searchsorted(act, at, side="right"))


def order_generation_fast(
    state: OrderState, g: Generation, ev: GenEvents, restore: bool = True
) -> np.ndarray | None:
    """The ordered generation (or window of it, see `stream_generation`), or None when it must go
    the run-by-run way: then the state is as before when `restore`, else undefined (the caller
    restores its own copy)."""
    n = len(ev.typ)
    if g.cpu_samples or n == 0 or _MULTI[ev.typ].any():
        return None
    saved = state.clone() if restore else None
    try:
        return _order(state, g, ev)
    except NotProven:
        if saved is not None:
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
    key = ev.key
    if key is None:
        key = times.copy()
        for i in range(len(ms)):
            seg = key[bounds[i] : bounds[i + 1]]
            np.maximum.accumulate(seg, out=seg)
    order = np.argsort(key, kind="stable")
    _resolve_ties(order, key, mi, ev.prev_mi)
    ev.key = None
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
    # Changes of an M's (P, G) made by its own events, by the event's index in the window's arrays
    # (an M's events are contiguous there, in its order): (M index, index, p after, g after).
    ch: list[tuple] = []
    xch: list[tuple] = []  # changes made by another M's event: (M index, output position, p, g)
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
    act_src = order[act]  # the active events' indices in the window's arrays
    # The context after each event that changes its M's, by index in the window's arrays.
    chg = np.zeros(n, bool)
    chg_p = np.empty(n, np.int64)
    chg_g = np.empty(n, np.int64)

    m_known = np.asarray([m != NO for m in ms], bool)
    vec = VEC[otyp[act]] & m_known[om[act]]
    plan = _Plan(order, key, mi, typ, times, bounds, act, act_src, vec, m_known, len(ms) <= _STABLE_SORT_MAX)

    def vec_step(lo: int, hi: int) -> int:
        """Advance act[lo:hi] as arrays as far as vecorder settles them; the index it stopped at."""
        pos_r = act[lo:hi]
        src = act_src[lo:hi]
        done, got = advance_prefix(
            state,
            gen,
            ms,
            typ[src],
            args[src, 0].astype(np.int64),
            args[src, 1].astype(np.int64),
            mi[src],
            times[src],
        )
        if done:
            p_after, g_after, records = got
            s_done = src[:done]
            chg[s_done] = True  # (an event that changes nothing has its context before as after)
            chg_p[s_done] = p_after
            chg_g[s_done] = g_after
            for i, rec in records:
                push_out(rec)
                push_gen(int(pos_r[i]))
        return lo + done

    def took(e: list, pos: int, k: int, j: int, m: int) -> None:
        """ordering.Advance took event e (index j, M index k, output position pos): its record."""
        push_out(pop())
        push_gen(pos)
        st = mstates.get(m)
        if st is not None:
            push_ch((k, j, st[1], st[0]))
        if e[0] in _CROSS_M:
            _cross_m_change(e, m, mstates, m_index, ms, init, pos, xch.append)

    def try_advance(j: int, k: int) -> tuple[list, bool]:
        t = int(times[j])
        e = [int(typ[j]), t, int(args[j, 0]), int(args[j, 1]), int(args[j, 2]), int(args[j, 3])]
        try:
            return e, advance(e, g, ms[k], gen)
        except TraceError:
            raise NotProven from None  # the run-by-run merge reports Go's error at Go's place

    def wait(pos: int, k: int, j: int) -> int:
        """Event j (M index k, at pos) is not ready yet: the other Ms' heads go first, as Go's
        merge takes them (`_Plan`). Returns the index in act to go on from."""
        before: list[int] = []
        heads = plan.heads(pos, k)
        t_wait = int(times[j])
        while True:
            for x, h in plan.candidates(heads, t_wait):
                if PASSIVE[typ[h]]:
                    break
                e, ok = try_advance(h, x)
                if ok:
                    took(e, pos + len(before), x, h, ms[x])
                    break
            else:
                raise NotProven  # (none advances in the window: Go would try heads past it)
            before.append(h)
            plan.took(heads, x, h)
            if len(before) > _MAX_WAIT:
                raise NotProven
            e, ok = try_advance(j, k)
            if ok:
                took(e, pos + len(before), k, j, ms[k])
                return plan.settle(pos, before, k)

    def one_by_one(lo: int, hi: int) -> int:
        """Advance active events act[lo:hi] one at a time (inline handlers, else ordering.Advance);
        the index in act it got to (hi, or past a wait, whose plan then changed)."""
        for w0 in range(lo, hi, _WINDOW):
            pos_w = act[w0 : min(w0 + _WINDOW, hi)]
            src = act_src[w0 : min(w0 + _WINDOW, hi)]
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
                    try:
                        cur_g, cur_p = mst
                        if ty == _GoStart:
                            st = G.get(a0)
                            if st is None or st.status != _RUNNABLE or st.seq_gen != gen or a1 != st.seq + 1:
                                raise _Generic
                            if cur_p == NO or cur_g != NO:
                                raise _Generic
                            st.status = _RUNNING
                            st.seq = a1
                            mst[0] = a0
                            push_ch((k, j, cur_p, a0))
                        elif ty in _STOP_EXEC:
                            st = G.get(cur_g)
                            if cur_p == NO or st is None or st.status != _RUNNING:
                                raise _Generic
                            if ty == _GoDestroy:
                                del G[cur_g]
                            else:
                                st.status = _RUNNABLE if ty == _GoStop else _WAITING
                            mst[0] = NO
                            push_ch((k, j, cur_p, NO))
                        elif ty == _GoUnblock:
                            st = G.get(a0)
                            if st is None or st.status != _WAITING or st.seq_gen != gen or a1 != st.seq + 1:
                                raise _Generic
                            st.status = _RUNNABLE
                            st.seq = a1
                        elif ty == _GoCreate:
                            if cur_p == NO or a0 in G:
                                raise _Generic
                            st = G.get(cur_g)
                            if st is not None and st.status != _RUNNING:
                                raise _Generic
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
                                raise _Generic
                            st.status = _P_RUNNING
                            st.seq = a1
                            mst[1] = a0
                            push_ch((k, j, a0, cur_g))
                        elif ty == _ProcStop:
                            st = P.get(cur_p)
                            if st is None or cur_p == NO or st.status not in (_P_RUNNING, _P_SYSCALL):
                                raise _Generic
                            st.status = _P_IDLE
                            mst[1] = NO
                            push_ch((k, j, NO, cur_g))
                        elif ty == _GoSyscallBegin:
                            st = G.get(cur_g)
                            pst = P.get(cur_p)
                            if cur_p == NO or st is None or st.status != _RUNNING or pst is None:
                                raise _Generic
                            if pst.seq_gen != gen or a0 != pst.seq + 1:
                                raise _Generic
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
                                raise _Generic
                            st.status = _RUNNING
                            pst.status = _P_RUNNING
                        elif ty == _GoSyscallEndBlocked:
                            if cur_p != NO:
                                pst = P.get(cur_p)
                                if pst is None or pst.status == _P_SYSCALL:
                                    raise _Generic
                            st = G.get(cur_g)
                            if st is None or st.status != _SYSCALL:
                                raise _Generic
                            st.status = _RUNNABLE
                            mst[0] = NO
                            push_ch((k, j, cur_p, NO))
                        elif ty == _GCSweepBegin:
                            pst = P.get(cur_p)
                            if pst is None or _SWEEP in pst.in_flight:
                                raise _Generic
                            pst.in_flight.append(_SWEEP)
                        else:  # GCSweepEnd
                            pst = P.get(cur_p)
                            if pst is None or _SWEEP_BEGIN not in [r[0] for r in pst.in_flight]:
                                raise _Generic
                            _end_range(pst, S.EvGCSweepEnd)
                        continue
                    except _Generic:
                        pass  # the generic Advance tells "not yet" from an error
                e, ok = try_advance(j, k)
                if ok:
                    took(e, pos, k, j, m)
                else:
                    return wait(pos, k, j)
        return hi

    # Runs of the commonest events are advanced as whole arrays (vecorder.advance_run); the rest,
    # and any run it does not settle, one event at a time.
    na = len(act)
    nonvec = np.flatnonzero(~vec)
    whole = None  # the contexts when every active event is one run (every M's from its own events)
    if not len(nonvec) and na >= _MIN_RUN:
        whole = _whole_run(state, gen, ms, init, typ, args, times, mi, bounds, counts, act_src)
        if whole is not None:
            for i, rec in whole[2]:
                push_out(rec)
                push_gen(int(act[i]))
    i = na if whole is not None else 0
    while i < na:
        if plan.dirty:
            nonvec = np.flatnonzero(~vec)
            plan.dirty = False
        c = int(np.searchsorted(nonvec, i))
        b = int(nonvec[c]) if c < len(nonvec) else na  # the next event vecorder leaves alone
        if b - i >= _MIN_RUN:
            i = vec_step(i, b)
            if i < b:  # refused there: a few one by one
                i = one_by_one(i, min(b, i + _MIN_RUN))
        else:
            i = one_by_one(i, max(b, i + 1))
    if plan.inv is not None:  # a wait changed the order
        otyp = typ[order]
        om = mi[order]
    ev.last_mi = int(mi[order[-1]])
    key = plan = None
    # The records, field by field; the inputs are let go as soon as they are copied (memory).
    nm = len(m_index)
    init_p = np.array([init.get(i, (NO, NO))[0] for i in range(nm)], np.int64)
    init_g = np.array([init.get(i, (NO, NO))[1] for i in range(nm)], np.int64)
    m_ids = np.asarray(ms + [0] * (nm - len(ms)), np.int64)
    pas = PASSIVE[otyp]  # a mask: a byte per event, not eight
    if ch:
        cha = np.array(ch, np.int64)
        chg[cha[:, 1]] = True
        chg_p[cha[:, 1]] = cha[:, 2]
        chg_g[cha[:, 1]] = cha[:, 3]
        del cha
    del ch
    if whole is not None:
        ctx_p, ctx_g = whole[0], whole[1]
    else:
        if xch:
            _cross_changes(xch, order, bounds, chg, chg_p, chg_g, init_p, init_g)
        ctx_p, ctx_g = _contexts_before(chg, chg_p, chg_g, bounds, counts, init_p, init_g)
    chg = chg_p = chg_g = None  # (let go)
    arr = np.empty(n, ORDERED_DTYPE)
    arr["typ"] = otyp
    for k in range(0, n, _GATHER):  # in slices: no whole-generation temporary
        o = order[k : k + _GATHER]
        arr["time"][k : k + _GATHER] = times[o]
        arr["args"][k : k + _GATHER] = np.take(args, o, axis=0)  # (take: 5x fancy indexing's speed)
        arr["p"][k : k + _GATHER] = ctx_p[o]
        arr["g"][k : k + _GATHER] = ctx_g[o]
    ev.time = times = None
    ev.args = args = None
    del order, ctx_p, ctx_g
    arr["m"] = m_ids[om]
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


def _whole_run(state, gen, ms, init, typ, args, times, mi, bounds, counts, src):
    """The window's active events advanced as one run when they all are of vecorder.VEC's types.

    Then only those events change an M's context (GoStart and GoStop/GoBlock/GoDestroy/
    GoSyscallEndBlocked its G, ProcStart/ProcStop its P), so every event's context before it is a
    forward fill over the window's arrays by M, and advance_run checks the run with those. Returns
    (p before each event, g before each event, the Python pass's records) by index in the window's
    arrays, or None with the state as it was (the caller goes run by run)."""
    nm0 = len(counts)
    init_p = np.array([init[i][0] for i in range(nm0)], np.int64)
    init_g = np.array([init[i][1] for i in range(nm0)], np.int64)
    a0 = args[:, 0].view(np.int64)
    grp_start = np.repeat(bounds[:-1], counts)
    m_of = np.repeat(np.arange(nm0), counts)
    fg = _Fill(grp_start, _SETS_G[typ])
    new_g = np.where(typ == S.EvGoStart, a0, NO)
    ctx_g = fg.before(new_g, init_g[m_of])
    fp = _Fill(grp_start, _SETS_P[typ])
    new_p = np.where(typ == S.EvProcStart, a0, NO)
    ctx_p = fp.before(new_p, init_p[m_of])
    has = np.flatnonzero(counts)
    lastrow = bounds[1:][has] - 1
    fin_g = fg.after_at(lastrow, new_g, init_g[has]).tolist()
    fin_p = fp.after_at(lastrow, new_p, init_p[has]).tolist()
    del fg, fp, new_g, new_p, grp_start, m_of
    m_final = [(ms[i], gl, pl) for i, gl, pl in zip(has.tolist(), fin_g, fin_p, strict=True)]
    got = advance_run(
        state,
        gen,
        ms,
        typ[src],
        a0[src],
        args[src, 1].astype(np.int64),
        mi[src],
        times[src],
        ctx=(ctx_p[src], ctx_g[src], m_final),
    )
    if got is None:
        return None
    return ctx_p, ctx_g, got[2]


def _contexts_before(chg, chg_p, chg_g, bounds, counts, init_p, init_g):
    """Each event's M context (P, G) before it, by index in the window's arrays: the context after
    the M's last changing event before it (its events are contiguous there, in their order), or the
    M's context at the window's start. A forward fill: no sort."""
    n = len(chg)
    last = np.where(chg, np.arange(n), -1)
    np.maximum.accumulate(last, out=last)
    before = np.empty(n, np.int64)
    if n:
        before[0] = -1
        before[1:] = last[:-1]
    nm0 = len(counts)
    grp_start = np.repeat(bounds[:-1], counts)
    own = before >= grp_start
    np.maximum(before, 0, out=before)
    mi = np.repeat(np.arange(nm0), counts)
    ctx_p = np.where(own, chg_p[before], init_p[mi])
    ctx_g = np.where(own, chg_g[before], init_g[mi])
    return ctx_p, ctx_g


def _cross_changes(xch, order, bounds, chg, chg_p, chg_g, init_p, init_g) -> None:
    """Another M's event changed M i's context at output position pos: it holds from M i's first
    event after pos (its events' output positions rise with their index), so it is recorded as the
    change after the event before that one, or as M i's context at the window's start."""
    inv = np.empty(len(order), np.int64)
    inv[order] = np.arange(len(order))
    nm0 = len(bounds) - 1
    for i, pos, p, g in xch:  # (in output order: the later change wins)
        if i >= nm0:
            continue  # an M with no event in this window
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        j = lo + int(np.searchsorted(inv[lo:hi], pos, side="right"))
        if j == lo:
            init_p[i], init_g[i] = p, g
        else:
            chg[j - 1] = True
            chg_p[j - 1], chg_g[j - 1] = p, g


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


def _resolve_ties(order: np.ndarray, key: np.ndarray, mi: np.ndarray, prev_mi: int = -1) -> None:
    """Put each tie between two Ms on one key in the heap's order (the previous event's M first), in place.

    `prev_mi` is the M (batch_ms index) of the event before these (a window's predecessor), -1 at
    the generation's start. NotProven when a tie cannot be settled without the heap's layout: three
    Ms on one key, or two when neither emitted the event before (or at the generation's first event)."""
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
    if s[0] == 0 and prev_mi < 0:
        raise NotProven
    cut = chg + 1  # first index of the second M's events in the run
    first_m, second_m = om[s], om[cut]
    prev = om[s - 1]
    if s[0] == 0:
        prev[0] = prev_mi
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


# --- One generation in windows of time: bounded memory -------------------------------------------
#
# Go's merge emits a generation in time order (each M's running max, as `_order` sorts). An M's
# events not yet decoded all come at or after `max(its running max so far, its next batch's base
# time)`, so with T the least of those bounds over the Ms, every event with a key below T is
# decoded: those events, sorted, are the next part of the generation's order. `stream_generation`
# decodes the batches of the M with the least bound until a window's worth of events is below T,
# orders that window with `_order` (the state carried on, the previous window's last M settling a
# tie at the window's start) and yields it. The trace's bytes are let go as each batch is decoded.
#
# A window the proof refuses (NotProven) sends the generation to the run-by-run merge (in windows
# too: `stream_generation_exact`) from the state saved at its start; the windows already yielded
# were proven Go's order, so they are Go's prefix and the run-by-run result goes on after them.

WINDOW_EVENTS = 1 << 16  # events per window at most: ~65 B each out, a few times that in transients
GROUP_BYTES = 1 << 18  # batch bytes of one M decoded at a time (~25 B of transients per byte)


class _MStream:
    """One M's batches in this generation, decoded a group at a time; `key` is the running max."""

    __slots__ = ("batches", "bi", "typ", "time", "args", "key", "kmax")

    def __init__(self, batches: list):
        self.batches = batches
        self.bi = 0
        self.typ = np.zeros(0, np.uint8)
        self.time = np.zeros(0, np.int64)
        self.args = np.zeros((0, 4), np.uint64)
        self.key = np.zeros(0, np.int64)
        self.kmax: int | None = None

    def bound(self, g: Generation) -> float:
        """No event of this M still to decode has a key below this."""
        if self.bi >= len(self.batches):
            return _INF
        b = g.mul(self.batches[self.bi].ts)
        return b if self.kmax is None or b > self.kmax else self.kmax

    def decode(self, tf, g: Generation) -> int:
        i, j, nbytes = self.bi, self.bi, 0
        bs = self.batches
        while j < len(bs) and (j == i or nbytes + bs[j].size <= GROUP_BYTES):
            nbytes += bs[j].size
            j += 1
        typ, t, args = _decode_chunk(tf.buf, bs[i:j], g)
        for b in bs[i:j]:
            tf.release(b.off, b.off + b.size)
        self.bi = j
        key = np.maximum.accumulate(t)
        if self.kmax is not None:
            np.maximum(key, self.kmax, out=key)
        self.kmax = int(key[-1])
        if len(self.typ):
            typ = np.concatenate((self.typ, typ))
            t = np.concatenate((self.time, t))
            args = np.concatenate((self.args, args))
            key = np.concatenate((self.key, key))
        self.typ, self.time, self.args, self.key = typ, t, args, key
        return j - i

    def take(self, n: int) -> tuple:
        out = (self.typ[:n], self.time[:n], self.args[:n], self.key[:n])
        self.typ, self.time, self.args, self.key = self.typ[n:], self.time[n:], self.args[n:], self.key[n:]
        return out


_INF = float("inf")


def _kth_key(keys: list, k: int) -> int:
    """The k-th least (from 0) of the values of sorted arrays `keys`, k below their total length:
    np.partition of their concatenation, by a binary search on the value (each M's keys are a
    running max, so sorted: a count below a value is a searchsorted per M)."""
    lo = min(int(a[0]) for a in keys if len(a))
    hi = max(int(a[-1]) for a in keys if len(a))
    while lo < hi:  # the least v with more than k values <= v
        mid = (lo + hi) // 2
        if sum(int(np.searchsorted(a, mid, side="right")) for a in keys) > k:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _windows(tf, g: Generation, window: int):
    """The generation's events as GenEvents windows in Go's merge order of their keys (see above):
    an M is decoded only while fewer than `window` events are known to come next, so what is held
    is a window plus, per M, about the last group decoded."""
    streams = [_MStream([b for b in g.batches[m] if b.size > 0]) for m in g.batch_ms]
    while True:
        bounds = [s.bound(g) for s in streams]
        cut = min(bounds, default=_INF)
        if cut == _INF:
            counts = [len(s.typ) for s in streams]
        else:
            counts = [int(np.searchsorted(s.key, cut, side="left")) for s in streams]
        ready = sum(counts)
        if cut != _INF and ready < window:
            streams[bounds.index(cut)].decode(tf, g)
            continue
        if not ready:
            return
        if ready > window:  # the window's worth of least keys: cut at the window-th one
            kth = _kth_key([s.key[:n] for s, n in zip(streams, counts, strict=True)], window)
            least = [
                int(np.searchsorted(s.key[:n], kth, side="left"))
                for s, n in zip(streams, counts, strict=True)
            ]
            if sum(least):
                counts = least
        parts = [s.take(n) for s, n in zip(streams, counts, strict=True)]
        m_bounds = np.zeros(len(streams) + 1, np.int64)
        np.cumsum(counts, out=m_bounds[1:])
        yield GenEvents(
            typ=np.concatenate([p[0] for p in parts]),
            time=np.concatenate([p[1] for p in parts]),
            args=np.concatenate([p[2] for p in parts]),
            m_bounds=m_bounds,
            key=np.concatenate([p[3] for p in parts]),
        )


def stream_generation(state: OrderState, tf, g: Generation, info: dict, window: int | None = None):
    """Generation g in Go's order, as ORDERED_DTYPE arrays of about `window` events (see above).

    One array for a generation with CPU samples (merged by time into the whole), and after a window
    the sort cannot be proven on, the rest of the generation from the run-by-run merge, in windows
    too (`stream_generation_exact`). `info["fast"]` says, once
    the generator is done, whether every window was the fast path's."""
    info["fast"] = False
    if g.cpu_samples:
        yield order_generation(state, g, decode_generation(tf, g))
        return
    saved = state.clone()
    done = 0
    prev_mi = -1
    for win in _windows(tf, g, window or WINDOW_EVENTS):
        win.prev_mi = prev_mi
        # validateTableIDs on the window's own arrays (contiguous: the ordered records' are not);
        # a window with a bad ID leaves the check to the reader, which finds the first in order.
        ids_ok = first_bad_table_id(win.typ, win.args, g) is None
        arr = order_generation_fast(state, g, win, False)
        if arr is None:
            break
        prev_mi = win.last_mi
        done += len(arr)
        info["ids_ok"] = ids_ok
        yield arr
        info["ids_ok"] = False
    else:
        info["fast"] = True
        return
    state.restore(saved)
    yield from stream_generation_exact(state, tf, g, skip=done, window=window)


# --- The run-by-run merge in windows: the fallback, in bounded memory ------------------------------
#
# `order.order_generation` for one generation, window by window, Go's heap of cursors carried from
# one window to the next. A window holds every event whose key is below T = the least "largest key
# decoded" over the Ms with batches left, so each M still to come has its next event (its cursor's
# time in the heap) decoded. A cursor whose window part is done stays in the heap with that time
# (it is at least T, above every event of the window: the window ends when such a cursor is the
# root); one whose M has nothing left leaves the heap (heapRemove), as in Go. When no cursor of the
# window can advance but Go would try one of those later heads, the window is redone from its start
# (the state and the heap saved) with the next window's events added.


class _NeedMore(Exception):
    """The merge must try an event beyond the window."""


class _XCursor:
    __slots__ = ("k", "i", "hi", "t", "act", "ai", "win", "win_lo", "beyond")

    def __init__(self, k: int, t: int):
        self.k, self.t = k, t
        self.i = self.hi = 0
        self.act = np.zeros(0, np.int64)
        self.ai = 0
        self.win: list = []
        self.win_lo = 0
        self.beyond = False  # the window part is done; t is the next window's first event

    def next_active(self) -> int:
        return int(self.act[self.ai]) if self.ai < len(self.act) else self.hi


def _exact_window(streams, tf, g: Generation, at_least: int):
    """(the next window as GenEvents, each M's next head time or None when it has no more), or None."""
    while True:
        for s in streams:
            if not len(s.typ) and s.bi < len(s.batches):
                s.decode(tf, g)
        live = [s for s in streams if s.bi < len(s.batches)]
        cut = min((s.kmax for s in live), default=_INF)
        if cut == _INF:
            counts = [len(s.typ) for s in streams]
        else:
            counts = [int(np.searchsorted(s.key, cut, side="left")) for s in streams]
        if cut != _INF and sum(counts) < at_least:
            min(live, key=lambda s: s.kmax).decode(tf, g)
            continue
        break
    if cut == _INF and not sum(counts):
        return None
    parts = [s.take(n) for s, n in zip(streams, counts, strict=True)]
    m_bounds = np.zeros(len(streams) + 1, np.int64)
    np.cumsum(counts, out=m_bounds[1:])
    heads = [int(s.time[0]) if len(s.typ) else None for s in streams]
    win = GenEvents(
        typ=np.concatenate([p[0] for p in parts]),
        time=np.concatenate([p[1] for p in parts]),
        args=np.concatenate([p[2] for p in parts]),
        m_bounds=m_bounds,
        key=np.concatenate([p[3] for p in parts]),
    )
    return win, heads


def _join(a: GenEvents, b: GenEvents) -> GenEvents:
    """Window a then window b, per M."""
    na, nb = len(a.m_bounds) - 1, len(b.m_bounds) - 1
    assert na == nb
    idx = np.concatenate(
        [
            np.concatenate(
                (
                    np.arange(a.m_bounds[k], a.m_bounds[k + 1]),
                    len(a.typ) + np.arange(b.m_bounds[k], b.m_bounds[k + 1]),
                )
            )
            for k in range(na)
        ]
    ).astype(np.int64)
    bounds = a.m_bounds + b.m_bounds
    return GenEvents(
        typ=np.concatenate((a.typ, b.typ))[idx],
        time=np.concatenate((a.time, b.time))[idx],
        args=np.concatenate((a.args, b.args))[idx],
        m_bounds=bounds,
        key=np.concatenate((a.key, b.key))[idx],
    )


def stream_generation_exact(state: OrderState, tf, g: Generation, skip: int = 0, window: int | None = None):
    """Generation g in Go's order by the run-by-run merge, in windows; the first `skip` events are
    not yielded (the fast path's windows yielded them already)."""
    window = window or WINDOW_EVENTS
    streams = [_MStream([b for b in g.batches[m] if b.size > 0]) for m in g.batch_ms]
    frontier: list[_XCursor] | None = None
    got = _exact_window(streams, tf, g, window)
    while got is not None:
        win, heads = got
        if frontier is None:  # the generation's start: every M's cursor, inserted in batch order
            frontier = []
            for k in range(len(streams)):
                lo, hi = int(win.m_bounds[k]), int(win.m_bounds[k + 1])
                t0 = int(win.time[lo]) if hi > lo else heads[k]
                if t0 is not None:
                    heap_insert(frontier, _XCursor(k, t0))
        saved = state.clone()
        layout = [(c.k, c.t) for c in frontier]
        try:
            arr, frontier = _merge_window(state, g, win, heads, frontier)
        except _NeedMore:
            state.restore(saved)
            more = _exact_window(streams, tf, g, window)
            if more is None:
                raise TraceError(f"broken trace: failed to advance: generation {g.gen}") from None
            got = (_join(win, more[0]), more[1])
            frontier = [_XCursor(k, t) for k, t in layout]
            continue
        if skip >= len(arr):
            skip -= len(arr)
        else:
            yield arr[skip:]
            skip = 0
        got = _exact_window(streams, tf, g, window)


def _merge_window(state, g, win, heads, frontier):
    """order_generation's loop over one window; returns (ordered events, the heap for the next)."""
    ordering = ExactOrdering(state)
    q = ordering.queue
    mstates = state.m
    ms = g.batch_ms
    typ, times, args = win.typ, win.time, win.args
    passive = PASSIVE[typ]
    bounds = win.m_bounds.tolist()
    runmax = win.key
    for c in frontier:
        c.i, c.hi = bounds[c.k], bounds[c.k + 1]
        c.act = np.flatnonzero(~passive[c.i : c.hi]) + c.i
        c.ai, c.win, c.win_lo = 0, [], 0
        c.beyond = c.i >= c.hi
    gen = g.gen
    singles: list[tuple] = []
    s_pos: list[int] = []
    b_pos, b_lo, b_hi, b_m, b_p, b_g = [], [], [], [], [], []
    out = 0

    def block(c, lo: int, hi: int) -> None:
        nonlocal out
        m = ms[c.k]
        st = mstates.get(m) if m != NO else None
        if m != NO and st is None:
            st = mstates[m] = [NO, NO]
        b_pos.append(out)
        b_lo.append(lo)
        b_hi.append(hi)
        b_m.append(m)
        b_p.append(st[1] if st else NO)
        b_g.append(st[0] if st else NO)
        out += hi - lo

    def drain() -> None:
        nonlocal out
        while q:
            s_pos.append(out)
            singles.append(q.popleft())
            out += 1

    def active_event(c, a: int) -> list:
        k = c.ai - c.win_lo
        if k >= len(c.win) or k < 0:
            c.win_lo = c.ai
            sel = c.act[c.ai : c.ai + 4096]
            c.win = np.column_stack(
                [typ[sel].astype(np.uint64), times[sel].view(np.uint64), args[sel]]
            ).tolist()
            k = 0
        e = c.win[k]
        t = e[1]
        if t >= 1 << 63:
            t -= 1 << 64
        return [e[0], t, e[2], e[3], e[4], e[5]]

    def step(c, idx: int, j: int) -> None:
        c.i = j
        if j < c.hi:
            c.t = int(times[j])
            heap_update(frontier, idx)
        elif heads[c.k] is not None:
            c.beyond = True
            c.t = heads[c.k]
            heap_update(frontier, idx)
        else:
            heap_remove(frontier, idx)

    INF = 1 << 63
    while frontier and not frontier[0].beyond:
        root = frontier[0]
        limit = INF
        n = len(frontier)
        if n > 1:
            limit = frontier[1].t
            if n > 2 and frontier[2].t < limit:
                limit = frontier[2].t
        i = root.i
        j = i + 1
        if j < root.hi:
            j += int(np.searchsorted(runmax[j : root.hi], limit, side="right"))
        k = i
        failed = False
        while True:
            a = root.next_active()
            if a >= j:
                break
            if a > k:
                block(root, k, a)
            if not ordering.advance(active_event(root, a), g, ms[root.k], gen):
                failed = True
                break
            root.ai += 1
            drain()
            k = a + 1
        if not failed:
            if j > k:
                block(root, k, j)
            step(root, 0, j)
            continue
        root.i = a
        root.t = int(times[a])
        frontier.sort(key=lambda c: c.t)
        for idx in range(1, len(frontier)):
            c = frontier[idx]
            if c.beyond:
                raise _NeedMore
            a = c.i
            if passive[a]:
                block(c, a, a + 1)
                step(c, idx, a + 1)
                break
            if ordering.advance(active_event(c, a), g, ms[c.k], gen):
                c.ai += 1
                drain()
                step(c, idx, a + 1)
                break
        else:
            if any(c.beyond for c in frontier):
                raise _NeedMore
            c = frontier[0]
            raise TraceError(
                f"broken trace: failed to advance: generation {gen}, M {ms[c.k]} is stuck at "
                f"{S.NAMES.get(int(typ[c.i]), int(typ[c.i]))} time={c.t}"
            )
    from .order import _assemble

    return _assemble(out, typ, times, args, singles, s_pos, (b_pos, b_lo, b_hi, b_m, b_p, b_g)), frontier
