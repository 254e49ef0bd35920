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
        timers = pp.timers
        if not timers or when < timers[0][0]:
            heapq.heappush(self.timer_heads, (when, pp.id))  # a new earliest timer on pp
        heapq.heappush(timers, (when, self.timer_seq, gp))
        self.ntimers += 1
        self.clock.at_timer(when, self.timer_due, pp)  # at(when, PRIO_TIMER, ...), in the timers' heap
        nm = self.netpoll_m
        if nm is not None and (self.netpoll_until < 0 or self.netpoll_until > when):
            # time.go maybeAdd -> wakeNetPoller(when): the poller sleeps past this timer (or without
            # one): netpollBreak, and it blocks again for the new earliest timer
            self.netpoll_until = when
            wake = self.clock.now + self.thread_wake_ns()
            self.at(wake, PRIO_NETPOLL_WAKE, self.netpoll_wake, nm, nm.token)

    def run_timers(self, owner: P, runner: P) -> None:
        """time.go: timers.check/run — fire owner's expired timers on runner's M: goready into
        runner's runnext (goroutineReady -> ready(gp, 0, true))."""
        timers = owner.timers
        now = self.clock.now
        m = runner.m
        fired = False
        while timers and timers[0][0] <= now:
            when, _, gp = heapq.heappop(timers)
            self.ntimers -= 1
            fired = True
            self.ext((now, _TimerFire, runner.id, m.id if m else -1, gp.goid, now - when, 0, 0))
            self.ready(gp, m, True)
        if fired and timers:
            heapq.heappush(self.timer_heads, (timers[0][0], owner.id))

    def _next_timer_when(self) -> int:
        """The earliest timer of any P, -1 without timers (timeSleepUntil). O(log Ps), not O(P):
        timer_heads holds (when, P id) for every P's earliest timer, pushed whenever that changes
        (a new earliest timer, run_timers, p.destroy); the entries a P has since left behind (its
        earliest timer is no longer ``when``) are dropped when they reach the top."""
        heads, allp = self.timer_heads, self.allp
        while heads:
            when, pid = heads[0]
            timers = allp[pid].timers
            if timers and timers[0][0] == when:
                return when
            heapq.heappop(heads)
        return -1

    def _next_idle_timer(self):
        """(when, P) of the earliest timer on an idle P, or (-1, None)."""
        best, best_p = -1, None
        for pp in self.sched.pidle:
            t = pp.timers
            if t and (best < 0 or t[0][0] < best):
                best, best_p = t[0][0], pp
        return best, best_p

    def _any_timers(self) -> bool:
        return self.ntimers > 0

    def timer_due(self, pp: P, _token: int = 0) -> None:
        """A timer of pp is due. The M blocked in netpoll wakes at its own epoll timeout (it blocked
        for the earliest timer, proc.py epoll_wait_ns, and addtimer's wakeNetPoller broke it for an
        earlier one); only a poller blocked without a timer is woken here. Without an idle P, a busy
        P runs its timers at its next schedule() and spinning Ms steal them on the last pass."""
        now = self.clock.now
        if not pp.timers or pp.timers[0][0] > now:
            return
        if self.netpoll_m is not None and self.netpoll_until < 0 and self.sched.pidle:
            nm = self.netpoll_m
            self.at(now, PRIO_NETPOLL_WAKE, self.netpoll_wake, nm, nm.token)
