"""The GC cycle on the emulated scheduler — `runtime/mgc.go`: gcStart, gcBgMarkWorker, gcMarkDone,
gcMarkTermination, gcSweep; `mgcmark.go`: gcAssistAlloc; `mgcsweep.go`: bgsweep, deductSweepCredit.

Functions keep the runtime's spelling. A Go function that waits (for a stop-the-world, or for the
virtual time its work takes) is split there, and the part after the wait is named after it with a
suffix: ``gcStart`` → ``gcStart_stopped`` → ``gcStart_marking``; ``gcMarkDone`` → ``gcMarkTermination``
→ ``gcMarkTermination_done``; ``gcAssistAlloc`` → ``gcAssistAlloc_end``.

A component of the engine beside the scheduler and the allocator (see :class:`GC`). Phases run as
the runtime runs them: STW #1 (sweep termination) stops every P at a safe point, so its length comes
out of the workload; concurrent mark runs dedicated, fractional and idle worker Gs on Ps and charges
assists to allocating Gs; STW #2 (mark termination) computes the live heap, flips the sweep
generation and commits the pacer; then the background sweeper G and allocating Gs sweep. Liveness
comes from the allocation ops' lifetimes.
"""

from __future__ import annotations

from math import exp

from ..clock import PRIO_GC, PRIO_MSTEP
from ..constants import (
    FORCEGC_PERIOD_NS,
    SWEEP_BATCH_SIZE,
    Gdead,
    Grunnable,
    Grunning,
    Gwaiting,
)
from ..constants import RUNTIME_GROUP as C_RUNTIME_GROUP
from ..runtime2 import M_WAKING, G
from ..trace.events import (
    EV,
    STW_GC_MARK_TERM,
    STW_GC_SWEEP_TERM,
    WAIT_CHAN_RECV,
    WAIT_CHAN_RECV_NIL,
    WAIT_CHAN_SEND,
    WAIT_CHAN_SEND_NIL,
    WAIT_GC_ASSIST_WAIT,
    WAIT_GC_SWEEP_WAIT,
    WAIT_GC_WORKER_IDLE,
    WAIT_IO,
    WAIT_RUNTIME_GC,
    WAIT_SELECT,
    WAIT_SELECT_NO_CASES,
    WAIT_SEMACQUIRE,
    WAIT_SLEEP,
    WORKER_DEDICATED,
    WORKER_FRACTIONAL,
    WORKER_IDLE,
)
from . import ASSUMPTIONS as PACER_ASSUMPTIONS
from .gctrace import CycleStats, format_gctrace
from .mgclimit import GC_CPU_LIMITER_UPDATE_PERIOD_NS, GCCPULimiter
from .mgcmark import COST_RUNTIME_ROOTS_NS, MARK_ASSUMPTIONS, RUNTIME_GLOBALS_BYTES, SCAN_ROOTS, MarkWork
from .mgcpacer import (
    GC_TRIGGER_CYCLE,
    GC_TRIGGER_HEAP,
    GC_TRIGGER_TIME,
    MAX_INT64,
    GCController,
    SweepPacing,
    gcPaceScavenger,
    gcPaceSweeper,
)
from .mgcpacer import deductSweepCredit as sweep_debt_pages

# gcphase values — mgc.go
_GCoff, _GCmark, _GCmarktermination = 0, 1, 2

# Modelled GC costs (virtual time; not runtime constants — listed in GC_ASSUMPTIONS); the scan costs
# are mgcmark.py's
WORKER_CHUNK_NS = 50_000  # a worker drains this much time between preemption checks
# mgcmark.go: drainCheckThreshold — an idle or fractional worker's gcDrain calls its check (pollWork,
# pollFractionalWorkerExit) once per this much scan work, not at every preemption check
DRAIN_CHECK_THRESHOLD = 100_000
# gcDrain's root loop calls check() after every markroot job (pollWork for an idle worker, a few
# hundred ns apart); the model drains an idle worker's root jobs this long between its checks
ROOT_POLL_NS = 5_000
COST_SWEEP_SPAN_NS = 300  # mspan.sweep of one span
COST_SWEEP_PAGE_NS = 40  # plus per page (bitmap work)
# gcMarkTermination's own work under STW #2 (gcMark's checks, the heap stats, sweepgen, the pacer's
# commit, per P: its mcache's stats and gcWork), base and per P: tests/fidelity/progs/stwwake's
# mark-termination clock with nothing to stop, median 1-2 µs at GOMAXPROCS=1, 2 µs at 2, 2-4 µs at 4
# (3 runs of 200 cycles each, see STW_WAKE_STALL_MEDIAN_NS)
COST_MARKTERM_NS = 1_000
COST_MARKTERM_PER_P_NS = 500
COST_SWEEPTERM_NS = 5_000  # gcStart's work under STW #1 besides finishing the sweep
# startTheWorldWithSema at the end of sweep termination hands each idle P a mark worker (procresize ->
# assignWaitingGCWorker) and wakes a parked M for it (notewakeup, a futex wake); the stopper's
# nanotime() after that loop (work.tMark) comes late: on the 2-core dev machine the woken thread and
# the waker share a CPU for a while. Measured with tests/fidelity/progs/stwwake (Go 1.27.3, 200 forced
# GCs of an empty program, gctrace's sweep-termination clock) under `chrt -f 50` (SCHED_FIFO: no other
# task on the machine can take the program's CPUs, the quiet 2-core machine the emulation models), 4
# runs each: GOMAXPROCS=1 (no P to wake) 4-5 µs median; GOMAXPROCS=2 47.5, 50, 47 and 56.5 µs (p10 24,
# 25, 26, 26 µs). The stall is the difference: median 44 µs, p10 22 µs, a log-normal draw with
# sigma = ln(44/22) / 1.2816. (The same program at 1-min load 5.5-5.9 without SCHED_FIFO gave 86 µs:
# that figure measures the neighbours, not the wake-up.)
STW_WAKE_STALL_MEDIAN_NS = 44_000
STW_WAKE_STALL_SIGMA = 0.54
# The used part of a goroutine's stack (stack.hi - sched.sp, what scanstack scans and
# gcController.lastStackScan counts) when its function parks directly at a park site, by wait reason.
# Measured with tests/fidelity/progs/stackused (Go 1.27.3, linux/amd64): /gc/scan/stack:bytes after
# runtime.GC() with 20,000 goroutines parked there (400 for the pipe read), minus a run with none,
# divided by the count; every site gave a whole number of bytes. `<-ch` and `ch <- v` 264 B,
# a two-case select 504 B, select {} 144 B, time.Sleep 184 B, an os.Pipe read (IO wait) 488 B
# (sync.Mutex.Lock 344 B and WaitGroup.Wait 304 B, for ops to come).
STACK_USED_AT_PARK_BYTES = {
    WAIT_CHAN_RECV: 264,
    WAIT_CHAN_SEND: 264,
    WAIT_CHAN_RECV_NIL: 264,  # (not measured: as <-ch; chanrecv parks from the same frame)
    WAIT_CHAN_SEND_NIL: 264,
    WAIT_SELECT: 504,
    WAIT_SELECT_NO_CASES: 144,
    WAIT_SLEEP: 184,
    WAIT_IO: 488,
}
# SIMPLIFICATION: a goroutine that is runnable, running, in a syscall or parked elsewhere (not
# measured) counts this much
DEFAULT_STACK_USED_BYTES = 512
# gcMarkTermination after startTheWorldWithSema: mProf_Flush + prepareFreeWorkbufs + freeStackSpans on
# the caller's thread before forEachP(flushProcCaches) (modelled; a small program's profile buckets,
# workbuf list and stack pools are short)
COST_MARKTERM_TAIL_NS = 3_000
# bgsweep's pass that finds nothing to sweep (sweepone returning ^0, freeSomeWbufs, sweep.lock,
# isSweepDone) is folded into the yield's COST_SCHEDULE_NS. While an idle P exists and no preemption is
# asked, goschedIfBusy returns and the sweeper spins; the model re-checks every BGSWEEP_SPIN_CHECK_NS.
BGSWEEP_SPIN_CHECK_NS = 1_000

# What mark termination's caller does after the world restarted (gcMarkTermination's tail)
MARKTERM_RESTARTED = 0  # next: mProf_Flush, prepareFreeWorkbufs, freeStackSpans (their cost)
MARKTERM_FLUSHING = 1  # in forEachP(flushProcCaches), asleep on sched.safePointNote with its P
MARKTERM_FLUSHED = 2  # forEachP returned: the worker goes back to its pool
MARKTERM_SEMA = 3  # blocked in gcMarkDone's semacquire(&worldsema): another STW holds it

# The runtime's own goroutines are shown in this group (GoCreate a1)
RUNTIME_GROUP = C_RUNTIME_GROUP
WORKER_SWEEPER = 4

_GoBlock = int(EV.GoBlock)
_GoUnblock = int(EV.GoUnblock)

#: GC.heap_trigger may reuse gcController.trigger() while the memory limit is off: with memoryLimit =
#: MaxInt64, mappedReady <= 2**60 and heapFree, heapAlloc >= 0, memoryLimitHeapGoal is at least
#: 0.97 * (2**63 - 1 - 2**60) > 2**62, so for a GOGC goal <= 2**62 heapGoalInternal never takes the
#: memory-limit branch and the memstats drop out of the trigger
_NO_LIMIT_MAPPED_MAX = 1 << 60
_NO_LIMIT_GOAL_MAX = 1 << 62

GC_ASSUMPTIONS = (
    "GC: liveness comes from each allocation's lifetime, not from tracing pointers; an object is marked "
    "if it was reachable when the mark phase began (the hybrid write barrier's snapshot), and objects "
    "allocated during mark are black.",
    f"GC: workers look at their preempt flag every {WORKER_CHUNK_NS // 1000} µs of scanning (the runtime: "
    "between objects); idle and fractional workers ask whether to stop once per drainCheckThreshold "
    f"({DRAIN_CHECK_THRESHOLD:,} B) of scan work, as gcDrain does; an assist scans at "
    "most that long at a time (a G still in debt assists again at its next allocation).",
    "GC: stacks are shrunk at the start of mark (their scan is a markroot job like the runtime's); a "
    "parked goroutine's used stack is its park site's, measured on Go 1.27 (chanrecv 264 B, select 504 B, "
    f"sleep 184 B, IO 488 B, select {{}} 144 B), plus kept `stack` frames; any other G counts "
    f"{DEFAULT_STACK_USED_BYTES} B.",
    f"GC: mark termination costs {COST_MARKTERM_NS / 1000:g} µs + {COST_MARKTERM_PER_P_NS / 1000:g} µs per P "
    "under STW (measured: tests/fidelity/progs/stwwake); sweeping "
    f"{COST_SWEEP_SPAN_NS} ns per span + {COST_SWEEP_PAGE_NS} ns per page (modelled).",
    "GC: when the sweep-termination startTheWorld wakes a parked M for an idle P's mark worker, the "
    f"stopper's thread stalls for a log-normal draw (median {STW_WAKE_STALL_MEDIAN_NS // 1000} µs, measured "
    "with tests/fidelity/progs/stwwake on the 2-core dev machine) before its G goes on; gctrace's "
    "sweep-termination clock includes it, the woken P marks meanwhile. SIMPLIFICATION: only this "
    "start-the-world stalls its waker (not every wake-up), a runtime.GC() caller that parks at once "
    "only counts it in the clock, and the STW event (the lanes, the pause statistics) ends at the restart "
    "(a real trace's STWDone comes after the stall).",
    "GC: runtime.GC() waits for the running cycle if one is already under way (the runtime starts one more).",
    "GC: a stack job of a G that runs again as soon as gcStart restarts the world (its caller, the Gs the "
    "STW preempted into runnext) costs suspendG's wait for its safe point (one async preemption's "
    "latency); every other G's stack is taken at once, and a G's own assist waits for itself too.",
    "GC: gcMarkDone's ragged barrier runs twice when any P drained mark work since the last one (its "
    "gcWork flushed work): the emulated grey set is fixed at mark start, so the second barrier finds "
    "nothing and the world stops after it.",
    f"GC: an idle worker's pollWork runs every {ROOT_POLL_NS // 1000} µs of root jobs (the runtime: after "
    "every markroot job); a fractional worker's root drain ends where pollFractionalWorkerExit turns true.",
    "GC: the scavenger releases memory at the end of each sweep (no 1%-CPU background pacing).",
    f"GC: after the world restarts, mark termination's mProf_Flush, prepareFreeWorkbufs and "
    f"freeStackSpans take {COST_MARKTERM_TAIL_NS // 1000} µs on the P of the mark worker that finished "
    "the mark (off any P when an assist finished it), then forEachP(flushProcCaches) "
    "runs on each P at its next safe point; sweep.active is held (bgsweep loops on goschedIfBusy) and a "
    "GC that triggers meanwhile starts when it ends (worldsema).",
    "GC: gcMarkDone waits for worldsema while another stop-the-world holds it (the mark worker parks, "
    "waitReasonSemacquire); when an assist finished the mark, the assist goes on and gcMarkDone is "
    "retried once the world restarts.",
    "GC: bgsweep's pass that finds nothing to sweep costs nothing beyond the yield's schedule(); "
    f"spinning beside an idle P, it re-checks every {BGSWEEP_SPIN_CHECK_NS // 1000} µs.",
    "Memory: the OOM check compares mapped heap memory (including stacks) not released to the OS with "
    "the container limit; runtime metadata is not counted.",
)


def stack_used_bytes(gp: G) -> int:
    """The used part of gp's stack a scan counts (scanstack: stack.hi - sched.sp): the frames a kept
    `stack` op left (``gp.stack_used``) plus the park site's own (STACK_USED_AT_PARK_BYTES)."""
    site = DEFAULT_STACK_USED_BYTES
    if gp.status == Gwaiting:
        site = STACK_USED_AT_PARK_BYTES.get(gp.waitreason, DEFAULT_STACK_USED_BYTES)
    return gp.stack_used + site


class GC:
    """The GC driver: gcStart … gcMarkTermination, mark workers, assists and sweeping, over the scheduler
    (``rt``: stop/start the world, Ms, parking and readying Gs) and the allocator (``mem``).

    What the scheduler asks of it: ``gcBlackenEnabled``, ``findRunnableGCWorker``, ``findIdleGCWorker``,
    ``gcMarkWorkAvailable``, ``gcBgMarkWorker`` (a worker G's step), ``gcAssistAlloc_end``,
    ``gc_alloc_cost`` (after each mallocgc batch), ``runtime_GC``, ``setGCPercent``, ``setMemoryLimit``,
    ``sysmon_gc_check``, ``procresize``; the allocator calls ``gc_trigger_check`` after a span refill
    or a large object. Its functions are in mgc.go's order, the pacer's and sweeper's after them."""

    def __init__(
        self, rt, mem, gogc: int | None, memlimit_bytes: int | None, greentea: bool | None = None
    ) -> None:
        self.rt = rt
        self.mem = mem
        self.clock = rt.clock
        self.at = rt.clock.at
        self.ext = rt.ext
        self.ev = rt.ev
        self.allocator = mem.allocator
        sc = rt.scenario
        self.gcBlackenEnabled = 0
        self.gogc = sc.gogc if gogc is None else gogc
        self.memlimit = sc.memlimit_bytes if memlimit_bytes is None else memlimit_bytes
        limit = self.memlimit if self.memlimit is not None and self.memlimit >= 0 else MAX_INT64
        self.gcController = GCController(self.gogc, limit)
        #: the scenario's globals (its own data/BSS root jobs; the runtime's are mgcmark.py's)
        self.globals_bytes = sc.globals_bytes
        # modulesinit: gcController.addGlobals(scanDataSize + scanBSSSize) of the one module, whose data
        # and BSS hold the runtime's own globals (RUNTIME_GLOBALS_BYTES) besides the program's
        self.gcController.addGlobals(sc.globals_bytes + RUNTIME_GLOBALS_BYTES)
        self.gcController.commit(True)
        self.limiter = GCCPULimiter()
        self.gcphase = _GCoff
        self.gc_cycles = 0
        self.gc_worker_pool: list[G] = []
        self.gc_workers_made = 0
        #: scenario `greentea` (GOEXPERIMENT=nogreenteagc when false): Go 1.26's default marker
        self.greentea = sc.greentea if greentea is None else bool(greentea)
        #: scenario `pointer_percent`: the share of a scan object's words that are pointers
        self.ptr_fraction = sc.pointer_percent / 100
        self.work = MarkWork(self.greentea, rt.gomaxprocs, self.ptr_fraction)
        self.worker_work: dict[int, int] = {}  # goid -> scan work since the worker G started (its event)
        self.worker_check: dict[int, int] = {}  # goid -> scan work since its last gcDrain check()
        #: the Ps whose gcWork greyed something since gcMarkDone's last ragged barrier (pp.gcw.flushedWork)
        self.flushed_ps: set[int] = set()
        self.gcMarkDoneFlushed = 0
        #: gcMarkDone is in its ragged barriers or waits for the world to stop (its caller's M sleeps)
        self.markdone_waiting = False
        self.gc_marktermination = False
        self.gc_trigger_kind = 0
        self.gc_waiters: list[G] = []
        self.assist_queue: list[G] = []  # work.assistQueue: Gs parked in gcParkAssist
        self.sweeper: G | None = None
        self.worldsema_held = False  # gcMarkTermination's forEachP still runs (after the world restarted)
        self.gc_start_pending = -1  # trigger kind of a gcStart waiting for worldsema, or -1
        #: gcStart holds worldsema until this time: its stopper is in startTheWorld's wake-up stall
        self.stw_stall_until = 0
        # the mark worker whose gcMarkDone stopped the world; it runs mark termination's tail on its P
        self.markterm_g: G | None = None
        self.markterm_m = None
        self.markterm_step = 0  # MARKTERM_* below
        self.markdone_sema = False  # gcMarkDone waits for worldsema (another STW holds it)
        self.sweep_pacing = SweepPacing()
        self.sweep_cost_pending = 0
        self.last_gc_ns = 0
        self.tSweepTerm = self.tMark = self.tMarkTerm = 0
        # work.tMark as gctrace reads it: the stopper's nanotime() after startTheWorld (tMark is the
        # snapshot the marked set is taken at, which the wake-up stall does not move)
        self.tMarkStarted = 0
        self.heap0 = self.heap1 = 0
        self.gc_cpu_ns = 0  # assists + workers (idle excluded) + STW x procs, all cycles
        self.gc_assist_total_ns = 0
        self.gc_pause_sweepterm = []  # ns per cycle
        self.gc_pause_markterm = []
        self.gc_goals = []
        self.gc_trace_lines: list[str] = []
        self.on_gctrace = None
        self.gc_stack_scan = 0
        self.allocator.deduct_sweep_credit = self.deductSweepCredit
        self.container_limit = sc.container_limit_bytes
        self._trigger_key: tuple | None = None  # heap_trigger's memo: its inputs, and the result
        self._trigger_memo = (0, 0)

    def runtime_GC(self, m, gp) -> bool:
        """mgc.go: GC — runtime.GC: start a cycle (or join the running one) and park until it is done
        and swept."""
        if self.gcphase == _GCoff and not self.rt.sched.gcwaiting:
            self.gc_waiters.append(gp)
            self.gcStart(GC_TRIGGER_CYCLE, m)
            if self.rt.stw_caller is m:
                # gcStart's STW took this G's P: park once the world restarts (see gcStart_marking)
                return True
        else:
            self.gc_waiters.append(gp)
        self.rt.gopark(m, gp, WAIT_RUNTIME_GC, self.gc_cycles + 1)
        return True

    def gc_trigger_check(self, m, gp) -> None:
        """mallocgc: `if checkGCTrigger && gcTrigger{kind: gcTriggerHeap}.test() { gcStart(t) }`."""
        self._check_oom()
        if self.clock.stopped:
            return
        self.gcTrigger_test(m)

    def gcTrigger_test(self, m) -> None:
        """mgc.go: gcTrigger.test — the heap trigger (GOGC or the memory limit); gcStart when it fires."""
        if self.gcphase != _GCoff or self.rt.sched.gcwaiting or self.clock.stopped:
            return
        self._sync_memstats()
        c = self.gcController
        if c.gcPercent < 0 and c.memoryLimit == MAX_INT64:
            return
        trigger, _ = self.heap_trigger()
        if c.heapLive >= trigger:
            self.gcStart(GC_TRIGGER_HEAP, m)

    def heap_trigger(self) -> tuple[int, int]:
        """gcController.trigger() (trigger, heapGoal), remembered while its inputs stay the same.

        The runtime computes it on every heap trigger test, after each span refill or large object,
        cheaply; here that was several microseconds each. With the memory limit off the result depends
        only on the pacer fields in the key (see _NO_LIMIT_GOAL_MAX), which change once or twice a
        cycle; otherwise (a memory limit, GOGC off) it is computed every time."""
        c = self.gcController
        if (
            c.memoryLimit == MAX_INT64
            and c.gcPercentHeapGoal <= _NO_LIMIT_GOAL_MAX
            and c.mappedReady <= _NO_LIMIT_MAPPED_MAX
            and c.heapFree >= 0
            and c.heapAlloc >= 0
        ):
            # every input of trigger() and heapGoalInternal() but the memstats
            key = (c.gcPercentHeapGoal, c.sweepDistMinTrigger, c.triggered, c.heapMarked, c.runway)
            if key != self._trigger_key:
                self._trigger_memo = c.trigger()
                self._trigger_key = key
            return self._trigger_memo
        return c.trigger()

    def gcStart(self, trigger_kind: int, m) -> None:
        """mgc.go: gcStart — finish the sweep, stop the world, start the mark phase."""
        now = self.clock.now
        if self.gcphase != _GCoff or self.rt.sched.gcwaiting:
            return
        if self.worldsema_held:
            # semacquire(&worldsema): mark termination's forEachP still runs; start when it ends
            if self.gc_start_pending != GC_TRIGGER_CYCLE:
                self.gc_start_pending = trigger_kind
            return
        self.gcphase = _GCmark  # claimed: no second gcStart (work.startSema)
        self.gc_trigger_kind = trigger_kind
        self.gcBgMarkStartWorkers()
        a = self.allocator
        self.heap0 = a.heap_live
        self.tSweepTerm = now
        self.ev.GCBegin(
            now, *self.rt.who(m), cycle=self.gc_cycles + 1, trigger=trigger_kind, heap_live=a.heap_live
        )
        self.limiter.startGCTransition(True, now)
        self.rt.stopTheWorld(STW_GC_SWEEP_TERM, self.gcStart_stopped, m)

    def gcStart_stopped(self) -> None:
        """mgc.go: gcStart, the world stopped — finishsweep_m, clearpools; the work takes virtual time
        under the STW, then gcStart_marking goes on."""
        now = self.clock.now
        pages = self.allocator.finish_sweep(now)
        cost = COST_SWEEPTERM_NS + pages * COST_SWEEP_PAGE_NS
        self.at(now + cost, PRIO_GC, self.gcStart_marking)

    def gcStart_marking(self, _obj=None, _token=0) -> None:
        """mgc.go: gcStart steps 12-19 — startCycle, _GCmark with the write barrier, workers, start the
        world (clock handler, after gcStart_stopped's modelled cost)."""
        now = self.clock.now
        a = self.allocator
        c = self.gcController
        self.gc_cycles += 1
        self._sync_memstats()
        c.startCycle(now, self.rt.gomaxprocs, self.gc_trigger_kind)
        for pp in self.rt.allp:
            pp.gcFractionalMarkTime = 0  # startCycle: "Clear per-P state"
        for gp in self.rt.allgs:
            gp.gcAssistBytes = 0  # gcResetMarkState: no G carries credit or debt into a cycle
        a.set_marking(True, now)
        self.tMark = self.tMarkStarted = now
        # The snapshot the hybrid barrier preserves: what is reachable now gets marked.
        a.mark(now)
        stacks, waits = self._scan_stacks()
        # gcPrepareMarkRoots, and the grey set the snapshot's mark bits give
        self.work = MarkWork(self.greentea, self.rt.gomaxprocs, self.ptr_fraction)
        self.work.prepare(
            a.spans, a.heap.mapped_pages, self.globals_bytes, stacks, COST_RUNTIME_ROOTS_NS, waits
        )
        self.flushed_ps.clear()
        self.gc_marktermination = False
        self.gcBlackenEnabled = 1
        dedicated = c.dedicatedMarkWorkersNeeded
        self.ev.GCMarkBegin(
            now,
            -1,
            -1,
            0,
            cycle=self.gc_cycles,
            dedicated=dedicated,
            fractional_ppm=int(c.fractionalUtilizationGoal * 1e6),
        )
        self.limiter.finishGCTransition(now)
        caller = self.rt.stw_caller
        self._pause(self.gc_pause_sweepterm, now - self.tSweepTerm)
        self.rt.startTheWorld()
        if caller is not None and caller.curg is not None and caller.curg in self.gc_waiters:
            # runtime.GC's caller waits for the cycle (gcWaitOnMark)
            m = caller
            m.token += 1
            self.rt.gopark(m, m.curg, WAIT_RUNTIME_GC, self.gc_cycles)
        self.enlistWorker(dedicated)
        self._startTheWorld_wake_stall(caller, now)

    def _startTheWorld_wake_stall(self, caller, now: int) -> None:
        """startTheWorldWithSema's wake-up loop (``notewakeup(&mp.park)`` for the Ps procresize gave a
        mark worker) stalls the stopper's thread before its ``now = nanotime()`` (work.tMark) on the
        2-core dev machine (STW_WAKE_STALL_*, measured): when this restart woke an M, the caller's G goes
        on after the stall and gctrace's sweep-termination clock (tMarkStarted) includes it; the woken Ps
        run their workers meanwhile, as the real ones do before the STW "ends". It is not GC CPU: gcStart
        accumulates the pause's CPU (accumulateGCPauseTime) before startTheWorldWithSema. SIMPLIFICATION:
        the STW event (and so the pause statistics and the metrics) ends at the restart; a real execution
        trace's STWDone comes after the stall."""
        if not any(m.state == M_WAKING for m in self.rt.allm):
            return
        stall = int(STW_WAKE_STALL_MEDIAN_NS * exp(STW_WAKE_STALL_SIGMA * self.rt.rng.gauss(0.0, 1.0)))
        self.tMarkStarted = self.stw_stall_until = now + stall
        if caller is not None and caller.curg is not None and caller.curg.status == Grunning:
            caller.token += 1
            self.at(now + stall, PRIO_MSTEP, self.rt.mstep, caller, caller.token)

    def _pause(self, series: list, ns: int) -> None:
        series.append(ns)
        self.gc_cpu_ns += ns * self.rt.gomaxprocs

    def _scan_stacks(self) -> tuple[list[int], list[int]]:
        """The markroot stack jobs' sizes: the used part of every G's stack (shrunk if under 1/4 used),
        and the time each job's suspendG waits for its G to stop (see _running_after_restart)."""
        used_list = []
        waits = []
        running = self._running_after_restart()
        for gp in self.rt.allgs:
            if gp.status == Gdead or gp.is_worker:
                continue
            used = stack_used_bytes(gp)
            used_list.append(min(used, gp.stack_bytes))
            waits.append(self.rt.async_preempt_ns() if gp in running else 0)
            if gp.status in (Grunnable, Gwaiting):  # isShrinkStackSafe: not running, not in a syscall
                self.mem.shrinkstack(gp, used_bytes=used)  # the same used size the scan counted
        self.gc_stack_scan = sum(used_list)
        return used_list, waits

    def _running_after_restart(self) -> list[G]:
        """The Gs that run again as soon as gcStart restarts the world: the G that called gcStart and
        those the sweep-termination STW preempted, which goschedImpl keeps in their P's runnext (Go 1.27:
        "so it can keep running immediately after the STW"). When markroot scans their stacks they are
        running: suspendG asks them to stop and waits for their next safe point (preemptM's signal,
        async_preempt_ns). SIMPLIFICATION: every other G is parked, runnable or in a syscall when its
        stack is scanned (suspendG takes it at once), and a G's own assist waits for itself too."""
        out = [pp.runnext for pp in self.rt.allp[: self.rt.gomaxprocs] if pp.runnext is not None]
        caller = self.rt.stw_caller
        if caller is not None and caller.curg is not None and caller.curg not in self.gc_waiters:
            out.append(caller.curg)
        return out

    def _new_runtime_g(self, pp) -> G:
        now = self.clock.now
        gp = G()
        self.rt.allgs.append(gp)
        self.rt.runtime_gs.append(gp)
        gp.goid = self.rt.newgoid(pp)
        gp.group = RUNTIME_GROUP
        gp.created_ns = now
        self.mem.stack_init(gp, pp)
        self.ev.GoCreate(now, pp.id, -1, gp.goid, parent=0, group=RUNTIME_GROUP, stack_bytes=gp.stack_bytes)
        return gp

    def enlistWorker(self, n: int) -> None:
        """mgcpacer.go: enlistWorker — n times, and procresize's part: give idle Ps mark workers,
        preempt running Ps for dedicated ones."""
        sched = self.rt.sched
        for _ in range(n):
            if sched.pidle:
                self.rt.startm(None, False)
            else:
                running = [
                    self.rt.allp[i]
                    for i in range(self.rt.gomaxprocs)
                    if self.rt.allp[i].m is not None
                    and self.rt.allp[i].m.curg is not None
                    and not self.rt.allp[i].m.curg.is_worker
                ]
                if running:
                    pp = running[int(self.rt.rng.random() * len(running))]
                    self.rt.preemptone(pp, self.rt.async_preempt_ns())
        c = self.gcController
        while sched.pidle and c.needIdleMarkWorker():
            self.rt.startm(None, False)
            if not sched.pidle:
                break

    def gcMarkDone(self, caller=None) -> None:
        """mgc.go: gcMarkDone — no work left: stop the world for mark termination (``caller``: the M of
        the mark worker that found no work left, which runs mark termination and its tail)."""
        if self.gc_marktermination:
            return
        self.gc_marktermination = True  # (work.markDoneSema: one gcMarkDone at a time)
        self.markdone_waiting = True
        self.gcMarkDone_top(caller)

    def gcMarkDone_top(self, caller) -> None:
        """gcMarkDone's `top:` — semacquire(&worldsema) (another stop-the-world may hold it), then the
        ragged barrier: every P flushes its write barrier buffer and gcWork at its next safe point
        (running Ps are preempted), counting the Ps that had flushed work."""
        if self.rt.sched.gcwaiting:
            self._gcMarkDone_semacquire(caller)
            return
        if self.clock.now < self.stw_stall_until:
            # gcStart has not yet released worldsema (semrelease after startTheWorldWithSema returns):
            # its stopper is still in the wake-up stall; gcMarkDone's semacquire goes on after it
            self.at(self.stw_stall_until, PRIO_GC, self._gcMarkDone_after_stall, caller)
            return
        self.gcMarkDoneFlushed = 0
        self.rt.forEachP(self.gcMarkDone_flush, lambda: self.gcMarkDone_flushed(caller), caller)
        self._notesleep(caller)

    def _gcMarkDone_after_stall(self, caller, _token=0) -> None:
        """gcMarkDone's semacquire(&worldsema) returns: gcStart released it after its wake-up stall
        (clock handler). SIMPLIFICATION: the waiting worker keeps its P meanwhile (the runtime's parks on
        the semaphore)."""
        if self.gc_marktermination and self.gcBlackenEnabled:
            self.gcMarkDone_top(caller)

    def _gcMarkDone_semacquire(self, caller) -> None:
        """gcMarkDone's ``semacquire(&worldsema)`` while another stop-the-world (a GOMAXPROCS change,
        runtime.GC's) holds it: forEachP may not run then (it would preempt that STW's caller). The
        worker's G parks (waitReasonSemacquire) and its M stops for that STW (schedule -> gcstopm);
        semrelease in startTheWorld readies it (gcMarkDone_semrelease).

        SIMPLIFICATION: from an assist (no caller M) the assist goes on and gcMarkDone is retried when
        the world restarts, instead of the assisting G blocking on the semaphore."""
        self.markdone_sema = True
        self.markdone_waiting = False  # (parked on the semaphore, or an assist that goes on)
        if caller is not None and caller.curg is self.markterm_g and self.markterm_g is not None:
            self.markterm_step = MARKTERM_SEMA
            self.rt.gopark(caller, caller.curg, WAIT_SEMACQUIRE)

    def gcMarkDone_semrelease(self) -> None:
        """startTheWorld's semrelease(&worldsema) with gcMarkDone waiting for it: the parked worker is
        readied (it retries gcMarkDone when it runs: gcMarkTermination_caller), or an assist's deferred
        gcMarkDone is retried now."""
        if not self.markdone_sema:
            return
        self.markdone_sema = False
        self.gc_marktermination = False
        gp = self.markterm_g
        if gp is not None and self.markterm_step == MARKTERM_SEMA:
            self.rt.ready(gp, None, False)
            return
        if self.work.empty() and self.gcBlackenEnabled:
            self.gcMarkDone()

    def _notesleep(self, m) -> None:
        """forEachPInternal's caller sleeps on sched.safePointNote (notetsleep, a futex): while the other
        Ps reach their safe points its thread gives up its CPU; its next step (when forEachP's last P
        wakes it) asks the OS for one again."""
        if m is not None and self.rt.safePointDone is not None and self.rt.safePointCaller is m:
            held = m.cpu >= 0
            self.rt.os.release(m)
            if held:
                # SIMPLIFICATION: the M lane has no "asleep in the runtime" state; it is drawn off its
                # CPU as a wait (MCPUWait) until its next event, so the CPU lanes agree with the OS model
                self.ev.MCPUWait(self.clock.now, m.p.id if m.p else -1, m.id, 0, reason=0, waiting=0)

    def gcMarkDone_flush(self, pp) -> None:
        """gcMarkDone's forEachP function — wbBufFlush1(pp); pp.gcw.dispose(); collect flushedWork.
        A P's gcWork flushed work if it greyed anything since the last barrier (Green Tea sets
        flushedWork at each span it queues, tryDeferToSpanScan; the classic marker when it hands a
        workbuf to the full list), which any P that drained mark work did."""
        if pp.id in self.flushed_ps:
            self.flushed_ps.discard(pp.id)
            self.gcMarkDoneFlushed += 1

    def gcMarkDone_flushed(self, caller) -> None:
        """gcMarkDone after its ragged barrier: if a P had flushed work, `goto top` (the emulated grey
        set is fixed at mark start, so what it flushed is already marked: gcIsMarkDone holds and the
        barrier runs again at once); else tMarkTerm, then stop the world for mark termination."""
        if self.gcMarkDoneFlushed:
            self.gcMarkDone_top(caller)
            return
        now = self.clock.now
        self.tMarkTerm = now
        self.heap1 = self.allocator.heap_live
        self.ev.GCMarkDone(now, -1, -1, 0, cycle=self.gc_cycles, heap_live=self.allocator.heap_live)
        self.limiter.startGCTransition(False, now)
        self.rt.stopTheWorld(STW_GC_MARK_TERM, self.gcMarkTermination, caller)

    def gcMarkTermination(self) -> None:
        """mgc.go: gcMarkTermination — under STW #2: live heap, _GCoff, sweepgen += 2, pacer commit;
        the pause goes on for its modelled cost, then gcMarkTermination_done."""
        now = self.clock.now
        a = self.allocator
        c = self.gcController
        self.markdone_waiting = False
        self.gcBlackenEnabled = 0
        self.gcphase = _GCmarktermination
        c.heapLive = a.heap_live
        c.endCycle(now, self.rt.gomaxprocs, self.gc_trigger_kind == GC_TRIGGER_CYCLE)
        marked = a.mark(self.tMark)
        c.resetLive(marked)
        c.lastStackScan = self.gc_stack_scan
        a.heap_live = marked
        a.heap_scan = a.heap_scan_marked
        self.heap2 = marked
        a.set_marking(False, now)
        self.gcphase = _GCoff
        a.start_sweep_phase()
        # sweep.active.begin(): held until forEachP(flushProcCaches) has run on every P (the tail)
        self.worldsema_held = a.sweeper.begin()
        self._sync_memstats()
        trigger, goal = c.gcControllerCommit(False, True)
        self.gc_goals.append(c.lastHeapGoal)
        st = a.memstats()
        gcPaceSweeper(
            self.sweep_pacing, trigger, a.heap_live, st["PagesInUse"], st["PagesSwept"], a.sweep_done
        )
        self.ev.HeapGoal(now, -1, -1, 0, goal_bytes=goal, trigger_bytes=trigger, heap_marked=marked)
        cost = COST_MARKTERM_NS + COST_MARKTERM_PER_P_NS * self.rt.gomaxprocs
        self.at(now + cost, PRIO_GC, self.gcMarkTermination_done)

    def gcMarkTermination_done(self, _obj=None, _token=0) -> None:
        """mgc.go: gcMarkTermination's end — the gctrace line, startTheWorld, gcSweep, and runtime.GC's
        waiters (clock handler)."""
        now = self.clock.now
        self._pause(self.gc_pause_markterm, now - self.tMarkTerm)
        self.last_gc_ns = now
        self.limiter.numgc = self.gc_cycles
        self.limiter.finishGCTransition(now)
        self.ev.GCEnd(now, -1, -1, 0, cycle=self.gc_cycles, heap_marked=self.heap2)
        self._gctrace(now)
        caller = self.rt.stw_caller
        self.rt.startTheWorld()
        self.gcWakeAllAssists()  # (gcMarkDone wakes them under the STW; they run once it ends)
        self.gcSweep(caller)
        if self.markterm_g is not None:
            self.markterm_step = MARKTERM_RESTARTED  # startTheWorld resumed the caller: its tail next
        elif self.worldsema_held:
            self.at(now + COST_MARKTERM_TAIL_NS, PRIO_GC, self.gcMarkTermination_tail)
        else:
            self.allocator.free_stack_spans(now)
            self._flush_all_proc_caches(now)
        waiters, self.gc_waiters = self.gc_waiters, []
        for gp in waiters:
            if gp.status == Gwaiting and gp.waitreason == WAIT_RUNTIME_GC:
                # runtime.GC finishes the sweep itself before returning
                pages = self.allocator.finish_sweep(now)
                gp.resume_ns = pages * COST_SWEEP_PAGE_NS
                self.rt.ready(gp, None, False)

    def gcMarkTermination_tail(self, _obj=None, _token=0) -> None:
        """mgc.go: gcMarkTermination after startTheWorldWithSema — mProf_Flush, prepareFreeWorkbufs and
        freeStackSpans are done (their modelled cost passed); forEachP(waitReasonFlushProcCaches) next,
        and sweep.active.end(sl) once every P ran it (clock handler: the caller is not on a P)."""
        self.allocator.free_stack_spans(self.clock.now)
        self.rt.forEachP(self.flushProcCaches, self.gcMarkTermination_flushed)

    def gcMarkTermination_caller(self, m, gp) -> None:
        """gcMarkTermination's tail on the mark worker that called gcMarkDone, one step per call: its
        P runs mProf_Flush, prepareFreeWorkbufs and freeStackSpans, then forEachP(flushProcCaches)
        with the P held (a preemption meanwhile changes nothing), then the worker parks."""
        step = self.markterm_step
        gp.preempt = False
        if step == MARKTERM_SEMA:
            # back from gcMarkDone's semacquire: `goto top`, its checks again
            self.markterm_m = m
            self.markterm_step = MARKTERM_RESTARTED
            if self.work.empty() and self.gcBlackenEnabled and not self.gc_marktermination:
                self.gcMarkDone(m)
                return
            self.markterm_g = self.markterm_m = None
            self._worker_to_pool(m, gp)
            self.rt.schedule(m)
            return
        if self.markdone_waiting:
            # still in gcMarkDone (forEachP's notesleep, then stopTheWorldWithSema): a preemption
            # (sysmon's retake) has no effect on it; startTheWorld steps it once mark termination is done
            return
        if step == MARKTERM_RESTARTED:
            self.markterm_step = MARKTERM_FLUSHING
            if self.worldsema_held:
                # busy in mProf_Flush & co. for that long: a thief's runqgrab (usleep(3), then take
                # runnext) finds it still running, not about to run its runnext (the sweeper) itself
                gp.busy_until = self.clock.now + COST_MARKTERM_TAIL_NS
                self.at(gp.busy_until, PRIO_MSTEP, self.rt.mstep, m, m.token)
                return
            # the sweep was done under STW: nothing to wait for
            self.allocator.free_stack_spans(self.clock.now)
            self._flush_all_proc_caches(self.clock.now)
            step = self.markterm_step = MARKTERM_FLUSHED
        elif step == MARKTERM_FLUSHING and self.rt.safePointDone is None and self.worldsema_held:
            self.allocator.free_stack_spans(self.clock.now)
            self.rt.forEachP(self.flushProcCaches, self.gcMarkTermination_flushed, m)
            self._notesleep(m)
            return
        if step != MARKTERM_FLUSHED:
            return  # asleep in forEachP
        self.markterm_g = self.markterm_m = None
        self.markterm_step = MARKTERM_RESTARTED
        self._worker_to_pool(m, gp)
        self.rt.schedule(m)

    def flushProcCaches(self, pp) -> None:
        """mgc.go: gcMarkTermination's forEachP function — pp.mcache.prepareForSweep() (idle Ps' page
        caches are not modelled)."""
        self.allocator.prepare_for_sweep(pp.id, self.clock.now)

    def _flush_all_proc_caches(self, now: int) -> None:
        for p in range(self.rt.gomaxprocs):
            self.allocator.prepare_for_sweep(p, now)

    def gcMarkTermination_flushed(self) -> None:
        """mgc.go: gcMarkTermination — `sweep.active.end(sl)` after forEachP, then semrelease(&worldsema):
        a gcStart that waited for it goes on."""
        self.allocator.sweeper.end()
        self.worldsema_held = False
        m = self.markterm_m
        if m is not None:
            self.markterm_step = MARKTERM_FLUSHED
            m.token += 1
            self.at(self.clock.now, PRIO_MSTEP, self.rt.mstep, m, m.token)
        rt = self.rt
        if rt.stw_queue and not rt.sched.gcwaiting:
            reason, then, c = rt.stw_queue.pop(0)
            rt.stopTheWorld(reason, then, c)
        kind, self.gc_start_pending = self.gc_start_pending, -1
        if kind == GC_TRIGGER_CYCLE:
            self.gcStart(kind, None)
        elif kind >= 0:
            self.gcTrigger_test(None)

    def _gctrace(self, now: int) -> None:
        c = self.gcController
        procs = self.rt.gomaxprocs
        elapsed = max(now, 1) * procs
        cs = CycleStats(
            numgc=self.gc_cycles,
            tSweepTerm=self.tSweepTerm,
            tMark=self.tMarkStarted,
            tMarkTerm=self.tMarkTerm,
            tEnd=now,
            gc_cpu_fraction=self.gc_cpu_ns / elapsed,
            stwprocs=procs,
            assistTime=c.assistTime,
            dedicatedMarkTime=c.dedicatedMarkTime,
            fractionalMarkTime=c.fractionalMarkTime,
            idleMarkTime=c.idleMarkTime,
            heap0=self.heap0,
            heap1=self.heap1,
            heap2=self.heap2,
            lastHeapGoal=c.lastHeapGoal,
            lastStackScan=c.lastStackScan,
            globalsScan=c.globalsScan,
            maxprocs=procs,
            userForced=self.gc_trigger_kind == GC_TRIGGER_CYCLE,
        )
        line = format_gctrace(cs)
        self.gc_trace_lines.append(line)
        if self.on_gctrace is not None:
            self.on_gctrace(line)

    def gcBgMarkStartWorkers(self) -> None:
        """mgc.go: gcBgMarkStartWorkers — one mark worker G per P, parked in gcBgMarkWorkerPool."""
        pp = self.rt.allp[0]
        while self.gc_workers_made < self.rt.gomaxprocs:
            gp = self._new_runtime_g(pp)
            gp.is_worker = True
            gp.status = Gwaiting
            gp.waitreason = WAIT_GC_WORKER_IDLE
            # SIMPLIFICATION: the runtime's worker runs once on this P until its first gopark in
            # gcBgMarkWorker; here it is created parked. The GoBlock (on no P or M: it never ran)
            # says so to the event stream, which would otherwise hold it _Grunnable until its
            # first GoUnblock (Go's own tracer has GoCreateBlocked for this)
            self.ext((self.clock.now, _GoBlock, -1, -1, gp.goid, WAIT_GC_WORKER_IDLE, 0, 0))
            self.gc_worker_pool.append(gp)
            self.gc_workers_made += 1

    def gcBgMarkWorker(self, m, gp) -> None:
        """mgc.go: gcBgMarkWorker — drain scan work in chunks; stop by mode (dedicated: until no work;
        fractional: over 1.2 x its goal; idle: when other work appears), or when preempted."""
        sched = self.rt.sched
        now = self.clock.now
        pp = m.p
        mode = gp.worker_mode
        if mode == WORKER_SWEEPER:
            self.bgsweep(m, gp)
            return
        if gp is self.markterm_g:
            self.gcMarkTermination_caller(m, gp)
            return
        if gp.run_start < 0:
            gp.run_start = now
            self.ev.GCWorkerBegin(now, pp.id, m.id, gp.goid, mode=mode)
        stop = False
        if gp.preempt:
            gp.preempt = False
            if mode == WORKER_DEDICATED and not sched.gcwaiting:
                # a preempted dedicated worker moves its P's local work to the global queue and goes on
                self.rt.runqdrain(pp)
            else:
                stop = True
        in_roots = self.work.pos < self.work.n_root_jobs
        if self.work.empty() or not self.gcBlackenEnabled:
            stop = True
        elif (
            mode != WORKER_DEDICATED
            and not in_roots
            and self.worker_check.get(gp.goid, 0) < DRAIN_CHECK_THRESHOLD
        ):
            pass  # gcDrain's heap loop calls check() only once per drainCheckThreshold of scan work
        elif mode == WORKER_FRACTIONAL:
            elapsed = now - self.tSweepTerm  # pollFractionalWorkerExit: since gcController.markStartTime
            mine = pp.gcFractionalMarkTime + (now - gp.run_start)
            if elapsed > 0 and mine / elapsed > 1.2 * self.gcController.fractionalUtilizationGoal:
                stop = True
        elif mode == WORKER_IDLE and (
            pp.runq or pp.runnext is not None or sched.runq or self.rt.netpoll_ready
        ):
            stop = True  # pollWork
        if stop:
            self.gcBgMarkWorker_park(m, gp)
            return
        checked = in_roots or self.worker_check.get(gp.goid, 0) >= DRAIN_CHECK_THRESHOLD
        if mode != WORKER_DEDICATED and checked:
            self.worker_check[gp.goid] = 0  # checked above and going on: the next check's work starts
        budget = WORKER_CHUNK_NS
        if mode == WORKER_FRACTIONAL and in_roots:
            budget = min(budget, self._fractional_exit_ns(pp, gp, now))
        elif mode == WORKER_IDLE and in_roots:
            budget = ROOT_POLL_NS  # pollWork after every markroot job: a G made runnable stops it soon
        work, dt = self.gcDrain(m, gp, budget)
        self.worker_work[gp.goid] = self.worker_work.get(gp.goid, 0) + work
        self.worker_check[gp.goid] = self.worker_check.get(gp.goid, 0) + work
        self.gcFlushBgCredit(work)
        dt = max(dt, 1)
        gp.busy_until = now + dt
        self.at(now + dt, PRIO_MSTEP, self.rt.mstep, m, m.token)

    def _fractional_exit_ns(self, pp, gp, now: int) -> int:
        """gcDrain's root loop calls check() after every markroot job; for a fractional worker that is
        pollFractionalWorkerExit, true once selfTime / (now - markStartTime) > 1.2 x the goal, with
        selfTime = pp.gcFractionalMarkTime + (now - the worker's start); markStartTime is gcStart's
        `now` (work.tSweepTerm), so the STW's length counts in delta. The drain's budget ends at
        that moment (solved for now; at least 1 ns: one more root job), so the worker checks there
        instead of scanning root jobs for a whole chunk."""
        g = 1.2 * self.gcController.fractionalUtilizationGoal
        if g >= 1:
            return WORKER_CHUNK_NS
        t_exit = (gp.run_start - pp.gcFractionalMarkTime - g * self.tSweepTerm) / (1 - g)
        return max(int(t_exit - now) + 1, 1)

    def gcBgMarkWorker_park(self, m, gp) -> None:
        """mgc.go: gcBgMarkWorker, its end — the worker parks back in gcBgMarkWorkerPool; the last one out
        of work calls gcMarkDone."""
        pp = m.p
        now = self.clock.now
        dur = now - gp.run_start if gp.run_start >= 0 else 0
        mode = gp.worker_mode
        self.gcController.markWorkerStop(mode, dur)
        if mode == WORKER_FRACTIONAL:
            pp.gcFractionalMarkTime += dur
        if mode == WORKER_IDLE:
            self.limiter.addIdleTime(dur)
        else:
            self.gc_cpu_ns += dur
        self.ev.GCWorkerEnd(now, pp.id, m.id, gp.goid, mode=mode, work_bytes=self.worker_work.pop(gp.goid, 0))
        self.worker_check.pop(gp.goid, None)
        gp.run_start = -1
        if self.work.empty() and self.gcBlackenEnabled and not self.gc_marktermination:
            # this worker's G calls gcMarkDone: it stops the world from its P and, once the world
            # restarts, runs mark termination's tail there (gcMarkTermination_caller)
            self.markterm_g = gp
            self.markterm_m = m
            self.markterm_step = MARKTERM_RESTARTED
            self.gcMarkDone(m)
            return
        self._worker_to_pool(m, gp)
        self.rt.schedule(m)

    def _worker_to_pool(self, m, gp) -> None:
        """gcBgMarkWorker's gopark back into gcBgMarkWorkerPool."""
        pp = m.p
        self.rt._g_off_cpu(pp)
        gp.status = Gwaiting
        gp.waitreason = WAIT_GC_WORKER_IDLE
        gp.m = None
        m.curg = None
        self.ext((self.clock.now, _GoBlock, pp.id, m.id, gp.goid, WAIT_GC_WORKER_IDLE, 0, 0))
        self.gc_worker_pool.append(gp)

    def gcMarkWorkAvailable(self, pp) -> bool:
        """mgc.go: gcMarkWorkAvailable — is there mark work for a worker (handoffp asks)?"""
        return bool(self.gcBlackenEnabled and not self.work.empty())

    def findRunnableGCWorker(self, pp):
        """mgcpacer.go: findRunnableGCWorker — a dedicated or fractional worker for this P."""
        if self.work.empty() or not self.gc_worker_pool:
            return None
        # delta = now - c.markStartTime: startCycle's `now` is gcStart's, before the sweep-termination STW
        mode = self.gcController.worker_mode_for(pp.gcFractionalMarkTime, self.clock.now - self.tSweepTerm)
        if mode is None:
            return None
        return self._take_worker(pp, mode)

    def findIdleGCWorker(self, pp):
        """findRunnable step 11: an idle-priority worker if there is mark work and a slot."""
        if self.work.empty() or not self.gc_worker_pool:
            return None
        if not self.gcController.addIdleMarkWorker():
            return None
        return self._take_worker(pp, WORKER_IDLE)

    def _take_worker(self, pp, mode: int):
        gp = self.gc_worker_pool.pop()
        gp.worker_mode = mode
        gp.status = Grunnable
        gp.waitreason = 0
        gp.run_start = -1
        self.ext((self.clock.now, _GoUnblock, pp.id, -1, gp.goid, 0, 0, WAIT_GC_WORKER_IDLE))
        return gp

    def gc_alloc_cost(self, m, gp, nbytes: int) -> int:
        """mallocgc during mark, after a batch of nbytes: deductAssistCredit puts the G in debt; in debt
        it steals background credit or assists (gcAssistAlloc). Proportional sweeping done for the
        allocation is charged too. Both cost the G virtual time (returned, in ns)."""
        cost, self.sweep_cost_pending = self.sweep_cost_pending, 0
        if self.gcBlackenEnabled and not gp.is_worker and m.curg is gp:
            cost += self.deductAssistCredit(m, gp, nbytes)
        return cost

    def deductAssistCredit(self, m, gp, nbytes: int) -> int:
        """malloc.go: deductAssistCredit — charge nbytes to the G's assist credit; in debt, it assists.
        Returns the assist's virtual time in ns."""
        gp.gcAssistBytes -= nbytes
        if gp.gcAssistBytes >= 0:
            return 0
        return self.gcAssistAlloc(m, gp)

    def gcAssistAlloc(self, m, gp) -> int:
        """mgcmark.go: gcAssistAlloc — pay the G's debt with background credit, else with scan work
        (the time it takes is returned; its GCMarkAssistEnd comes when the G resumes); with nothing
        left to scan and no credit, gcParkAssist."""
        if self.limiter.limiting():
            return 0  # the CPU limiter is on
        c = self.gcController
        debt = -gp.gcAssistBytes
        gp.gcAssistBytes, work = c.assist_steal_credit(gp.gcAssistBytes)
        if work <= 0:
            return 0
        if self.work.empty():
            # gcAssistAlloc1 found no work (the workers hold the rest): still in debt, gcParkAssist
            self.gcParkAssist(m, gp)
            return 0
        # SIMPLIFICATION: one assist drains at most one worker chunk of scan work; a G still in debt
        # assists again at its next allocation (the runtime's gcAssistAlloc loops until paid, while
        # other workers drain the same pool, so a huge single assist would overstate the time spent).
        self.ev.GCMarkAssistBegin(self.clock.now, m.p.id, m.id, gp.goid, debt_bytes=debt)
        budget = min(self.work.bytes_to_ns(work), WORKER_CHUNK_NS)
        work, dt = self.gcDrain(m, gp, max(budget, 1))
        gp.gcAssistBytes += c.assist_credit_for_work(work)
        dt = max(dt, 1)
        c.addAssistTime(dt)
        self.limiter.addAssistTime(dt)
        self.gc_assist_total_ns += dt
        self.gc_cpu_ns += dt
        gp.worker_mode = -(work + 1)  # pending GCMarkAssistEnd (see gcAssistAlloc_end)
        return dt

    def gcWakeAllAssists(self) -> None:
        """mgcmark.go: gcWakeAllAssists — marking is over: every parked assist goes on (gcMarkDone)."""
        q, self.assist_queue = self.assist_queue, []
        for gp in q:
            if gp.status == Gwaiting and gp.waitreason == WAIT_GC_ASSIST_WAIT:
                self.rt.ready(gp, None, False)

    def gcParkAssist(self, m, gp) -> None:
        """mgcmark.go: gcParkAssist — queue the G on work.assistQueue and park it (waitReasonGCAssistWait)
        until background credit pays its debt (gcFlushBgCredit) or marking ends (gcWakeAllAssists).
        The runtime rechecks bgScanCredit after queueing; gcAssistAlloc has just taken it all."""
        if not self.gcBlackenEnabled or m.curg is not gp:
            return
        self.assist_queue.append(gp)
        self.rt.gopark(m, gp, WAIT_GC_ASSIST_WAIT, 0)

    def gcFlushBgCredit(self, scan_work: int) -> None:
        """mgcmark.go: gcFlushBgCredit — a worker's scan work pays parked assists first, oldest first
        (a partly paid one goes to the back of the queue), and the rest is background credit."""
        q = self.assist_queue
        c = self.gcController
        if not q:
            c.bgScanCredit += scan_work
            return
        scan_bytes = int(scan_work * c.assistBytesPerWork)
        while q and scan_bytes > 0:
            gp = q[0]
            if gp.status != Gwaiting or gp.waitreason != WAIT_GC_ASSIST_WAIT:
                q.pop(0)
                continue
            if scan_bytes + gp.gcAssistBytes >= 0:
                scan_bytes += gp.gcAssistBytes
                gp.gcAssistBytes = 0
                q.pop(0)
                self.rt.ready(gp, None, False)
            else:
                gp.gcAssistBytes += scan_bytes
                scan_bytes = 0
                q.append(q.pop(0))
        if scan_bytes > 0 and c.assistWorkPerByte > 0:
            c.bgScanCredit += int(scan_bytes * c.assistWorkPerByte)

    def gcAssistAlloc_end(self, m, gp) -> None:
        """gcAssistAlloc's end, when the G that assisted resumes (run_g): the GCMarkAssistEnd event."""
        work = -gp.worker_mode - 1
        gp.worker_mode = 0
        self.ev.GCMarkAssistEnd(self.clock.now, m.p.id if m.p else -1, m.id, gp.goid, work_bytes=work)
        # gcAssistAlloc1: the last assist out of work calls gcMarkDone
        if (
            self.work.empty()
            and self.gcBlackenEnabled
            and not self.gc_marktermination
            and not any(w.run_start >= 0 for w in self._running_workers())
        ):
            self.gcMarkDone()

    def _running_workers(self):
        for i in range(self.rt.gomaxprocs):
            m = self.rt.allp[i].m
            if m is not None and m.curg is not None and m.curg.is_worker:
                yield m.curg

    def gcDrain(self, m, gp, budget_ns: float) -> tuple[int, int]:
        """mgcmark.go: gcDrain / gcDrainN — scan for budget_ns of CPU on m's P (markroot jobs first,
        then the span and object queues; mgcmark.py's MarkWork); the scan work goes to the pacer.
        Returns (scan work in bytes, ns taken). One GCMarkScan per run of one kind of work, and the
        P's span queue after it (GCSpanQueue) when Green Tea is on, all stamped now (when the drain
        starts: events are emitted in time order)."""
        now = self.clock.now
        pp = m.p
        w = self.work
        c = self.gcController
        total_b = total_ns = 0
        stolen_all = 0
        for what, ns, nbytes, n, stolen, first, deq, span_lo, span_hi in w.drain(pp.id, budget_ns):
            if what == SCAN_ROOTS:
                stack_b, glob_b, rt_b = w.root_split(first, nbytes)
                c.addScanWork(stack=stack_b, globals_=glob_b + rt_b)
            else:
                c.addScanWork(heap=nbytes)
            self.ev.GCMarkScan(
                now, pp.id, m.id, gp.goid, what_dequeues=what | deq << 8, objects=n, work_bytes=nbytes
            )
            if span_lo >= 0:
                self.ev.GCSpanScan(now, pp.id, m.id, gp.goid, span_lo=span_lo, span_hi=span_hi, dur_ns=ns)
            total_b += nbytes
            total_ns += ns
            stolen_all += stolen
        if total_ns:
            self.flushed_ps.add(pp.id)  # what it scanned greyed objects into pp.gcw
        if self.greentea:
            q = w.queues
            self.ev.GCSpanQueue(
                now, pp.id, m.id, gp.goid, ring=q.ring[pp.id], shared=q.shared, stolen=stolen_all
            )
        return total_b, total_ns

    def gcSweep(self, caller=None) -> None:
        """mgc.go: gcSweep — ready the background sweeper (bgsweep), created by gcenable on first use:
        ``ready(sweep.g, 0, true)`` on mark termination's caller, so into its P's runnext (the global
        queue when the caller has no P: an assist or a clock handler finished the mark)."""
        if self.sweeper is None:
            gp = self._new_runtime_g(self.rt.allp[0])
            gp.is_worker = True
            gp.worker_mode = WORKER_SWEEPER
            gp.status = Gwaiting
            gp.waitreason = WAIT_GC_SWEEP_WAIT
            self.sweeper = gp
        gp = self.sweeper
        if gp.status == Gwaiting:
            gp.run_start = -1
            self.rt.ready(gp, caller, True)

    def bgsweep_parked(self, m, gp) -> None:
        """mgcsweep.go: bgsweep's first goparkunlock (started by gcenable at start-up): from here on the
        G is the GC's sweeper, readied by gcSweep."""
        if self.sweeper is None:
            gp.is_worker = True
            gp.worker_mode = WORKER_SWEEPER
            gp.run_start = -1
            self.sweeper = gp
        self.rt.gopark(m, gp, WAIT_GC_SWEEP_WAIT, 0)

    def bgsweep(self, m, gp) -> None:
        """mgcsweep.go: bgsweep — sweep batches of SWEEP_BATCH_SIZE spans with goschedIfBusy between
        them; when sweepone finds nothing, loop on goschedIfBusy while !isSweepDone() (mark termination
        still holds sweep.active); park once the sweep is done (and kick the scavenger).

        One call is one step of the loop: the first step of a run does not yield (it just got the P)."""
        now = self.clock.now
        pp = m.p
        a = self.allocator
        if gp.run_start < 0:
            gp.run_start = now
        elif gp.preempt or not self.rt.sched.pidle:
            self._bgsweep_gosched(m, gp)  # goschedIfBusy: yield when asked to or when no P is idle
            return
        spans = pages = 0
        while spans < SWEEP_BATCH_SIZE:
            n = a.sweepone(now, pp.id, m.id, gp.goid)
            if not n:
                break
            spans += 1
            pages += n
        if spans:
            if not gp.inSweep:
                gp.inSweep = True  # traceGCSweepSpan: the range opens at the first span swept
                self.ev.GCSweepBegin(now, pp.id, m.id, gp.goid)
            dt = spans * COST_SWEEP_SPAN_NS + pages * COST_SWEEP_PAGE_NS
            self.at(now + dt, PRIO_MSTEP, self.rt.mstep, m, m.token)
            return
        if not a.sweep_done:
            # sweep.active still held (issue #73499's loop): goschedIfBusy; continue
            if gp.preempt or not self.rt.sched.pidle:
                self._bgsweep_gosched(m, gp)
            else:
                self.at(now + BGSWEEP_SPIN_CHECK_NS, PRIO_MSTEP, self.rt.mstep, m, m.token)
            return
        self._bgsweep_sweep_done(m, gp)
        gp.run_start = -1
        self.sweep_pacing.sweepPagesPerByte = 0.0
        self.bgscavenge()
        self.rt.gopark(m, gp, WAIT_GC_SWEEP_WAIT, 0)

    def _bgsweep_sweep_done(self, m, gp) -> None:
        """traceGCSweepDone: close the sweep range if a span was swept in it."""
        if gp.inSweep:
            gp.inSweep = False
            self.ev.GCSweepEnd(self.clock.now, m.p.id, m.id, gp.goid)

    def _bgsweep_gosched(self, m, gp) -> None:
        """proc.go: goschedIfBusy -> mcall(gosched_m) from bgsweep."""
        gp.preempt = False
        self._bgsweep_sweep_done(m, gp)
        gp.run_start = -1
        self.rt.goschedImpl(m, gp, False)

    def deductSweepCredit(self, t_ns, p, m, g, span_bytes, npages) -> None:
        """mgcsweep.go: deductSweepCredit — the allocating G sweeps pages before taking a span."""
        a = self.allocator
        debt = sweep_debt_pages(self.sweep_pacing, span_bytes, 0, a.heap_live, a.pages_swept)
        if debt <= 0:
            return
        swept = 0
        spans = 0
        while swept < debt:
            n = a.sweepone(t_ns, p, m, g)
            if not n:
                self.sweep_pacing.sweepPagesPerByte = 0.0
                break
            swept += n
            spans += 1
        self.sweep_cost_pending += spans * COST_SWEEP_SPAN_NS + swept * COST_SWEEP_PAGE_NS

    def bgscavenge(self) -> None:
        """mgcscavenge.go: bgscavenge — release retained memory down to the goal (§5.8)."""
        a = self.allocator
        st = a.memstats()
        c = self.gcController
        retained = st["MappedBytes"] - st["HeapReleased"]
        limit = c.memoryLimit if c.memoryLimit != MAX_INT64 else 1 << 62
        gc_goal, ml_goal = gcPaceScavenger(
            limit, c.heapGoal(), c.lastHeapGoal or c.heapGoal(), retained, st["HeapInuse"], retained
        )
        goal = min(gc_goal, ml_goal)
        if goal < retained:
            a.scavenge(self.clock.now, goal)

    def _check_oom(self) -> None:
        """The container's memory limit (cgroup memory.max): the kernel OOM-kills the process."""
        now = self.clock.now
        limit = self.container_limit
        if limit is None or limit < 0:
            return
        rss = self.allocator.mapped_ready_bytes()
        if rss > limit:
            self.ev.OOMKill(now, -1, -1, 0, rss_bytes=rss, limit_bytes=limit)
            self.rt.fatal(
                f"signal: killed (OOM): process memory {rss >> 20} MiB exceeded the container limit "
                f"{limit >> 20} MiB"
            )
        elif self.memlimit is not None and self.memlimit >= 0 and rss > self.memlimit:
            # allocSpan's synchronous scavenging when over the memory limit
            a = self.allocator
            a.scavenge(now, int(self.memlimit * 0.95))

    def procresize(self, nprocs: int) -> None:
        """proc.go: procresize's GC part — the GC CPU limiter's capacity follows GOMAXPROCS."""
        self.limiter.resetCapacity(self.clock.now, nprocs)

    def sysmon_gc_check(self, now: int) -> None:
        """proc.go: sysmon's forcegc test — force a GC if none ran for forcegcperiod (2 min) and GOGC
        is not off; update the GC CPU limiter."""
        if (
            self.gcphase == _GCoff
            and not self.rt.sched.gcwaiting
            and self.gcController.gcPercent >= 0
            and now - self.last_gc_ns > FORCEGC_PERIOD_NS
        ):
            self.gcStart(GC_TRIGGER_TIME, None)
        if self.limiter.needUpdate(now) and not self.limiter.transitioning:
            was = self.limiter.limiting()
            self.limiter.update(now)
            if was != self.limiter.limiting():
                self.ev.GCLimiter(
                    now, -1, -1, 0, limiting=int(self.limiter.limiting()), fill_ns=self.limiter.fill
                )

    def sysmon_quiet_until(self) -> int:
        """The earliest time at which sysmon_gc_check could act, the state being as it is now."""
        quiet = 1 << 62
        if self.gcphase == _GCoff and not self.rt.sched.gcwaiting and self.gcController.gcPercent >= 0:
            quiet = self.last_gc_ns + FORCEGC_PERIOD_NS + 1  # now - last_gc_ns > forcegcperiod
        if not self.limiter.transitioning:
            t = self.limiter.lastUpdate + GC_CPU_LIMITER_UPDATE_PERIOD_NS + 1  # needUpdate
            if t < quiet:
                quiet = t
        return quiet

    def setGCPercent(self, percent: int) -> None:
        """mgcpacer.go: setGCPercent — debug.SetGCPercent: new pacing at once (gcControllerCommit)."""
        self.gogc = percent
        self.gcController.setGCPercent(percent)
        self._commit_pacing()

    def setMemoryLimit(self, nbytes: int) -> None:
        """mgcpacer.go: setMemoryLimit — debug.SetMemoryLimit (-1 = off, i.e. math.MaxInt64)."""
        self.memlimit = nbytes
        self.gcController.setMemoryLimit(nbytes if nbytes >= 0 else MAX_INT64)
        self._commit_pacing()

    def _commit_pacing(self) -> None:
        self._sync_memstats()
        trigger, goal = self.gcController.gcControllerCommit(
            self.allocator.sweep_done, self.gcphase == _GCoff
        )
        self.ev.HeapGoal(
            self.clock.now,
            -1,
            -1,
            0,
            goal_bytes=goal,
            trigger_bytes=trigger,
            heap_marked=self.gcController.heapMarked,
        )
        self.gcTrigger_test(None)

    def _sync_memstats(self) -> None:
        a = self.allocator
        c = self.gcController
        c.heapLive = a.heap_live
        c.update_memstats(a.mapped_ready_bytes(), a.heap_free_bytes(), a.heap_alloc)

    def memory_counters(self, r) -> None:
        c = self.gcController
        trigger, goal = self.heap_trigger()
        r["heap_goal"] = min(goal, MAX_INT64)
        r["heap_trigger"] = min(trigger, MAX_INT64)
        r["heap_marked"] = c.heapMarked
        r["gc_phase"] = self.gcphase
        r["gc_cycles"] = self.gc_cycles
        r["gc_cpu_fraction"] = self.gc_cpu_ns / max(self.clock.now * max(self.rt.gomaxprocs, 1), 1)

    def memory_stats(self) -> dict:
        def pause(xs):
            return {"total_ns": int(sum(xs)), "max_ns": int(max(xs, default=0))}

        return {
            "cycles": self.gc_cycles,
            "gogc": self.gcController.gcPercent,
            "memlimit": None if self.gcController.memoryLimit == MAX_INT64 else self.gcController.memoryLimit,
            "pause_sweep_termination": pause(self.gc_pause_sweepterm),
            "pause_mark_termination": pause(self.gc_pause_markterm),
            "cpu_fraction": round(self.gc_cpu_ns / max(self.clock.now * max(self.rt.gomaxprocs, 1), 1), 6),
            "assist_ns": self.gc_assist_total_ns,
            "heap_goals": [int(g) for g in self.gc_goals],
            "heap_marked": int(self.gcController.heapMarked),  # marked live at the last mark termination
            "heap_goal": int(self.gcController.heapGoal()),  # the goal now: the next cycle's (or this one's)
        }

    def memory_assumptions(self) -> list[str]:
        return [*PACER_ASSUMPTIONS, *GC_ASSUMPTIONS, *MARK_ASSUMPTIONS]


__all__ = ["GC", "GC_ASSUMPTIONS", "RUNTIME_GROUP"]
