"""The engine: a deterministic discrete-event emulation of one Go process, in virtual nanoseconds.

An :class:`Engine` is a composition of four parts with narrow interfaces between them:

* ``clock`` — :class:`gmpviz.core.clock.Clock`, the kernel: virtual time and a heap of
  ``(t_ns, prio, seq, handler, obj, token)`` whose named priorities and push order decide ties, so the
  same scenario and seed always give the same events, bit for bit;
* ``scheduler`` — :class:`gmpviz.core.sched.scheduler.Scheduler`: ``sched`` (``runtime2.schedt``),
  G/M/P, and the functions of proc.go, chan.go, the syscalls, sysmon and the goroutines' user code;
* ``mem`` — the allocator hooks (``alloc/hooks.py``: mallocgc per op, stacks) over ``allocator``
  (:class:`gmpviz.core.alloc.Allocator`);
* ``gc`` — :class:`gmpviz.core.gc.mgc.GC`, the GC driver (gcStart … gcMarkTermination, workers,
  assists, sweeping) over the scheduler and the allocator.

Events go to one :class:`gmpviz.core.trace.tracer.Tracer`. This module wires the parts, owns the
run settings and the statistics sampling, and keeps the public API used by the CLI, the engine
thread, the recorder and the tests.
"""

from __future__ import annotations

import operator
import random
import struct

import numpy as np

from gmpviz.core.trace.tracer import Emitters

from . import constants as C
from .alloc.hooks import AllocMixin
from .clock import PRIO_END, PRIO_SAMPLE, Clock
from .constants import PAGE_SIZE, Gdead
from .gc.mgc import GC
from .gc.mgcpacer import MAX_INT64
from .os import OS_ASSUMPTIONS, OSSched
from .sched.gexec import workload_stream
from .sched.scheduler import SCHED_ASSUMPTIONS, Scheduler
from .trace.stats import COUNTER_FIELDS, COUNTERS_DTYPE
from .trace.tracer import Tracer
from .workload import budget
from .workload.budget import EmulatedOOM
from .workload.loader import ASSUMPTIONS as WORKLOAD_ASSUMPTIONS
from .workload.ops import POLICIES, Scenario

#: a counters dict -> its COUNTERS_DTYPE row as a tuple
_COUNTER_ROW = operator.itemgetter(*COUNTERS_DTYPE.names)
_I_GLOBAL_RUNQ = COUNTERS_DTYPE.names.index("global_runq")
_I_LOCAL_RUNQ = COUNTERS_DTYPE.names.index("local_runq_total")
_I_GOMAXPROCS = COUNTERS_DTYPE.names.index("gomaxprocs")
_I_GC_CPU_FRACTION = COUNTERS_DTYPE.names.index("gc_cpu_fraction")
assert COUNTERS_DTYPE.names[0] == "t_ns"

#: one COUNTERS_DTYPE row packed by struct: the dtype is packed (no padding), little-endian
_COUNTER_STRUCT = struct.Struct(
    "<" + "".join({"<i4": "i", "<i8": "q", "<f8": "d"}[t] for _, t in COUNTER_FIELDS)
)
assert _COUNTER_STRUCT.size == COUNTERS_DTYPE.itemsize


def _counter_array(rows: list, runs_rows: int = 0) -> np.ndarray:
    """``np.array(rows, dtype=COUNTERS_DTYPE)``, packed row by row with struct.pack_into into one
    buffer: the same bytes for int and float values in range, three times as fast for a slice's ten
    rows (numpy converts a list of tuples field by field). Anything struct refuses (a float in an int
    column, a value out of range) goes to numpy, which then casts or raises as before.

    A row may be a run of fast-forwarded samples, ``[t_first_ns, count, gc_cpu_ns, gomaxprocs]``
    (Engine._fast_forward_samples; ``runs_rows``: the rows the runs add to len(rows)): ``count``
    copies of the row before it with t_ns and gc_cpu_fraction set as _resampled_row sets them."""
    size = _COUNTER_STRUCT.size
    buf = bytearray(size * (len(rows) + runs_rows))
    pack_into = _COUNTER_STRUCT.pack_into
    try:
        off = 0
        for row in rows:
            if type(row) is list:
                off = _pack_run(buf, off, row)
                continue
            pack_into(buf, off, *row)
            off += size
    except struct.error:
        return np.array(_expand_runs(rows), dtype=COUNTERS_DTYPE)
    return np.frombuffer(buf, dtype=COUNTERS_DTYPE)


_T_NS_STRUCT = struct.Struct("<q")
_FRACTION_STRUCT = struct.Struct("<d")
_FRACTION_OFFSET = COUNTERS_DTYPE.fields["gc_cpu_fraction"][1]


def _pack_run(buf: bytearray, off: int, run: list) -> int:
    """Pack a run of fast-forwarded samples after the row packed just before ``off``; the new offset."""
    size = _COUNTER_STRUCT.size
    t_ns, count, gc_cpu_ns, n = run
    n = max(n, 1)
    prev = bytes(buf[off - size : off])
    pack_t = _T_NS_STRUCT.pack_into
    pack_f = _FRACTION_STRUCT.pack_into
    for _ in range(count):
        buf[off : off + size] = prev
        pack_t(buf, off, t_ns)
        pack_f(buf, off + _FRACTION_OFFSET, gc_cpu_ns / max(t_ns * n, 1))
        off += size
        t_ns += SAMPLE_PERIOD_NS
    return off


def _expand_runs(rows: list) -> list[tuple]:
    """The rows with each run of fast-forwarded samples written out as tuples (_resampled_row's)."""
    out: list[tuple] = []
    for row in rows:
        if type(row) is list:
            t_ns, count, gc_cpu_ns, n = row
            last = out[-1]
            for _ in range(count):
                frac = gc_cpu_ns / max(t_ns * max(n, 1), 1)
                out.append((t_ns, *last[1:_I_GC_CPU_FRACTION], frac, *last[_I_GC_CPU_FRACTION + 1 :]))
                t_ns += SAMPLE_PERIOD_NS
        else:
            out.append(row)
    return out


# Statistics sampling period (emulator only): run queue means and the counters series are sampled
# this often (COUNTER_SAMPLE_NS).
SAMPLE_PERIOD_NS = 1 * C.MS
MAX_NCPU = 4096  # CPUs a machine may have (the scenario loader's bound too)


class EngineError(ValueError):
    """A bad engine argument (one line)."""


class _HookDefaults:
    """Where the allocator hooks' ``super()`` calls end (``alloc/hooks.py`` is written as a mixin)."""

    def _init_memory(self, gogc, memlimit_bytes) -> None:
        pass

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


class Memory(AllocMixin, _HookDefaults):
    """The allocator part of the engine: ``alloc/hooks.py``'s engine-facing calls (``stack_init``,
    ``stack_grow``, ``shrinkstack``, ``malloc_op``, ``defer_alloc``, ``on_goexit``, ``on_procresize``,
    ``memory_counters``/``memory_stats``/``memory_assumptions``) over one Allocator. A span refill or a
    large object asks the GC whether to start a cycle (``gc_trigger_check``)."""

    def __init__(self, clock: Clock, ext, container_limit_bytes: int = -1) -> None:
        self.clock = clock
        self.ext = ext
        self.ev = Emitters(ext)  # the typed emitters generated from SPEC (core/trace/tracer.py)
        self.container_limit_bytes = container_limit_bytes  # the emulated machine's memory (budget.py)
        self.gc: GC | None = None
        self._init_memory(None, None)  # AllocMixin: the Allocator (its mcaches come with procresize)

    @property
    def now(self) -> int:
        return self.clock.now

    def gc_trigger_check(self, m, gp) -> None:
        self.gc.gc_trigger_check(m, gp)


class Engine:
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
        greentea: bool | None = None,
        ncpu: int | None = None,
        schedtrace_ms: int = 0,
        gctrace: bool = False,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        nprocs = scenario.gomaxprocs if procs is None else int(procs)
        if nprocs < 1:
            raise EngineError(f"GOMAXPROCS must be at least 1, got {nprocs}")
        # the machine's CPUs: the scenario's, else GOMAXPROCS (the runtime's default GOMAXPROCS is ncpu)
        self.ncpu = int(ncpu) if ncpu is not None else (scenario.ncpu or nprocs)
        if not 1 <= self.ncpu <= MAX_NCPU:
            raise EngineError(f"ncpu must be between 1 and {MAX_NCPU}, got {self.ncpu}")
        policy = scenario.policy if policy is None else policy
        if policy not in POLICIES:
            raise EngineError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        self.duration_ns = scenario.duration_ns if duration_ns is None else int(duration_ns)
        if self.duration_ns <= 0:
            raise EngineError("duration must be positive")
        self.gctrace = gctrace
        self.tracer = Tracer()
        self.clock = clock = Clock()
        self.at = clock.at
        # Two seeded streams: the runtime's (rng) and the workload's (one per goroutine, from this one),
        # so a runtime-only change (policy, GOMAXPROCS, GOGC) keeps every goroutine's draws.
        self.rng = random.Random(self.seed)
        self.scheduler = rt = Scheduler(
            scenario, clock, self.tracer.ext, self.rng, workload_stream(self.seed), policy, schedtrace_ms
        )
        self.mem = mem = Memory(clock, self.tracer.ext, scenario.container_limit_bytes)
        self.allocator = mem.allocator
        self.gc = gc = GC(rt, mem, gogc, memlimit_bytes, greentea)
        self.greentea = gc.greentea
        rt.gc = mem.gc = gc
        rt.mem = mem
        #: the counters sampled since the last drain_counters, as tuples in COUNTERS_DTYPE order
        self._counter_rows: list[tuple] = []
        #: False: the periodic counter rows are not kept (a headless run that never drains them);
        #: drain_counters still returns the current row
        self.sample_counters = True
        #: the last sampled row and the commands applied when it was taken: a sample with no event
        #: emitted since that row (its last column counts them) and no command applied reuses it
        #: (see _sample_step)
        self._sampled_row: tuple | None = None
        self._sampled_commands = -1
        #: reuse that row (off: every sample is a full row, the reference for tests)
        self.sample_reuse = True
        self._commands = 0  # apply() calls so far
        #: take the samples due before the next step at once (_fast_forward_samples); off: one
        #: clock step per sample, as the rows' reference (tests)
        self.sample_fast_forward = True
        self._sample_runs = 0  # rows the runs of fast-forwarded samples in _counter_rows add
        self.os = rt.os = OSSched(rt, self.ncpu)
        rt.schedinit(nprocs)
        self.at(SAMPLE_PERIOD_NS, PRIO_SAMPLE, self._sample_step)
        self.at(self.duration_ns, PRIO_END, self._end_step)

    # ------------------------------------------------------------------------------------------
    # running
    # ------------------------------------------------------------------------------------------

    @property
    def now_ns(self) -> int:
        """The virtual clock in nanoseconds."""
        return self.clock.now

    @property
    def now(self) -> int:
        return self.clock.now

    @property
    def done(self) -> bool:
        return self.clock.stopped

    @property
    def steps(self) -> int:
        """Clock steps popped so far (stale ones included)."""
        return self.clock.steps

    def step_event(self) -> int:
        """Process one clock step; returns the number of events it emitted."""
        before = len(self.tracer._flat)
        self.clock.step()
        return (len(self.tracer._flat) - before) // 8

    def run_until(self, t_ns: int, max_events: int | None = None) -> int:
        """Run every clock step due at or before t_ns (or until about max_events were emitted)."""
        flat = self.tracer._flat
        start = len(flat)
        limit = start + max_events * 8 if max_events else -1
        try:
            self.clock.run_until(t_ns, self.duration_ns, flat, limit)
        except EmulatedOOM as e:  # mheap.grow: the emulated machine's memory is used up
            budget.on_oom(self, e, self.scenario.container_limit_bytes)
        return (len(flat) - start) // 8

    def run(self) -> None:
        """Run to the end of the scenario (duration, main returned, or a fatal error)."""
        self.run_until(self.duration_ns)

    def _sample_step(self, _obj, _token) -> None:
        """The counters sample every SAMPLE_PERIOD_NS (clock handler, PRIO_SAMPLE), then the samples
        due before the clock's next step (see _fast_forward_samples)."""
        clock = self.clock
        if self.sample_counters:
            last = self._sampled_row
            tracer = self.tracer
            if (
                last is not None
                and self.sample_reuse
                and last[-1] == tracer.total + len(tracer._flat) // 8  # no event since (its events column)
                and self._commands == self._sampled_commands
            ):
                row = self._resampled_row(last)
            else:
                row = self._counter_values()
                self._sampled_commands = self._commands
            self._sampled_row = row
            self._counter_rows.append(row)
            # the run queue lengths the row holds (computing them twice was a tenth of a sample)
            global_runq, local_runq = row[_I_GLOBAL_RUNQ], row[_I_LOCAL_RUNQ]
        else:
            global_runq, local_runq = self.scheduler._runq_lengths()
        self.scheduler._sample_runqs(global_runq, local_runq)
        nxt = clock.now + SAMPLE_PERIOD_NS
        if nxt <= clock.horizon and self.sample_fast_forward:
            nxt += SAMPLE_PERIOD_NS * self._fast_forward_samples(global_runq, local_runq)
        self.at(nxt, PRIO_SAMPLE, self._sample_step)

    def _fast_forward_samples(self, global_runq: int, local_runq: int) -> int:
        """Take now the samples due after this one and before the clock's next step (and at most up
        to run_until's horizon); returns how many.

        Between two steps nothing changes, so each of those samples is what _resampled_row would make
        from this one: only t_ns and gc_cpu_fraction move. They go into the rows as one run,
        ``[t_first_ns, count, gc_cpu_ns, gomaxprocs]`` after this sample's row, which drain_counters
        expands (_counter_array); the run-queue means count them too. A sparse preset (a handful
        of steps per virtual ms) thus pops one sample step per gap between its steps, not one per ms:
        the samples were half of the steps of cpu-bound or gomaxprocs (issue 13). Nothing but the
        sample's own step is skipped: every other step, event and draw is the same."""
        clock = self.clock
        now = clock.now
        due = clock.next_due()
        last = clock.horizon if due < 0 or due > clock.horizon else due - 1
        k = (last - now) // SAMPLE_PERIOD_NS
        if k <= 0:
            return 0
        if self.sample_counters:
            row = self._sampled_row
            self._counter_rows.append([now + SAMPLE_PERIOD_NS, k, self.gc.gc_cpu_ns, row[_I_GOMAXPROCS]])
            self._sample_runs += k - 1
        self.scheduler._sample_runqs(global_runq, local_runq, k)
        return k

    def _end_step(self, _obj, _token) -> None:
        self.scheduler.finish("duration reached")

    # ------------------------------------------------------------------------------------------
    # commands (from the UI / CLI), between steps
    # ------------------------------------------------------------------------------------------

    def apply(self, cmd: tuple) -> None:
        """Change a setting while running: ("gomaxprocs", n), ("gogc", n|-1), ("memlimit", bytes|-1),
        ("policy", name)."""
        name, value = cmd[0], cmd[1]
        self._commands += 1  # the next counters sample reads everything again
        if name == "gomaxprocs":
            n = int(value)
            if n < 1:
                raise EngineError(f"GOMAXPROCS must be at least 1, got {n}")
            if n != self.scheduler.gomaxprocs and not self.clock.stopped:
                self.scheduler.set_gomaxprocs(n, None)
        elif name == "gogc":
            self.gc.setGCPercent(int(value))
        elif name == "memlimit":
            self.gc.setMemoryLimit(int(value))
        elif name == "policy":
            if value not in POLICIES:
                raise EngineError(f"unknown policy {value!r}; expected one of {', '.join(POLICIES)}")
            self.scheduler.set_policy(value)
        else:
            raise EngineError(f"unknown command {name!r}")

    def drain(self) -> np.ndarray:
        return self.tracer.drain()

    def discard_output(self) -> None:
        """Drop the events and counter samples not yet drained (headless runs that only want stats)."""
        self.tracer.discard()
        self._counter_rows.clear()
        self._sample_runs = 0

    # ------------------------------------------------------------------------------------------
    # counters, statistics, assumptions
    # ------------------------------------------------------------------------------------------

    def counters(self) -> np.ndarray:
        """One COUNTERS_DTYPE row: the scalars the UI reads once per slice."""
        return np.array([self._counter_values()], dtype=COUNTERS_DTYPE)

    def _counter_values(self) -> tuple:
        """The counters row as a plain tuple in COUNTERS_DTYPE's field order, built in one go.

        It reads the same running totals as the dict path (``_counter_values_by_name``: the
        scheduler's fields, ``memory_counters`` of the allocator and the GC) and gives the same values
        (tests/core/test_engine_speedups.py checks it along whole runs): filling a dict and reading it
        out cost about 4 µs a sample, this about half, and a sparse preset samples once per virtual ms
        with a handful of events in between (issue 13). The tuples of a slice become one array in
        drain_counters, with the same values and so the same bytes."""
        rt = self.scheduler
        sched = rt.sched
        a = self.allocator
        heap = a.heap
        gc = self.gc
        tracer = self.tracer
        now = self.clock.now
        n = rt.gomaxprocs
        allp = rt.allp
        live, runnable, running, syscall, waiting = rt.fast_counts()
        stack_pages = a.stack_inuse_pages
        mapped = heap.mapped_pages
        released = heap.released_pages
        heap_sys = (mapped - stack_pages) * PAGE_SIZE
        heap_inuse = a.mheap.pagesInUse * PAGE_SIZE
        trigger, goal = gc.heap_trigger()
        tiny = a.tiny_allocs
        return (
            now,
            n,
            live,
            runnable,
            running,
            syscall,
            waiting,
            len(sched.runq),
            sum([len(allp[i].runq) for i in range(n)]),
            len(rt.allm),
            len(sched.pidle),
            sched.nmspinning,
            len(sched.midle),
            a.heap_alloc,
            heap_inuse,
            heap_sys - heap_inuse,
            released * PAGE_SIZE,
            heap_sys,
            stack_pages * PAGE_SIZE,
            a.heap_live,
            goal if goal < MAX_INT64 else MAX_INT64,
            trigger if trigger < MAX_INT64 else MAX_INT64,
            gc.gcController.heapMarked,
            a.mallocs + tiny,
            a.frees + tiny,
            gc.gcphase,
            gc.gc_cycles,
            gc.gc_cpu_ns / max(now * max(n, 1), 1),  # (gc.rt is rt)
            int(sched.gcwaiting),
            (mapped - released) * PAGE_SIZE,  # Allocator.mapped_ready_bytes
            tracer.total + tracer.pending,
        )

    def _resampled_row(self, last: tuple) -> tuple:
        """The counters row when no event was emitted and no command applied since ``last`` was
        sampled: every state the row reads changes only with an event (a G's status, a run queue, a
        P or M list, the heap's books, the GC's phase: each change is an event of SPEC), so only the
        columns that read the clock move (t_ns, and gc_cpu_fraction's elapsed time). Steps that emit
        nothing (a compute op ending, a quiet sysmon round) fill most virtual milliseconds of the
        CPU-bound presets (gomaxprocs: 1769 of 1879 samples in 2 s); this costs a fifth of a full
        row. tests/core/test_engine_speedups.py checks it against a full row at every sample of
        every preset."""
        now = self.clock.now
        frac = self.gc.gc_cpu_ns / max(now * max(last[_I_GOMAXPROCS], 1), 1)
        return (now, *last[1:_I_GC_CPU_FRACTION], frac, *last[_I_GC_CPU_FRACTION + 1 :])

    def _counter_values_by_name(self) -> tuple:
        """The counters row filled field by field into a dict (the scheduler's fields, then
        ``memory_counters``) and read out in COUNTERS_DTYPE order: the reference ``_counter_values``
        must equal."""
        rt = self.scheduler
        sched = rt.sched
        r: dict = {}
        live, runnable, running, syscall, waiting = rt.fast_counts()
        r["t_ns"] = self.clock.now
        r["gomaxprocs"] = rt.gomaxprocs
        r["ngoroutines"] = live
        r["n_runnable"] = runnable
        r["n_running"] = running
        r["n_syscall"] = syscall
        r["n_waiting"] = waiting
        r["global_runq"] = len(sched.runq)
        allp = rt.allp
        r["local_runq_total"] = sum([len(allp[i].runq) for i in range(rt.gomaxprocs)])
        r["threads"] = len(rt.allm)
        r["idle_ps"] = len(sched.pidle)
        r["spinning_ms"] = sched.nmspinning
        r["idle_ms"] = len(sched.midle)
        r["stw"] = int(sched.gcwaiting)
        r["events_total"] = self.tracer.total + self.tracer.pending
        self.memory_counters(r)
        return _COUNTER_ROW(r)

    def drain_counters(self) -> np.ndarray:
        """The counters sampled every COUNTER_SAMPLE_NS of virtual time since the last drain, then the
        current row: a time series whose resolution does not depend on how big the slices are."""
        rows = self._counter_rows
        self._counter_rows = []
        if rows:
            last = rows[-1]
            last_t = last[0] + (last[1] - 1) * SAMPLE_PERIOD_NS if type(last) is list else last[0]
        if not rows or last_t < self.clock.now:
            rows.append(self._counter_values())
        runs_rows = self._sample_runs
        self._sample_runs = 0
        return _counter_array(rows, runs_rows)

    def stats(self, wall_s: float | None = None) -> dict:
        """The --json summary (wall seconds aside, deterministic for a scenario and seed)."""
        rt = self.scheduler
        counts = rt.status_counts()
        names = C.G_STATUS_NAMES
        live = {names[s]: n for s, n in sorted(counts.items()) if s != Gdead}
        elapsed = max(self.clock.now, 1)
        busy = []
        for i in range(len(rt.allp)):
            pp = rt.allp[i]
            b = pp.busy_ns + (self.clock.now - pp.run_start if pp.run_start >= 0 else 0)
            busy.append(round(b / elapsed, 6))
        samples = max(rt._samples, 1)
        out = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "policy": rt.policy,
            "gomaxprocs": rt.gomaxprocs,
            "ncpu": self.ncpu,
            "virtual_ns": self.clock.now,
            "end_reason": rt.done_reason or "running",
            "error": rt.error,
            "goroutines": {
                "created": rt.n_created,
                "exited": rt.n_exited,
                "live": sum(live.values()),
                "live_by_status": live,
            },
            "steals": {"count": rt.n_steals, "gs_moved": rt.n_stolen},
            "runq_spills": rt.n_spills,
            "handoffs": rt.n_handoffs,
            "preemptions": rt.n_preemptions,
            "syscalls": rt.n_syscalls,
            "context_switches": rt.ctx_switches,
            "threads": len(rt.allm),
            "cpu_waits": {"count": self.os.waits, "waited_ns": self.os.wait_ns},
            "p_busy_fraction": busy[: rt.gomaxprocs],
            "global_runq": {"max": rt.max_global_runq, "mean": round(rt._sum_global / samples, 3)},
            "local_runq": {
                "max": rt.max_local_runq,
                "mean": round(rt._sum_local / samples / max(rt.gomaxprocs, 1), 3),
            },
            "events_emitted": self.tracer.total + self.tracer.pending,
        }
        out.update(self.mem.memory_stats())
        out["gc"] = self.gc.memory_stats()
        if wall_s is not None:
            out["wall_s"] = round(wall_s, 3)
        return out

    def memory_counters(self, r) -> None:
        """The memory columns of a counters row: the allocator's, then the GC's."""
        self.mem.memory_counters(r)
        self.gc.memory_counters(r)

    def check_invariants(self) -> None:
        """The scheduler's structural invariants (tests call this after every step)."""
        self.scheduler.check_invariants()

    def assumptions(self) -> list[str]:
        return [
            f"Emulates {C.GO_VERSION} runtime behaviour.",
            *SCHED_ASSUMPTIONS,
            *OS_ASSUMPTIONS,
            *self.mem.memory_assumptions(),
            *self.gc.memory_assumptions(),
            *WORKLOAD_ASSUMPTIONS,
            *budget.ASSUMPTIONS,
        ]

    # ------------------------------------------------------------------------------------------
    # views of the parts' state (read by the UI, the recorder, the CLI and the tests)
    # ------------------------------------------------------------------------------------------

    error = property(lambda self: self.scheduler.error, doc="The fatal error that ended the run, if any.")
    done_reason = property(lambda self: self.scheduler.done_reason)
    policy = property(lambda self: self.scheduler.policy)
    gomaxprocs = property(lambda self: self.scheduler.gomaxprocs)
    allp = property(lambda self: self.scheduler.allp)
    allm = property(lambda self: self.scheduler.allm)
    allgs = property(lambda self: self.scheduler.allgs)
    runtime_gs = property(lambda self: self.scheduler.runtime_gs, doc="GC workers and the sweeper.")
    sched = property(lambda self: self.scheduler.sched, doc="runtime2.schedt")
    sched_runq = property(lambda self: self.scheduler.sched.runq, doc="The global run queue.")
    n_created = property(lambda self: self.scheduler.n_created)
    n_exited = property(lambda self: self.scheduler.n_exited)
    schedtrace_lines = property(lambda self: self.scheduler.schedtrace_lines)
    _heap = property(lambda self: self.clock.heap or self.clock.timers, doc="Pending steps (truthy if any).")
    gogc = property(lambda self: self.gc.gogc)
    memlimit = property(lambda self: self.gc.memlimit)
    gc_cycles = property(lambda self: self.gc.gc_cycles)
    gc_goals = property(lambda self: self.gc.gc_goals)
    gc_cpu_ns = property(lambda self: self.gc.gc_cpu_ns)
    gc_trace_lines = property(lambda self: self.gc.gc_trace_lines)
    tMark = property(lambda self: self.gc.tMark)

    @property
    def on_schedtrace(self):
        """callable(line) for each schedtrace line as it is made (live printing)."""
        return self.scheduler.on_schedtrace

    @on_schedtrace.setter
    def on_schedtrace(self, fn) -> None:
        self.scheduler.on_schedtrace = fn

    @property
    def on_gctrace(self):
        """callable(line) for each gctrace line as it is made (live printing)."""
        return self.gc.on_gctrace

    @on_gctrace.setter
    def on_gctrace(self, fn) -> None:
        self.gc.on_gctrace = fn

    def runqsteal(self, pp, p2, steal_runnext: bool):
        """proc.go: runqsteal (see Scheduler.runqsteal)."""
        return self.scheduler.runqsteal(pp, p2, steal_runnext)


__all__ = ["Engine", "EngineError", "Memory"]
