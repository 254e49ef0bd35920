"""The goroutines' user code: interpret a G's compiled ops (gmpviz.core.workload.ops) on its M.

Each call of :meth:`GExecMixin.run_g` runs ops until one takes virtual time (the M's next step is then
pushed on the heap), blocks (the G parks and the M schedules), or exits. Control ops cost nothing.
"""

from __future__ import annotations

import math

from ..constants import (
    COST_CHAN_OP_NS,
    COST_GO_NS,
    MAX_STACK_SIZE,
)
from ..trace.events import EV, WAIT_IO, WAIT_SELECT_NO_CASES, WAIT_SLEEP
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
    OP_NETWAIT,
    OP_REPEAT,
    OP_SELECT,
    OP_SETGCPERCENT,
    OP_SETMEMLIMIT,
    OP_SLEEP,
    OP_STACK,
    OP_SYSCALL,
)
from .proc import K_MSTEP, K_NETREADY

_ChanMake = int(EV.ChanMake)
_GoDefer = int(EV.GoDefer)

# A goroutine that runs this many zero-cost ops in a row is given 1 ns of virtual time, so a loop of
# control ops can never stall the clock. (Emulator guard; no runtime counterpart.)
MAX_ZERO_COST_OPS = 1000

# SIMPLIFICATION: modelled CPU costs of operations that are not explicit computes.
COST_DEFER_NS = 2  # an open-coded or stack defer record
COST_STACK_COPY_NS_PER_KIB = 60  # copystack: memmove of the used part plus pointer adjustment


class GExecMixin:
    def sample(self, dist) -> int:
        """A duration in ns from a (DIST_*, a, b) distribution, with the engine's seeded RNG."""
        kind, a, b = dist
        if kind == DIST_FIXED:
            return a
        r = self.rng
        if kind == DIST_UNIFORM:
            return a + int(r.random() * (b - a + 1))
        if kind == DIST_EXP:
            return int(-a * math.log(1.0 - r.random()))
        if kind == DIST_NORMAL:
            v = int(r.gauss(a, b))
            return v if v > 0 else 0
        raise ValueError(f"unknown distribution {kind}")

    def run_g(self, m) -> None:
        """Continue M's current G: preemption first, then leftover compute, then the next ops."""
        gp = m.curg
        now = self.now
        if gp.is_worker:
            self.gc_worker_run(m, gp)
            return
        if gp.worker_mode < 0:
            self.gc_assist_end(m, gp)
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
            self.push(now + d, K_MSTEP, m, m.token)
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
                d = self.sample(op[1])
                if d <= 0:
                    continue
                gp.busy_until = now + d
                self.push(now + d, K_MSTEP, m, m.token)
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
                self.push(now + COST_GO_NS, K_MSTEP, m, m.token)
                return
            elif code == OP_CHAN_SEND:
                gp.pc += 1
                if not self.chansend(m, gp, self.chans[op[1]]):
                    return
                self.push(now + COST_CHAN_OP_NS, K_MSTEP, m, m.token)
                return
            elif code == OP_CHAN_RECV:
                gp.pc += 1
                if not self.chanrecv(m, gp, self.chans[op[1]]):
                    return
                self.push(now + COST_CHAN_OP_NS, K_MSTEP, m, m.token)
                return
            elif code == OP_SLEEP:
                gp.pc += 1
                d = self.sample(op[1])
                if d <= 0:
                    zero += 1  # time.Sleep(d <= 0) returns at once
                    continue
                self.addtimer(m.p, gp, now + d)
                self.gopark(m, gp, WAIT_SLEEP, 0)
                return
            elif code == OP_SYSCALL:
                gp.pc += 1
                self.entersyscall(m, gp, self.sample(op[1]), bool(op[2]))
                return
            elif code == OP_NETWAIT:
                gp.pc += 1
                d = self.sample(op[1])
                self.netpoll_waiters += 1
                self.push(now + d, K_NETREADY, gp, 0)
                self.gopark(m, gp, WAIT_IO, 0)
                return
            elif code == OP_GOSCHED:
                gp.pc += 1
                self.goschedImpl(m, gp, False)
                return
            elif code == OP_SELECT:
                gp.pc += 1
                if not self.selectgo(m, gp, op[1], bool(op[2])):
                    return
                self.push(now + COST_CHAN_OP_NS, K_MSTEP, m, m.token)
                return
            elif code == OP_CHAN_CLOSE:
                gp.pc += 1
                if not self.closechan(m, gp, self.chans[op[1]]):
                    return
                self.push(now + COST_CHAN_OP_NS, K_MSTEP, m, m.token)
                return
            elif code == OP_CHAN_MAKE:
                gp.pc += 1
                c = self.makechan(op[1], op[2])
                self.ext((now, _ChanMake, m.p.id, m.id, gp.goid, c.id, c.dataqsiz, 0))
                zero += 1
            elif code == OP_ALLOC:
                gp.pc += 1
                cost = self.malloc_op(m, gp, op)
                if self.done or m.curg is not gp or self.stw_caller is m:
                    return  # (a GC this allocation started stopped the world: startTheWorld resumes it)
                self.push(now + cost, K_MSTEP, m, m.token)
                return
            elif code == OP_STACK:
                gp.pc += 1
                cost = self.stack_op(m, gp, op[1] * op[2])
                if self.done:
                    return
                if cost:
                    self.push(now + cost, K_MSTEP, m, m.token)
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
                    self.ext((now, _GoDefer, m.p.id, m.id, gp.goid, gp.defers, heap, 0))
                if heap:
                    cost += self.defer_alloc(m, gp, n)
                    if self.done or self.stw_caller is m:
                        return
                cost += n * COST_DEFER_NS
                self.push(now + cost, K_MSTEP, m, m.token)
                return
            elif code == OP_BLOCK:
                gp.pc += 1
                self.gopark(m, gp, WAIT_SELECT_NO_CASES, 0)
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
                if self.runtime_GC(m, gp):
                    return
                zero += 1
            elif code == OP_SETGCPERCENT:
                gp.pc += 1
                self.set_gc_percent(op[1])
                zero += 1
            elif code == OP_SETMEMLIMIT:
                gp.pc += 1
                self.set_memory_limit(op[1])
                zero += 1
            else:
                raise ValueError(f"unknown op {code}")
            if zero >= MAX_ZERO_COST_OPS:
                if budget.zero_cost_burst(self, now, zero):
                    return
                self.push(now + 1, K_MSTEP, m, m.token)
                return

    def stack_op(self, m, gp, needed_bytes: int) -> int:
        """newstack/copystack: double the stack until the frames fit; returns the copy cost in ns."""
        cost = 0
        gp.stack_used = needed_bytes
        while gp.stack_bytes < needed_bytes:
            new = gp.stack_bytes * 2
            if new > MAX_STACK_SIZE:
                self.ext((self.now, int(EV.GoStackOverflow), m.p.id, m.id, gp.goid, needed_bytes, 0, 0))
                self.fatal(
                    f"runtime: goroutine stack exceeds {MAX_STACK_SIZE}-byte limit\n"
                    "fatal error: stack overflow"
                )
                return 0
            self.ext((self.now, int(EV.GoStackGrow), m.p.id, m.id, gp.goid, gp.stack_bytes, new, 0))
            cost += self.stack_grow(m, gp, new)
            cost += (gp.stack_bytes // 1024) * COST_STACK_COPY_NS_PER_KIB
        gp.stack_used = 0  # the calls return (ops.py): a later GC scan may shrink the grown stack
        return cost
