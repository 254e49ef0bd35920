"""The partial order across Ms: `internal/trace/order.go` and the merge loop of `Reader.ReadEvent`.

Each M writes its own batches; events that hand a resource from one M to another carry sequence
numbers (`g_seq` on GoStart/GoUnblock/GoSwitch, `p_seq` on ProcStart/ProcSteal/GoSyscallBegin, the GC
sequence on GCBegin/GCActive/GCEnd). Go's reader merges the Ms by timestamp through a min-heap of
per-M cursors and only takes the next event of an M when its sequence number follows the resource's
last one (`ordering.Advance`); otherwise it tries the other Ms in time order.

`ExactOrdering` is that algorithm, one event at a time: the reference, and the path for a
generation the fast path cannot prove. `fast.py` reproduces it for a whole generation with numpy and
checks that nothing it assumed was false.

The output of a generation is a structured array of ORDERED_DTYPE: Go's `Event` after ordering — the
wire type, the time (after the reader's "strictly increasing" fix-up), the scheduling context
(M, P, G as Go reports them: the state *before* the event) and the four argument slots, including the
values order.go smuggles into them (old states, the STW kind on STWEnd, the task of UserTaskEnd).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from . import spec as S
from .wire import Generation, GenEvents, TraceError

ORDERED_DTYPE = np.dtype(
    [
        ("typ", "u1"),  # wire type; spec.EvSyncEvent (255) for the reader's Sync events
        ("time", "i8"),  # nanoseconds, strictly increasing over the whole trace
        ("m", "i8"),
        ("p", "i8"),
        ("g", "i8"),
        ("args", "u8", (4,)),
    ]
)

NO = S.NO_ID

# gcState
GC_UNDETERMINED, GC_NOT_RUNNING, GC_RUNNING = 0, 1, 2


def sync_event(time: int, n: int, has_table: bool) -> tuple:
    """syncEvent (event.go): args[0] is N; args[1] = 1 when the generation's table (clock) is attached."""
    return (S.EvSyncEvent, time, NO, NO, NO, n, 1 if has_table else 0, 0, 0)


def s64(x: int) -> int:
    """A uint64 argument as Go's int64 ID types (GoID, ProcID, ThreadID) read it."""
    return x - (1 << 64) if x >= 1 << 63 else x


def _range_type(typ: int, desc: int) -> tuple[int, int]:
    """makeRangeType: ranges are named by their Begin event."""
    st = S.START_EV[typ]
    return (int(st) if st else typ, desc)


class _GState:
    __slots__ = ("status", "seq_gen", "seq", "in_flight", "regions")

    def __init__(self, status: int, gen: int):
        self.status = status
        self.seq_gen = gen
        self.seq = 0
        self.in_flight: list = []
        self.regions: list = []


class _PState:
    __slots__ = ("status", "seq_gen", "seq", "in_flight")

    def __init__(self, status: int, gen: int):
        self.status = status
        self.seq_gen = gen
        self.seq = 0
        self.in_flight: list = []


def _begin_range(st, rt) -> None:
    if rt in st.in_flight:
        raise TraceError(f"discovered event already in-flight for when starting event {S.NAMES[rt[0]]}")
    st.in_flight.append(rt)


def _active_range(st, rt, initial: bool) -> None:
    if initial:
        if rt in st.in_flight:
            raise TraceError(f"found named active range already in first gen: {rt}")
        st.in_flight.append(rt)
    elif rt not in st.in_flight:
        raise TraceError(f"resource is missing active range: {S.NAMES[rt[0]]}")


def _end_range(st, typ: int) -> int:
    start = int(S.START_EV[typ])
    for i, r in enumerate(st.in_flight):
        if r[0] == start:
            desc = r[1]
            st.in_flight[i] = st.in_flight[-1]
            st.in_flight.pop()
            return desc
    raise TraceError(f"tried to end event {S.NAMES[start]}, but not in-flight")


class OrderState:
    """`ordering`'s state, carried from one generation to the next."""

    def __init__(self):
        self.g: dict[int, _GState] = {}
        self.p: dict[int, _PState] = {}
        self.m: dict[int, list] = {}  # m -> [g, p]
        self.tasks: dict[int, tuple[str, int]] = {}
        self.gc_seq = 0
        self.gc_state = GC_UNDETERMINED
        self.initial_gen = 0

    def clone(self) -> OrderState:
        c = OrderState()
        for k, st in self.g.items():
            n = c.g[k] = _GState(st.status, st.seq_gen)
            n.seq, n.in_flight, n.regions = st.seq, list(st.in_flight), list(st.regions)
        for k, st in self.p.items():
            n = c.p[k] = _PState(st.status, st.seq_gen)
            n.seq, n.in_flight = st.seq, list(st.in_flight)
        c.m = {k: list(v) for k, v in self.m.items()}
        c.tasks = dict(self.tasks)
        c.gc_seq, c.gc_state, c.initial_gen = self.gc_seq, self.gc_state, self.initial_gen
        return c

    def restore(self, other: OrderState) -> None:
        self.__dict__.update(other.__dict__)


class ExactOrdering:
    """order.go's `ordering.Advance`, one event at a time, over `OrderState`."""

    def __init__(self, state: OrderState):
        self.s = state
        self.queue: deque = deque()
        d = {
            S.EvProcsChange: self._annotation,
            S.EvProcStart: self._proc_start,
            S.EvProcStop: self._proc_stop,
            S.EvProcSteal: self._proc_steal,
            S.EvProcStatus: self._proc_status,
            S.EvGoCreate: self._go_create,
            S.EvGoCreateSyscall: self._go_create_syscall,
            S.EvGoStart: self._go_start,
            S.EvGoDestroy: self._go_stop_exec,
            S.EvGoDestroySyscall: self._go_destroy_syscall,
            S.EvGoStop: self._go_stop_exec,
            S.EvGoBlock: self._go_stop_exec,
            S.EvGoUnblock: self._go_unblock,
            S.EvGoSyscallBegin: self._go_syscall_begin,
            S.EvGoSyscallEnd: self._go_syscall_end,
            S.EvGoSyscallEndBlocked: self._go_syscall_end_blocked,
            S.EvGoStatus: self._go_status,
            S.EvSTWBegin: self._go_range_begin,
            S.EvSTWEnd: self._go_range_end,
            S.EvGCActive: self._gc_active,
            S.EvGCBegin: self._gc_begin,
            S.EvGCEnd: self._gc_end,
            S.EvGCSweepActive: self._gc_sweep_active,
            S.EvGCSweepBegin: self._gc_sweep_begin,
            S.EvGCSweepEnd: self._gc_sweep_end,
            S.EvGCMarkAssistActive: self._go_range_active,
            S.EvGCMarkAssistBegin: self._go_range_begin,
            S.EvGCMarkAssistEnd: self._go_range_end,
            S.EvHeapAlloc: self._heap_metric,
            S.EvHeapGoal: self._heap_metric,
            S.EvGoLabel: self._annotation,
            S.EvUserTaskBegin: self._user_task_begin,
            S.EvUserTaskEnd: self._user_task_end,
            S.EvUserRegionBegin: self._user_region_begin,
            S.EvUserRegionEnd: self._user_region_end,
            S.EvUserLog: self._annotation,
            S.EvGoSwitch: self._go_switch,
            S.EvGoSwitchDestroy: self._go_switch,
            S.EvGoCreateBlocked: self._go_create,
            S.EvGoStatusStack: self._go_status,
        }
        for t in range(S.EvSpan, S.MaxExperimentalEvent):
            d[t] = self._alloc_free
        self.dispatch = d

    # Advance (order.go). ev = [typ, time, a0, a1, a2, a3], mutated as Go mutates baseEvent.
    def advance(self, ev: list, g: Generation, m: int, gen: int) -> bool:
        s = self.s
        if s.initial_gen == 0:
            s.initial_gen = gen
        ms = None
        if m == NO:
            cur = [m, NO, NO]
        else:
            ms = s.m.get(m)
            if ms is None:
                ms = s.m[m] = [NO, NO]
            cur = [m, ms[1], ms[0]]  # [M, P, G]
        f = self.dispatch.get(ev[0])
        if f is None:
            raise TraceError(f"bad event type found while ordering: {ev[0]}")
        new = f(ev, g, m, gen, cur)
        if new is None:
            return False
        if ms is not None:
            ms[1] = new[1]
            ms[0] = new[2]
        return True

    def _push(self, ev, cur) -> None:
        self.queue.append((ev[0], ev[1], cur[0], cur[1], cur[2], ev[2], ev[3], ev[4], ev[5]))

    @staticmethod
    def _need(cur, mreq: int, preq: int, greq: int) -> None:
        """validateCtx: 2 must have, 0 must not have, 1 may have."""
        m, p, g = cur
        if (
            (m != NO if mreq == 2 else m == NO if mreq == 0 else True)
            and (p != NO if preq == 2 else p == NO if preq == 0 else True)
            and (g != NO if greq == 2 else g == NO if greq == 0 else True)
        ):
            return
        for val, req, what in ((m, mreq, "thread"), (p, preq, "proc"), (g, greq, "goroutine")):
            if req == 2 and val == NO:
                raise TraceError(f"expected a {what} but didn't have one")
            if req == 0 and val != NO:
                raise TraceError(f"expected no {what} but had one")

    def _user(self, cur) -> None:
        if cur[0] == NO or cur[1] == NO or cur[2] == NO:
            self._need(cur, 2, 2, 2)

    @staticmethod
    def _extra(ev) -> int:
        """Index of the first free argument slot (baseEvent.extra for Go122)."""
        return 2 + S.NARGS[ev[0]] - 1

    def _proc_status(self, ev, g, m, gen, cur):
        s = self.s
        pid, status = s64(ev[2]), ev[3]
        if status >= len(S.PROC_STATUS_TO_STATE):
            raise TraceError(f"invalid status for proc {pid}: {status}")
        old = S.PROC_STATUS_TO_STATE[status]
        st = s.p.get(pid)
        if st is not None:
            if status == S.ProcSyscallAbandonedW and st.status == S.ProcSyscallW:
                old = S.PS_RUNNING
                ev[3] = S.ProcSyscallW
            elif status == S.ProcSyscallAbandonedW and st.status == S.ProcSyscallAbandonedW:
                old = S.PS_IDLE
                ev[3] = S.ProcSyscallAbandonedW
            elif st.status != status:
                raise TraceError(
                    f"inconsistent status for proc {pid}: old {S.PROC_STATUS_NAMES[st.status]} vs. "
                    f"new {S.PROC_STATUS_NAMES[status]}"
                )
            st.seq_gen, st.seq = gen, 0
        else:
            s.p[pid] = _PState(status, gen)
            old = S.PS_UNDETERMINED if gen == s.initial_gen else S.PS_NOTEXIST
        ev[self._extra(ev)] = old
        new = list(cur)
        if status in (S.ProcRunningW, S.ProcSyscallW):
            new[1] = pid
        if status == S.ProcSyscallAbandonedW and old == S.PS_RUNNING:
            found = False
            for mid, mst in s.m.items():
                if mst[1] == pid:
                    cur[0], cur[1], cur[2] = mid, pid, mst[0]
                    found = True
            if not found:
                raise TraceError(f"failed to find sched context for proc {pid} that's about to be stolen")
        self._push(ev, cur)
        return new

    def _proc_start(self, ev, g, m, gen, cur):
        pid, seq = s64(ev[2]), ev[3]
        st = self.s.p.get(pid)
        if (
            st is None
            or st.status != S.ProcIdleW
            or not (st.seq_gen == gen and seq == st.seq + 1)
            or cur[1] != NO
        ):
            return None
        self._need(cur, 2, 0, 1)
        st.status = S.ProcRunningW
        st.seq_gen, st.seq = gen, seq
        new = list(cur)
        new[1] = pid
        self._push(ev, cur)
        return new

    def _proc_stop(self, ev, g, m, gen, cur):
        st = self.s.p.get(cur[1])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for proc ({cur[1]}) that doesn't exist")
        if st.status not in (S.ProcRunningW, S.ProcSyscallW):
            raise TraceError(f"{S.NAMES[ev[0]]} event for proc that's not Running or Syscall")
        self._need(cur, 2, 2, 1)
        st.status = S.ProcIdleW
        new = list(cur)
        new[1] = NO
        self._push(ev, cur)
        return new

    def _proc_steal(self, ev, g, m, gen, cur):
        s = self.s
        pid, seq = s64(ev[2]), ev[3]
        st = s.p.get(pid)
        if (
            st is None
            or st.status not in (S.ProcSyscallW, S.ProcSyscallAbandonedW)
            or not (st.seq_gen == gen and seq == st.seq + 1)
        ):
            return None
        self._need(cur, 2, 1, 1)
        old = st.status
        ev[self._extra(ev)] = old
        st.status = S.ProcIdleW
        st.seq_gen, st.seq = gen, seq
        if old == S.ProcSyscallAbandonedW:
            self._push(ev, cur)
            return list(cur)
        mid = s64(ev[4])
        new = list(cur)
        if mid == cur[0]:
            if cur[1] != pid:
                raise TraceError(
                    f"tried to self-steal proc {pid} (thread {mid}), but got proc {cur[1]} instead"
                )
            new[1] = NO
            self._push(ev, cur)
            return new
        mst = s.m.get(mid)
        if mst is None:
            raise TraceError(f"stole proc from non-existent thread {mid}")
        if mst[1] != pid:
            raise TraceError(f"tried to steal proc {pid} from thread {mid}, but got proc {mst[1]} instead")
        mst[1] = NO
        self._push(ev, cur)
        return new

    def _go_status(self, ev, g, m, gen, cur):
        s = self.s
        gid, mid, status = s64(ev[2]), s64(ev[3]), ev[4]
        if status >= len(S.GO_STATUS_TO_STATE):
            raise TraceError(f"invalid status for goroutine {gid}: {status}")
        old = S.GO_STATUS_TO_STATE[status]
        st = s.g.get(gid)
        if st is not None:
            if st.status != status:
                raise TraceError(
                    f"inconsistent status for goroutine {gid}: old {S.GO_STATUS_NAMES[st.status]} vs. "
                    f"new {S.GO_STATUS_NAMES[status]}"
                )
            st.seq_gen, st.seq = gen, 0
        elif gen == s.initial_gen:
            s.g[gid] = _GState(status, gen)
            old = S.GS_UNDETERMINED
        else:
            raise TraceError(
                f"found goroutine status for new goroutine after the first generation: id={gid} "
                f"status={S.GO_STATUS_NAMES[status]}"
            )
        ev[4] = (old << 32) | status
        new = list(cur)
        if status == S.GoRunningW:
            new[2] = gid
        elif status == S.GoSyscallW:
            if mid == NO:
                raise TraceError(f"found goroutine {gid} in syscall without a thread")
            if mid == cur[0]:
                if gen != s.initial_gen and cur[2] != gid:
                    raise TraceError(
                        f"inconsistent thread for syscalling goroutine {gid}: thread has goroutine {cur[2]}"
                    )
                new[2] = gid
            else:
                mst = s.m.get(mid)
                if mst is not None:
                    if mst[0] != gid:
                        raise TraceError(
                            f"inconsistent thread for syscalling goroutine {gid}: "
                            f"thread has goroutine {mst[0]}"
                        )
                    cur[2] = mst[0]
                else:
                    s.m[mid] = [gid, NO]
                cur[0] = mid
        self._push(ev, cur)
        return new

    def _go_create(self, ev, g, m, gen, cur):
        s = self.s
        self._need(cur, 2, 2, 1)
        st = s.g.get(cur[2])
        if st is not None and st.status != S.GoRunningW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        newg = s64(ev[2])
        if newg in s.g:
            raise TraceError(f"tried to create goroutine ({newg}) that already exists")
        s.g[newg] = _GState(S.GoWaitingW if ev[0] == S.EvGoCreateBlocked else S.GoRunnableW, gen)
        self._push(ev, cur)
        return list(cur)

    def _go_stop_exec(self, ev, g, m, gen, cur):
        s = self.s
        self._user(cur)
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if st.status != S.GoRunningW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        new = list(cur)
        typ = ev[0]
        if typ == S.EvGoDestroy:
            del s.g[cur[2]]
        elif typ == S.EvGoStop:
            st.status = S.GoRunnableW
        else:
            st.status = S.GoWaitingW
        new[2] = NO
        self._push(ev, cur)
        return new

    def _go_start(self, ev, g, m, gen, cur):
        gid, seq = s64(ev[2]), ev[3]
        st = self.s.g.get(gid)
        if st is None or st.status != S.GoRunnableW or not (st.seq_gen == gen and seq == st.seq + 1):
            return None
        self._need(cur, 2, 2, 0)
        st.status = S.GoRunningW
        st.seq_gen, st.seq = gen, seq
        new = list(cur)
        new[2] = gid
        self._push(ev, cur)
        return new

    def _go_unblock(self, ev, g, m, gen, cur):
        gid, seq = s64(ev[2]), ev[3]
        st = self.s.g.get(gid)
        if st is None or st.status != S.GoWaitingW or not (st.seq_gen == gen and seq == st.seq + 1):
            return None
        st.status = S.GoRunnableW
        st.seq_gen, st.seq = gen, seq
        self._push(ev, cur)
        return list(cur)

    def _go_switch(self, ev, g, m, gen, cur):
        s = self.s
        self._user(cur)
        curst = s.g.get(cur[2])
        if curst is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if curst.status != S.GoRunningW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        nextg, seq = s64(ev[2]), ev[3]
        nst = s.g.get(nextg)
        if nst is None or nst.status != S.GoWaitingW or not (nst.seq_gen == gen and seq == nst.seq + 1):
            return None
        self._push(ev, cur)
        t = ev[1]
        if ev[0] == S.EvGoSwitch:
            curst.status = S.GoWaitingW
            self.queue.append((S.EvGoBlock, t, cur[0], cur[1], cur[2], 0, 0, 0, 0))
        else:
            del s.g[cur[2]]
            self.queue.append((S.EvGoDestroy, t, cur[0], cur[1], cur[2], 0, 0, 0, 0))
        nst.status = S.GoRunningW
        nst.seq_gen, nst.seq = gen, seq
        new = list(cur)
        new[2] = nextg
        self.queue.append((S.EvGoStart, t, cur[0], cur[1], NO, ev[2], ev[3], 0, 0))
        return new

    def _go_syscall_begin(self, ev, g, m, gen, cur):
        s = self.s
        self._user(cur)
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if st.status != S.GoRunningW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        st.status = S.GoSyscallW
        pst = s.p.get(cur[1])
        if pst is None:
            raise TraceError(f"uninitialized proc {cur[1]} found during {S.NAMES[ev[0]]}")
        pst.status = S.ProcSyscallW
        seq = ev[2]
        if not (pst.seq_gen == gen and seq == pst.seq + 1):
            raise TraceError(
                f"failed to advance {S.NAMES[ev[0]]}: can't make sequence: {pst.seq} (gen={pst.seq_gen}) -> "
                f"{seq} (gen={gen})"
            )
        pst.seq_gen, pst.seq = gen, seq
        self._push(ev, cur)
        return list(cur)

    def _go_syscall_end(self, ev, g, m, gen, cur):
        s = self.s
        self._user(cur)
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if st.status != S.GoSyscallW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        st.status = S.GoRunningW
        pst = s.p.get(cur[1])
        if pst is None:
            raise TraceError(f"uninitialized proc {cur[1]} found during {S.NAMES[ev[0]]}")
        if pst.status != S.ProcSyscallW:
            raise TraceError(
                f"expected proc {cur[1]} in state Syscall, but got {S.PROC_STATUS_NAMES[pst.status]}"
            )
        pst.status = S.ProcRunningW
        self._push(ev, cur)
        return list(cur)

    def _go_syscall_end_blocked(self, ev, g, m, gen, cur):
        s = self.s
        if cur[1] != NO:
            pst = s.p.get(cur[1])
            if pst is None:
                raise TraceError(f"uninitialized proc {cur[1]} found during {S.NAMES[ev[0]]}")
            if pst.status == S.ProcSyscallW:
                return None
        self._need(cur, 2, 1, 2)
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if st.status != S.GoSyscallW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Running")
        new = list(cur)
        new[2] = NO
        st.status = S.GoRunnableW
        self._push(ev, cur)
        return new

    def _go_create_syscall(self, ev, g, m, gen, cur):
        s = self.s
        self._need(cur, 2, 1, 0)
        newg = s64(ev[2])
        if newg in s.g:
            raise TraceError(f"tried to create goroutine ({newg}) in syscall that already exists")
        s.g[newg] = _GState(S.GoSyscallW, gen)
        new = list(cur)
        new[2] = newg
        self._push(ev, cur)
        return new

    def _go_destroy_syscall(self, ev, g, m, gen, cur):
        s = self.s
        self._need(cur, 2, 1, 2)
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(f"event {S.NAMES[ev[0]]} for goroutine ({cur[2]}) that doesn't exist")
        if st.status != S.GoSyscallW:
            raise TraceError(f"{S.NAMES[ev[0]]} event for goroutine that's not Syscall")
        del s.g[cur[2]]
        new = list(cur)
        new[2] = NO
        if cur[1] != NO:
            pst = s.p.get(cur[1])
            if pst is None:
                raise TraceError(f"found invalid proc {cur[1]} during {S.NAMES[ev[0]]}")
            if pst.status != S.ProcSyscallW:
                raise TraceError(f"proc {cur[1]} in unexpected state during {S.NAMES[ev[0]]}")
            pst.status = S.ProcSyscallAbandonedW
            new[1] = NO
            # The extra self-ProcSteal: args [p, 0, 0, old status] (extra slot after its 3 args).
            self.queue.append((S.EvProcSteal, ev[1], cur[0], cur[1], cur[2], cur[1], 0, 0, S.ProcSyscallW))
        self._push(ev, cur)
        return new

    def _user_task_begin(self, ev, g, m, gen, cur):
        s = self.s
        tid = ev[2]
        if tid in s.tasks:
            raise TraceError(f"task ID conflict: {tid}")
        parent = ev[3]
        if parent == 0:  # BackgroundTask as a parent means no parent
            parent = S.NO_TASK
            ev[3] = S.NO_TASK
        name_id = ev[4]
        if not g.has_string(name_id):
            raise TraceError(f"invalid string ID {name_id} for {ev[0]} event")
        s.tasks[tid] = (g.string(name_id), parent)
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _user_task_end(self, ev, g, m, gen, cur):
        s = self.s
        tid = ev[2]
        x = self._extra(ev)
        got = s.tasks.pop(tid, None)
        if got is not None:
            ev[x] = got[1]
            ev[x + 1] = g.add_extra_string(got[0])
        else:
            ev[x] = S.NO_TASK
            ev[x + 1] = g.add_extra_string("")
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _user_region(self, ev, g, cur, begin: bool):
        s = self.s
        self._user(cur)
        tid, name_id = ev[2], ev[3]
        if not g.has_string(name_id):
            raise TraceError(f"invalid string ID {name_id} for {ev[0]} event")
        st = s.g.get(cur[2])
        if st is None:
            raise TraceError(
                f"encountered {S.NAMES[ev[0]]} without known state for current goroutine {cur[2]}"
            )
        r = (tid, g.string(name_id))
        if begin:
            st.regions.append(r)
        elif st.regions:
            if st.regions[-1] != r:
                raise TraceError(
                    f"misuse of region in goroutine {cur[2]}: region end {r} when the inner-most "
                    f"active region start event is {st.regions[-1]}"
                )
            st.regions.pop()
        self._push(ev, cur)
        return list(cur)

    def _user_region_begin(self, ev, g, m, gen, cur):
        return self._user_region(ev, g, cur, True)

    def _user_region_end(self, ev, g, m, gen, cur):
        return self._user_region(ev, g, cur, False)

    def _gc_active(self, ev, g, m, gen, cur):
        s = self.s
        seq = ev[2]
        if gen == s.initial_gen:
            if s.gc_state != GC_UNDETERMINED:
                raise TraceError("GCActive in the first generation isn't first GC event")
            s.gc_seq, s.gc_state = seq, GC_RUNNING
            self._push(ev, cur)
            return list(cur)
        if seq != s.gc_seq + 1:
            return None
        if s.gc_state != GC_RUNNING:
            raise TraceError("encountered GCActive while GC was not in progress")
        s.gc_seq = seq
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _gc_begin(self, ev, g, m, gen, cur):
        s = self.s
        seq = ev[2]
        if s.gc_state == GC_UNDETERMINED:
            s.gc_seq, s.gc_state = seq, GC_RUNNING
            self._push(ev, cur)
            return list(cur)
        if seq != s.gc_seq + 1:
            return None
        if s.gc_state == GC_RUNNING:
            raise TraceError("encountered GCBegin while GC was already in progress")
        s.gc_seq, s.gc_state = seq, GC_RUNNING
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _gc_end(self, ev, g, m, gen, cur):
        s = self.s
        seq = ev[2]
        if seq != s.gc_seq + 1:
            return None
        if s.gc_state == GC_NOT_RUNNING:
            raise TraceError("encountered GCEnd when GC was not in progress")
        if s.gc_state == GC_UNDETERMINED:
            raise TraceError("encountered GCEnd when GC was in an undetermined state")
        s.gc_seq, s.gc_state = seq, GC_NOT_RUNNING
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _annotation(self, ev, g, m, gen, cur):
        self._user(cur)
        self._push(ev, cur)
        return list(cur)

    def _heap_metric(self, ev, g, m, gen, cur):
        self._need(cur, 2, 2, 1)
        self._push(ev, cur)
        return list(cur)

    def _gc_sweep_begin(self, ev, g, m, gen, cur):
        self._need(cur, 2, 2, 1)
        _begin_range(self.s.p[cur[1]], _range_type(ev[0], 0))
        self._push(ev, cur)
        return list(cur)

    def _gc_sweep_active(self, ev, g, m, gen, cur):
        pid = s64(ev[2])
        st = self.s.p.get(pid)
        if st is None:
            raise TraceError(f"encountered GCSweepActive for unknown proc {pid}")
        _active_range(st, _range_type(ev[0], 0), gen == self.s.initial_gen)
        self._push(ev, cur)
        return list(cur)

    def _gc_sweep_end(self, ev, g, m, gen, cur):
        self._need(cur, 2, 2, 1)
        _end_range(self.s.p[cur[1]], ev[0])
        self._push(ev, cur)
        return list(cur)

    def _go_range_begin(self, ev, g, m, gen, cur):
        self._user(cur)
        desc = ev[2] if ev[0] == S.EvSTWBegin else 0
        st = self.s.g.get(cur[2])
        if st is None:
            raise TraceError(
                f"encountered event of type {ev[0]} without known state for current goroutine {cur[2]}"
            )
        _begin_range(st, _range_type(ev[0], desc))
        self._push(ev, cur)
        return list(cur)

    def _go_range_active(self, ev, g, m, gen, cur):
        gid = s64(ev[2])
        st = self.s.g.get(gid)
        if st is None:
            raise TraceError(f"uninitialized goroutine {gid} found during {S.NAMES[ev[0]]}")
        _active_range(st, _range_type(ev[0], 0), gen == self.s.initial_gen)
        self._push(ev, cur)
        return list(cur)

    def _go_range_end(self, ev, g, m, gen, cur):
        self._user(cur)
        st = self.s.g.get(cur[2])
        if st is None:
            raise TraceError(
                f"encountered event of type {ev[0]} without known state for current goroutine {cur[2]}"
            )
        desc = _end_range(st, ev[0])
        if ev[0] == S.EvSTWEnd:
            ev[2] = desc
        self._push(ev, cur)
        return list(cur)

    def _alloc_free(self, ev, g, m, gen, cur):
        self._need(cur, 2, 1, 1)
        self._push(ev, cur)
        return list(cur)


# The frontier heap (batchcursor.go), on lists of cursors with a `.t` key.
def heap_sift_up(h: list, i: int) -> int:
    while i > 0 and h[(i - 1) // 2].t > h[i].t:
        j = (i - 1) // 2
        h[j], h[i] = h[i], h[j]
        i = j
    return i


def heap_sift_down(h: list, i: int) -> int:
    n = len(h)
    while True:
        m = i
        mt = h[i].t if i < n else None
        for c in (2 * i + 1, 2 * i + 2):
            if c < n and (mt is None or h[c].t < mt):
                m, mt = c, h[c].t
        if m == i:
            return i
        h[i], h[m] = h[m], h[i]
        i = m


def heap_insert(h: list, c) -> None:
    h.append(c)
    heap_sift_up(h, len(h) - 1)


def heap_update(h: list, i: int) -> None:
    if heap_sift_up(h, i) != i:
        return
    heap_sift_down(h, i)


def heap_remove(h: list, i: int) -> None:
    while i > 0:
        j = (i - 1) // 2
        h[j], h[i] = h[i], h[j]
        i = j
    h[0], h[-1] = h[-1], h[0]
    h.pop()
    if h:
        heap_sift_down(h, 0)


class Cursor:
    """batchCursor: one M's events in this generation, `i` the index of the current event."""

    __slots__ = ("m", "i", "end", "t", "typ", "time", "args")

    def __init__(self, m: int, typ: list, time: list, args: list):
        self.m = m
        self.i = 0
        self.end = len(typ)
        self.typ, self.time, self.args = typ, time, args
        self.t = time[0]

    def event(self) -> list:
        a = self.args[self.i]
        return [self.typ[self.i], self.time[self.i], a[0], a[1], a[2], a[3]]

    def next(self) -> bool:
        self.i += 1
        if self.i >= self.end:
            return False
        self.t = self.time[self.i]
        return True


def order_generation_exact(state: OrderState, g: Generation, ev: GenEvents) -> list[tuple]:
    """Reader.ReadEvent's loop over one generation: the ordered events (without the Sync), unfixed times."""
    ordering = ExactOrdering(state)
    q = ordering.queue
    typ_l = ev.typ.tolist()
    time_l = ev.time.tolist()
    args_l = ev.args.tolist()
    frontier: list[Cursor] = []
    b = ev.m_bounds.tolist()
    for i, m in enumerate(g.batch_ms):
        lo, hi = b[i], b[i + 1]
        if hi > lo:
            heap_insert(frontier, Cursor(m, typ_l[lo:hi], time_l[lo:hi], args_l[lo:hi]))
    cpu = deque(g.cpu_samples)
    out: list[tuple] = []
    gen = g.gen

    def try_advance(i: int) -> bool:
        bc = frontier[i]
        e = bc.event()
        if not ordering.advance(e, g, bc.m, gen):
            return False
        if bc.next():
            heap_update(frontier, i)
        else:
            heap_remove(frontier, i)
        return True

    while True:
        while q:
            out.append(q.popleft())
        if not frontier and not cpu:
            return out
        if cpu and (not frontier or cpu[0][0] < frontier[0].t):
            t, m, p, gg, st = cpu.popleft()
            out.append((S.EvCPUSample, t, m, p, gg, st, 0, 0, 0))
            continue
        if not try_advance(0):
            frontier.sort(key=lambda c: c.t)  # slices.SortFunc: insertion sort (stable) below 13 Ms
            for i in range(1, len(frontier)):
                if try_advance(i):
                    break
            else:
                c = frontier[0]
                raise TraceError(
                    f"broken trace: failed to advance: generation {gen}, M {c.m} is stuck at "
                    f"{S.NAMES.get(c.typ[c.i], c.typ[c.i])} time={c.t}"
                )


# Events whose ordering.Advance never waits and changes no state: annotations, heap metrics and the
# AllocFree experiment (advanceAnnotation, advanceHeapMetric, advanceAllocFree). They are ordered in
# blocks, with the context their M has, and their context checks are done for the block at once.
PASSIVE = np.zeros(256, bool)
for _t in (
    S.EvProcsChange,
    S.EvHeapAlloc,
    S.EvHeapGoal,
    S.EvGoLabel,
    S.EvUserLog,
    *range(S.EvSpan, S.MaxExperimentalEvent),
):
    PASSIVE[_t] = True
_NEED_P = np.zeros(256, bool)  # validateCtx: the P must be there
_NEED_G = np.zeros(256, bool)  # and the G (userGoReqs)
for _t in (S.EvProcsChange, S.EvGoLabel, S.EvUserLog, S.EvHeapAlloc, S.EvHeapGoal):
    _NEED_P[_t] = True
for _t in (S.EvProcsChange, S.EvGoLabel, S.EvUserLog):
    _NEED_G[_t] = True

_ACTIVE_WINDOW = 4096  # active events per M converted to Python values at a time


class _RunCursor:
    """A batchCursor over global event indices [lo, hi), with the M's active events in windows."""

    __slots__ = ("m", "i", "hi", "t", "act", "ai", "win", "win_lo")

    def __init__(self, m: int, lo: int, hi: int, act: np.ndarray, t0: int):
        self.m, self.i, self.hi, self.t = m, lo, hi, t0
        self.act = act  # global indices of the active events, ascending
        self.ai = 0  # the next active event at or after i
        self.win: list = []
        self.win_lo = 0

    def next_active(self) -> int:
        return int(self.act[self.ai]) if self.ai < len(self.act) else self.hi


def order_generation(state: OrderState, g: Generation, ev: GenEvents) -> np.ndarray:
    """Reader.ReadEvent's loop over one generation, run by run: the ordered events (unfixed times).

    The same algorithm as `order_generation_exact`: the heap of cursors, one try per head event,
    the sort-and-try-the-others path when the head cannot advance. What differs is the grain:
    while the heap's root M keeps the smallest time (its next times are <= its children's and the
    next CPU sample's), it is not re-heaped, and its passive events go out as one block.
    """
    ordering = ExactOrdering(state)
    q = ordering.queue
    mstates = state.m
    typ, times, args = ev.typ, ev.time, ev.args
    passive = PASSIVE[typ]
    bounds = ev.m_bounds.tolist()
    runmax = times.copy()
    for k in range(len(bounds) - 1):
        seg = runmax[bounds[k] : bounds[k + 1]]
        np.maximum.accumulate(seg, out=seg)
    frontier: list[_RunCursor] = []
    for k, m in enumerate(g.batch_ms):
        lo, hi = bounds[k], bounds[k + 1]
        if hi > lo:
            act = np.flatnonzero(~passive[lo:hi]) + lo
            heap_insert(frontier, _RunCursor(m, lo, hi, act, int(times[lo])))
    cpu = deque(g.cpu_samples)
    gen = g.gen
    # Output pieces in order: singles (position, record) and passive blocks (position, lo, hi, m, p, g).
    singles: list[tuple] = []
    s_pos: list[int] = []
    b_pos, b_lo, b_hi, b_m, b_p, b_g = [], [], [], [], [], []
    out = 0
    INF = 1 << 63

    def mctx(m: int) -> tuple[int, int]:
        if m == NO:
            return NO, NO
        st = mstates.get(m)
        if st is None:
            st = mstates[m] = [NO, NO]
        return st[1], st[0]

    def block(c: _RunCursor, lo: int, hi: int) -> None:
        nonlocal out
        p, gg = mctx(c.m)
        b_pos.append(out)
        b_lo.append(lo)
        b_hi.append(hi)
        b_m.append(c.m)
        b_p.append(p)
        b_g.append(gg)
        out += hi - lo

    def drain() -> None:
        nonlocal out
        while q:
            s_pos.append(out)
            singles.append(q.popleft())
            out += 1

    def active_event(c: _RunCursor, a: int) -> list:
        k = c.ai - c.win_lo
        if k >= len(c.win) or k < 0:
            c.win_lo = c.ai
            sel = c.act[c.ai : c.ai + _ACTIVE_WINDOW]
            c.win = np.column_stack(
                [typ[sel].astype(np.uint64), times[sel].view(np.uint64), args[sel]]
            ).tolist()
            k = 0
        e = c.win[k]
        t = e[1]
        if t >= 1 << 63:
            t -= 1 << 64
        return [e[0], t, e[2], e[3], e[4], e[5]]

    def advance_head(c: _RunCursor) -> bool:
        """tryAdvance on cursor c's head event (one event)."""
        a = c.i
        if passive[a]:
            block(c, a, a + 1)
            return True
        if not ordering.advance(active_event(c, a), g, c.m, gen):
            return False
        c.ai += 1
        drain()
        return True

    def step(c: _RunCursor, idx: int, j: int) -> None:
        """Cursor c has emitted its events up to j: move it and fix the heap (heapUpdate / heapRemove)."""
        c.i = j
        if j >= c.hi:
            heap_remove(frontier, idx)
        else:
            c.t = int(times[j])
            heap_update(frontier, idx)

    while True:
        if not frontier and not cpu:
            break
        if cpu and (not frontier or cpu[0][0] < frontier[0].t):
            t, m, p, gg, st = cpu.popleft()
            s_pos.append(out)
            singles.append((S.EvCPUSample, t, m, p, gg, st, 0, 0, 0))
            out += 1
            continue
        root = frontier[0]
        limit = INF
        n = len(frontier)
        if n > 1:
            limit = frontier[1].t
            if n > 2 and frontier[2].t < limit:
                limit = frontier[2].t
        if cpu and cpu[0][0] < limit:
            limit = cpu[0][0]
        i = root.i
        j = i + 1
        if j < root.hi:
            # The first later event above the limit ends the run; an M's times may dip, so search
            # the M's running max (sorted), which first exceeds the limit at that same event.
            j += int(np.searchsorted(runmax[j : root.hi], limit, side="right"))
        k = i
        failed = False
        while True:
            a = root.next_active()
            if a >= j:
                break
            if a > k:
                block(root, k, a)
            if not ordering.advance(active_event(root, a), g, root.m, gen):
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
        # The head (event a) cannot advance yet: Go sorts the frontier and tries the others.
        root.i = a
        root.t = int(times[a])
        frontier.sort(key=lambda c: c.t)
        for idx in range(1, len(frontier)):
            c = frontier[idx]
            if advance_head(c):
                step(c, idx, c.i + 1)
                break
        else:
            c = frontier[0]
            raise TraceError(
                f"broken trace: failed to advance: generation {gen}, M {c.m} is stuck at "
                f"{S.NAMES.get(int(typ[c.i]), int(typ[c.i]))} time={c.t}"
            )
    return _assemble(out, typ, times, args, singles, s_pos, (b_pos, b_lo, b_hi, b_m, b_p, b_g))


def _assemble(total, typ, times, args, singles, s_pos, blocks) -> np.ndarray:
    arr = np.empty(total, ORDERED_DTYPE)
    b_pos, b_lo, b_hi, b_m, b_p, b_g = (np.asarray(x, np.int64) for x in blocks)
    if len(b_pos):
        lens = b_hi - b_lo
        nb = int(lens.sum())
        rep = np.repeat(np.arange(len(b_pos)), lens)
        offs = np.arange(nb, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        src = b_lo[rep] + offs
        dst = b_pos[rep] + offs
        del offs
        arr["typ"][dst] = typ[src]
        arr["time"][dst] = times[src]
        arr["args"][dst] = args[src]
        arr["m"][dst] = b_m[rep]
        arr["p"][dst] = b_p[rep]
        arr["g"][dst] = b_g[rep]
        # validateCtx for the passive events, all at once.
        t = typ[src]
        bad = (
            (arr["m"][dst] == NO)
            | (_NEED_P[t] & (arr["p"][dst] == NO))
            | (_NEED_G[t] & (arr["g"][dst] == NO))
        )
        if bad.any():
            w = int(np.argmax(bad))
            what = "thread" if arr["m"][dst[w]] == NO else "proc" if arr["p"][dst[w]] == NO else "goroutine"
            raise TraceError(f"expected a {what} but didn't have one ({S.NAMES.get(int(t[w]))} event)")
    if singles:
        pos = np.asarray(s_pos, np.int64)
        cols = list(zip(*singles, strict=True))
        arr["typ"][pos] = cols[0]
        arr["time"][pos] = cols[1]
        arr["m"][pos] = cols[2]
        arr["p"][pos] = cols[3]
        arr["g"][pos] = cols[4]
        arr["args"][pos] = np.array(cols[5:9], dtype=np.uint64).T
    return arr
