"""Timers — `runtime/time.go`: per-P timer heaps (addtimer/maybeAdd, timers.check and run,
timeSleepUntil). A part of :class:`gmpviz.core.sched.scheduler.Scheduler`.

Only the timers goroutines sleep on are modelled (time.Sleep); each is (when, seq, g) in its P's heap.
"""

from __future__ import annotations

import heapq

from ..clock import PRIO_NETPOLL_WAKE
from ..runtime2 import G, P
from ..trace.events import EV

_TimerFire = int(EV.TimerFire)


class TimersMixin:
    """time.go's timers over the scheduler's Ps."""

    def addtimer(self, pp: P, gp: G, when: int) -> None:
        """time.go: addtimer — on the current P's heap; an idle P's timers are served by netpoll."""
        self.timer_seq += 1
        seq = self.timer_seq
        heapq.heappush(pp.timers, (when, seq, gp))
        heapq.heappush(self.timer_all, (when, seq))
        self.timer_live.add(seq)
        self.clock.at_timer(when, self.timer_due, pp)  # at(when, PRIO_TIMER, ...), in the timers' heap

    def run_timers(self, owner: P, runner: P) -> None:
        """time.go: timers.check/run — fire owner's expired timers on runner's M: goready into
        runner's runnext (goroutineReady -> ready(gp, 0, true))."""
        timers = owner.timers
        now = self.clock.now
        m = runner.m
        while timers and timers[0][0] <= now:
            when, seq, gp = heapq.heappop(timers)
            self.timer_live.discard(seq)
            self.ext((now, _TimerFire, runner.id, m.id if m else -1, gp.goid, now - when, 0, 0))
            self.ready(gp, m, True)

    def _next_timer_when(self) -> int:
        """The earliest timer of any P, -1 without timers (timeSleepUntil). O(log timers), not O(P):
        timer_all holds every P's timers; the ones already run are dropped when they reach the top."""
        heap, live = self.timer_all, self.timer_live
        while heap and heap[0][1] not in live:
            heapq.heappop(heap)
        return heap[0][0] if heap else -1

    def _next_idle_timer(self):
        """(when, P) of the earliest timer on an idle P, or (-1, None)."""
        best, best_p = -1, None
        for pp in self.sched.pidle:
            t = pp.timers
            if t and (best < 0 or t[0][0] < best):
                best, best_p = t[0][0], pp
        return best, best_p

    def _any_timers(self) -> bool:
        return bool(self.timer_live)

    def timer_due(self, pp: P, _token: int = 0) -> None:
        """A timer of pp is due: the M blocked in netpoll (sleeping until the earliest timer of any P,
        woken early by wakeNetPoller) returns and runs it on an idle P. Without an idle P, a busy P
        runs its timers at its next schedule() and spinning Ms steal them on the last pass."""
        now = self.clock.now
        if not pp.timers or pp.timers[0][0] > now:
            return
        if self.netpoll_m is not None and self.sched.pidle:
            nm = self.netpoll_m
            self.at(now, PRIO_NETPOLL_WAKE, self.netpoll_wake, nm, nm.token)
