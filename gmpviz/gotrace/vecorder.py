"""order.go's `ordering.Advance` for a run of the commonest scheduler events at once, with numpy.

fast.py sorts a window of a generation by time and must show that each active event, taken in that
order, advances (`ordering.Advance` says neither "not yet" nor an error). A Python step per event
caps that at about 1M events a second on scheduler-heavy traces (GoStart/GoStop are two thirds of
their events). `advance_run` checks a run of such events as whole arrays, split by resource:

* each M's context (P, G) before each event: a forward fill of the changes its own events make
  (GoStart sets the G, GoStop/GoBlock/GoDestroy/GoSyscallEndBlocked clear it, ProcStart/ProcStop set
  and clear the P), from the M's state at the run's start;
* each goroutine's status and `g_seq` before each event naming it (by argument or as its M's G):
  grouped by goroutine in order, each event's allowed statuses and the sequence number it must
  carry (order.go: advanceGoStart/GoUnblock want seq+1, in this generation);
* each P's status and `p_seq` the same way (ProcStart, ProcStop, GoSyscallBegin/End/EndBlocked);
* the ranges in flight (GCSweep on a P, GCMarkAssist on a G) as a level that must stay 0 or 1;
* GCBegin/GCEnd (the GC sequence) and STWBegin/STWEnd (a range with its kind, on the G) in a short
  Python pass, with the contexts found above.

Nothing in `state` changes until every check of the run holds; then the state after the run is
written back. A run it cannot settle (any check fails, or a case it leaves to the one-event loop)
gives None, and the caller advances that run event by event, so what the events mean stays
order.go's alone: this only skips work where the answer is sure.
"""

from __future__ import annotations

import numpy as np

from . import spec as S
from .order import GC_NOT_RUNNING, GC_RUNNING, NO, _GState

_GoStart, _GoStop, _GoBlock, _GoDestroy = S.EvGoStart, S.EvGoStop, S.EvGoBlock, S.EvGoDestroy
_GoUnblock, _GoCreate, _ProcStart, _ProcStop = S.EvGoUnblock, S.EvGoCreate, S.EvProcStart, S.EvProcStop
_SysBegin, _SysEnd, _SysEndBlocked = S.EvGoSyscallBegin, S.EvGoSyscallEnd, S.EvGoSyscallEndBlocked
_SweepBegin, _SweepEnd = S.EvGCSweepBegin, S.EvGCSweepEnd
_AssistBegin, _AssistEnd = S.EvGCMarkAssistBegin, S.EvGCMarkAssistEnd
_STWBegin, _STWEnd, _GCBegin, _GCEnd = S.EvSTWBegin, S.EvSTWEnd, S.EvGCBegin, S.EvGCEnd

#: The event types a run may hold (fast.py sends every other active event the one-event way).
VEC = np.zeros(256, bool)
VEC[
    [
        _GoStart, _GoStop, _GoBlock, _GoDestroy, _GoUnblock, _GoCreate, _ProcStart, _ProcStop,
        _SysBegin, _SysEnd, _SysEndBlocked, _SweepBegin, _SweepEnd, _AssistBegin, _AssistEnd,
        _STWBegin, _STWEnd, _GCBegin, _GCEnd,
    ]
] = True  # fmt: skip
_SIDE = np.zeros(256, bool)  # settled in the Python pass
_SIDE[[_STWBegin, _STWEnd, _GCBegin, _GCEnd]] = True

# Status codes: the wire statuses, 0 (GoBad / ProcBad, never stored) for "no such resource".
_GR, _GX, _GS, _GW = S.GoRunnableW, S.GoRunningW, S.GoSyscallW, S.GoWaitingW
_PR, _PI, _PS = S.ProcRunningW, S.ProcIdleW, S.ProcSyscallW
_EXISTS = 0b11110  # any status but "no such"
KEEP = -1


def _bits(*codes: int) -> int:
    return sum(1 << c for c in codes)


# Per event type: (allowed statuses as bits, status after or KEEP) for the G it names or runs.
_G_ALLOWED = np.zeros(256, np.int64)
_G_POST = np.full(256, KEEP, np.int64)
for _t, _allowed, _post in (
    (_GoStart, _bits(_GR), _GX),
    (_GoStop, _bits(_GX), _GR),
    (_GoBlock, _bits(_GX), _GW),
    (_GoDestroy, _bits(_GX), 0),
    (_GoUnblock, _bits(_GW), _GR),
    (_GoCreate, _bits(0), _GR),  # the new goroutine (a0)
    (_SysBegin, _bits(_GX), _GS),
    (_SysEnd, _bits(_GS), _GX),
    (_SysEndBlocked, _bits(_GS), _GR),
    (_AssistBegin, _EXISTS, KEEP),
    (_AssistEnd, _EXISTS, KEEP),
    (_STWBegin, _EXISTS, KEEP),
    (_STWEnd, _EXISTS, KEEP),
):
    _G_ALLOWED[_t], _G_POST[_t] = _allowed, _post
_CREATOR = 255  # a pseudo-type (no timed event has it): GoCreate's check on its creator
_G_ALLOWED[_CREATOR] = _bits(0, _GX)
_G_BY_ARG = np.zeros(256, bool)  # the G is a0 (else the M's G)
_G_BY_ARG[[_GoStart, _GoUnblock, _GoCreate]] = True
_G_SEQ = np.zeros(256, bool)  # carries g_seq: must be seq+1, and sets it
_G_SEQ[[_GoStart, _GoUnblock]] = True

_P_ALLOWED = np.zeros(256, np.int64)
_P_POST = np.full(256, KEEP, np.int64)
for _t, _allowed, _post in (
    (_ProcStart, _bits(_PI), _PR),  # P a0
    (_ProcStop, _bits(_PR, _PS), _PI),
    (_SysBegin, _EXISTS, _PS),
    (_SysEnd, _bits(_PS), _PR),
    (_SysEndBlocked, _EXISTS & ~_bits(_PS), KEEP),  # only when the M has a P
    (_SweepBegin, _EXISTS, KEEP),
    (_SweepEnd, _EXISTS, KEEP),
):
    _P_ALLOWED[_t], _P_POST[_t] = _allowed, _post
_P_SEQ_ARG = np.full(256, -1, np.int64)  # which argument is p_seq (ProcStart: a1, GoSyscallBegin: a0)
_P_SEQ_ARG[_ProcStart] = 1
_P_SEQ_ARG[_SysBegin] = 0

_SETS_G = np.zeros(256, bool)
_SETS_G[[_GoStart, _GoStop, _GoBlock, _GoDestroy, _SysEndBlocked]] = True
_SETS_P = np.zeros(256, bool)
_SETS_P[[_ProcStart, _ProcStop]] = True
# Context the event needs: 2 must have, 0 must not have, 1 may have (validateCtx), for P then G.
_NEED_P = np.ones(256, np.int8)
_NEED_G = np.ones(256, np.int8)
for _t, _p, _g in (
    (_GoStart, 2, 0),
    (_GoStop, 2, 2),
    (_GoBlock, 2, 2),
    (_GoDestroy, 2, 2),
    (_GoCreate, 2, 1),
    (_ProcStart, 0, 1),
    (_ProcStop, 2, 1),
    (_SysBegin, 2, 2),
    (_SysEnd, 2, 2),
    (_SysEndBlocked, 1, 2),
    (_SweepBegin, 2, 1),
    (_SweepEnd, 2, 1),
    (_AssistBegin, 2, 2),
    (_AssistEnd, 2, 2),
    (_STWBegin, 2, 2),
    (_STWEnd, 2, 2),
    (_GCBegin, 2, 2),
    (_GCEnd, 2, 2),
):
    _NEED_P[_t], _NEED_G[_t] = _p, _g
_RANGE_STEP = np.zeros(256, np.int64)  # +1 opens, -1 closes the range
_RANGE_STEP[[_SweepBegin, _AssistBegin]] = 1
_RANGE_STEP[[_SweepEnd, _AssistEnd]] = -1
_SWEEP_RT = (S.EvGCSweepBegin, 0)
_ASSIST_RT = (S.EvGCMarkAssistBegin, 0)


class _Refuse(Exception):
    """The run is left to the one-event loop; `row` is the first row a check refused (every row
    before it passed every check, so the run up to it can be advanced as an array)."""

    def __init__(self, row: int = 0):
        super().__init__(row)
        self.row = row


def _refuse_first(bad: np.ndarray, rows: np.ndarray | None = None) -> None:
    """_Refuse at the first refused row, if any (`bad` by row, or by `rows`' entries)."""
    if bad.any():
        raise _Refuse(int(np.argmax(bad)) if rows is None else int(rows[bad].min()))


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values in a sorted `key`: for each row the index of its run's first row, the
    first rows themselves, and each row's run number (0, 1, ...)."""
    n = len(key)
    if not n:
        z = np.zeros(0, np.int64)
        return z, z, z
    first = np.empty(n, bool)
    first[0] = True
    first[1:] = key[1:] != key[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    return start, np.flatnonzero(first), np.cumsum(first) - 1


class _Fill:
    """A forward fill over rows grouped (contiguously) by resource: `sets` marks the rows that set
    the value; before a group's first setting row the value is the group's initial one. The index
    of the last setting row is found once and serves every value set by the same rows."""

    __slots__ = ("va", "ia", "vb", "ib", "none")

    def __init__(self, grp_start: np.ndarray, sets: np.ndarray):
        n = len(sets)
        self.none = not sets.any()  # (then every value is its group's initial one)
        if self.none:
            return
        last = np.where(sets, np.arange(n), -1)
        np.maximum.accumulate(last, out=last)
        ib = np.empty_like(last)  # the last setting row strictly before each row
        if n:
            ib[0] = -1
            ib[1:] = last[:-1]
        self.va = last >= grp_start
        self.vb = ib >= grp_start  # (a group's first row: ib < its own index)
        np.maximum(last, 0, out=last)
        np.maximum(ib, 0, out=ib)
        self.ia, self.ib = last, ib

    def before(self, new: np.ndarray, init: np.ndarray) -> np.ndarray:
        """The value before each row (init: per row, its group's initial value)."""
        if self.none:
            return init.copy()
        return np.where(self.vb, new[self.ib], init)

    def after(self, new: np.ndarray, init: np.ndarray) -> np.ndarray:
        if self.none:
            return init.copy()
        return np.where(self.va, new[self.ia], init)

    def after_at(self, rows: np.ndarray, new: np.ndarray, init: np.ndarray) -> np.ndarray:
        """The value after the given rows (init: the rows' groups' initial values)."""
        if self.none:
            return init.copy()
        return np.where(self.va[rows], new[self.ia[rows]], init)

    def set_before(self, rows_n: int) -> np.ndarray:
        """Whether some row before each row, in its group, set the value."""
        return np.zeros(rows_n, bool) if self.none else self.vb

    def set_at(self, rows: np.ndarray) -> np.ndarray:
        """Whether some row up to each given row, in its group, set the value."""
        return np.zeros(len(rows), bool) if self.none else self.va[rows]


def _stable_order(key: np.ndarray) -> np.ndarray:
    """np.argsort(key, kind="stable"); keys within 2**16 of each other (goroutine and P IDs, as a
    rule) as 16-bit offsets, which numpy sorts by radix instead of timsort."""
    if len(key):
        lo = int(key.min())
        if int(key.max()) - lo < 1 << 16:
            return np.argsort((key - lo).astype(np.uint16), kind="stable")
    return np.argsort(key, kind="stable")


def _groups(key: np.ndarray):
    """(stable order by key, each sorted row's group start index, the sorted keys, the index of
    each group's first row, each sorted row's group number)."""
    o = np.argsort(key, kind="stable") if key.dtype.itemsize == 1 else _stable_order(key)
    ks = key[o]
    start, first, grp = _runs(ks)
    return o, start, ks, first, grp


def _start_states(ids: list, table: dict, gen: int, range_type):
    """Each id's state before the run, as arrays: status code, g_seq/p_seq, whether that sequence
    number is this generation's, and 1 where ``range_type`` is in flight (0s for an id not seen)."""
    n = len(ids)
    code = np.zeros(n, np.int64)
    seq = np.zeros(n, np.int64)
    seqok = np.zeros(n, bool)
    inflight = np.zeros(n, np.int64)
    for i, x in enumerate(ids):
        st = table.get(x)
        if st is not None:
            code[i], seq[i], seqok[i] = st.status, st.seq, st.seq_gen == gen
            inflight[i] = 1 if range_type in st.in_flight else 0
    return code, seq, seqok, inflight


def advance_run(state, gen: int, ms: list, ty, a0, a1, k, t_ns, ctx=None):
    """Advance a run of events (all of VEC types, on Ms that are not NoThread), in order.

    ty/a0/a1/k/t_ns: each event's type, first two arguments (as int64), M (index into ms) and
    time. Returns (each event's M context after it: p, g, as int64 arrays; the records of the
    Python pass's events as (index in the run, record)), with `state` advanced; or None, with
    `state` as it was.

    `ctx`, when the caller knows them: (each event's P before it, its G before it, [(M, its G, its
    P) after the run, for every M whose context the run may change]); then the contexts after are
    not computed (None, None)."""
    try:
        return _advance(state, gen, ms, ty, a0, a1, k, t_ns, ctx)
    except _Refuse:
        return None


def advance_prefix(state, gen: int, ms: list, ty, a0, a1, k, t_ns):
    """advance_run on the longest prefix of the run that it settles: (its length, advance_run's
    answer for it, or None when that length is 0).

    A refusal names the first row a check refused; the rows before it passed those checks, but a
    check that runs later may refuse one of them, so the prefix is tried again until it holds (a
    few tries: each cut is at the first row some check refused)."""
    n = len(ty)
    while n:
        try:
            return n, _advance(state, gen, ms, ty[:n], a0[:n], a1[:n], k[:n], t_ns[:n], None)
        except _Refuse as r:
            n = min(r.row, n - 1)
    return 0, None


def _advance(state, gen, ms, ty, a0, a1, k, t_ns, ctx):
    mstates, G, P = state.m, state.g, state.p
    if ctx is not None:
        cur_p, cur_g, m_final = ctx
        p_after = g_after = None
    else:
        cur_p, cur_g, p_after, g_after, m_final = _m_contexts(mstates, ms, ty, a0, k)
    need_p, need_g = _NEED_P[ty], _NEED_G[ty]
    has_p, has_g = cur_p != NO, cur_g != NO
    bad_p = ((need_p == 2) & ~has_p) | ((need_p == 0) & has_p)
    _refuse_first(bad_p | ((need_g == 2) & ~has_g) | ((need_g == 0) & has_g))
    # --- goroutines ------------------------------------------------------------------------------
    row = np.flatnonzero(_G_ALLOWED[ty] != 0)  # the events that name a goroutine
    ty_g = ty[row]
    gid = np.where(_G_BY_ARG[ty_g], a0[row], cur_g[row])
    # GoCreate also asks its creator (the M's G, when it has one) to be running or unknown: a row
    # of the pseudo-type _CREATOR.
    cr = np.flatnonzero((ty == _GoCreate) & has_g)
    if len(cr):
        g_key = np.concatenate((gid, cur_g[cr]))
        g_row = np.concatenate((row, cr))
        g_ty = np.concatenate((ty_g, np.full(len(cr), _CREATOR, np.uint8)))
        # by goroutine, then by the event's place in the run (creators' rows follow the others)
        go = np.lexsort((g_row, g_key))
    else:
        g_key, g_row, g_ty = gid, row, ty_g
        go = _stable_order(g_key)  # (rows are in order)
    g_key, g_row, g_ty = g_key[go], g_row[go], g_ty[go]
    del gid, go
    g_allowed, g_post, g_step = _G_ALLOWED[g_ty], _G_POST[g_ty], _RANGE_STEP[g_ty]
    g_seqop, g_create = _G_SEQ[g_ty], g_ty == _GoCreate
    g_a1 = a1[g_row]
    m_ = len(g_key)
    gstart, starts, grp = _runs(g_key)
    ug = g_key[starts].tolist()
    gi_code, gi_seq, gi_seqok, gi_assist = _start_states(ug, G, gen, _ASSIST_RT)
    ends = np.r_[starts[1:], m_] - 1 if m_ else starts
    f_code = _Fill(gstart, g_post != KEEP)
    pre = f_code.before(g_post, gi_code[grp])
    _refuse_first(((g_allowed >> pre) & 1) == 0, g_row)
    fin_code = f_code.after_at(ends, g_post, gi_code).tolist()
    del pre, f_code
    # g_seq: GoStart/GoUnblock want the last one + 1 (in this generation); GoCreate starts it at 0.
    sets_seq = g_seqop | g_create
    f_seq = _Fill(gstart, sets_seq)
    new_seq = np.where(g_create, 0, g_a1)
    seq_before = f_seq.before(new_seq, gi_seq[grp])
    ok_before = f_seq.set_before(m_) | gi_seqok[grp]  # a sequence number set in this run is this generation's
    _refuse_first(g_seqop & ~(ok_before & (g_a1 == seq_before + 1)), g_row)
    fin_seq = f_seq.after_at(ends, new_seq, gi_seq).tolist()
    seq_changed = f_seq.set_at(ends).tolist()
    del f_seq, seq_before, ok_before, new_seq
    # GCMarkAssist in flight: the level stays 0 or 1 (advanceGoRangeBegin/End on the G's ranges).
    any_assist: list = [False] * len(ug)
    last_begin: list = []
    fin_lvl: list = []
    if m_ and g_step.any():
        lvl = _levels(g_step, gstart, gi_assist[grp], g_row)
        fin_lvl = lvl[ends].tolist()
        any_assist = np.logical_or.reduceat(g_step != 0, starts).tolist()
        last_begin = np.maximum.reduceat(np.where(g_step > 0, g_row, -1), starts).tolist()
    # --- Ps --------------------------------------------------------------------------------------
    p_of = np.where(ty == _ProcStart, a0, cur_p)
    p_sel = np.flatnonzero((_P_ALLOWED[ty] != 0) & ((ty != _SysEndBlocked) | has_p))
    po, pstart, p_key, pstarts, pgrp = _groups(p_of[p_sel])  # (p_sel is in order)
    p_row = p_sel[po]
    p_ty = ty[p_row]
    q = len(p_key)
    up = p_key[pstarts].tolist()
    pi_code, pi_seq, pi_seqok, pi_sweep = _start_states(up, P, gen, _SWEEP_RT)
    pends = np.r_[pstarts[1:], q] - 1 if q else pstarts
    p_post = _P_POST[p_ty]
    fp_code = _Fill(pstart, p_post != KEEP)
    ppre = fp_code.before(p_post, pi_code[pgrp])
    _refuse_first(((_P_ALLOWED[p_ty] >> ppre) & 1) == 0, p_row)
    pfin_code = fp_code.after_at(pends, p_post, pi_code).tolist()
    del fp_code, ppre
    seq_arg = _P_SEQ_ARG[p_ty]
    p_seqop = seq_arg >= 0
    p_seqval = np.where(seq_arg == 1, a1[p_row], a0[p_row])
    fp_seq = _Fill(pstart, p_seqop)
    pseq_before = fp_seq.before(p_seqval, pi_seq[pgrp])
    pok_before = fp_seq.set_before(q) | pi_seqok[pgrp]
    _refuse_first(p_seqop & ~(pok_before & (p_seqval == pseq_before + 1)), p_row)
    pfin_seq = fp_seq.after_at(pends, p_seqval, pi_seq).tolist()
    pseq_changed = fp_seq.set_at(pends).tolist()
    del fp_seq, pseq_before, pok_before
    p_step = _RANGE_STEP[p_ty]
    p_sweep_ops: list = [False] * len(up)
    pfin_lvl: list = []
    if q and p_step.any():
        pfin_lvl = _levels(p_step, pstart, pi_sweep[pgrp], p_row)[pends].tolist()
        p_sweep_ops = np.logical_or.reduceat(p_step != 0, pstarts).tolist()
    # --- the Python pass: STW ranges and the GC sequence -----------------------------------------
    # A goroutine's ranges in flight are a list, and which entry _end_range takes depends on its
    # order only when two share a start type: at most one STW range (and one assist) in flight on
    # a goroutine, or the run is refused, so the list's order follows from the appends' order.
    records: list[tuple[int, tuple]] = []
    stw: dict[int, list] = {}  # goroutine -> [its STW entry in flight or None, appended at row, ended]
    gc_seq, gc_state = state.gc_seq, state.gc_state
    for i in np.flatnonzero(_SIDE[ty]).tolist():
        t = int(ty[i])
        gg, pp = int(cur_g[i]), int(cur_p[i])
        a = int(a0[i])
        rec0 = a
        if t in (_GCBegin, _GCEnd):
            if a != gc_seq + 1:
                raise _Refuse(i)
            if t == _GCBegin:
                if gc_state != GC_NOT_RUNNING:
                    raise _Refuse(i)
                gc_state = GC_RUNNING
            else:
                if gc_state != GC_RUNNING:
                    raise _Refuse(i)
                gc_state = GC_NOT_RUNNING
            gc_seq = a
        else:
            sv = stw.get(gg)
            if sv is None:
                st = G.get(gg)
                old = [r for r in st.in_flight if r[0] == _STWBegin] if st is not None else []
                if len(old) > 1:
                    raise _Refuse(i)
                sv = stw[gg] = [old[0] if old else None, -1, False]
            if t == _STWBegin:
                if sv[0] is not None:
                    raise _Refuse(i)
                sv[0], sv[1] = (_STWBegin, a), i
            else:
                if sv[0] is None:
                    raise _Refuse(i)
                rec0 = sv[0][1]
                if sv[1] < 0:
                    sv[2] = True  # the entry from before the run is gone
                sv[0], sv[1] = None, -1
        m = ms[int(k[i])]
        records.append((i, (t, int(t_ns[i]), m, pp, gg, rec0, int(a1[i]), 0, 0)))
        # (a1..a3 of these events: STWBegin's stack is a1; GCBegin/GCEnd/STWEnd have no more)
    # --- every check held: the state after the run ------------------------------------------------
    for m, gl, pl in m_final:
        st = mstates.get(m)
        if st is None:
            st = mstates[m] = [NO, NO]
        st[0], st[1] = gl, pl
    for i, x in enumerate(ug):
        code = fin_code[i]
        st = G.get(x)
        if code == 0:
            if st is not None:
                del G[x]
            continue
        if st is None:
            st = G[x] = _GState(code, gen)
        st.status = code
        if seq_changed[i]:
            st.seq_gen, st.seq = gen, fin_seq[i]
        sv = stw.pop(x, None)
        if any_assist[i] or sv is not None:
            # The entries from before the run that no End took, in their order, then the ones
            # appended in the run, in the order of their appends (an End removes an entry by
            # moving the last into its place: with two entries at most, that keeps this order).
            keep, new = [], []
            for r in st.in_flight:
                if r == _ASSIST_RT and any_assist[i]:
                    continue  # a run with assists on a G that had one ends it first
                if r[0] == _STWBegin and sv is not None and (sv[2] or sv[1] >= 0):
                    continue
                keep.append(r)
            if any_assist[i] and fin_lvl[i]:
                new.append((last_begin[i], _ASSIST_RT))
            if sv is not None and sv[1] >= 0:
                new.append((sv[1], sv[0]))
            new.sort()
            st.in_flight = keep + [r for _, r in new]
    for x, sv in stw.items():  # STW on a goroutine no status check named (none: each needs G)
        st = G.get(x)
        if st is not None and (sv[2] or sv[1] >= 0):
            st.in_flight = [r for r in st.in_flight if r[0] != _STWBegin] + ([sv[0]] if sv[1] >= 0 else [])
    had_sweep = pi_sweep.tolist()
    for i, x in enumerate(up):
        st = P[x]  # every P here existed (each check asks for a status)
        st.status = pfin_code[i]
        if pseq_changed[i]:
            st.seq_gen, st.seq = gen, pfin_seq[i]
        if p_sweep_ops[i]:
            if had_sweep[i]:
                _remove_range(st.in_flight, _SWEEP_RT)
            if pfin_lvl[i]:
                st.in_flight.append(_SWEEP_RT)
    state.gc_seq, state.gc_state = gc_seq, gc_state
    return p_after, g_after, records


def _m_contexts(mstates, ms, ty, a0, k):
    """Each event's M context (P, G) before and after it: a forward fill over the run's events
    grouped by M, from each M's state at the run's start; and [(M, G, P)] after the run."""
    n = len(ty)
    ko, kstart, ks, kfirst, uinv = _groups(k.astype(np.uint8) if len(ms) <= 256 else k)
    uk = ks[kfirst]
    init_g = np.empty(len(uk), np.int64)
    init_p = np.empty(len(uk), np.int64)
    for i, kk in enumerate(uk.tolist()):
        st = mstates.get(ms[kk])
        init_g[i], init_p[i] = (st[0], st[1]) if st is not None else (NO, NO)
    tys = ty[ko]
    a0s = a0[ko]
    fg = _Fill(kstart, _SETS_G[tys])
    fp = _Fill(kstart, _SETS_P[tys])
    new_g = np.where(tys == _GoStart, a0s, NO)
    new_p = np.where(tys == _ProcStart, a0s, NO)
    ig, ip = init_g[uinv], init_p[uinv]
    cur_g = np.empty(n, np.int64)
    cur_p = np.empty(n, np.int64)
    cur_g[ko] = fg.before(new_g, ig)
    cur_p[ko] = fp.before(new_p, ip)
    g_after = np.empty(n, np.int64)
    p_after = np.empty(n, np.int64)
    g_after[ko] = ga_s = fg.after(new_g, ig)
    p_after[ko] = pa_s = fp.after(new_p, ip)
    klast = np.r_[kfirst[1:], n] - 1
    m_final = [
        (ms[kk], gl, pl)
        for kk, gl, pl in zip(uk.tolist(), ga_s[klast].tolist(), pa_s[klast].tolist(), strict=True)
    ]
    return cur_p, cur_g, p_after, g_after, m_final


def _levels(step: np.ndarray, gstart: np.ndarray, init: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A range's level after each row (grouped rows; +1 opens, -1 closes); _Refuse unless 0 or 1
    (at the first of the `rows`, the run's rows of the grouped ones, where it is not)."""
    if not len(step):
        return np.zeros(0, np.int64)
    cs = np.cumsum(step)
    base = cs[gstart] - step[gstart]  # the sum before the group's first row
    lvl = init + cs - base
    _refuse_first((lvl < 0) | (lvl > 1), rows)
    return lvl


def _remove_range(flight: list, rt) -> None:
    """_end_range's removal (the last entry takes its place), for the range type rt."""
    for i, r in enumerate(flight):
        if r[0] == rt[0]:
            flight[i] = flight[-1]
            flight.pop()
            return
