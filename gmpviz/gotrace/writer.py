"""Write an emulated run in Go's execution-trace format ("go 1.26"), for `gmpviz export --gotrace`.

The other way round from `reader`: gmpviz's events (EVENT_DTYPE, in time order) become a trace that
`go tool trace`, gotraceui and Perfetto's converters open. `GoTraceWriter` keeps the state Go's
parser keeps (`internal/trace/order.go`: each G's and P's status and sequence number, each M's P and
G) and writes an event only where the parser would accept it there, with the sequence numbers it
checks (`g_seq` on GoStart/GoUnblock, `p_seq` on ProcStart/ProcSteal/GoSyscallBegin, the GC
sequence). Where the runtime writes two events for one gmpviz event, both are written, as the
runtime's tracer does (traceruntime.go):

* a P seen first: `ProcStatus` (Idle) before it is used, as the tracer states each P once per
  generation;
* a goroutine leaving a syscall after its P was taken (`exitsyscall` with lostP): `GoSyscallEndBlocked`
  then `GoStart` on the P it got, after that P's `ProcStart`;
* a P taken from an M in a syscall (sysmon's `retake`, `handoffp`): `ProcSteal` on the thread
  `SYSMON_M`; `handoffp` itself writes nothing (the next M's `ProcStart` shows where the P went);
* exitsyscall's slow path after the P was taken: `ProcStart` of the P it got, `GoSyscallEndBlocked`,
  `GoStart` (proc.go exitsyscall);
* a stop-the-world: the idle Ps it takes get no event, one in a syscall its `ProcSteal`
  (stopTheWorldWithSema), the M that stops the world keeps its P, and a P that procresize hands to
  another M is stopped on its old M first (`ProcStop`, as gcstopm's releasep writes it); the goroutine
  the STW range is open on stays running to its `STWEnd` (gmpviz stops it inside the range);
* a goroutine that blocks before it ever ran (gcBgMarkStartWorkers' workers): `GoCreateBlocked`.

Every event time is made strictly increasing (one nanosecond apart at least), so Go's merge takes
them in the order written. The layout: one generation, `Sync` (frequency 1 GHz: a tick is a virtual
nanosecond, and the clock snapshot), a batch stream per M (at most 64 KiB a batch, `EventBatch`), the
string table (wait reasons, STW kinds), `EndOfGeneration`.

SIMPLIFICATION: one generation for the whole run (Go starts a new one about every second; its parser
holds a generation in memory, so a very long emulation makes a big one). No stacks (every stack ID
is 0), no CPU samples, no AllocFree experiment, no HeapAlloc metric; gmpviz events with no Go
counterpart (run-queue operations, sysmon ticks, channel operations, allocator events, stack growth,
work-stealing `ProcSteal`: Go's ProcSteal is a P taken from a syscall) are not written, and an event
the parser would refuse where it falls (a state gmpviz reached by a path the tracer does not write)
is left out: `skipped` counts them by gmpviz kind.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from gmpviz.core.trace.events import EV, STOP_NAMES, STW_NAMES, WAIT_REASONS

from . import spec as S

HEADER = b"go 1.26 trace\x00\x00\x00"
FREQ_HZ = 1_000_000_000  # ticks per second: a tick is a nanosecond of virtual time
T0_TICKS = 1_000  # the first event's time (the reader takes a base time of 0 for "unset")
SYSMON_M = 1 << 20  # the thread that writes what no gmpviz M does (sysmon's retake, timers' wakeups)
# The goroutine GC and stop-the-world events are written on (Go's parser puts them on a running
# goroutine; gmpviz on the runtime, often on no G): it runs on an M holding a P and nothing else
# while such an event is written, and parks (RUNTIME_WAIT) when gmpviz gives that M other work.
RUNTIME_G = 1 << 30
RUNTIME_WAIT = "GC and stop-the-world work (gmpviz)"
_BATCH_LIMIT = S.MaxBatchSize - 64  # leave room for one more event in a batch
_U64 = (1 << 64) - 1
NO = S.NO_ID

_RUNNABLE, _RUNNING, _SYSCALL, _WAITING = S.GoRunnableW, S.GoRunningW, S.GoSyscallW, S.GoWaitingW
_P_RUNNING, _P_IDLE, _P_SYSCALL = S.ProcRunningW, S.ProcIdleW, S.ProcSyscallW


def uvarint(x: int) -> bytes:
    """binary.AppendUvarint; a negative ID (NoGoroutine, NoThread: -1) is its uint64 bits."""
    x &= _U64
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


class GoTraceWriter:
    """Feed gmpviz events to `add` in time order, then `finish()`; `written` counts the Go events by
    wire type, `mapped` the gmpviz events written and `skipped` those left out, by EV kind."""

    def __init__(self, f):
        self.f = f
        f.write(HEADER)
        self.gen = 1
        self.last_ts = T0_TICKS - 1
        self.first_ts: int | None = None
        self.batches: dict[int, tuple[int, int, bytearray]] = {}  # m -> (base ts, last ts, data)
        self.strings: dict[str, int] = {}
        self.gst: dict[int, int] = {}  # goroutine -> wire status
        self.gseq: dict[int, int] = {}
        self.pst: dict[int, int] = {}  # P -> wire status
        self.pseq: dict[int, int] = {}
        self.mctx: dict[int, list[int]] = {}  # M -> [P, G]
        self.gc_seq = 0
        self.gc_running = False
        self.stw_g: int | None = None  # the goroutine an STW range is open on
        self.stw_left_open: set[int] = set()  # goroutines whose STWEnd could not be written
        self.written: Counter = Counter()
        self.skipped: Counter = Counter()
        self.mapped: Counter = Counter()  # the gmpviz events written (as one Go event or more), by kind
        self.last_at: tuple[int, int, int] = (NO, 0, 0)  # the last event's (M, batch base ts, offset)
        self.created: dict[int, tuple[int, int, int]] = {}  # goroutine -> where its GoCreate is
        self.deferred: tuple[int, int, int, int] | None = None  # (M, G, GoStop/GoBlock, reason): _defer

    # --- the wire ---------------------------------------------------------------------------------
    def _string(self, s: str) -> int:
        if not s:
            return 0
        sid = self.strings.get(s)
        if sid is None:
            sid = self.strings[s] = len(self.strings) + 1
        return sid

    def _emit(self, m: int, typ: int, t_ns: int, *args: int) -> None:
        ts = max(int(t_ns) + T0_TICKS, self.last_ts + 1)
        self.last_ts = ts
        if self.first_ts is None:
            self.first_ts = ts
        b = self.batches.get(m)
        if b is not None and len(b[2]) > _BATCH_LIMIT:
            self._flush(m)
            b = None
        if b is None:
            b = (ts, ts, bytearray())
        base, last, data = b
        self.last_at = (m, base, len(data))
        data.append(typ)
        data += uvarint(ts - last)
        for a in args:
            data += uvarint(a)
        self.batches[m] = (base, ts, data)
        self.written[typ] += 1

    def _flush(self, m: int) -> None:
        base, _last, data = self.batches.pop(m)
        self.f.write(
            bytes([S.EvEventBatch]) + uvarint(self.gen) + uvarint(m) + uvarint(base) + uvarint(len(data))
        )
        self.f.write(data)

    def finish(self) -> None:
        self._undefer(self.last_ts - T0_TICKS)
        for m in list(self.batches):
            self._flush(m)
        ts = self.first_ts if self.first_ts is not None else T0_TICKS
        sync = bytes([S.EvSync, S.EvFrequency]) + uvarint(FREQ_HZ)
        sync += bytes([S.EvClockSnapshot]) + uvarint(0) + uvarint(ts) + uvarint(0) + uvarint(0)
        self._raw_batch(NO, ts, sync)
        data = bytearray([S.EvStrings])
        for s, sid in self.strings.items():
            enc = s.encode()[: S.MaxEventTrailerDataSize]
            entry = bytes([S.EvString]) + uvarint(sid) + uvarint(len(enc)) + enc
            if len(data) + len(entry) > _BATCH_LIMIT:
                self._raw_batch(NO, ts, data)
                data = bytearray([S.EvStrings])
            data += entry
        if len(data) > 1:
            self._raw_batch(NO, ts, data)
        self.f.write(bytes([S.EvEndOfGeneration]))

    def _raw_batch(self, m: int, ts: int, data: bytes) -> None:
        self.f.write(
            bytes([S.EvEventBatch]) + uvarint(self.gen) + uvarint(m) + uvarint(ts) + uvarint(len(data))
        )
        self.f.write(data)

    # --- the parser's state, and the events that change it ------------------------------------------
    def _ctx(self, m: int) -> list[int]:
        c = self.mctx.get(m)
        if c is None:
            c = self.mctx[m] = [NO, NO]
        return c

    def _know_p(self, m: int, p: int, t: int) -> None:
        """ProcStatus the first time P p appears (idle: a running P gets its ProcStart)."""
        if p not in self.pst:
            self._emit(m, S.EvProcStatus, t, p, _P_IDLE)
            self.pst[p] = _P_IDLE
            self.pseq[p] = 0

    def _steal(self, p: int, t: int) -> bool:
        """ProcSteal of P p, in a syscall on some M, by SYSMON_M."""
        if self.pst.get(p) != _P_SYSCALL:
            return False
        victim = next((mid for mid, c in self.mctx.items() if c[0] == p), None)
        if victim is None:
            return False
        self.pseq[p] += 1
        self._emit(SYSMON_M, S.EvProcSteal, t, p, self.pseq[p], victim)
        self.pst[p] = _P_IDLE
        self.mctx[victim][0] = NO
        return True

    def _ensure_p(self, m: int, p: int, t: int) -> bool:
        """M m holds P p (a ProcStart written if the P is idle and the M has none)."""
        c = self._ctx(m)
        self._park_rt(m, t)
        if c[0] == p and p != NO:
            return True
        if p < 0:
            return False
        # (an M may take a P while it holds a G: exitsyscall's acquirep after the P was retaken; Go's
        # parser checks only that the M has no P, order.go advanceProcStart)
        if c[0] != NO:  # the M moved to another P with no event of its own (around a stop-the-world)
            if self.pst.get(c[0]) != _P_RUNNING:
                return False
            self._emit(m, S.EvProcStop, t)
            self.pst[c[0]] = _P_IDLE
            c[0] = NO
        self._know_p(m, p, t)
        if self.pst[p] == _P_SYSCALL:
            self._steal(p, t)
        if self.pst[p] == _P_RUNNING:
            self._release(p, m, t)
        if self.pst[p] != _P_IDLE:
            return False
        self.pseq[p] += 1
        self._emit(m, S.EvProcStart, t, p, self.pseq[p])
        self.pst[p] = _P_RUNNING
        c[0] = p
        return True

    def _release(self, p: int, m: int, t: int) -> None:
        """P p, running on another M that runs no goroutine, moves to M m with no event of gmpviz's
        own (a stop-the-world's procresize hands the Ps out anew; Go's Ms each stop their P in
        it, gcstopm's releasep): that M's ProcStop first, RUNTIME_G parked if it ran there."""
        holder = next((mid for mid, c in self.mctx.items() if c[0] == p and mid != m), None)
        if holder is None:
            return
        hc = self.mctx[holder]
        self._park_rt(holder, t)
        if hc[1] != NO:
            return
        self._emit(holder, S.EvProcStop, t)
        self.pst[p] = _P_IDLE
        hc[0] = NO

    def _running(self, m: int, g: int) -> list[int] | None:
        c = self._ctx(m)
        if g <= 0 or c[1] != g or c[0] == NO or self.gst.get(g) != _RUNNING:
            return None
        return c

    def add(self, e) -> None:
        """One gmpviz event: (t_ns, kind, p, m, g, a0, a1, a2)."""
        t, kind, p, m, g, a0, _a1, _a2 = e
        if m < 0:  # runtime work gmpviz does not put on an M: the M that holds its P, or sysmon's
            m = next((mid for mid, c in self.mctx.items() if c[0] == p), SYSMON_M) if p >= 0 else SYSMON_M
        d = self.deferred
        if d is not None and m == d[0] and kind not in _KEEP_DEFERRED:
            if kind == EV.GoStart and g == d[1]:  # it runs on where it stopped: both are as written
                self.deferred = None
                self.mapped[kind] += 1
                return
            self._undefer(t)
        h = _HANDLERS.get(kind)
        if h is None or not h(self, t, p, m, g, a0):
            self.skipped[kind] += 1
        else:
            self.mapped[kind] += 1

    def _proc_start(self, t, p, m, g, a0) -> bool:
        """(A ProcStart of the P the M holds already, as gmpviz writes after a stop-the-world, is
        the state Go's parser has: nothing to write.)"""
        return self._ensure_p(m, p, t)

    def _proc_stop(self, t, p, m, g, a0) -> bool:
        if p not in self.pst:  # a P idle from the start
            self._know_p(m, p, t)
            return True
        if self.pst[p] == _P_IDLE and not any(c[0] == p for c in self.mctx.values()):
            return True  # an idle P a stop-the-world takes: Go writes nothing (stopTheWorldWithSema)
        if self.pst[p] == _P_SYSCALL and self._steal(p, t):
            return True  # a P in a syscall a stop-the-world takes: its ProcSteal (stopTheWorldWithSema)
        c = self._ctx(m)
        if c[0] == p and self.stw_g is not None and c[1] == self.stw_g:
            return True  # the M that stops the world keeps its P (only _Pgcstop, no event, in Go)
        self._park_rt(m, t)
        if c[0] != p or self.pst[p] not in (_P_RUNNING, _P_SYSCALL):
            return False
        self._emit(m, S.EvProcStop, t)
        self.pst[p] = _P_IDLE
        c[0] = NO
        return True

    def _retake(self, t, p, m, g, a0) -> bool:
        return self._steal(p, t)

    def _handoff(self, t, p, m, g, a0) -> bool:
        """handoffp writes no event of its own (the next M's ProcStart shows where the P went): a P
        still in a syscall is taken (ProcSteal), and one sysmon's retake took already is as Go's
        parser has it."""
        if self.pst.get(p) == _P_SYSCALL:
            return self._steal(p, t)
        return self.pst.get(p) == _P_IDLE

    def _go_create(self, t, p, m, g, a0) -> bool:
        if g <= 0 or g in self.gst or not self._ensure_p(m, p, t):
            return False
        self._emit(m, S.EvGoCreate, t, g, 0, 0)
        self.created[g] = self.last_at
        self.gst[g] = _RUNNABLE
        self.gseq[g] = 0
        return True

    def _create_blocked(self, g: int) -> bool:
        """A goroutine that blocks before it ever ran (gmpviz's GoCreate then GoBlock, as for
        gcBgMarkStartWorkers' workers): its GoCreate becomes GoCreateBlocked, which is what the
        runtime writes for a goroutine created parked (traceruntime.go GoCreate(blocked)); the two
        have the same arguments. Only while that event's batch is still being written."""
        at = self.created.pop(g, None)
        if at is None or self.gst.get(g) != _RUNNABLE:
            return False
        m, base, off = at
        b = self.batches.get(m)
        if b is None or b[0] != base or b[2][off] != S.EvGoCreate:
            return False
        b[2][off] = S.EvGoCreateBlocked
        self.written[S.EvGoCreate] -= 1
        self.written[S.EvGoCreateBlocked] += 1
        self.gst[g] = _WAITING
        return True

    def _go_start(self, t, p, m, g, a0) -> bool:
        self._park_rt(m, t)
        st = self.gst.get(g)
        if st not in (_RUNNABLE, _WAITING) or self._ctx(m)[1] != NO or not self._ensure_p(m, p, t):
            return False
        if st == _WAITING:  # made ready with no GoUnblock of its own (netpoll's list): the ready first
            self._go_unblock(t, p, m, g, a0)
        self.gseq[g] += 1
        self._emit(m, S.EvGoStart, t, g, self.gseq[g])
        self.created.pop(g, None)
        self.gst[g] = _RUNNING
        self.mctx[m][1] = g
        return True

    def _defer(self, m: int, g: int, typ: int, reason: str) -> bool:
        """The goroutine an STW range is open on stops or blocks inside it (gmpviz stops every
        goroutine for a stop-the-world the runtime does on no goroutine): Go's parser wants the
        range to end on it, running, so its stop is written after the STWEnd (`_undefer`)."""
        if g != self.stw_g or g == RUNTIME_G or self.deferred is not None or self._running(m, g) is None:
            return False
        self.deferred = (m, g, typ, self._string(reason))
        return True

    def _undefer(self, t: int) -> None:
        d, self.deferred = self.deferred, None
        if d is None:
            return
        m, g, typ, sid = d
        self._emit(m, typ, t, sid, 0)
        self.gst[g] = _RUNNABLE if typ == S.EvGoStop else _WAITING
        self.mctx[m][1] = NO

    def _go_stop(self, t, p, m, g, a0) -> bool:
        reason = STOP_NAMES[a0] if 0 <= a0 < len(STOP_NAMES) else ""
        if self._defer(m, g, S.EvGoStop, reason):
            return True
        c = self._running(m, g)
        if c is None:
            return False
        self._emit(m, S.EvGoStop, t, self._string(reason), 0)
        self.gst[g] = _RUNNABLE
        c[1] = NO
        return True

    def _go_block(self, t, p, m, g, a0) -> bool:
        reason = WAIT_REASONS[a0] if 0 <= a0 < len(WAIT_REASONS) else ""
        if self._defer(m, g, S.EvGoBlock, reason):
            return True
        c = self._running(m, g)
        if c is None:
            return self._create_blocked(g)
        self._emit(m, S.EvGoBlock, t, self._string(reason), 0)
        self.gst[g] = _WAITING
        c[1] = NO
        return True

    def _go_end(self, t, p, m, g, a0) -> bool:
        c = self._running(m, g)
        if c is None:
            return False
        self._emit(m, S.EvGoDestroy, t)
        del self.gst[g]
        c[1] = NO
        return True

    def _go_unblock(self, t, p, m, g, a0) -> bool:
        if self.gst.get(g) != _WAITING:
            return False
        self.gseq[g] += 1
        self._emit(m, S.EvGoUnblock, t, g, self.gseq[g], 0)
        self.gst[g] = _RUNNABLE
        return True

    def _syscall_begin(self, t, p, m, g, a0) -> bool:
        c = self._running(m, g)
        if c is None or self.pst.get(c[0]) != _P_RUNNING:
            return False
        q = c[0]
        self.pseq[q] += 1
        self._emit(m, S.EvGoSyscallBegin, t, self.pseq[q], 0)
        self.pst[q] = _P_SYSCALL
        self.gst[g] = _SYSCALL
        return True

    def _in_syscall(self, m: int, g: int) -> list[int] | None:
        c = self._ctx(m)
        return c if g > 0 and c[1] == g and self.gst.get(g) == _SYSCALL else None

    def _syscall_end(self, t, p, m, g, a0) -> bool:
        c = self._in_syscall(m, g)
        if c is None:
            return False
        if c[0] != NO and self.pst.get(c[0]) == _P_SYSCALL and (p == c[0] or p < 0):
            self._emit(m, S.EvGoSyscallEnd, t)
            self.pst[c[0]] = _P_RUNNING
            self.gst[g] = _RUNNING
            return True
        # exitsyscall with lostP: the P went while the G was in the syscall; it runs on the one it got
        # (proc.go exitsyscall's slow path writes ProcStart, GoSyscallEndBlocked, GoStart: an M that
        # took a P already, its ProcStart written, goes on from there).
        if c[0] != NO and self.pst.get(c[0]) == _P_SYSCALL and not self._steal(c[0], t):
            return False
        self._emit(m, S.EvGoSyscallEndBlocked, t)
        self.gst[g] = _RUNNABLE
        c[1] = NO
        if not self._ensure_p(m, p, t):
            return True
        self.gseq[g] += 1
        self._emit(m, S.EvGoStart, t, g, self.gseq[g])
        self.gst[g] = _RUNNING
        c[1] = g
        return True

    def _syscall_end_blocked(self, t, p, m, g, a0) -> bool:
        c = self._in_syscall(m, g)
        if c is None:
            return False
        if c[0] != NO and self.pst.get(c[0]) == _P_SYSCALL and not self._steal(c[0], t):
            return False
        self._emit(m, S.EvGoSyscallEndBlocked, t)
        self.gst[g] = _RUNNABLE
        c[1] = NO
        return True

    def _park_rt(self, m: int, t: int) -> None:
        """RUNTIME_G leaves M m (parks) when gmpviz gives the M other work."""
        c = self._ctx(m)
        if c[1] == RUNTIME_G:
            self._emit(m, S.EvGoBlock, t, self._string(RUNTIME_WAIT), 0)
            self.gst[RUNTIME_G] = _WAITING
            c[1] = NO

    def _rt_m(self, m: int, t: int) -> int | None:
        """An M running RUNTIME_G, for a GC or STW event: the one running it, else M m or another
        M holding a P and running nothing, where RUNTIME_G is created or readied and started."""
        for mid, c in self.mctx.items():
            if c[1] == RUNTIME_G:
                return mid
        free = [mid for mid in (m, *self.mctx) if self._ctx(mid)[0] != NO and self._ctx(mid)[1] == NO]
        if not free:
            return None
        mid = free[0]
        st = self.gst.get(RUNTIME_G)
        if st is None:
            self._emit(mid, S.EvGoCreate, t, RUNTIME_G, 0, 0)
            self.gst[RUNTIME_G] = _RUNNABLE
            self.gseq[RUNTIME_G] = 0
        elif st == _WAITING:
            self.gseq[RUNTIME_G] += 1
            self._emit(mid, S.EvGoUnblock, t, RUNTIME_G, self.gseq[RUNTIME_G], 0)
        self.gseq[RUNTIME_G] += 1
        self._emit(mid, S.EvGoStart, t, RUNTIME_G, self.gseq[RUNTIME_G])
        self.gst[RUNTIME_G] = _RUNNING
        self.mctx[mid][1] = RUNTIME_G
        return mid

    def _user_m(self, m: int) -> int | None:
        """UserGoReqs (the M has a P and runs a G): M m if so, else another M that does."""
        for mid in (m, *self.mctx):
            c = self._ctx(mid)
            if c[0] != NO and c[1] != NO and self.gst.get(c[1]) == _RUNNING:
                return mid
        return None

    def _gc_m(self, m: int, t: int) -> int | None:
        mid = self._user_m(m)
        return mid if mid is not None else self._rt_m(m, t)

    def _stw_begin(self, t, p, m, g, a0) -> bool:
        if self.stw_g is not None:
            return False
        mid = self._rt_m(m, t)
        if mid is None:  # every M with a P runs a goroutine: the range goes on one of those
            mid = self._user_m(m)
            if mid is None or self.mctx[mid][1] in self.stw_left_open:
                return False
        kind = STW_NAMES[a0] if 0 <= a0 < len(STW_NAMES) else "unknown"
        self._emit(mid, S.EvSTWBegin, t, self._string(kind), 0)
        self.stw_g = self.mctx[mid][1]
        return True

    def _stw_end(self, t, p, m, g, a0) -> bool:
        sg = self.stw_g
        if sg is None:
            return False
        if sg == RUNTIME_G:
            mid = self._rt_m(m, t)
        else:
            mid = next((k for k, c in self.mctx.items() if c[1] == sg and self.gst.get(sg) == _RUNNING), None)
        self.stw_g = None
        if mid is None:  # its goroutine does not run now: the range stays open on it
            self.stw_left_open.add(sg)
            self._undefer(t)
            return False
        self._emit(mid, S.EvSTWEnd, t)
        self._undefer(t)
        return True

    def _gc_begin(self, t, p, m, g, a0) -> bool:
        mid = None if self.gc_running else self._gc_m(m, t)
        if mid is None:
            return False
        self.gc_seq += 1
        self._emit(mid, S.EvGCBegin, t, self.gc_seq, 0)
        self.gc_running = True
        return True

    def _gc_end(self, t, p, m, g, a0) -> bool:
        mid = self._gc_m(m, t) if self.gc_running else None
        if mid is None:
            return False
        self.gc_seq += 1
        self._emit(mid, S.EvGCEnd, t, self.gc_seq)
        self.gc_running = False
        return True

    def _heap_goal(self, t, p, m, g, a0) -> bool:
        if self._ctx(m)[0] == NO:
            m = next((mid for mid, c in self.mctx.items() if c[0] != NO), None)
        if m is None or a0 < 0:
            return False
        self._emit(m, S.EvHeapGoal, t, a0)
        return True


_HANDLERS = {
    EV.ProcStart: GoTraceWriter._proc_start,
    EV.ProcStop: GoTraceWriter._proc_stop,
    EV.Retake: GoTraceWriter._retake,
    EV.ProcHandoff: GoTraceWriter._handoff,
    EV.GoCreate: GoTraceWriter._go_create,
    EV.GoStart: GoTraceWriter._go_start,
    EV.GoStop: GoTraceWriter._go_stop,
    EV.GoBlock: GoTraceWriter._go_block,
    EV.GoEnd: GoTraceWriter._go_end,
    EV.GoUnblock: GoTraceWriter._go_unblock,
    EV.GoSyscallBegin: GoTraceWriter._syscall_begin,
    EV.GoSyscallEnd: GoTraceWriter._syscall_end,
    EV.GoSyscallEndBlocked: GoTraceWriter._syscall_end_blocked,
    EV.STWBegin: GoTraceWriter._stw_begin,
    EV.STWEnd: GoTraceWriter._stw_end,
    EV.GCBegin: GoTraceWriter._gc_begin,
    EV.GCEnd: GoTraceWriter._gc_end,
    EV.HeapGoal: GoTraceWriter._heap_goal,
}
_HANDLERS = {int(k): v for k, v in _HANDLERS.items()}
# Events on the M of a deferred stop (`_defer`) that leave it deferred: the stop-the-world's own.
_KEEP_DEFERRED = frozenset(
    int(k) for k in (EV.STWBegin, EV.STWEnd, EV.GCBegin, EV.GCEnd, EV.HeapGoal, EV.ProcStop, EV.ProcStart)
)


def write_gotrace(blocks, f) -> GoTraceWriter:
    """Every block of gmpviz events (EVENT_DTYPE arrays, in time order) into the open binary file f."""
    w = GoTraceWriter(f)
    for ev in blocks:
        kinds = ev["kind"]
        sel = _MAPPED[kinds]
        for e in ev[sel].tolist():
            w.add(e)
        left = np.bincount(kinds[~sel], minlength=256)
        for k in np.flatnonzero(left).tolist():
            w.skipped[k] += int(left[k])
    w.finish()
    return w


_MAPPED = np.zeros(256, bool)  # the gmpviz kinds with a Go counterpart
_MAPPED[list(_HANDLERS)] = True
