"""The machine under the runtime: ``ncpu`` CPUs shared by the process's runnable threads.

The runtime never sees this layer; the kernel's scheduler decides which thread runs. An M wants a
CPU while it runs a G or the scheduler (spinning included) and while its G is in a syscall that burns
kernel time (a scenario's ``{ syscall = ..., cpu = true }``). It does not want one while parked on
``sched.midle`` (futex sleep, lock_futex.go ``notesleep``), blocked in netpoll (epoll_wait), or in a
syscall that waits in the kernel (every other syscall).

The model is the fair share of Linux's EEVDF scheduler (kernel/sched/fair.c, Linux 6.6 and later) for
threads of one process alone on the machine, reduced to round robin:

* a thread that becomes runnable takes a free CPU, or queues: a woken thread (it slept, so EEVDF
  places it with a lag of at least 0 and the earlier deadline) ahead of the threads whose slice ended;
  it does not preempt a running thread before that one's slice ends (``RUN_TO_PARITY``, on by default:
  ``set_protect_slice`` protects the picked thread for its slice);
* while the queue is not empty, every running thread keeps its CPU for one slice,
  ``sysctl_sched_base_slice`` = 0.75 ms x (1 + ilog2(min(ncpu, 8))) (fair.c ``sched_base_slice``
  scaled by ``get_update_sysctl_factor``, SCHED_TUNABLESCALING_LOG), then goes to the tail;
* a thread without a CPU makes no progress: its pending step is held (``hold``) and runs, with the
  work it still had, once the thread runs again.

Emulator bookkeeping only: it costs O(1) per thread transition and O(ncpu) when a queue forms, and it
emits nothing while every runnable thread has a CPU (``MCPUWait``/``MCPURun`` mark only the waits).
"""

from __future__ import annotations

from collections import deque

from .clock import PRIO_MWAKE
from .constants import US, Gsyscall
from .trace.events import LANE_ACTIONS

#: fair.c: normalized_sysctl_sched_base_slice (EEVDF's request size; CFS's sched_min_granularity)
SCHED_BASE_SLICE_NS = 750 * US
#: fair.c get_update_sysctl_factor: the CPUs the tunables scale with are capped at 8
SCHED_TUNABLE_MAX_CPUS = 8

# MCPUWait reasons (a0)
CPUWAIT_WOKEN = 0  # the thread became runnable (woken, created, its syscall returned) and no CPU is free
CPUWAIT_SLICE = 1  # its slice ended while others waited: back to the tail of the run queue
CPUWAIT_NAMES = ("woken", "slice expired")

_ACT_USER = LANE_ACTIONS.index("user")
_ACT_IDLE = LANE_ACTIONS.index("idle")
_ACT_SPIN = LANE_ACTIONS.index("spin")
_ACT_SYSCALL = LANE_ACTIONS.index("syscall")
_ACT_GC = LANE_ACTIONS.index("gc")
_ACT_ASSIST = LANE_ACTIONS.index("assist")


def sysctl_factor(ncpu: int) -> int:
    """fair.c get_update_sysctl_factor (SCHED_TUNABLESCALING_LOG): 1 + ilog2(min(ncpu, 8))."""
    cpus = max(1, min(ncpu, SCHED_TUNABLE_MAX_CPUS))
    return cpus.bit_length()


def sched_base_slice_ns(ncpu: int) -> int:
    """fair.c: sysctl_sched_base_slice for ncpu online CPUs."""
    return SCHED_BASE_SLICE_NS * sysctl_factor(ncpu)


class OSSched:
    """The kernel's CPU scheduler for one process's threads (the Ms; sysmon is not modelled)."""

    def __init__(self, rt, ncpu: int) -> None:
        self.rt = rt
        self.clock = rt.clock
        self.ncpu = int(ncpu)
        self.slice_ns = sched_base_slice_ns(self.ncpu)
        self.free_cpus = list(range(self.ncpu - 1, -1, -1))  # a stack: CPU 0 is taken first
        self.running: list = []  # Ms on a CPU
        self.waitq: deque = deque()  # Ms runnable without a CPU: the woken ones first, each part FIFO
        self.n_woken = 0  # the woken Ms at the head of waitq
        self.waits = 0  # MCPUWait events so far
        self.wait_ns = 0  # time Ms spent waiting for a CPU (closed waits)

    # --- transitions ------------------------------------------------------------------------------
    # Invariant: ``m.cpu_hold`` is False exactly when M has a CPU and owes no time, so an M's clock
    # handler needs one attribute test (``if m.cpu_hold and not os.admit(...)``) on the fast path.
    def admit(self, m, handler, prio: int) -> bool:
        """M's step ``handler`` is due and ``m.cpu_hold`` is set: True if it may run now.

        A sleeping M (parked, blocked in the kernel) becomes runnable: it takes a free CPU or waits
        for one. An M waiting for a CPU keeps the step, with the work it still had, until it runs. An
        M that got its CPU back after a wait moves the step later by the time it had none."""
        now = self.clock.now
        if m.cpu < 0:
            if m.cpu_off < 0:  # asleep until now
                if self.free_cpus:
                    self._grant(m, self.free_cpus.pop())
                    return True
                m.cpu_off = now
                m.cpu_deferred = (handler, prio, m.token, 0, now)
                self._enqueue(m, CPUWAIT_WOKEN)
                return False
            # waiting: the step's work ended at its due time, and the M had none of it since it lost
            # its CPU (SIMPLIFICATION: a step pushed by another agent during the wait counts from then too)
            rem = m.cpu_debt + max(now - m.cpu_off, 0)
            m.cpu_debt = 0
            m.cpu_deferred = (handler, prio, m.token, rem, now)
            return False
        debt = m.cpu_debt
        m.cpu_debt = 0
        m.cpu_hold = False
        if debt <= 0:
            return True
        gp = m.curg
        if gp is not None:
            gp.busy_until += debt
        self.clock.at(now + debt, prio, handler, m, m.token)
        return False

    def grant_now(self, m) -> None:
        """M runs from the start (M0 at schedinit): a free CPU, which there always is then."""
        self._grant(m, self.free_cpus.pop())
        m.cpu_hold = False

    def release(self, m) -> None:
        """M stops wanting a CPU (parks, blocks in the kernel): its CPU goes to the next waiter."""
        m.cpu_hold = True
        m.cpu_debt = 0
        m.cpu_deferred = None
        if m.cpu < 0:
            if m.cpu_off >= 0:  # waiting: leave the queue (another agent changed what it does)
                if self.waitq.index(m) < self.n_woken:
                    self.n_woken -= 1
                self.waitq.remove(m)
                m.cpu_off = -1
            return
        cpu = m.cpu
        m.cpu = -1
        self.running.remove(m)
        if self.waitq:
            self._grant(self._next(), cpu)
        else:
            self.free_cpus.append(cpu)

    # --- the run queue ----------------------------------------------------------------------------
    def _enqueue(self, m, reason: int) -> None:
        first = not self.waitq
        if reason == CPUWAIT_WOKEN:  # a sleeper is owed CPU time: ahead of those whose slice ended
            self.waitq.insert(self.n_woken, m)
            self.n_woken += 1
        else:
            self.waitq.append(m)
        self.waits += 1
        rt = self.rt
        rt.ev.MCPUWait(
            self.clock.now, m.p.id if m.p else -1, m.id, self._goid(m), reason=reason, waiting=len(self.waitq)
        )
        if first:  # a queue formed: every running thread's slice now counts
            for r in self.running:
                self._arm(r)

    def _grant(self, m, cpu: int) -> None:
        now = self.clock.now
        m.cpu = cpu
        m.cpu_since = now
        self.running.append(m)
        if m.cpu_off >= 0:  # it waited
            waited = now - m.cpu_off
            self.wait_ns += waited
            m.cpu_off = -1
            self.rt.ev.MCPURun(
                now,
                m.p.id if m.p else -1,
                m.id,
                self._goid(m),
                resume=self._activity(m),
                cpu=cpu,
                waited_ns=waited,
            )
            d = m.cpu_deferred
            if d is not None:
                m.cpu_deferred = None
                m.cpu_hold = m.cpu_debt > 0
                handler, prio, token, rem, due = d
                if token == m.token:
                    gp = m.curg
                    if gp is not None:
                        gp.busy_until += now + rem - due
                    self.clock.at(now + rem, prio, handler, m, token)
            else:
                m.cpu_debt += waited  # its pending step is still on the heap: it moves when due
                m.cpu_hold = True
        else:
            m.cpu_hold = m.cpu_debt > 0
        if self.waitq:
            self._arm(m)

    def _arm(self, m) -> None:
        m.cpu_tok += 1
        self.clock.at(max(self.clock.now, m.cpu_since + self.slice_ns), PRIO_MWAKE, self.tick, m, m.cpu_tok)

    def tick(self, m, token: int) -> None:
        """The end of M's slice (clock handler): to the tail of the queue if someone waits."""
        if token != m.cpu_tok or m.cpu < 0 or not self.waitq:
            return
        cpu = m.cpu
        m.cpu = -1
        self.running.remove(m)
        m.cpu_off = self.clock.now
        m.cpu_hold = True
        self._enqueue(m, CPUWAIT_SLICE)
        self._grant(self._next(), cpu)

    def _next(self):
        """The next waiter to run: the head of the queue."""
        if self.n_woken:
            self.n_woken -= 1
        return self.waitq.popleft()

    # --- what the lanes show ----------------------------------------------------------------------
    @staticmethod
    def _goid(m) -> int:
        return m.curg.goid if m.curg is not None else 0

    @staticmethod
    def _activity(m) -> int:
        """The LANE_ACTIONS index of what M does once it runs again (MCPURun's ``resume``)."""
        gp = m.curg
        if gp is not None:
            if gp.status == Gsyscall:
                return _ACT_SYSCALL
            if gp.is_worker:
                return _ACT_GC
            if gp.worker_mode < 0:
                return _ACT_ASSIST
            return _ACT_USER
        if m.spinning:
            return _ACT_SPIN
        return _ACT_IDLE


OS_ASSUMPTIONS = (
    "CPUs: the process's threads share ncpu CPUs (default: GOMAXPROCS) through a round-robin model of "
    "Linux's fair scheduler: one run queue, a slice of sysctl_sched_base_slice (0.75 ms x "
    "(1 + log2 min(ncpu, 8))) while others wait; a woken thread queues ahead of those whose slice ended "
    "and waits for a slice to end (RUN_TO_PARITY); no vruntime, nice levels or CPU affinity; "
    "the process is alone on the machine; sysmon's thread takes no CPU. A thread without a CPU makes no "
    "progress. Ms in a syscall marked cpu = true burn kernel CPU for its duration; in any other "
    "syscall, parked on the idle list or blocked in netpoll, they sleep.",
)

__all__ = ["CPUWAIT_NAMES", "OS_ASSUMPTIONS", "OSSched", "sched_base_slice_ns"]
