"""The engine: a deterministic discrete-event emulation of one Go process, in virtual nanoseconds.

The whole kernel is a heap of ``(t_ns, kind, seq, obj, token)``: ``seq`` breaks ties in push order so
the same scenario and seed always give the same events, bit for bit. Runtime behaviour lives in the
mixins (``sched/``: proc.go, chan.go, syscalls, sysmon; ``alloc/``; ``gc/``); this module owns the
clock, the state, the dispatch loop, counters and the public API used by the CLI, the engine thread
and the tests.
"""

from __future__ import annotations

import heapq
import random
from collections import deque

import numpy as np

from . import constants as C
from .alloc.hooks import AllocMixin
from .constants import Gdead, Grunnable, Grunning, Gsyscall, Gwaiting
from .gc.mgc import GCMixin
from .runtime2 import M_NETPOLL, M_RUNNING, M_SYSMON, Hchan, M
from .sched.chan import ChanMixin
from .sched.gexec import GExecMixin
from .sched.proc import (
    K_END,
    K_FINDRUN_B,
    K_GC,
    K_MSTEP,
    K_MWAKE,
    K_NETPOLL_WAKE,
    K_NETREADY,
    K_SAMPLE,
    K_SCHEDTRACE,
    K_STW,
    K_SYSCALL_DONE,
    K_SYSMON,
    K_TIMER,
    ProcMixin,
)
from .sched.runq import RunqMixin
from .sched.syscall import SyscallMixin
from .sched.sysmon import SysmonMixin
from .trace.events import WAIT_IO, WAIT_SELECT_NO_CASES
from .trace.stats import COUNTERS_DTYPE
from .trace.tracer import Tracer
from .workload import budget
from .workload.budget import EmulatedOOM
from .workload.loader import ASSUMPTIONS as WORKLOAD_ASSUMPTIONS
from .workload.ops import POLICIES, Scenario

# Statistics sampling period (emulator only): run queue means and the counters series are sampled
# this often (COUNTER_SAMPLE_NS).
SAMPLE_PERIOD_NS = 1 * C.MS

SCHED_ASSUMPTIONS = (
    "Shows Go 1.26 scheduler semantics (proc.go): runnext, 256-slot local rings, runqputslow spills of "
    "129, schedtick%61 fairness, 4-pass random-order stealing, spinning Ms capped at half the busy Ps, "
    "sysmon retake/preemption, the 1.26 syscall design (the P stays _Prunning during a syscall).",
    "Virtual time: runtime work is charged modelled costs (schedule 200 ns, steal pass 500 ns, M wake-up "
    "5 µs, new thread 50 µs, go statement 300 ns, channel op 100 ns, safe-point reach 5 µs); real values "
    "depend on the machine.",
    "Stop-the-world: every pause is the wait for running Gs to reach a safe point, plus a modelled "
    f"{C.COST_STW_NS // C.US} µs for the stop/start machinery (charged once after the last P stopped, "
    "though stopTheWorldWithSema's part overlaps the wait in the runtime), plus the STW's own work "
    f"(procresize {C.COST_PROCRESIZE_PER_P_NS // C.US} µs per P started or stopped; the GC's sweep/mark "
    "termination), so no pause is 0 even with one P; calibrated on Go 1.27 runtime.GOMAXPROCS pauses.",
    "A spinning M's four steal passes take 2 µs of virtual time; the usleep(3) before stealing a running "
    "P's runnext is not charged.",
    "Emulated programs have no runtime system goroutines (forcegc, bgsweep, bgscavenge, finalizer): user "
    "goroutines start at goid 2 after main (goid 1); GC workers appear when the GC runs.",
    "Timers are per-P heaps run by their P at schedule() and stolen on the last steal pass; when a P is "
    "idle, the M blocked in netpoll wakes at the earliest timer of any P and runs every expired timer "
    "at once (the runtime reaches busy Ps' timers through stealWork).",
    "Asynchronous preemption always succeeds after a fixed 5 µs (no non-preemptible regions).",
    "Network readiness is scheduled by the workload (netwait duration) instead of real sockets.",
    "Scheduler events happen atomically: one M's step is never interleaved with another's.",
)


class RuntimeHooks:
    """Where the memory mixins' ``super()`` chains end (last in the engine's MRO): goroutine exit,
    procresize, counters, stats and assumptions are extended by AllocMixin and GCMixin."""

    def status_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for gp in self.allgs:
            counts[gp.status] = counts.get(gp.status, 0) + 1
        return counts

    def _init_memory(self, gogc, memlimit_bytes) -> None:
        self.gcBlackenEnabled = 0
        self.gogc = self.scenario.gogc if gogc is None else gogc
        self.memlimit = self.scenario.memlimit_bytes if memlimit_bytes is None else memlimit_bytes

    def on_goexit(self, gp, pp) -> None:
        pass

    def on_procresize(self, nprocs: int) -> None:
        pass

    def memory_counters(self, r) -> None:
        pass

    def memory_stats(self) -> dict:
        return {}

    def memory_assumptions(self) -> list[str]:
        return []


__all__ = ["Engine", "EngineError"]


class EngineError(ValueError):
    """A bad engine argument (one line)."""


class Engine(
    GCMixin, AllocMixin, ProcMixin, RunqMixin, ChanMixin, SyscallMixin, SysmonMixin, GExecMixin, RuntimeHooks
):
    """One emulated Go process running a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        procs: int | None = None,
        policy: str | None = None,
        duration_ns: int | None = None,
        gogc: int | None = None,
        memlimit_bytes: int | None = None,
        schedtrace_ms: int = 0,
        gctrace: bool = False,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        nprocs = scenario.gomaxprocs if procs is None else int(procs)
        if nprocs < 1:
            raise EngineError(f"GOMAXPROCS must be at least 1, got {nprocs}")
        policy = scenario.policy if policy is None else policy
        if policy not in POLICIES:
            raise EngineError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        self.policy = policy
        self.policy_global = policy == "global-queue"
        self.policy_nosteal = policy == "no-steal"
        self.duration_ns = scenario.duration_ns if duration_ns is None else int(duration_ns)
        if self.duration_ns <= 0:
            raise EngineError("duration must be positive")
        self.rng = random.Random(self.seed)
        self.tracer = Tracer()
        self.ext = self.tracer.ext
        self.now = 0
        self._heap: list = []
        self._seq = 0
        self.done = False
        self.done_reason = ""
        self.error: str | None = None
        self.steps = 0

        # schedt
        self.allp = []
        self.allm: list[M] = []
        self.allgs = []
        self.pidle = []
        self.midle: list[M] = []
        self.nmspinning = 0
        self.needspinning = 0
        self.sched_runq: deque = deque()
        self.sched_gFree = []
        self.goidgen = 0
        self.gomaxprocs = 0
        self.newprocs = 0
        self.gcwaiting = False
        self.stopwait = 0
        self.stw_then = None
        self.stw_caller = None
        self.stw_reason = 0
        self.stw_start = 0
        self.stw_queue = []
        self.stw_pause_ns: dict[int, int] = {}
        self.lastpoll = 1  # non-zero: nobody is blocked in netpoll
        self.netpoll_m: M | None = None
        self.netpoll_ready = []
        self.netpoll_waiters = 0
        self.mainStarted = False
        self.steal_coprimes = [1]
        self.timer_seq = 0
        self.sel_seq = 0
        self.sysmonwait = False
        self.sysmon_delay = C.SYSMON_MIN_DELAY_NS
        self.sysmon_idle = 0
        self.sysmon_token = 0
        self.schedtrace_ns = int(schedtrace_ms) * C.MS
        self.schedtrace_lines: list[str] = []
        self.on_schedtrace = None  # callable(line) for live printing
        self.gctrace = gctrace
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
        self._counter_rows: list[np.ndarray] = []
        self.runtime_gs = []  # the runtime's own goroutines (GC workers, sweeper)
        self._sum_global = 0
        self._sum_local = 0

        self.programs = scenario.programs
        self.chans: list[Hchan] = []
        self._chan_by_name: dict[str, int] = {}
        for decl in scenario.channels:
            self.makechan(len(self.chans), decl.cap, decl.name)

        self._init_memory(gogc, memlimit_bytes)
        self._schedinit(nprocs)

    # ------------------------------------------------------------------------------------------
    # kernel
    # ------------------------------------------------------------------------------------------

    @property
    def now_ns(self) -> int:
        """The virtual clock in nanoseconds."""
        return self.now

    def push(self, t_ns: int, kind: int, obj, token: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t_ns, kind, self._seq, obj, token))

    def _schedinit(self, nprocs: int) -> None:
        """proc.go: schedinit + runtime.main — M0 and P0 run the main goroutine; sysmon starts."""
        m0 = self.newm()
        sysmon = self.newm()  # runtime.main: newm(sysmon, nil, -1) is the first new M (m1)
        sysmon.state = M_SYSMON
        self.procresize(nprocs, None)
        pp = self.pidleget()  # P0
        self.acquirep(m0, pp)
        m0.state = M_RUNNING
        main_idx = self.scenario.main
        # rt0_go: newproc(runtime.main) queues the main goroutine, then mstart -> schedule() runs it
        self.newproc(m0, None, main_idx)
        self.mainStarted = True  # runtime.main sets it before main.main runs
        self.schedule(m0)
        self.push(C.SYSMON_MIN_DELAY_NS, K_SYSMON, None, self.sysmon_token)
        self.push(SAMPLE_PERIOD_NS, K_SAMPLE, None, 0)
        if self.schedtrace_ns:
            self._schedtrace_t0 = 0
            self.push(0, K_SCHEDTRACE, None, 0)
        self.push(self.duration_ns, K_END, None, 0)

    def makechan(self, idx: int, cap: int, name: str = "") -> Hchan:
        """chan.go: makechan — (re)create the channel at index idx."""
        c = Hchan(idx, name or f"c{idx}", cap)
        while len(self.chans) <= idx:
            self.chans.append(None)
        self.chans[idx] = c
        return c

    def step_event(self) -> int:
        """Process one heap item; returns the number of events it emitted."""
        before = len(self.tracer._flat)
        self._dispatch_one()
        return (len(self.tracer._flat) - before) // 8

    def run_until(self, t_ns: int, max_events: int | None = None) -> int:
        """Run every heap item due at or before t_ns (or until about max_events were emitted)."""
        heap = self._heap
        pop = heapq.heappop
        flat = self.tracer._flat
        start = len(flat)
        limit = start + max_events * 8 if max_events else -1
        dispatch = self._dispatch
        try:
            while heap and not self.done:
                item = heap[0]
                if item[0] > t_ns:
                    break
                pop(heap)
                self.now = item[0]
                dispatch(item)
                if limit >= 0 and len(flat) >= limit:
                    break
        except EmulatedOOM as e:  # mheap.grow: the emulated machine's memory is used up
            budget.on_oom(self, e, getattr(self.scenario, "container_limit_bytes", -1))
        if not self.done and (not heap or heap[0][0] > t_ns) and t_ns > self.now:
            self.now = min(t_ns, self.duration_ns)
        return (len(flat) - start) // 8

    def run(self) -> None:
        """Run to the end of the scenario (duration, main returned, or a fatal error)."""
        self.run_until(self.duration_ns)

    def _dispatch_one(self) -> None:
        if not self._heap or self.done:
            return
        item = heapq.heappop(self._heap)
        self.now = item[0]
        self._dispatch(item)

    def _dispatch(self, item) -> None:
        _, kind, _, obj, token = item
        self.steps += 1
        if kind == K_MSTEP:
            if token != obj.token:
                return
            if obj.curg is not None:
                self.run_g(obj)
            else:
                self.schedule(obj)
        elif kind == K_FINDRUN_B:
            if token != obj.token or obj.p is None:
                return
            gp, inherit = self.findRunnable_tail(obj)
            self.run_found(obj, gp, inherit)
        elif kind == K_SYSCALL_DONE:
            if token == obj.token:
                self.exitsyscall(obj)
        elif kind == K_MWAKE:
            if token == obj.token:
                self.mwake(obj)
        elif kind == K_TIMER:
            self.timer_due(obj)
        elif kind == K_NETREADY:
            self.netready(obj)
        elif kind == K_NETPOLL_WAKE:
            if token == obj.token and obj.state == M_NETPOLL:
                self.netpoll_wake(obj)
        elif kind == K_SYSMON:
            if token == self.sysmon_token:
                self.sysmon_round()
        elif kind == K_GC:
            self.gc_step(obj, token)
        elif kind == K_STW:
            obj()
        elif kind == K_SAMPLE:
            self._sample()
            self._counter_rows.append(self.counters())
            self.push(self.now + SAMPLE_PERIOD_NS, K_SAMPLE, None, 0)
        elif kind == K_SCHEDTRACE:
            self._schedtrace()
            self.push(self.now + self.schedtrace_ns, K_SCHEDTRACE, None, 0)
        elif kind == K_END:
            self.finish("duration reached")

    def finish(self, reason: str) -> None:
        if not self.done:
            self._close_busy()
            self.done = True
            self.done_reason = reason

    def fatal(self, msg: str) -> None:
        """A fatal runtime error ends the emulated process (like the runtime's throw/fatal)."""
        if not self.done:
            self.error = msg
            self.finish(msg.splitlines()[-1])

    def _close_busy(self) -> None:
        for pp in self.allp:
            self._g_off_cpu(pp)
        for pp in self.allp:
            if pp.m is not None and pp.m.curg is not None and pp.m.curg.status == Grunning:
                pp.run_start = self.now

    # ------------------------------------------------------------------------------------------
    # commands (from the UI / CLI), between steps
    # ------------------------------------------------------------------------------------------

    def apply(self, cmd: tuple) -> None:
        """Change a setting while running: ("gomaxprocs", n), ("gogc", n|-1), ("memlimit", bytes|-1),
        ("policy", name)."""
        name, value = cmd[0], cmd[1]
        if name == "gomaxprocs":
            n = int(value)
            if n < 1:
                raise EngineError(f"GOMAXPROCS must be at least 1, got {n}")
            if n != self.gomaxprocs and not self.done:
                self.set_gomaxprocs(n, None)
        elif name == "gogc":
            self.set_gc_percent(int(value))
        elif name == "memlimit":
            self.set_memory_limit(int(value))
        elif name == "policy":
            if value not in POLICIES:
                raise EngineError(f"unknown policy {value!r}; expected one of {', '.join(POLICIES)}")
            self.policy = value
            self.policy_global = value == "global-queue"
            self.policy_nosteal = value == "no-steal"
        else:
            raise EngineError(f"unknown command {name!r}")

    def drain(self) -> np.ndarray:
        return self.tracer.drain()

    def discard_output(self) -> None:
        """Drop the events and counter samples not yet drained (headless runs that only want stats)."""
        self.tracer.discard()
        self._counter_rows.clear()

    # ------------------------------------------------------------------------------------------
    # statistics, schedtrace, counters
    # ------------------------------------------------------------------------------------------

    def _sample(self) -> None:
        self._samples += 1
        self._sum_global += len(self.sched_runq)
        allp = self.allp
        self._sum_local += sum(len(allp[i].runq) for i in range(self.gomaxprocs))

    def schedtrace_line(self) -> str:
        """proc.go: schedtrace — the exact GODEBUG=schedtrace line (facts §3.13)."""
        ms = (self.now - getattr(self, "_schedtrace_t0", 0)) // C.MS
        n = self.gomaxprocs
        idlethreads = len(self.midle)
        lens = " ".join(str(len(self.allp[i].runq)) for i in range(n))
        ticks = " ".join(str(self.allp[i].schedtick) for i in range(n))
        return (
            f"SCHED {ms}ms: gomaxprocs={n} idleprocs={len(self.pidle)} threads={len(self.allm)} "
            f"spinningthreads={self.nmspinning} needspinning={self.needspinning} idlethreads={idlethreads} "
            f"runqueue={len(self.sched_runq)} [ {lens} ] schedticks=[ {ticks} ]"
        )

    def _schedtrace(self) -> None:
        line = self.schedtrace_line()
        self.schedtrace_lines.append(line)
        if self.on_schedtrace is not None:
            self.on_schedtrace(line)

    def counters(self) -> np.ndarray:
        """One COUNTERS_DTYPE row: the scalars the UI reads once per slice."""
        row = np.zeros(1, dtype=COUNTERS_DTYPE)
        r = row[0]
        live, runnable, running, syscall, waiting = self.fast_counts()
        r["t_ns"] = self.now
        r["gomaxprocs"] = self.gomaxprocs
        r["ngoroutines"] = live
        r["n_runnable"] = runnable
        r["n_running"] = running
        r["n_syscall"] = syscall
        r["n_waiting"] = waiting
        r["global_runq"] = len(self.sched_runq)
        r["local_runq_total"] = sum(len(self.allp[i].runq) for i in range(self.gomaxprocs))
        r["threads"] = len(self.allm)
        r["idle_ps"] = len(self.pidle)
        r["spinning_ms"] = self.nmspinning
        r["idle_ms"] = len(self.midle)
        r["stw"] = int(self.gcwaiting)
        r["events_total"] = self.tracer.total + self.tracer.pending
        self.memory_counters(r)
        return row

    def fast_counts(self) -> tuple[int, int, int, int, int]:
        """(live, runnable, running, syscall, waiting) user goroutines in O(P + M), not O(G): runnable
        Gs are the queues' contents, running and syscall Gs are the Ms' current Gs, waiting is the rest.
        The runtime's own goroutines (GC workers, sweeper) are left out, like runtime.NumGoroutine."""
        running = syscall = 0
        for m in self.allm:
            gp = m.curg
            if gp is not None and not gp.is_worker:
                if gp.status == Grunning:
                    running += 1
                elif gp.status == Gsyscall:
                    syscall += 1
        allp = self.allp
        runnable = len(self.sched_runq)
        for i in range(self.gomaxprocs):
            pp = allp[i]
            runnable += len(pp.runq) + (pp.runnext is not None)
        for gp in self.runtime_gs:
            if gp.status == Grunnable:
                runnable -= 1
        live = self.n_created - self.n_exited
        return live, runnable, running, syscall, live - runnable - running - syscall

    def drain_counters(self) -> np.ndarray:
        """The counters sampled every COUNTER_SAMPLE_NS of virtual time since the last drain, then the
        current row: a time series whose resolution does not depend on how big the slices are."""
        rows = self._counter_rows
        now = self.counters()
        if rows and rows[-1]["t_ns"][0] >= now["t_ns"][0]:
            now = None
        out = np.concatenate([*rows, now] if now is not None else rows)
        self._counter_rows = []
        return out

    def stats(self, wall_s: float | None = None) -> dict:
        """The --json summary (wall seconds aside, deterministic for a scenario and seed)."""
        counts = self.status_counts()
        names = C.G_STATUS_NAMES
        live = {names[s]: n for s, n in sorted(counts.items()) if s != Gdead}
        elapsed = max(self.now, 1)
        busy = []
        for i in range(len(self.allp)):
            pp = self.allp[i]
            b = pp.busy_ns + (self.now - pp.run_start if pp.run_start >= 0 else 0)
            busy.append(round(b / elapsed, 6))
        samples = max(self._samples, 1)
        out = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "policy": self.policy,
            "gomaxprocs": self.gomaxprocs,
            "virtual_ns": self.now,
            "end_reason": self.done_reason or "running",
            "error": self.error,
            "goroutines": {
                "created": self.n_created,
                "exited": self.n_exited,
                "live": sum(live.values()),
                "live_by_status": live,
            },
            "steals": {"count": self.n_steals, "gs_moved": self.n_stolen},
            "runq_spills": self.n_spills,
            "handoffs": self.n_handoffs,
            "preemptions": self.n_preemptions,
            "syscalls": self.n_syscalls,
            "context_switches": self.ctx_switches,
            "threads": len(self.allm),
            "p_busy_fraction": busy[: self.gomaxprocs],
            "global_runq": {"max": self.max_global_runq, "mean": round(self._sum_global / samples, 3)},
            "local_runq": {
                "max": self.max_local_runq,
                "mean": round(self._sum_local / samples / max(self.gomaxprocs, 1), 3),
            },
            "events_emitted": self.tracer.total + self.tracer.pending,
        }
        out.update(self.memory_stats())
        if wall_s is not None:
            out["wall_s"] = round(wall_s, 3)
        return out

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
                if gp.status == Grunning and not self.gcwaiting:
                    assert m.p is not None, f"running G{gp.goid} on M{m.id} has no P"
                put(gp, f"M{m.id}")
            if m.p is not None:
                assert m.p.m is m, f"M{m.id} holds P{m.p.id} but P{m.p.id}.m is {m.p.m and m.p.m.id}"
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
        for gp in self.sched_runq:
            assert gp.status == Grunnable, f"G{gp.goid} in the global queue has status {gp.status}"
            put(gp, "sched.runq")
        for gp in self.sched_gFree:
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

    def assumptions(self) -> list[str]:
        return [
            f"Emulates {C.GO_VERSION} runtime behaviour.",
            *SCHED_ASSUMPTIONS,
            *self.memory_assumptions(),
            *WORKLOAD_ASSUMPTIONS,
            *budget.ASSUMPTIONS,
        ]


__all__ = ["Engine", "EngineError", "RuntimeHooks"]
