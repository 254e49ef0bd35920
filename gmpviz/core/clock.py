"""The event kernel: virtual time and a heap of pending steps, in the manner of SimPy's Environment.

A step is ``(t_ns, prio, seq, handler, obj, token)``; :meth:`Clock.run_until` pops steps in that order
and calls ``handler(obj, token)`` with :attr:`Clock.now` set to ``t_ns``. ``seq`` counts every push,
so two steps due at the same time with the same priority run in push order: a scenario and a seed
always give the same steps in the same order, bit for bit. Nothing else is compared (``seq`` is
unique), so handlers and objects need no ordering.

The steps of priority ``PRIO_TIMER`` pushed with :meth:`Clock.at_timer` (one per sleeping goroutine's
timer, so most of the pending steps) wait in a heap of their own, ``timers``, of
``(t_ns, seq, handler, obj)``, and :meth:`Clock.run_until` takes the earlier of the two heaps' heads
by the same ``(t_ns, prio, seq)``: the order is the one heap's, while the Ms' steps, each pushed just
ahead of the clock, go into a heap of tens of entries instead of thousands (a push costs O(log
pending steps) comparisons of tuples).

Cancellation is O(1) by token: whoever owns a pending step (an M, sysmon) keeps a counter and bumps
it to supersede that step; the step carries the counter's value when it was pushed, and its handler
drops it when the two differ (a stale step still counts in :attr:`Clock.steps`).

Priorities order the steps due at the same ``t_ns`` (lower first, then push order). They are the
engine's former heap kinds ``K_*`` (``sched/proc.py``), with the same numbers, so no recording changed
when the kernel moved here (tools/preset_hashes.py --check). The order is part of the emulation:
renumbering a priority changes recordings, so it is spelled out here and changes only on purpose.
What the order guarantees at one instant:

* the Ms' own steps come first: an M continuing its G or its schedule() (``PRIO_MSTEP``), the end of
  a spinning M's steal passes (``PRIO_FINDRUN_TAIL``), a woken M starting (``PRIO_MWAKE``), a syscall
  returning (``PRIO_SYSCALL_DONE``);
* then what wakes goroutines from outside any M: a P's timer (``PRIO_TIMER``), a descriptor becoming
  ready (``PRIO_NETREADY``), then the M blocked in netpoll returning (``PRIO_NETPOLL_WAKE``), which
  therefore sees every timer and readiness due at its instant;
* then sysmon (``PRIO_SYSMON``), which observes what the Ps did at that instant;
* then the observers, which see the state after every runtime step of that instant: the statistics
  sample (``PRIO_SAMPLE``), the schedtrace line (``PRIO_SCHEDTRACE``), and the end of the run
  (``PRIO_END``), after the last sample, so a run's final sample is taken;
* last, the GC's phase steps (``PRIO_GC``) and a stop-the-world's next step (``PRIO_STW``), which only
  continue work already under way with the world stopped; one due at the run's end does not run.
"""

from __future__ import annotations

from heapq import heappop, heappush

PRIO_MSTEP = 0  # an M continues: runs its G's next op, or schedule()
PRIO_FINDRUN_TAIL = 1  # a spinning M finished its steal passes (findRunnable steps 13-16)
PRIO_MWAKE = 2  # a started M begins running (startm/newm latency elapsed)
PRIO_SYSCALL_DONE = 3  # a syscall returns (exitsyscall)
PRIO_TIMER = 4  # the earliest timer of a P is due
PRIO_NETREADY = 5  # a file descriptor became ready
PRIO_NETPOLL_WAKE = 6  # the M blocked in netpoll returns
PRIO_SYSMON = 7  # a sysmon round
PRIO_SAMPLE = 8  # statistics sampling (emulator only)
PRIO_SCHEDTRACE = 9  # a GODEBUG=schedtrace line
PRIO_END = 10  # the run's duration is reached
PRIO_GC = 11  # a GC phase step (mgc.go) after its modelled cost
PRIO_STW = 12  # the next step of a stop-the-world after its modelled cost

#: name -> priority, lowest (first at the same time) first
PRIORITIES = {name: value for name, value in globals().items() if name.startswith("PRIO_")}


class Clock:
    """Virtual time in ns and the heap of pending steps."""

    __slots__ = ("heap", "horizon", "now", "out", "out_limit", "seq", "stopped", "timers")

    def __init__(self) -> None:
        self.now = 0
        #: inside run_until, the time it runs to (its ``t_ns``); -1 outside it (and in step()). A
        #: handler that only observes (the engine's counter sample) may act for the instants up to it
        #: at which no other step is due (engine.py _sample_step).
        self.horizon = -1
        #: run_until's event list and the length it stops at: a handler that acts for several
        #: instants at once does so only while the run would not have stopped (sysmon.py)
        self.out: list = []
        self.out_limit = 0
        self.heap: list[tuple] = []
        self.timers: list[tuple] = []  # the PRIO_TIMER steps of at_timer: (t_ns, seq, handler, obj)
        self.seq = 0  # pushes so far: the tie-break after the priority
        self.stopped = False  # set by stop(): nothing runs any more

    @property
    def steps(self) -> int:
        """Steps popped so far, stale ones included (every push counts in seq, every pop leaves heap)."""
        return self.seq - len(self.heap) - len(self.timers)

    @property
    def pending(self) -> int:
        """Steps pushed and not popped yet (stale ones included)."""
        return len(self.heap) + len(self.timers)

    def at(self, t_ns: int, prio: int, handler, obj=None, token: int = 0) -> None:
        """Call ``handler(obj, token)`` at ``t_ns`` (after the steps of lower priority due then)."""
        seq = self.seq = self.seq + 1
        heappush(self.heap, (t_ns, prio, seq, handler, obj, token))

    def at_timer(self, t_ns: int, handler, obj=None) -> None:
        """``at(t_ns, PRIO_TIMER, handler, obj)``, kept in the timers' own heap (token 0)."""
        seq = self.seq = self.seq + 1
        heappush(self.timers, (t_ns, seq, handler, obj))

    def _timer_first(self) -> bool:
        """The earliest step is the timers' head (both heaps must be non-empty)."""
        h = self.heap[0]
        tm = self.timers[0]
        if h[0] != tm[0]:
            return tm[0] < h[0]
        if h[1] != PRIO_TIMER:
            return h[1] > PRIO_TIMER
        return tm[1] < h[2]

    def stop(self) -> None:
        """End the run: no further step is popped."""
        self.stopped = True

    def step(self) -> None:
        """Run the next step, if any."""
        if self.stopped:
            return
        if self.timers and (not self.heap or self._timer_first()):
            t_ns, _, handler, obj = heappop(self.timers)
            self.now = t_ns
            handler(obj, 0)
        elif self.heap:
            t_ns, _, _, handler, obj, token = heappop(self.heap)
            self.now = t_ns
            handler(obj, token)

    def run_until(self, t_ns: int, end_ns: int, out: list, out_limit: int = -1) -> None:
        """Run every step due at or before ``t_ns``, or stop early once ``len(out) >= out_limit`` (if
        out_limit >= 0); then advance the clock to ``t_ns`` (at most to ``end_ns``) if nothing is left to
        run before it. :attr:`horizon` is ``t_ns`` meanwhile."""
        heap = self.heap
        timers = self.timers
        pop = heappop
        if out_limit < 0:
            out_limit = 1 << 62
        self.horizon = t_ns
        self.out = out
        self.out_limit = out_limit
        try:
            while not self.stopped:
                if heap:
                    t = heap[0][0]
                    if timers and timers[0][0] <= t and (timers[0][0] < t or self._timer_first()):
                        t = timers[0][0]
                        timer = True
                    else:
                        timer = False
                elif timers:
                    t = timers[0][0]
                    timer = True
                else:
                    break
                if t > t_ns:
                    break
                self.now = t
                if timer:
                    _, _, handler, obj = pop(timers)
                    handler(obj, 0)
                else:
                    _, _, _, handler, obj, token = pop(heap)
                    handler(obj, token)
                if len(out) >= out_limit:
                    break
        finally:
            self.horizon = -1
        if (
            not self.stopped
            and (not heap or heap[0][0] > t_ns)
            and (not timers or timers[0][0] > t_ns)
            and t_ns > self.now
        ):
            self.now = min(t_ns, end_ns)

    def next_due(self) -> int:
        """The time of the earliest pending step (stale ones included), or -1 if none is pending."""
        heap = self.heap
        timers = self.timers
        if heap:
            t = heap[0][0]
            return timers[0][0] if timers and timers[0][0] < t else t
        return timers[0][0] if timers else -1


def call(fn, _token: int = 0) -> None:
    """A handler for steps whose ``obj`` is a function of no arguments (a stop-the-world's next step)."""
    fn()
