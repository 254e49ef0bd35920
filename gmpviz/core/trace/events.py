"""The one event stream: every state change of the emulated runtime, as one numpy dtype.

Names follow Go's execution tracer (`internal/trace/event.go`, `runtime/traceruntime.go`) where a
matching event exists, so gmpviz output lines up with `go tool trace`. Each kind has the same
columns; what ``a0``/``a1``/``a2`` mean per kind comes from :data:`SPEC`, which also drives the
docs (``gmpviz events``), the text printer and the exporters.

Columns
    t_ns   virtual time in nanoseconds since the emulated program started
    kind   :class:`EV` code
    p      P id, or -1
    m      M id, or -1
    g      goid, or 0 (no G)
    a0..a2 per-kind arguments (see SPEC)
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np

from ..constants import Gdead, Grunnable, Grunning, Gsyscall, Gwaiting

EVENT_DTYPE = np.dtype(
    [
        ("t_ns", "<i8"),
        ("kind", "u1"),
        ("p", "<i2"),
        ("m", "<i4"),
        ("g", "<i4"),
        ("a0", "<i8"),
        ("a1", "<i8"),
        ("a2", "<i8"),
    ]
)


class EV(IntEnum):
    """Event kinds. Values are part of the recording format: append, never renumber."""

    # --- goroutines (runtime2.go G status transitions) ---
    GoCreate = 1  # _Gdead -> _Grunnable (newproc1)
    GoStart = 2  # _Grunnable -> _Grunning (execute)
    GoStop = 3  # _Grunning -> _Grunnable (goschedImpl, preemption, goyield)
    GoBlock = 4  # _Grunning -> _Gwaiting (gopark)
    GoUnblock = 5  # _Gwaiting -> _Grunnable (ready, injectglist)
    GoSyscallBegin = 6  # _Grunning -> _Gsyscall (entersyscall)
    GoSyscallEnd = 7  # _Gsyscall -> _Grunning (exitsyscall fast path or with another P)
    GoSyscallEndBlocked = 8  # _Gsyscall -> _Grunnable (exitsyscallNoP: global queue, M parks)
    GoEnd = 9  # _Grunning -> _Gdead (goexit0 / gdestroy)
    GoStackGrow = 10  # _Grunning -> _Gcopystack -> _Grunning (newstack/copystack)
    GoStackShrink = 11  # shrinkstack during a GC stack scan
    GoStackOverflow = 12  # "goroutine stack exceeds 1000000000-byte limit": fatal
    GoDefer = 13  # a defer record placed on the G's defer chain

    # --- Ps ---
    ProcStart = 20  # an M acquired a P (acquirep / wirep)
    ProcStop = 21  # P released to the idle list (releasep + pidleput)
    ProcStatus = 22  # P status change (e.g. _Pgcstop, _Pdead)
    ProcSteal = 23  # runqsteal: p = thief
    ProcHandoff = 24  # handoffp: a P leaves an M blocked in a syscall
    ProcResize = 25  # procresize under STW

    # --- Ms ---
    MCreate = 30  # newm: a new OS thread
    MPark = 31  # stopm: M parks on sched.midle
    MWake = 32  # startm/notewakeup: an idle M is given a P
    MSpinBegin = 33  # M becomes spinning (nmspinning++)
    MSpinEnd = 34  # M stops spinning
    MCPUWait = 35  # (kernel) a runnable M has no CPU: it waits in the OS run queue (core/os.py)
    MCPURun = 36  # (kernel) a waiting M gets a CPU again

    # --- run queues (proc.go runq*) ---
    RunqPut = 40  # runqput onto a local queue
    RunqGet = 41  # runqget / globrunqget took a G to run
    RunqSpill = 42  # runqputslow: half the ring + 1 to the global queue
    GlobRunqPut = 43  # globrunqput(head/batch)
    GlobRunqGet = 44  # globrunqgetbatch moved Gs to a local queue

    # --- sysmon, preemption, syscalls, netpoll, timers ---
    SysmonTick = 50  # one sysmon round
    Preempt = 51  # preemptone: request to preempt the G running on a P
    Retake = 52  # retake took a P from a G in a syscall
    NetpollReady = 53  # netpoll returned ready Gs
    TimerFire = 54  # a timer expired (time.Sleep wakes its G)
    Deadlock = 55  # checkdead: all goroutines are asleep

    # --- channels (chan.go) ---
    ChanMake = 60
    ChanSend = 61
    ChanRecv = 62
    ChanClose = 63
    Select = 64

    # --- stop-the-world (proc.go stopTheWorldWithSema / startTheWorldWithSema) ---
    STWBegin = 70
    STWEnd = 71

    # --- GC (mgc.go, mgcpacer.go, mgcmark.go, mgcsweep.go) ---
    GCBegin = 80  # gcStart: sweep termination begins
    GCMarkBegin = 81  # _GCmark, write barrier on
    GCMarkDone = 82  # gcMarkDone: mark termination begins
    GCEnd = 83  # gcMarkTermination finished: _GCoff
    GCWorkerBegin = 84  # a mark worker G starts on a P
    GCWorkerEnd = 85
    GCMarkAssistBegin = 86
    GCMarkAssistEnd = 87
    GCSweepBegin = 88  # sweeping a span (or batch)
    GCSweepEnd = 89
    HeapGoal = 90  # pacer committed a new goal/trigger
    GCLimiter = 91  # GC CPU limiter on/off
    OOMKill = 92  # the container memory limit was exceeded
    GCMarkScan = 93  # a worker or assist scanned a run of one kind of mark work (roots / span q / object q)
    GCSpanQueue = 94  # a P's Green Tea span queue after it drained (ring length, shared list, steals)
    GCSpanScan = 95  # a P dequeued and scanned a run of Green Tea spans (scanSpan), their id range

    # --- allocator (malloc.go, mcache.go, mcentral.go, mheap.go, stack.go) ---
    Alloc = 100  # a batch of allocations on one path
    MCacheRefill = 101  # mcache.refill(spc)
    SpanAlloc = 102  # mheap.allocSpan
    SpanCache = 103  # mcentral.cacheSpan handed a span to an mcache
    SpanUncache = 104  # mcentral.uncacheSpan
    SpanSweep = 105  # mspan.sweep
    SpanFree = 106  # mheap.freeSpan
    HeapGrow = 107  # mheap.grow
    Scavenge = 108  # scavenger released pages
    StackAlloc = 109  # stackalloc
    StackFree = 110  # stackfree
    MCacheFlush = 111  # mcache.releaseAll / prepareForSweep


class Codec(NamedTuple):
    """A packed argument: ``parts`` are (name, shift, bits) from the low bit up; the last part may take
    every remaining bit (bits 0). encode/decode work on ints and elementwise on numpy int64 arrays."""

    name: str
    parts: tuple[tuple[str, int, int], ...]

    def encode(self, *values: int) -> int:
        out = 0
        for (_, shift, _bits), v in zip(self.parts, values):
            out |= v << shift
        return out

    def decode(self, packed):
        return tuple(
            (packed >> shift) & ((1 << bits) - 1) if bits else packed >> shift
            for _, shift, bits in self.parts
        )


#: EV.Alloc's a0 (malloc.go's three paths into one span): path | sizeclass<<8 | noscan<<16 | span<<24
ALLOC_CODE = Codec("alloc_code", (("path", 0, 8), ("sizeclass", 8, 8), ("noscan", 16, 1), ("span", 24, 0)))
#: EV.SpanAlloc's a2 (mheap.allocSpan): npages in the low 32 bits, start page above
SPAN_PAGES = Codec("span_pages", (("npages", 0, 32), ("start_page", 32, 0)))
#: EV.GCMarkScan's a0 (gcDrain): what was scanned (SCAN_* of gc/mgcmark.py) and the span dequeues
MARK_SCAN = Codec("mark_scan", (("what", 0, 8), ("dequeues", 8, 0)))


class Field(NamedTuple):
    """One argument column. ``type`` says its unit or what it indexes (int, ns, bytes, goid, p, m,
    span, chan, enum, local_len = the event P's ring length, global_len = the global queue's length);
    ``codec`` unpacks a packed value."""

    name: str
    doc: str
    type: str = "int"
    codec: Codec | None = None


#: lane actions (what a P lane / M lane shows from this event on); model/timeline.py maps them to states.
#: "resume" takes the action from the event's a0 (an index into this tuple): MCPURun resumes what the M
#: did before it waited for a CPU.
LANE_ACTIONS = ("user", "idle", "spin", "syscall", "gc", "assist", "none", "cpuwait", "resume")
#: timeline markers (model/timeline.py MK_* in this order)
MARKERS = ("steal", "handoff", "preempt")
#: the recording's mark kinds (record/writer.py): the code of a mark is its index here (recording format)
MARKS = ("gc", "stw", "steal", "handoff", "preempt")


class Spec(NamedTuple):
    """Everything about one kind. ``args`` names a0, a1, a2 (unused ones are omitted).

    status   the G's status after the event (core.constants G*), None = unchanged
    p_lane   LANE_ACTIONS entry for the event's P lane, None = no change
    m_lane   the same for the event's M lane
    curg     what the event's P runs after it: "g" = the event's G, "none" = nothing, None = unchanged
    marker   MARKERS entry: a timeline marker on the event's P lane
    mark     MARKS entry: a recording mark the player can jump to
    begin    for the end of a pair: the kind that opened it (GCMarkAssistBegin for GCMarkAssistEnd ...)
    """

    go_func: str
    doc: str
    args: tuple[Field, ...] = ()
    status: int | None = None
    p_lane: str | None = None
    m_lane: str | None = None
    curg: str | None = None
    marker: str | None = None
    mark: str | None = None
    begin: EV | None = None


_TYPE_OF_NAME = {
    "parent": "goid", "waker": "goid", "kicked": "goid",
    "victim": "p", "to_m": "m", "span": "span", "chan": "chan",
    "reason": "enum", "where": "enum", "source": "enum", "path": "enum", "mode": "enum", "result": "enum",
}  # fmt: skip


def _f(name: str, doc: str = "", type: str = "", codec: Codec | None = None) -> Field:
    """A field; without ``type`` the name says it: ``*_ns`` ns, ``*_bytes`` bytes, else _TYPE_OF_NAME."""
    if not type:
        type = "ns" if name.endswith("_ns") else "bytes" if name.endswith("_bytes") else "int"
        type = _TYPE_OF_NAME.get(name, type)
    return Field(name, doc, type, codec)


def _lane(action: str) -> dict:
    """The same action on the P lane and the M lane (every G-level event)."""
    return {"p_lane": action, "m_lane": action}


# Codes shared by several kinds' arguments ------------------------------------------------------

# GoStop reasons (a0)
STOP_GOSCHED = 0  # runtime.Gosched -> global queue
STOP_PREEMPT = 1  # sysmon preemption (gopreempt_m) -> global queue
STOP_PREEMPT_STW = 2  # preempted for a pending STW -> local runnext
STOP_GOYIELD = 3  # goyield -> local tail
STOP_NAMES = ("gosched", "preempted", "preempted for STW", "goyield")

# Where a G was put (RunqPut a0 / GoUnblock a1 / GoStop a1)
WHERE_RUNNEXT = 0
WHERE_LOCAL = 1
WHERE_GLOBAL = 2
WHERE_GLOBAL_HEAD = 3
WHERE_NAMES = ("runnext", "local", "global", "global head")

# RunqGet sources (a0)
SRC_RUNNEXT = 0
SRC_LOCAL = 1
SRC_GLOBAL = 2  # batch from globrunqgetbatch
SRC_GLOBAL_FAIR = 3  # schedtick % 61 fairness check
SRC_STEAL = 4
SRC_NETPOLL = 5
SRC_SYSCALL_EXIT = 6  # a G returning from a syscall keeps running
SRC_NAMES = ("runnext", "local", "global", "global (tick%61)", "steal", "netpoll", "syscall exit")

# NetpollReady pollers (a1): who called netpoll (proc.go findRunnable's two polls, sysmon)
NETPOLL_FINDRUNNABLE = 0  # findRunnable's non-blocking netpoll(0)
NETPOLL_BLOCKING = 1  # findRunnable's blocking netpoll(delay): the M that slept in the poller
NETPOLL_SYSMON = 2  # sysmon's netpoll(0) after 10 ms without a poll
NETPOLL_NAMES = ("findRunnable", "findRunnable (blocking)", "sysmon")

# GoSyscallEnd paths (a0)
SYSEXIT_FAST = 0  # m.p still set
SYSEXIT_OLDP = 1  # took back oldp
SYSEXIT_IDLEP = 2  # pidleget
SYSEXIT_NAMES = ("fast", "oldp", "idle P")

# Handoff / retake reasons (a0)
HANDOFF_SYSMON = 0  # sysmon retake
HANDOFF_BLOCK = 1  # entersyscallblock
HANDOFF_STW = 2  # STW took a syscall P
HANDOFF_SAFEPOINT = 3  # forEachP took a syscall P to run its safe-point function
HANDOFF_NAMES = ("sysmon retake", "entersyscallblock", "stop-the-world", "forEachP")

# Alloc paths (a0 low byte)
PATH_TINY = 0
PATH_SMALL = 1
PATH_LARGE = 2
PATH_NAMES = ("tiny", "small", "large")


def alloc_code(path: int, sizeclass: int, noscan: int, span: int) -> int:
    """Pack EV.Alloc's a0: which path, size class, noscan bit and span id (span id < 2**39)."""
    return path | sizeclass << 8 | noscan << 16 | span << 24


def alloc_decode(a0: int) -> tuple[int, int, int, int]:
    """Inverse of alloc_code: (path, sizeclass, noscan, span). Works elementwise on numpy arrays."""
    return ALLOC_CODE.decode(a0)


def span_pages_code(npages: int, start_page: int) -> int:
    """SpanAlloc's a2: npages in the low 32 bits, start page above."""
    return npages | start_page << 32


def span_pages_decode(a2):
    """Inverse of span_pages_code: (npages, start_page); works elementwise on numpy arrays."""
    return SPAN_PAGES.decode(a2)


# Chan op results (a1)
CHAN_DIRECT = 0  # handed straight to/from a waiting G
CHAN_BUFFER = 1  # went through the buffer
CHAN_BLOCK = 2  # parked on sendq/recvq
CHAN_CLOSED = 3  # recv on closed channel (zero value) / send on closed (panic)
CHAN_RESULT_NAMES = ("direct", "buffer", "block", "closed")

# STW reasons (a0): runtime's stwReason
STW_GC_SWEEP_TERM = 0
STW_GC_MARK_TERM = 1
STW_GOMAXPROCS = 2
STW_NAMES = (
    "GC sweep termination",
    "GC mark termination",
    "GOMAXPROCS",
    # the rest of proc.go's stwReasonStrings: the emulator never stops the world for them, a real
    # program's trace does (gmpviz/gotrace/convert.py)
    "unknown",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutines stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "start trace",
    "stop trace",
)

# GC worker modes (a0), gcMarkWorkerMode
WORKER_DEDICATED = 1
WORKER_FRACTIONAL = 2
WORKER_IDLE = 3
WORKER_NAMES = {1: "dedicated", 2: "fractional", 3: "idle"}

# Wait reasons (GoBlock a0): runtime2.go waitReason strings
WAIT_REASONS = (
    "",  # 0 waitReasonZero
    "chan receive",
    "chan send",
    "select",
    "select (no cases)",
    "sleep",
    "IO wait",
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "GC assist wait",
    "GC assist marking",
    "GC worker (idle)",
    "garbage collection",
    "stopping the world",
    "force gc (idle)",
    "GC sweep wait",
    "runtime.GC",
    "GC scavenge wait",
    # traceruntime.go traceBlockReasonStrings that are not waitReason strings above: what a real
    # program's trace says a G blocked on (gmpviz/gotrace/convert.py); the emulator never emits them
    "unspecified",
    "forever",
    "network",
    "sync.(*Cond).Wait",
    "sync",
    "GC mark assist wait for work",
    "GC background sweeper wait",
    "system goroutine wait",
    "preempted",
    "wait for debug call",
    "wait until GC ends",
    "GC weak to strong wait",
    "synctest",
    "coroutine",
    # waitReasonSemacquire, emitted by the emulator (appended so earlier indices keep their meaning):
    # gcMarkDone's semacquire(&worldsema) while another stop-the-world holds it
    "semacquire",
)
WAIT_CHAN_RECV = 1
WAIT_CHAN_SEND = 2
WAIT_SELECT = 3
WAIT_SELECT_NO_CASES = 4
WAIT_SLEEP = 5
WAIT_IO = 6
WAIT_CHAN_RECV_NIL = 7
WAIT_CHAN_SEND_NIL = 8
WAIT_GC_ASSIST_WAIT = 9
WAIT_GC_ASSIST_MARKING = 10
WAIT_GC_WORKER_IDLE = 11
WAIT_GC = 12
WAIT_STW = 13
WAIT_FORCEGC_IDLE = 14
WAIT_GC_SWEEP_WAIT = 15
WAIT_RUNTIME_GC = 16
WAIT_GC_SCAVENGE_WAIT = 17
WAIT_SEMACQUIRE = WAIT_REASONS.index("semacquire")


SPEC: dict[EV, Spec] = {
    EV.GoCreate: Spec(
        "newproc1",
        "a new G becomes runnable",
        (_f("parent", "creator's goid"), _f("group", "goroutine group (program index)"), _f("stack_bytes")),
        status=Grunnable,
    ),
    EV.GoStart: Spec(
        "execute",
        "G starts running on p/m",
        (
            _f("inherit", "1 if it inherited the time slice (runnext)"),
            _f("schedtick", "P's schedtick after execute"),
        ),
        status=Grunning,
        curg="g",
        **_lane("user"),
    ),
    EV.GoStop: Spec(
        "goschedImpl",
        "running G back to runnable",
        (_f("reason", "STOP_*"), _f("where", "WHERE_*")),
        status=Grunnable,
        curg="none",
        **_lane("idle"),
    ),
    EV.GoBlock: Spec(
        "gopark",
        "G parks (_Gwaiting)",
        (_f("reason", "index into WAIT_REASONS"), _f("object", "channel id, fd, timer ...")),
        status=Gwaiting,
        curg="none",
        **_lane("idle"),
    ),
    EV.GoUnblock: Spec(
        "ready",
        "parked G made runnable",
        (_f("waker", "waker's goid or 0"), _f("where", "WHERE_*"), _f("reason", "wait reason it leaves")),
        status=Grunnable,
    ),
    EV.GoSyscallBegin: Spec(
        "entersyscall",
        "G enters a syscall (_Gsyscall); the P stays with the M",
        (_f("blocking", "1 = entersyscallblock"), _f("duration_ns")),
        status=Gsyscall,
        **_lane("syscall"),
    ),
    EV.GoSyscallEnd: Spec(
        "exitsyscall",
        "G leaves a syscall and keeps running",
        (_f("path", "SYSEXIT_*"),),
        status=Grunning,
        curg="g",
        begin=EV.GoSyscallBegin,
        **_lane("user"),
    ),
    EV.GoSyscallEndBlocked: Spec(
        "exitsyscallNoP",
        "no P: G to the global queue, M parks",
        (),
        status=Grunnable,
        begin=EV.GoSyscallBegin,
        **_lane("idle"),
    ),
    EV.GoEnd: Spec("goexit0", "G exits (_Gdead)", (), status=Gdead, curg="none", **_lane("idle")),
    EV.GoStackGrow: Spec("newstack", "stack doubled by copystack", (_f("old_bytes"), _f("new_bytes"))),
    EV.GoStackShrink: Spec(
        "shrinkstack", "stack halved during a GC scan", (_f("old_bytes"), _f("new_bytes"))
    ),
    EV.GoStackOverflow: Spec(
        "newstack", "goroutine stack exceeds 1000000000-byte limit", (_f("needed_bytes"),)
    ),
    EV.GoDefer: Spec(
        "deferproc",
        "defer record placed on the G's chain",
        (
            _f("depth", "chain length after"),
            _f("heap", "1 = heap-allocated record, 0 = on the stack (open-coded/stack defer)"),
        ),
    ),
    EV.ProcStart: Spec("acquirep", "M m acquires P p", (), p_lane="idle"),
    EV.ProcStop: Spec("pidleput", "P goes idle", (), p_lane="idle", curg="none"),
    EV.ProcStatus: Spec("p.status", "P status changes", (_f("status", "_P* value"),)),
    EV.ProcSteal: Spec(
        "runqsteal",
        "thief P p steals from victim",
        (_f("victim", "victim P id"), _f("count", "Gs moved"), _f("runnext", "1 if runnext was stolen")),
        marker="steal",
        mark="steal",
    ),
    EV.ProcHandoff: Spec(
        "handoffp",
        "P handed off from an M in a syscall",
        (_f("reason", "HANDOFF_*"), _f("to_m", "M that took it, or -1 (idle)")),
        p_lane="idle",
        marker="handoff",
        mark="handoff",
    ),
    EV.ProcResize: Spec("procresize", "GOMAXPROCS changed", (_f("old"), _f("new"))),
    EV.MCreate: Spec("newm", "new OS thread", (_f("threads", "mcount after"),), m_lane="idle"),
    EV.MPark: Spec(
        "stopm",
        "M parks: on sched.midle, or blocked in netpoll without a P",
        (_f("where", "0 idle list (stopm), 1 blocked in netpoll (findRunnable step 15)"),),
        m_lane="none",
    ),
    EV.MWake: Spec(
        "startm", "idle or new M started for P p", (_f("spinning", "1 if started spinning"),), m_lane="idle"
    ),
    EV.MSpinBegin: Spec("findRunnable", "M starts spinning", (_f("nmspinning", "after"),), **_lane("spin")),
    EV.MSpinEnd: Spec(
        "resetspinning",
        "M stops spinning",
        (_f("nmspinning", "after"), _f("found", "1 if it found work")),
        begin=EV.MSpinBegin,
        **_lane("idle"),
    ),
    EV.MCPUWait: Spec(
        "(kernel)",
        "runnable M without a CPU: waits in the OS run queue (ncpu, core/os.py)",
        (
            _f("reason", "0 woken with no CPU free, 1 its slice ended while others waited"),
            _f("waiting", "Ms waiting for a CPU after"),
        ),
        **_lane("cpuwait"),
    ),
    EV.MCPURun: Spec(
        "(kernel)",
        "a waiting M gets a CPU and goes on",
        (
            _f("resume", "LANE_ACTIONS index of what it goes on doing"),
            _f("cpu", "the CPU"),
            _f("waited_ns", "time it waited"),
        ),
        begin=EV.MCPUWait,
        **_lane("resume"),
    ),
    EV.RunqPut: Spec(
        "runqput",
        "G put on P's local queue",
        (
            _f("where", "WHERE_*"),
            _f("len", "ring length after", "local_len"),
            _f("kicked", "goid kicked from runnext, or 0 (it follows as its own RunqPut or RunqSpill)"),
        ),
    ),
    EV.RunqGet: Spec(
        "runqget",
        "G taken to run",
        (
            _f("source", "SRC_*"),
            _f("len", "local ring length after", "local_len"),
            _f("other", "SRC_STEAL: victim P; SRC_GLOBAL*: global length after; else 0"),
        ),
    ),
    EV.RunqSpill: Spec(
        "runqputslow",
        "full ring: half + 1 to the global queue",
        (_f("count", "Gs moved (129)"), _f("global_len", "after", "global_len")),
    ),
    EV.GlobRunqPut: Spec(
        "globrunqput",
        "G put on the global queue",
        (_f("where", "WHERE_GLOBAL or _HEAD"), _f("len", "global length after", "global_len")),
    ),
    EV.GlobRunqGet: Spec(
        "globrunqgetbatch",
        "batch from the global queue",
        (
            _f("count", "Gs taken incl. the one to run"),
            _f("len", "global length after", "global_len"),
            _f("local_len", "local ring length after"),
        ),
    ),
    EV.SysmonTick: Spec("sysmon", "a sysmon round", (_f("delay_ns", "sleep before the next round"),)),
    EV.Preempt: Spec(
        "preemptone",
        "preemption requested for the G on p",
        (_f("held_ns", "how long it held the schedtick"),),
        marker="preempt",
        mark="preempt",
    ),
    EV.Retake: Spec(
        "retake", "sysmon takes P from a syscalling M", (_f("syscall_ns", "time in the syscall so far"),)
    ),
    EV.NetpollReady: Spec(
        "netpoll",
        "netpoll returned ready Gs",
        (
            _f("count", "ready Gs returned"),
            _f("by", "NETPOLL_FINDRUNNABLE / NETPOLL_BLOCKING / NETPOLL_SYSMON"),
        ),
    ),
    EV.TimerFire: Spec("timer.run", "a timer fired", (_f("late_ns", "lateness against its when"),)),
    EV.Deadlock: Spec("checkdead", "fatal error: all goroutines are asleep - deadlock!", ()),
    EV.ChanMake: Spec("makechan", "channel created", (_f("chan"), _f("cap"))),
    EV.ChanSend: Spec(
        "chansend", "send", (_f("chan"), _f("result", "CHAN_*"), _f("qcount", "buffered after"))
    ),
    EV.ChanRecv: Spec(
        "chanrecv", "receive", (_f("chan"), _f("result", "CHAN_*"), _f("qcount", "buffered after"))
    ),
    EV.ChanClose: Spec("closechan", "close", (_f("chan"), _f("woken", "Gs woken"))),
    EV.Select: Spec(
        "selectgo", "select", (_f("case", "chosen case index, -1 blocked, -2 default"), _f("ncases"))
    ),
    EV.STWBegin: Spec("stopTheWorldWithSema", "stop-the-world begins", (_f("reason", "STW_*"),), mark="stw"),
    EV.STWEnd: Spec(
        "startTheWorldWithSema",
        "world restarted",
        (_f("reason", "STW_*"), _f("duration_ns")),
        begin=EV.STWBegin,
    ),
    EV.GCBegin: Spec(
        "gcStart",
        "GC cycle starts (sweep termination)",
        (_f("cycle"), _f("trigger", "0 heap, 1 time, 2 runtime.GC"), _f("heap_live")),
        mark="gc",
    ),
    EV.GCMarkBegin: Spec(
        "gcStart",
        "concurrent mark begins, write barrier on",
        (_f("cycle"), _f("dedicated"), _f("fractional_ppm", "fractional goal x 1e6")),
    ),
    EV.GCMarkDone: Spec("gcMarkDone", "mark termination begins", (_f("cycle"), _f("heap_live"))),
    EV.GCEnd: Spec(
        "gcMarkTermination", "cycle done, _GCoff", (_f("cycle"), _f("heap_marked")), begin=EV.GCBegin
    ),
    EV.GCWorkerBegin: Spec(
        "gcBgMarkWorker", "mark worker runs on p", (_f("mode", "WORKER_*"),), **_lane("gc")
    ),
    EV.GCWorkerEnd: Spec(
        "gcBgMarkWorker",
        "mark worker stops",
        (_f("mode", "WORKER_*"), _f("work_bytes")),
        begin=EV.GCWorkerBegin,
        **_lane("idle"),
    ),
    EV.GCMarkAssistBegin: Spec("gcAssistAlloc", "G assists marking", (_f("debt_bytes"),), **_lane("assist")),
    EV.GCMarkAssistEnd: Spec(
        "gcAssistAlloc",
        "assist done",
        (_f("work_bytes"),),
        curg="g",
        begin=EV.GCMarkAssistBegin,
        **_lane("user"),
    ),
    EV.GCSweepBegin: Spec("sweepone", "sweeping starts", (_f("span"),)),
    EV.GCSweepEnd: Spec(
        "sweepone",
        "sweeping a span/batch done",
        (_f("spans"), _f("freed_objects"), _f("freed_pages")),
        begin=EV.GCSweepBegin,
    ),
    EV.HeapGoal: Spec(
        "gcControllerCommit", "pacer commit", (_f("goal_bytes"), _f("trigger_bytes"), _f("heap_marked"))
    ),
    EV.GCLimiter: Spec(
        "gcCPULimiter", "GC CPU limiter state", (_f("limiting", "1 on, 0 off"), _f("fill_ns"))
    ),
    EV.OOMKill: Spec(
        "(kernel)",
        "container memory limit exceeded: the process is OOM-killed",
        (_f("rss_bytes"), _f("limit_bytes")),
    ),
    EV.GCMarkScan: Spec(
        "gcDrain",
        "mark work scanned (markroot jobs, Green Tea span queue or object queue)",
        (
            _f(
                "what_dequeues",
                "what | dequeues<<8: SCAN_ROOTS 0, SCAN_SPANQ 1, SCAN_OBJQ 2; span dequeues (Green Tea)",
                codec=MARK_SCAN,
            ),
            _f("objects", "objects scanned (root jobs for SCAN_ROOTS)"),
            _f("work_bytes"),
        ),
    ),
    EV.GCSpanQueue: Spec(
        "spanQueue",
        "the P's span queue after a drain",
        (_f("ring", "spans on this P's ring"), _f("shared", "spans on the shared lists"), _f("stolen")),
    ),
    EV.GCSpanScan: Spec(
        "scanSpan",
        "spans dequeued and scanned by one drain: every Green Tea span of the cycle's grey set with an id "
        "in [span_lo, span_hi] (the mark work is laid out in span id order), scanned for dur_ns",
        (_f("span_lo", type="span"), _f("span_hi", type="span"), _f("dur_ns")),
    ),
    EV.Alloc: Spec(
        "mallocgc",
        "a run of allocations on one path into one span",
        (
            _f("path_class_span", "path | sizeclass<<8 | noscan<<16 | span<<24", codec=ALLOC_CODE),
            _f("count", "objects"),
            _f("bytes", "bytes requested"),
        ),
    ),
    EV.MCacheRefill: Spec(
        "mcache.refill",
        "mcache gets a new span for a span class",
        (_f("spanclass"), _f("span"), _f("free_slots")),
    ),
    EV.SpanAlloc: Spec(
        "mheap.allocSpan",
        "span allocated from the page heap",
        (
            _f("span"),
            _f("spanclass", "-1 = manual (stack) span"),
            _f("pages", "npages | start_page << 32", codec=SPAN_PAGES),
        ),
    ),
    EV.SpanCache: Spec(
        "mcentral.cacheSpan",
        "span taken from mcentral into an mcache",
        (
            _f("span"),
            _f("spanclass"),
            _f("source", "0 partial swept, 1 partial unswept, 2 full unswept, 3 grow"),
        ),
    ),
    EV.SpanUncache: Spec(
        "mcentral.uncacheSpan",
        "span returned from an mcache",
        (_f("span"), _f("spanclass"), _f("full", "1 if full")),
    ),
    EV.SpanSweep: Spec("mspan.sweep", "span swept", (_f("span"), _f("freed_objects"), _f("live_objects"))),
    EV.SpanFree: Spec(
        "mheap.freeSpan", "span's pages back to the page allocator", (_f("span"), _f("npages"))
    ),
    EV.HeapGrow: Spec("mheap.grow", "heap grew", (_f("npages"), _f("heap_sys_bytes", "after"))),
    EV.Scavenge: Spec(
        "bgscavenge", "pages returned to the OS", (_f("npages"), _f("released_bytes", "HeapReleased after"))
    ),
    EV.StackAlloc: Spec("stackalloc", "stack allocated", (_f("bytes"), _f("order", "-1 large"), _f("span"))),
    EV.StackFree: Spec("stackfree", "stack freed", (_f("bytes"), _f("order", "-1 large"), _f("span"))),
    EV.MCacheFlush: Spec("mcache.releaseAll", "mcache flushed (GC start / prepareForSweep)", (_f("spans"),)),
}


def _check_spec() -> None:
    """The spec's own consistency, at import: a bad entry fails every test, not one far-away fold."""
    for kind, sp in SPEC.items():
        names = [f.name for f in sp.args]
        assert len(names) <= 3 and len(set(names)) == len(names), kind
        assert sp.p_lane in (None, *LANE_ACTIONS) and sp.m_lane in (None, *LANE_ACTIONS), kind
        assert sp.marker in (None, *MARKERS) and sp.mark in (None, *MARKS), kind
        assert sp.curg in (None, "g", "none"), kind
        assert sp.begin is None or sp.begin in SPEC, kind
    assert set(SPEC) == set(EV), set(EV) ^ set(SPEC)


_check_spec()

#: begin/end pairs: begin kind -> its end kinds (GoSyscallBegin ends as GoSyscallEnd or ...EndBlocked)
PAIRS: dict[EV, tuple[EV, ...]] = {}
for _k, _sp in SPEC.items():
    if _sp.begin is not None:
        PAIRS[_sp.begin] = (*PAIRS.get(_sp.begin, ()), _k)


def per_kind(value, fill: int = -1, dtype=np.int16) -> np.ndarray:
    """A 256-entry table indexed by kind code: ``value(spec)`` where it is not None, else ``fill``.
    The folds index it with a whole ``kind`` column at once."""
    t = np.full(256, fill, dtype=dtype)
    for kind, sp in SPEC.items():
        v = value(sp)
        if v is not None:
            t[int(kind)] = v
    return t


def kinds_where(pred) -> tuple[int, ...]:
    """Kind codes whose spec satisfies ``pred``, in code order."""
    return tuple(int(k) for k, sp in SPEC.items() if pred(sp))


def field_index(kind: EV, type: str) -> int | None:
    """Which argument column (0 = a0) of ``kind`` holds a field of ``type``, or None."""
    for i, f in enumerate(SPEC[kind].args):
        if f.type == type:
            return i
    return None


def describe(kind: int) -> Spec:
    """The SPEC entry of a kind (KeyError for an unknown code)."""
    return SPEC[EV(kind)]


def format_event(row: np.void | tuple) -> str:
    """One human-readable line for an event row, e.g. for the event log and ``--events`` output."""
    t_ns, kind, p, m, g, a0, a1, a2 = (int(x) for x in tuple(row))
    try:
        ev = EV(kind)
    except ValueError:
        return f"{t_ns:>12} ? kind={kind}"
    spec = SPEC.get(ev)
    parts = [f"{t_ns / 1e6:12.6f}ms", f"{ev.name:<18}"]
    if p >= 0:
        parts.append(f"P{p}")
    if m >= 0:
        parts.append(f"M{m}")
    if g:
        parts.append(f"G{g}")
    if spec:
        parts.append(format_args(ev, a0, a1, a2))
    return " ".join(p for p in parts if p)


def format_args(kind: int, a0: int, a1: int, a2: int) -> str:
    """``name=value`` for each declared field of ``kind``; a packed field shows its codec's parts."""
    out = []
    for field, v in zip(SPEC[EV(kind)].args, (int(a0), int(a1), int(a2))):
        if field.codec is None:
            out.append(f"{field.name}={v}")
        else:
            out += [f"{n}={x}" for (n, _, _), x in zip(field.codec.parts, field.codec.decode(v))]
    return " ".join(out)


def empty(n: int = 0) -> np.ndarray:
    return np.zeros(n, dtype=EVENT_DTYPE)
