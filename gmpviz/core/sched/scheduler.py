"""The scheduler component: one object with proc.go's state (``sched``, ``allp``, ``allm``, ``allgs``,
``gomaxprocs`` …) and the functions of the runtime's scheduler files, one part per Go file.

The parts (``proc.py``, ``runq.py``, ``timers.py``, ``netpoll.py``, ``chan.py``, ``syscall.py``,
``sysmon.py``, ``gexec.py``) are
one class the way the Go files are one package: each function is defined in exactly one part, none
overrides another and none calls ``super()`` (``tests/core/test_engine_shape.py`` checks it). The
scheduler reaches the other components only through ``clock`` (time, ``at``), ``ext`` (events),
``gc`` (:class:`gmpviz.core.gc.mgc.GC`) and ``mem`` (the allocator hooks, ``alloc/hooks.py``).
"""

from __future__ import annotations

from gmpviz.core.trace.tracer import Emitters

from .. import constants as C
from ..clock import PRIO_SYSMON
from ..constants import RUNTIME_GROUP, Gdead, Grunnable, Grunning, Gsyscall, Gwaiting
from ..runtime2 import M_RUNNING, M_SYSMON, Hchan, M, schedt
from ..trace.events import (
    WAIT_FORCEGC_IDLE,
    WAIT_GC_SCAVENGE_WAIT,
    WAIT_GC_SWEEP_WAIT,
    WAIT_IO,
    WAIT_SELECT_NO_CASES,
)
from ..workload.ops import (
    OP_BLOCK,
    OP_CHAN_MAKE,
    OP_CHAN_RECV,
    OP_CHAN_SEND,
    OP_GO,
    OP_LOCKOSTHREAD,
    OP_UNLOCKOSTHREAD,
    Program,
)
from .chan import ChanMixin
from .gexec import GExecMixin
from .netpoll import NetpollMixin
from .pipe import PIPE_ASSUMPTIONS, Pipe, PipeMixin
from .proc import ProcMixin
from .runq import RunqMixin
from .safepoint import SAFEPOINT_ASSUMPTIONS, SafepointMixin
from .syscall import SyscallMixin
from .sysmon import SysmonMixin
from .timers import TimersMixin

SCHED_ASSUMPTIONS = (
    "Shows Go 1.26 scheduler semantics (proc.go): runnext, 256-slot local rings, runqputslow spills of "
    "129, schedtick%61 fairness, 4-pass random-order stealing, spinning Ms capped at half the busy Ps, "
    "sysmon retake/preemption, the 1.26 syscall design (the P stays _Prunning during a syscall).",
    "Virtual time: runtime work is charged modelled costs (schedule 200 ns, steal pass 500 ns, go "
    "statement 300 ns, channel op 100 ns); real values depend on the machine.",
    "Thread wake-ups, thread creations and preemption signals are log-normal draws (medians "
    f"{C.THREAD_WAKE_MEDIAN_NS / 1000:.1f} µs, {C.THREAD_CREATE_MEDIAN_NS / 1000:.1f} µs and "
    f"{C.ASYNC_PREEMPT_MEDIAN_NS / 1000:.1f} µs) measured with tests/fidelity/oslat on a 2-core Linux "
    "machine; a woken thread that finds no free CPU waits for one on top.",
    "Stop-the-world: every pause is the wait for running Gs to reach a safe point, plus a modelled "
    f"{C.COST_STW_NS // C.US} µs for the stop/start machinery (charged once after the last P stopped, "
    "though stopTheWorldWithSema's part overlaps the wait in the runtime), plus the STW's own work "
    f"(procresize {C.COST_PROCRESIZE_PER_P_NS // C.US} µs per P started or stopped; the GC's sweep/mark "
    "termination), so no pause is 0 even with one P; calibrated on Go 1.27 runtime.GOMAXPROCS pauses.",
    "A spinning M's four steal passes take 2 µs of virtual time; the usleep(3) before stealing a running "
    "P's runnext is not charged.",
    "Start-up: runtime.main, locked to M0 (lockOSThread during init), starts forcegchelper (its init "
    "task) and gcenable's bgsweep and bgscavenge and waits for the two: each wait parks main through "
    "stoplockedm (P0 handed off to another thread) and startlockedm brings it back, so SCHED 0ms shows "
    "the runtime's threads; the scenario's goroutines take their goids from the P main resumes on; "
    "the runtime's other start-up work and package init take no time, no finalizer "
    "goroutine (no finalizers are modelled) and no trace reader. forcegchelper and bgscavenge stay "
    "parked (sysmon's forced GC after 2 min and the scavenger's own pacing are not modelled as "
    "goroutines; the scavenger's work runs when the sweeper finishes). GC workers appear when the GC runs.",
    "Timers are per-P heaps run by their P at schedule() and stolen on the last steal pass; when a P is "
    "idle, the M blocked in netpoll sleeps for the earliest timer of any P in whole milliseconds "
    "(epoll_wait's timeout: 1 ms for less than 1 ms, else truncated) plus Linux's 50 µs timer slack, "
    "is woken early by a new earlier timer (wakeNetPoller), and runs every expired timer at once (the "
    "runtime reaches busy Ps' timers through stealWork).",
    "schedtrace lines are printed by sysmon's rounds (after retake), as the runtime does, so they drift "
    "by sysmon's delay.",
    "Preemption: a G in a compute op stops when the preemption signal lands (no non-preemptible "
    "regions: every signal lands at a safe point), at most "
    f"{C.ASYNC_PREEMPT_MAX_NS // C.US} µs after the request (stopTheWorldWithSema's preemptall period); "
    "any other running G stops at its next step (the synchronous check at a function prologue).",
    *SAFEPOINT_ASSUMPTIONS,
    "Network readiness is scheduled by the workload (netwait duration) instead of real sockets.",
    *PIPE_ASSUMPTIONS,
    f"Heap: each new g ({C.G_STRUCT_BYTES} B), each sudog a blocked channel send or receive needs beyond "
    f"the freed ones ({C.SUDOG_BYTES} B) and each `make` op's hchan ({C.HCHAN_BYTES} B) are heap objects "
    "(Go 1.27 DWARF sizes); select's sudogs, the GC's own workers and sweeper and the [channels] "
    "declared up front are not allocated.",
    "Preemption does not reach a G in a syscall, as in Go 1.27: preemptone returns false for a G in "
    '_Gsyscall (proc.go 6926-6929, "Don\'t bother trying to preempt a goroutine in a syscall"; retake, '
    "6717: \"If pp is in a syscall, preemptone doesn't work\") and retake takes the P instead; a G's "
    "preempt flag set before it entered a syscall survives it (here a preempted G always stops first).",
    "Scheduler events happen atomically: one M's step is never interleaved with another's.",
    "Random draws: each goroutine's durations come from its own seeded stream (derived from its parent's "
    "at the go statement), the runtime's choices (steal order, select, preemption targets) from another, "
    "so a change of policy, GOMAXPROCS or GC settings keeps every goroutine's draws.",
)


#: gcenable's channel: ``c := make(chan int, 2)`` (mgc.go)
GCENABLE_CHAN = "runtime.gcenable.c"
GCENABLE_CHAN_CAP = 2


def runtime_programs(scenario, gcenable_chan: int) -> tuple[tuple, int]:
    """The scenario's programs plus the runtime's own goroutines, and the index of runtime.main.

    proc.go runtime.main: ``doInit(runtime_inittasks)`` runs proc.go's ``init`` (``go forcegchelper()``),
    then ``gcenable()`` (mgc.go: ``go bgsweep(c); go bgscavenge(c); <-c; <-c``), then main.main (the
    scenario's main). Each runtime goroutine parks once started: forcegchelper in goparkunlock
    (waitReasonForceGCIdle), bgsweep after ``c <- 1`` (waitReasonGCSweepWait; it becomes the GC's
    sweeper, gc/mgc.py), bgscavenge after ``c <- 1`` in scavenger.park (waitReasonGCScavengeWait).
    All of it runs with main locked to M0 (runtime.main's ``lockOSThread()`` … ``unlockOSThread()``
    around the init tasks): main's receives park it through stoplockedm, which hands P0 off
    (handoffp starts an M for the runtime's Gs still queued) and its wake-up comes back through
    startlockedm, as in the runtime."""
    progs = list(scenario.programs)
    base = len(progs)
    c = gcenable_chan
    progs.append(Program("runtime.forcegchelper", ((OP_BLOCK, WAIT_FORCEGC_IDLE),), RUNTIME_GROUP))
    progs.append(
        Program("runtime.bgsweep", ((OP_CHAN_SEND, c), (OP_BLOCK, WAIT_GC_SWEEP_WAIT)), RUNTIME_GROUP)
    )
    progs.append(
        Program("runtime.bgscavenge", ((OP_CHAN_SEND, c), (OP_BLOCK, WAIT_GC_SCAVENGE_WAIT)), RUNTIME_GROUP)
    )
    user_main = scenario.programs[scenario.main]
    start = (
        # runtime.main: "Lock the main goroutine onto this, the main OS thread, during initialization"
        (OP_LOCKOSTHREAD,),
        (OP_GO, base, 1),  # proc.go init: go forcegchelper()
        (OP_CHAN_MAKE, c, GCENABLE_CHAN_CAP),  # gcenable: c := make(chan int, 2)
        (OP_GO, base + 1, 1),  # go bgsweep(c)
        (OP_GO, base + 2, 1),  # go bgscavenge(c)
        (OP_CHAN_RECV, c),
        (OP_CHAN_RECV, c),
        # doInit(m.inittasks) (the scenario has no package init), then unlockOSThread before main.main
        (OP_UNLOCKOSTHREAD,),
    )
    progs.append(Program("runtime.main", start + tuple(user_main.ops), user_main.group))
    return tuple(progs), len(progs) - 1


#: the Scheduler's attributes kept in slots (see Scheduler.__slots__)
_SCHEDULER_STATE = """
_chan_by_name _samples _sum_global _sum_local allgs allm allp at chans clock ctx_switches
done_reason error ev ext gc gomaxprocs mainStarted main_prog max_global_runq max_local_runq mem
n_created n_exited n_handoffs n_preemptions n_spills n_steals n_stolen n_syscalls netpoll_m
netpoll_ready netpoll_waiters newprocs ntimers on_acquirep on_schedtrace os p_with_work pipes
policy policy_global policy_nosteal programs rng runtime_gs safePointCaller safePointDone scenario
sched schedtrace_lines schedtrace_ns sel_seq steal_coprimes stw_caller stw_pause_ns stw_queue
stw_reason stw_slept stw_start stw_then sudog_free sysmon_delay sysmon_idle sysmon_token timer_heads
timer_seq workload_rand
"""


class Scheduler(
    ProcMixin,
    RunqMixin,
    TimersMixin,
    NetpollMixin,
    PipeMixin,
    ChanMixin,
    SyscallMixin,
    SysmonMixin,
    SafepointMixin,
    GExecMixin,
):
    """G, M, P and sched for one emulated process, and the scheduler's functions over them."""

    # The state in slots: CPython 3.11 keeps at most 30 attributes of an instance in its shared-key
    # values; past that the instance's dict is materialized and every ``self.method()`` call (several
    # per event) takes the generic attribute lookup, about 240 instructions more. A test keeps what
    # is left in the dict (the hot handlers bound once, attributes added later) within 30.
    __slots__ = tuple(_SCHEDULER_STATE.split())

    def __init__(
        self, scenario, clock, ext, rng, workload_rand: float, policy: str, schedtrace_ms: int = 0
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.at = clock.at
        self.ext = ext
        self.ev = Emitters(ext)  # the typed emitters generated from SPEC (core/trace/tracer.py)
        self.rng = rng  # the runtime's choices: steal order, select, preemption targets
        self.workload_rand = workload_rand  # the main goroutine's stream (gexec.py)
        self.gc = None  # the GC component, wired by the engine before schedinit
        self.os = None  # the machine's CPUs (core/os.py OSSched), wired by the engine before schedinit
        self.mem = None  # the allocator hooks, wired by the engine before schedinit
        self.set_policy(policy)
        # The hot clock handlers, bound once: every push stores its handler, and a bound method made
        # per push costs about 25 ns (an M's step is pushed about once per event).
        self.mstep = self.mstep
        self.timer_due = self.timer_due
        self.done_reason = ""
        self.error: str | None = None

        self.sched = schedt()
        self.allp = []
        self.allm: list[M] = []
        self.allgs = []
        self.gomaxprocs = 0
        self.newprocs = 0
        self.stw_then = None
        self.stw_caller = None
        self.stw_reason = 0
        self.stw_start = 0
        self.stw_slept = False  # stopTheWorld's caller sleeps on sched.stopnote
        self.stw_queue = []
        self.safePointDone = None  # forEachP's continuation (the caller asleep on sched.safePointNote)
        #: which forEachP a pending notewakeup(&sched.safePointNote) belongs to (see _forEachP_done)
        self.safePointGen = 0
        self.safePointCaller: M | None = None  # forEachP's caller, which keeps its P
        self.stw_pause_ns: dict[int, int] = {}
        self.netpoll_m: M | None = None
        self.netpoll_until = -1  # sched.pollUntil: the timer the blocked poller sleeps for (-1: none)
        self.netpoll_ready = []
        self.netpoll_waiters = 0
        self.mainStarted = False
        self.steal_coprimes = [1]
        self.timer_seq = 0
        # Maintained so that the scans over all Ps cost O(busy Ps), not O(P) (stealWork, findRunnable's
        # re-check, checkTimersNoP): the ids of the Ps whose ring or runnext holds a G, and every P's
        # Ps' earliest timers as one heap of (when, P id) with lazy deletion (timers.py), and the count
        # of pending timers.
        self.p_with_work: set[int] = set()
        self.timer_heads: list[tuple[int, int]] = []
        self.ntimers = 0
        self.sel_seq = 0
        self.sysmon_delay = C.SYSMON_MIN_DELAY_NS
        self.sysmon_idle = 0
        self.sysmon_token = 0
        self.schedtrace_ns = int(schedtrace_ms) * C.MS
        self.lasttrace = -self.schedtrace_ns  # sysmon's lasttrace: its first round prints
        self.schedtrace_lines: list[str] = []
        self.on_schedtrace = None  # callable(line) for live printing
        self.on_acquirep = None

        # statistics
        self.n_created = 0
        self.n_exited = 0
        self.n_steals = 0
        self.n_stolen = 0
        self.n_spills = 0
        self.n_handoffs = 0
        self.n_preemptions = 0
        self.n_syscalls = 0
        self.ctx_switches = 0
        self.max_global_runq = 0
        self.max_local_runq = 0
        self._samples = 0
        self.runtime_gs = []  # the runtime's own goroutines (GC workers, sweeper)
        self._sum_global = 0
        self._sum_local = 0

        self.chans: list[Hchan] = []
        self._chan_by_name: dict[str, int] = {}
        for decl in scenario.channels:
            self.makechan(len(self.chans), decl.cap, decl.name)
        self.programs, self.main_prog = runtime_programs(scenario, len(self.chans))
        self.makechan(len(self.chans), GCENABLE_CHAN_CAP, GCENABLE_CHAN)
        self.pipes = [Pipe(i, name) for i, name in enumerate(scenario.pipes)]
        self.sudog_free = 0  # sudogs released to the caches (acquireSudog takes these first)

    def set_policy(self, policy: str) -> None:
        """The run-queue policy: "go" (the runtime's), or a teaching policy ("global-queue", "no-steal")."""
        self.policy = policy
        self.policy_global = policy == "global-queue"
        self.policy_nosteal = policy == "no-steal"

    def schedinit(self, nprocs: int) -> None:
        """proc.go: schedinit + runtime.main — M0 and P0 run the main goroutine; sysmon starts."""
        m0 = self.newm()
        sysmon = self.newm()  # runtime.main: newm(sysmon, nil, -1) is the first new M (m1)
        sysmon.state = M_SYSMON
        self.procresize(nprocs, None)
        pp = self.pidleget()  # P0
        self.acquirep(m0, pp)
        m0.state = M_RUNNING
        self.os.grant_now(m0)
        # rt0_go: newproc(runtime.main) queues the main goroutine, then mstart -> schedule() runs it;
        # runtime.main runs the start-up ops (runtime_programs) before the scenario's main
        self.newproc(m0, None, self.main_prog)
        self.mainStarted = True  # runtime.main sets it before main.main runs
        self.schedule(m0)
        self.at(C.SYSMON_MIN_DELAY_NS, PRIO_SYSMON, self.sysmon_step, None, self.sysmon_token)

    def finish(self, reason: str) -> None:
        if not self.clock.stopped:
            self._close_busy()
            self.clock.stop()
            self.done_reason = reason

    def fatal(self, msg: str) -> None:
        """A fatal runtime error ends the emulated process (like the runtime's throw/fatal)."""
        if not self.clock.stopped:
            self.error = msg
            self.finish(msg.splitlines()[-1])

    def _close_busy(self) -> None:
        for pp in self.allp:
            self._g_off_cpu(pp)
        for pp in self.allp:
            if pp.m is not None and pp.m.curg is not None and pp.m.curg.status == Grunning:
                pp.run_start = self.clock.now

    # ------------------------------------------------------------------------------------------
    # schedtrace, statistics, invariants
    # ------------------------------------------------------------------------------------------

    def schedtrace_tick(self, now: int) -> None:
        """proc.go sysmon: ``if debug.schedtrace > 0 && lasttrace+int64(debug.schedtrace)*1000000 <=
        now { lasttrace = now; schedtrace(...) }`` — one line from a sysmon round (after retake), so
        the lines drift by sysmon's delay (SCHED 0ms at its first round, 20 µs in; then the first round
        at least one period after the last line) and see the run queues just before the preemptions
        that round asked for land."""
        if self.lasttrace + self.schedtrace_ns <= now:
            self.lasttrace = now
            self._schedtrace()

    def _runq_lengths(self) -> tuple[int, int]:
        """(global run queue length, the Ps' local run queues' total)."""
        allp = self.allp
        return len(self.sched.runq), sum([len(allp[i].runq) for i in range(self.gomaxprocs)])

    def _sample_runqs(self, global_runq: int, local_runq_total: int, n: int = 1) -> None:
        """``n`` samples of the run queue means (stats()): the global queue's and the Ps' queues' lengths."""
        self._samples += n
        self._sum_global += global_runq * n
        self._sum_local += local_runq_total * n

    def schedtrace_line(self) -> str:
        """proc.go: schedtrace — the exact GODEBUG=schedtrace line (facts §3.13)."""
        sched = self.sched
        ms = self.clock.now // C.MS  # since the process started
        n = self.gomaxprocs
        idlethreads = len(sched.midle)
        lens = " ".join(str(len(self.allp[i].runq)) for i in range(n))
        ticks = " ".join(str(self.allp[i].schedtick) for i in range(n))
        return (
            f"SCHED {ms}ms: gomaxprocs={n} idleprocs={len(sched.pidle)} threads={len(self.allm)} "
            f"spinningthreads={sched.nmspinning} needspinning={sched.needspinning} idlethreads={idlethreads} "
            f"runqueue={len(sched.runq)} [ {lens} ] schedticks=[ {ticks} ]"
        )

    def _schedtrace(self) -> None:
        line = self.schedtrace_line()
        self.schedtrace_lines.append(line)
        if self.on_schedtrace is not None:
            self.on_schedtrace(line)

    def fast_counts(self) -> tuple[int, int, int, int, int]:
        """(live, runnable, running, syscall, waiting) user goroutines in O(P + M), not O(G): runnable
        Gs are the queues' contents, running and syscall Gs are the Ms' current Gs, waiting is the rest.
        The runtime's own goroutines (GC workers, sweeper) are left out, like runtime.NumGoroutine."""
        running = syscall = runnable = 0
        for m in self.allm:  # one pass over the Ms
            gp = m.curg
            if gp is not None:
                if gp.group != RUNTIME_GROUP:
                    if gp.status == Grunning:
                        running += 1
                    elif gp.status == Gsyscall:
                        syscall += 1
            elif m.nextp is not None:
                gp = m.lockedg  # startlockedm handed it to its M: runnable, in no queue
                if gp is not None and gp.status == Grunnable:
                    runnable += gp.group != RUNTIME_GROUP
        allp = self.allp
        runnable += len(self.sched.runq)
        for i in range(self.gomaxprocs):
            pp = allp[i]
            runnable += len(pp.runq) + (pp.runnext is not None)
        for gp in self.runtime_gs:
            if gp.status == Grunnable:
                runnable -= 1
        live = self.n_created - self.n_exited
        return live, runnable, running, syscall, live - runnable - running - syscall

    def status_counts(self) -> dict[int, int]:
        """User goroutines by status. Like runtime.NumGoroutine, the runtime's own goroutines (GC
        workers, sweeper) are not counted."""
        counts: dict[int, int] = {}
        for gp in self.allgs:
            counts[gp.status] = counts.get(gp.status, 0) + 1
        for gp in self.runtime_gs:
            counts[gp.status] -= 1
        return counts

    def check_invariants(self) -> None:
        """Assert the scheduler's structural invariants (tests call this after every step).

        Every live G is in exactly one place (running on an M, in a syscall, runnext, a local ring, the
        global queue, a channel/select wait, a timer, netpoll, blocked forever, or a free list); a P
        is held by at most one M and its M points back to it; a running G has an M and a P; a local
        ring never exceeds 256."""
        where: dict[int, str] = {}

        def put(gp, place: str) -> None:
            k = id(gp)
            assert k not in where, f"G{gp.goid} is in {where[k]} and in {place}"
            where[k] = place

        for m in self.allm:
            if m.curg is not None:
                gp = m.curg
                assert gp.status in (Grunning, Gsyscall), f"G{gp.goid} on M{m.id} has status {gp.status}"
                if gp.status == Grunning and not self.sched.gcwaiting:
                    assert m.p is not None, f"running G{gp.goid} on M{m.id} has no P"
                put(gp, f"M{m.id}")
            if m.p is not None:
                assert m.p.m is m, f"M{m.id} holds P{m.p.id} but P{m.p.id}.m is {m.p.m and m.p.m.id}"
            gp = m.lockedg
            if gp is not None and m.curg is None and gp.status == Grunnable and m.nextp is not None:
                put(gp, f"handed to its locked M{m.id}")  # startlockedm: in no queue until it runs
        for i, pp in enumerate(self.allp):
            if pp.m is not None:
                assert pp.m.p is pp, f"P{i}.m = M{pp.m.id} but that M holds {pp.m.p and pp.m.p.id}"
            assert len(pp.runq) <= C.RUNQ_SIZE, f"P{i} ring holds {len(pp.runq)}"
            if pp.runnext is not None:
                assert pp.runnext.status == Grunnable
                put(pp.runnext, f"P{i}.runnext")
            for gp in pp.runq:
                assert gp.status == Grunnable, f"G{gp.goid} in P{i}.runq has status {gp.status}"
                put(gp, f"P{i}.runq")
            for _, _, gp in pp.timers:
                put(gp, f"P{i}.timers")
            for gp in pp.gFree:
                assert gp.status == Gdead
                put(gp, f"P{i}.gFree")
        busy = {pp.id for pp in self.allp if pp.runq or pp.runnext is not None}
        assert self.p_with_work == busy, f"p_with_work = {self.p_with_work}, Ps with queued Gs: {busy}"
        assert self.ntimers == sum(len(pp.timers) for pp in self.allp), "ntimers is not the timers' count"
        heads = set(self.timer_heads)
        for pp in self.allp:
            assert not pp.timers or (pp.timers[0][0], pp.id) in heads, f"P{pp.id}'s earliest timer"
        for gp in self.sched.runq:
            assert gp.status == Grunnable, f"G{gp.goid} in the global queue has status {gp.status}"
            put(gp, "sched.runq")
        for gp in self.sched.gFree:
            put(gp, "sched.gFree")
        seen_sel: set[int] = set()
        for c in self.chans:
            if c is None:
                continue
            for q in (c.sendq, c.recvq):
                for gp, sel_id, _ in q:
                    if sel_id:
                        if gp.sel_id != sel_id or id(gp) in seen_sel:
                            continue
                        seen_sel.add(id(gp))
                    put(gp, f"chan {c.name}")
        counts = self.status_counts()
        fast = self.fast_counts()
        slow = (
            sum(n for st, n in counts.items() if st != Gdead),
            counts.get(Grunnable, 0),
            counts.get(Grunning, 0),
            counts.get(Gsyscall, 0),
            counts.get(Gwaiting, 0),
        )
        assert fast == slow, f"fast counts {fast} != by status {slow}"
        for gp in self.allgs:
            if id(gp) in where:
                continue
            assert gp.status == Gwaiting, f"G{gp.goid} (status {gp.status}) is nowhere"
            assert gp.waitreason in (WAIT_IO, WAIT_SELECT_NO_CASES) or gp.waitreason >= 9, (
                f"waiting G{gp.goid} (reason {gp.waitreason}) is in no wait queue"
            )


__all__ = ["SCHED_ASSUMPTIONS", "Scheduler"]
