"""The scheduler — `runtime/proc.go`, in proc.go's order: stopTheWorld/startTheWorld, mstart, newm,
stopm, startm, handoffp, wakep, gcstopm, execute, findRunnable, stealWork, resetspinning, injectglist,
schedule, dropg, goschedImpl, goexit0, newproc, gfput/gfget, procresize, acquirep/releasep, checkdead,
preemptall/preemptone, mget, pidleput/pidleget. Its neighbours in proc.go have their own files here:
the run queues (``runq.py``), syscalls (``syscall.py``) and sysmon (``sysmon.py``).

A part of :class:`gmpviz.core.sched.scheduler.Scheduler`, over its state (``sched``, ``allp``,
``allm`` …), the clock (``self.clock.now``, ``self.at``) and the tracer (``self.ext``). Every function
follows the order of operations of its Go namesake as summarised in go-runtime-facts.md §2–3;
emulator-only steps are marked. Helpers without a Go namesake sit beside the function they serve.
"""

from __future__ import annotations

import heapq
from math import exp, gcd

from ..clock import (
    PRIO_FINDRUN_TAIL,
    PRIO_MSTEP,
    PRIO_MWAKE,
    PRIO_NETPOLL_WAKE,
    PRIO_STW,
    call,
)
from ..constants import (
    ASYNC_PREEMPT_MAX_NS,
    ASYNC_PREEMPT_MEDIAN_NS,
    ASYNC_PREEMPT_SIGMA,
    COST_PROCRESIZE_PER_P_NS,
    COST_SCHEDULE_NS,
    COST_STEAL_PASS_NS,
    COST_STW_NS,
    G_STRUCT_BYTES,
    GFREE_LOCAL_KEEP,
    GFREE_LOCAL_MAX,
    GLOBRUNQ_BATCH,
    GOID_CACHE_BATCH,
    MAX_M_COUNT,
    RUNTIME_GROUP,
    SCHED_FAIRNESS_TICKS,
    STEAL_TRIES,
    THREAD_CREATE_MEDIAN_NS,
    THREAD_CREATE_SIGMA,
    THREAD_WAKE_MEDIAN_NS,
    THREAD_WAKE_SIGMA,
    Gdead,
    Grunnable,
    Grunning,
    Gsyscall,
    Gwaiting,
    Pdead,
    Pgcstop,
    Pidle,
    Prunning,
)
from ..runtime2 import M_IDLE, M_NETPOLL, M_RUNNING, M_SYSCALL, M_WAKING, G, M, P
from ..trace.events import (
    EV,
    HANDOFF_SAFEPOINT,
    HANDOFF_STW,
    NETPOLL_FINDRUNNABLE,
    SRC_NETPOLL,
    STOP_GOSCHED,
    STOP_PREEMPT,
    STOP_PREEMPT_STW,
    WHERE_GLOBAL,
    WHERE_LOCAL,
    WHERE_RUNNEXT,
)
from .gexec import child_stream

_GoStart = int(EV.GoStart)
_GoBlock = int(EV.GoBlock)
_GoUnblock = int(EV.GoUnblock)
_RunqGet = int(EV.RunqGet)

NS_PER_MS = 1_000_000
# Linux: init_task.timer_slack_ns (init/init_task.c), and select_estimate_accuracy's cap (fs/select.c)
TIMER_SLACK_NS = 50_000
MAX_SLACK_NS = 100 * NS_PER_MS
# proc.go forEachPInternal: `notetsleep(&sched.safePointNote, 100*1000)`, then preemptall() again
FOREACHP_RETRY_NS = 100_000


def epoll_wait_ns(delay_ns: int) -> int:
    """How long the poller blocked for a timer ``delay_ns`` away sleeps. netpoll_epoll.go netpoll(delay):
    epoll_wait's timeout is in milliseconds — ``waitms = 1`` for 0 < delay < 1 ms, else
    ``int32(delay / 1e6)`` (truncated) — so it wakes up to 1 ms late (delay < 1 ms) or early (it then
    finds the timer not due and blocks again, for 1 ms). Linux adds the timer slack: ep_poll sleeps in
    schedule_hrtimeout_range with slack = select_estimate_accuracy() (fs/select.c: 0.1 % of the
    timeout, at least the task's timer_slack_ns, 50 µs by default (init/init_task.c), at most 100 ms),
    and an hrtimer with a range fires at its end unless another interrupt comes first."""
    if delay_ns <= 0:
        return 0
    wait = NS_PER_MS if delay_ns < NS_PER_MS else delay_ns // NS_PER_MS * NS_PER_MS
    return wait + min(max(wait // 1000, TIMER_SLACK_NS), MAX_SLACK_NS)


def _coprimes(n: int) -> list[int]:
    return [i for i in range(1, n + 1) if gcd(i, n) == 1]


class ProcMixin:
    """proc.go's scheduler functions."""

    def gopark(self, m: M, gp: G, reason: int, obj: int = 0) -> None:
        """proc.go: gopark/park_m — _Grunning -> _Gwaiting, dropg, schedule()."""
        pp = m.p
        self._g_off_cpu(pp)
        gp.status = Gwaiting
        gp.waitreason = reason
        gp.wait_obj = obj
        gp.m = None
        m.curg = None
        self.ext((self.clock.now, _GoBlock, pp.id, m.id, gp.goid, reason, obj, 0))
        self.schedule(m)

    def ready(self, gp: G, waker_m: M | None, next_: bool = True) -> None:
        """proc.go: ready — _Gwaiting -> _Grunnable into the waker P's runnext, then wakep()."""
        now = self.clock.now
        reason = gp.waitreason
        gp.status = Grunnable
        gp.waitreason = 0
        pp = waker_m.p if waker_m is not None and waker_m.p is not None else None
        if pp is None:
            self.ext((now, _GoUnblock, -1, -1, gp.goid, 0, WHERE_GLOBAL, reason))
            self.globrunqput(gp)
        else:
            waker = waker_m.curg.goid if waker_m.curg is not None else 0
            self.ext(
                (
                    now,
                    _GoUnblock,
                    pp.id,
                    waker_m.id,
                    gp.goid,
                    waker,
                    WHERE_RUNNEXT if next_ else WHERE_LOCAL,
                    reason,
                )
            )
            self.runqput(pp, gp, next_)
        self.wakep()

    def stopTheWorld(self, reason: int, then, caller: M | None) -> None:
        """proc.go: stopTheWorldWithSema — stop every P at a safe point, then call ``then``."""
        sched = self.sched
        now = self.clock.now
        if sched.gcwaiting or self.gc.worldsema_held or self.safePointDone is not None:
            # semacquire(&worldsema): another STW, gcMarkDone's ragged barrier (forEachP) or mark
            # termination's forEachP holds it
            self.stw_queue.append((reason, then, caller))
            return
        sched.gcwaiting = True
        self.stw_reason = reason
        self.stw_then = then
        self.stw_caller = caller
        self.stw_start = now
        self.ev.STWBegin(now, *self.who(caller), reason=reason)
        sched.stopwait = self.gomaxprocs
        if caller is not None and caller.p is not None:
            caller.p.status = Pgcstop
            self._g_off_cpu(caller.p)
            self.ev.ProcStatus(now, caller.p.id, caller.id, 0, status=Pgcstop)
            sched.stopwait -= 1
        for i in range(self.gomaxprocs):
            pp = self.allp[i]
            m = pp.m
            if m is not None and m.state == M_SYSCALL and m.p is pp:
                # setBlockOnExitSyscall + gcstopP
                m.p = None
                pp.m = None
                pp.status = Pgcstop
                self.ev.ProcHandoff(now, pp.id, m.id, 0, reason=HANDOFF_STW, to_m=-1)
                self.ev.ProcStatus(now, pp.id, -1, 0, status=Pgcstop)
                sched.stopwait -= 1
        while sched.pidle:
            pp = sched.pidle.pop()
            pp.status = Pgcstop
            self.ev.ProcStatus(now, pp.id, -1, 0, status=Pgcstop)
            sched.stopwait -= 1
        self.preemptall()
        # notetsleep(&sched.stopnote): the stopper sleeps until the last P stops (safepoint.py)
        self.stw_slept = sched.stopwait > 0
        if sched.stopwait == 0:
            self._stw_stopped()

    def _stw_stopped(self) -> None:
        """The world is stopped: after the STW machinery's own cost, run the STW's work (which ends with
        startTheWorld())."""
        then = self.stw_then
        self.stw_then = None
        # SIMPLIFICATION: COST_STW_NS stands for both halves of the machinery, stopTheWorldWithSema's
        # bookkeeping (which in the runtime overlaps the wait for the other Ps) and startTheWorldWithSema's
        # (which follows the STW's work); it is charged once, here, after the last P stopped and before the
        # work. Nothing runs while the world is stopped, so only the pause's length is observable, and it
        # is never 0 even when no other P had to be stopped (one P, or every other P idle).
        wait = COST_STW_NS
        if self.stw_slept:
            self.stw_slept = False
            wait += self.stopnote_wake_ns()  # the last P's notewakeup(&sched.stopnote)
        self.at(self.clock.now + wait, PRIO_STW, call, then)

    def startTheWorld(self) -> None:
        """proc.go: startTheWorldWithSema — netpoll, procresize, hand Ps with work to Ms, wakep."""
        now = self.clock.now
        caller = self.stw_caller
        newprocs = self.newprocs if self.newprocs > 0 else self.gomaxprocs
        self.newprocs = 0
        runnable_ps = self.procresize(newprocs, caller)
        self.sched.gcwaiting = False
        reason = self.stw_reason
        self.ev.STWEnd(
            now,
            caller.p.id if caller and caller.p else -1,
            caller.id if caller else -1,
            0,
            reason=reason,
            duration_ns=now - self.stw_start,
        )
        self.stw_pause_ns[reason] = self.stw_pause_ns.get(reason, 0) + now - self.stw_start
        self.stw_caller = None
        for pp in runnable_ps:
            self.startm(pp, False)
        self.sysmon_wake()
        self.wakep()
        if caller is not None and caller.curg is not None:
            caller.p.run_start = now
            caller.token += 1
            self.at(now, PRIO_MSTEP, self.mstep, caller, caller.token)
        if self.stw_queue:
            reason, then, c = self.stw_queue.pop(0)
            self.stopTheWorld(reason, then, c)
        if not self.sched.gcwaiting:
            self.gc.gcMarkDone_semrelease()  # semrelease(&worldsema): a gcMarkDone waiting for it

    def forEachP(self, fn, done, caller: M | None = None) -> None:
        """proc.go: forEachP / forEachPInternal — fn(pp) on every P at its next safe point, then done().

        The caller's P runs fn at once; every other P gets runSafePointFn and its running G is
        preempted; idle Ps run fn at once; Ps in a syscall are taken (setBlockOnExitSyscall + takeP)
        and handed off, which runs fn; the others run it from runSafePointFn when they next schedule,
        park, enter a syscall or go idle. The caller sleeps on sched.safePointNote, holding its P,
        re-preempting every 100 µs, and is woken by the last P (done() is called then).

        SIMPLIFICATION: without a caller M (mark termination reached from an assist), no P is the
        caller's and every P runs fn on its own. forEachP holds worldsema: stopTheWorld waits for it."""
        sched = self.sched
        now = self.clock.now
        allp = self.allp
        n = self.gomaxprocs
        mine = caller.p if caller is not None else None
        sched.safePointWait = n if mine is None else n - 1
        sched.safePointFn = fn
        self.safePointGen += 1
        self.safePointDone = done
        self.safePointCaller = caller
        for i in range(n):
            if allp[i] is not mine:
                allp[i].runSafePointFn = True
        self._forEachP_preemptall()
        for pp in list(sched.pidle):
            if pp.runSafePointFn:
                pp.runSafePointFn = False
                fn(pp)
                sched.safePointWait -= 1
        if mine is not None:
            fn(mine)
        for i in range(n):
            pp = allp[i]
            m = pp.m
            if (
                pp.runSafePointFn
                and m is not None
                and m.state == M_SYSCALL
                and m.p is pp
                and m.curg is not None
                and m.curg.status == Gsyscall
            ):
                # setBlockOnExitSyscall + thread.takeP + handoffp (which runs fn)
                m.p = None
                pp.m = None
                pp.syscalltick += 1
                self.n_handoffs += 1
                self.ev.ProcHandoff(now, pp.id, m.id, m.curg.goid, reason=HANDOFF_SAFEPOINT, to_m=-1)
                self.handoffp(pp)
        if sched.safePointWait == 0:
            self._forEachP_done()
        else:
            self.at(now + FOREACHP_RETRY_NS, PRIO_STW, self._forEachP_retry, fn)

    def _forEachP_preemptall(self) -> None:
        """preemptall() from forEachPInternal: preemptone skips the caller's own M."""
        caller = self.safePointCaller
        for i in range(self.gomaxprocs):
            pp = self.allp[i]
            m = pp.m
            if m is not None and m is not caller and m.curg is not None and m.curg.status == Grunning:
                self.preemptone(pp, self.safepoint_ns(m.curg))

    def _forEachP_retry(self, fn, _token: int = 0) -> None:
        """forEachPInternal's wait loop (clock handler): 100 µs passed without every P running fn."""
        sched = self.sched
        if sched.safePointFn is not fn or sched.safePointWait == 0:
            return
        self._forEachP_preemptall()
        for pp in list(sched.pidle):
            # emulator guard: a P that went idle by a path without the runSafePointFn check
            self.runSafePointFn(pp)
        if sched.safePointWait:
            self.at(self.clock.now + FOREACHP_RETRY_NS, PRIO_STW, self._forEachP_retry, fn)

    def _forEachP_done(self, gen: int | None = None, _token: int = 0) -> None:
        """forEachPInternal's end: sched.safePointFn = nil, the caller goes on.

        ``gen``: the forEachP whose last P woke the caller (runSafePointFn's notewakeup, a clock
        handler). forEachPInternal reads ``wait := sched.safePointWait > 0`` after its handoff loop and
        sleeps only then: when a handed-off P ran fn last inside that loop, the caller never slept and
        ended at once, so that wake-up is stale and must not end a later forEachP."""
        if gen is not None and (gen != self.safePointGen or self.sched.safePointFn is None):
            return
        self.sched.safePointFn = None
        self.safePointCaller = None
        done, self.safePointDone = self.safePointDone, None
        if done is not None:
            done()

    def runSafePointFn(self, pp: P) -> None:
        """proc.go: runSafePointFn — pp runs forEachP's function if it was asked to; the last P wakes
        forEachP's caller (notewakeup(&sched.safePointNote): one thread wake-up, thread_wake_ns)."""
        if not pp.runSafePointFn:
            return
        pp.runSafePointFn = False
        sched = self.sched
        sched.safePointFn(pp)
        sched.safePointWait -= 1
        if sched.safePointWait == 0:
            self.at(self.clock.now + self.thread_wake_ns(), PRIO_STW, self._forEachP_done, self.safePointGen)

    def mwake(self, m: M, token: int) -> None:
        """The M started by startm runs: mstart1 / stopm's return path, then schedule()."""
        if token != m.token:
            return
        if m.cpu_hold and not self.os.admit(m, self.mwake, PRIO_MWAKE):
            return  # woken, but no CPU is free: it runs when the OS scheduler gives it one
        pp = m.nextp
        m.nextp = None
        m.state = M_RUNNING
        self.acquirep(m, pp)
        if m.wake_spinning:
            m.spinning = True
            m.wake_spinning = False
            self.ev.MSpinBegin(self.clock.now, pp.id, m.id, 0, nmspinning=self.sched.nmspinning)
        self.schedule(m)

    def newm(self) -> M:
        """proc.go: newm — a new OS thread (mcount grows; checkmcount at 10000)."""
        if len(self.allm) >= MAX_M_COUNT:
            self.fatal("runtime: program exceeds 10000-thread limit")
        m = M(len(self.allm))
        self.allm.append(m)
        self.ev.MCreate(self.clock.now, -1, m.id, 0, threads=len(self.allm))
        return m

    def stopm(self, m: M) -> None:
        """proc.go: stopm — park M on sched.midle until startm hands it a P."""
        m.state = M_IDLE
        m.curg = None
        m.token += 1  # a parked M has no pending step
        self.os.release(m)  # notesleep: futex sleep
        self.sched.midle.append(m)
        self.ev.MPark(self.clock.now, -1, m.id, 0)
        self.checkdead()

    def startm(self, pp: P | None, spinning: bool) -> None:
        """proc.go: startm — run some M with P pp (an idle P if None); new thread if none is idle."""
        now = self.clock.now
        if pp is None:
            pp = self.pidleget()
            if pp is None:
                if spinning:
                    self.sched.nmspinning -= 1
                return
        nm = self.mget()
        if nm is None:
            nm = self.newm()
            latency = self.thread_create_ns()
        else:
            latency = self.thread_wake_ns()
        nm.nextp = pp
        nm.wake_spinning = spinning
        nm.state = M_WAKING
        # The P is owned by the waking M from here on: runtime's pp.m is set only by acquirep, but
        # the P is neither idle nor available to anyone else.
        pp.status = Prunning
        self.ev.MWake(now, pp.id, nm.id, 0, spinning=int(spinning))
        nm.token += 1
        self.at(now + latency, PRIO_MWAKE, self.mwake, nm, nm.token)

    def thread_wake_ns(self) -> int:
        """notewakeup -> the parked thread runs (futex wake, lock_futex.go): a log-normal draw from the
        runtime's stream with the measured median and spread (constants.py THREAD_WAKE_*)."""
        return int(THREAD_WAKE_MEDIAN_NS * exp(THREAD_WAKE_SIGMA * self.rng.gauss(0.0, 1.0)))

    def thread_create_ns(self) -> int:
        """newm -> newosproc (clone) -> the new thread's first instruction (constants.py THREAD_CREATE_*)."""
        return int(THREAD_CREATE_MEDIAN_NS * exp(THREAD_CREATE_SIGMA * self.rng.gauss(0.0, 1.0)))

    def async_preempt_ns(self) -> int:
        """preemptone -> preemptM (signal_unix.go: signalM(mp, sigPreempt), a tgkill) -> the G at a
        safe point (doSigPreempt -> asyncPreempt): the signal's delivery, a log-normal draw
        (constants.py ASYNC_PREEMPT_*), at most ASYNC_PREEMPT_MAX_NS (stopTheWorldWithSema repeats
        preemptall every 100 µs). A G whose thread has no CPU takes the signal when it runs again."""
        d = int(ASYNC_PREEMPT_MEDIAN_NS * exp(ASYNC_PREEMPT_SIGMA * self.rng.gauss(0.0, 1.0)))
        return d if d < ASYNC_PREEMPT_MAX_NS else ASYNC_PREEMPT_MAX_NS

    def handoffp(self, pp: P) -> None:
        """proc.go: handoffp — find an M for a P released from a syscall (or leave it idle)."""
        sched = self.sched
        if not self.runqempty(pp) or sched.runq:
            self.startm(pp, False)
            return
        if self.gc.gcMarkWorkAvailable(pp):
            self.startm(pp, False)
            return
        if sched.nmspinning + len(sched.pidle) == 0:
            sched.nmspinning += 1
            self.startm(pp, True)
            return
        if sched.gcwaiting:
            pp.status = Pgcstop
            self.ev.ProcStatus(self.clock.now, pp.id, -1, 0, status=Pgcstop)
            sched.stopwait -= 1
            if sched.stopwait == 0:
                self._stw_stopped()
            return
        self.runSafePointFn(pp)
        if len(sched.pidle) == self.gomaxprocs - 1 and sched.lastpoll != 0:
            # The last running P, and nobody is blocked in netpoll: start an M so someone polls.
            self.startm(pp, False)
            return
        self.pidleput(pp)

    def wakep(self) -> None:
        """proc.go: wakep — start a spinning M if there is an idle P and nobody is spinning."""
        sched = self.sched
        if sched.nmspinning != 0 or not sched.pidle:
            if not sched.pidle:
                sched.needspinning = 1 if sched.nmspinning == 0 else sched.needspinning
            return
        sched.nmspinning += 1
        pp = self.pidlegetSpinning()
        self.startm(pp, True)

    def stoplockedm(self, m: M) -> None:
        """proc.go: stoplockedm — an M whose locked G blocked: hand its P off (handoffp) and park
        until startlockedm hands it a P for the G again (then lockedm_wake). A parked locked M is not
        on sched.midle (the runtime counts it in sched.nmidlelocked, not in schedtrace's idlethreads)."""
        pp = m.p
        if pp is not None:
            self.handoffp(self.releasep(m))  # schedule another M to run this P
            if pp.status != Pidle:
                # handed to another M: releasep's traced ProcStop (pidleput wrote its own)
                self.ev.ProcStop(self.clock.now, pp.id, m.id, 0)
        m.state = M_IDLE
        m.curg = None
        m.token += 1
        self.os.release(m)  # mPark: futex sleep
        self.ev.MPark(self.clock.now, -1, m.id, 0)

    def startlockedm(self, m: M, gp: G) -> None:
        """proc.go: startlockedm — M found gp, which is locked to another M: hand M's P directly to
        the locked M (notewakeup: one thread wake-up), and stopm."""
        lm = gp.lockedm
        pp = self.releasep(m)
        self.ev.ProcStop(self.clock.now, pp.id, m.id, 0)  # releasep's traced ProcStop
        lm.nextp = pp
        lm.state = M_WAKING
        pp.status = Prunning  # owned by the waking M (as in startm)
        self.ev.MWake(self.clock.now, pp.id, lm.id, 0, spinning=0)
        lm.token += 1
        self.at(self.clock.now + self.thread_wake_ns(), PRIO_MWAKE, self.lockedm_wake, lm, lm.token)
        self.stopm(m)

    def lockedm_wake(self, m: M, token: int) -> None:
        """stoplockedm's return path (clock handler): the locked M was woken with a P: acquirep, then
        schedule()'s ``execute(mp.lockedg.ptr(), false)``."""
        if token != m.token:
            return
        if m.cpu_hold and not self.os.admit(m, self.lockedm_wake, PRIO_MWAKE):
            return
        pp = m.nextp
        m.nextp = None
        m.state = M_RUNNING
        self.acquirep(m, pp)
        self.execute(m, m.lockedg, False)

    def gcstopm(self, m: M) -> None:
        """proc.go: gcstopm — P to _Pgcstop for the STW, M parks."""
        sched = self.sched
        now = self.clock.now
        pp = self.releasep(m)
        pp.status = Pgcstop
        self.ev.ProcStatus(now, pp.id, m.id, 0, status=Pgcstop)
        if m.spinning:
            m.spinning = False
            sched.nmspinning -= 1
            self.ev.MSpinEnd(now, pp.id, m.id, 0, nmspinning=sched.nmspinning)
        sched.stopwait -= 1
        self.stopm(m)
        if sched.stopwait == 0:
            self._stw_stopped()

    def execute(self, m: M, gp: G, inherit: bool) -> None:
        """proc.go: execute — gp runs on m; schedtick++ only when not inheriting the time slice."""
        now = self.clock.now
        pp = m.p
        m.curg = gp
        gp.m = m
        gp.status = Grunning
        gp.lastp = pp.id
        if not inherit:
            pp.schedtick += 1
        self.ctx_switches += 1
        pp.run_start = now
        self.ext((now, _GoStart, pp.id, m.id, gp.goid, int(inherit), pp.schedtick, 0))
        m.token += 1
        self.clock.at(now + COST_SCHEDULE_NS, PRIO_MSTEP, self.mstep, m, m.token)

    def mstep(self, m: M, token: int) -> None:
        """An M's next step (clock handler): its G goes on, or it runs schedule(); stale if superseded."""
        if token != m.token:
            return
        if m.cpu_hold and not self.os.admit(m, self.mstep, PRIO_MSTEP):
            return  # no CPU: the step runs once the M has one again (core/os.py)
        if m.curg is not None:
            self.run_g(m)
        else:
            self.schedule(m)

    def findRunnable(self, m: M):
        """proc.go: findRunnable steps 1–10 (steps 13–16 run in findRunnable_tail after the steal passes).

        Returns (g, inheritTime), or (None, False) when M has been stopped or continues later."""
        sched = self.sched
        while True:
            pp = m.p
            if sched.gcwaiting:
                self.gcstopm(m)
                return None, False
            if pp.runSafePointFn:
                self.runSafePointFn(pp)
            now = self.clock.now
            # 2. this P's expired timers
            if pp.timers and pp.timers[0][0] <= now:
                self.run_timers(pp, pp)
            # 4. GC mark worker (dedicated/fractional)
            if self.gc.gcBlackenEnabled:
                gw = self.gc.findRunnableGCWorker(pp)
                if gw is not None:
                    return gw, False
            # 5. fairness: one G from the global queue every 61 schedticks
            if pp.schedtick % SCHED_FAIRNESS_TICKS == 0 and sched.runq:
                return self.globrunqget(pp), False
            # 7. local queue
            gp, inherit = self.runqget(pp)
            if gp is not None:
                return gp, inherit
            # 8. global queue batch
            if sched.runq:
                gp = self.globrunqgetbatch(pp, GLOBRUNQ_BATCH)
                if gp is not None:
                    return gp, False
            # 9. non-blocking netpoll
            if self.netpoll_waiters and sched.lastpoll != 0 and self.netpoll_ready:
                glist = self.netpoll(NETPOLL_FINDRUNNABLE, m.id)
                gp = glist.pop(0)
                self.ext((now, _RunqGet, pp.id, m.id, gp.goid, SRC_NETPOLL, len(pp.runq), 0))
                if glist:
                    self.injectglist(glist, pp)
                return gp, False
            # 10. steal (only spinning Ms; at most half of the busy Ps spin)
            if not self.policy_nosteal and (
                m.spinning or 2 * sched.nmspinning < self.gomaxprocs - len(sched.pidle)
            ):
                if not m.spinning:
                    self._begin_spinning(m)
                gp, inherit, newwork = self.stealWork(m, pp)
                if gp is not None:
                    return gp, inherit
                if newwork:
                    continue
            # 11. idle-priority GC mark worker
            if self.gc.gcBlackenEnabled:
                gw = self.gc.findIdleGCWorker(pp)
                if gw is not None:
                    return gw, False
            if m.spinning:
                # SIMPLIFICATION: the four steal passes take COST_STEAL_PASS_NS each of virtual time,
                # so a spinning M stays visible; steps 13-16 run when they are done.
                m.token += 1
                self.clock.at(
                    now + STEAL_TRIES * COST_STEAL_PASS_NS,
                    PRIO_FINDRUN_TAIL,
                    self.findRunnable_resume,
                    m,
                    m.token,
                )
                return None, False
            return self.findRunnable_tail(m)

    def findRunnable_tail(self, m: M):
        """proc.go: findRunnable steps 13–16: give up the P, re-check, block in netpoll or stopm."""
        sched = self.sched
        now = self.clock.now
        pp = m.p
        if sched.gcwaiting:
            self.gcstopm(m)
            return None, False
        if pp.runSafePointFn:
            self.runSafePointFn(pp)  # (the runtime: `goto top` after it, before giving up the P)
        # 13. under sched.lock: the global queue, needspinning
        if sched.runq:
            gp = self.globrunqgetbatch(pp, GLOBRUNQ_BATCH)
            if gp is not None:
                return gp, False
        if not m.spinning and sched.needspinning == 1 and not self.policy_nosteal:
            self._begin_spinning(m)
            return self.findRunnable(m)
        pp = self.releasep(m)
        self.pidleput(pp)
        # 14. a spinning M re-checks everything after dropping nmspinning
        if m.spinning:
            m.spinning = False
            sched.nmspinning -= 1
            self.ev.MSpinEnd(now, -1, m.id, 0, nmspinning=sched.nmspinning)
            if sched.runq or self._any_local_work():
                pp2 = self.pidlegetSpinning()
                if pp2 is not None:
                    self.acquirep(m, pp2)
                    self._begin_spinning(m)
                    return self.findRunnable(m)
        # 15. block in netpoll (at most one M), if there are waiters or timers
        if sched.lastpoll != 0 and (self.netpoll_waiters or self._any_timers()):
            sched.lastpoll = 0
            m.state = M_NETPOLL
            m.token += 1
            self.os.release(m)  # blocked in epoll_wait
            self.netpoll_m = m
            self.ev.MPark(now, -1, m.id, 0, where=1)
            if self.netpoll_ready:
                self.at(now, PRIO_NETPOLL_WAKE, self.netpoll_wake, m, m.token)
            else:
                # checkTimersNoP: the poller sleeps until the earliest timer of any P (sched.pollUntil),
                # in whole milliseconds (epoll_wait's timeout, epoll_wait_ns)
                when = self._next_timer_when()
                self.netpoll_until = when
                if when >= 0:
                    self.at(now + epoll_wait_ns(when - now), PRIO_NETPOLL_WAKE, self.netpoll_wake, m, m.token)
            return None, False
        # 16. stopm
        self.stopm(m)
        return None, False

    def findRunnable_resume(self, m: M, token: int) -> None:
        """A spinning M's steal passes are over (clock handler): findRunnable steps 13-16, then run."""
        if token != m.token or m.p is None:
            return
        if m.cpu_hold and not self.os.admit(m, self.findRunnable_resume, PRIO_FINDRUN_TAIL):
            return
        gp, inherit = self.findRunnable_tail(m)
        self.run_found(m, gp, inherit)

    def _any_local_work(self) -> bool:
        """Some P's ring or runnext holds a G (the set runq.py maintains: O(1), not O(P))."""
        return bool(self.p_with_work)

    def stealWork(self, m: M, pp: P):
        """proc.go: stealWork — 4 passes over all Ps in a random coprime order; runnext and other Ps'
        timers only on the last pass. Returns (g, inheritTime, newWork).

        A pass visits only the Ps that can give it something (p_with_work: a G in the ring or
        runnext), in the order the full pass reaches them (P c is step (c - pos) * inc⁻¹ mod n):
        visiting any other P does nothing, so the result, the events and the random draws (two per
        pass) are the full scan's, in O(busy Ps) instead of O(4P). Only the last pass with a timer
        due somewhere (it may run another P's timers, which changes the Ps) walks every P."""
        n = self.gomaxprocs
        allp = self.allp
        rnd = self.rng.random
        coprimes = self.steal_coprimes
        if self.sched.gcwaiting:  # the full scan's check at its first P, after one randomOrder
            rnd()
            rnd()
            return None, False, True
        now = self.clock.now
        timer_due = 0 <= self._next_timer_when() <= now
        me = pp.id
        for i in range(STEAL_TRIES):
            last_pass = i == STEAL_TRIES - 1
            # randomOrder: start at cheaprand() % n, step by a coprime of n
            pos = int(rnd() * n)
            inc = coprimes[int(rnd() * len(coprimes))]
            if last_pass and timer_due:
                break
            work = self.p_with_work
            if not work or (len(work) == 1 and me in work):
                continue
            inv = pow(inc, -1, n)
            for k in sorted((c - pos) * inv % n for c in work if c != me):
                p2 = allp[(pos + k * inc) % n]
                if p2.status == Pidle:
                    continue  # idlepMask
                gp = self.runqsteal(pp, p2, last_pass)
                if gp is not None:
                    return gp, False, False
        else:
            return None, False, False
        # the last pass, with a timer due: every P in order, as proc.go walks them
        for _ in range(n):
            if self.sched.gcwaiting:
                return None, False, True
            p2 = allp[pos]
            pos = (pos + inc) % n
            if p2 is pp:
                continue
            if p2.timers and p2.timers[0][0] <= self.clock.now:
                self.run_timers(p2, pp)
                gp, inherit = self.runqget(pp)
                if gp is not None:
                    return gp, inherit, False
            if p2.status == Pidle:
                continue  # idlepMask
            gp = self.runqsteal(pp, p2, True)
            if gp is not None:
                return gp, False, False
        return None, False, False

    def resetspinning(self, m: M) -> None:
        """proc.go: resetspinning — this M found work: stop spinning and wake another."""
        sched = self.sched
        m.spinning = False
        sched.nmspinning -= 1
        self.ev.MSpinEnd(self.clock.now, m.p.id if m.p else -1, m.id, 0, nmspinning=sched.nmspinning, found=1)
        self.wakep()

    def _begin_spinning(self, m: M) -> None:
        sched = self.sched
        m.spinning = True
        sched.nmspinning += 1
        sched.needspinning = 0
        self.ev.MSpinBegin(self.clock.now, m.p.id if m.p else -1, m.id, 0, nmspinning=sched.nmspinning)

    def injectglist(self, glist: list[G], pp: P | None) -> None:
        """proc.go: injectglist — make Gs runnable: one per idle P to the global queue with startm,
        the rest onto pp's local queue (all to the global queue if there is no P)."""
        sched = self.sched
        for gp in glist:
            reason = gp.waitreason
            gp.status = Grunnable
            gp.waitreason = 0
            self.ext(
                (
                    self.clock.now,
                    _GoUnblock,
                    pp.id if pp else -1,
                    -1,
                    gp.goid,
                    0,
                    WHERE_GLOBAL if pp is None else WHERE_LOCAL,
                    reason,
                )
            )
        if pp is None:
            for gp in glist:
                self.globrunqput(gp)
            for _ in range(min(len(glist), len(sched.pidle))):
                self.startm(None, False)
            return
        npidle = len(sched.pidle)
        i = 0
        while i < len(glist) and npidle > 0:
            self.globrunqput(glist[i])
            self.startm(None, False)
            npidle -= 1
            i += 1
        for gp in glist[i:]:
            self.runqput(pp, gp, False)
        self.wakep()

    def schedule(self, m: M) -> None:
        """proc.go: schedule — one round of the scheduler for M (with its P). An M whose G is locked
        to it (lockOSThread) does not look for work: stoplockedm."""
        if m.lockedg is not None:
            self.stoplockedm(m)
            return
        gp, inherit = self.findRunnable(m)
        self.run_found(m, gp, inherit)

    def run_found(self, m: M, gp: G | None, inherit: bool) -> None:
        """schedule() after findRunnable: stop spinning (waking another M), tryWakeP, execute."""
        if gp is None:
            return  # M parked, blocked in netpoll, or still spinning (findRunnable_resume pending)
        if m.spinning:
            self.resetspinning(m)
        if gp.is_worker:
            self.wakep()  # tryWakeP: a GC worker took this P, other work may need another M
        if gp.lockedm is not None and gp.lockedm is not m:
            self.startlockedm(m, gp)  # (the runtime: `goto top` once this M is started again)
            return
        self.execute(m, gp, inherit)

    def _g_off_cpu(self, pp: P) -> None:
        if pp is not None and pp.run_start >= 0:
            pp.busy_ns += self.clock.now - pp.run_start
            pp.run_start = -1

    def goschedImpl(self, m: M, gp: G, preempted: bool) -> None:
        """proc.go: goschedImpl — to the global queue (runnext of this P if preempted for a STW)."""
        now = self.clock.now
        pp = m.p
        self._g_off_cpu(pp)
        gp.status = Grunnable
        gp.m = None
        m.curg = None
        if preempted and self.sched.gcwaiting:
            self.ev.GoStop(now, pp.id, m.id, gp.goid, reason=STOP_PREEMPT_STW, where=WHERE_RUNNEXT)
            self.runqput(pp, gp, True)
        else:
            self.ev.GoStop(
                now,
                pp.id,
                m.id,
                gp.goid,
                reason=STOP_PREEMPT if preempted else STOP_GOSCHED,
                where=WHERE_GLOBAL,
            )
            self.globrunqput(gp)
            self.wakep()
        self.schedule(m)

    def goexit0(self, m: M, gp: G) -> None:
        """proc.go: goexit0/gdestroy — G to _Gdead, onto the P's free list; then schedule()."""
        pp = m.p
        self._g_off_cpu(pp)
        gp.status = Gdead
        gp.m = None
        m.curg = None
        self.n_exited += 1
        self.ev.GoEnd(self.clock.now, pp.id, m.id, gp.goid)
        self.mem.on_goexit(gp, pp)
        self.gfput(pp, gp)
        if gp.goid == 1:
            # main.main returned: the process exits (runtime.main calls exit(0)).
            self.finish("main returned")
            return
        self.schedule(m)

    def newproc(self, m: M | None, parent: G | None, prog_idx: int) -> G:
        """proc.go: newproc — build a G (newproc1), put it in runnext of the creating P, wakep()."""
        now = self.clock.now
        pp = m.p if m is not None else self.allp[0]
        newg = self.gfget(pp)
        if newg is None:
            newg = G()
            self.allgs.append(newg)
            # malg: the g itself comes from the heap (allgs keeps it for ever)
            self.mem.runtime_alloc(pp.id, m.id if m is not None else -1, 0, G_STRUCT_BYTES)
        prog = self.programs[prog_idx]
        newg.goid = self.newgoid(pp)
        newg.ops = prog.ops
        newg.group = prog.group
        newg.pc = 0
        newg.loops = []
        newg.op_rem = 0
        newg.preempt = False
        newg.resume_ns = 0
        newg.defers = 0
        newg.stack_used = 0
        newg.pace_due = 0
        newg.created_ns = now
        newg.parent = parent.goid if parent is not None else 0
        if prog.group == RUNTIME_GROUP:
            # the runtime's own goroutines (start-up, scheduler.py runtime_programs) draw nothing: the
            # workload's streams stay those of the go statements in the scenario
            newg.rand = 1.0
            self.runtime_gs.append(newg)
        elif parent is not None:
            parent.rand, newg.rand = child_stream(parent.rand)
        else:
            newg.rand = self.workload_rand  # the main goroutine
        newg.waitreason = 0
        newg.sel_id = 0
        newg.gcAssistBytes = 0
        newg.is_worker = False
        newg.worker_mode = 0
        self.mem.stack_init(newg, pp)
        newg.status = Grunnable
        if prog.group != RUNTIME_GROUP:  # like runtime.NumGoroutine, the counts leave the runtime's Gs out
            self.n_created += 1
        self.ev.GoCreate(
            now,
            pp.id,
            m.id if m else -1,
            newg.goid,
            parent=newg.parent,
            group=newg.group,
            stack_bytes=newg.stack_bytes,
        )
        self.runqput(pp, newg, True)
        if self.mainStarted:
            self.wakep()
        return newg

    def newgoid(self, pp: P) -> int:
        """proc.go: newproc1 — goids come from a per-P cache refilled 16 at a time."""
        sched = self.sched
        if pp.goidcache == pp.goidcacheend:
            pp.goidcache = sched.goidgen + 1
            sched.goidgen += GOID_CACHE_BATCH
            pp.goidcacheend = sched.goidgen + 1
        goid = pp.goidcache
        pp.goidcache += 1
        return goid

    def gfput(self, pp: P, gp: G) -> None:
        """proc.go: gfput — dead G to the P's free list; at 64 move to the global list until 32 remain."""
        pp.gFree.append(gp)
        if len(pp.gFree) >= GFREE_LOCAL_MAX:
            while len(pp.gFree) > GFREE_LOCAL_KEEP:
                self.sched.gFree.append(pp.gFree.pop())

    def gfget(self, pp: P) -> G | None:
        """proc.go: gfget — a dead G from the P's free list, refilled up to 32 from the global lists."""
        sched = self.sched
        if not pp.gFree and sched.gFree:
            while len(pp.gFree) < GFREE_LOCAL_KEEP and sched.gFree:
                pp.gFree.append(sched.gFree.pop())
        if pp.gFree:
            return pp.gFree.pop()
        return None

    def _pdestroy(self, pp: P, caller: M | None) -> None:
        """proc.go: p.destroy — local Gs to the head of the global queue, timers to P0, _Pdead."""
        while pp.runq:
            self.globrunqputhead(pp.runq.pop())
        if pp.runnext is not None:
            self.globrunqputhead(pp.runnext)
            pp.runnext = None
        self.p_with_work.discard(pp.id)
        dst = self.allp[0]
        now = self.clock.now
        for t in pp.timers:
            heapq.heappush(dst.timers, t)
            # an overdue timer is due now on P0: its step may not go back in time
            self.clock.at_timer(max(t[0], now), self.timer_due, dst)
        if pp.timers:
            heapq.heappush(self.timer_heads, (dst.timers[0][0], dst.id))
        pp.timers = []
        self.sched.gFree.extend(pp.gFree)
        pp.gFree = []
        if pp.m is not None and pp.m is not caller:
            pp.m.p = None
        pp.m = None
        pp.status = Pdead
        self.ev.ProcStatus(self.clock.now, pp.id, -1, 0, status=Pdead)

    def procresize(self, nprocs: int, caller: M | None) -> list[P]:
        """proc.go: procresize — grow/shrink allp; Ps beyond nprocs are destroyed (their Gs to the head
        of the global queue); returns the Ps with local work, in high-to-low id order."""
        now = self.clock.now
        old = self.gomaxprocs
        while len(self.allp) < nprocs:
            self.allp.append(P(len(self.allp)))
        for i in range(nprocs, old):
            self._pdestroy(self.allp[i], caller)
        self.gomaxprocs = nprocs
        self.steal_coprimes = _coprimes(nprocs)
        self.mem.on_procresize(nprocs)
        self.gc.procresize(nprocs)
        if caller is not None:
            if caller.p is not None and caller.p.id >= nprocs:
                caller.p.m = None
                caller.p = None
            if caller.p is None:
                pp = self.allp[0]
                if pp.m is not None and pp.m is not caller:
                    pp.m.p = None
                self.acquirep(caller, pp)
            else:
                caller.p.status = Prunning
                self.ev.ProcStatus(now, caller.p.id, caller.id, 0, status=Prunning)
        runnable = []
        self.sched.pidle.clear()
        for i in range(nprocs - 1, -1, -1):
            pp = self.allp[i]
            if caller is not None and caller.p is pp:
                continue
            if pp.m is not None:
                # Still owned by an M that has not reached gcstopm (a woken M): it will stop itself.
                continue
            pp.status = Pidle
            if self.runqempty(pp):
                self.pidleput(pp)
            else:
                runnable.append(pp)
        if old != nprocs:
            self.ev.ProcResize(now, -1, -1, 0, old=old, new=nprocs)
        return runnable

    def set_gomaxprocs(self, n: int, caller: M | None) -> None:
        """debug.go: GOMAXPROCS — stop the world, set newprocs, start the world (procresize)."""
        from ..trace.events import STW_GOMAXPROCS

        def then() -> None:
            # procresize's per-P work (p.init with a new mcache for each P started, p.destroy for each P
            # stopped), charged before startTheWorld runs procresize (nothing runs meanwhile)
            self.newprocs = n
            cost = abs(n - self.gomaxprocs) * COST_PROCRESIZE_PER_P_NS
            self.at(self.clock.now + cost, PRIO_STW, call, self.startTheWorld)

        self.stopTheWorld(STW_GOMAXPROCS, then, caller)

    def acquirep(self, m: M, pp: P) -> None:
        """proc.go: acquirep/wirep — associate P with M; P becomes _Prunning."""
        m.p = pp
        pp.m = m
        pp.status = Prunning
        pp.oldm = m
        self.ev.ProcStart(self.clock.now, pp.id, m.id, 0)
        if self.on_acquirep is not None:
            self.on_acquirep(pp)

    def releasep(self, m: M) -> P:
        """proc.go: releasep — disassociate; the caller sets the new status."""
        pp = m.p
        m.p = None
        pp.m = None
        return pp

    def checkdead(self) -> None:
        """proc.go: checkdead — no M running and nothing will ever wake: deadlock.

        run := mcount() - sched.nmidle - ...: an M that is not parked on sched.midle is running. That
        includes forEachP's caller asleep on sched.safePointNote and the M in gcMarkTermination's tail
        holding worldsema, which the emulator runs as clock handlers without an M of their own (the
        assist path's gcMarkDone): while either waits, the world is not dead."""
        sched = self.sched
        if self.clock.stopped:
            return
        for m in self.allm:
            if m.state in (M_RUNNING, M_SYSCALL, M_WAKING, M_NETPOLL):
                return
        if sched.gcwaiting or self.safePointDone is not None or self.gc.worldsema_held:
            # a stop-the-world, forEachP's caller (asleep on sched.safePointNote, an M in use) or
            # mark termination's tail (holding worldsema): not dead
            return
        if sched.runq or self._any_local_work():
            return
        if self._any_timers() or self.netpoll_waiters:
            return
        self.ev.Deadlock(self.clock.now, -1, -1, 0)
        self.fatal("fatal error: all goroutines are asleep - deadlock!")

    def preemptall(self) -> None:
        """proc.go: preemptall — ask every running G to stop at its next safe point."""
        for i in range(self.gomaxprocs):
            pp = self.allp[i]
            m = pp.m
            if (
                m is not None
                and m.curg is not None
                and m.curg.status == Grunning
                and m is not self.stw_caller
            ):
                self.preemptone(pp, self.safepoint_ns(m.curg))

    def preemptone(self, pp: P, latency_ns: int) -> bool:
        """proc.go: preemptone — flag the G on pp; it stops at its next safe point: ``latency_ns``
        from now (the async-preemption signal), or at its next step when ``latency_ns`` < 0 (a
        synchronous check, safepoint.py)."""
        m = pp.m
        if m is None or m.curg is None:
            return False
        gp = m.curg
        if gp.status != Grunning or gp.preempt:
            return False
        gp.preempt = True
        if latency_ns < 0:
            return True  # its pending step sees gp.preempt
        self.signal_replaces_step(m, gp)
        m.token += 1
        if m.cpu < 0 and m.cpu_off >= 0:
            # its thread waits for a CPU: the signal is handled once it runs (core/os.py)
            m.cpu_deferred = (self.mstep, PRIO_MSTEP, m.token, latency_ns, m.cpu_off + latency_ns)
            return True
        self.at(self.clock.now + latency_ns, PRIO_MSTEP, self.mstep, m, m.token)
        return True

    def mget(self) -> M | None:
        """proc.go: mget — an idle M from sched.midle."""
        sched = self.sched
        if sched.midle:
            return sched.midle.pop()
        return None

    def pidleput(self, pp: P) -> None:
        """proc.go: pidleput — P to the head of the idle list (a LIFO), status _Pidle."""
        pp.status = Pidle
        pp.m = None
        self.sched.pidle.append(pp)
        self.ev.ProcStop(self.clock.now, pp.id, -1, 0)

    def pidleget(self) -> P | None:
        """proc.go: pidleget — pop the head of the idle list."""
        sched = self.sched
        if sched.pidle:
            return sched.pidle.pop()
        return None

    def pidlegetSpinning(self) -> P | None:
        """proc.go: pidlegetSpinning — like pidleget, but asks for a spinning M when none is free."""
        pp = self.pidleget()
        if pp is None:
            self.sched.needspinning = 1
        return pp

    @staticmethod
    def who(m: M | None) -> tuple[int, int, int]:
        """The (p, m, goid) columns of an event done by M m (or by no M: -1, -1, 0)."""
        if m is None:
            return -1, -1, 0
        return (m.p.id if m.p else -1), m.id, (m.curg.goid if m.curg else 0)
