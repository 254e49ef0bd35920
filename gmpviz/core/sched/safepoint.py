"""How long a preemption request takes to reach a goroutine's safe point — the latency model that
stopTheWorldWithSema (``preemptall`` + the wait on ``sched.stopnote``), forEachP (``preemptall`` + the
wait on ``sched.safePointNote``) and sysmon's ``retake`` share.

The runtime asks in two ways at once (proc.go ``preemptone``): it sets ``gp.preempt`` and poisons
``gp.stackguard0 = stackPreempt``, so the G stops at its next function prologue that checks the stack
(a *synchronous* safe point: every call of a splittable function, so any allocation — mallocgc's
callees — any channel operation, any entry into the scheduler), and it sends ``SIGURG``
(``preemptM``, signal_unix.go) for a G in a loop without such calls (an *asynchronous* safe point:
``doSigPreempt`` -> ``asyncPreempt``). Which one lands first follows from what the G runs:

* a G in a scenario's compute op stands for a tight loop (a leaf function with no stack check, like
  progs/cpubound's ``spin``): only the signal stops it, after the signal's delivery
  (``async_preempt_ns``, measured with tests/fidelity/oslat), and only once its thread has a CPU
  (core/os.py holds the step until then);
* any other running G (between ops: allocating, on a channel, in the runtime like bgsweep's
  ``goschedIfBusy`` loop) reaches a synchronous check at its next step: its pending step runs as it
  would have and sees ``gp.preempt`` there.

The stopper then sleeps (``notetsleep(&sched.stopnote, 100*1000)``) unless every P stopped at once,
and the last P to stop wakes it (``notewakeup``): one futex wake-up (``thread_wake_ns``) before the
world counts as stopped.

tests/fidelity/progs/safepoint measures the whole (ReadMemStats' stop-the-world with one busy
goroutine, ``/sched/pauses/stopping/other:seconds``, GOMAXPROCS=2 on the 2-core dev machine, Go
1.27.3): see SAFEPOINT_MEASURED below and docs/fidelity.md. Its numbers are a check on the model's
shape (idle << synchronous < asynchronous), not fitted into it.
"""

from __future__ import annotations

# tests/fidelity/progs/safepoint, 2026-12-01 18:58-19:00 UTC, 1-min load 7-11 (other helpers' work),
# 1,000 stops 100 µs apart per mode, stopping-time p10 / p50 / p90 in µs (bucket mid-points of the
# runtime's time histogram):
#   idle     0.2 / 0.2 / 22.5     no other running G: nothing to wait for, the stopper never sleeps
#   gosched  9.2 / 18.4 / 36.9    a runtime.Gosched loop: synchronous, then the stopper's wake-up
#   alloc    15.4 / 36.9 / 61.4   a 64 B allocation loop: synchronous (mallocgc), then the wake-up
#   spin     30.7 / 53.2 / 3,932  a tight loop: the SIGURG delivery, then the wake-up; the p90 is
#                                  the spinning thread waiting for a CPU on the loaded machine
SAFEPOINT_MEASURED = {
    "idle": (0.2, 0.2, 22.5),
    "gosched": (9.2, 18.4, 36.9),
    "alloc": (15.4, 36.9, 61.4),
    "spin": (30.7, 53.2, 3932.2),
}

SAFEPOINT_ASSUMPTIONS = (
    "Safe points: a G in a compute op is a tight loop that only the asynchronous preemption signal stops "
    "(its delivery a measured draw, once its thread has a CPU); any other running G (allocating, on a "
    "channel, in the runtime) stops at its next step, a synchronous stack check; stopTheWorld's and "
    "forEachP's callers sleep until the last P stops and are woken by it (one thread wake-up).",
)


class SafepointMixin:
    """The safe-point latency model (this module's docstring)."""

    def safepoint_ns(self, gp) -> int:
        """Time from a preemption request until ``gp`` (running) reaches a safe point, or -1 when it
        reaches one at its next step (a synchronous stack check: nothing to schedule)."""
        if gp.busy_until > self.clock.now:
            return self.async_preempt_ns()  # a tight loop: only the signal (preemptM) stops it
        return -1

    def stopnote_wake_ns(self) -> int:
        """stopTheWorldWithSema's ``notetsleep(&sched.stopnote)`` -> the last P's ``notewakeup``:
        the stopper's thread wakes (one futex wake-up)."""
        return self.thread_wake_ns()

    def signal_replaces_step(self, m, gp) -> None:
        """The signal's step replaces M's pending step (preemptone bumps m.token): the CPU time that
        step was still owed for the waits of M's thread (core/os.py ``cpu_debt``) belongs to the G's
        work (``busy_until``, which the preempted G keeps as ``resume_ns``), not to the signal, which
        lands as soon as the thread runs again."""
        debt = m.cpu_debt
        if debt:
            m.cpu_debt = 0
            gp.busy_until += debt
            if m.cpu >= 0:
                m.cpu_hold = False  # os.py's invariant: a CPU and no debt
