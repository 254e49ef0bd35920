"""G, M, P and schedt with the runtime's field names — `runtime/runtime2.go: type g, m, p, schedt`.

Objects exist per goroutine/thread/processor (bounded counts), never per event. Only the fields the
emulator uses are kept; their names match the runtime's so `src/runtime` can be read alongside.
"""

from __future__ import annotations

from collections import deque

from .constants import FIXED_STACK, Gdead, Pgcstop


class G:
    """A goroutine — runtime2.go: type g."""

    __slots__ = (
        "goid",
        "status",
        "waitreason",
        "group",
        "ops",
        "pc",
        "loops",
        "op_rem",
        "m",
        "preempt",
        "busy_until",
        "resume_ns",
        "stack_bytes",
        "stack_id",
        "stack_used",
        "defers",
        "created_ns",
        "wait_obj",
        "sel_id",
        "chan_val",
        "timer_when",
        "syscall_start",
        "syscall_end",
        "parent",
        "gcAssistBytes",
        "is_worker",
        "worker_mode",
        "lastp",
        "run_start",
        "rand",
        "inSweep",
        "pace_due",
        "lockedm",
    )

    def __init__(self) -> None:
        self.goid = 0
        self.status = Gdead
        self.waitreason = 0
        self.group = 0
        self.ops: tuple = ()
        self.pc = 0
        self.loops: list[int] = []
        self.op_rem = 0  # spawns left in the current OP_GO
        self.m: M | None = None
        self.preempt = False
        self.busy_until = 0  # end of the current compute burst
        self.resume_ns = 0  # compute left over when preempted
        self.stack_bytes = FIXED_STACK
        self.stack_id = -1
        self.stack_used = 0
        self.defers = 0
        self.created_ns = 0
        self.wait_obj = 0
        self.sel_id = 0  # non-zero while parked in a select
        self.chan_val = 0  # 1 if a receive got a value, 0 if it saw a closed channel
        self.timer_when = 0
        self.syscall_start = 0
        self.syscall_end = 0
        self.parent = 0
        self.gcAssistBytes = 0
        self.is_worker = False
        self.worker_mode = 0
        self.lastp = -1
        self.run_start = 0
        self.rand = 1.0  # the goroutine's workload random stream (sched/gexec.py)
        self.pace_due = 0  # when the G's next `pace` pass is due (0: its schedule has not started)
        self.lockedm: M | None = None  # lockOSThread: the M this G is wired to
        self.inSweep = False  # traceruntime.go p.trace.inSweep: the sweeper's GCSweepBegin is open


class M:
    """An OS thread — runtime2.go: type m."""

    __slots__ = (
        "id",
        "p",
        "nextp",
        "oldp",
        "curg",
        "spinning",
        "parked",
        "token",
        "state",
        "syscalltick",
        "in_netpoll",
        "wake_spinning",
        "cpu",
        "cpu_hold",
        "cpu_off",
        "cpu_since",
        "cpu_debt",
        "cpu_deferred",
        "cpu_tok",
        "lockedg",
    )

    def __init__(self, mid: int) -> None:
        self.id = mid
        self.p: P | None = None
        self.nextp: P | None = None
        self.oldp: P | None = None
        self.curg: G | None = None
        self.spinning = False
        self.parked = False
        self.token = 0  # bumped to cancel this M's pending step
        self.state = 0  # M_* below
        self.syscalltick = 0
        self.in_netpoll = False
        self.wake_spinning = False
        # the machine under the runtime (core/os.py): not runtime fields
        self.cpu = -1  # the CPU it runs on, -1 none
        self.cpu_hold = True  # its next step must ask the OS scheduler first (os.OSSched.admit)
        self.cpu_off = -1  # since when it waits for a CPU, -1 if it does not wait
        self.cpu_since = 0  # when it got its CPU
        self.cpu_debt = 0  # ns it lost waiting while its step was pending: the step moves this much
        self.cpu_deferred = None  # (handler, prio, token, remaining ns, due) of a step held for a CPU
        self.cpu_tok = 0  # bumped to cancel its pending slice end
        self.lockedg: G | None = None  # lockOSThread: the G wired to this M (runtime2.go m.lockedg)


# What an M is doing (emulator bookkeeping; the runtime reads this from curg/p/spinning)
M_IDLE = 0  # parked on sched.midle
M_RUNNING = 1  # running a G or the scheduler with a P
M_SYSCALL = 2  # its G is in a syscall
M_WAKING = 3  # woken (startm/newm), not yet running
M_NETPOLL = 4  # blocked in netpoll without a P
M_SYSMON = 5


class P:
    """A processor — runtime2.go: type p."""

    __slots__ = (
        "id",
        "status",
        "m",
        "runq",
        "runnext",
        "schedtick",
        "syscalltick",
        "gFree",
        "goidcache",
        "goidcacheend",
        "timers",
        "sysmon_schedtick",
        "sysmon_schedwhen",
        "sysmon_syscalltick",
        "sysmon_syscallwhen",
        "busy_ns",
        "run_start",
        "oldm",
        "gcFractionalMarkTime",
        "gcw_busy",
        "runSafePointFn",
    )

    def __init__(self, pid: int) -> None:
        self.id = pid
        self.status = Pgcstop  # p.init leaves new Ps in _Pgcstop
        self.m: M | None = None
        self.runq: deque[G] = deque()  # ring of RUNQ_SIZE: head = left
        self.runnext: G | None = None
        self.schedtick = 0
        self.syscalltick = 0
        self.gFree: list[G] = []
        self.goidcache = 0
        self.goidcacheend = 0
        self.timers: list[tuple[int, int, G]] = []  # heap of (when, seq, g)
        # sysmontick: sysmon's last observation of this P
        self.sysmon_schedtick = 0
        self.sysmon_schedwhen = 0
        self.sysmon_syscalltick = 0
        self.sysmon_syscallwhen = 0
        self.busy_ns = 0
        self.run_start = -1
        self.oldm: M | None = None
        self.gcFractionalMarkTime = 0
        self.gcw_busy = False
        self.runSafePointFn = False  # forEachP asked this P to run sched.safePointFn


class schedt:  # noqa: N801 - the runtime's type name
    """The scheduler's global state — runtime2.go: type schedt (the runtime's single ``sched``).

    Only the fields the emulator uses, with the runtime's names. Counts the runtime keeps beside a
    list (``npidle``, ``nmidle``, ``runqsize``) are the list's length here."""

    __slots__ = (
        "goidgen",
        "lastpoll",
        "midle",
        "pidle",
        "nmspinning",
        "needspinning",
        "runq",
        "gFree",
        "gcwaiting",
        "stopwait",
        "sysmonwait",
        "safePointWait",
        "safePointFn",
    )

    def __init__(self) -> None:
        self.goidgen = 0  # the last goid handed to a P's goid cache
        self.lastpoll = 1  # when netpoll last ran; 0 while an M is blocked in netpoll
        self.midle: list[M] = []  # idle Ms waiting for work (a stack: the last parked is woken first)
        self.pidle: list[P] = []  # idle Ps (a stack: pidleput pushes, pidleget pops)
        self.nmspinning = 0  # Ms spinning looking for work
        self.needspinning = 0  # 1: someone wanted a spinning M and found no idle P
        self.runq: deque[G] = deque()  # the global run queue (gQueue)
        self.gFree: list[G] = []  # dead Gs for reuse (sched.gFree, stacks kept)
        self.gcwaiting = False  # a stop-the-world is pending or in effect
        self.stopwait = 0  # Ps the stop-the-world still waits for
        self.sysmonwait = False  # sysmon sleeps on sched.sysmonnote until woken
        self.safePointWait = 0  # Ps forEachP still waits for
        self.safePointFn = None  # forEachP's fn(pp), run by each P at its next safe point

    @property
    def npidle(self) -> int:
        return len(self.pidle)

    @property
    def nmidle(self) -> int:
        return len(self.midle)

    @property
    def runqsize(self) -> int:
        return len(self.runq)


class Hchan:
    """A channel — chan.go: type hchan."""

    __slots__ = ("id", "name", "dataqsiz", "qcount", "closed", "recvq", "sendq")

    def __init__(self, cid: int, name: str, cap: int) -> None:
        self.id = cid
        self.name = name
        self.dataqsiz = cap
        self.qcount = 0
        self.closed = False
        self.recvq: deque[tuple[G, int, int]] = deque()  # sudogs: (g, sel_id, case)
        self.sendq: deque[tuple[G, int, int]] = deque()
