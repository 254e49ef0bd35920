"""The goroutines' user code: interpret a G's compiled ops (gmpviz.core.workload.ops) on its M.

Each call of :meth:`GExecMixin.run_g` runs ops until one takes virtual time (the M's next step is then
pushed on the heap), blocks (the G parks and the M schedules), or exits. Control ops cost nothing.
"""

from __future__ import annotations

from math import cos, log, pi, sqrt

from ..alloc.hooks import DEFER_RECORD_BYTES
from ..clock import PRIO_MSTEP, PRIO_NETREADY
from ..constants import (
    COST_CHAN_OP_NS,
    COST_GO_NS,
    HCHAN_BYTES,
    MAX_STACK_SIZE,
)
from ..trace.events import WAIT_CHAN_RECV, WAIT_GC_SWEEP_WAIT, WAIT_IO, WAIT_SELECT_NO_CASES, WAIT_SLEEP
from ..workload import budget
from ..workload.ops import (
    DIST_EXP,
    DIST_FIXED,
    DIST_NORMAL,
    DIST_UNIFORM,
    OP_ALLOC,
    OP_BLOCK,
    OP_CHAN_CLOSE,
    OP_CHAN_MAKE,
    OP_CHAN_RECV,
    OP_CHAN_SEND,
    OP_COMPUTE,
    OP_DEFER,
    OP_END_REPEAT,
    OP_EXIT,
    OP_GC,
    OP_GO,
    OP_GOMAXPROCS,
    OP_GOSCHED,
    OP_LOCKOSTHREAD,
    OP_NETWAIT,
    OP_PACE,
    OP_PIPE_READ,
    OP_PIPE_WRITE,
    OP_REPEAT,
    OP_SCOPE_END,
    OP_SELECT,
    OP_SETGCPERCENT,
    OP_SETMEMLIMIT,
    OP_SLEEP,
    OP_STACK,
    OP_SYSCALL,
    OP_TICK,
    OP_UNLOCKOSTHREAD,
)

# A goroutine that runs this many zero-cost ops in a row is given 1 ns of virtual time, so a loop of
# control ops can never stall the clock. (Emulator guard; no runtime counterpart.)
MAX_ZERO_COST_OPS = 1000

# SIMPLIFICATION: modelled CPU costs of operations that are not explicit computes.
COST_DEFER_NS = 2  # an open-coded or stack defer record
COST_STACK_COPY_NS_PER_KIB = 60  # copystack: memmove of the used part plus pointer adjustment


# The workload's random draws (emulator only). Every goroutine draws from its own stream, ``g.rand``.
# The main goroutine's stream comes from the seed; a goroutine's stream comes from its parent's at the go
# statement (one step of the parent's stream, mixed). A goroutine's draws therefore depend only on the
# seed and on its place in the tree of go statements, never on which M ran it when: a change of policy,
# GOMAXPROCS or GC setting keeps every goroutine's draws (issue 17's comparisons). The runtime's own
# choices (steal order, select, which P to preempt) use the scheduler's ``rng``.
# The stream is MINSTD (Park and Miller's multiplicative LCG, multiplier 48271 modulo 2^31 - 1, C++'s
# std::minstd_rand) kept in a float, where each step is exact: one multiply and one modulo per draw,
# cheap enough for the hot path (a 64-bit integer LCG costs about three times as much in CPython). A
# new stream's start is mixed with SplitMix64's finalizer, so sibling streams are unrelated.
MINSTD_MUL = 48271.0
MINSTD_MOD = 2147483647.0  # 2^31 - 1: the states are 1 .. 2^31 - 2
_INV_MOD = 1.0 / MINSTD_MOD
_M64 = (1 << 64) - 1
_TAU = 2.0 * pi
_WORKLOAD_SALT = 0x6D61696E2E6D6169  # "main.mai": the main goroutine's stream is not the runtime's seed


def mix64(x: int) -> int:
    """SplitMix64's finalizer: a 64-bit value whose bits all depend on all of x's."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _stream_start(x: int) -> float:
    return float(1 + mix64(x & _M64) % 2147483646)


def workload_stream(seed: int) -> float:
    """The main goroutine's stream for a run's seed."""
    return _stream_start(seed ^ _WORKLOAD_SALT)


def child_stream(parent: float) -> tuple[float, float]:
    """(parent's next state, the new goroutine's stream) at a go statement."""
    s = parent * MINSTD_MUL % MINSTD_MOD
    return s, _stream_start(int(s) * 0x9E3779B97F4A7C15)


class GExecMixin:
    def sample(self, gp, dist) -> int:
        """A duration in ns from a (DIST_*, a, b) distribution, drawn from gp's own stream."""
        kind, a, b = dist
        if kind == DIST_FIXED:
            return a
        s = gp.rand * MINSTD_MUL % MINSTD_MOD
        gp.rand = s
        u = s * _INV_MOD  # uniform in (0, 1)
        if kind == DIST_EXP:
            return int(-a * log(u))
        if kind == DIST_UNIFORM:
            return a + int(u * (b - a + 1))
        if kind == DIST_NORMAL:
            # Box-Muller with a second uniform from the same stream
            s = s * MINSTD_MUL % MINSTD_MOD
            gp.rand = s
            v = int(a + b * sqrt(-2.0 * log(u)) * cos(_TAU * s * _INV_MOD))
            return v if v > 0 else 0
        raise ValueError(f"unknown distribution {kind}")

    def run_g(self, m) -> None:
        """Continue M's current G: preemption first, then leftover compute, then the next ops."""
        gp = m.curg
        now = self.clock.now
        if gp.is_worker:
            self.gc.gcBgMarkWorker(m, gp)
            return
        if gp.worker_mode < 0:
            self.gc.gcAssistAlloc_end(m, gp)
        if gp.preempt:
            gp.preempt = False
            left = gp.busy_until - now
            if left > 0:
                gp.resume_ns = left
            self.goschedImpl(m, gp, True)
            return
        if gp.resume_ns:
            d = gp.resume_ns
            gp.resume_ns = 0
            gp.busy_until = now + d
            self.clock.at(now + d, PRIO_MSTEP, self.mstep, m, m.token)
            return
        ops = gp.ops
        nops = len(ops)
        zero = 0
        while True:
            if gp.pc >= nops:
                self.goexit0(m, gp)
                return
            op = ops[gp.pc]
            code = op[0]
            if code == OP_COMPUTE:
                gp.pc += 1
                d = self.sample(gp, op[1])
                if d <= 0:
                    continue
                gp.busy_until = now + d
                self.clock.at(now + d, PRIO_MSTEP, self.mstep, m, m.token)
                return
            if code == OP_REPEAT:
                gp.loops.append(op[1])
                gp.pc += 1
                zero += 1
            elif code == OP_END_REPEAT:
                loops = gp.loops
                c = loops[-1]
                if c < 0 or c > 1:
                    if c > 1:
                        loops[-1] = c - 1
                    gp.pc -= op[1] - 1
                else:
                    loops.pop()
                    gp.pc += 1
                zero += 1
            elif code == OP_GO:
                if budget.goroutine_limit(self):
                    return
                if gp.op_rem == 0:
                    gp.op_rem = op[2]
                gp.op_rem -= 1
                if gp.op_rem == 0:
                    gp.pc += 1
                self.newproc(m, gp, op[1])
                self.clock.at(now + COST_GO_NS, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_CHAN_SEND:
                gp.pc += 1
                if not self.chansend(m, gp, self.chans[op[1]]):
                    return
                self.clock.at(now + COST_CHAN_OP_NS, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_CHAN_RECV:
                gp.pc += 1
                if not self.chanrecv(m, gp, self.chans[op[1]]):
                    return
                self.clock.at(now + COST_CHAN_OP_NS, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_SLEEP:
                gp.pc += 1
                d = self.sample(gp, op[1])
                if d <= 0:
                    zero += 1  # time.Sleep(d <= 0) returns at once
                    continue
                self.addtimer(m.p, gp, now + d)
                self.gopark(m, gp, WAIT_SLEEP, 0)
                return
            elif code == OP_SYSCALL:
                gp.pc += 1
                self.entersyscall(m, gp, self.sample(gp, op[1]), bool(op[2]), bool(op[3]))
                return
            elif code == OP_NETWAIT:
                gp.pc += 1
                d = self.sample(gp, op[1])
                self.netpoll_waiters += 1
                self.clock.at(now + d, PRIO_NETREADY, self.netready, gp)
                self.gopark(m, gp, WAIT_IO, 0)
                return
            elif code == OP_PIPE_READ:
                self.pipe_read(m, gp, self.pipes[op[1]], op[2])
                return
            elif code == OP_PIPE_WRITE:
                self.pipe_write(m, gp, self.pipes[op[1]], op[2])
                return
            elif code == OP_PACE:
                # due := start.Add(work / rate); if ahead := time.Until(due); ahead > 0 { time.Sleep(ahead) }
                gp.pc += 1
                due = (gp.pace_due or gp.created_ns) + op[1]
                gp.pace_due = due
                if due <= now:
                    zero += 1  # behind schedule: go on without sleeping
                    continue
                self.addtimer(m.p, gp, due)
                self.gopark(m, gp, WAIT_SLEEP, 0)
                return
            elif code == OP_GOSCHED:
                gp.pc += 1
                self.goschedImpl(m, gp, False)
                return
            elif code == OP_SELECT:
                gp.pc += 1
                if not self.selectgo(m, gp, op[1], bool(op[2])):
                    return
                self.clock.at(now + COST_CHAN_OP_NS, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_CHAN_CLOSE:
                gp.pc += 1
                if not self.closechan(m, gp, self.chans[op[1]]):
                    return
                self.clock.at(now + COST_CHAN_OP_NS, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_CHAN_MAKE:
                gp.pc += 1
                c = self.makechan(op[1], op[2])
                self.mem.runtime_alloc(m.p.id, m.id, gp.goid, HCHAN_BYTES)  # makechan: mallocgc(hchanSize)
                self.ev.ChanMake(now, m.p.id, m.id, gp.goid, chan=c.id, cap=c.dataqsiz)
                zero += 1
            elif code == OP_ALLOC:
                gp.pc += 1
                before = gp.op_rem or op[2]
                cost = self.mem.malloc_op(m, gp, op)
                cost += self.gc.gc_alloc_cost(m, gp, op[1] * (before - gp.op_rem))
                if self.clock.stopped or m.curg is not gp or self.stw_caller is m:
                    return  # (a GC this allocation started stopped the world: startTheWorld resumes it)
                self.clock.at(now + cost, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_STACK:
                gp.pc += 1
                cost = self.stack_op(m, gp, op[1] * op[2], op[3])
                if self.clock.stopped:
                    return
                if cost:
                    self.clock.at(now + cost, PRIO_MSTEP, self.mstep, m, m.token)
                    return
                zero += 1
            elif code == OP_DEFER:
                n, heap = op[1], op[2]
                if n > budget.DEFER_BATCH:  # a big count continues in the next steps
                    if gp.op_rem == 0:
                        gp.op_rem = n
                    n = min(gp.op_rem, budget.DEFER_BATCH)
                    gp.op_rem -= n
                if gp.op_rem == 0:
                    gp.pc += 1
                cost = 0
                for _ in range(n):
                    gp.defers += 1
                    self.ev.GoDefer(now, m.p.id, m.id, gp.goid, depth=gp.defers, heap=heap)
                if heap:
                    cost += self.mem.defer_alloc(m, gp, n)
                    cost += self.gc.gc_alloc_cost(m, gp, DEFER_RECORD_BYTES * n)
                    if self.clock.stopped or self.stw_caller is m:
                        return
                cost += n * COST_DEFER_NS
                self.clock.at(now + cost, PRIO_MSTEP, self.mstep, m, m.token)
                return
            elif code == OP_BLOCK:
                gp.pc += 1
                reason = op[1] if len(op) > 1 else WAIT_SELECT_NO_CASES  # the runtime's Gs say why
                if reason == WAIT_GC_SWEEP_WAIT:
                    self.gc.bgsweep_parked(m, gp)
                    return
                self.gopark(m, gp, reason, 0)
                return
            elif code == OP_EXIT:
                self.goexit0(m, gp)
                return
            elif code == OP_GOMAXPROCS:
                gp.pc += 1
                n = op[1]
                if n > 0 and n != self.gomaxprocs:
                    self.set_gomaxprocs(n, m)
                    return
                zero += 1
            elif code == OP_GC:
                gp.pc += 1
                if self.gc.runtime_GC(m, gp):
                    return
                zero += 1
            elif code == OP_SETGCPERCENT:
                gp.pc += 1
                self.gc.setGCPercent(op[1])
                zero += 1
            elif code == OP_SETMEMLIMIT:
                gp.pc += 1
                self.gc.setMemoryLimit(op[1])
                zero += 1
            elif code == OP_SCOPE_END:
                gp.pc += 1
                self.mem.scope_end(gp)
                zero += 1
            elif code == OP_TICK:
                # <-ticker.C: the ticker (made at the G's first tick) fires on the grid start + k*period;
                # a late receiver takes the kept tick at once and the missed ones are dropped
                gp.pc += 1
                period = op[1]
                last = gp.pace_due
                if last:
                    due = last + period
                    if due <= now:
                        gp.pace_due = last + (now - last) // period * period
                        zero += 1
                        continue
                else:
                    due = now + period
                gp.pace_due = due
                self.addtimer(m.p, gp, due)
                self.gopark(m, gp, WAIT_CHAN_RECV, 0)
                return
            elif code == OP_LOCKOSTHREAD:
                # proc.go dolockOSThread: gp.m.lockedg = gp; gp.lockedm = gp.m
                gp.pc += 1
                gp.lockedm = m
                m.lockedg = gp
                zero += 1
            elif code == OP_UNLOCKOSTHREAD:
                # proc.go dounlockOSThread
                gp.pc += 1
                gp.lockedm = None
                m.lockedg = None
                zero += 1
            else:
                raise ValueError(f"unknown op {code}")
            if zero >= MAX_ZERO_COST_OPS:
                if budget.zero_cost_burst(self, now, zero):
                    return
                self.clock.at(now + 1, PRIO_MSTEP, self.mstep, m, m.token)
                return

    def stack_op(self, m, gp, needed_bytes: int, keep: int = 0) -> int:
        """newstack/copystack: double the stack until the frames fit; returns the copy cost in ns.
        keep: the calls do not return; the frames stay in ``gp.stack_used`` (scanned at every GC, on
        top of the park site's own frames) and later stack ops call from there."""
        now = self.clock.now
        cost = 0
        kept = gp.stack_used
        needed_bytes += kept
        gp.stack_used = needed_bytes
        while gp.stack_bytes < needed_bytes:
            new = gp.stack_bytes * 2
            if new > MAX_STACK_SIZE:
                self.ev.GoStackOverflow(now, m.p.id, m.id, gp.goid, needed_bytes=needed_bytes)
                self.fatal(
                    f"runtime: goroutine stack exceeds {MAX_STACK_SIZE}-byte limit\n"
                    "fatal error: stack overflow"
                )
                return 0
            self.ev.GoStackGrow(now, m.p.id, m.id, gp.goid, old_bytes=gp.stack_bytes, new_bytes=new)
            cost += self.mem.stack_grow(m, gp, new)
            cost += (gp.stack_bytes // 1024) * COST_STACK_COPY_NS_PER_KIB
        if not keep:
            gp.stack_used = kept  # the calls return (ops.py): a later GC scan may shrink the grown stack
        return cost
